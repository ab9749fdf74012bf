package jwtguard_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

func TestNewValidation(t *testing.T) {
	t.Parallel()
	k := testKeys()
	secret := k.secret[:32]
	hmac := jwtguard.WithHMAC(secret)
	hs := jwtguard.WithAlgorithms("HS256")
	iss := jwtguard.WithIssuer(testIss)
	aud := jwtguard.WithAudience(testAud)
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts []jwtguard.Option
		want []string // substrings the error must contain; nil = New succeeds
	}{
		{"complete", []jwtguard.Option{hmac, hs, iss, aud}, nil},
		{"no options at all", nil, []string{"WithAlgorithms", "WithJWKS", "WithIssuer", "WithAudience"}},
		{"no key source", []jwtguard.Option{hs, iss, aud}, []string{"no key source", "WithJWKS", "WithDiscovery", "WithKeySet", "WithKey", "WithHMAC"}},
		{"no algorithms", []jwtguard.Option{hmac, iss, aud}, []string{"WithAlgorithms"}},
		{"no issuer", []jwtguard.Option{hmac, hs, aud}, []string{"WithIssuer", "WithoutIssuerCheck"}},
		{"no audience", []jwtguard.Option{hmac, hs, iss}, []string{"WithAudience", "WithoutAudienceCheck"}},
		{"issuer waived", []jwtguard.Option{hmac, hs, aud, jwtguard.WithoutIssuerCheck()}, nil},
		{"audience waived", []jwtguard.Option{hmac, hs, iss, jwtguard.WithoutAudienceCheck()}, nil},
		{"discovery supplies the issuer", []jwtguard.Option{jwtguard.WithDiscovery("https://idp.example.test"), jwtguard.WithAlgorithms("RS256"), aud}, nil},
		// none is never allowed, in any casing.
		{"alg none", []jwtguard.Option{hmac, jwtguard.WithAlgorithms("HS256", "none"), iss, aud}, []string{"WithAlgorithms", "none"}},
		{"alg None", []jwtguard.Option{hmac, jwtguard.WithAlgorithms("None"), iss, aud}, []string{"WithAlgorithms", "never"}},
		{"alg NONE", []jwtguard.Option{hmac, jwtguard.WithAlgorithms("NONE"), iss, aud}, []string{"WithAlgorithms", "never"}},
		{"alg unsupported", []jwtguard.Option{hmac, jwtguard.WithAlgorithms("HS1"), iss, aud}, []string{"WithAlgorithms", "HS1"}},
		{"alg lower case", []jwtguard.Option{hmac, jwtguard.WithAlgorithms("hs256"), iss, aud}, []string{"WithAlgorithms"}},
		{"WithAlgorithms empty", []jwtguard.Option{hmac, jwtguard.WithAlgorithms(), iss, aud}, []string{"WithAlgorithms"}},
		// HMAC secrets.
		{"secret 31 bytes", []jwtguard.Option{jwtguard.WithHMAC(k.secret[:31]), hs, iss, aud}, []string{"WithHMAC", "32"}},
		{"secret empty", []jwtguard.Option{jwtguard.WithHMAC(nil), hs, iss, aud}, []string{"WithHMAC"}},
		{"secret too short for HS512", []jwtguard.Option{hmac, jwtguard.WithAlgorithms("HS256", "HS512"), iss, aud}, []string{"WithHMAC", "HS512"}},
		{"secret long enough for HS512", []jwtguard.Option{jwtguard.WithHMAC(k.secret), jwtguard.WithAlgorithms("HS512"), iss, aud}, nil},
		{"secret is a PEM public key", []jwtguard.Option{jwtguard.WithHMAC(k.rsaPEM), hs, iss, aud}, []string{"WithHMAC", "public key"}},
		{"secret is a JWK", []jwtguard.Option{jwtguard.WithHMAC(k.rsaJWK), hs, iss, aud}, []string{"WithHMAC", "public key"}},
		{"secret without HS algorithm", []jwtguard.Option{hmac, jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithHMAC", "WithAlgorithms"}},
		// Leeway.
		{"leeway at cap", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithLeeway(jwtguard.MaxLeeway)}, nil},
		{"leeway zero", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithLeeway(0)}, nil},
		{"leeway over cap", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithLeeway(jwtguard.MaxLeeway + time.Second)}, []string{"WithLeeway"}},
		{"leeway an hour", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithLeeway(time.Hour)}, []string{"WithLeeway"}},
		{"leeway negative", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithLeeway(-time.Second)}, []string{"WithLeeway"}},
		// Contradictions.
		{"issuer and no issuer check", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithoutIssuerCheck()}, []string{"WithIssuer", "WithoutIssuerCheck"}},
		{"audience and no audience check", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithoutAudienceCheck()}, []string{"WithAudience", "WithoutAudienceCheck"}},
		{"two key sources", []jwtguard.Option{hmac, jwtguard.WithJWKS("https://idp.example.test/jwks"), jwtguard.WithAlgorithms("HS256", "RS256"), iss, aud}, []string{"more than one key source"}},
		{"two JWKS URLs", []jwtguard.Option{jwtguard.WithJWKS("https://a.test/jwks"), jwtguard.WithJWKS("https://b.test/jwks"), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"more than one key source"}},
		{"WithIssuers and WithHMAC", []jwtguard.Option{hmac, hs, aud, jwtguard.WithIssuers(jwtguard.IssuerConfig{Issuer: testIss, KeySet: k.jwkSet})}, []string{"WithIssuers", "WithHMAC"}},
		// WithKey.
		{"WithKey alg not allowed", []jwtguard.Option{jwtguard.WithKey(k.rsa.Public(), "RS256"), jwtguard.WithAlgorithms("ES256"), iss, aud}, []string{"WithKey", "RS256"}},
		{"WithKey wrong key type", []jwtguard.Option{jwtguard.WithKey(k.rsa.Public(), "ES256"), jwtguard.WithAlgorithms("ES256"), iss, aud}, []string{"WithKey", "ES256"}},
		{"WithKey wrong curve", []jwtguard.Option{jwtguard.WithKey(k.p256.Public(), "ES384"), jwtguard.WithAlgorithms("ES384"), iss, aud}, []string{"WithKey", "ES384"}},
		{"WithKey secret", []jwtguard.Option{jwtguard.WithKey(secret, "HS256"), hs, iss, aud}, []string{"WithKey", "WithHMAC"}},
		{"WithKey nil", []jwtguard.Option{jwtguard.WithKey(nil, "RS256"), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithKey"}},
		{"WithKey unsupported alg", []jwtguard.Option{jwtguard.WithKey(k.rsa.Public(), "none"), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithKey"}},
		{"WithKey RSA 1024", []jwtguard.Option{jwtguard.WithKey(weakRSA.Public(), "RS256"), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithKey", "2048"}},
		{"WithKey private key reduced to public", []jwtguard.Option{jwtguard.WithKey(k.rsa, "RS256"), jwtguard.WithAlgorithms("RS256"), iss, aud}, nil},
		{"WithKeySet empty", []jwtguard.Option{jwtguard.WithKeySet(jwk.NewSet()), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithKeySet"}},
		// Remote URLs.
		{"JWKS over http", []jwtguard.Option{jwtguard.WithJWKS("http://idp.example.test/jwks"), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithJWKS", "WithInsecureHTTP"}},
		{"JWKS over http, allowed", []jwtguard.Option{jwtguard.WithJWKS("http://idp.example.test/jwks"), jwtguard.WithInsecureHTTP(), jwtguard.WithAlgorithms("RS256"), iss, aud}, nil},
		{"JWKS over http on loopback", []jwtguard.Option{jwtguard.WithJWKS("http://127.0.0.1:1/jwks"), jwtguard.WithAlgorithms("RS256"), iss, aud}, nil},
		{"JWKS ftp", []jwtguard.Option{jwtguard.WithJWKS("ftp://idp.example.test/jwks"), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithJWKS"}},
		{"JWKS with credentials", []jwtguard.Option{jwtguard.WithJWKS("https://u:p@idp.example.test/jwks"), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithJWKS"}},
		{"JWKS empty", []jwtguard.Option{jwtguard.WithJWKS(""), jwtguard.WithAlgorithms("RS256"), iss, aud}, []string{"WithJWKS"}},
		{"discovery over http", []jwtguard.Option{jwtguard.WithDiscovery("http://idp.example.test"), jwtguard.WithAlgorithms("RS256"), aud}, []string{"WithDiscovery"}},
		// Other option arguments.
		{"nil option", []jwtguard.Option{hmac, hs, iss, aud, nil}, []string{"nil Option"}},
		{"empty issuer", []jwtguard.Option{hmac, hs, jwtguard.WithIssuer(""), aud}, []string{"WithIssuer"}},
		{"WithIssuer()", []jwtguard.Option{hmac, hs, jwtguard.WithIssuer(), aud}, []string{"WithIssuer"}},
		{"empty audience", []jwtguard.Option{hmac, hs, iss, jwtguard.WithAudience("")}, []string{"WithAudience"}},
		{"WithAudience()", []jwtguard.Option{hmac, hs, iss, jwtguard.WithAudience()}, []string{"WithAudience"}},
		{"empty token type", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithTokenType("")}, []string{"WithTokenType"}},
		{"empty required claim", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithRequiredClaims("")}, []string{"WithRequiredClaims"}},
		{"nil clock", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithClock(nil)}, []string{"WithClock"}},
		{"nil extractor", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithExtractor(nil)}, []string{"WithExtractor"}},
		{"nil logger", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithLogger(nil)}, []string{"WithLogger"}},
		{"nil revocation store", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithRevocation(nil)}, []string{"WithRevocation"}},
		{"bad role claim path", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithRoleClaim("realm_access..roles")}, []string{"WithRoleClaim"}},
		{"bad tenant claim path", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithTenantClaim(".tid")}, []string{"WithTenantClaim"}},
		{"bad scope claim path", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithScopeClaim("")}, []string{"WithScopeClaim"}},
		{"max token size too small", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithMaxTokenSize(10)}, []string{"WithMaxTokenSize"}},
		{"max token size too large", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithMaxTokenSize(1 << 30)}, []string{"WithMaxTokenSize"}},
		{"bad trusted origin", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithTrustedOrigins("not an origin")}, []string{"WithTrustedOrigins"}},
		{"cache size negative", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithCache(-1, time.Minute)}, []string{"WithCache"}},
		{"cache without ttl", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithCache(10, 0)}, []string{"WithCache"}},
		{"fetch timeout zero", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithFetchTimeout(0)}, []string{"WithFetchTimeout"}},
		{"refresh interval inverted", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithRefreshInterval(time.Hour, time.Minute)}, []string{"WithRefreshInterval"}},
		{"max stale zero", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithMaxStale(0)}, []string{"WithMaxStale"}},
		{"nil HTTP client", []jwtguard.Option{hmac, hs, iss, aud, jwtguard.WithHTTPClient(nil)}, []string{"WithHTTPClient"}},
	}
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

// TestNewReportsEveryProblem checks that New reports all missing settings at
// once, so a developer fixes the configuration in one round.
func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := jwtguard.New(jwtguard.WithLeeway(time.Hour), jwtguard.WithHMAC([]byte("short")))
	if err == nil {
		t.Fatal("New succeeded")
	}
	for _, w := range []string{"WithLeeway", "WithHMAC"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// TestOptionsApply checks options whose effect is visible through Verify.
func TestOptionsApply(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, jwtguard.WithRealm("my-api"))
	if v.Realm() != "my-api" {
		t.Fatalf("Realm() = %q", v.Realm())
	}
	// WithClock: the same token is valid at testNow and expired an hour later.
	later := staticVerifier(t, jwtguard.WithClock(func() time.Time { return testNow.Add(time.Hour) }))
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

func TestSupportedAlgorithms(t *testing.T) {
	t.Parallel()
	got := jwtguard.SupportedAlgorithms()
	for _, a := range got {
		if strings.EqualFold(a, "none") {
			t.Fatal("none is listed as supported")
		}
		// Every listed algorithm is accepted by WithAlgorithms.
		if _, err := jwtguard.New(jwtguard.WithAlgorithms(a), jwtguard.WithKeySet(testKeys().jwkSet),
			jwtguard.WithIssuer(testIss), jwtguard.WithAudience(testAud)); err != nil {
			t.Errorf("WithAlgorithms(%q): %v", a, err)
		}
	}
	if strings.Join(got, ",") != strings.Join(allAlgs, ",") {
		t.Fatalf("SupportedAlgorithms() = %v, want %v", got, allAlgs)
	}
}
