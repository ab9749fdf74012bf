package jwtguard_test

// Fuzz targets for the root package's parsers of untrusted input, driven
// through the public API: tokens (Verify), claims (parsed and mapped by
// Verify), requests (the extractors and Authenticate) and remote key sets
// (a JWKS served to a Verifier). The header and JWKS parsers themselves
// have their own targets in internal/jose and internal/jwks. Each target
// asserts an invariant, not only the absence of panics:
//
//   - FuzzVerify: every accepted token's signature verifies independently
//     (stdlib crypto, header alg, published keys) and its claims satisfy the
//     configured rules when re-read with encoding/json; the token cache
//     never changes a verdict.
//   - FuzzExtractors: extracted tokens have RFC 6750 b64token syntax and come
//     from the request; malformed requests give 400 invalid_request; a token
//     sent two ways, or two differing cookies, are refused; cookie tokens
//     are never accepted on cross-site unsafe requests.
//   - FuzzClaims: claims Verify accepts agree with encoding/json, registered
//     claims and the ClaimMap mappings (roles, scopes, permissions, tenants,
//     client) alike; a mapped claim of an unexpected shape maps to nothing.
//   - FuzzJWKS: from an arbitrary JWKS body, a Verifier accepts a token only
//     if the body holds that very public key, for signatures, with a fitting
//     alg and kid; never an HMAC token, never a key under 2048 bits.
//
// Run one with: go test -run '^$' -fuzz '^FuzzVerify$' -fuzztime 10m -parallel 1 .

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

const (
	fuzzIssuer   = "https://issuer.fuzz.test"
	fuzzAudience = "https://api.fuzz.test"
	// fuzzLeeway is the leeway of every fuzz verifier, set explicitly.
	fuzzLeeway = 30 * time.Second
	// fuzzMaxNumericDate is the largest NumericDate jwtguard accepts (year
	// 9999).
	fuzzMaxNumericDate = 253402300799
)

// fuzzNow is the fixed clock of the fuzz verifier; fuzz seeds expire in
// 2100 and were issued in 2029.
var fuzzNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// fuzzHMAC is long enough for HS512.
var fuzzHMAC = []byte("fuzz-hmac-secret:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJK")

// fuzzAlgs are the algorithms the fuzz verifier allows; the signed mode of
// FuzzVerify signs with one of them.
var fuzzAlgs = []string{"RS256", "PS256", "ES256", "EdDSA", "HS256", "HS512"}

// fuzzKid is the kid each algorithm's key is published under.
var fuzzKid = map[string]string{"RS256": "rs", "PS256": "ps", "ES256": "es", "EdDSA": "ed"}

type fuzzKeySet struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	ed   ed25519.PrivateKey
	weak *rsa.PrivateKey // 1024 bits: never to be trusted
}

var (
	fuzzKeysOnce sync.Once
	fuzzKeysVal  fuzzKeySet
	fuzzKeysErr  error
)

func fuzzParsePKCS8(s string) (any, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("bad PEM")
	}
	return x509.ParsePKCS8PrivateKey(b.Bytes)
}

func fuzzKeys(tb testing.TB) fuzzKeySet {
	tb.Helper()
	fuzzKeysOnce.Do(func() {
		var k any
		if k, fuzzKeysErr = fuzzParsePKCS8(fuzzRSAPEM); fuzzKeysErr != nil {
			return
		}
		fuzzKeysVal.rsa = k.(*rsa.PrivateKey)
		if k, fuzzKeysErr = fuzzParsePKCS8(fuzzECPEM); fuzzKeysErr != nil {
			return
		}
		fuzzKeysVal.ec = k.(*ecdsa.PrivateKey)
		if k, fuzzKeysErr = fuzzParsePKCS8(fuzzEdPEM); fuzzKeysErr != nil {
			return
		}
		fuzzKeysVal.ed = k.(ed25519.PrivateKey)
		if k, fuzzKeysErr = fuzzParsePKCS8(fuzzWeakRSAPEM); fuzzKeysErr != nil {
			return
		}
		fuzzKeysVal.weak = k.(*rsa.PrivateKey)
	})
	if fuzzKeysErr != nil {
		tb.Fatalf("fuzz keys: %v", fuzzKeysErr)
	}
	return fuzzKeysVal
}

// fuzzPublicSet is the JWKS the fuzz verifier trusts.
func fuzzPublicSet(tb testing.TB) jwk.Set {
	tb.Helper()
	keys := fuzzKeys(tb)
	set := jwk.NewSet()
	for _, e := range []struct {
		alg string
		pub crypto.PublicKey
	}{{"RS256", &keys.rsa.PublicKey}, {"PS256", &keys.rsa.PublicKey}, {"ES256", &keys.ec.PublicKey}, {"EdDSA", keys.ed.Public()}} {
		k, err := jwk.FromRaw(e.pub)
		if err != nil {
			tb.Fatal(err)
		}
		_ = k.Set(jwk.KeyIDKey, fuzzKid[e.alg])
		_ = k.Set(jwk.AlgorithmKey, e.alg)
		_ = k.Set(jwk.KeyUsageKey, "sig")
		if err := set.AddKey(k); err != nil {
			tb.Fatal(err)
		}
	}
	return set
}

// fuzzSecretSet is a static key set holding secret as one kid-less oct key:
// with the public set, it gives one issuer both asymmetric keys and an HMAC
// secret.
func fuzzSecretSet(tb testing.TB, secret []byte) jwk.Set {
	tb.Helper()
	k, err := jwk.FromRaw(secret)
	if err != nil {
		tb.Fatal(err)
	}
	set := jwk.NewSet()
	if err := set.AddKey(k); err != nil {
		tb.Fatal(err)
	}
	return set
}

// fuzzVerifier trusts fuzzIssuer with the fuzz public keys (with kids) and
// the kid-less HMAC secret, at the fixed clock fuzzNow. extra must not
// repeat its options.
func fuzzVerifier(tb testing.TB, extra ...jwtguard.Option) *jwtguard.Verifier {
	tb.Helper()
	opts := []jwtguard.Option{
		jwtguard.WithIssuer(fuzzIssuer, jwtguard.StaticKeys(fuzzPublicSet(tb), fuzzSecretSet(tb, fuzzHMAC))),
		jwtguard.WithAudience(fuzzAudience),
		jwtguard.WithAlgorithms(fuzzAlgs...),
		jwtguard.WithClock(func() time.Time { return fuzzNow }),
		jwtguard.WithLeeway(fuzzLeeway),
	}
	v, err := jwtguard.New(append(opts, extra...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

var fuzzB64 = base64.RawURLEncoding

// fuzzSignWith signs input for alg with the given private key (or HMAC
// secret) using only the standard library.
func fuzzSignWith(tb testing.TB, alg string, key any, input []byte) []byte {
	tb.Helper()
	var sig []byte
	var err error
	mac := func(h func() hash.Hash) []byte {
		m := hmac.New(h, key.([]byte))
		m.Write(input)
		return m.Sum(nil)
	}
	switch alg {
	case "RS256":
		d := sha256.Sum256(input)
		sig, err = rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), crypto.SHA256, d[:])
	case "PS256":
		d := sha256.Sum256(input)
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES256":
		d := sha256.Sum256(input)
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), d[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case "EdDSA":
		sig = ed25519.Sign(key.(ed25519.PrivateKey), input)
	case "HS256":
		sig = mac(sha256.New)
	case "HS384":
		sig = mac(sha512.New384)
	case "HS512":
		sig = mac(sha512.New)
	default:
		tb.Fatalf("fuzzSign: unknown alg %q", alg)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// fuzzSign signs input with the fuzz key for alg.
func fuzzSign(tb testing.TB, alg string, input []byte) []byte {
	tb.Helper()
	keys := fuzzKeys(tb)
	var key any
	switch alg {
	case "RS256", "PS256":
		key = keys.rsa
	case "ES256":
		key = keys.ec
	case "EdDSA":
		key = keys.ed
	default:
		key = fuzzHMAC
	}
	return fuzzSignWith(tb, alg, key, input)
}

// fuzzMint builds a compact JWS from raw header and payload JSON, signed with
// the fuzz key for alg.
func fuzzMint(tb testing.TB, alg string, hdr, payload []byte) string {
	tb.Helper()
	input := fuzzB64.EncodeToString(hdr) + "." + fuzzB64.EncodeToString(payload)
	return input + "." + fuzzB64.EncodeToString(fuzzSign(tb, alg, []byte(input)))
}

// fuzzClaimsJSON returns a valid claim set for the fuzz verifier.
func fuzzClaimsJSON(extra string) []byte {
	s := `{"iss":"` + fuzzIssuer + `","aud":"` + fuzzAudience + `","sub":"user-1","iat":1861920000,"exp":4102444800,"roles":["admin"],"scope":"read write","tenant_id":"t1"`
	if extra != "" {
		s += "," + extra
	}
	return []byte(s + "}")
}

func fuzzHeaderJSON(alg string) []byte {
	if kid, ok := fuzzKid[alg]; ok {
		return []byte(`{"alg":"` + alg + `","kid":"` + kid + `","typ":"JWT"}`)
	}
	return []byte(`{"alg":"` + alg + `","typ":"JWT"}`)
}

// fuzzIndependentSig re-verifies a compact JWS with the standard library
// only: strict base64url, the header's own alg, and the fuzz keys.
func fuzzIndependentSig(tb testing.TB, token string) (string, bool) {
	tb.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	dec := fuzzB64.Strict()
	hdrJSON, err := dec.DecodeString(parts[0])
	if err != nil {
		return "", false
	}
	if _, err := dec.DecodeString(parts[1]); err != nil {
		return "", false
	}
	sig, err := dec.DecodeString(parts[2])
	if err != nil {
		return "", false
	}
	var hdr map[string]any
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		return "", false
	}
	alg, _ := hdr["alg"].(string)
	input := []byte(parts[0] + "." + parts[1])
	keys := fuzzKeys(tb)
	sum256 := sha256.Sum256(input)
	hmacOK := func(h func() hash.Hash) bool {
		m := hmac.New(h, fuzzHMAC)
		m.Write(input)
		return hmac.Equal(m.Sum(nil), sig)
	}
	switch alg {
	case "RS256":
		return alg, rsa.VerifyPKCS1v15(&keys.rsa.PublicKey, crypto.SHA256, sum256[:], sig) == nil
	case "PS256":
		return alg, rsa.VerifyPSS(&keys.rsa.PublicKey, crypto.SHA256, sum256[:], sig, nil) == nil
	case "ES256":
		if len(sig) != 64 {
			return alg, false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return alg, ecdsa.Verify(&keys.ec.PublicKey, sum256[:], r, s)
	case "EdDSA":
		return alg, ed25519.Verify(keys.ed.Public().(ed25519.PublicKey), input, sig)
	case "HS256":
		return alg, hmacOK(sha256.New)
	case "HS512":
		return alg, hmacOK(sha512.New)
	}
	return alg, false
}

// fuzzNumericClaim reads a NumericDate the way encoding/json sees it.
func fuzzNumericClaim(m map[string]any, name string) (float64, bool, bool) {
	v, present := m[name]
	if !present {
		return 0, false, true
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, true, false
	}
	f, err := n.Float64()
	return f, true, err == nil
}

// fuzzDecodePayload decodes a token payload with encoding/json, numbers
// kept as json.Number.
func fuzzDecodePayload(payload []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return m, nil
}

// fuzzCheckTimes fails unless the NumericDates of m pass at now with the
// fuzz leeway: exp present and not past, nbf and iat not in the future.
func fuzzCheckTimes(t *testing.T, m map[string]any, now time.Time) {
	t.Helper()
	leeway := fuzzLeeway.Seconds()
	at := float64(now.Unix())
	exp, present, ok := fuzzNumericClaim(m, "exp")
	if !present || !ok || exp+leeway <= at {
		t.Fatalf("accepted exp %v (present %v) at %d", m["exp"], present, now.Unix())
	}
	for _, name := range []string{"nbf", "iat"} {
		v, present, ok := fuzzNumericClaim(m, name)
		if present && (!ok || v > at+leeway || v < 0) {
			t.Fatalf("accepted %s %v at %d", name, m[name], now.Unix())
		}
	}
}

// fuzzCheckAccepted fails the test unless an accepted token independently
// satisfies every rule the fuzz verifier is configured with.
func fuzzCheckAccepted(t *testing.T, token string, c *jwtguard.Claims) {
	t.Helper()
	alg, ok := fuzzIndependentSig(t, token)
	if !ok {
		t.Fatalf("accepted a token whose signature does not verify independently (alg %q)", alg)
	}
	parts := strings.Split(token, ".")
	hdrJSON, _ := fuzzB64.DecodeString(parts[0])
	payload, _ := fuzzB64.DecodeString(parts[1])
	var hdr map[string]any
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		t.Fatalf("accepted header that encoding/json rejects: %v", err)
	}
	if _, ok := hdr["crit"]; ok {
		t.Fatal("accepted a token with crit")
	}
	if b, ok := hdr["b64"]; ok && b != true {
		t.Fatal("accepted a token with b64 other than true")
	}
	// Asymmetric keys all carry kids, so a token naming another kid must
	// fail; an empty kid counts as none. The HMAC secret has no kid; static
	// kid-less keys verify tokens with any kid no key carries (documented
	// for StaticKeys).
	if kid, ok := hdr["kid"]; ok && kid != "" {
		if want, known := fuzzKid[alg]; known && kid != want {
			t.Fatalf("accepted kid %v for alg %s", kid, alg)
		}
	}
	m, err := fuzzDecodePayload(payload)
	if err != nil {
		t.Fatalf("accepted payload that encoding/json rejects: %v", err)
	}
	if m["iss"] != fuzzIssuer || c.Issuer != fuzzIssuer {
		t.Fatalf("accepted iss %v", m["iss"])
	}
	audOK := false
	switch a := m["aud"].(type) {
	case string:
		audOK = a == fuzzAudience
	case []any:
		for _, x := range a {
			if _, isStr := x.(string); !isStr {
				t.Fatalf("accepted non-string aud element %v", x)
			}
			audOK = audOK || x == fuzzAudience
		}
	}
	if !audOK {
		t.Fatalf("accepted aud %v", m["aud"])
	}
	fuzzCheckTimes(t, m, fuzzNow)
}

func FuzzVerify(f *testing.F) {
	v := fuzzVerifier(f)
	// The same configuration with the token cache: verdicts must not depend
	// on it, also when the token is seen a second time.
	cached := fuzzVerifier(f, jwtguard.WithCache(256, time.Minute))
	// Valid tokens for every algorithm, and the same header/payload for the
	// signed mode.
	for i, alg := range fuzzAlgs {
		hdr, payload := fuzzHeaderJSON(alg), fuzzClaimsJSON("")
		tok := fuzzMint(f, alg, hdr, payload)
		f.Add(tok, hdr, payload, uint8(i))
	}
	valid := fuzzMint(f, "RS256", fuzzHeaderJSON("RS256"), fuzzClaimsJSON(""))
	parts := strings.Split(valid, ".")
	attacks := []struct {
		hdr, payload string
	}{
		{`{"alg":"none"}`, string(fuzzClaimsJSON(""))},
		{`{"alg":"NoNe","kid":"rs"}`, string(fuzzClaimsJSON(""))},
		{`{"alg":"HS256","kid":"rs"}`, string(fuzzClaimsJSON(""))},
		{`{"alg":"RS256","alg":"HS256"}`, string(fuzzClaimsJSON(""))},
		{`{"alg":"RS256","kid":"rs","crit":["exp"],"exp":1}`, string(fuzzClaimsJSON(""))},
		{`{"alg":"RS256","kid":"rs","b64":false,"crit":["b64"]}`, string(fuzzClaimsJSON(""))},
		{`{"alg":"RS256","kid":"rs","jku":"https://evil.test/jwks"}`, string(fuzzClaimsJSON(""))},
		{`{"alg":"RS256","kid":"../../etc/passwd"}`, string(fuzzClaimsJSON(""))},
		{`{"alg":"RS256","kid":"rs"}`, `{"iss":"evil","iss":"` + fuzzIssuer + `","aud":"` + fuzzAudience + `","exp":4102444800}`},
		{`{"alg":"RS256","kid":"rs"}`, `{"\u0069ss":"evil","iss":"` + fuzzIssuer + `","aud":"` + fuzzAudience + `","exp":4102444800}`},
		{`{"alg":"RS256","kid":"rs"}`, `{"iss":"` + fuzzIssuer + `","aud":"` + fuzzAudience + `","exp":"4102444800"}`},
		{`{"alg":"RS256","kid":"rs"}`, `{"iss":"` + fuzzIssuer + `","aud":[],"exp":4102444800}`},
		{`{"alg":"RS256","kid":"rs"}`, `{"iss":"` + fuzzIssuer + `","aud":"` + fuzzAudience + `","exp":1e300}`},
		{`{"alg":"RS256","kid":"rs"}`, `{"iss":"` + fuzzIssuer + `","aud":"` + fuzzAudience + `","exp":4102444800,"nbf":4102444700}`},
		{`{"alg":"RS256","kid":"rs"}`, `{"iss":"` + fuzzIssuer + `/","aud":"` + fuzzAudience + `","exp":4102444800}`},
		{`{"alg":"RS256","kid":"rs"}`, `[]`},
		{`null`, `null`},
	}
	for _, a := range attacks {
		unsigned := fuzzB64.EncodeToString([]byte(a.hdr)) + "." + fuzzB64.EncodeToString([]byte(a.payload))
		f.Add(unsigned+".", []byte(a.hdr), []byte(a.payload), uint8(0))
		f.Add(unsigned+"."+parts[2], []byte(a.hdr), []byte(a.payload), uint8(4))
	}
	f.Add(parts[0]+"."+parts[1], []byte(nil), []byte(nil), uint8(1))
	f.Add(valid+"."+parts[2], []byte(nil), []byte(nil), uint8(2))
	f.Add(parts[0]+"."+parts[1]+"."+parts[2]+parts[2], []byte(nil), []byte(nil), uint8(3))
	f.Add(parts[0]+"."+parts[1]+"==."+parts[2], []byte(nil), []byte(nil), uint8(3))

	sameVerdict := func(t *testing.T, token string, c *jwtguard.Claims, err error) {
		t.Helper()
		for range 2 {
			c2, err2 := cached.Verify(context.Background(), token)
			if (err == nil) != (err2 == nil) {
				t.Fatalf("cache changes the verdict: %v vs %v", err, err2)
			}
			if err == nil && (c2.Subject != c.Subject || c2.Issuer != c.Issuer || !c2.ExpiresAt.Equal(c.ExpiresAt)) {
				t.Fatal("cache changes the claims")
			}
		}
	}
	f.Fuzz(func(t *testing.T, token string, hdr, payload []byte, which uint8) {
		ctx := context.Background()
		c, err := v.Verify(ctx, token)
		sameVerdict(t, token, c, err)
		if err == nil {
			fuzzCheckAccepted(t, token, c)
		} else {
			var e *jwtguard.Error
			if !errors.As(err, &e) || e.Status == 0 || e.Status == http.StatusInternalServerError {
				t.Fatalf("error is not a *jwtguard.Error with a client status: %#v", err)
			}
			if len(token) >= 16 && strings.Contains(err.Error(), token) {
				t.Fatal("error message contains the token")
			}
		}
		// Signed mode: a genuine signature over fuzzed header and payload.
		// Whatever they say, an accepted token must satisfy every rule.
		if len(hdr)+len(payload) > 6<<10 {
			return
		}
		alg := fuzzAlgs[int(which)%len(fuzzAlgs)]
		signed := fuzzMint(t, alg, hdr, payload)
		c, err = v.Verify(ctx, signed)
		sameVerdict(t, signed, c, err)
		if err == nil {
			fuzzCheckAccepted(t, signed, c)
		}
	})
}

// fuzzB64TokenRE is RFC 6750 §2.1's b64token.
var fuzzB64TokenRE = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

func FuzzExtractors(f *testing.F) {
	valid := fuzzMint(f, "ES256", fuzzHeaderJSON("ES256"), fuzzClaimsJSON(""))
	oneOf := jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie("at"), jwtguard.FromQuery("access_token"))
	v := fuzzVerifier(f, jwtguard.WithExtractor(oneOf))
	for _, s := range []struct {
		auth, auth2, cookie, query string
		flags                      uint8
	}{
		{"Bearer " + valid, "", "", "", 1},
		{"bearer " + valid, "", "", "", 1},
		{"BEARER   " + valid, "", "", "", 1},
		{"Bearer " + valid, "Bearer " + valid, "", "", 3},
		{"Bearer", "", "", "", 1},
		{"Bearer ", "", "", "", 1},
		{"Basic dXNlcjpwYXNz", "", "", "", 1},
		{"Bearer a b", "", "", "", 1},
		{"Bearer abc==def", "", "", "", 1},
		{"Bearer " + valid + "\r\nX: y", "", "", "", 1},
		{"", "", valid, "", 4 | 8},
		{"", "", valid, "", 4},
		{"", "", valid + "; at=" + valid, "", 0},
		{"", "", valid + "; at=x" + valid, "", 0},
		{"", "", "\"" + valid + "\"", "", 0},
		{"", "", "", "access_token=" + valid, 0},
		{"", "", "", "access_token=" + valid + "&access_token=x", 0},
		{"", "", "", "access_token=%zz", 0},
		{"Bearer " + valid, "", valid, "", 1},
		{"Bearer " + valid, "", "", "access_token=" + valid, 1},
		{"", "", valid, "access_token=" + valid, 0},
		{"Bearer \x00", "", "", "", 1},
		{"Bearer ünïcode", "", "", "", 1},
	} {
		f.Add(s.auth, s.auth2, s.cookie, s.query, s.flags)
	}
	extractors := []struct {
		name string
		e    jwtguard.Extractor
		src  string
	}{
		{"header", jwtguard.FromAuthHeader(), "header"},
		{"cookie", jwtguard.FromCookie("at"), "cookie"},
		{"query", jwtguard.FromQuery("access_token"), "query"},
		// Not part of oneOf: checked alone.
		{"raw-header", jwtguard.FromHeader("X-Token", ""), "header"},
	}
	f.Fuzz(func(t *testing.T, auth, auth2, cookie, query string, flags uint8) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "api.example.test", Path: "/", RawQuery: query},
			Host: "api.example.test", Header: http.Header{}}
		if flags&1 != 0 {
			r.Header["Authorization"] = []string{auth}
			r.Header["X-Token"] = []string{auth}
		}
		if flags&2 != 0 {
			r.Header["Authorization"] = append(r.Header["Authorization"], auth2)
		}
		if cookie != "" {
			r.Header["Cookie"] = []string{"at=" + cookie}
		}
		if flags&4 != 0 {
			r.Method = http.MethodPost
		}
		if flags&8 != 0 {
			r.Header["Sec-Fetch-Site"] = []string{"cross-site"}
		}
		inputs := []string{auth, auth2, cookie, query}
		var errs, found int // among the extractors oneOf combines
		var single jwtguard.Credential
		for i, x := range extractors {
			cred, err := x.e.Extract(r)
			if err != nil {
				if cred.Token != "" {
					t.Fatalf("%s: token returned with an error", x.name)
				}
				if !errors.Is(err, jwtguard.ErrInvalidRequest) || jwtguard.AsError(err).Status != http.StatusBadRequest {
					t.Fatalf("%s: error is not 400 invalid_request: %v", x.name, err)
				}
				for _, in := range inputs {
					if len(in) >= 12 && strings.Contains(in, ".") && strings.Contains(err.Error(), in) {
						t.Fatalf("%s: error message echoes the input", x.name)
					}
				}
				if i < 3 {
					errs++
				}
				continue
			}
			if cred.Token == "" {
				continue
			}
			if i < 3 {
				found++
				single = cred
			}
			if !fuzzB64TokenRE.MatchString(cred.Token) {
				t.Fatalf("%s: extracted %q, not a b64token", x.name, cred.Token)
			}
			if cred.Source != x.src || cred.Scheme != "Bearer" {
				t.Fatalf("%s: source %q scheme %q, want %q Bearer", x.name, cred.Source, cred.Scheme, x.src)
			}
			from := false
			for _, in := range inputs {
				from = from || strings.Contains(in, cred.Token)
			}
			if !from {
				if u, err := url.QueryUnescape(query); err != nil || !strings.Contains(u, cred.Token) {
					t.Fatalf("%s: token %q does not come from the request", x.name, cred.Token)
				}
			}
			if x.src == "cookie" {
				// Cookie tossing: differing duplicates never yield a token.
				var values []string
				for _, ck := range r.CookiesNamed("at") {
					if ck.Value != "" && !slices.Contains(values, ck.Value) {
						values = append(values, ck.Value)
					}
				}
				if len(values) != 1 || values[0] != cred.Token {
					t.Fatalf("cookie: extracted a token from the differing cookies %q", values)
				}
			}
		}
		if flags&3 == 3 {
			if _, err := jwtguard.FromAuthHeader().Extract(r); !errors.Is(err, jwtguard.ErrInvalidRequest) {
				t.Fatalf("two Authorization headers: err = %v, want ErrInvalidRequest", err)
			}
		}
		// FromOneOf: a malformed credential anywhere, or credentials sent
		// more than one way, is invalid_request; else the one credential.
		cred, err := oneOf.Extract(r)
		switch {
		case errs > 0 || found > 1:
			if !errors.Is(err, jwtguard.ErrInvalidRequest) {
				t.Fatalf("FromOneOf with %d malformed and %d found credentials: %+v, %v; want ErrInvalidRequest", errs, found, cred, err)
			}
		case err != nil || cred != single:
			t.Fatalf("FromOneOf = %+v, %v; want %+v", cred, err, single)
		}
		c, err := v.Authenticate(r)
		if err != nil {
			if s := jwtguard.AsError(err).Status; s == 0 || s == http.StatusInternalServerError {
				t.Fatalf("Authenticate error has no proper status: %v", err)
			}
			return
		}
		fuzzCheckAccepted(t, cred.Token, c)
		if cred.Source == "cookie" && r.Method == http.MethodPost && flags&8 != 0 {
			t.Fatal("accepted a cookie token on a cross-site POST")
		}
	})
}

// fuzzClaimMode is one claim mapping FuzzClaims verifies with, and the same
// mapping as member-name paths for the encoding/json reference.
type fuzzClaimMode struct {
	claims      jwtguard.ClaimMap
	roles       [][]string
	scopes      [][]string
	permissions [][]string
	tenant      []string
}

var fuzzClaimModes = []fuzzClaimMode{
	{ // the defaults
		roles:  [][]string{{"roles"}},
		scopes: [][]string{{"scope"}, {"scp"}},
		tenant: []string{"tenant_id"},
	},
	{
		claims: jwtguard.ClaimMap{Roles: []string{"realm_access.roles"}, Scopes: []string{"scp"}, Tenant: "org.tid"},
		roles:  [][]string{{"realm_access", "roles"}},
		scopes: [][]string{{"scp"}},
		tenant: []string{"org", "tid"},
	},
	{ // several role paths merged, bracketed names, permissions apart
		claims: jwtguard.ClaimMap{
			Roles:       []string{"roles", "groups", "resource_access.[api.fuzz.test].roles"},
			Scopes:      []string{"scope"},
			Permissions: []string{"permissions"},
			Tenant:      "[https://fuzz.test/tenant]",
		},
		roles:       [][]string{{"roles"}, {"groups"}, {"resource_access", "api.fuzz.test", "roles"}},
		scopes:      [][]string{{"scope"}},
		permissions: [][]string{{"permissions"}},
		tenant:      []string{"https://fuzz.test/tenant"},
	},
}

// fuzzLookup follows path through objects decoded by encoding/json.
func fuzzLookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, seg := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// fuzzNames is the documented mapping of one claim value: a string is one
// name (split on the space character only when split is set), an array of
// strings lists names, an object's members whose value is true or a
// non-empty object or array are names (when members is set); any other
// shape, or an array holding a non-string, maps to nothing. Empty names are
// dropped.
func fuzzNames(v any, split, members bool) []string {
	var out []string
	switch x := v.(type) {
	case string:
		if split {
			out = strings.Split(x, " ")
		} else {
			out = []string{x}
		}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
	case map[string]any:
		if members {
			for k, v := range x {
				switch g := v.(type) {
				case bool:
					if g {
						out = append(out, k)
					}
				case map[string]any:
					if len(g) > 0 {
						out = append(out, k)
					}
				case []any:
					if len(g) > 0 {
						out = append(out, k)
					}
				}
			}
		}
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// fuzzSameNames compares a mapped field with the reference as sets; the
// field must hold no duplicates and no empty name.
func fuzzSameNames(t *testing.T, field string, got, want []string) {
	t.Helper()
	g := slices.Clone(got)
	slices.Sort(g)
	if len(slices.Compact(slices.Clone(g))) != len(g) || slices.Contains(g, "") {
		t.Fatalf("%s %q holds duplicates or empty names", field, got)
	}
	w := slices.Clone(want)
	slices.Sort(w)
	w = slices.Compact(w)
	if !slices.Equal(g, w) {
		t.Fatalf("%s: jwtguard %q, encoding/json %q", field, g, w)
	}
}

func FuzzClaims(f *testing.F) {
	for _, s := range []string{
		string(fuzzClaimsJSON("")),
		string(fuzzClaimsJSON(`"scp":["a","b"],"realm_access":{"roles":["r1"]},"nbf":1.5`)),
		`{"exp":1}`,
		`{"exp":1,"aud":["a","b"],"roles":"one","tenant_id":"t"}`,
		`{"exp":1,"aud":[]}`,
		`{"exp":1,"aud":[""]}`,
		`{"exp":"1"}`,
		`{"exp":1e300}`,
		`{"exp":-1}`,
		`{"exp":9223372036854775808}`,
		`{"exp":1,"iss":"a","iss":"b"}`,
		`{"exp":1,"\u0069ss":"a","iss":"b"}`,
		`{"exp":1,"roles":null}`,
		`{"exp":1,"roles":[1]}`,
		`{"exp":1,"roles":{"admin":{"org1":"a"},"viewer":{}}}`,
		`{"exp":1,"roles":["a","a",""],"groups":["a","b"],"resource_access":{"api.fuzz.test":{"roles":"c"}}}`,
		`{"exp":1,"scope":"a  b","scp":"c"}`,
		`{"exp":1,"scope":"transfer:acct-123\u00a0admin read\tadmin"}`,
		`{"exp":1,"scope":"read","permissions":["write:orders"],"scp":["x y"]}`,
		`{"exp":1,"tenant_id":["t1","t2"],"org":{"tid":"t3"},"https://fuzz.test/tenant":{"t4":{}}}`,
		`{"exp":1,"azp":"","client_id":"c1","cid":2,"appid":"a1"}`,
		`{"exp":1,"a":{"b":{"c":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}}`,
		`[]`, `null`, `{"exp":1}x`, "{\"exp\":1,\"s\":\"\xff\"}",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(2))
	}
	// One verifier per mode, for tokens of any iss and aud (the claims are
	// what is fuzzed here), at a clock each input sets.
	var clock atomic.Int64 // Unix seconds
	verifiers := make([]*jwtguard.Verifier, len(fuzzClaimModes))
	for i, mode := range fuzzClaimModes {
		v, err := jwtguard.New(
			jwtguard.Trust(jwtguard.Issuer{Keys: jwtguard.HMAC(fuzzHMAC), Claims: mode.claims, MaxTokenSize: 1 << 20}),
			jwtguard.WithoutIssuerCheck(), jwtguard.WithoutAudienceCheck(),
			jwtguard.WithAlgorithms("HS256"), jwtguard.WithClock(func() time.Time { return time.Unix(clock.Load(), 0) }), jwtguard.WithLeeway(fuzzLeeway))
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = v.Close() })
		verifiers[i] = v
	}
	sentinelsOK := []error{jwtguard.ErrMalformedToken, jwtguard.ErrInvalidClaim, jwtguard.ErrMissingClaim,
		jwtguard.ErrTokenExpired, jwtguard.ErrTokenNotYetValid, jwtguard.ErrTokenIssuedInFuture, jwtguard.ErrTokenTooLarge}
	hdr := []byte(`{"alg":"HS256","typ":"JWT"}`)
	f.Fuzz(func(t *testing.T, payload []byte, modeByte uint8) {
		mode := fuzzClaimModes[int(modeByte)%len(fuzzClaimModes)]
		m, jsonErr := fuzzDecodePayload(payload)
		// The clock is set just before exp, so that time does not hide
		// the claims from the checks below.
		now := fuzzNow
		if exp, present, ok := fuzzNumericClaim(m, "exp"); present && ok && exp >= 1 && exp <= fuzzMaxNumericDate {
			now = time.Unix(int64(exp)-1, 0)
		}
		clock.Store(now.Unix())
		token := fuzzMint(t, "HS256", hdr, payload)
		c, err := verifiers[int(modeByte)%len(fuzzClaimModes)].Verify(context.Background(), token)
		if err != nil {
			if !slices.ContainsFunc(sentinelsOK, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("Verify error wraps no expected sentinel: %v", err)
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatal("Verify accepted JSON that encoding/json rejects")
		}
		if jsonErr != nil {
			t.Fatalf("Verify accepted a payload that is not a JSON object for encoding/json: %v", jsonErr)
		}
		fuzzCheckTimes(t, m, now)
		str := func(name, got string) {
			v, present := m[name]
			if !present {
				if got != "" {
					t.Fatalf("%s = %q but absent", name, got)
				}
				return
			}
			if s, ok := v.(string); !ok || s != got {
				t.Fatalf("%s: jwtguard %q, encoding/json %#v", name, got, v)
			}
		}
		str("iss", c.Issuer)
		str("sub", c.Subject)
		str("jti", c.ID)
		if v, present := m["aud"]; present {
			var want []string
			switch a := v.(type) {
			case string:
				want = []string{a}
			case []any:
				for _, x := range a {
					s, ok := x.(string)
					if !ok {
						t.Fatalf("accepted non-string aud element %#v", x)
					}
					want = append(want, s)
				}
			default:
				t.Fatalf("accepted aud of type %T", v)
			}
			// "aud": [] reads as no audience.
			if !slices.Equal(want, c.Audience) || (len(want) == 0) != (c.Audience == nil) || slices.Contains(want, "") {
				t.Fatalf("aud: jwtguard %q, encoding/json %q", c.Audience, want)
			}
		} else if c.Audience != nil {
			t.Fatalf("aud %q but absent", c.Audience)
		}
		for _, d := range []struct {
			name string
			got  time.Time
		}{{"exp", c.ExpiresAt}, {"nbf", c.NotBefore}, {"iat", c.IssuedAt}} {
			f, present, ok := fuzzNumericClaim(m, d.name)
			if !present {
				if d.name == "exp" {
					t.Fatal("accepted claims without exp")
				}
				if !d.got.IsZero() {
					t.Fatalf("%s set but absent", d.name)
				}
				continue
			}
			if !ok || f < 0 || f > fuzzMaxNumericDate || math.IsNaN(f) {
				t.Fatalf("accepted %s = %v", d.name, m[d.name])
			}
			if d.got.Unix() != int64(f) {
				t.Fatalf("%s: jwtguard %d, encoding/json %v", d.name, d.got.Unix(), f)
			}
		}
		// The mappings: every path read, merged; wrong shapes map to
		// nothing and do not reject the token.
		mapped := func(paths [][]string, split, members bool) []string {
			var out []string
			for _, p := range paths {
				if v, ok := fuzzLookup(m, p); ok {
					out = append(out, fuzzNames(v, split, members)...)
				}
			}
			return out
		}
		fuzzSameNames(t, "roles", c.Roles, mapped(mode.roles, false, true))
		fuzzSameNames(t, "scopes", c.Scopes, mapped(mode.scopes, true, false))
		fuzzSameNames(t, "permissions", c.Permissions, mapped(mode.permissions, true, false))
		tenants := mapped([][]string{mode.tenant}, false, true)
		fuzzSameNames(t, "tenants", c.Tenants, tenants)
		if (len(c.Tenants) == 1 && c.Tenant != c.Tenants[0]) || (len(c.Tenants) != 1 && c.Tenant != "") {
			t.Fatalf("tenant %q with tenants %q", c.Tenant, c.Tenants)
		}
		client := ""
		for _, name := range []string{"azp", "client_id", "cid", "appid"} {
			if s, ok := m[name].(string); ok && s != "" {
				client = s
				break
			}
		}
		if c.ClientID != client {
			t.Fatalf("client: jwtguard %q, encoding/json %q", c.ClientID, client)
		}
		var raw json.RawMessage
		if err := c.Decode(&raw); err != nil || !bytes.Equal(raw, payload) {
			t.Fatalf("Decode(*json.RawMessage) = %q, %v; want the signed payload", raw, err)
		}
		var back map[string]any
		if err := c.Decode(&back); err != nil {
			t.Fatalf("Decode of accepted claims: %v", err)
		}
	})
}

// fuzzJWKSTransport serves its bytes as every JWKS response, in memory (so
// FuzzJWKS can run in a synctest bubble).
type fuzzJWKSTransport []byte

func (b fuzzJWKSTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/jwk-set+json"}},
		Body:          io.NopCloser(bytes.NewReader(b)),
		ContentLength: int64(len(b)),
		Request:       r,
	}, nil
}

// fuzzB64Decodings returns s decoded with every base64 alphabet and padding
// that decodes it, the leniency of any JWK library.
func fuzzB64Decodings(s string) [][]byte {
	var out [][]byte
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// fuzzB64Is reports whether member name of e decodes to the number want.
func fuzzB64Is(e map[string]any, name string, want *big.Int) bool {
	s, ok := e[name].(string)
	if !ok {
		return false
	}
	for _, b := range fuzzB64Decodings(s) {
		if new(big.Int).SetBytes(b).Cmp(want) == 0 {
			return true
		}
	}
	return false
}

// fuzzSigner is a private key the FuzzJWKS tokens are signed with.
type fuzzSigner struct {
	name  string
	key   crypto.Signer
	algs  []string
	never bool // a verifier must never accept its tokens (weak key)
	// holdsJWK reports whether the JWK e (decoded by encoding/json) is this
	// signer's public key.
	holdsJWK func(e map[string]any) bool
}

// holds reports whether the published key c is the signer's public key.
func (s fuzzSigner) holds(c fuzzPublished) bool {
	if c.pub != nil {
		pub, ok := s.key.Public().(interface{ Equal(crypto.PublicKey) bool })
		return ok && pub.Equal(c.pub)
	}
	return s.holdsJWK(c.e)
}

// fuzzPublished is one key a JWKS body may publish, as the reference reads
// it: a JWK object decoded by encoding/json, or an entry of Google's X.509
// map (e holds only its kid; pub is its certificate's key).
type fuzzPublished struct {
	e   map[string]any
	pub crypto.PublicKey
}

func fuzzSigners(tb testing.TB) []fuzzSigner {
	keys := fuzzKeys(tb)
	rsaHolds := func(pub *rsa.PublicKey) func(map[string]any) bool {
		return func(e map[string]any) bool {
			return e["kty"] == "RSA" && fuzzB64Is(e, "n", pub.N) && fuzzB64Is(e, "e", big.NewInt(int64(pub.E)))
		}
	}
	edPub := keys.ed.Public().(ed25519.PublicKey)
	return []fuzzSigner{
		{name: "rsa", key: keys.rsa, algs: []string{"RS256", "PS256"}, holdsJWK: rsaHolds(&keys.rsa.PublicKey)},
		{name: "ec", key: keys.ec, algs: []string{"ES256"}, holdsJWK: func(e map[string]any) bool {
			return e["kty"] == "EC" && e["crv"] == "P-256" && fuzzB64Is(e, "x", keys.ec.X) && fuzzB64Is(e, "y", keys.ec.Y)
		}},
		{name: "ed", key: keys.ed, algs: []string{"EdDSA"}, holdsJWK: func(e map[string]any) bool {
			if e["kty"] != "OKP" || e["crv"] != "Ed25519" {
				return false
			}
			s, _ := e["x"].(string)
			return slices.ContainsFunc(fuzzB64Decodings(s), func(b []byte) bool { return bytes.Equal(b, edPub) })
		}},
		{name: "weak-rsa", key: keys.weak, algs: []string{"RS256"}, never: true, holdsJWK: rsaHolds(&keys.weak.PublicKey)},
	}
}

// fuzzPublishedKeys returns every key a body may publish, read with
// encoding/json from its first JSON value (JWK libraries ignore what
// follows it): the members of "keys" (in any case, as a Go struct field
// would match it), the body itself (a lone JWK), and, for an object of
// strings, each PEM certificate under its member name as kid (Google's
// X.509 map).
func fuzzPublishedKeys(body []byte) []fuzzPublished {
	var top map[string]any
	if json.NewDecoder(bytes.NewReader(body)).Decode(&top) != nil || top == nil {
		return nil
	}
	out := []fuzzPublished{{e: top}}
	for name, v := range top {
		switch v := v.(type) {
		case []any:
			if !strings.EqualFold(name, "keys") {
				continue
			}
			for _, k := range v {
				if e, ok := k.(map[string]any); ok {
					out = append(out, fuzzPublished{e: e})
				}
			}
		case string:
			for rest := []byte(v); ; {
				var block *pem.Block
				if block, rest = pem.Decode(rest); block == nil {
					break
				}
				if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
					out = append(out, fuzzPublished{e: map[string]any{"kid": name}, pub: cert.PublicKey})
				}
			}
		}
	}
	return out
}

// fuzzJWKAllows reports whether the JWK e may verify a token with alg and
// kid ("" for none): kid matches, use is sig (or absent, or a SPIFFE
// bundle's jwt-svid), key_ops allows verify (or is absent), and its own alg,
// if any, is alg.
func fuzzJWKAllows(e map[string]any, alg, kid string) bool {
	if kid != "" && e["kid"] != kid {
		return false
	}
	if use, present := e["use"]; present && use != "" && use != "sig" && use != "jwt-svid" {
		return false
	}
	if ops, present := e["key_ops"]; present {
		l, ok := ops.([]any)
		if !ok || (len(l) > 0 && !slices.Contains(l, any("verify"))) {
			return false
		}
	}
	if a, present := e["alg"]; present && a != "" && a != alg && !(alg == "EdDSA" && a == "Ed25519") {
		return false
	}
	return true
}

// fuzzJWKSTokens caches tokens by signer, alg and kid across inputs (RSA
// signing dominates the cost otherwise); bounded.
var (
	fuzzJWKSTokensMu sync.Mutex
	fuzzJWKSTokens   = map[[3]string]string{}
)

func fuzzJWKSToken(tb testing.TB, s fuzzSigner, alg, kid string) string {
	key := [3]string{s.name, alg, kid}
	fuzzJWKSTokensMu.Lock()
	tok, ok := fuzzJWKSTokens[key]
	fuzzJWKSTokensMu.Unlock()
	if ok {
		return tok
	}
	hdr := map[string]string{"alg": alg}
	if kid != "" {
		hdr["kid"] = kid
	}
	hj, _ := json.Marshal(hdr)
	input := fuzzB64.EncodeToString(hj) + "." + fuzzB64.EncodeToString(fuzzClaimsJSON(""))
	tok = input + "." + fuzzB64.EncodeToString(fuzzSignWith(tb, alg, s.key, []byte(input)))
	fuzzJWKSTokensMu.Lock()
	if len(fuzzJWKSTokens) < 4096 {
		fuzzJWKSTokens[key] = tok
	}
	fuzzJWKSTokensMu.Unlock()
	return tok
}

func FuzzJWKS(f *testing.F) {
	keys := fuzzKeys(f)
	pub, _ := json.Marshal(fuzzPublicSet(f))
	f.Add(pub)
	priv, _ := jwk.FromRaw(keys.rsa)
	_ = priv.Set(jwk.KeyIDKey, "leaked")
	privSet := jwk.NewSet()
	_ = privSet.AddKey(priv)
	privJSON, _ := json.Marshal(privSet)
	f.Add(privJSON)
	mixed := fuzzPublicSet(f)
	weak, _ := jwk.FromRaw(&keys.weak.PublicKey)
	_ = weak.Set(jwk.KeyIDKey, "weak")
	_ = mixed.AddKey(weak)
	oct, _ := jwk.FromRaw(fuzzHMAC)
	_ = oct.Set(jwk.KeyIDKey, "hs")
	_ = mixed.AddKey(oct)
	mixedJSON, _ := json.Marshal(mixed)
	f.Add(mixedJSON)
	// Google's X.509 map: kid → PEM certificate.
	x509Map, _ := json.Marshal(map[string]string{"rs": fuzzCertPEM(f, keys.rsa), "ed": fuzzCertPEM(f, keys.ed), "weak": fuzzCertPEM(f, keys.weak)})
	f.Add(x509Map)
	for _, s := range []string{
		`{"keys":[]}`,
		`{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","kid":"h","alg":"HS256"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"bad"}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"tiny"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"RS256"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":["encrypt"]}]}`,
		`{"keys":[{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"},{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"pvyA9yHIFlcMOATWKG9wPHQ_a70QcUBoijUVKHiMFkw","y":"i6ujhef_ybVMkwz3f-yYFVttlMvt9GtZ-jI8udJv3kU","kid":"es","alg":"ES384"}]}`,
		`{"keys":[`, `[]`, `null`, `<html></html>`, `{"keys":[{"kty":"RSA"}]}`,
		`{"spiffe_sequence":1,"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"jwt-svid","kid":"s"},{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"x509-svid","kid":"x"}]}`,
	} {
		f.Add([]byte(s))
	}
	signers := fuzzSigners(f)
	discard := slog.New(slog.DiscardHandler)
	hsAlgs := []string{"HS256", "HS384", "HS512"}
	f.Fuzz(func(t *testing.T, body []byte) {
		published := fuzzPublishedKeys(body)
		var kids []string // "" (no kid header) and the body's kids
		kids = append(kids, "")
		var secrets [][]byte // the oct keys' k, tried as HMAC secrets
		for _, c := range published {
			e := c.e
			if kid, ok := e["kid"].(string); ok && kid != "" && len(kids) < 5 && !slices.Contains(kids, kid) {
				kids = append(kids, kid)
			}
			if k, ok := e["k"].(string); ok && e["kty"] == "oct" && len(secrets) < 2 {
				for _, s := range fuzzB64Decodings(k) {
					if len(s) > 0 {
						secrets = append(secrets, s)
					}
				}
			}
		}
		synctest.Test(t, func(t *testing.T) {
			src := jwtguard.JWKS("https://jwks.fuzz.test/jwks.json").WithHTTPClient(&http.Client{Transport: fuzzJWKSTransport(body)})
			v, err := jwtguard.New(
				jwtguard.WithIssuer(fuzzIssuer, src),
				jwtguard.WithAudience(fuzzAudience),
				jwtguard.WithAlgorithms("RS256", "PS256", "ES256", "EdDSA", "HS256", "HS384", "HS512"),
				jwtguard.WithClock(func() time.Time { return fuzzNow }),
				jwtguard.WithLeeway(fuzzLeeway),
				jwtguard.WithLogger(discard),
			)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := v.Ready(ctx); err != nil {
				// No usable key set: everything fails closed with 503.
				_, err := v.Verify(context.Background(), fuzzJWKSToken(t, signers[0], "RS256", ""))
				if !errors.Is(err, jwtguard.ErrKeysUnavailable) {
					t.Fatalf("Verify without a loaded key set = %v, want ErrKeysUnavailable", err)
				}
				return
			}
			for _, s := range signers {
				for _, alg := range s.algs {
					for _, kid := range kids {
						tok := fuzzJWKSToken(t, s, alg, kid)
						if _, err := v.Verify(context.Background(), tok); err != nil {
							continue
						}
						if s.never {
							t.Fatalf("accepted a %s token (kid %q) signed with a 1024-bit RSA key", alg, kid)
						}
						if !slices.ContainsFunc(published, func(c fuzzPublished) bool { return s.holds(c) && fuzzJWKAllows(c.e, alg, kid) }) {
							t.Fatalf("accepted a %s token (kid %q) of the %s key, but the body publishes no such key for %s signatures with that kid", alg, kid, s.name, alg)
						}
					}
				}
			}
			for _, secret := range secrets {
				for _, alg := range hsAlgs {
					for _, kid := range kids {
						hdr := fmt.Sprintf(`{"alg":%q}`, alg)
						if kid != "" {
							hdr = fmt.Sprintf(`{"alg":%q,"kid":%q}`, alg, kid)
						}
						input := fuzzB64.EncodeToString([]byte(hdr)) + "." + fuzzB64.EncodeToString(fuzzClaimsJSON(""))
						tok := input + "." + fuzzB64.EncodeToString(fuzzSignWith(t, alg, secret, []byte(input)))
						if _, err := v.Verify(context.Background(), tok); err == nil {
							t.Fatalf("accepted an %s token (kid %q) signed with an oct key of a remote key set", alg, kid)
						}
					}
				}
			}
		})
	})
}

// fuzzCertPEM returns a self-signed PEM certificate for key.
func fuzzCertPEM(tb testing.TB, key crypto.Signer) string {
	tb.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: fuzzNow.Add(-time.Hour), NotAfter: fuzzNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// Fixed keys, so that the committed seeds (signed with them) verify in
// every run.
const fuzzRSAPEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDPMnnUDBRyNZIc
m6+sAdRnvowA9EihNcw83ojcDPrOnZ31ibuTtKq/7F1TfLDXW6kih3+fsH/X4Pxr
1V1SQqYXm5VwXxDvvJzRoQiAgRoDf3ZHDq/uLtZiIfXTlHjCjx8V2k+cu/l3nMxD
3Q0Jfr1pOcj4oZ5kYyqE93KkRvQzVshENuwp2nMZguanH0dSWcoRE8SCBNHc3ZN9
egSXdrWwnIHBUIx0VwfqEw1l6+sCtnzsMf2UfzHIT9RmaR0rtMgfsdR0PbgshAQ3
rdnWfULAvQ/Hp1wvwBYyM7iw8sWY/BXHRUBP7ammX8ToFBGvcKujk6KGoOUKSE3k
cHaoWV1bAgMBAAECggEAKzcG6/A9D3kW6XqbUE/tYln+z3Aj+ePDnmp3txXJ9fAv
8vdwNSV4e6Er8e7O34wRoc8LEl54u6kEXOVamn6mL8RWjeJ2INqBBsQEhvDmYRZj
r/xjO1Vvh3Y31JJiAYpiXGd1NWaLaKQ+gmUHhBR4IwtXXGwxIhUA2EzYD2VxJ4ew
8adcU92/bGouRWcWvqGCTpoeJ1fbQQMB03TGyv5L2kp+9okctnhPOwEIpKendwPK
qrjUvbPE6orwKa/YQcWTNtDuhk8Jzl3MZDbr5t37OhRaha0ctWGij0oS6epNeif7
qrshQ1X+GKafeDO8R/Lc15BR7gq6XuXGZTZFkV7YCQKBgQDzsaZIISnVu/O0PKnX
Tinv97IP9zZYkn0+hADg+vqyVQ7JuT1i5kfmk0jP2iFSWeL6m7mHFKzrkbBSq+/N
veLkHksA9BInErNLrJd9FsEVfhoBThhBHy8W9lNLkRjSB5HIk+3m2kN6NvF+NbkZ
xdKTKVVRccXJSUMQPQ91kmJEHQKBgQDZqQPIszr079rsFFHQLHxlgxicySwa64e9
YJTCTV+fotPomA7oA1Fg6pvzPLbMTNh/LVOYtNBCPLGfa41B1to+a11mO+m3F+mU
APVvdnPdQD9fROHvSXUJVHlcBobAhjT8HIif0Fy3UToYpYXBBnTvLFRtBIMmz5He
I3+96dB91wKBgGJz2hb39vvXpDyj6YYHmR/OtUyH9pfQDvNrxyMdopzbik7rHKbR
HClGRbtbh+zKTc4rjcfKDZZaVJ8Bwa8gUQMSTgEDmjXY80DWaJlr0PQK7xyp3Vip
7Y9cUwiLhTiNQFOFmC6U7X/5pJT1xWNpLYqwvzxZN6v7gjGUSaOZUUPtAoGBALXK
nVd2oupKnq2I9yAI18ktKlRhDY5aY9//F6AFYbWCGL1uqxyLEOACc0g/0GloUXY/
FFA5zKtV6AC/opZ37YYuxC6MIdMDjNpJxrRW2cTUUVmvvYjO8IpfXJFI/ik0rnJX
HqFkNNwDYqONM96ZFvdgLg9zslqrCSjgu2OSMsm3AoGBAPMmtYZQjg4zQfIg5m9X
i69I4LnMFtUK20ohdXBN6ztaGm9Cdnm944/OfcBw9KaLGnFmH6TRh9EDKqrvsdAw
eT4THBGJ8GGL3/S08Hozpg1tijj3/9E78JBwncm4GvWSDg4VpvirXXwWDdcGahty
PqXrZ9y9c5+hP0X+7Za8JS0M
-----END PRIVATE KEY-----`

const fuzzECPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgceysnb3ZvDcfIsk6
mBsIhJ5te5+JvVBsxQfg6N9XYbShRANCAASm/ID3IcgWVww4BNYob3A8dD9rvRBx
QGiKNRUoeIwWTIuro4Xn/8m1TJMM93/smBVbbZTL7fRrWfoyPLnSb95F
-----END PRIVATE KEY-----`

const fuzzEdPEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIF3p5XjNN9xy/Ih+GcVgjUK4RdE8vLh6JugNFnGy2/L7
-----END PRIVATE KEY-----`

// fuzzWeakRSAPEM is a 1024-bit RSA key: below jwtguard's 2048-bit minimum.
const fuzzWeakRSAPEM = `-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAMCP6zHO9CwSlkqB
VM06mGH1DjXLeTGMxZmpGdfnDrcuGrZriXCRmximHhUxDrP0pLpIQFgvzx8zqJuf
mT47KwzlIj4Ur/VwuXcpGcE5ot5hx8dCAOH69xoEExF8k30Oh2tf6PvpFZNz+WAU
R64w1Kfa9Hm7xDBbVne3rhs4xOtLAgMBAAECgYBiffptuo4XsNYge7BVXKAuknpX
N6DgoEE9zEmErhFPzowpPC3LXx52aBlA+5uqnfpXsbb/pEyLiA+4sdRfCUKF7V3g
BuVQWq7Mj5s3g9xk98O8VQomRAxBHQch7vyQgb7opAimt/D3XAFlaOYeCJg32IqG
wbFh6B0mzZF4l5sfwQJBAOzmk2Hljn77+n7fkXnMZFsV1OD+YO2u2EP6BMO2jmPL
sANkd3XZBm4Df/8FES2/gpKdkL2JI87pW35C5IXoESsCQQDQFjwdyE7D/FhkyxkF
Y4C85LOav95xe8B978Wg2yoUmCP3Q5bnfUmWuMLHEYvM6VI2gRZHYmu7fCfhaGrU
Cj5hAkBDUGlEgfPxhSvybRhrIXbKovNwUxe7sdjlx98etXrURIZpEF0ZcWdwTzJJ
hmkRNL+nZXpBQPyZyJkk0WEZ440tAkAawbErNzWBl/IZy8/E1J2aLGI31NIaj4oZ
53nnDCdmDIYbZlKCI6cRvWI2TLhIOfw7S+/8b9hgfD94iX+rEkIhAkEAkBLoa7mk
/joNOjsTluXKJaH4LlMZ58lH07/yYsfzlnxWZF3FTW9P4vD1RVlXx72PTtVLfKck
MM6t2xNy3jpCGA==
-----END PRIVATE KEY-----`
