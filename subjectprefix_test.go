package jwtguard_test

import (
	"context"
	"testing"

	"github.com/jwtguard/jwtguard"
)

// TestSubjectPrefixRouting: an entry without ID takes tokens without iss by
// their sub prefix, and tokens whose iss no entry has (SPIRE's jwt_issuer);
// an entry with an ID and a prefix refuses subs outside the prefix.
func TestSubjectPrefixRouting(t *testing.T) {
	k := testKeys()
	const td = "spiffe://example.org/"
	v := mustNew(t,
		jwtguard.Trust(
			jwtguard.Issuer{SubjectPrefix: td, Keys: jwtguard.StaticKeys(k.jwkSet), Audiences: []string{testAud}},
			jwtguard.Issuer{ID: testIss, SubjectPrefix: "spiffe://other.org/", Keys: jwtguard.StaticKeys(k.jwkSet), Audiences: []string{testAud}},
		),
		jwtguard.WithAlgorithms("ES256"), jwtguard.WithClock(fixedClock))
	for _, tc := range []struct {
		name string
		over map[string]any
		want error
	}{
		{"no iss, sub in the trust domain", map[string]any{"iss": nil, "sub": td + "ns/a/sa/b"}, nil},
		{"unknown iss, sub in the trust domain", map[string]any{"iss": "https://oidc-discovery.example.org", "sub": td + "ns/a/sa/b"}, nil},
		{"no iss, lookalike trust domain", map[string]any{"iss": nil, "sub": "spiffe://example.org.evil/x"}, jwtguard.ErrInvalidIssuer},
		{"no iss, sub outside every prefix", map[string]any{"iss": nil, "sub": "alice"}, jwtguard.ErrInvalidIssuer},
		{"unknown iss, sub outside every prefix", map[string]any{"iss": "https://evil.example", "sub": "alice"}, jwtguard.ErrInvalidIssuer},
		{"iss with ID and prefix, sub inside", map[string]any{"sub": "spiffe://other.org/w"}, nil},
		{"iss with ID and prefix, sub outside", map[string]any{"sub": td + "w"}, jwtguard.ErrInvalidIssuer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), mint(t, "ES256", with(tc.over), tokenOpts{}))
			checkErr(t, err, tc.want)
		})
	}
}
