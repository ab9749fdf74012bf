package jwtguard_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/memory"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// newCase is one row of the New validation tables: options, and the
// substrings the error must contain (nil: New succeeds). Every error names
// the option (and, for issuer entries, the issuer and the field) that fixes
// it.
type newCase struct {
	name string
	opts []jwtguard.Option
	want []string
}

func runNewCases(t *testing.T, cases []newCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, err := jwtguard.New(c.opts...)
			if c.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				_ = v.Close()
				return
			}
			if err == nil {
				_ = v.Close()
				t.Fatalf("New succeeded; want an error naming %v", c.want)
			}
			if v != nil {
				t.Fatal("New returned a Verifier with an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func mustStore(t *testing.T, opts ...memory.Option) *memory.Store {
	t.Helper()
	s, err := memory.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	k := testKeys()
	secret := k.secret[:32]
	hs := jwtguard.WithAlgorithms("HS256")
	rs := jwtguard.WithAlgorithms("RS256")
	iss := jwtguard.WithIssuer(testIss, jwtguard.HMAC(secret))
	aud := jwtguard.WithAudience(testAud)
	quoted := `issuer "` + testIss + `"`
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	// entry returns an HMAC issuer entry for testIss changed by edit, for
	// Trust.
	entry := func(edit func(*jwtguard.Issuer)) jwtguard.Option {
		is := jwtguard.Issuer{ID: testIss, Keys: jwtguard.HMAC(secret)}
		edit(&is)
		return jwtguard.Trust(is)
	}
	withStatic := func(keys ...any) jwtguard.Option { return jwtguard.WithIssuer(testIss, jwtguard.StaticKeys(keys...)) }
	cases := []newCase{
		{"complete", []jwtguard.Option{iss, hs, aud}, nil},
		{"no options at all", nil, []string{"WithAlgorithms", "WithIssuer", "Trust", "WithIssuerResolver"}},
		{"no key source", []jwtguard.Option{jwtguard.WithIssuer(testIss, nil), hs, aud}, []string{"WithIssuer", quoted, "no key source", "JWKS(url)", "Discovery()", "StaticKeys(", "HMAC(secret)"}},
		{"no key source in Trust", []jwtguard.Option{jwtguard.Trust(jwtguard.Issuer{ID: testIss}), hs, aud}, []string{"Trust", quoted, "Keys"}},
		{"no algorithms", []jwtguard.Option{iss, aud}, []string{"WithAlgorithms"}},
		{"no issuer", []jwtguard.Option{hs, aud}, []string{"WithIssuer", "Trust", "WithIssuerResolver"}},
		{"no audience", []jwtguard.Option{iss, hs}, []string{"WithIssuer", quoted, "Audiences", "WithAudience", "WithoutAudienceCheck"}},
		{"audience on the entry", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Audiences = []string{testAud} }), hs}, nil},
		{"issuer waived", []jwtguard.Option{jwtguard.WithIssuer("", jwtguard.HMAC(secret)), hs, aud, jwtguard.WithoutIssuerCheck()}, nil},
		{"audience waived", []jwtguard.Option{iss, hs, jwtguard.WithoutAudienceCheck()}, nil},
		{"discovery needs only the issuer", []jwtguard.Option{jwtguard.WithIssuer("https://idp.example.test", jwtguard.Discovery()), rs, aud}, nil},
		// none is never allowed, in any casing.
		{"alg none", []jwtguard.Option{iss, jwtguard.WithAlgorithms("HS256", "none"), aud}, []string{"WithAlgorithms", "none"}},
		{"alg None", []jwtguard.Option{iss, jwtguard.WithAlgorithms("None"), aud}, []string{"WithAlgorithms", "never"}},
		{"alg NONE", []jwtguard.Option{iss, jwtguard.WithAlgorithms("NONE"), aud}, []string{"WithAlgorithms", "never"}},
		{"alg unsupported", []jwtguard.Option{iss, jwtguard.WithAlgorithms("HS1"), aud}, []string{"WithAlgorithms", "HS1"}},
		{"alg lower case", []jwtguard.Option{iss, jwtguard.WithAlgorithms("hs256"), aud}, []string{"WithAlgorithms", "hs256"}},
		{"WithAlgorithms empty", []jwtguard.Option{iss, jwtguard.WithAlgorithms(), aud}, []string{"WithAlgorithms"}},
		// HMAC secrets.
		{"secret 31 bytes", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.HMAC(k.secret[:31])), hs, aud}, []string{"WithIssuer", quoted, "HMAC", "32"}},
		{"secret empty", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.HMAC(nil)), hs, aud}, []string{"WithIssuer", "HMAC"}},
		{"secret too short for HS512", []jwtguard.Option{iss, jwtguard.WithAlgorithms("HS256", "HS512"), aud}, []string{"HMAC", "HS512"}},
		{"secret long enough for HS512", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.HMAC(k.secret)), jwtguard.WithAlgorithms("HS512"), aud}, nil},
		{"secret short, but the entry allows HS256 only", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Algorithms = []string{"HS256"} }), jwtguard.WithAlgorithms("HS256", "HS512"), aud}, nil},
		{"secret without HS algorithm", []jwtguard.Option{iss, rs, aud}, []string{"HMAC", "WithAlgorithms"}},
		// Leeway.
		{"leeway at cap", []jwtguard.Option{iss, hs, aud, jwtguard.WithLeeway(maxLeeway)}, nil},
		{"leeway zero", []jwtguard.Option{iss, hs, aud, jwtguard.WithLeeway(0)}, nil},
		{"leeway over cap", []jwtguard.Option{iss, hs, aud, jwtguard.WithLeeway(maxLeeway + time.Second)}, []string{"WithLeeway"}},
		{"leeway an hour", []jwtguard.Option{iss, hs, aud, jwtguard.WithLeeway(time.Hour)}, []string{"WithLeeway"}},
		{"leeway negative", []jwtguard.Option{iss, hs, aud, jwtguard.WithLeeway(-time.Second)}, []string{"WithLeeway"}},
		// Contradictions.
		{"no issuer check with two entries", []jwtguard.Option{iss, jwtguard.WithIssuer("https://other.test", jwtguard.HMAC(secret)), hs, aud, jwtguard.WithoutIssuerCheck()}, []string{"WithoutIssuerCheck", "exactly one"}},
		{"no issuer check with a resolver", []jwtguard.Option{iss, hs, aud, jwtguard.WithoutIssuerCheck(),
			jwtguard.WithIssuerResolver(func(context.Context, string) (jwtguard.Issuer, bool) { return jwtguard.Issuer{}, false }, 4)}, []string{"WithoutIssuerCheck", "WithIssuerResolver"}},
		{"audience and no audience check", []jwtguard.Option{iss, hs, aud, jwtguard.WithoutAudienceCheck()}, []string{"WithAudience", "WithoutAudienceCheck"}},
		{"same issuer twice", []jwtguard.Option{iss, jwtguard.WithIssuer(testIss, jwtguard.JWKS("https://idp.example.test/jwks")), jwtguard.WithAlgorithms("HS256", "RS256"), aud}, []string{"WithIssuer", testIss, "twice"}},
		{"alias of another issuer", []jwtguard.Option{iss, entry(func(is *jwtguard.Issuer) { is.ID, is.Aliases = "https://b.test", []string{testIss} }), hs, aud}, []string{testIss, "twice"}},
		{"fail-open without a store", []jwtguard.Option{iss, hs, aud, jwtguard.WithInsecureRevocationFailOpen()}, []string{"WithInsecureRevocationFailOpen", "WithRevocation"}},
		// StaticKeys.
		{"StaticKeys none", []jwtguard.Option{withStatic(), rs, aud}, []string{"WithIssuer", quoted, "StaticKeys", "no key"}},
		{"StaticKeys empty set", []jwtguard.Option{withStatic(jwk.NewSet()), rs, aud}, []string{"StaticKeys", "empty"}},
		{"StaticKeys key type not allowed", []jwtguard.Option{withStatic(k.rsa.Public()), jwtguard.WithAlgorithms("ES256"), aud}, []string{"StaticKeys", "WithAlgorithms"}},
		{"StaticKeys wrong curve", []jwtguard.Option{withStatic(k.p256.Public()), jwtguard.WithAlgorithms("ES384"), aud}, []string{"StaticKeys", "WithAlgorithms"}},
		{"StaticKeys one key of several fits", []jwtguard.Option{withStatic(k.p256.Public(), k.rsa.Public()), jwtguard.WithAlgorithms("ES256"), aud}, nil},
		{"StaticKeys secret", []jwtguard.Option{withStatic(secret), hs, aud}, []string{"StaticKeys", "HMAC(secret)"}},
		{"StaticKeys secret string", []jwtguard.Option{withStatic(string(secret)), hs, aud}, []string{"StaticKeys", "HMAC(secret)"}},
		{"StaticKeys nil", []jwtguard.Option{withStatic(nil), rs, aud}, []string{"StaticKeys", "key 0"}},
		{"StaticKeys typed nil", []jwtguard.Option{withStatic(k.p256.Public(), (*rsa.PublicKey)(nil)), jwtguard.WithAlgorithms("RS256", "ES256"), aud}, []string{"StaticKeys", "key 1", "nil"}},
		{"StaticKeys RSA 1024", []jwtguard.Option{withStatic(weakRSA.Public()), rs, aud}, []string{"StaticKeys", "2048"}},
		// A private key is not a public key value: StaticKeys takes
		// public keys only (the first version reduced it silently).
		{"StaticKeys private key", []jwtguard.Option{withStatic(k.rsa), rs, aud}, []string{"StaticKeys", "*rsa.PrivateKey"}},
		{"StaticKeys public key", []jwtguard.Option{withStatic(k.rsa.Public()), rs, aud}, nil},
		{"entry algorithm not allowed", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Algorithms = []string{"HS256", "ES256"} }), hs, aud}, []string{"Trust", quoted, "ES256", "WithAlgorithms"}},
		// Remote URLs.
		{"JWKS over http", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.JWKS("http://idp.example.test/jwks")), rs, aud}, []string{"WithIssuer", quoted, "JWKS(http://idp.example.test/jwks)", "InsecureHTTP"}},
		{"JWKS over http, allowed", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.JWKS("http://idp.example.test/jwks")), jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{InsecureHTTP: true}), rs, aud}, nil},
		{"JWKS over http on loopback", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.JWKS("http://127.0.0.1:1/jwks")), rs, aud}, nil},
		{"JWKS ftp", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.JWKS("ftp://idp.example.test/jwks")), rs, aud}, []string{"WithIssuer", "JWKS(", "ftp"}},
		{"JWKS with credentials", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.JWKS("https://u:p@idp.example.test/jwks")), rs, aud}, []string{"WithIssuer", "credentials"}},
		{"JWKS empty", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.JWKS("")), rs, aud}, []string{"WithIssuer", "JWKS", "empty URL"}},
		{"discovery over http", []jwtguard.Option{jwtguard.WithIssuer("http://idp.example.test", jwtguard.Discovery()), rs, aud}, []string{"WithIssuer", "Discovery()", "InsecureHTTP"}},
		{"discovery for a template", []jwtguard.Option{entry(func(is *jwtguard.Issuer) {
			is.ID, is.Tenants, is.Keys = "https://login.example.test/{tenant}/v2.0", []string{"t1"}, jwtguard.Discovery()
		}), rs, aud}, []string{"Trust", "Discovery()", "JWKS(url)"}},
		// Other option arguments.
		{"nil option", []jwtguard.Option{iss, hs, aud, nil}, []string{"nil Option"}},
		{"empty issuer", []jwtguard.Option{jwtguard.WithIssuer("", jwtguard.HMAC(secret)), hs, aud}, []string{"WithIssuer", "empty ID"}},
		{"Trust()", []jwtguard.Option{jwtguard.Trust(), hs, aud}, []string{"Trust", "no issuer given"}},
		{"empty alias", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Aliases = []string{""} }), hs, aud}, []string{"Trust", quoted, "alias"}},
		{"empty audience", []jwtguard.Option{iss, hs, jwtguard.WithAudience("")}, []string{"WithAudience"}},
		{"WithAudience()", []jwtguard.Option{iss, hs, jwtguard.WithAudience()}, []string{"WithAudience"}},
		{"empty entry audience", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Audiences = []string{""} }), hs}, []string{"Trust", quoted, "Audiences"}},
		{"nil clock", []jwtguard.Option{iss, hs, aud, jwtguard.WithClock(nil)}, []string{"WithClock"}},
		{"nil extractor", []jwtguard.Option{iss, hs, aud, jwtguard.WithExtractor(nil)}, []string{"WithExtractor"}},
		{"nil logger", []jwtguard.Option{iss, hs, aud, jwtguard.WithLogger(nil)}, []string{"WithLogger"}},
		{"nil introspector", []jwtguard.Option{iss, hs, aud, jwtguard.WithIntrospection(nil)}, []string{"WithIntrospection"}},
		{"nil resolver", []jwtguard.Option{iss, hs, aud, jwtguard.WithIssuerResolver(nil, 4)}, []string{"WithIssuerResolver", "nil"}},
		{"resolver without slots", []jwtguard.Option{iss, hs, aud,
			jwtguard.WithIssuerResolver(func(context.Context, string) (jwtguard.Issuer, bool) { return jwtguard.Issuer{}, false }, 0)}, []string{"WithIssuerResolver", "maxIssuers"}},
		// Revocation stores (issue 12 items 11 and 17).
		{"nil revocation store", []jwtguard.Option{iss, hs, aud, jwtguard.WithRevocation(nil)}, []string{"WithRevocation"}},
		{"nil typed revocation store", []jwtguard.Option{iss, hs, aud, jwtguard.WithRevocation((*memory.Store)(nil))}, []string{"WithRevocation", "nil store"}},
		{"memory store, defaults", []jwtguard.Option{iss, hs, aud, jwtguard.WithRevocation(mustStore(t))}, nil},
		{"memory store, grace equal to the leeway", []jwtguard.Option{iss, hs, aud, jwtguard.WithRevocation(mustStore(t, memory.WithGrace(30*time.Second)))}, nil},
		{"memory store, grace below the leeway", []jwtguard.Option{iss, hs, aud, jwtguard.WithRevocation(mustStore(t, memory.WithGrace(29*time.Second)))}, []string{"WithRevocation", "grace", "WithLeeway"}},
		{"memory store, skew below the leeway", []jwtguard.Option{iss, hs, aud, jwtguard.WithRevocation(mustStore(t, memory.WithSkew(10*time.Second)))}, []string{"WithRevocation", "skew", "WithLeeway"}},
		{"memory store, leeway raised above its skew", []jwtguard.Option{iss, hs, aud, jwtguard.WithLeeway(time.Minute), jwtguard.WithRevocation(mustStore(t))}, []string{"WithRevocation", "skew", "WithLeeway (1m0s)"}},
		{"memory store, leeway raised above grace and skew", []jwtguard.Option{iss, hs, aud, jwtguard.WithLeeway(maxLeeway),
			jwtguard.WithRevocation(mustStore(t, memory.WithGrace(time.Minute), memory.WithSkew(2*time.Minute)))}, []string{"grace (1m0s)", "skew", "(2m0s)", "WithLeeway (5m0s)"}},
		{"memory store, tolerances raised with the leeway", []jwtguard.Option{iss, hs, aud, jwtguard.WithLeeway(time.Minute),
			jwtguard.WithRevocation(mustStore(t, memory.WithSkew(time.Minute)))}, nil},
		// Issuer entry fields.
		{"empty token type", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.TokenTypes = []string{""} }), hs, aud}, []string{"Trust", quoted, "TokenTypes"}},
		{"token use claim without uses", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.TokenUseClaim = "token_use" }), hs, aud}, []string{"Trust", quoted, "TokenUseClaim", "TokenUses"}},
		{"token uses without claim", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.TokenUses = []string{"access"} }), hs, aud}, []string{"Trust", quoted, "TokenUses", "TokenUseClaim"}},
		{"empty client", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Clients = []string{""} }), hs, aud}, []string{"Trust", quoted, "Clients"}},
		{"empty required claim", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.RequiredClaims = []string{""} }), hs, aud}, []string{"Trust", quoted, "RequiredClaims"}},
		{"bad role claim path", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Claims.Roles = []string{"realm_access..roles"} }), hs, aud}, []string{"Trust", quoted, "Claims.Roles", "realm_access..roles"}},
		{"unclosed bracket", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Claims.Roles = []string{"[kubernetes.io.roles"} }), hs, aud}, []string{"Claims.Roles", "unclosed"}},
		{"bracket inside a name", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Claims.Roles = []string{"a[b]"} }), hs, aud}, []string{"Claims.Roles", "brackets"}},
		{"bracketed path", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Claims.Roles = []string{"resource_access.[api.example.com].roles"} }), hs, aud}, nil},
		{"bad tenant claim path", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Claims.Tenant = ".tid" }), hs, aud}, []string{"Trust", quoted, "Claims.Tenant"}},
		{"bad scope claim path", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Claims.Scopes = []string{""} }), hs, aud}, []string{"Trust", quoted, "Claims.Scopes"}},
		{"bad permission claim path", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Claims.Permissions = []string{"a."} }), hs, aud}, []string{"Trust", quoted, "Claims.Permissions"}},
		{"max token size too small", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.MaxTokenSize = 10 }), hs, aud}, []string{"Trust", quoted, "MaxTokenSize"}},
		{"max token size too large", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.MaxTokenSize = 1 << 30 }), hs, aud}, []string{"Trust", quoted, "MaxTokenSize"}},
		{"template without tenants", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.ID = "https://login.example.test/{tenant}/v2.0" }), hs, aud}, []string{"Trust", "{tenant}", "Tenants", "WithIssuerResolver"}},
		{"tenants without template", []jwtguard.Option{entry(func(is *jwtguard.Issuer) { is.Tenants = []string{"t1"} }), hs, aud}, []string{"Trust", quoted, "Tenants"}},
		{"tenant not plain", []jwtguard.Option{entry(func(is *jwtguard.Issuer) {
			is.ID, is.Tenants = "https://login.example.test/{tenant}/v2.0", []string{"a/b"}
		}), hs, aud}, []string{"Trust", `"a/b"`}},
		{"subject-routed entry", []jwtguard.Option{entry(func(is *jwtguard.Issuer) {
			is.ID, is.SubjectPrefix, is.Audiences = "", "spiffe://example.org/", []string{""}
		}), hs, aud}, []string{"Trust", `issuer for subjects "spiffe://example.org/"`, "Audiences"}},
		// Cross-origin protection: origins are checked even when the
		// protection is off, and the two options contradict each other.
		{"bad trusted origin", []jwtguard.Option{iss, hs, aud, jwtguard.WithTrustedOrigins("not an origin")}, []string{"WithTrustedOrigins"}},
		{"bad trusted origin without protection", []jwtguard.Option{iss, hs, aud, jwtguard.WithTrustedOrigins("not an origin"), jwtguard.WithoutCrossOriginProtection()}, []string{"WithTrustedOrigins", "not an origin"}},
		{"trusted origin without protection", []jwtguard.Option{iss, hs, aud, jwtguard.WithTrustedOrigins("https://app.example.test"), jwtguard.WithoutCrossOriginProtection()}, []string{"WithTrustedOrigins", "WithoutCrossOriginProtection"}},
		{"trusted origin", []jwtguard.Option{iss, hs, aud, jwtguard.WithTrustedOrigins("https://app.example.test")}, nil},
		// Cache and remote keys.
		{"cache size negative", []jwtguard.Option{iss, hs, aud, jwtguard.WithCache(-1, time.Minute)}, []string{"WithCache"}},
		{"cache without ttl", []jwtguard.Option{iss, hs, aud, jwtguard.WithCache(10, 0)}, []string{"WithCache", "ttl"}},
		{"fetch timeout negative", []jwtguard.Option{iss, hs, aud, jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{FetchTimeout: -time.Second})}, []string{"WithRemoteKeys", "FetchTimeout"}},
		{"fetch timeout too long", []jwtguard.Option{iss, hs, aud, jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{FetchTimeout: time.Hour})}, []string{"WithRemoteKeys", "FetchTimeout"}},
		{"refresh interval inverted", []jwtguard.Option{iss, hs, aud, jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{MinRefresh: time.Hour, MaxRefresh: time.Minute})}, []string{"WithRemoteKeys", "MinRefresh", "MaxRefresh"}},
		{"max stale negative", []jwtguard.Option{iss, hs, aud, jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{MaxStale: -time.Second})}, []string{"WithRemoteKeys", "MaxStale"}},
		{"unknown kid gap negative", []jwtguard.Option{iss, hs, aud, jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: -time.Second})}, []string{"WithRemoteKeys", "UnknownKidGap"}},
		{"remote keys, defaults", []jwtguard.Option{iss, hs, aud, jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{})}, nil},
	}
	runNewCases(t, cases)
}

// TestNewHMACPublicKeySecrets: an HMAC secret that is a public key or
// certificate in any encoding is refused (RFC 8725 §2.1; issue 12 item 16:
// DER, raw or base64, too).
func TestNewHMACPublicKeySecrets(t *testing.T) {
	t.Parallel()
	k := testKeys()
	pkcs1 := x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)
	ecDER := must(x509.MarshalPKIXPublicKey(k.p256.Public()))
	cert := attackerCert(t, k.attackerEC) // base64 DER
	secrets := map[string][]byte{
		"PEM":                  k.rsaPEM,
		"JWK":                  k.rsaJWK,
		"SPKI DER":             k.rsaDER,
		"PKCS#1 DER":           pkcs1,
		"EC SPKI DER":          ecDER,
		"SPKI DER base64":      []byte(base64.StdEncoding.EncodeToString(k.rsaDER)),
		"SPKI DER base64url":   []byte(base64.RawURLEncoding.EncodeToString(k.rsaDER)),
		"PKCS#1 DER base64":    []byte(base64.StdEncoding.EncodeToString(pkcs1)),
		"certificate base64":   []byte(cert),
		"certificate DER":      must(base64.StdEncoding.DecodeString(cert)),
		"PEM in Trust entry":   k.rsaPEM,
		"DER with HS512 only":  k.rsaDER,
		"base64 with newlines": []byte(strings.Join(slices.Collect(chunks(base64.StdEncoding.EncodeToString(k.rsaDER), 64)), "\n")),
	}
	var cases []newCase
	for name, s := range secrets {
		algs := jwtguard.WithAlgorithms("HS256")
		if name == "DER with HS512 only" {
			algs = jwtguard.WithAlgorithms("HS512")
		}
		keys := jwtguard.WithIssuer(testIss, jwtguard.HMAC(s))
		option := "WithIssuer"
		if name == "PEM in Trust entry" {
			keys, option = jwtguard.Trust(jwtguard.Issuer{ID: testIss, Keys: jwtguard.HMAC(s)}), "Trust"
		}
		cases = append(cases, newCase{name, []jwtguard.Option{keys, algs, jwtguard.WithAudience(testAud)},
			[]string{option, `issuer "` + testIss + `"`, "HMAC", "public key"}})
	}
	// A random secret of the same length as the DER key is fine.
	cases = append(cases, newCase{"random secret", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.HMAC(k.secret)),
		jwtguard.WithAlgorithms("HS256"), jwtguard.WithAudience(testAud)}, nil})
	runNewCases(t, cases)
}

// chunks splits s into pieces of n bytes.
func chunks(s string, n int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(s) > n {
			if !yield(s[:n]) {
				return
			}
			s = s[n:]
		}
		yield(s)
	}
}

// TestNewSingleValuedOptionTwice: a single-valued option given twice is an
// error naming it, even when both values are the same.
func TestNewSingleValuedOptionTwice(t *testing.T) {
	t.Parallel()
	k := testKeys()
	base := []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.HMAC(k.secret)), jwtguard.WithAlgorithms("HS256")}
	resolver := func(context.Context, string) (jwtguard.Issuer, bool) { return jwtguard.Issuer{}, false }
	twice := []struct {
		name string
		opt  func() jwtguard.Option
	}{
		{"WithAudience", func() jwtguard.Option { return jwtguard.WithAudience(testAud) }},
		{"WithoutAudienceCheck", jwtguard.WithoutAudienceCheck},
		{"WithAlgorithms", func() jwtguard.Option { return jwtguard.WithAlgorithms("HS256") }},
		{"WithLeeway", func() jwtguard.Option { return jwtguard.WithLeeway(time.Second) }},
		{"WithClock", func() jwtguard.Option { return jwtguard.WithClock(fixedClock) }},
		{"WithExtractor", func() jwtguard.Option { return jwtguard.WithExtractor(jwtguard.FromAuthHeader()) }},
		{"WithRevocation", func() jwtguard.Option { return jwtguard.WithRevocation(&fakeStore{}) }},
		{"WithInsecureRevocationFailOpen", jwtguard.WithInsecureRevocationFailOpen},
		{"WithLogger", func() jwtguard.Option { return jwtguard.WithLogger(nil) }},
		{"WithRealm", func() jwtguard.Option { return jwtguard.WithRealm("api") }},
		{"WithTrustedOrigins", func() jwtguard.Option { return jwtguard.WithTrustedOrigins("https://app.example.test") }},
		{"WithoutCrossOriginProtection", jwtguard.WithoutCrossOriginProtection},
		{"WithCache", func() jwtguard.Option { return jwtguard.WithCache(8, time.Minute) }},
		{"WithRemoteKeys", func() jwtguard.Option { return jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{}) }},
		{"WithIssuerResolver", func() jwtguard.Option { return jwtguard.WithIssuerResolver(resolver, 4) }},
		{"WithIntrospection", func() jwtguard.Option { return jwtguard.WithIntrospection(nil) }},
		{"WithoutIssuerCheck", jwtguard.WithoutIssuerCheck},
	}
	var cases []newCase
	for _, o := range twice {
		opts := append(slices.Clone(base), o.opt(), o.opt())
		if o.name == "WithAlgorithms" {
			opts = append(opts[:1:1], o.opt(), o.opt())
		}
		cases = append(cases, newCase{o.name + " twice", opts, []string{o.name, "given more than once"}})
	}
	runNewCases(t, cases)
	// Options that add up may be given several times.
	runNewCases(t, []newCase{
		{"WithIssuer twice", []jwtguard.Option{jwtguard.WithIssuer(testIss, jwtguard.HMAC(k.secret)), jwtguard.WithIssuer("https://b.test", jwtguard.HMAC(k.secret)),
			jwtguard.WithAlgorithms("HS256"), jwtguard.WithAudience(testAud)}, nil},
		{"Trust twice", []jwtguard.Option{jwtguard.Trust(jwtguard.Issuer{ID: testIss, Keys: jwtguard.HMAC(k.secret)}), jwtguard.Trust(jwtguard.Issuer{ID: "https://b.test", Keys: jwtguard.HMAC(k.secret)}),
			jwtguard.WithAlgorithms("HS256"), jwtguard.WithAudience(testAud)}, nil},
	})
}

// TestNewReportsEveryProblem checks that New reports every problem at once,
// option errors and issuer entry errors together, so a developer fixes the
// configuration in one round.
func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := jwtguard.New(jwtguard.WithLeeway(time.Hour), jwtguard.WithAlgorithms("HS256"), jwtguard.WithAudience(testAud),
		jwtguard.WithIssuer(testIss, jwtguard.HMAC([]byte("short"))),
		jwtguard.Trust(jwtguard.Issuer{ID: "https://b.test", Keys: jwtguard.JWKS("http://idp.example.test/jwks"), TokenUseClaim: "token_use"}),
		jwtguard.WithCache(-1, 0))
	if err == nil {
		t.Fatal("New succeeded")
	}
	for _, w := range []string{"WithLeeway", "WithCache", "WithIssuer", "HMAC", "Trust", `issuer "https://b.test"`, "TokenUses"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	// Single-valued options given twice are reported with the rest.
	_, err = jwtguard.New(jwtguard.WithRealm("a"), jwtguard.WithRealm("b"), jwtguard.WithLeeway(-1))
	for _, w := range []string{"WithRealm", "WithLeeway", "WithAlgorithms", "WithIssuer"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not mention %q", err, w)
		}
	}
}

// TestOptionsApply checks options whose effect is visible through Verify.
func TestOptionsApply(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, jwtguard.WithRealm("my-api"))
	rec := httptest.NewRecorder()
	v.WriteError(rec, jwtguard.ErrNoToken)
	if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="my-api"` {
		t.Fatalf("WWW-Authenticate %q, want the realm", got)
	}
	// WithClock: the same token is valid at testNow and expired an hour later.
	later := staticVerifierAt(t, func() time.Time { return testNow.Add(time.Hour) })
	tok := good(t, "HS256")
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	_, err := later.Verify(context.Background(), tok)
	checkErr(t, err, jwtguard.ErrTokenExpired)
	// Static verifiers are ready at once.
	if err := v.Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify after Close: %v", err)
	}
}

// TestSupportedAlgorithms: New's error for an unsupported algorithm lists
// the supported ones (SupportedAlgorithms is gone); every listed algorithm
// is accepted by WithAlgorithms, and none is never listed.
func TestSupportedAlgorithms(t *testing.T) {
	t.Parallel()
	_, err := jwtguard.New(jwtguard.WithAlgorithms("XS256"), jwtguard.WithIssuer(testIss, jwtguard.StaticKeys(testKeys().jwkSet)),
		jwtguard.WithAudience(testAud))
	if err == nil {
		t.Fatal("New accepted XS256")
	}
	_, list, ok := strings.Cut(err.Error(), "(supported: ")
	if !ok {
		t.Fatalf("error %q does not list the supported algorithms", err)
	}
	list, _, _ = strings.Cut(list, ")")
	got := strings.Split(list, ", ")
	for _, a := range got {
		if strings.EqualFold(a, "none") {
			t.Fatal("none is listed as supported")
		}
		keys := jwtguard.StaticKeys(testKeys().jwkSet)
		if strings.HasPrefix(a, "HS") {
			keys = jwtguard.HMAC(testKeys().secret)
		}
		v, err := jwtguard.New(jwtguard.WithAlgorithms(a), jwtguard.WithIssuer(testIss, keys), jwtguard.WithAudience(testAud))
		if err != nil {
			t.Errorf("WithAlgorithms(%q): %v", a, err)
			continue
		}
		_ = v.Close()
	}
	if strings.Join(got, ",") != strings.Join(allAlgs, ",") {
		t.Fatalf("supported algorithms %v, want %v", got, allAlgs)
	}
}
