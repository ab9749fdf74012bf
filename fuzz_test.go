package jwtguard

// Fuzz targets for the token verifier, the extractors, the claims decoder
// and JWKS key conversion. Each target asserts an invariant, not only the
// absence of panics:
//
//   - FuzzVerify: every accepted token's signature verifies independently
//     (stdlib crypto, header alg, published keys) and its claims satisfy the
//     configured policy when re-read with encoding/json.
//   - FuzzExtractors: extracted tokens have RFC 6750 b64token syntax and come
//     from the request; malformed requests give 400 invalid_request; cookie
//     tokens are never accepted on cross-site unsafe requests.
//   - FuzzClaims: claims accepted by the strict decoder agree with
//     encoding/json.
//   - FuzzJWKS: no symmetric, weak, encryption-only or mismatched key is
//     ever taken from a remote key set.
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
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

const (
	fuzzIssuer   = "https://issuer.fuzz.test"
	fuzzAudience = "https://api.fuzz.test"
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
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
	ed  ed25519.PrivateKey
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

func fuzzVerifier(tb testing.TB, extra ...Option) *Verifier {
	tb.Helper()
	opts := []Option{
		WithKeySet(fuzzPublicSet(tb)),
		WithHMAC(fuzzHMAC),
		WithIssuer(fuzzIssuer),
		WithAudience(fuzzAudience),
		WithAlgorithms(fuzzAlgs...),
		WithClock(func() time.Time { return fuzzNow }),
	}
	v, err := New(append(opts, extra...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

var fuzzB64 = base64.RawURLEncoding

// fuzzSign signs input with the fuzz key for alg using only the standard
// library.
func fuzzSign(tb testing.TB, alg string, input []byte) []byte {
	tb.Helper()
	keys := fuzzKeys(tb)
	var sig []byte
	var err error
	switch alg {
	case "RS256":
		d := sha256.Sum256(input)
		sig, err = rsa.SignPKCS1v15(nil, keys.rsa, crypto.SHA256, d[:])
	case "PS256":
		d := sha256.Sum256(input)
		sig, err = rsa.SignPSS(rand.Reader, keys.rsa, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES256":
		d := sha256.Sum256(input)
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, keys.ec, d[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case "EdDSA":
		sig = ed25519.Sign(keys.ed, input)
	case "HS256":
		m := hmac.New(sha256.New, fuzzHMAC)
		m.Write(input)
		sig = m.Sum(nil)
	case "HS512":
		m := hmac.New(sha512.New, fuzzHMAC)
		m.Write(input)
		sig = m.Sum(nil)
	default:
		tb.Fatalf("fuzzSign: unknown alg %q", alg)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return sig
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

// fuzzCheckAccepted fails the test unless an accepted token independently
// satisfies every rule the fuzz verifier is configured with.
func fuzzCheckAccepted(t *testing.T, token string, c *Claims) {
	t.Helper()
	alg, ok := fuzzIndependentSig(t, token)
	if !ok {
		t.Fatalf("accepted a token whose signature does not verify independently (alg %q)", alg)
	}
	if c.Algorithm != alg {
		t.Fatalf("claims say alg %q, header says %q", c.Algorithm, alg)
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
	// for WithHMAC/WithKey).
	if kid, ok := hdr["kid"]; ok && kid != "" {
		if want, known := fuzzKid[alg]; known && kid != want {
			t.Fatalf("accepted kid %v for alg %s", kid, alg)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
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
	leeway := DefaultLeeway.Seconds()
	now := float64(fuzzNow.Unix())
	exp, present, ok := fuzzNumericClaim(m, "exp")
	if !present || !ok || exp+leeway <= now {
		t.Fatalf("accepted exp %v (present %v)", m["exp"], present)
	}
	for _, name := range []string{"nbf", "iat"} {
		v, present, ok := fuzzNumericClaim(m, name)
		if present && (!ok || v > now+leeway || v < 0) {
			t.Fatalf("accepted %s %v", name, m[name])
		}
	}
}

func FuzzVerify(f *testing.F) {
	v := fuzzVerifier(f)
	// The same configuration with the token cache: verdicts must not depend
	// on it, also when the token is seen a second time.
	cached := fuzzVerifier(f, WithCache(256, time.Minute))
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

	sameVerdict := func(t *testing.T, token string, c *Claims, err error) {
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
			var e *Error
			if !errors.As(err, &e) || e.Status == 0 {
				t.Fatalf("error is not a *jwtguard.Error with a status: %#v", err)
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
	v := fuzzVerifier(f, WithExtractor(FromFirst(FromAuthHeader(), FromCookie("at"), FromQuery("access_token"))))
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
		{"", "", "\"" + valid + "\"", "", 0},
		{"", "", "", "access_token=" + valid, 0},
		{"", "", "", "access_token=" + valid + "&access_token=x", 0},
		{"", "", "", "access_token=%zz", 0},
		{"Bearer \x00", "", "", "", 1},
		{"Bearer ünïcode", "", "", "", 1},
	} {
		f.Add(s.auth, s.auth2, s.cookie, s.query, s.flags)
	}
	extractors := []struct {
		name string
		e    Extractor
		src  Source
	}{
		{"header", FromAuthHeader(), SourceHeader},
		{"raw-header", FromHeader("X-Token", ""), SourceHeader},
		{"cookie", FromCookie("at"), SourceCookie},
		{"query", FromQuery("access_token"), SourceQuery},
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
		for _, x := range extractors {
			tok, src, err := x.e.Extract(r)
			if err != nil {
				if tok != "" {
					t.Fatalf("%s: token returned with an error", x.name)
				}
				if !errors.Is(err, ErrInvalidRequest) || AsError(err).Status != http.StatusBadRequest {
					t.Fatalf("%s: error is not 400 invalid_request: %v", x.name, err)
				}
				for _, in := range inputs {
					if len(in) >= 12 && strings.Contains(in, ".") && strings.Contains(err.Error(), in) {
						t.Fatalf("%s: error message echoes the input", x.name)
					}
				}
				continue
			}
			if tok == "" {
				continue
			}
			if !fuzzB64TokenRE.MatchString(tok) {
				t.Fatalf("%s: extracted %q, not a b64token", x.name, tok)
			}
			if src != x.src {
				t.Fatalf("%s: source %v, want %v", x.name, src, x.src)
			}
			found := false
			for _, in := range inputs {
				found = found || strings.Contains(in, tok)
			}
			if !found {
				if u, err := url.QueryUnescape(query); err != nil || !strings.Contains(u, tok) {
					t.Fatalf("%s: token %q does not come from the request", x.name, tok)
				}
			}
		}
		if flags&3 == 3 {
			if _, _, err := FromAuthHeader().Extract(r); !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("two Authorization headers: err = %v, want ErrInvalidRequest", err)
			}
		}
		c, err := v.Authenticate(r)
		if err != nil {
			if AsError(err).Status == 0 || AsError(err).Status == http.StatusInternalServerError {
				t.Fatalf("Authenticate error has no proper status: %v", err)
			}
			return
		}
		tok, src, _ := v.extractor.Extract(r)
		fuzzCheckAccepted(t, tok, c)
		if src == SourceCookie && r.Method == http.MethodPost && flags&8 != 0 {
			t.Fatal("accepted a cookie token on a cross-site POST")
		}
	})
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
		`{"exp":1,"scope":"a  b","scp":"c"}`,
		`{"exp":1,"a":{"b":{"c":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}}`,
		`[]`, `null`, `{"exp":1}x`, "{\"exp\":1,\"s\":\"\xff\"}",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
	}
	pathSets := []claimPaths{
		{role: "roles", tenant: "tenant_id"},
		{role: "realm_access.roles", tenant: "org.tid", scope: "scp"},
	}
	sentinelsOK := []error{ErrMalformedToken, ErrInvalidClaim, ErrMissingClaim}
	f.Fuzz(func(t *testing.T, payload []byte, mode uint8) {
		p := pathSets[int(mode)%len(pathSets)]
		c, err := parseClaims(payload, &p, nil)
		if err != nil {
			ok := false
			for _, s := range sentinelsOK {
				ok = ok || errors.Is(err, s)
			}
			if !ok {
				t.Fatalf("parseClaims error wraps no expected sentinel: %v", err)
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatal("parseClaims accepted JSON that encoding/json rejects")
		}
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("parseClaims accepted a payload that is not a JSON object for encoding/json: %v", err)
		}
		str := func(name, got string) {
			v, present := m[name]
			if !present {
				if got != "" {
					t.Fatalf("%s = %q but absent", name, got)
				}
				return
			}
			if s, ok := v.(string); !ok || s != got {
				t.Fatalf("%s: strict %q, encoding/json %#v", name, got, v)
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
			if !slices.Equal(want, c.Audience) || len(want) == 0 || slices.Contains(want, "") {
				t.Fatalf("aud: strict %q, encoding/json %q", c.Audience, want)
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
			if !ok || f < 0 || f > maxNumericDate || math.IsNaN(f) {
				t.Fatalf("accepted %s = %v", d.name, m[d.name])
			}
			if d.got.Unix() != int64(f) {
				t.Fatalf("%s: strict %d, encoding/json %v", d.name, d.got.Unix(), f)
			}
		}
		if p.role == "roles" {
			var want []string
			switch r := m["roles"].(type) {
			case nil:
			case string:
				want = []string{r}
			case []any:
				for _, x := range r {
					s, ok := x.(string)
					if !ok {
						t.Fatalf("accepted non-string role %#v", x)
					}
					want = append(want, s)
				}
			default:
				t.Fatalf("accepted roles of type %T", r)
			}
			if !slices.Equal(want, c.Roles) {
				t.Fatalf("roles: strict %q, encoding/json %q", c.Roles, want)
			}
			str("tenant_id", c.Tenant)
			var scopes []string
			for _, name := range []string{"scope", "scp"} {
				switch s := m[name].(type) {
				case nil:
				case string:
					scopes = append(scopes, strings.Fields(s)...)
				case []any:
					for _, x := range s {
						str, ok := x.(string)
						if !ok {
							t.Fatalf("accepted non-string %s element %#v", name, x)
						}
						scopes = append(scopes, str)
					}
				default:
					t.Fatalf("accepted %s of type %T", name, s)
				}
			}
			got := slices.Clone(c.Scopes)
			slices.Sort(got)
			slices.Sort(scopes)
			if !slices.Equal(got, scopes) {
				t.Fatalf("scopes: strict %q, encoding/json %q", got, scopes)
			}
		}
		var back map[string]any
		if err := c.Decode(&back); err != nil {
			t.Fatalf("Decode of accepted claims: %v", err)
		}
	})
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
	} {
		f.Add([]byte(s))
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hsAlgs := []*algSpec{supportedAlgs["HS256"], supportedAlgs["HS384"], supportedAlgs["HS512"]}
	f.Fuzz(func(t *testing.T, body []byte) {
		set, err := jwk.Parse(body, jwk.WithIgnoreParseError(true))
		if err != nil {
			return
		}
		vks, err := keysFromSet(set, true, log)
		if err != nil {
			if vks != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		for _, k := range vks {
			n := 0
			if k.rsa != nil {
				n++
				if k.rsa.N.BitLen() < minRSABits {
					t.Fatalf("accepted a %d-bit RSA key", k.rsa.N.BitLen())
				}
			}
			if k.ec != nil {
				n++
				if _, err := k.ec.ECDH(); err != nil {
					t.Fatalf("accepted an invalid EC key: %v", err)
				}
			}
			if k.ed != nil {
				n++
				if len(k.ed) != ed25519.PublicKeySize {
					t.Fatal("accepted a bad Ed25519 key")
				}
			}
			if k.secret != nil {
				t.Fatal("accepted a symmetric key from a remote key set")
			}
			if n != 1 {
				t.Fatalf("key holds %d key types", n)
			}
			if k.alg != "" {
				spec, ok := supportedAlgs[k.alg]
				if !ok || !k.fits(spec) {
					t.Fatalf("accepted key alg %q that does not fit a %s key", k.alg, k.kind())
				}
			}
		}
		ks := newKeySet(vks)
		for _, a := range hsAlgs {
			if c := ks.candidates("", a, nil); len(c) != 0 {
				t.Fatalf("remote key set offers a key for %s", a.name)
			}
		}
		// Every kept key's JSON must say use sig, or nothing ("use":"" is
		// read as absent).
		var raw struct {
			Keys []map[string]any `json:"keys"`
		}
		if json.Unmarshal(body, &raw) == nil {
			for _, k := range raw.Keys {
				if use, ok := k["use"].(string); ok && use != "" && use != "sig" {
					for _, vk := range vks {
						if kid, _ := k["kid"].(string); kid != "" && vk.kid == kid && fuzzCountKid(raw.Keys, kid) == 1 {
							t.Fatalf("accepted key %q with use %q", kid, use)
						}
					}
				}
			}
		}
	})
}

func fuzzCountKid(keys []map[string]any, kid string) int {
	n := 0
	for _, k := range keys {
		if s, _ := k["kid"].(string); s == kid {
			n++
		}
	}
	return n
}

// process verifies with the same keys as the seeds were signed with.
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
