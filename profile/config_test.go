package profile_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/providertest"
	"github.com/jwtguard/jwtguard/profile"
)

// TestRefusedConfigurations: what a profile knows cannot work fails New,
// with an error that says why.
func TestRefusedConfigurations(t *testing.T) {
	for _, tc := range []struct {
		name string
		is   jwtguard.Issuer
		want string
	}{
		{"Okta org authorization server", profile.Okta("https://acme.okta.com", "api://orders"), "only Okta can validate them"},
		{"Okta org authorization server, trailing slash", profile.Okta("https://acme.okta.com/", "api://orders"), "custom authorization server"},
		{"Okta org server endpoints", profile.Okta("https://acme.okta.com/oauth2/v1", "api://orders"), "only Okta can validate them"},
		{"Okta other path", profile.Okta("https://acme.okta.com/oauth2/default/v1/keys", "api://orders"), "not the issuer of an Okta custom authorization server"},
		{"Okta plain http", profile.Okta("http://acme.okta.com/oauth2/default", "api://orders"), "https"},
		{"Okta no audience", profile.Okta("https://acme.okta.com/oauth2/default", ""), "audience"},
		{"Entra tenant as domain", profile.EntraID("contoso.onmicrosoft.com", "api://orders"), "GUID"},
		{"Entra common", profile.EntraID("common", "api://orders"), "EntraIDMultiTenant"},
		{"Entra multi-tenant without tenants", profile.EntraIDMultiTenant("api://orders"), "list the allowed tenant IDs"},
		{"Entra multi-tenant bad tenant", profile.EntraIDMultiTenant("api://orders", "8eaef023-2b34-4da1-9baa-8bc8c9d6a490", "x"), "GUID"},
		{"Cognito pool of another region", profile.Cognito("us-east-1", "eu-west-1_AbCdEf123", "c"), "not a pool of region"},
		{"Cognito without app clients", profile.Cognito("eu-west-1", "eu-west-1_AbCdEf123"), "every app client"},
		{"Cognito ID tokens without app clients", profile.CognitoIDTokens("eu-west-1", "eu-west-1_AbCdEf123"), "every app client"},
		{"Cognito bad region", profile.Cognito("Europe", "Europe_x", "c"), "not an AWS region"},
		{"Google without client IDs", profile.Google(), "any Google ID token"},
		{"Auth0 URL with path", profile.Auth0("https://acme.eu.auth0.com/api", "https://api"), "not a domain"},
		{"Auth0 without audience", profile.Auth0("acme.eu.auth0.com", ""), "audience"},
		{"Keycloak without client", profile.Keycloak("https://kc.example.com/realms/acme", ""), "client ID"},
		{"Keycloak client with ]", profile.Keycloak("https://kc.example.com/realms/acme", "a]b"), "]"},
		{"Firebase without project", profile.Firebase(""), "project ID"},
		{"Zitadel without project", profile.Zitadel("https://acme.zitadel.cloud", ""), "project ID"},
		{"SPIFFE bad trust domain", profile.SPIFFE("Acme Example", "https://spire.acme.example/bundle", "a"), "trust domain"},
		{"SPIFFE without audience", profile.SPIFFE("acme.example", "https://spire.acme.example/bundle", ""), "audience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.is.Invalid == nil {
				t.Fatal("Invalid not set")
			}
			v, err := jwtguard.New(jwtguard.Trust(tc.is), jwtguard.WithAlgorithms("RS256"))
			if err == nil {
				v.Close()
				t.Fatal("New accepted the configuration")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
	if err := profile.Okta("https://acme.okta.com", "api://orders").Invalid; !errors.Is(err, profile.ErrOktaOrgServer) {
		t.Errorf("Okta org server: %v does not wrap ErrOktaOrgServer", err)
	}
	// Issue 16 item 10: New's joined error keeps every Invalid error
	// matchable, beside the other problems it reports.
	_, err := jwtguard.New(jwtguard.Trust(profile.Okta("https://acme.okta.com", "api://orders"), profile.Auth0("acme.eu.auth0.com", "")))
	if !errors.Is(err, profile.ErrOktaOrgServer) {
		t.Errorf("New: %v does not wrap ErrOktaOrgServer", err)
	}
	if err == nil || !strings.Contains(err.Error(), "WithAlgorithms") || !strings.Contains(err.Error(), "audience") {
		t.Errorf("New: %v does not report the other problems too", err)
	}
}

// TestNormalizedIssuers: details a profile gets right by construction.
func TestNormalizedIssuers(t *testing.T) {
	for _, tc := range []struct {
		is       jwtguard.Issuer
		id, keys string
	}{
		{profile.Auth0("acme.eu.auth0.com", "a"), "https://acme.eu.auth0.com/", "JWKS(https://acme.eu.auth0.com/.well-known/jwks.json)"},
		{profile.Auth0("https://acme.eu.auth0.com/", "a"), "https://acme.eu.auth0.com/", ""},
		{profile.Keycloak("https://kc.example.com/realms/acme/", "a"), "https://kc.example.com/realms/acme", ""},
		{profile.Okta("https://acme.okta.com/oauth2/default/", "a"), "https://acme.okta.com/oauth2/default", ""},
		{profile.Zitadel("https://acme.zitadel.cloud/", "1"), "https://acme.zitadel.cloud", ""},
		{profile.Hydra("https://auth.acme.example/", "a"), "https://auth.acme.example/", ""},
	} {
		if tc.is.Invalid != nil || tc.is.ID != tc.id {
			t.Errorf("ID %q (invalid: %v), want %q", tc.is.ID, tc.is.Invalid, tc.id)
		}
	}
	sp := profile.SPIFFE("spiffe://acme.example", "https://spire.acme.example/bundle", "a")
	if sp.SubjectPrefix != "spiffe://acme.example/" || sp.ID != "" || sp.Invalid != nil {
		t.Errorf("SPIFFE: prefix %q, ID %q, invalid %v", sp.SubjectPrefix, sp.ID, sp.Invalid)
	}
}

// TestEntraSizeNeeded: the many-groups token needs the profile's size.
func TestEntraSizeNeeded(t *testing.T) {
	f, p := served(t, "entra")
	h, c, err := f.Token("access-v2-many-groups", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := providertest.Sign(h, c, testKeys().rsa)
	if err != nil {
		t.Fatal(err)
	}
	is := profile.EntraID("8eaef023-2b34-4da1-9baa-8bc8c9d6a490", "6e74172b-be56-4843-9ff4-e66a39bb12e3")
	if _, err := check(t, p, setup{issuer: is}, tok); err != nil {
		t.Fatalf("profile size: %v", err)
	}
	is.MaxTokenSize = 0 // jwtguard's default, 8 KiB
	if _, err := check(t, p, setup{issuer: is}, tok); !errors.Is(err, jwtguard.ErrTokenTooLarge) {
		t.Fatalf("default size: got %v, want ErrTokenTooLarge", err)
	}
	if len(tok) > profile.EntraMaxTokenSize {
		t.Fatalf("token of %d bytes exceeds EntraMaxTokenSize", len(tok))
	}
}

// TestAlternativeKeyURLs: Google's and Firebase's other key formats (the
// X.509 map and the JWK URL) serve the same keys.
func TestAlternativeKeyURLs(t *testing.T) {
	for _, tc := range []struct {
		fixture, keysURL string
		is               func() jwtguard.Issuer
	}{
		{"firebase", "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
			func() jwtguard.Issuer { return profile.Firebase("acme-prod-1a2b3") }},
		{"google", "https://www.googleapis.com/oauth2/v1/certs",
			func() jwtguard.Issuer {
				return profile.Google("1234987819200-8jksrb1qsrtvbhe9d0q2d6rr1g0i6vhd.apps.googleusercontent.com")
			}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			f, p := served(t, tc.fixture)
			h, c, err := f.Token("id", time.Now(), nil)
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := providertest.Sign(h, c, testKeys().rsa)
			is := tc.is()
			is.Keys = jwtguard.JWKS(tc.keysURL)
			if _, err := check(t, p, setup{issuer: is}, tok); err != nil {
				t.Fatal(err)
			}
			if p.hitCount(tc.keysURL) == 0 {
				t.Fatalf("%s not fetched", tc.keysURL)
			}
		})
	}
}

// TestProfilesCombine: several profiles in one verifier, each token judged
// by its own issuer's entry; a key source with its own client.
func TestProfilesCombine(t *testing.T) {
	p := newProviders(t)
	var toks []string
	for _, name := range []string{"auth0", "github-actions", "spiffe", "entra"} {
		f, err := providertest.Load(fixtures + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		p.publish(t, f)
		for kind := range f.Tokens {
			h, c, err := f.Token(kind, time.Now(), nil)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := providertest.Sign(h, c, signer(f))
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, tok)
		}
	}
	entra := profile.EntraIDMultiTenant("6e74172b-be56-4843-9ff4-e66a39bb12e3", "8eaef023-2b34-4da1-9baa-8bc8c9d6a490")
	entra.Audiences = append(entra.Audiences, "api://orders-api")
	gh := profile.GitHubActions("https://github.com/octo-org")
	gh.Keys = gh.Keys.WithHTTPClient(p.Client) // per source; the others use WithRemoteKeys
	v, err := jwtguard.New(
		jwtguard.Trust(
			profile.Auth0("acme.eu.auth0.com", "https://api.acme.example/orders", "https://acme.example/roles"),
			gh,
			profile.SPIFFE("acme.example", "https://spire.acme.example:8443/bundle", "spiffe://acme.example/ns/orders/sa/orders-api"),
			entra,
		),
		jwtguard.WithAlgorithms("RS256", "ES256"),
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{Client: p.Client}),
		jwtguard.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if len(toks) != 6 {
		t.Fatalf("want 6 tokens, got %d", len(toks))
	}
	for _, tok := range toks {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Errorf("refused: %v", err)
		}
	}
}
