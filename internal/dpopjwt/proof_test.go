package dpopjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// The examples of RFC 9449: Figure 2 (a proof for a token request) and
// Figure 13 (a proof with ath for a protected resource), both signed with
// the key whose thumbprint §6.1 gives.
const (
	rfcProofTokenRequest = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	rfcProofResource     = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
	rfcAccessToken       = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
	rfcJKT               = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

func testAlgs(names ...string) map[string]*jose.Alg {
	m := map[string]*jose.Alg{}
	for _, n := range names {
		a, _ := jose.LookupAlg(n)
		m[n] = a
	}
	return m
}

var asym = testAlgs("ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA")

func TestRFC9449Examples(t *testing.T) {
	keys := NewKeys(16, time.Hour)
	now := time.Unix(1562262618, 0)
	p, err := Parse(rfcProofTokenRequest, asym, keys, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.JKT != rfcJKT || p.JTI != "-BwC3ESc6acc2lTc" || p.HTM != "POST" || p.HTU != "https://server.example.com/token" || p.IAT.Unix() != 1562262616 || p.Alg != "ES256" {
		t.Fatalf("Figure 2 proof: %+v", p)
	}
	if err := p.Check(&Request{Method: "POST", Origins: []string{"https://server.example.com"}, Path: "/token", Now: now, Window: time.Minute, Leeway: time.Second}); err != nil {
		t.Fatal(err)
	}
	p, err = Parse(rfcProofResource, asym, keys, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.JKT != rfcJKT || p.ATH != "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo" {
		t.Fatalf("Figure 13 proof: %+v", p)
	}
	req := &Request{Method: "GET", Origins: []string{"https://resource.example.org"}, Path: "/protectedresource", AccessToken: rfcAccessToken, Now: now, Window: time.Minute, Leeway: time.Second}
	if err := p.Check(req); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(r *Request){
		"another method":  func(r *Request) { r.Method = "POST" },
		"another path":    func(r *Request) { r.Path = "/other" },
		"a path prefix":   func(r *Request) { r.Path = "/protected" },
		"another token":   func(r *Request) { r.AccessToken = rfcAccessToken + "x" },
		"too old":         func(r *Request) { r.Now = now.Add(2 * time.Minute) },
		"in the future":   func(r *Request) { r.Now = now.Add(-time.Minute) },
		"another origin":  func(r *Request) { r.Origins = []string{"https://evil.example"} },
		"http, not https": func(r *Request) { r.Origins = []string{"http://resource.example.org"} },
		"another port":    func(r *Request) { r.Origins = []string{"https://resource.example.org:8443"} },
	} {
		r := *req
		edit(&r)
		if err := p.Check(&r); !errors.Is(err, ErrProof) {
			t.Errorf("%s: %v, want a proof error", name, err)
		}
	}
	// Without ath, a proof that accompanies a token is refused.
	noATH := *p
	noATH.ATH = ""
	if err := noATH.Check(req); err == nil {
		t.Error("a proof without ath accompanying a token was accepted")
	}
}

func TestNormalizeOriginAndPath(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.example.com":      "https://api.example.com",
		"HTTPS://API.Example.com:443/": "https://api.example.com",
		"http://localhost:8080":        "http://localhost:8080",
		"https://[::1]:8443":           "https://[::1]:8443",
	} {
		if got, ok := NormalizeOrigin(in); !ok || got != want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"https://api.example.com/v1", "api.example.com", "https://api.example.com?x", "ftp://x", "https://u@x"} {
		if got, ok := NormalizeOrigin(bad); ok {
			t.Errorf("NormalizeOrigin(%q) = %q, want refused", bad, got)
		}
	}
	for in, want := range map[string]string{
		"/orders/42?x=1":             "/orders/42",
		"/a/./b/../c":                "/a/c",
		"/%7euser":                   "/~user",
		"/":                          "/",
		"http://api.example.com/p?q": "/p",
		"/api/v1/../v2/orders":       "/api/v2/orders",
	} {
		if got, ok := NormalizePath(in); !ok || got != want {
			t.Errorf("NormalizePath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := NormalizePath("/bad%zz"); ok {
		t.Error("an invalid escape was accepted")
	}
}

func TestNormalizeURI(t *testing.T) {
	for in, want := range map[string]string{
		"https://server.example.com/token":                      "https://server.example.com/token",
		"HTTPS://Server.Example.COM:443/token":                  "https://server.example.com/token",
		"https://server.example.com:8443/token":                 "https://server.example.com:8443/token",
		"http://server.example.com:80/":                         "http://server.example.com/",
		"https://server.example.com":                            "https://server.example.com/",
		"https://server.example.com/a/./b/../c":                 "https://server.example.com/a/c",
		"https://server.example.com/a/b/../../../c":             "https://server.example.com/c",
		"https://server.example.com/%7euser/%2fx/%41":           "https://server.example.com/~user/%2Fx/A",
		"https://server.example.com/token?x=1#frag":             "https://server.example.com/token",
		"https://server.example.com/a%2e%2e/b":                  "https://server.example.com/a../b",
		"https://[2001:DB8::1]:443/r":                           "https://[2001:db8::1]/r",
		"https://server.example.com/mid/content=5/../6":         "https://server.example.com/mid/6",
		"https://server.example.com/orders/42/":                 "https://server.example.com/orders/42/",
		"https://server.example.com/a/b/c/./../../g":            "https://server.example.com/a/g",
		"https://server.example.com/%E2%82%AC":                  "https://server.example.com/%E2%82%AC",
		"https://server.example.com/%e2%82%ac":                  "https://server.example.com/%E2%82%AC",
		"https://server.example.com/a b":                        "https://server.example.com/a%20b",
		"https://server.example.com:/x":                         "https://server.example.com/x",
		"https://server.example.com/./..":                       "https://server.example.com/",
		"https://server.example.com/a/..":                       "https://server.example.com/",
		"https://server.example.com/a/.":                        "https://server.example.com/a/",
		"https://server.example.com//double//slash":             "https://server.example.com//double//slash",
		"https://server.example.com/encoded%3Fquery%23frag?q=1": "https://server.example.com/encoded%3Fquery%23frag",
	} {
		got, ok := NormalizeURI(in)
		if !ok || got != want {
			t.Errorf("NormalizeURI(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "/token", "server.example.com/token", "ftp://x/y", "https://user@x/y", "https:///x", "https://x/%zz", "https://x/%4", "mailto:a@b"} {
		if got, ok := NormalizeURI(bad); ok {
			t.Errorf("NormalizeURI(%q) = %q, want refused", bad, got)
		}
	}
}

// mintProof signs a proof with jwx, independently of this package.
func mintProof(t testing.TB, key crypto.Signer, alg jwa.SignatureAlgorithm, hdr map[string]any, claims map[string]any) string {
	t.Helper()
	pub, err := jwk.FromRaw(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	h := jws.NewHeaders()
	_ = h.Set("typ", "dpop+jwt")
	_ = h.Set(jws.JWKKey, pub)
	for k, v := range hdr {
		if v == nil {
			_ = h.Remove(k)
			continue
		}
		_ = h.Set(k, v)
	}
	payload, _ := json.Marshal(claims)
	sig, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(sig)
}

func TestParseProofs(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	claims := func() map[string]any {
		return map[string]any{"jti": "j1", "htm": "GET", "htu": "https://api.example.com/r", "iat": now.Unix()}
	}
	without := func(name string) map[string]any { c := claims(); delete(c, name); return c }
	with := func(name string, v any) map[string]any { c := claims(); c[name] = v; return c }
	ecJWK, _ := jwk.FromRaw(ec)
	ecPrivJSON, _ := json.Marshal(ecJWK)
	var ecPriv map[string]any
	_ = json.Unmarshal(ecPrivJSON, &ecPriv)
	cases := []struct {
		name  string
		proof string
		ok    bool
	}{
		{"ES256", mintProof(t, ec, jwa.ES256, nil, claims()), true},
		{"RS256", mintProof(t, rk, jwa.RS256, nil, claims()), true},
		{"PS256", mintProof(t, rk, jwa.PS256, nil, claims()), true},
		{"EdDSA", mintProof(t, ed, jwa.EdDSA, nil, claims()), true},
		{"with ath and nonce", mintProof(t, ec, jwa.ES256, nil, with("nonce", "n")), true},
		{"typ JWT", mintProof(t, ec, jwa.ES256, map[string]any{"typ": "JWT"}, claims()), false},
		{"no typ", mintProof(t, ec, jwa.ES256, map[string]any{"typ": nil}, claims()), false},
		{"no jwk", mintProof(t, ec, jwa.ES256, map[string]any{jws.JWKKey: nil}, claims()), false},
		{"private key in jwk", mintProof(t, ec, jwa.ES256, map[string]any{jws.JWKKey: ecJWK}, claims()), false},
		{"kid header", mintProof(t, ec, jwa.ES256, map[string]any{"kid": "k"}, claims()), false},
		{"jku header", mintProof(t, ec, jwa.ES256, map[string]any{"jku": "https://evil.example/jwks"}, claims()), false},
		{"crit header", mintProof(t, ec, jwa.ES256, map[string]any{"crit": []string{"x"}, "x": 1}, claims()), false},
		{"ES384 not allowed", mintProof(t, ec384, jwa.ES384, nil, claims()), false},
		{"alg does not fit the key", relabel(t, mintProof(t, ec, jwa.ES256, nil, claims()), "ES512"), false},
		{"no jti", mintProof(t, ec, jwa.ES256, nil, without("jti")), false},
		{"no htm", mintProof(t, ec, jwa.ES256, nil, without("htm")), false},
		{"no htu", mintProof(t, ec, jwa.ES256, nil, without("htu")), false},
		{"no iat", mintProof(t, ec, jwa.ES256, nil, without("iat")), false},
		{"iat as string", mintProof(t, ec, jwa.ES256, nil, with("iat", "1800000000")), false},
		{"htu as number", mintProof(t, ec, jwa.ES256, nil, with("htu", 5)), false},
		{"jti too long", mintProof(t, ec, jwa.ES256, nil, with("jti", strings.Repeat("j", 300))), false},
		{"bad signature", flip(mintProof(t, ec, jwa.ES256, nil, claims())), false},
		{"signed by another key than the jwk", swapJWK(t, mintProof(t, ec, jwa.ES256, nil, claims()), ec384), false},
		{"not a JWS", "abc", false},
		{"too large", strings.Repeat("a", MaxProofSize+1), false},
	}
	algs := testAlgs("ES256", "RS256", "PS256", "EdDSA")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.proof, algs, NewKeys(16, time.Hour), now)
			if c.ok != (err == nil) {
				t.Fatalf("Parse: %v (want ok %v)", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrProof) {
				t.Fatalf("error %v does not wrap ErrProof", err)
			}
			if c.ok {
				jk, _ := jwk.FromRaw(mustPublic(c.name, ec, ec384, rk, ed))
				tp, _ := jk.Thumbprint(crypto.SHA256)
				if p.JKT != base64.RawURLEncoding.EncodeToString(tp) {
					t.Fatalf("JKT %s is not jwx's thumbprint", p.JKT)
				}
			}
		})
	}
	// An HMAC algorithm can never be configured here; Parse refuses what
	// is not in algs, so an "HS256" proof fails.
	hs := relabel(t, mintProof(t, ec, jwa.ES256, nil, claims()), "HS256")
	if _, err := Parse(hs, testAlgs("ES256"), NewKeys(16, time.Hour), now); err == nil {
		t.Fatal("an HS256 proof was accepted")
	}
	// alg none.
	if _, err := Parse(relabel(t, mintProof(t, ec, jwa.ES256, nil, claims()), "none"), asym, NewKeys(16, time.Hour), now); err == nil {
		t.Fatal("an alg none proof was accepted")
	}
}

func mustPublic(name string, ec, ec384 *ecdsa.PrivateKey, rk *rsa.PrivateKey, ed ed25519.PrivateKey) crypto.PublicKey {
	switch {
	case strings.HasPrefix(name, "ES384"):
		return ec384.Public()
	case strings.HasPrefix(name, "RS"), strings.HasPrefix(name, "PS"):
		return rk.Public()
	case strings.HasPrefix(name, "EdDSA"):
		return ed.Public()
	}
	return ec.Public()
}

// relabel changes the header's alg (keeping the signature: it no longer
// verifies, or the alg no longer fits the key).
func relabel(t testing.TB, proof, alg string) string {
	parts := strings.Split(proof, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	_ = json.Unmarshal(raw, &h)
	h["alg"] = alg
	b, _ := json.Marshal(h)
	return base64.RawURLEncoding.EncodeToString(b) + "." + parts[1] + "." + parts[2]
}

// swapJWK puts another public key in the header.
func swapJWK(t testing.TB, proof string, other *ecdsa.PrivateKey) string {
	parts := strings.Split(proof, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	_ = json.Unmarshal(raw, &h)
	pub, _ := jwk.FromRaw(other.Public())
	h["jwk"] = pub
	b, _ := json.Marshal(h)
	return base64.RawURLEncoding.EncodeToString(b) + "." + parts[1] + "." + parts[2]
}

func flip(proof string) string {
	b := []byte(proof)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestNonces(t *testing.T) {
	n, err := NewNonces([]byte(strings.Repeat("s", 32)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewNonces([]byte(strings.Repeat("t", 32)), time.Minute)
	now := time.Unix(1_800_000_000, 0)
	nonce := n.Issue(now)
	for _, c := range []struct {
		at time.Time
		ok bool
	}{
		{now, true},
		{now.Add(time.Minute), true},      // the next window
		{now.Add(2 * time.Minute), false}, // two windows later
		{now.Add(-time.Minute), false},    // issued "in the future"
		{now.Add(59 * time.Second), true},
	} {
		if got := n.Check(nonce, c.at); got != c.ok {
			t.Errorf("nonce at %s: %v, want %v", c.at.Sub(now), got, c.ok)
		}
	}
	if other.Check(nonce, now) {
		t.Error("a nonce of another secret was accepted")
	}
	for _, bad := range []string{"", "x", nonce[:len(nonce)-1] + "A", strings.Repeat("A", 32)} {
		if n.Check(bad, now) && bad != nonce {
			t.Errorf("nonce %q accepted", bad)
		}
	}
	if _, err := NewNonces([]byte("short"), time.Minute); err == nil {
		t.Error("a short secret was accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(rfcProofTokenRequest)
	f.Add(rfcProofResource)
	f.Add("e30.e30.AA")
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7fX0.e30.AA")
	keys := NewKeys(64, time.Hour)
	now := time.Unix(1562262618, 0)
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := Parse(proof, asym, keys, now)
		if err != nil {
			if !errors.Is(err, ErrProof) {
				t.Fatalf("error %v does not wrap ErrProof", err)
			}
			return
		}
		// Accepted: an independent JOSE library verifies it with the jwk
		// it carries, and its thumbprint is the jwk's.
		msg, err := jws.Parse([]byte(proof))
		if err != nil {
			t.Fatalf("accepted, but jwx cannot parse it: %v", err)
		}
		sig := msg.Signatures()[0]
		key := sig.ProtectedHeaders().JWK()
		if key == nil {
			t.Fatal("accepted without a jwk")
		}
		if _, err := jws.Verify([]byte(proof), jws.WithKey(sig.ProtectedHeaders().Algorithm(), key)); err != nil {
			t.Fatalf("accepted, but jwx does not verify it: %v", err)
		}
		tp, _ := key.Thumbprint(crypto.SHA256)
		if p.JKT != base64.RawURLEncoding.EncodeToString(tp) {
			t.Fatal("thumbprint differs from jwx's")
		}
		if sig.ProtectedHeaders().Type() != "dpop+jwt" || p.JTI == "" || p.HTM == "" || p.HTU == "" {
			t.Fatal("accepted without typ or required claims")
		}
	})
}

// FuzzHTUMatch holds Check's shortcut to the full comparison: a path
// plainPath lets through normalizes to itself, and an htu the shortcut
// matches is one the full normalization matches too.
func FuzzHTUMatch(f *testing.F) {
	for _, c := range [][3]string{
		{"https://api.example.com/orders/42", "https://api.example.com", "/orders/42"},
		{"https://api.example.com/a/./b", "https://api.example.com", "/a/./b"},
		{"https://api.example.com/a/.b", "https://api.example.com", "/a/.b"},
		{"HTTPS://API.example.com:443/x", "https://api.example.com", "/x?q=1"},
		{"https://api.example.com/a%2fb", "https://api.example.com", "/a%2Fb"},
		{"https://api.example.com/a:b@c;d=e,f+g$h&i", "https://api.example.com", "/a:b@c;d=e,f+g$h&i"},
		{"https://api.example.com/é", "https://api.example.com", "/é"},
		{"http://[::1]:8080/x", "http://[::1]:8080", "/x#y"},
		{"https://api.example.com//evil.example/x", "https://api.example.com", "//evil.example/x"},
	} {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, htu, origin, requestURI string) {
		if p, ok := normalizeEscapes(requestURI); ok && plainPath(requestURI) && p != requestURI {
			t.Fatalf("plain path %q normalizes to %q", requestURI, p)
		}
		o, ok := NormalizeOrigin(origin)
		if !ok {
			return
		}
		path, ok := NormalizePath(requestURI)
		if !ok {
			return
		}
		fast := len(htu) <= maxURI && plainPath(path) && matchOrigin(htu, []string{o}, path)
		n, ok := NormalizeURI(htu)
		full := ok && matchOrigin(n, []string{o}, path)
		if fast && !full {
			t.Fatalf("htu %q matched %q + %q by the shortcut only (normalized: %q, %v)", htu, o, path, n, ok)
		}
	})
}
