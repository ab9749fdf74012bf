package jwtguard_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Shared fixtures for the root package tests: fixed time, static keys
// generated once per test binary, and helpers that build tokens byte by byte
// so every malformation can be expressed.
//
// The static verifier trusts two issuer entries, because an entry has one
// key source: testIss verifies with the fixture's public keys
// (StaticKeys), testIssHMAC with the fixture's HMAC secret. mint gives HS*
// tokens whose iss is testIss the iss testIssHMAC instead (unless
// tokenOpts.keepIss), so goodClaims serve every algorithm.

const (
	testIss     = "https://issuer.example.test"
	testIssHMAC = "https://hmac.issuer.example.test"
	testAud     = "https://api.example.test"

	// defaultMaxTokenSize and maxLeeway are the documented defaults of
	// Issuer.MaxTokenSize and WithLeeway (no longer exported).
	defaultMaxTokenSize = 8 << 10
	maxLeeway           = 5 * time.Minute
)

// testNow is the fixed clock of every static verifier.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// allAlgs is every algorithm the static verifier allows.
var allAlgs = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

// allSentinels is every sentinel error of the package.
var allSentinels = []error{jwtguard.ErrNoToken, jwtguard.ErrInvalidRequest, jwtguard.ErrCrossOrigin,
	jwtguard.ErrTokenTooLarge, jwtguard.ErrMalformedToken, jwtguard.ErrAlgorithmNotAllowed, jwtguard.ErrKeyNotFound,
	jwtguard.ErrInvalidSignature, jwtguard.ErrInvalidTokenType, jwtguard.ErrInvalidClaim, jwtguard.ErrMissingClaim,
	jwtguard.ErrTokenExpired, jwtguard.ErrTokenNotYetValid, jwtguard.ErrTokenIssuedInFuture, jwtguard.ErrInvalidIssuer,
	jwtguard.ErrInvalidAudience, jwtguard.ErrTokenRevoked, jwtguard.ErrTokenInactive, jwtguard.ErrRevocationUnavailable,
	jwtguard.ErrIntrospectionUnavailable, jwtguard.ErrKeysUnavailable, jwtguard.ErrForbidden}

type testKeySet struct {
	rsa, rsa2              *rsa.PrivateKey
	p256, p384, p521       *ecdsa.PrivateKey
	ed                     ed25519.PrivateKey
	secret                 []byte // 64 bytes: enough for HS512
	attackerEC             *ecdsa.PrivateKey
	attackerRSA            *rsa.PrivateKey
	jwkSet                 jwk.Set // public keys, kids below, no alg
	rsaPEM, rsaJWK, rsaDER []byte  // the RSA public key in several encodings
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

var testKeys = sync.OnceValue(func() *testKeySet {
	k := &testKeySet{
		rsa:         must(rsa.GenerateKey(rand.Reader, 2048)),
		rsa2:        must(rsa.GenerateKey(rand.Reader, 2048)),
		p256:        must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
		p384:        must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)),
		p521:        must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)),
		attackerEC:  must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
		attackerRSA: must(rsa.GenerateKey(rand.Reader, 2048)),
		secret:      make([]byte, 64),
	}
	_, k.ed = must2(ed25519.GenerateKey(rand.Reader))
	_, _ = rand.Read(k.secret)
	set := jwk.NewSet()
	for kid, pub := range map[string]crypto.PublicKey{
		"rsa": k.rsa.Public(), "rsa2": k.rsa2.Public(), "p256": k.p256.Public(), "p384": k.p384.Public(),
		"p521": k.p521.Public(), "ed": k.ed.Public(),
	} {
		jk := must(jwk.FromRaw(pub))
		_ = jk.Set(jwk.KeyIDKey, kid)
		_ = set.AddKey(jk)
	}
	k.jwkSet = set
	k.rsaDER = must(x509.MarshalPKIXPublicKey(k.rsa.Public()))
	k.rsaPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.rsaDER})
	k.rsaJWK = must(json.Marshal(must(jwk.FromRaw(k.rsa.Public()))))
	return k
})

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// signerFor returns the fixture key and kid for alg.
func (k *testKeySet) signerFor(alg string) (crypto.Signer, string) {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return k.rsa, "rsa"
	case "ES256":
		return k.p256, "p256"
	case "ES384":
		return k.p384, "p384"
	case "ES512":
		return k.p521, "p521"
	case "EdDSA", "Ed25519":
		return k.ed, "ed"
	}
	return nil, ""
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// signRaw signs the exact header and payload segments given (already
// base64url-encoded) with alg and returns the compact JWS.
func signRaw(t testing.TB, alg string, signer crypto.Signer, secret []byte, hseg, pseg string) string {
	t.Helper()
	input := hseg + "." + pseg
	sig, err := jwtguardtest.Sign(alg, signer, secret, []byte(input))
	if err != nil {
		t.Fatalf("sign %s: %v", alg, err)
	}
	return input + "." + b64(sig)
}

// goodClaims are valid claims for the static verifier at testNow.
func goodClaims() map[string]any {
	return map[string]any{
		"iss": testIss,
		"aud": testAud,
		"sub": "user-1",
		"iat": testNow.Add(-time.Minute).Unix(),
		"exp": testNow.Add(5 * time.Minute).Unix(),
	}
}

// with returns goodClaims with over applied; a nil value removes the claim.
func with(over map[string]any) map[string]any {
	c := goodClaims()
	for k, v := range over {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// issFor is the static issuer whose key signs alg.
func issFor(alg string) string {
	if strings.HasPrefix(alg, "HS") {
		return testIssHMAC
	}
	return testIss
}

// claimsFor returns claims as minted for alg: an iss of testIss becomes
// issFor(alg). claims is not modified.
func claimsFor(alg string, claims map[string]any) map[string]any {
	if claims["iss"] != testIss || issFor(alg) == testIss {
		return claims
	}
	c := maps.Clone(claims)
	c["iss"] = issFor(alg)
	return c
}

// tokenOpts tweaks how mint builds a token.
type tokenOpts struct {
	hdr     map[string]any // merged over {"alg", "kid"}; nil value removes
	payload []byte         // raw payload instead of JSON of claims
	rawHdr  []byte         // raw header instead of JSON
	signer  crypto.Signer  // overrides the fixture key
	secret  []byte         // overrides the fixture HMAC secret
	signAlg string         // algorithm to sign with, if not the header's
	keepIss bool           // keep iss testIss for HS* tokens (see claimsFor)
}

// mint builds a token signed by the fixture key for alg (or as o says).
func mint(t testing.TB, alg string, claims map[string]any, o tokenOpts) string {
	t.Helper()
	k := testKeys()
	signer, kid := k.signerFor(alg)
	hdr := map[string]any{"alg": alg}
	if kid != "" {
		hdr["kid"] = kid
	}
	for name, v := range o.hdr {
		if v == nil {
			delete(hdr, name)
			continue
		}
		hdr[name] = v
	}
	hb := o.rawHdr
	if hb == nil {
		hb = mustJSON(hdr)
	}
	pb := o.payload
	if pb == nil {
		if !o.keepIss {
			claims = claimsFor(alg, claims)
		}
		pb = mustJSON(claims)
	}
	signAlg := alg
	if o.signAlg != "" {
		signAlg = o.signAlg
		signer, _ = k.signerFor(signAlg)
	}
	if o.signer != nil {
		signer = o.signer
	}
	secret := k.secret
	if o.secret != nil {
		secret = o.secret
	}
	return signRaw(t, signAlg, signer, secret, b64(hb), b64(pb))
}

// good is a valid token for the static verifier.
func good(t testing.TB, alg string) string { return mint(t, alg, goodClaims(), tokenOpts{}) }

// staticEntries are the static verifier's issuers: testIss with every
// fixture public key (JWK set without alg), testIssHMAC with the fixture
// HMAC secret. edit, if not nil, is applied to both.
func staticEntries(edit func(*jwtguard.Issuer)) []jwtguard.Issuer {
	k := testKeys()
	es := []jwtguard.Issuer{
		{ID: testIss, Keys: jwtguard.StaticKeys(k.jwkSet)},
		{ID: testIssHMAC, Keys: jwtguard.HMAC(k.secret)},
	}
	if edit != nil {
		for i := range es {
			edit(&es[i])
		}
	}
	return es
}

// staticOptsAt configure the static entries, testAud, every algorithm and
// clock.
func staticOptsAt(clock func() time.Time, edit func(*jwtguard.Issuer)) []jwtguard.Option {
	return []jwtguard.Option{
		jwtguard.Trust(staticEntries(edit)...),
		jwtguard.WithAudience(testAud),
		jwtguard.WithAlgorithms(allAlgs...),
		jwtguard.WithClock(clock),
	}
}

func mustNew(t testing.TB, opts ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	v, err := jwtguard.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// staticVerifier trusts every fixture key at testNow; extra options come
// last and must not repeat WithAudience, WithAlgorithms or WithClock
// (single-valued options): see staticVerifierAt and staticVerifierFor.
func staticVerifier(t testing.TB, extra ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	return mustNew(t, append(staticOptsAt(fixedClock, nil), extra...)...)
}

// staticVerifierAt is staticVerifier with the clock now.
func staticVerifierAt(t testing.TB, now func() time.Time, extra ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	return mustNew(t, append(staticOptsAt(now, nil), extra...)...)
}

// staticVerifierFor is staticVerifier with edit applied to both issuer
// entries (required claims, token types, claim map, token size...).
func staticVerifierFor(t testing.TB, edit func(*jwtguard.Issuer), extra ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	return mustNew(t, append(staticOptsAt(fixedClock, edit), extra...)...)
}

// keyedVerifier trusts testIss (audience testAud, clock testNow) with keys
// and the algorithms algs only.
func keyedVerifier(t testing.TB, keys *jwtguard.KeySource, algs ...string) *jwtguard.Verifier {
	t.Helper()
	return mustNew(t, jwtguard.WithIssuer(testIss, keys), jwtguard.WithAudience(testAud),
		jwtguard.WithAlgorithms(algs...), jwtguard.WithClock(fixedClock))
}

// checkErr asserts that err is nil when want is nil, and otherwise an
// *jwtguard.Error that matches want and no other sentinel.
func checkErr(t testing.TB, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("accepted; want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %v; want %v", err, want)
	}
	var e *jwtguard.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not a *jwtguard.Error", err)
	}
	for _, s := range allSentinels {
		if s != want && errors.Is(err, s) {
			t.Fatalf("error %v matches %v besides %v", err, s, want)
		}
	}
	if e.Status == 0 || (e.Description == "" && want != jwtguard.ErrNoToken) {
		t.Fatalf("error %v has status %d, description %q", err, e.Status, e.Description)
	}
}

// segments returns the three segments of a compact JWS.
func segments(tok string) (h, p, s string) {
	parts := strings.Split(tok, ".")
	return parts[0], parts[1], parts[2]
}

func TestVerifyAlgorithms(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			c, err := v.Verify(context.Background(), good(t, alg))
			checkErr(t, err, nil)
			if c.Subject != "user-1" || c.Issuer != issFor(alg) {
				t.Fatalf("claims %+v", c)
			}
		})
	}
}

// flipSig returns tok with one bit of its decoded signature flipped.
func flipSig(t testing.TB, tok string) string {
	h, p, s := segments(tok)
	sig, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 0x01
	return h + "." + p + "." + b64(sig)
}

// TestVerifyBadSignatures checks, per algorithm, that a signature that does
// not verify is refused: one flipped bit, another key's signature, an
// all-zero signature (CVE-2022-21449 for ECDSA), a truncated one and an
// empty one.
func TestVerifyBadSignatures(t *testing.T) {
	t.Parallel()
	k := testKeys()
	v := staticVerifier(t)
	otherKey := map[string]tokenOpts{
		"HS256": {secret: bytes.Repeat([]byte{7}, 64)}, "HS384": {secret: bytes.Repeat([]byte{7}, 64)},
		"HS512": {secret: bytes.Repeat([]byte{7}, 64)},
		"RS256": {signer: k.rsa2}, "RS384": {signer: k.rsa2}, "RS512": {signer: k.rsa2},
		"PS256": {signer: k.rsa2}, "PS384": {signer: k.rsa2}, "PS512": {signer: k.rsa2},
		"ES256": {signer: k.attackerEC},
		"ES384": {signer: must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))},
		"ES512": {signer: must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader))},
	}
	_, otherEd := must2(ed25519.GenerateKey(rand.Reader))
	otherKey["EdDSA"] = tokenOpts{signer: otherEd}
	otherKey["Ed25519"] = otherKey["EdDSA"]
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			tok := good(t, alg)
			h, p, s := segments(tok)
			sig := must(base64.RawURLEncoding.DecodeString(s))
			cases := map[string]string{
				"flipped bit":  flipSig(t, tok),
				"other key":    mint(t, alg, goodClaims(), otherKey[alg]),
				"all zero":     h + "." + p + "." + b64(make([]byte, len(sig))),
				"truncated":    h + "." + p + "." + b64(sig[:len(sig)-1]),
				"extended":     h + "." + p + "." + b64(append(sig, 0)),
				"other claims": h + "." + b64(mustJSON(claimsFor(alg, with(map[string]any{"sub": "admin"})))) + "." + s,
			}
			for name, bad := range cases {
				_, err := v.Verify(context.Background(), bad)
				if err == nil {
					t.Fatalf("%s: accepted", name)
				}
				checkErr(t, err, jwtguard.ErrInvalidSignature)
			}
		})
	}
}

func TestVerifyClaimChecks(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	at := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	cases := []struct {
		name   string
		claims map[string]any
		want   error
	}{
		{"valid", goodClaims(), nil},
		// iss: exact match only.
		{"iss missing", with(map[string]any{"iss": nil}), jwtguard.ErrInvalidIssuer},
		{"iss other", with(map[string]any{"iss": "https://evil.example.test"}), jwtguard.ErrInvalidIssuer},
		{"iss trailing slash", with(map[string]any{"iss": testIss + "/"}), jwtguard.ErrInvalidIssuer},
		{"iss other case", with(map[string]any{"iss": strings.ToUpper(testIss)}), jwtguard.ErrInvalidIssuer},
		{"iss prefix", with(map[string]any{"iss": testIss + ".evil"}), jwtguard.ErrInvalidIssuer},
		{"iss empty", with(map[string]any{"iss": ""}), jwtguard.ErrInvalidIssuer},
		{"iss number", with(map[string]any{"iss": 1}), jwtguard.ErrInvalidClaim},
		{"iss array", with(map[string]any{"iss": []string{testIss}}), jwtguard.ErrInvalidClaim},
		// aud: string or array containing a configured audience.
		{"aud string", with(map[string]any{"aud": testAud}), nil},
		{"aud array containing", with(map[string]any{"aud": []string{"https://other.test", testAud}}), nil},
		{"aud array single", with(map[string]any{"aud": []string{testAud}}), nil},
		{"aud array without", with(map[string]any{"aud": []string{"https://other.test"}}), jwtguard.ErrInvalidAudience},
		{"aud other string", with(map[string]any{"aud": "https://other.test"}), jwtguard.ErrInvalidAudience},
		{"aud other case", with(map[string]any{"aud": strings.ToUpper(testAud)}), jwtguard.ErrInvalidAudience},
		{"aud missing", with(map[string]any{"aud": nil}), jwtguard.ErrInvalidAudience},
		// "aud": [] reads as no audience (Ory Hydra without a granted
		// audience): refused as missing, not as a wrong type.
		{"aud empty array", with(map[string]any{"aud": []string{}}), jwtguard.ErrInvalidAudience},
		{"aud empty string", with(map[string]any{"aud": ""}), jwtguard.ErrInvalidClaim},
		{"aud number", with(map[string]any{"aud": 42}), jwtguard.ErrInvalidClaim},
		{"aud array with number", with(map[string]any{"aud": []any{testAud, 1}}), jwtguard.ErrInvalidClaim},
		{"aud object", with(map[string]any{"aud": map[string]any{"a": testAud}}), jwtguard.ErrInvalidClaim},
		{"aud null", with(map[string]any{"aud": json.RawMessage("null")}), jwtguard.ErrInvalidClaim},
		// exp: required, leeway 30 s by default.
		{"exp missing", with(map[string]any{"exp": nil}), jwtguard.ErrMissingClaim},
		{"exp expired", with(map[string]any{"exp": at(-time.Hour)}), jwtguard.ErrTokenExpired},
		{"exp within leeway", with(map[string]any{"exp": at(-29 * time.Second)}), nil},
		{"exp at leeway boundary", with(map[string]any{"exp": at(-30 * time.Second)}), jwtguard.ErrTokenExpired},
		{"exp one second past leeway", with(map[string]any{"exp": at(-31 * time.Second)}), jwtguard.ErrTokenExpired},
		{"exp fractional", with(map[string]any{"exp": float64(at(time.Minute)) + 0.5}), nil},
		{"exp string", with(map[string]any{"exp": "9999999999"}), jwtguard.ErrInvalidClaim},
		{"exp negative", with(map[string]any{"exp": -1}), jwtguard.ErrInvalidClaim},
		{"exp beyond year 9999", with(map[string]any{"exp": 253402300800}), jwtguard.ErrInvalidClaim},
		{"exp huge", with(map[string]any{"exp": json.RawMessage("1e400")}), jwtguard.ErrInvalidClaim},
		{"exp exponent notation in range", with(map[string]any{"exp": json.RawMessage("4.1e9")}), jwtguard.ErrInvalidClaim},
		{"iat exponent notation", with(map[string]any{"iat": json.RawMessage("1E9")}), jwtguard.ErrInvalidClaim},
		{"exp bool", with(map[string]any{"exp": true}), jwtguard.ErrInvalidClaim},
		{"exp null", with(map[string]any{"exp": json.RawMessage("null")}), jwtguard.ErrInvalidClaim},
		// nbf and iat.
		{"nbf past", with(map[string]any{"nbf": at(-time.Minute)}), nil},
		{"nbf within leeway", with(map[string]any{"nbf": at(29 * time.Second)}), nil},
		{"nbf future", with(map[string]any{"nbf": at(31 * time.Second)}), jwtguard.ErrTokenNotYetValid},
		{"nbf string", with(map[string]any{"nbf": "0"}), jwtguard.ErrInvalidClaim},
		{"iat within leeway", with(map[string]any{"iat": at(29 * time.Second)}), nil},
		{"iat future", with(map[string]any{"iat": at(time.Hour)}), jwtguard.ErrTokenIssuedInFuture},
		{"iat missing", with(map[string]any{"iat": nil}), nil},
		{"iat string", with(map[string]any{"iat": "now"}), jwtguard.ErrInvalidClaim},
		// Other registered claims of the wrong type.
		{"sub number", with(map[string]any{"sub": 7}), jwtguard.ErrInvalidClaim},
		{"sub object", with(map[string]any{"sub": map[string]any{}}), jwtguard.ErrInvalidClaim},
		{"jti number", with(map[string]any{"jti": 7}), jwtguard.ErrInvalidClaim},
		// Mapped claims (roles, scopes, tenant) of an unexpected shape no
		// longer reject the token: see TestVerifyMappedClaimShapes.
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(context.Background(), mint(t, "HS256", c.claims, tokenOpts{}))
			checkErr(t, err, c.want)
		})
	}
}

// TestVerifyMappedClaimShapes: a claim read by the issuer's ClaimMap that
// has an unexpected shape leaves the mapped field empty instead of
// rejecting the token (policies decide); the verified claims are otherwise
// intact.
func TestVerifyMappedClaimShapes(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	cases := []struct {
		name   string
		claims map[string]any
		field  func(*jwtguard.Claims) []string
	}{
		{"roles number", with(map[string]any{"roles": 7}), func(c *jwtguard.Claims) []string { return c.Roles }},
		{"roles array of numbers", with(map[string]any{"roles": []int{1}}), func(c *jwtguard.Claims) []string { return c.Roles }},
		{"roles bool", with(map[string]any{"roles": true}), func(c *jwtguard.Claims) []string { return c.Roles }},
		{"tenant_id number", with(map[string]any{"tenant_id": 7}), func(c *jwtguard.Claims) []string { return c.Tenants }},
		{"scope number", with(map[string]any{"scope": 7}), func(c *jwtguard.Claims) []string { return c.Scopes }},
		{"scp object", with(map[string]any{"scp": map[string]any{"a": 1}}), func(c *jwtguard.Claims) []string { return c.Scopes }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Verify(context.Background(), mint(t, "HS256", c.claims, tokenOpts{}))
			checkErr(t, err, nil)
			if f := c.field(got); len(f) != 0 {
				t.Fatalf("mapped field = %q, want empty", f)
			}
			if got.Subject != "user-1" || got.Tenant != "" {
				t.Fatalf("claims %+v", got)
			}
			// A policy on the field refuses the token.
			if err := jwtguard.Authorize(got, jwtguard.AnyOf(jwtguard.RequireAnyRole("7"), jwtguard.RequireAllScopes("7"),
				jwtguard.RequireTenant("7"))); !errors.Is(err, jwtguard.ErrForbidden) {
				t.Fatalf("Authorize: %v, want ErrForbidden", err)
			}
		})
	}
}

func TestVerifyLeeway(t *testing.T) {
	t.Parallel()
	at := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	cases := []struct {
		name   string
		leeway time.Duration
		claims map[string]any
		want   error
	}{
		{"zero leeway, exp now", 0, with(map[string]any{"exp": at(0)}), jwtguard.ErrTokenExpired},
		{"zero leeway, exp in 1s", 0, with(map[string]any{"exp": at(time.Second)}), nil},
		{"zero leeway, nbf in 1s", 0, with(map[string]any{"nbf": at(time.Second)}), jwtguard.ErrTokenNotYetValid},
		{"zero leeway, nbf now", 0, with(map[string]any{"nbf": at(0)}), nil},
		{"zero leeway, iat in 1s", 0, with(map[string]any{"iat": at(time.Second)}), jwtguard.ErrTokenIssuedInFuture},
		{"max leeway, exp 4m59s ago", maxLeeway, with(map[string]any{"exp": at(-4*time.Minute - 59*time.Second)}), nil},
		{"max leeway, exp 5m ago", maxLeeway, with(map[string]any{"exp": at(-5 * time.Minute)}), jwtguard.ErrTokenExpired},
		{"max leeway, nbf in 5m", maxLeeway, with(map[string]any{"nbf": at(5 * time.Minute)}), nil},
		{"max leeway, nbf in 5m1s", maxLeeway, with(map[string]any{"nbf": at(5*time.Minute + time.Second)}), jwtguard.ErrTokenNotYetValid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := staticVerifier(t, jwtguard.WithLeeway(c.leeway))
			_, err := v.Verify(context.Background(), mint(t, "HS256", c.claims, tokenOpts{}))
			checkErr(t, err, c.want)
		})
	}
}

func TestVerifyTokenType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		config string // Issuer.TokenTypes value; "" = not set
		typ    any    // header typ; nil = absent
		want   error
	}{
		{"not required, absent", "", nil, nil},
		{"not required, anything", "", "whatever", nil},
		{"at+jwt", "at+jwt", "at+jwt", nil},
		{"application/at+jwt", "at+jwt", "application/at+jwt", nil},
		{"upper case", "at+jwt", "AT+JWT", nil},
		{"configured with prefix", "application/at+jwt", "at+jwt", nil},
		{"JWT refused", "at+jwt", "JWT", jwtguard.ErrInvalidTokenType},
		{"absent refused", "at+jwt", nil, jwtguard.ErrInvalidTokenType},
		{"id token type refused", "at+jwt", "id_token+jwt", jwtguard.ErrInvalidTokenType},
		{"typ number", "at+jwt", 1, jwtguard.ErrMalformedToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := staticVerifierFor(t, func(is *jwtguard.Issuer) {
				if c.config != "" {
					is.TokenTypes = []string{c.config}
				}
			})
			hdr := map[string]any{}
			if c.typ != nil {
				hdr["typ"] = c.typ
			}
			_, err := v.Verify(context.Background(), mint(t, "ES256", goodClaims(), tokenOpts{hdr: hdr}))
			checkErr(t, err, c.want)
		})
	}
}

// TestVerifyRequiredClaims: the issuer's RequiredClaims are claim paths;
// a claim that is absent or only "", null, false or [] is missing (the one
// meaning of "present", issue 12 item 9); exp stays required.
func TestVerifyRequiredClaims(t *testing.T) {
	t.Parallel()
	v := staticVerifierFor(t, func(is *jwtguard.Issuer) {
		is.RequiredClaims = []string{"jti", "sub", "realm_access.roles", "[kubernetes.io].namespace"}
	})
	ok := func(over map[string]any) map[string]any {
		c := with(map[string]any{"jti": "id-1", "realm_access": map[string]any{"roles": []string{"a"}},
			"kubernetes.io": map[string]any{"namespace": "ns"}})
		for k, v := range over {
			if v == nil {
				delete(c, k)
				continue
			}
			c[k] = v
		}
		return c
	}
	cases := []struct {
		name   string
		claims map[string]any
		want   error
		claim  string
	}{
		{"all present", ok(nil), nil, ""},
		{"jti missing", ok(map[string]any{"jti": nil}), jwtguard.ErrMissingClaim, "jti"},
		{"jti empty string", ok(map[string]any{"jti": ""}), jwtguard.ErrMissingClaim, "jti"},
		{"sub missing", ok(map[string]any{"sub": nil}), jwtguard.ErrMissingClaim, "sub"},
		{"sub empty string", ok(map[string]any{"sub": ""}), jwtguard.ErrMissingClaim, "sub"},
		{"nested missing", ok(map[string]any{"realm_access": map[string]any{}}), jwtguard.ErrMissingClaim, "realm_access.roles"},
		{"nested empty array", ok(map[string]any{"realm_access": map[string]any{"roles": []string{}}}), jwtguard.ErrMissingClaim, "realm_access.roles"},
		{"nested null", ok(map[string]any{"realm_access": map[string]any{"roles": nil}}), jwtguard.ErrMissingClaim, "realm_access.roles"},
		{"nested false", ok(map[string]any{"realm_access": map[string]any{"roles": false}}), jwtguard.ErrMissingClaim, "realm_access.roles"},
		{"nested true is present", ok(map[string]any{"realm_access": map[string]any{"roles": true}}), nil, ""},
		{"nested zero is present", ok(map[string]any{"realm_access": map[string]any{"roles": 0}}), nil, ""},
		{"parent not an object", ok(map[string]any{"realm_access": "roles"}), jwtguard.ErrMissingClaim, "realm_access.roles"},
		{"bracketed member missing", ok(map[string]any{"kubernetes.io": nil}), jwtguard.ErrMissingClaim, "[kubernetes.io].namespace"},
		// The dotted name is one member: a nested "kubernetes"."io" does not
		// satisfy it.
		{"bracketed member is not a path", ok(map[string]any{"kubernetes.io": nil,
			"kubernetes": map[string]any{"io": map[string]any{"namespace": "ns"}}}), jwtguard.ErrMissingClaim, "[kubernetes.io].namespace"},
		{"exp still required", ok(map[string]any{"exp": nil}), jwtguard.ErrMissingClaim, "exp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(context.Background(), mint(t, "HS256", c.claims, tokenOpts{}))
			checkErr(t, err, c.want)
			if c.claim != "" {
				e := jwtguard.AsError(err)
				if e.Claim != c.claim || !strings.Contains(e.Description, c.claim) {
					t.Fatalf("error names claim %q (description %q), want %q", e.Claim, e.Description, c.claim)
				}
			}
		})
	}
}

func TestVerifyKeySelection(t *testing.T) {
	t.Parallel()
	k := testKeys()
	v := staticVerifier(t)
	cases := []verifyCase{
		{"kid selects key", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "rsa2"}, signer: k.rsa2}), nil},
		{"kid names another key of the same type", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "rsa"}, signer: k.rsa2}), jwtguard.ErrInvalidSignature},
		{"no kid tries keys of the right type", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}, signer: k.rsa2}), nil},
		{"no kid EC", mint(t, "ES384", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}}), nil},
		{"no kid EdDSA", mint(t, "EdDSA", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}}), nil},
		{"unknown kid", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "nope"}}), jwtguard.ErrKeyNotFound},
		{"no kid, unknown key", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}, signer: k.attackerRSA}), jwtguard.ErrInvalidSignature},
		{"kid not a string", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": 1}}), jwtguard.ErrMalformedToken},
		{"HS256 with a kid no key carries uses the secret", mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "hs-1"}}), nil},
		// An HS256 token sent to the issuer of the public keys, naming one.
		{"HS256 with a kid of an RSA key", mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "rsa"}, keepIss: true}), jwtguard.ErrAlgorithmNotAllowed},
		{"HS256 to the public-key issuer without kid", mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}, keepIss: true}), jwtguard.ErrKeyNotFound},
	}
	runVerifyCases(t, v, cases)
}

func TestVerifyKeyAlgMismatch(t *testing.T) {
	t.Parallel()
	k := testKeys()
	v := staticVerifier(t)
	cases := []verifyCase{
		// The header's alg must fit the key the kid names.
		{"ES256 header, RSA kid", mint(t, "ES256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "rsa"}}), jwtguard.ErrAlgorithmNotAllowed},
		{"RS256 header, EC kid", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "p256"}}), jwtguard.ErrAlgorithmNotAllowed},
		{"ES384 header, P-256 kid", mint(t, "ES384", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "p256"}, signer: k.p256}), jwtguard.ErrAlgorithmNotAllowed},
		{"EdDSA header, EC kid", mint(t, "EdDSA", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "p256"}}), jwtguard.ErrAlgorithmNotAllowed},
		// Without kid, only keys whose type fits the alg are tried.
		{"ES384 header signed by P-256, no kid", mint(t, "ES384", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}, signer: k.p256, signAlg: "ES256"}), jwtguard.ErrInvalidSignature},
		{"RS256 header signed with PS256", mint(t, "RS256", goodClaims(), tokenOpts{signAlg: "PS256"}), jwtguard.ErrInvalidSignature},
		{"PS256 header signed with RS256", mint(t, "PS256", goodClaims(), tokenOpts{signAlg: "RS256"}), jwtguard.ErrInvalidSignature},
		{"RS384 header signed with RS256", mint(t, "RS384", goodClaims(), tokenOpts{signAlg: "RS256"}), jwtguard.ErrInvalidSignature},
		{"HS512 header signed with HS256", mint(t, "HS512", goodClaims(), tokenOpts{signAlg: "HS256"}), jwtguard.ErrInvalidSignature},
		{"ES256 header signed with EdDSA", mint(t, "ES256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}, signAlg: "EdDSA"}), jwtguard.ErrInvalidSignature},
	}
	runVerifyCases(t, v, cases)
}

// TestVerifyJWKAlgAndUse checks that a JWK's own alg and use are honoured.
func TestVerifyJWKAlgAndUse(t *testing.T) {
	t.Parallel()
	k := testKeys()
	set := jwk.NewSet()
	add := func(pub crypto.PublicKey, kid, alg, use string) {
		jk := must(jwk.FromRaw(pub))
		_ = jk.Set(jwk.KeyIDKey, kid)
		if alg != "" {
			_ = jk.Set(jwk.AlgorithmKey, alg)
		}
		if use != "" {
			_ = jk.Set(jwk.KeyUsageKey, use)
		}
		_ = set.AddKey(jk)
	}
	add(k.rsa.Public(), "rs256-only", "RS256", "sig")
	add(k.rsa2.Public(), "enc-key", "", "enc")
	add(k.p256.Public(), "es256", "ES256", "")
	add(k.ed.Public(), "ed", "EdDSA", "sig")
	v := keyedVerifier(t, jwtguard.StaticKeys(set), allAlgs[3:]...)
	cases := []verifyCase{
		{"alg as published", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "rs256-only"}}), nil},
		{"PS256 with an RS256 key", mint(t, "PS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "rs256-only"}}), jwtguard.ErrAlgorithmNotAllowed},
		{"RS512 with an RS256 key", mint(t, "RS512", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "rs256-only"}}), jwtguard.ErrAlgorithmNotAllowed},
		{"PS256 with an RS256 key, no kid", mint(t, "PS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}}), jwtguard.ErrKeyNotFound},
		{"use enc key is skipped", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "enc-key"}, signer: k.rsa2}), jwtguard.ErrKeyNotFound},
		{"ES256 key", mint(t, "ES256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "es256"}}), nil},
		{"EdDSA key", mint(t, "EdDSA", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "ed"}}), nil},
		{"Ed25519 name for an EdDSA key", mint(t, "Ed25519", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "ed"}}), nil},
	}
	runVerifyCases(t, v, cases)
}

// TestVerifyWithKey covers StaticKeys with a raw public key: it fits only
// the allowed algorithms of its type.
func TestVerifyWithKey(t *testing.T) {
	t.Parallel()
	k := testKeys()
	v := keyedVerifier(t, jwtguard.StaticKeys(k.p256.Public()), "ES256", "RS256")
	cases := []verifyCase{
		{"with a kid no key carries", good(t, "ES256"), nil},
		{"without kid", mint(t, "ES256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}}), nil},
		{"RS256 has no key", good(t, "RS256"), jwtguard.ErrKeyNotFound},
		{"other EC key", mint(t, "ES256", goodClaims(), tokenOpts{signer: k.attackerEC}), jwtguard.ErrInvalidSignature},
	}
	runVerifyCases(t, v, cases)
}

// RFC 8725 §2.1 / §3.1: "none" must never be accepted, in any casing, with
// or without a signature.
func TestPitfallAlgNone(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	payload := b64(mustJSON(goodClaims()))
	_, _, realSig := segments(good(t, "HS256"))
	for _, alg := range []string{"none", "None", "NONE", "nOnE", "none ", ""} {
		for _, sig := range []string{"", "AAAA", realSig} {
			tok := b64(mustJSON(map[string]any{"alg": alg, "typ": "JWT"})) + "." + payload + "." + sig
			_, err := v.Verify(context.Background(), tok)
			if err == nil {
				t.Fatalf("alg %q with signature %q accepted", alg, sig)
			}
			want := jwtguard.ErrAlgorithmNotAllowed
			if alg == "" {
				want = jwtguard.ErrMalformedToken
			}
			checkErr(t, err, want)
		}
	}
}

// RFC 8725 §2.1: an HS256 token whose HMAC secret is the RSA public key
// (PEM, DER or JWK) must be refused, whatever else is configured.
func TestPitfallHS256SignedWithRSAPublicKey(t *testing.T) {
	t.Parallel()
	k := testKeys()
	rsaOnly := keyedVerifier(t, jwtguard.StaticKeys(k.rsa.Public()), "RS256")
	rsaSet := keyedVerifier(t, jwtguard.StaticKeys(k.jwkSet), "RS256")
	mixed := staticVerifier(t) // RSA keys and a real HMAC secret, HS256 allowed
	for _, secret := range []struct {
		name string
		b    []byte
	}{{"PEM", k.rsaPEM}, {"DER", k.rsaDER}, {"JWK", k.rsaJWK}} {
		for _, kid := range []any{nil, "rsa"} {
			// The token names either the HMAC issuer or the issuer of the
			// RSA key (keepIss); each entry has one key source.
			for _, keepIss := range []bool{false, true} {
				tok := mint(t, "HS256", goodClaims(), tokenOpts{secret: secret.b, hdr: map[string]any{"kid": kid}, keepIss: keepIss})
				for _, c := range []struct {
					name string
					v    *jwtguard.Verifier
					want error
				}{
					{"RS256-only raw key", rsaOnly, jwtguard.ErrAlgorithmNotAllowed},
					{"RS256-only key set", rsaSet, jwtguard.ErrAlgorithmNotAllowed},
					{"HS256 also allowed", mixed, jwtguard.ErrInvalidSignature},
				} {
					_, err := c.v.Verify(context.Background(), tok)
					want := c.want
					if keepIss && c.v == mixed {
						// The RSA issuer has no HMAC key: the kid names the
						// RSA key, which cannot do HS256; without kid no
						// key fits.
						want = jwtguard.ErrKeyNotFound
						if kid != nil {
							want = jwtguard.ErrAlgorithmNotAllowed
						}
					}
					if err == nil {
						t.Fatalf("%s secret, kid %v, keepIss %v, %s: accepted", secret.name, kid, keepIss, c.name)
					}
					checkErr(t, err, want)
				}
			}
		}
	}
	// The RSA public key can never be configured as an HMAC secret, in any
	// encoding (issue 12 item 16: DER too).
	for name, s := range map[string][]byte{"PEM": k.rsaPEM, "JWK": k.rsaJWK, "DER": k.rsaDER,
		"DER base64": []byte(base64.StdEncoding.EncodeToString(k.rsaDER))} {
		_, err := jwtguard.New(jwtguard.WithIssuer(testIss, jwtguard.HMAC(s)), jwtguard.WithAudience(testAud), jwtguard.WithAlgorithms("HS256"))
		if err == nil {
			t.Fatalf("New accepted the %s public key as HMAC secret", name)
		}
		if !strings.Contains(err.Error(), "public key") || !strings.Contains(err.Error(), "HMAC") {
			t.Fatalf("%s: error %q does not say the HMAC secret is a public key", name, err)
		}
	}
}

// RFC 8725 §3.1: a correctly signed token with an algorithm outside the
// allowlist is refused before any signature work.
func TestPitfallAlgNotInAllowlist(t *testing.T) {
	t.Parallel()
	k := testKeys()
	v := keyedVerifier(t, jwtguard.StaticKeys(k.jwkSet), "RS256")
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(context.Background(), good(t, alg))
			if alg == "RS256" {
				checkErr(t, err, nil)
				return
			}
			checkErr(t, err, jwtguard.ErrAlgorithmNotAllowed)
		})
	}
	for _, alg := range []string{"rs256", "Rs256", "RS256 ", "HS1", "ES256K", "RSA-OAEP", "dir"} {
		_, err := v.Verify(context.Background(), mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"alg": alg}}))
		checkErr(t, err, jwtguard.ErrAlgorithmNotAllowed)
	}
}

// RFC 8725 §3.1: the key/algorithm pair must match — an RSA key cannot
// verify ECDSA, an EC key cannot verify RSA, a P-256 key cannot verify
// ES384, and a public key never becomes an HMAC secret.
func TestPitfallKeyAlgMismatch(t *testing.T) {
	t.Parallel()
	k := testKeys()
	v := keyedVerifier(t, jwtguard.StaticKeys(k.p256.Public()), "ES256", "ES384", "RS256", "HS256")
	cases := []struct {
		name string
		tok  string
	}{
		{"ES384 signed with the P-256 key", mint(t, "ES384", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}, signer: k.p256, signAlg: "ES256"})},
		{"RS256 header", mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": nil}})},
		{"HS256 with the EC public key as secret", mint(t, "HS256", goodClaims(), tokenOpts{secret: must(x509.MarshalPKIXPublicKey(k.p256.Public())), keepIss: true})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(context.Background(), c.tok)
			checkErr(t, err, jwtguard.ErrKeyNotFound)
		})
	}
}

// attackerServer counts every request: jku/x5u must never be fetched.
func attackerServer(t *testing.T, body []byte) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func attackerCert(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evil"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// RFC 8725 §3.10 / RFC 7515 §4.1.2-6: keys offered by the token (jwk, jku,
// x5u, x5c) are never used or fetched.
func TestPitfallEmbeddedKeys(t *testing.T) {
	t.Parallel()
	k := testKeys()
	evil := k.attackerEC
	evilJWK := must(jwk.FromRaw(evil.Public()))
	_ = evilJWK.Set(jwk.KeyIDKey, "evil")
	evilSet := jwk.NewSet()
	_ = evilSet.AddKey(evilJWK)
	srv, hits := attackerServer(t, mustJSON(evilSet))
	x5c := attackerCert(t, evil)

	iss := jwtguardtest.NewIssuer(t)
	remote := iss.Verifier(t)
	static := staticVerifier(t)

	headers := []struct {
		name string
		hdr  map[string]any
	}{
		{"jwk", map[string]any{"jwk": evilJWK}},
		{"jku", map[string]any{"jku": srv.URL + "/jwks.json"}},
		{"x5u", map[string]any{"x5u": srv.URL + "/cert.pem"}},
		{"x5c", map[string]any{"x5c": []string{x5c}}},
		{"all", map[string]any{"jwk": evilJWK, "jku": srv.URL + "/jwks.json", "x5u": srv.URL + "/cert.pem", "x5c": []string{x5c}}},
	}
	for _, h := range headers {
		for _, kid := range []any{"evil", nil} {
			hdr := map[string]any{"kid": kid}
			for n, v := range h.hdr {
				hdr[n] = v
			}
			name := h.name + "/kid=" + map[bool]string{true: "evil", false: "none"}[kid != nil]
			t.Run(name+"/static", func(t *testing.T) {
				tok := mint(t, "ES256", goodClaims(), tokenOpts{hdr: hdr, signer: evil})
				_, err := static.Verify(context.Background(), tok)
				want := jwtguard.ErrInvalidSignature
				if kid != nil {
					want = jwtguard.ErrKeyNotFound
				}
				checkErr(t, err, want)
			})
			t.Run(name+"/remote", func(t *testing.T) {
				opts := []jwtguardtest.MintOption{jwtguardtest.WithAlg("ES256"), jwtguardtest.WithSigningKey(evil)}
				for n, v := range hdr {
					if v == nil {
						opts = append(opts, jwtguardtest.WithoutHeader(n))
					} else {
						opts = append(opts, jwtguardtest.WithHeader(n, v))
					}
				}
				_, err := remote.Verify(context.Background(), iss.Mint(nil, opts...))
				if err == nil {
					t.Fatal("token signed by an embedded key accepted")
				}
				if !errors.Is(err, jwtguard.ErrInvalidSignature) && !errors.Is(err, jwtguard.ErrKeyNotFound) {
					t.Fatalf("error %v, want invalid signature or key not found", err)
				}
			})
		}
		t.Run(h.name+"/genuine token is still accepted", func(t *testing.T) {
			tok := mint(t, "ES256", goodClaims(), tokenOpts{hdr: h.hdr})
			_, err := static.Verify(context.Background(), tok)
			checkErr(t, err, nil)
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the attacker's server was contacted %d times", n)
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	k := testKeys()
	tok := good(t, "HS256")
	h, p, s := segments(tok)
	hdrJSON := func(m map[string]any) string { return b64(mustJSON(m)) }
	hs := func(hseg, pseg string) string { return signRaw(t, "HS256", nil, k.secret, hseg, pseg) }
	claimsJSON := string(mustJSON(claimsFor("HS256", goodClaims())))
	rawClaims := func(s string) string { return b64([]byte(s)) }
	stdB64 := func(seg string) string { // the same bytes, standard alphabet with padding
		b, _ := base64.RawURLEncoding.DecodeString(seg)
		return base64.StdEncoding.EncodeToString(b)
	}
	// A payload segment whose last character carries non-zero unused bits
	// decodes to the same bytes with a lenient decoder.
	bumpLast := func(seg string) string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		last := strings.IndexByte(alphabet, seg[len(seg)-1])
		return seg[:len(seg)-1] + string(alphabet[last+1])
	}
	// A payload segment whose length is not a multiple of 4, so it has
	// unused bits and canonical encoders would pad it.
	padPayload := p
	for spaces := 1; len(padPayload)%4 == 0; spaces++ {
		padPayload = rawClaims(claimsJSON + strings.Repeat(" ", spaces))
	}
	// payloadMod returns a payload segment (the claims plus trailing JSON
	// whitespace) whose length is m modulo 4.
	payloadMod := func(m int) string {
		for spaces := 0; ; spaces++ {
			if seg := rawClaims(claimsJSON + strings.Repeat(" ", spaces)); len(seg)%4 == m {
				return seg
			}
		}
	}
	es := good(t, "ES256") // 64-byte signature: 86 characters, 2 mod 4
	esH, esP, esS := segments(es)
	hs384 := good(t, "HS384")                           // 48-byte signature: 64 characters, 0 mod 4
	kidHdr := b64([]byte(`{"alg":"HS256","kid":"k1"}`)) // 35 characters, 3 mod 4

	cases := []verifyCase{
		{"empty", "", jwtguard.ErrNoToken},
		{"one part", "abc", jwtguard.ErrMalformedToken},
		{"two parts", h + "." + p, jwtguard.ErrMalformedToken},
		{"four parts", tok + ".x", jwtguard.ErrMalformedToken},
		{"JWE five parts", h + "." + p + ".aaaa." + s + ".bbbb", jwtguard.ErrMalformedToken},
		{"JWE header", hs(hdrJSON(map[string]any{"alg": "HS256", "enc": "A256GCM"}), p), jwtguard.ErrMalformedToken},
		{"zip header", hs(hdrJSON(map[string]any{"alg": "HS256", "zip": "DEF"}), p), jwtguard.ErrMalformedToken},
		{"nested JWT cty", hs(hdrJSON(map[string]any{"alg": "HS256", "cty": "JWT"}), p), jwtguard.ErrMalformedToken},
		{"crit unknown", hs(hdrJSON(map[string]any{"alg": "HS256", "crit": []string{"exp"}, "exp": 1}), p), jwtguard.ErrMalformedToken},
		{"crit empty", hs(hdrJSON(map[string]any{"alg": "HS256", "crit": []string{}}), p), jwtguard.ErrMalformedToken},
		{"crit b64", hs(hdrJSON(map[string]any{"alg": "HS256", "crit": []string{"b64"}, "b64": false}), p), jwtguard.ErrMalformedToken},
		{"b64 false", hs(hdrJSON(map[string]any{"alg": "HS256", "b64": false}), p), jwtguard.ErrMalformedToken},
		{"b64 not bool", hs(hdrJSON(map[string]any{"alg": "HS256", "b64": "true"}), p), jwtguard.ErrMalformedToken},
		{"b64 true", hs(hdrJSON(map[string]any{"alg": "HS256", "b64": true}), p), nil},
		{"empty signature", h + "." + p + ".", jwtguard.ErrInvalidSignature},
		{"empty header", "." + p + "." + s, jwtguard.ErrMalformedToken},
		{"empty payload", hs(h, ""), jwtguard.ErrMalformedToken},
		{"header not JSON", hs(b64([]byte("alg=HS256")), p), jwtguard.ErrMalformedToken},
		{"header array", hs(b64([]byte(`["HS256"]`)), p), jwtguard.ErrMalformedToken},
		{"header without alg", hs(hdrJSON(map[string]any{"typ": "JWT"}), p), jwtguard.ErrMalformedToken},
		{"header alg number", hs(b64([]byte(`{"alg":256}`)), p), jwtguard.ErrMalformedToken},
		{"header alg null", hs(b64([]byte(`{"alg":null}`)), p), jwtguard.ErrMalformedToken},
		{"header trailing data", hs(b64([]byte(`{"alg":"HS256"}{}`)), p), jwtguard.ErrMalformedToken},
		// Non-canonical base64url, each correctly signed over the exact text.
		{"payload padded", hs(h, padPayload+strings.Repeat("=", 4-len(padPayload)%4)), jwtguard.ErrMalformedToken},
		{"payload standard alphabet", hs(h, stdB64(p)), jwtguard.ErrMalformedToken},
		{"payload non-zero unused bits", hs(h, bumpLast(padPayload)), jwtguard.ErrMalformedToken},
		{"payload non-zero unused bits, 2 mod 4", hs(h, bumpLast(payloadMod(2))), jwtguard.ErrMalformedToken},
		{"payload non-zero unused bits, 3 mod 4", hs(h, bumpLast(payloadMod(3))), jwtguard.ErrMalformedToken},
		{"payload canonical, 2 mod 4", hs(h, payloadMod(2)), nil},
		{"payload canonical, 3 mod 4", hs(h, payloadMod(3)), nil},
		{"payload canonical, 0 mod 4", hs(h, payloadMod(0)), nil},
		{"payload with one stray character", hs(h, payloadMod(0)+"A"), jwtguard.ErrMalformedToken},
		{"signature non-zero unused bits, 3 mod 4", h + "." + p + "." + bumpLast(s), jwtguard.ErrMalformedToken},
		{"signature non-zero unused bits, 2 mod 4", esH + "." + esP + "." + bumpLast(esS), jwtguard.ErrMalformedToken},
		{"signature with one stray character", hs384 + "A", jwtguard.ErrMalformedToken},
		{"header canonical, 3 mod 4", hs(kidHdr, p), nil},
		{"header non-zero unused bits", hs(bumpLast(kidHdr), p), jwtguard.ErrMalformedToken},
		{"payload with whitespace", hs(h, p[:10]+" "+p[10:]), jwtguard.ErrMalformedToken},
		{"payload with newline", hs(h, p[:10]+"\n"+p[10:]), jwtguard.ErrMalformedToken},
		{"payload impossible length", hs(h, p+strings.Repeat("A", (5-len(p)%4)%4)), jwtguard.ErrMalformedToken},
		{"header padded", hs(h+"==", p), jwtguard.ErrMalformedToken},
		{"signature padded", tok + "=", jwtguard.ErrMalformedToken},
		{"signature with standard alphabet", h + "." + p + ".+" + s[1:], jwtguard.ErrMalformedToken},
		{"signature with whitespace", h + "." + p + "." + s[:5] + " " + s[5:], jwtguard.ErrMalformedToken},
		// Duplicate members anywhere.
		{"duplicate alg in header", hs(b64([]byte(`{"alg":"HS256","alg":"none"}`)), p), jwtguard.ErrMalformedToken},
		{"escaped duplicate alg in header", hs(b64([]byte(`{"alg":"HS256","\u0061lg":"HS256"}`)), p), jwtguard.ErrMalformedToken},
		{"duplicate kid in header", hs(b64([]byte(`{"alg":"HS256","kid":"a","kid":"b"}`)), p), jwtguard.ErrMalformedToken},
		{"duplicate sub", hs(h, rawClaims(claimsJSON[:len(claimsJSON)-1]+`,"sub":"admin"}`)), jwtguard.ErrMalformedToken},
		{"duplicate exp", hs(h, rawClaims(claimsJSON[:len(claimsJSON)-1]+`,"exp":99999999999}`)), jwtguard.ErrMalformedToken},
		{"escaped duplicate iss", hs(h, rawClaims(claimsJSON[:len(claimsJSON)-1]+`,"\u0069ss":"https://evil.test"}`)), jwtguard.ErrMalformedToken},
		{"nested duplicate", hs(h, rawClaims(claimsJSON[:len(claimsJSON)-1]+`,"realm_access":{"roles":["a"],"roles":["admin"]}}`)), jwtguard.ErrMalformedToken},
		{"duplicate inside array", hs(h, rawClaims(claimsJSON[:len(claimsJSON)-1]+`,"x":[{"a":1,"a":2}]}`)), jwtguard.ErrMalformedToken},
		// Payload shape.
		{"payload array", hs(h, rawClaims(`[`+claimsJSON+`]`)), jwtguard.ErrMalformedToken},
		{"payload string", hs(h, rawClaims(`"x"`)), jwtguard.ErrMalformedToken},
		{"payload trailing data", hs(h, rawClaims(claimsJSON+`{}`)), jwtguard.ErrMalformedToken},
		{"payload invalid UTF-8", hs(h, rawClaims(claimsJSON[:len(claimsJSON)-1]+",\"name\":\"\xff\xfe\"}")), jwtguard.ErrMalformedToken},
		{"payload too deep", hs(h, rawClaims(claimsJSON[:len(claimsJSON)-1]+`,"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`)), jwtguard.ErrMalformedToken},
		{"payload leading whitespace ok", hs(h, rawClaims(" \n"+claimsJSON+"\n")), nil},
	}
	runVerifyCases(t, v, cases)
}

func TestVerifySizeCap(t *testing.T) {
	t.Parallel()
	// Correctly signed tokens just above 8 KiB, one per issuer.
	pad := with(map[string]any{"pad": strings.Repeat("x", defaultMaxTokenSize)})
	big, bigRS := mint(t, "HS256", pad, tokenOpts{}), mint(t, "RS256", pad, tokenOpts{})
	small := good(t, "HS256")
	cases := []struct {
		name   string
		limit  int  // Issuer.MaxTokenSize; 0 = default
		onlyRS bool // set the limit on the RSA issuer only
		tok    string
		want   error
	}{
		{"default refuses a large token", 0, false, big, jwtguard.ErrTokenTooLarge},
		{"default accepts a small token", 0, false, small, nil},
		{"raised limit accepts it", 64 << 10, false, big, nil},
		{"lowered limit refuses a small token", 64, false, small, jwtguard.ErrTokenTooLarge},
		{"oversized garbage", 0, false, strings.Repeat("A", defaultMaxTokenSize+1), jwtguard.ErrTokenTooLarge},
		{"exactly at the limit is not too large", len(small), false, small, nil},
		// The limit is per issuer: raising it for one does not raise it
		// for the other.
		{"raised for the RSA issuer: its token", 64 << 10, true, bigRS, nil},
		{"raised for the RSA issuer: the HMAC issuer's token", 64 << 10, true, big, jwtguard.ErrTokenTooLarge},
		{"raised for the RSA issuer: garbage above both", 64 << 10, true, strings.Repeat("A", 64<<10+1), jwtguard.ErrTokenTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := staticVerifierFor(t, func(is *jwtguard.Issuer) {
				if c.limit > 0 && (!c.onlyRS || is.ID == testIss) {
					is.MaxTokenSize = c.limit
				}
			})
			_, err := v.Verify(context.Background(), c.tok)
			checkErr(t, err, c.want)
		})
	}
}

// withJTI is a valid HS256 token with a jti (required when a revocation
// store is configured).
func withJTI(t *testing.T) string {
	return mint(t, "HS256", with(map[string]any{"jti": "j1"}), tokenOpts{})
}

type fakeStore struct {
	revoked bool
	err     error
	calls   atomic.Int64
}

func (s *fakeStore) IsRevoked(_ context.Context, c *jwtguard.Claims) (bool, error) {
	s.calls.Add(1)
	return s.revoked, s.err
}

func TestVerifyRevocation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		store    *fakeStore
		failOpen bool
		tok      func(t *testing.T) string
		want     error
		status   int
		calls    int64
	}{
		{"not revoked", &fakeStore{}, false, func(t *testing.T) string { return withJTI(t) }, nil, 0, 1},
		{"revoked", &fakeStore{revoked: true}, false, func(t *testing.T) string { return withJTI(t) }, jwtguard.ErrTokenRevoked, 401, 1},
		{"store down fails closed", &fakeStore{err: errors.New("redis: connection refused")}, false, func(t *testing.T) string { return withJTI(t) }, jwtguard.ErrRevocationUnavailable, 503, 1},
		{"store down, fail-open", &fakeStore{err: errors.New("redis: connection refused")}, true, func(t *testing.T) string { return withJTI(t) }, nil, 0, 1},
		{"not asked for a bad signature", &fakeStore{}, false, func(t *testing.T) string {
			return mint(t, "HS256", with(map[string]any{"jti": "j1"}), tokenOpts{secret: make([]byte, 32)})
		}, jwtguard.ErrInvalidSignature, 401, 0},
		{"not asked for an expired token", &fakeStore{}, false, func(t *testing.T) string {
			return mint(t, "HS256", with(map[string]any{"jti": "j1", "exp": testNow.Add(-time.Hour).Unix()}), tokenOpts{})
		}, jwtguard.ErrTokenExpired, 401, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts := []jwtguard.Option{jwtguard.WithRevocation(c.store)}
			if c.failOpen {
				opts = append(opts, jwtguard.WithInsecureRevocationFailOpen())
			}
			_, err := staticVerifier(t, opts...).Verify(context.Background(), c.tok(t))
			checkErr(t, err, c.want)
			if c.want != nil {
				e := jwtguard.AsError(err)
				if e.Status != c.status {
					t.Fatalf("status %d, want %d", e.Status, c.status)
				}
				if c.status == 503 && e.RetryAfter <= 0 {
					t.Fatal("503 without RetryAfter")
				}
				if strings.Contains(e.Description, "redis") {
					t.Fatalf("description leaks the store error: %q", e.Description)
				}
			}
			if got := c.store.calls.Load(); got != c.calls {
				t.Fatalf("store asked %d times, want %d", got, c.calls)
			}
		})
	}
}

func TestVerifyKeysUnavailable(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	iss.Down(true)
	v := mustNew(t, jwtguard.WithIssuer(iss.URL(), jwtguard.Discovery()), jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms(jwtguardtest.Algorithms...))
	_, err := v.Verify(context.Background(), iss.Mint(nil))
	checkErr(t, err, jwtguard.ErrKeysUnavailable)
	e := jwtguard.AsError(err)
	if e.Status != http.StatusServiceUnavailable || e.RetryAfter <= 0 {
		t.Fatalf("status %d, RetryAfter %s; want 503 with RetryAfter", e.Status, e.RetryAfter)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Ready(ctx); !errors.Is(err, jwtguard.ErrKeysUnavailable) {
		t.Fatalf("Ready with a down issuer: %v", err)
	}
	// Once the issuer answers, the same token verifies.
	iss.Down(false)
	if err := jwtguardtest.ReadyWithin(v, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), iss.Mint(nil)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

// TestNewDoesNotBlock checks that New returns while the JWKS server hangs,
// and that Verify then reports ErrKeysUnavailable instead of waiting.
func TestNewDoesNotBlock(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "gone", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	v := keyedVerifier(t, jwtguard.JWKS(srv.URL+"/jwks"), "RS256")
	_, err := v.Verify(context.Background(), good(t, "RS256"))
	checkErr(t, err, jwtguard.ErrKeysUnavailable)
}

func TestVerifyWithoutIssuerAndAudienceCheck(t *testing.T) {
	t.Parallel()
	k := testKeys()
	v := mustNew(t, jwtguard.WithIssuer("", jwtguard.HMAC(k.secret)), jwtguard.WithAlgorithms("HS256"), jwtguard.WithClock(fixedClock),
		jwtguard.WithoutIssuerCheck(), jwtguard.WithoutAudienceCheck())
	cases := []struct {
		name   string
		claims map[string]any
		want   error
	}{
		{"any issuer", with(map[string]any{"iss": "https://anyone.test"}), nil},
		{"no issuer", with(map[string]any{"iss": nil}), nil},
		{"any audience", with(map[string]any{"aud": "https://other.test"}), nil},
		{"no audience", with(map[string]any{"aud": nil}), nil},
		{"empty audience array", with(map[string]any{"aud": []string{}}), nil},
		{"types still checked", with(map[string]any{"aud": 1}), jwtguard.ErrInvalidClaim},
		{"exp still checked", with(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}), jwtguard.ErrTokenExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(context.Background(), mint(t, "HS256", c.claims, tokenOpts{}))
			checkErr(t, err, c.want)
		})
	}
}

func TestVerifySeveralIssuersAndAudiences(t *testing.T) {
	t.Parallel()
	k := testKeys()
	// One issuer known by two iss values (Aliases), several audiences.
	v := mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: "https://a.test", Aliases: []string{"https://b.test"}, Keys: jwtguard.HMAC(k.secret)}),
		jwtguard.WithAlgorithms("HS256"), jwtguard.WithClock(fixedClock), jwtguard.WithAudience("api-1", "api-2"))
	// Two issuers: one with its own Audiences (which win over
	// WithAudience), one with the verifier-wide ones.
	per := mustNew(t, jwtguard.Trust(
		jwtguard.Issuer{ID: "https://a.test", Keys: jwtguard.HMAC(k.secret), Audiences: []string{"api-a"}},
		jwtguard.Issuer{ID: "https://b.test", Keys: jwtguard.StaticKeys(k.jwkSet)},
	), jwtguard.WithAlgorithms("HS256", "ES256"), jwtguard.WithClock(fixedClock), jwtguard.WithAudience("api-1"))
	cases := []struct {
		v        *jwtguard.Verifier
		alg      string
		iss, aud any
		want     error
	}{
		{v, "HS256", "https://a.test", "api-1", nil},
		{v, "HS256", "https://b.test", []string{"x", "api-2"}, nil},
		{v, "HS256", "https://c.test", "api-1", jwtguard.ErrInvalidIssuer},
		{v, "HS256", "https://a.test", "api-3", jwtguard.ErrInvalidAudience},
		{per, "HS256", "https://a.test", "api-a", nil},
		{per, "HS256", "https://a.test", "api-1", jwtguard.ErrInvalidAudience},
		{per, "ES256", "https://b.test", "api-1", nil},
		{per, "ES256", "https://b.test", "api-a", jwtguard.ErrInvalidAudience},
		// Each issuer's tokens verify only with its own keys.
		{per, "ES256", "https://a.test", "api-a", jwtguard.ErrKeyNotFound},
		{per, "HS256", "https://b.test", "api-1", jwtguard.ErrKeyNotFound},
	}
	for i, c := range cases {
		_, err := c.v.Verify(context.Background(), mint(t, c.alg, with(map[string]any{"iss": c.iss, "aud": c.aud}), tokenOpts{hdr: map[string]any{"kid": nil}}))
		if (err == nil) != (c.want == nil) || (err != nil && !errors.Is(err, c.want)) {
			t.Fatalf("case %d (%s %v %v): error %v, want %v", i, c.alg, c.iss, c.aud, err, c.want)
		}
		checkErr(t, err, c.want)
	}
}

func TestVerifyCache(t *testing.T) {
	t.Parallel()
	now := testNow
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := &fakeStore{}
	v := staticVerifierAt(t, clock, jwtguard.WithCache(16, time.Hour), jwtguard.WithRevocation(store))
	tok := mint(t, "ES256", with(map[string]any{"jti": "j1"}), tokenOpts{})
	c1, err := v.Verify(context.Background(), tok)
	checkErr(t, err, nil)
	c1.Subject = "edited by a handler"
	c2, err := v.Verify(context.Background(), tok)
	checkErr(t, err, nil)
	if c2.Subject != "user-1" {
		t.Fatalf("cached claims were changed by a caller: %q", c2.Subject)
	}
	if store.calls.Load() != 2 {
		t.Fatalf("revocation asked %d times, want on every hit", store.calls.Load())
	}
	// exp is re-checked on a hit.
	mu.Lock()
	now = testNow.Add(time.Hour)
	mu.Unlock()
	_, err = v.Verify(context.Background(), tok)
	checkErr(t, err, jwtguard.ErrTokenExpired)
}

func TestVerifyReturnsClaims(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	tok := mint(t, "EdDSA", with(map[string]any{"jti": "id-9", "nbf": testNow.Add(-time.Minute).Unix(), "azp": "client-7",
		"roles": []string{"r1", "r2"}, "scope": "a b", "tenant_id": "t1"}), tokenOpts{hdr: map[string]any{"typ": "JWT"}})
	c, err := v.Verify(context.Background(), tok)
	checkErr(t, err, nil)
	want := jwtguard.Claims{
		Issuer: testIss, Subject: "user-1", Audience: []string{testAud}, ID: "id-9",
		ExpiresAt: testNow.Add(5 * time.Minute), NotBefore: testNow.Add(-time.Minute), IssuedAt: testNow.Add(-time.Minute),
	}
	if c.Issuer != want.Issuer || c.Subject != want.Subject || strings.Join(c.Audience, ",") != testAud || c.ID != want.ID ||
		!c.ExpiresAt.Equal(want.ExpiresAt) || !c.NotBefore.Equal(want.NotBefore) || !c.IssuedAt.Equal(want.IssuedAt) {
		t.Fatalf("claims\n got %+v\nwant %+v", *c, want)
	}
	if c.ClientID != "client-7" || !slices.Equal(c.Roles, []string{"r1", "r2"}) || !slices.Equal(c.Scopes, []string{"a", "b"}) ||
		!slices.Equal(c.Tenants, []string{"t1"}) || c.Tenant != "t1" || c.Permissions != nil {
		t.Fatalf("mapped claims %+v", *c)
	}
	_, p, _ := segments(tok)
	var raw json.RawMessage
	if err := c.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if string(raw) != string(must(base64.RawURLEncoding.DecodeString(p))) {
		t.Fatalf("Decode(&raw) = %s", raw)
	}
}

func TestErrorNeverContainsToken(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	for _, tok := range []string{
		mint(t, "HS256", with(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}), tokenOpts{}),
		mint(t, "HS256", goodClaims(), tokenOpts{secret: make([]byte, 32)}),
		mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"alg": "none"}}),
		mint(t, "HS256", with(map[string]any{"aud": 1}), tokenOpts{}),
	} {
		_, err := v.Verify(context.Background(), tok)
		_, _, sig := segments(tok)
		if err == nil || strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), sig) {
			t.Fatalf("error %q contains the token or its signature", err)
		}
	}
}

// verifyCase is one row of the Verify tables: a token and the sentinel
// expected (nil: accepted).
type verifyCase struct {
	name string
	tok  string
	want error
}

// runVerifyCases verifies every case with v in parallel subtests.
func runVerifyCases(t *testing.T, v *jwtguard.Verifier, cases []verifyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(context.Background(), c.tok)
			checkErr(t, err, c.want)
		})
	}
}
