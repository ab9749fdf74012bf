package jwtguard_test

// The attack suite (issue 5 §1). Every case asserts two verdicts:
//
//   - library level: Verify returns an error matching the expected sentinel
//     (errors.Is);
//   - HTTP level: through nethttp.Middleware the request gets the expected
//     status (401 invalid_token unless stated), a WWW-Authenticate challenge,
//     a body that does not echo the token or its signature, and the
//     protected handler is never reached.
//
// Each group has a control case (a genuine token, accepted) so a verifier
// that refuses everything cannot pass. SECURITY.md maps attack classes to
// these test names.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
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
	"github.com/jwtguard/jwtguard/nethttp"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// attackCase is one hostile (or control) token.
type attackCase struct {
	name  string
	token string
	// want is the sentinel Verify must return; nil marks a control case
	// that must be accepted.
	want error
	// status is the expected HTTP status through the middleware when the
	// token is sent as "Authorization: Bearer <token>" (default 401, or
	// 200 for controls). 400 is expected where the token is not even valid
	// b64token syntax (RFC 6750 §2.1).
	status int
	// skipHTTP is set for tokens that cannot be carried in a header at all.
	skipHTTP bool
}

func secB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// secRaw assembles a compact JWS from raw header and payload JSON and a raw
// signature.
func secRaw(hdr, payload string, sig []byte) string {
	return secB64([]byte(hdr)) + "." + secB64([]byte(payload)) + "." + secB64(sig)
}

// secParts splits a compact token.
func secParts(tok string) (h, p, s string) {
	parts := strings.SplitN(tok, ".", 3)
	return parts[0], parts[1], parts[2]
}

func secSig(t testing.TB, tok string) []byte {
	t.Helper()
	_, _, s := secParts(tok)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secWithSig replaces the signature of tok.
func secWithSig(tok string, sig []byte) string {
	h, p, _ := secParts(tok)
	return h + "." + p + "." + secB64(sig)
}

// secClaimsJSON returns the default claims of iss as JSON, with overrides
// (nil deletes a claim).
func secClaimsJSON(t testing.TB, iss *jwtguardtest.Issuer, over map[string]any) string {
	t.Helper()
	c := iss.DefaultClaims()
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	secKeysOnce sync.Once
	secRSA      *rsa.PrivateKey
	secEC       *ecdsa.PrivateKey
	secEd       ed25519.PrivateKey
)

// secAttackerKeys returns keys that no verifier trusts (generated once per
// test binary).
func secAttackerKeys(t testing.TB) (*rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	secKeysOnce.Do(func() {
		var err error
		if secRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if secEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if _, secEd, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return secRSA, secEC, secEd
}

// protectedHandler returns the middleware-wrapped handler and a counter of
// requests that reached the protected handler.
func protectedHandler(v *jwtguard.Verifier) (http.Handler, *atomic.Int64) {
	var reached atomic.Int64
	h := nethttp.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if _, ok := jwtguard.FromContext(r.Context()); !ok {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	return h, &reached
}

// assertRefusedResponse checks an HTTP refusal: status, challenge, no token
// in the response.
func assertRefusedResponse(t *testing.T, rec *httptest.ResponseRecorder, status int, token string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("HTTP status = %d, want %d (body %s)", rec.Code, status, rec.Body.String())
	}
	challenge := rec.Header().Get("WWW-Authenticate")
	switch status {
	case http.StatusUnauthorized:
		if !strings.HasPrefix(challenge, "Bearer") {
			t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge", challenge)
		}
	case http.StatusBadRequest:
		if !strings.Contains(challenge, `error="invalid_request"`) {
			t.Fatalf("WWW-Authenticate = %q, want error=\"invalid_request\"", challenge)
		}
	case http.StatusServiceUnavailable:
		if rec.Header().Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
	}
	body := rec.Body.String() + challenge
	if token != "" && strings.Contains(body, token) {
		t.Fatal("response echoes the token")
	}
	if parts := strings.Split(token, "."); len(parts) == 3 && len(parts[2]) >= 16 && strings.Contains(body, parts[2]) {
		t.Fatal("response echoes the signature")
	}
}

// runAttacks checks every case against v at the library and HTTP levels.
func runAttacks(t *testing.T, v *jwtguard.Verifier, cases []attackCase) {
	t.Helper()
	if !slices.ContainsFunc(cases, func(c attackCase) bool { return c.want == nil }) {
		t.Fatal("attack table without a control token: a verifier that refuses everything would pass it")
	}
	h, reached := protectedHandler(v)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.token)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("control token refused: %v", err)
				}
				if c == nil {
					t.Fatal("nil claims for an accepted token")
				}
			} else {
				if err == nil {
					t.Fatalf("Verify accepted the token, want %v", tc.want)
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("Verify error = %v, want %v", err, tc.want)
				}
				var e *jwtguard.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T is not a *jwtguard.Error", err)
				}
			}
			if tc.skipHTTP {
				return
			}
			status := tc.status
			if status == 0 {
				status = http.StatusUnauthorized
				if tc.want == nil {
					status = http.StatusOK
				}
			}
			before := reached.Load()
			req := httptest.NewRequest(http.MethodGet, "/protected", nil)
			req.Header["Authorization"] = []string{"Bearer " + tc.token}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if status == http.StatusOK {
				if rec.Code != http.StatusOK || reached.Load() != before+1 {
					t.Fatalf("control request: status %d, reached %d", rec.Code, reached.Load()-before)
				}
				return
			}
			if reached.Load() != before {
				t.Fatal("protected handler was reached")
			}
			assertRefusedResponse(t, rec, status, tc.token)
			if challenge := rec.Header().Get("WWW-Authenticate"); status == http.StatusUnauthorized && !strings.Contains(challenge, `error="invalid_token"`) {
				t.Fatalf("WWW-Authenticate = %q, want error=\"invalid_token\"", challenge)
			}
		})
	}
}

// secShortKidHold keeps unknown-kid holds short. A token naming a kid the
// JWKS lacks waits for a fetch that starts after it, at most UnknownKidGap
// after the previous one (issue 12 item 4), and is then refused; the suite
// checks the verdict, internal/jwks tests the hold.
var secShortKidHold = jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: 10 * time.Millisecond})

// allCasings returns every upper/lower-case spelling of s.
func allCasings(s string) []string {
	out := []string{""}
	for _, r := range s {
		var next []string
		for _, p := range out {
			lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
			next = append(next, p+lo)
			if up != lo {
				next = append(next, p+up)
			}
		}
		out = next
	}
	return out
}

func TestAttackAlgNone(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	valid := iss.Mint(nil)
	payload := secClaimsJSON(t, iss, nil)
	cases := []attackCase{{name: "control", token: valid}}
	for _, alg := range allCasings("none") {
		for _, kid := range []string{"", iss.KeyID("RS256")} {
			hdr := fmt.Sprintf(`{"alg":%q,"typ":"JWT"}`, alg)
			if kid != "" {
				hdr = fmt.Sprintf(`{"alg":%q,"typ":"JWT","kid":%q}`, alg, kid)
			}
			cases = append(cases,
				attackCase{name: fmt.Sprintf("%s/kid=%v/no-signature", alg, kid != ""), token: secRaw(hdr, payload, nil), want: jwtguard.ErrAlgorithmNotAllowed},
				attackCase{name: fmt.Sprintf("%s/kid=%v/with-signature", alg, kid != ""), token: secRaw(hdr, payload, secSig(t, valid)), want: jwtguard.ErrAlgorithmNotAllowed},
			)
		}
	}
	// "none" signed by the issuer's own key: the signature is genuine, the
	// header still says none.
	cases = append(cases, attackCase{name: "none/genuinely-signed", token: iss.Mint(nil, jwtguardtest.WithHeader("alg", "none")), want: jwtguard.ErrAlgorithmNotAllowed},
		attackCase{name: "empty-alg", token: iss.Mint(nil, jwtguardtest.WithHeader("alg", "")), want: jwtguard.ErrMalformedToken},
		attackCase{name: "missing-alg", token: iss.Mint(nil, jwtguardtest.WithoutHeader("alg")), want: jwtguard.ErrMalformedToken},
		attackCase{name: "alg-not-a-string", token: iss.Mint(nil, jwtguardtest.WithHeader("alg", []string{"RS256"})), want: jwtguard.ErrMalformedToken},
	)
	runAttacks(t, v, cases)
}

// hmacSecretEncodings returns the public key in every encoding an attacker
// might feed a confused verifier as HMAC secret.
func hmacSecretEncodings(t *testing.T, pub crypto.PublicKey) map[string][]byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemPKIX := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	k, err := jwk.FromRaw(pub)
	if err != nil {
		t.Fatal(err)
	}
	jwkJSON, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{
		"pem":            pemPKIX,
		"pem-no-newline": []byte(strings.TrimSpace(string(pemPKIX))),
		"der":            der,
		"jwk-json":       jwkJSON,
	}
	if rk, ok := pub.(*rsa.PublicKey); ok {
		out["pem-pkcs1"] = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rk)})
		out["der-pkcs1"] = x509.MarshalPKCS1PublicKey(rk)
	}
	return out
}

func TestAttackHMACKeyConfusion(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	// Verifier 1: the usual asymmetric-only configuration.
	asym := iss.Verifier(t)
	// Verifier 2: HMAC is enabled too for the same issuer (its public keys
	// and a kid-less secret in one static set), the configuration in which
	// key confusion classically bites.
	set, err := jwk.Parse(iss.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(strings.Repeat("k", 64))
	allAlgs := jwtguard.WithAlgorithms("RS256", "PS256", "ES256", "EdDSA", "HS256", "HS384", "HS512")
	mixed, err := jwtguard.New(jwtguard.WithIssuer(iss.URL(), jwtguard.StaticKeys(set, secOctSet(t, secret))),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), allAlgs, jwtguard.WithRealm("jwtguard-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mixed.Close() })
	// Verifier 3: the usual shape with the new trust model: the asymmetric
	// issuer beside a second issuer whose key source is an HMAC secret.
	const hmacIss = "https://hmac.example.test"
	split, err := jwtguard.New(jwtguard.Trust(
		jwtguard.Issuer{ID: iss.URL(), Keys: jwtguard.StaticKeys(set)},
		jwtguard.Issuer{ID: hmacIss, Keys: jwtguard.HMAC(secret)},
	), jwtguard.WithAudience(jwtguardtest.DefaultAudience), allAlgs, jwtguard.WithRealm("jwtguard-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = split.Close() })
	asHMACIss := jwtguardtest.Claims{"iss": hmacIss}

	var asymCases, mixedCases, splitCases []attackCase
	asymCases = append(asymCases, attackCase{name: "control", token: iss.Mint(nil)})
	mixedCases = append(mixedCases,
		attackCase{name: "control-rs256", token: iss.Mint(nil)},
		attackCase{name: "control-hs512", token: iss.Mint(nil, jwtguardtest.WithAlg("HS512"), jwtguardtest.WithHMACKey(secret))})
	splitCases = append(splitCases,
		attackCase{name: "control-rs256", token: iss.Mint(nil)},
		attackCase{name: "control-hs512", token: iss.Mint(asHMACIss, jwtguardtest.WithAlg("HS512"), jwtguardtest.WithHMACKey(secret))})
	for _, keyAlg := range []string{"RS256", "ES256", "EdDSA"} {
		for enc, material := range hmacSecretEncodings(t, iss.PublicKey(keyAlg)) {
			for _, hs := range []string{"HS256", "HS384", "HS512"} {
				name := fmt.Sprintf("%s-public-key-%s-as-%s", keyAlg, enc, hs)
				withKid := iss.Mint(nil, jwtguardtest.WithAlg(hs), jwtguardtest.WithHMACKey(material), jwtguardtest.WithHeader("kid", iss.KeyID(keyAlg)))
				noKid := iss.Mint(nil, jwtguardtest.WithAlg(hs), jwtguardtest.WithHMACKey(material))
				asymCases = append(asymCases,
					attackCase{name: name + "/kid", token: withKid, want: jwtguard.ErrAlgorithmNotAllowed},
					attackCase{name: name + "/no-kid", token: noKid, want: jwtguard.ErrAlgorithmNotAllowed})
				mixedCases = append(mixedCases,
					// The kid names an asymmetric key: it never serves as a secret.
					attackCase{name: name + "/kid", token: withKid, want: jwtguard.ErrAlgorithmNotAllowed},
					// No kid: only the real secret is tried.
					attackCase{name: name + "/no-kid", token: noKid, want: jwtguard.ErrInvalidSignature})
				splitCases = append(splitCases,
					// Claiming the asymmetric issuer: its key source holds
					// no secret at all.
					attackCase{name: name + "/kid", token: withKid, want: jwtguard.ErrAlgorithmNotAllowed},
					attackCase{name: name + "/no-kid", token: noKid, want: jwtguard.ErrKeyNotFound},
					// Claiming the HMAC issuer: only its real secret is tried.
					attackCase{name: name + "/hmac-issuer/kid", token: iss.Mint(asHMACIss, jwtguardtest.WithAlg(hs), jwtguardtest.WithHMACKey(material), jwtguardtest.WithHeader("kid", iss.KeyID(keyAlg))), want: jwtguard.ErrInvalidSignature},
					attackCase{name: name + "/hmac-issuer/no-kid", token: iss.Mint(asHMACIss, jwtguardtest.WithAlg(hs), jwtguardtest.WithHMACKey(material)), want: jwtguard.ErrInvalidSignature})
			}
		}
	}
	t.Run("asymmetric-verifier", func(t *testing.T) { runAttacks(t, asym, asymCases) })
	t.Run("hmac-enabled-verifier", func(t *testing.T) { runAttacks(t, mixed, mixedCases) })
	t.Run("hmac-issuer-beside-verifier", func(t *testing.T) { runAttacks(t, split, splitCases) })

	// HMAC(secret), and an oct key of a static set, refuse a public key as
	// secret in every encoding, binary DER included (issue 12 item 16).
	for _, keyAlg := range []string{"RS256", "ES256", "EdDSA"} {
		for enc, material := range hmacSecretEncodings(t, iss.PublicKey(keyAlg)) {
			for name, keys := range map[string]*jwtguard.KeySource{
				"HMAC":             jwtguard.HMAC(material),
				"StaticKeys-oct":   jwtguard.StaticKeys(secOctSet(t, material)),
				"StaticKeys-mixed": jwtguard.StaticKeys(set, secOctSet(t, material)),
			} {
				_, err := jwtguard.New(jwtguard.WithIssuer(iss.URL(), keys),
					jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("HS256"))
				if err == nil || !strings.Contains(err.Error(), "public key") {
					t.Errorf("%s accepted the %s public key (%s) as HMAC secret: err = %v", name, keyAlg, enc, err)
				}
			}
		}
	}
}

// secOctSet returns a key set holding secret as one kid-less oct key.
func secOctSet(t *testing.T, secret []byte) jwk.Set {
	t.Helper()
	k, err := jwk.FromRaw(secret)
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	if err := set.AddKey(k); err != nil {
		t.Fatal(err)
	}
	return set
}

func TestAttackAlgKeyMismatch(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	algs := []string{"RS256", "PS256", "ES256", "EdDSA"}
	cases := []attackCase{}
	for _, signAlg := range algs {
		cases = append(cases, attackCase{name: "control-" + signAlg, token: iss.Mint(nil, jwtguardtest.WithAlg(signAlg))})
		for _, hdrAlg := range algs {
			if hdrAlg == signAlg {
				continue
			}
			// Genuinely signed with the key for signAlg, under its kid, but
			// the header claims hdrAlg.
			cases = append(cases, attackCase{
				name:  fmt.Sprintf("header-%s-key-%s", hdrAlg, signAlg),
				token: iss.Mint(nil, jwtguardtest.WithAlg(signAlg), jwtguardtest.WithHeader("alg", hdrAlg)),
				want:  jwtguard.ErrAlgorithmNotAllowed,
			}, attackCase{
				name:  fmt.Sprintf("header-%s-key-%s-no-kid", hdrAlg, signAlg),
				token: iss.Mint(nil, jwtguardtest.WithAlg(signAlg), jwtguardtest.WithHeader("alg", hdrAlg), jwtguardtest.WithoutHeader("kid")),
				want:  jwtguard.ErrInvalidSignature,
			})
		}
	}
	// Algorithms outside the allowlist, whatever the key.
	for _, alg := range []string{"RS384", "RS512", "PS384", "PS512", "ES384", "ES512", "HS256", "Ed25519", "rs256", "RS256 ", "ES256K", "RSA-OAEP", "dir"} {
		cases = append(cases, attackCase{
			name:  "not-allowed-" + alg,
			token: iss.Mint(nil, jwtguardtest.WithHeader("alg", alg)),
			want:  jwtguard.ErrAlgorithmNotAllowed,
		})
	}
	runAttacks(t, v, cases)
}

func TestAttackAlgorithmOutsideAllowlist(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	rsaKey, _, _ := secAttackerKeys(t)
	// The trusted RSA key names no alg, so it could mathematically verify
	// RS256 and PS256 alike; only RS256 is allowed.
	pub, err := jwk.FromRaw(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_ = pub.Set(jwk.KeyIDKey, "rsa-no-alg")
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	rsOnly, err := jwtguard.New(jwtguard.WithIssuer(iss.URL(), jwtguard.StaticKeys(set)),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("RS256"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rsOnly.Close() })
	mint := func(alg string) string {
		return iss.Mint(nil, jwtguardtest.WithAlg(alg), jwtguardtest.WithSigningKey(rsaKey), jwtguardtest.WithHeader("kid", "rsa-no-alg"))
	}
	runAttacks(t, rsOnly, []attackCase{
		{name: "control-RS256", token: mint("RS256")},
		{name: "PS256-with-RS256-key", token: mint("PS256"), want: jwtguard.ErrAlgorithmNotAllowed},
		{name: "RS512-with-RS256-key", token: mint("RS512"), want: jwtguard.ErrAlgorithmNotAllowed},
		{name: "PS512-with-RS256-key", token: mint("PS512"), want: jwtguard.ErrAlgorithmNotAllowed},
	})

	// PS256 allowed too, but the JWK pins RS256: a PS256 token under that
	// kid is refused even though the key could verify it.
	pinned, _ := jwk.FromRaw(&rsaKey.PublicKey)
	_ = pinned.Set(jwk.KeyIDKey, "rsa-no-alg")
	_ = pinned.Set(jwk.AlgorithmKey, "RS256")
	set2 := jwk.NewSet()
	_ = set2.AddKey(pinned)
	both, err := jwtguard.New(jwtguard.WithIssuer(iss.URL(), jwtguard.StaticKeys(set2)),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("RS256", "PS256"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = both.Close() })
	runAttacks(t, both, []attackCase{
		{name: "pinned/control-RS256", token: mint("RS256")},
		{name: "pinned/PS256-with-RS256-pinned-key", token: mint("PS256"), want: jwtguard.ErrAlgorithmNotAllowed},
	})
}

func TestAttackKid(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t, secShortKidHold)
	bigEntry := iss.Entry()
	bigEntry.MaxTokenSize = 1 << 20
	big := iss.VerifierFor(t, bigEntry, secShortKidHold)
	rsKid := iss.KeyID("RS256")
	kids := map[string]string{
		"unknown":        "no-such-key",
		"path-traversal": "../../../../../../etc/passwd",
		"path-absolute":  "/dev/null",
		"url":            "https://attacker.example/jwks.json",
		"sql":            "' OR '1'='1",
		"sql-drop":       "x'; DROP TABLE keys; --",
		"nul":            "\x00",
		"kid-with-nul":   rsKid + "\x00",
		"nul-prefix":     "\x00" + rsKid,
		"case-changed":   strings.ToLower(rsKid),
		"trailing-space": rsKid + " ",
		"unicode":        "ключ",
		"empty-object":   "{}",
		"crlf":           "a\r\nSet-Cookie: x=y",
	}
	cases := []attackCase{{name: "control", token: iss.Mint(nil)}}
	for name, kid := range kids {
		cases = append(cases, attackCase{name: name, token: iss.Mint(nil, jwtguardtest.WithHeader("kid", kid)), want: jwtguard.ErrKeyNotFound})
	}
	huge := strings.Repeat("A", 10<<10)
	cases = append(cases,
		attackCase{name: "10KB-kid-over-size-cap", token: iss.Mint(nil, jwtguardtest.WithHeader("kid", huge)), want: jwtguard.ErrTokenTooLarge},
		attackCase{name: "kid-number", token: iss.Mint(nil, jwtguardtest.WithHeader("kid", 1)), want: jwtguard.ErrMalformedToken},
		attackCase{name: "kid-null", token: iss.Mint(nil, jwtguardtest.WithHeader("kid", nil)), want: jwtguard.ErrMalformedToken},
		attackCase{name: "kid-array", token: iss.Mint(nil, jwtguardtest.WithHeader("kid", []string{rsKid})), want: jwtguard.ErrMalformedToken},
	)
	runAttacks(t, v, cases)
	// With a raised size cap the 10 KB kid reaches the key lookup and is
	// still unknown.
	runAttacks(t, big, []attackCase{
		{name: "big-cap/control", token: iss.Mint(nil)},
		{name: "10KB-kid", token: iss.Mint(nil, jwtguardtest.WithHeader("kid", huge)), want: jwtguard.ErrKeyNotFound},
		{name: "10KB-kid-of-NULs", token: iss.Mint(nil, jwtguardtest.WithHeader("kid", strings.Repeat("\x00", 10<<10))), want: jwtguard.ErrKeyNotFound},
	})
}

// countingServer counts requests; an attacker's jku/x5u endpoint.
func countingServer(t *testing.T, body []byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func selfSignedCert(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestAttackEmbeddedKeys(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t, secShortKidHold)
	atk, atkEC, _ := secAttackerKeys(t)
	atkJWK, _ := jwk.FromRaw(&atk.PublicKey)
	_ = atkJWK.Set(jwk.KeyIDKey, "attacker")
	_ = atkJWK.Set(jwk.AlgorithmKey, "RS256")
	atkSet := jwk.NewSet()
	_ = atkSet.AddKey(atkJWK)
	setJSON, _ := json.Marshal(atkSet)
	jwkJSON, _ := json.Marshal(atkJWK)
	var jwkMap map[string]any
	_ = json.Unmarshal(jwkJSON, &jwkMap)
	ecJWK, _ := jwk.FromRaw(&atkEC.PublicKey)
	ecJSON, _ := json.Marshal(ecJWK)
	var ecMap map[string]any
	_ = json.Unmarshal(ecJSON, &ecMap)
	jku, jkuHits := countingServer(t, setJSON)
	cert := base64.StdEncoding.EncodeToString(selfSignedCert(t, atk))
	x5u, x5uHits := countingServer(t, []byte("-----BEGIN CERTIFICATE-----\n"+cert+"\n-----END CERTIFICATE-----\n"))

	trusted := iss.KeyID("RS256")
	mint := func(kid string, hdr map[string]any) string {
		opts := []jwtguardtest.MintOption{jwtguardtest.WithSigningKey(atk)}
		if kid == "" {
			opts = append(opts, jwtguardtest.WithoutHeader("kid"))
		} else {
			opts = append(opts, jwtguardtest.WithHeader("kid", kid))
		}
		for k, v := range hdr {
			opts = append(opts, jwtguardtest.WithHeader(k, v))
		}
		return iss.Mint(nil, opts...)
	}
	ecMint := iss.Mint(nil, jwtguardtest.WithAlg("ES256"), jwtguardtest.WithSigningKey(atkEC), jwtguardtest.WithHeader("kid", "attacker-ec"), jwtguardtest.WithHeader("jwk", ecMap))
	cases := []attackCase{{name: "control", token: iss.Mint(nil)}}
	for name, hdr := range map[string]map[string]any{
		"jwk":         {"jwk": jwkMap},
		"jku":         {"jku": jku.URL + "/jwks.json"},
		"x5u":         {"x5u": x5u.URL + "/cert.pem"},
		"x5c":         {"x5c": []string{cert}},
		"all":         {"jwk": jwkMap, "jku": jku.URL, "x5u": x5u.URL, "x5c": []string{cert}},
		"x5t":         {"x5c": []string{cert}, "x5t#S256": secB64(func() []byte { s := sha256.Sum256([]byte(cert)); return s[:] }())},
		"jku-in-crit": {"jku": jku.URL, "crit": []string{"jku"}},
	} {
		want := jwtguard.ErrKeyNotFound
		wantTrusted := jwtguard.ErrInvalidSignature
		wantNoKid := jwtguard.ErrInvalidSignature
		if _, ok := hdr["crit"]; ok {
			want, wantTrusted, wantNoKid = jwtguard.ErrMalformedToken, jwtguard.ErrMalformedToken, jwtguard.ErrMalformedToken
		}
		cases = append(cases,
			attackCase{name: name + "/attacker-kid", token: mint("attacker", hdr), want: want},
			attackCase{name: name + "/trusted-kid", token: mint(trusted, hdr), want: wantTrusted},
			attackCase{name: name + "/no-kid", token: mint("", hdr), want: wantNoKid})
	}
	cases = append(cases, attackCase{name: "jwk-EC", token: ecMint, want: jwtguard.ErrKeyNotFound})
	runAttacks(t, v, cases)
	if n := jkuHits.Load() + x5uHits.Load(); n != 0 {
		t.Fatalf("the verifier fetched an attacker URL %d times (jku %d, x5u %d)", n, jkuHits.Load(), x5uHits.Load())
	}
}

func TestAttackCriticalAndB64Headers(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	h := jwtguardtest.WithHeader
	cases := []attackCase{
		{name: "control", token: iss.Mint(nil)},
		{name: "crit-unknown", token: iss.Mint(nil, h("crit", []string{"urn:example:unknown"}), h("urn:example:unknown", true)), want: jwtguard.ErrMalformedToken},
		{name: "crit-exp", token: iss.Mint(nil, h("crit", []string{"exp"}), h("exp", 1)), want: jwtguard.ErrMalformedToken},
		{name: "crit-empty", token: iss.Mint(nil, h("crit", []string{})), want: jwtguard.ErrMalformedToken},
		{name: "crit-not-array", token: iss.Mint(nil, h("crit", "b64")), want: jwtguard.ErrMalformedToken},
		{name: "b64-false-with-crit", token: iss.Mint(nil, h("b64", false), h("crit", []string{"b64"})), want: jwtguard.ErrMalformedToken},
		{name: "b64-false-without-crit", token: iss.Mint(nil, h("b64", false)), want: jwtguard.ErrMalformedToken},
		{name: "b64-string", token: iss.Mint(nil, h("b64", "false")), want: jwtguard.ErrMalformedToken},
		{name: "cty-JWT-nested", token: iss.Mint(nil, h("cty", "JWT")), want: jwtguard.ErrMalformedToken},
		{name: "enc-JWE-header", token: iss.Mint(nil, h("enc", "A256GCM")), want: jwtguard.ErrMalformedToken},
		{name: "zip-compressed", token: iss.Mint(nil, h("zip", "DEF")), want: jwtguard.ErrMalformedToken},
	}
	// RFC 7797 unencoded payload: the signing input uses the raw payload.
	hdr := fmt.Sprintf(`{"alg":"RS256","kid":%q,"b64":false,"crit":["b64"]}`, iss.KeyID("RS256"))
	cases = append(cases, attackCase{name: "b64-false-detached-payload", token: secB64([]byte(hdr)) + ".." + secB64(secSig(t, iss.Mint(nil))), want: jwtguard.ErrMalformedToken})
	runAttacks(t, v, cases)
}

func TestAttackECDSASignatureRange(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	valid := iss.Mint(nil, jwtguardtest.WithAlg("ES256"))
	good := secSig(t, valid)
	n := elliptic.P256().Params().N
	fixed := func(x *big.Int) []byte {
		b := make([]byte, 32)
		if x.BitLen() > 256 {
			x = new(big.Int).Sub(x, n) // keep it representable; still out of range below
		}
		return x.FillBytes(b)
	}
	cat := func(r, s []byte) []byte { return append(append([]byte{}, r...), s...) }
	zero := make([]byte, 32)
	one := fixed(big.NewInt(1))
	ones := []byte(strings.Repeat("\xff", 32))
	nB := fixed(n)
	nPlus1 := fixed(new(big.Int).Add(n, big.NewInt(1)))
	r, s := good[:32], good[32:]
	sPlusN := new(big.Int).Add(new(big.Int).SetBytes(s), n)
	sigs := map[string][]byte{
		"r=s=0 (CVE-2022-21449)": cat(zero, zero),
		"r=0":                    cat(zero, s),
		"s=0":                    cat(r, zero),
		"r=s=n":                  cat(nB, nB),
		"r=n":                    cat(nB, s),
		"s=n":                    cat(r, nB),
		"r=n+1":                  cat(nPlus1, s),
		"r=s=2^256-1":            cat(ones, ones),
		"r=s=1":                  cat(one, one),
		"s+n-not-reduced":        cat(r, sPlusN.Bytes()),
		"63-bytes":               good[:63],
		"65-bytes":               append(append([]byte{}, good...), 0),
		"r-only":                 r,
		"asn1-der":               derECDSA(new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)),
	}
	cases := []attackCase{{name: "control", token: valid}}
	for name, sig := range sigs {
		cases = append(cases, attackCase{name: name, token: secWithSig(valid, sig), want: jwtguard.ErrInvalidSignature})
	}
	// The high-S twin (r, n-s) is a valid ECDSA signature of the same
	// message: accepted, it is not a forgery (JWS does not require low-S).
	highS := new(big.Int).Sub(n, new(big.Int).SetBytes(s))
	cases = append(cases, attackCase{name: "control-high-s-twin", token: secWithSig(valid, cat(r, fixed(highS)))})
	runAttacks(t, v, cases)
}

// derECDSA encodes (r, s) as an ASN.1 SEQUENCE, the X.509 form that JWS
// does not use (RFC 7518 §3.4).
func derECDSA(r, s *big.Int) []byte {
	enc := func(x *big.Int) []byte {
		b := x.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(enc(r), enc(s)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

func TestAttackSignatureTampering(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	cases := []attackCase{}
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		valid := iss.Mint(nil, jwtguardtest.WithAlg(alg))
		sig := secSig(t, valid)
		flipped := append([]byte{}, sig...)
		flipped[len(flipped)/2] ^= 0x01
		lastBit := append([]byte{}, sig...)
		lastBit[len(lastBit)-1] ^= 0x80
		h, p, s := secParts(valid)
		cases = append(cases,
			attackCase{name: alg + "/control", token: valid},
			attackCase{name: alg + "/truncated-1-byte", token: secWithSig(valid, sig[:len(sig)-1]), want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/truncated-half", token: secWithSig(valid, sig[:len(sig)/2]), want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/bit-flipped", token: secWithSig(valid, flipped), want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/last-bit-flipped", token: secWithSig(valid, lastBit), want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/empty", token: h + "." + p + ".", want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/doubled", token: secWithSig(valid, append(append([]byte{}, sig...), sig...)), want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/zeros", token: secWithSig(valid, make([]byte, len(sig))), want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/payload-changed", token: h + "." + secB64([]byte(secClaimsJSON(t, iss, map[string]any{"sub": "admin"}))) + "." + s, want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/header-changed", token: secB64([]byte(fmt.Sprintf(`{"alg":%q,"kid":%q}`, alg, iss.KeyID(alg)))) + "." + p + "." + s, want: jwtguard.ErrInvalidSignature},
		)
		if len(s)%4 == 2 {
			// Dropping one character of the base64url text leaves a length
			// no base64url encoding has.
			cases = append(cases, attackCase{name: alg + "/truncated-1-char", token: h + "." + p + "." + s[:len(s)-1], want: jwtguard.ErrMalformedToken})
		}
	}
	runAttacks(t, v, cases)
}

func TestAttackForeignKeyTrustedKid(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	atkRSA, atkEC, atkEd := secAttackerKeys(t)
	cases := []attackCase{{name: "control", token: iss.Mint(nil)}}
	for alg, key := range map[string]crypto.Signer{"RS256": atkRSA, "PS256": atkRSA, "ES256": atkEC, "EdDSA": atkEd} {
		cases = append(cases,
			attackCase{name: alg + "/trusted-kid", token: iss.Mint(nil, jwtguardtest.WithAlg(alg), jwtguardtest.WithSigningKey(key)), want: jwtguard.ErrInvalidSignature},
			attackCase{name: alg + "/no-kid", token: iss.Mint(nil, jwtguardtest.WithAlg(alg), jwtguardtest.WithSigningKey(key), jwtguardtest.WithoutHeader("kid")), want: jwtguard.ErrInvalidSignature},
		)
	}
	runAttacks(t, v, cases)

	// After a rotation both the old and the new key are published; a
	// foreign signature under either kid is refused.
	oldKid := iss.KeyID("RS256")
	if err := iss.Rotate(); err != nil {
		t.Fatal(err)
	}
	rotated := iss.Verifier(t)
	runAttacks(t, rotated, []attackCase{
		{name: "after-rotation/control", token: iss.Mint(nil)},
		{name: "after-rotation/new-kid", token: iss.Mint(nil, jwtguardtest.WithSigningKey(atkRSA)), want: jwtguard.ErrInvalidSignature},
		{name: "after-rotation/old-kid", token: iss.Mint(nil, jwtguardtest.WithSigningKey(atkRSA), jwtguardtest.WithHeader("kid", oldKid)), want: jwtguard.ErrInvalidSignature},
	})
}

func TestAttackTimeClaims(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	now := time.Now()
	mint := func(c jwtguardtest.Claims) string { return iss.Mint(c) }
	raw := func(name, value string) string {
		payload := secClaimsJSON(t, iss, map[string]any{name: nil})
		payload = strings.TrimSuffix(payload, "}") + `,"` + name + `":` + value + "}"
		return iss.Mint(nil, jwtguardtest.WithRawPayload([]byte(payload)))
	}
	hourAgo, inHour := now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix()
	cases := []attackCase{
		{name: "control", token: mint(nil)},
		{name: "control-fractional-exp", token: raw("exp", fmt.Sprintf("%d.5", inHour))},
		{name: "expired", token: iss.Expired(), want: jwtguard.ErrTokenExpired},
		{name: "expired-beyond-leeway", token: mint(jwtguardtest.Claims{"exp": now.Add(-time.Minute).Unix()}), want: jwtguard.ErrTokenExpired},
		{name: "exp-zero", token: mint(jwtguardtest.Claims{"exp": 0}), want: jwtguard.ErrTokenExpired},
		{name: "exp-float-past", token: raw("exp", fmt.Sprintf("%d.25", hourAgo)), want: jwtguard.ErrTokenExpired},
		{name: "not-yet-valid", token: mint(jwtguardtest.Claims{"nbf": inHour}), want: jwtguard.ErrTokenNotYetValid},
		{name: "nbf-float-future", token: raw("nbf", fmt.Sprintf("%d.75", inHour)), want: jwtguard.ErrTokenNotYetValid},
		{name: "issued-in-future", token: mint(jwtguardtest.Claims{"iat": inHour}), want: jwtguard.ErrTokenIssuedInFuture},
		{name: "missing-exp", token: mint(jwtguardtest.Claims{"exp": nil}), want: jwtguard.ErrMissingClaim},
		{name: "exp-null", token: raw("exp", "null"), want: jwtguard.ErrInvalidClaim},
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		for label, value := range map[string]string{
			"string":            fmt.Sprintf(`"%d"`, inHour),
			"string-rfc3339":    `"2099-01-01T00:00:00Z"`,
			"1e300":             "1e300",
			"1e309-overflow":    "1e309",
			"negative":          "-1",
			"negative-huge":     "-1e300",
			"over-int64":        "9223372036854775808",
			"over-uint64":       "18446744073709551616",
			"year-10000":        "253402300800",
			"bool":              "true",
			"array":             fmt.Sprintf("[%d]", inHour),
			"object":            fmt.Sprintf(`{"t":%d}`, inHour),
			"leading-plus":      fmt.Sprintf("+%d", inHour),
			"leading-zero":      fmt.Sprintf("0%d", inHour),
			"hex":               "0x7fffffff",
			"NaN":               "NaN",
			"Infinity":          "Infinity",
			"trailing-dot":      fmt.Sprintf("%d.", inHour),
			"exponent-no-digit": fmt.Sprintf("%de", inHour),
		} {
			want := jwtguard.ErrInvalidClaim
			switch label {
			case "leading-plus", "leading-zero", "hex", "NaN", "Infinity", "trailing-dot", "exponent-no-digit":
				want = jwtguard.ErrMalformedToken // not JSON at all
			}
			cases = append(cases, attackCase{name: name + "-" + label, token: raw(name, value), want: want})
		}
	}
	runAttacks(t, v, cases)
}

func TestAttackIssuer(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	u := iss.URL()
	mint := func(val any) string { return iss.Mint(jwtguardtest.Claims{"iss": val}) }
	runAttacks(t, v, []attackCase{
		{name: "control", token: mint(u)},
		{name: "wrong", token: mint("https://evil.example"), want: jwtguard.ErrInvalidIssuer},
		{name: "trailing-slash", token: mint(u + "/"), want: jwtguard.ErrInvalidIssuer},
		{name: "upper-case", token: mint(strings.ToUpper(u)), want: jwtguard.ErrInvalidIssuer},
		{name: "scheme-upper-case", token: mint("HTTP" + strings.TrimPrefix(u, "http")), want: jwtguard.ErrInvalidIssuer},
		{name: "https-instead-of-http", token: mint("https" + strings.TrimPrefix(u, "http")), want: jwtguard.ErrInvalidIssuer},
		{name: "leading-space", token: mint(" " + u), want: jwtguard.ErrInvalidIssuer},
		{name: "trailing-nul", token: mint(u + "\x00"), want: jwtguard.ErrInvalidIssuer},
		{name: "prefix", token: mint(u + ".evil.example"), want: jwtguard.ErrInvalidIssuer},
		{name: "path-appended", token: mint(u + "/../"), want: jwtguard.ErrInvalidIssuer},
		{name: "empty", token: mint(""), want: jwtguard.ErrInvalidIssuer},
		{name: "missing", token: mint(nil), want: jwtguard.ErrInvalidIssuer},
		{name: "array", token: mint([]string{u}), want: jwtguard.ErrInvalidClaim},
		{name: "number", token: mint(1), want: jwtguard.ErrInvalidClaim},
		{name: "object", token: mint(map[string]string{"iss": u}), want: jwtguard.ErrInvalidClaim},
	})
}

func TestAttackAudience(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	a := jwtguardtest.DefaultAudience
	mint := func(val any) string { return iss.Mint(jwtguardtest.Claims{"aud": val}) }
	runAttacks(t, v, []attackCase{
		{name: "control-string", token: mint(a)},
		{name: "control-array", token: mint([]string{"other", a})},
		{name: "missing", token: mint(nil), want: jwtguard.ErrInvalidAudience},
		{name: "wrong", token: iss.WrongAudience(), want: jwtguard.ErrInvalidAudience},
		{name: "wrong-array", token: mint([]string{"x", "y"}), want: jwtguard.ErrInvalidAudience},
		{name: "trailing-slash", token: mint(a + "/"), want: jwtguard.ErrInvalidAudience},
		{name: "upper-case", token: mint(strings.ToUpper(a)), want: jwtguard.ErrInvalidAudience},
		{name: "substring", token: mint(a[:len(a)-1]), want: jwtguard.ErrInvalidAudience},
		{name: "space-joined", token: mint("other " + a), want: jwtguard.ErrInvalidAudience},
		// "aud": [] reads as no audience (CHANGELOG): missing.
		{name: "empty-array", token: mint([]string{}), want: jwtguard.ErrInvalidAudience},
		{name: "empty-string", token: mint(""), want: jwtguard.ErrInvalidClaim},
		{name: "array-with-empty", token: mint([]string{""}), want: jwtguard.ErrInvalidClaim},
		{name: "number", token: mint(1), want: jwtguard.ErrInvalidClaim},
		{name: "bool", token: mint(true), want: jwtguard.ErrInvalidClaim},
		{name: "array-with-number", token: mint([]any{a, 1}), want: jwtguard.ErrInvalidClaim},
		{name: "array-with-null", token: mint([]any{a, nil}), want: jwtguard.ErrInvalidClaim},
		{name: "nested-array", token: mint([]any{[]string{a}}), want: jwtguard.ErrInvalidClaim},
		{name: "object", token: mint(map[string]string{"aud": a}), want: jwtguard.ErrInvalidClaim},
		{name: "null", token: iss.Mint(nil, jwtguardtest.WithRawPayload([]byte(strings.TrimSuffix(secClaimsJSON(t, iss, map[string]any{"aud": nil}), "}")+`,"aud":null}`))), want: jwtguard.ErrInvalidClaim},
	})
}

func TestAttackDuplicateMembers(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	u, a := iss.URL(), jwtguardtest.DefaultAudience
	exp := time.Now().Add(time.Hour).Unix()
	kid := iss.KeyID("RS256")
	payload := func(body string) string {
		return iss.Mint(nil, jwtguardtest.WithRawPayload([]byte(body)))
	}
	header := func(h string) string { return iss.Mint(nil, jwtguardtest.WithRawHeader([]byte(h))) }
	base := fmt.Sprintf(`"aud":%q,"exp":%d`, a, exp)
	runAttacks(t, v, []attackCase{
		{name: "control-raw", token: payload(fmt.Sprintf(`{"iss":%q,%s}`, u, base))},
		{name: "control-raw-header", token: header(fmt.Sprintf(`{"alg":"RS256","kid":%q}`, kid))},
		{name: "payload-iss-evil-then-good", token: payload(fmt.Sprintf(`{"iss":"evil","iss":%q,%s}`, u, base)), want: jwtguard.ErrMalformedToken},
		{name: "payload-iss-good-then-evil", token: payload(fmt.Sprintf(`{"iss":%q,"iss":"evil",%s}`, u, base)), want: jwtguard.ErrMalformedToken},
		{name: "payload-iss-escaped-duplicate", token: payload(fmt.Sprintf(`{"\u0069ss":"evil","iss":%q,%s}`, u, base)), want: jwtguard.ErrMalformedToken},
		{name: "payload-iss-fully-escaped-duplicate", token: payload(fmt.Sprintf(`{"iss":%q,"\u0069\u0073\u0073":"evil",%s}`, u, base)), want: jwtguard.ErrMalformedToken},
		{name: "payload-exp-duplicate", token: payload(fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":1,"exp":%d}`, u, a, exp)), want: jwtguard.ErrMalformedToken},
		{name: "payload-aud-duplicate", token: payload(fmt.Sprintf(`{"iss":%q,"aud":"x","aud":%q,"exp":%d}`, u, a, exp)), want: jwtguard.ErrMalformedToken},
		{name: "payload-nested-duplicate", token: payload(fmt.Sprintf(`{"iss":%q,%s,"realm_access":{"roles":["user"],"roles":["admin"]}}`, u, base)), want: jwtguard.ErrMalformedToken},
		{name: "payload-duplicate-in-array-object", token: payload(fmt.Sprintf(`{"iss":%q,%s,"x":[{"a":1,"a":2}]}`, u, base)), want: jwtguard.ErrMalformedToken},
		{name: "header-alg-duplicate", token: header(fmt.Sprintf(`{"alg":"none","alg":"RS256","kid":%q}`, kid)), want: jwtguard.ErrMalformedToken},
		{name: "header-alg-duplicate-escaped", token: header(fmt.Sprintf(`{"alg":"RS256","\u0061lg":"none","kid":%q}`, kid)), want: jwtguard.ErrMalformedToken},
		{name: "header-kid-duplicate", token: header(fmt.Sprintf(`{"alg":"RS256","kid":"x","kid":%q}`, kid)), want: jwtguard.ErrMalformedToken},
		{name: "header-crit-hidden-by-duplicate", token: header(fmt.Sprintf(`{"alg":"RS256","kid":%q,"crit":["x"],"crit":[]}`, kid)), want: jwtguard.ErrMalformedToken},
		// Case variants are distinct names: "ISS" is not the issuer.
		{name: "payload-ISS-upper-case-only", token: payload(fmt.Sprintf(`{"ISS":%q,%s}`, u, base)), want: jwtguard.ErrInvalidIssuer},
		{name: "header-ALG-upper-case-only", token: header(fmt.Sprintf(`{"ALG":"RS256","kid":%q}`, kid)), want: jwtguard.ErrMalformedToken},
	})
}

func TestAttackNotJSON(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	kid := iss.KeyID("RS256")
	goodHeader := fmt.Sprintf(`{"alg":"RS256","kid":%q}`, kid)
	goodPayload := secClaimsJSON(t, iss, nil)
	cases := []attackCase{{name: "control", token: iss.Mint(nil, jwtguardtest.WithRawHeader([]byte(goodHeader)), jwtguardtest.WithRawPayload([]byte(goodPayload)))}}
	for name, doc := range map[string]string{
		"not-json":         "not json",
		"empty":            "",
		"array":            "[]",
		"array-of-object":  "[" + goodPayload + "]",
		"null":             "null",
		"string":           `"x"`,
		"number":           "1",
		"true":             "true",
		"unterminated":     `{"a":1`,
		"trailing-garbage": "{}x",
		"two-objects":      "{}{}",
		"bom":              "\xef\xbb\xbf{}",
		"invalid-utf8":     "{\"a\":\"\xff\xfe\"}",
		"single-quotes":    `{'alg':'RS256'}`,
		"comment":          `{/*c*/}`,
		"control-char":     "{\"a\":\"\x01\"}",
		"nul":              "{\"a\":1}\x00",
	} {
		cases = append(cases,
			attackCase{name: "header-" + name, token: iss.Mint(nil, jwtguardtest.WithRawHeader([]byte(doc))), want: jwtguard.ErrMalformedToken},
			attackCase{name: "payload-" + name, token: iss.Mint(nil, jwtguardtest.WithRawPayload([]byte(doc))), want: jwtguard.ErrMalformedToken},
		)
	}
	// A header with valid JSON before the alg check but broken afterwards.
	cases = append(cases, attackCase{name: "payload-invalid-utf8-in-key", token: iss.Mint(nil, jwtguardtest.WithRawPayload([]byte(strings.TrimSuffix(goodPayload, "}")+",\"\xc3\x28\":1}"))), want: jwtguard.ErrMalformedToken})
	runAttacks(t, v, cases)
}

func TestAttackStructure(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	valid := iss.Mint(nil)
	h, p, s := secParts(valid)
	nonCanonical := func(part string) string {
		// Set unused trailing bits of the last character: decoders that
		// ignore them would read the same bytes (RFC 7515 §2, RFC 4648 §3.5).
		last := part[len(part)-1]
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(alphabet, last)
		return part[:len(part)-1] + string(alphabet[i|1])
	}
	std := func(part string) string {
		return strings.NewReplacer("-", "+", "_", "/").Replace(part)
	}
	cases := []attackCase{
		{name: "control", token: valid},
		{name: "1-part", token: h, want: jwtguard.ErrMalformedToken},
		{name: "2-parts", token: h + "." + p, want: jwtguard.ErrMalformedToken},
		{name: "4-parts", token: valid + "." + s, want: jwtguard.ErrMalformedToken},
		{name: "4-parts-empty-tail", token: valid + ".", want: jwtguard.ErrMalformedToken},
		{name: "5-parts-JWE-shape", token: h + ".." + p + "." + s + "." + s, want: jwtguard.ErrMalformedToken},
		{name: "5-parts-real-JWE-header", token: secB64([]byte(`{"alg":"dir","enc":"A256GCM"}`)) + "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", want: jwtguard.ErrMalformedToken},
		{name: "only-dots", token: "..", want: jwtguard.ErrMalformedToken},
		{name: "empty-header", token: "." + p + "." + s, want: jwtguard.ErrMalformedToken},
		{name: "empty-payload", token: h + ".." + s, want: jwtguard.ErrMalformedToken},
		{name: "plus-in-header", token: "+" + h[1:] + "." + p + "." + s, want: jwtguard.ErrMalformedToken},
		{name: "slash-in-payload", token: h + "." + "/" + p[1:] + "." + s, want: jwtguard.ErrMalformedToken},
		{name: "standard-base64-signature", token: h + "." + p + "." + std(s) + "+/", want: jwtguard.ErrMalformedToken},
		{name: "padding-on-signature", token: valid + "==", want: jwtguard.ErrMalformedToken},
		{name: "padding-on-signature-single", token: valid + "=", want: jwtguard.ErrMalformedToken},
		{name: "non-canonical-signature-bits", token: h + "." + p + "." + nonCanonical(s), want: jwtguard.ErrMalformedToken},
		// The following are not RFC 6750 b64token syntax: the HTTP layer
		// refuses them as invalid_request before any verification.
		{name: "padding-on-header", token: h + "==." + p + "." + s, want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "padding-on-payload", token: h + "." + p + "=." + s, want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "space-in-payload", token: h + "." + p[:10] + " " + p[10:] + "." + s, want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "tab-in-signature", token: h + "." + p + "." + s[:10] + "\t" + s[10:], want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "newline-in-header", token: h[:5] + "\n" + h[5:] + "." + p + "." + s, want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "crlf-in-payload", token: h + "." + p[:5] + "\r\n" + p[5:] + "." + s, want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "trailing-newline", token: valid + "\n", want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "nul-byte", token: valid[:20] + "\x00" + valid[20:], want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "non-ascii", token: "é" + valid, want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "quoted", token: `"` + valid + `"`, want: jwtguard.ErrMalformedToken, status: http.StatusBadRequest},
		{name: "tilde", token: "~" + valid, want: jwtguard.ErrMalformedToken},
	}
	runAttacks(t, v, cases)
}

func TestAttackSizeAndNesting(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	bigEntry := iss.Entry()
	bigEntry.MaxTokenSize = 1 << 20
	big := iss.VerifierFor(t, bigEntry)
	valid := iss.Mint(nil)
	_, _, s := secParts(valid)
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	deepObj := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	withClaim := func(val string) []byte {
		return []byte(strings.TrimSuffix(secClaimsJSON(t, iss, nil), "}") + `,"x":` + val + "}")
	}
	cases := []attackCase{
		{name: "control", token: valid},
		{name: "1MB-token", token: valid + strings.Repeat("A", 1<<20), want: jwtguard.ErrTokenTooLarge},
		{name: "1MB-payload", token: iss.Mint(nil, jwtguardtest.WithRawPayload(withClaim(`"`+strings.Repeat("a", 1<<20)+`"`))), want: jwtguard.ErrTokenTooLarge},
		{name: "just-over-8KiB", token: iss.Mint(jwtguardtest.Claims{"pad": strings.Repeat("a", 8<<10)}), want: jwtguard.ErrTokenTooLarge},
		{name: "deep-array-payload-100", token: iss.Mint(nil, jwtguardtest.WithRawPayload(withClaim(deep(100)))), want: jwtguard.ErrMalformedToken},
		{name: "deep-object-payload-100", token: iss.Mint(nil, jwtguardtest.WithRawPayload(withClaim(deepObj(100)))), want: jwtguard.ErrMalformedToken},
		{name: "deep-header", token: iss.Mint(nil, jwtguardtest.WithRawHeader([]byte(fmt.Sprintf(`{"alg":"RS256","kid":%q,"x":%s}`, iss.KeyID("RS256"), deep(50))))), want: jwtguard.ErrMalformedToken},
		{name: "deep-unsigned-payload", token: secB64([]byte(`{"alg":"RS256"}`)) + "." + secB64([]byte(deep(2000))) + "." + s, want: jwtguard.ErrMalformedToken},
	}
	runAttacks(t, v, cases)
	runAttacks(t, big, []attackCase{
		{name: "big-cap/control", token: valid},
		{name: "big-cap/1MB-token", token: valid + strings.Repeat("A", 1<<20), want: jwtguard.ErrTokenTooLarge},
		{name: "big-cap/deep-array-payload-300k", token: iss.Mint(nil, jwtguardtest.WithRawPayload(withClaim(deep(300_000)))), want: jwtguard.ErrMalformedToken},
		{name: "big-cap/deep-unsigned-payload-300k", token: secB64([]byte(`{"alg":"RS256"}`)) + "." + secB64([]byte(deep(300_000))) + "." + s, want: jwtguard.ErrMalformedToken},
	})
}

func TestAttackRequest(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	valid := iss.Mint(nil)
	hdrV := iss.Verifier(t)
	cookieV := iss.Verifier(t, jwtguard.WithExtractor(jwtguard.FromCookie("access_token")))
	oneOfV := iss.Verifier(t, jwtguard.WithExtractor(jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie("access_token"))))
	// A second genuine token of the same issuer, for a planted cookie.
	other := iss.Mint(jwtguardtest.Claims{"sub": "admin"})

	type reqCase struct {
		name   string
		v      *jwtguard.Verifier
		build  func() *http.Request
		want   error // nil: accepted
		status int
		bare   bool // challenge without error= (no credentials)
	}
	get := func(h ...string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://api.example.test/protected", nil)
			for i := 0; i+1 < len(h); i += 2 {
				r.Header.Add(h[i], h[i+1])
			}
			return r
		}
	}
	cookieReq := func(method string, h ...string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(method, "https://api.example.test/protected", nil)
			r.AddCookie(&http.Cookie{Name: "access_token", Value: valid})
			for i := 0; i+1 < len(h); i += 2 {
				r.Header.Set(h[i], h[i+1])
			}
			return r
		}
	}
	// cookies sends the given access_token cookies, in order, on a GET.
	cookies := func(values ...string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://api.example.test/protected", nil)
			for _, val := range values {
				r.AddCookie(&http.Cookie{Name: "access_token", Value: val})
			}
			return r
		}
	}
	headerAndCookie := func() *http.Request {
		r := cookies(valid)()
		r.Header.Set("Authorization", "Bearer "+valid)
		return r
	}
	cases := []reqCase{
		{name: "control-header", v: hdrV, build: get("Authorization", "Bearer "+valid), status: 200},
		{name: "control-lowercase-scheme", v: hdrV, build: get("Authorization", "bearer "+valid), status: 200},
		{name: "two-authorization-headers", v: hdrV, build: get("Authorization", "Bearer "+valid, "Authorization", "Bearer "+valid), want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "two-authorization-headers-one-bad", v: hdrV, build: get("Authorization", "Bearer "+valid, "Authorization", "Bearer x.y.z"), want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "bearer-no-token", v: hdrV, build: get("Authorization", "Bearer"), want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "bearer-space-no-token", v: hdrV, build: get("Authorization", "Bearer "), want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "bearer-spaces-no-token", v: hdrV, build: get("Authorization", "Bearer     "), want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "bearer-two-tokens", v: hdrV, build: get("Authorization", "Bearer "+valid+" "+valid), want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "bearer-comma-list", v: hdrV, build: get("Authorization", "Bearer "+valid+", Bearer "+valid), want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "no-authorization", v: hdrV, build: get(), want: jwtguard.ErrNoToken, status: 401, bare: true},
		{name: "basic-scheme", v: hdrV, build: get("Authorization", "Basic dXNlcjpwYXNz"), want: jwtguard.ErrNoToken, status: 401, bare: true},
		{name: "token-without-scheme", v: hdrV, build: get("Authorization", valid), want: jwtguard.ErrNoToken, status: 401, bare: true},
		{name: "cookie-control-same-origin-post", v: cookieV, build: cookieReq(http.MethodPost, "Sec-Fetch-Site", "same-origin"), status: 200},
		{name: "cookie-control-cross-site-get", v: cookieV, build: cookieReq(http.MethodGet, "Sec-Fetch-Site", "cross-site"), status: 200},
		{name: "cookie-cross-site-post", v: cookieV, build: cookieReq(http.MethodPost, "Sec-Fetch-Site", "cross-site"), want: jwtguard.ErrCrossOrigin, status: 403},
		{name: "cookie-same-site-post", v: cookieV, build: cookieReq(http.MethodPost, "Sec-Fetch-Site", "same-site"), want: jwtguard.ErrCrossOrigin, status: 403},
		{name: "cookie-cross-site-put", v: cookieV, build: cookieReq(http.MethodPut, "Sec-Fetch-Site", "cross-site"), want: jwtguard.ErrCrossOrigin, status: 403},
		{name: "cookie-cross-site-delete", v: cookieV, build: cookieReq(http.MethodDelete, "Sec-Fetch-Site", "cross-site"), want: jwtguard.ErrCrossOrigin, status: 403},
		{name: "cookie-cross-site-patch", v: cookieV, build: cookieReq(http.MethodPatch, "Sec-Fetch-Site", "cross-site"), want: jwtguard.ErrCrossOrigin, status: 403},
		{name: "cookie-foreign-origin-post", v: cookieV, build: cookieReq(http.MethodPost, "Origin", "https://evil.example"), want: jwtguard.ErrCrossOrigin, status: 403},
		// Cookie tossing: a cookie planted from a sibling subdomain beside
		// the user's must not win by order; identical duplicates pass.
		{name: "cookie-control-identical-duplicates", v: cookieV, build: cookies(valid, valid), status: 200},
		{name: "cookie-two-different-cookies", v: cookieV, build: cookies(other, valid), want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "cookie-two-different-cookies-reversed", v: cookieV, build: cookies(valid, other), want: jwtguard.ErrInvalidRequest, status: 400},
		// RFC 6750 §2: a token sent two ways is invalid_request.
		{name: "one-of-control-header", v: oneOfV, build: get("Authorization", "Bearer "+valid), status: 200},
		{name: "one-of-control-cookie", v: oneOfV, build: cookies(valid), status: 200},
		{name: "one-of-header-and-cookie", v: oneOfV, build: headerAndCookie, want: jwtguard.ErrInvalidRequest, status: 400},
		{name: "one-of-two-authorization-headers", v: oneOfV, build: get("Authorization", "Bearer "+valid, "Authorization", "Bearer "+valid), want: jwtguard.ErrInvalidRequest, status: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.v.Authenticate(tc.build())
			if tc.want == nil {
				if err != nil {
					t.Fatalf("control refused: %v", err)
				}
			} else if !errors.Is(err, tc.want) {
				t.Fatalf("Authenticate error = %v, want %v", err, tc.want)
			}
			h, reached := protectedHandler(tc.v)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.build())
			if tc.status == 200 {
				if rec.Code != 200 || reached.Load() != 1 {
					t.Fatalf("control: status %d, reached %d", rec.Code, reached.Load())
				}
				return
			}
			if reached.Load() != 0 {
				t.Fatal("protected handler was reached")
			}
			assertRefusedResponse(t, rec, tc.status, valid)
			if tc.bare {
				if got, want := rec.Header().Get("WWW-Authenticate"), `Bearer realm="jwtguard-test"`; got != want {
					t.Fatalf("WWW-Authenticate = %q, want the bare challenge %q", got, want)
				}
			}
		})
	}
}

func TestAttackCrossIssuer(t *testing.T) {
	t.Parallel()
	a, b := jwtguardtest.NewIssuer(t), jwtguardtest.NewIssuer(t)
	v, err := jwtguard.New(
		jwtguard.Trust(
			jwtguard.Issuer{ID: a.URL(), Keys: jwtguard.Discovery()},
			jwtguard.Issuer{ID: b.URL(), Keys: jwtguard.Discovery(), Algorithms: []string{"ES256"}},
		),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "PS256", "ES256", "EdDSA"),
		jwtguard.WithRealm("jwtguard-test"),
		secShortKidHold,
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	asA := jwtguardtest.Claims{"iss": a.URL()}
	runAttacks(t, v, []attackCase{
		{name: "control-a", token: a.Mint(nil)},
		{name: "control-b", token: b.Mint(nil, jwtguardtest.WithAlg("ES256"))},
		// Issuer B signs a token claiming to come from A.
		{name: "b-key-claims-a/b-kid", token: b.Mint(asA), want: jwtguard.ErrKeyNotFound},
		{name: "b-key-claims-a/a-kid", token: b.Mint(asA, jwtguardtest.WithHeader("kid", a.KeyID("RS256"))), want: jwtguard.ErrInvalidSignature},
		{name: "b-key-claims-a/no-kid", token: b.Mint(asA, jwtguardtest.WithoutHeader("kid")), want: jwtguard.ErrInvalidSignature},
		{name: "a-key-claims-b", token: a.Mint(jwtguardtest.Claims{"iss": b.URL()}, jwtguardtest.WithAlg("ES256")), want: jwtguard.ErrKeyNotFound},
		// B may only use ES256.
		{name: "b-outside-its-algorithms", token: b.Mint(nil), want: jwtguard.ErrAlgorithmNotAllowed},
		{name: "unconfigured-issuer", token: a.Mint(jwtguardtest.Claims{"iss": "https://evil.example"}), want: jwtguard.ErrInvalidIssuer},
		{name: "issuer-trailing-slash", token: a.Mint(jwtguardtest.Claims{"iss": a.URL() + "/"}), want: jwtguard.ErrInvalidIssuer},
		{name: "issuer-missing", token: a.Mint(jwtguardtest.Claims{"iss": nil}), want: jwtguard.ErrInvalidIssuer},
		{name: "alg-none-claims-a", token: secRaw(`{"alg":"none"}`, secClaimsJSON(t, a, nil), nil), want: jwtguard.ErrAlgorithmNotAllowed},
	})
}

// TestAttackHeaderMemberFlood: a header with more members than any real
// token carries is refused as malformed, before key lookup.
func TestAttackHeaderMemberFlood(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	var b strings.Builder
	b.WriteString(`{"alg":"RS256","kid":"` + iss.KeyID("RS256") + `"`)
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, `,"m%d":%d`, i, i)
	}
	b.WriteString("}")
	tok := iss.Mint(nil, jwtguardtest.WithRawHeader([]byte(b.String())))
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, jwtguard.ErrMalformedToken) {
		t.Fatalf("Verify = %v, want ErrMalformedToken", err)
	}
	ok := iss.Mint(nil, jwtguardtest.WithRawHeader([]byte(`{"alg":"RS256","kid":"`+iss.KeyID("RS256")+`","typ":"JWT","x":1}`)))
	if _, err := v.Verify(context.Background(), ok); err != nil {
		t.Fatalf("a normal header was refused: %v", err)
	}
}
