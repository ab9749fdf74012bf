package jwtguardtest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/introspect"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/profile"
)

// discard drops the key sources' logs of the tests that make them fail.
var discard = slog.New(slog.DiscardHandler)

// TestWithURLProfiles: a stand-in serves each profile's real key URL, and
// the profile's entry, with only its key source's client changed, accepts
// the stand-in's tokens and refuses the bad ones.
func TestWithURLProfiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		entry    jwtguard.Issuer
		hosts    []string            // further hosts of the stand-in
		defaults jwtguardtest.Claims // what the provider puts in every token
	}{
		{name: "Auth0 (trailing slash, JWKS at /.well-known/jwks.json)",
			entry:    profile.Auth0("acme.eu.auth0.com", "https://api.acme.example/orders"),
			defaults: jwtguardtest.Claims{"aud": "https://api.acme.example/orders"}},
		{name: "Keycloak (issuer with a path, token-use claim)",
			entry:    profile.Keycloak("https://kc.example.com/realms/acme", "orders-api"),
			defaults: jwtguardtest.Claims{"aud": "orders-api", "typ": "Bearer"}},
		{name: "Google (keys on another host)",
			entry:    profile.Google("orders-client"),
			hosts:    []string{"www.googleapis.com"},
			defaults: jwtguardtest.Claims{"aud": "orders-client"}},
		{name: "Dex (OIDC discovery)",
			entry:    profile.Dex("https://dex.acme.example", "orders-api"),
			defaults: jwtguardtest.Claims{"aud": "orders-api"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithURL(tc.entry.ID, tc.hosts...), jwtguardtest.WithDefaultClaims(tc.defaults))
			if iss.URL() != tc.entry.ID {
				t.Fatalf("URL %q, want the profile's issuer %q", iss.URL(), tc.entry.ID)
			}
			e := tc.entry
			e.Keys = e.Keys.WithHTTPClient(iss.Client())
			v, err := jwtguard.New(jwtguard.Trust(e), jwtguard.WithAlgorithms("RS256"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = v.Close() })
			if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
				t.Fatalf("Ready: %v", err)
			}
			ctx := context.Background()
			c, err := v.Verify(ctx, iss.Mint(jwtguardtest.Claims{"sub": "alice"}))
			if err != nil || c.Subject != "alice" || c.Issuer != tc.entry.ID {
				t.Fatalf("Verify: %v, %+v", err, c)
			}
			for _, bad := range []struct {
				token string
				want  error
			}{
				{iss.Expired(), jwtguard.ErrTokenExpired},
				{iss.NotYetValid(), jwtguard.ErrTokenNotYetValid},
				{iss.WrongAudience(), jwtguard.ErrInvalidAudience},
				{iss.WrongIssuer(), jwtguard.ErrInvalidIssuer},
				{iss.TamperedSignature(), jwtguard.ErrInvalidSignature},
			} {
				if _, err := v.Verify(ctx, bad.token); !errors.Is(err, bad.want) {
					t.Errorf("got %v, want %v", err, bad.want)
				}
			}

			// VerifierFor routes the profile's key source through the
			// stand-in's client by itself.
			vf := iss.VerifierFor(t, tc.entry)
			if _, err := vf.Verify(ctx, iss.Mint(nil)); err != nil {
				t.Fatalf("VerifierFor: %v", err)
			}
		})
	}
}

// TestWithURLEndpoints: the stand-in's own endpoints (discovery, JWKS,
// introspection) live under its URL, its client reaches them and nothing
// else, and Verifier trusts it through discovery.
func TestWithURLEndpoints(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithURL("https://kc.example.com/realms/acme/"))
	for _, tc := range []struct{ got, want string }{
		{iss.URL(), "https://kc.example.com/realms/acme/"},
		{iss.JWKSURL(), "https://kc.example.com/realms/acme/jwks.json"},
		{iss.IntrospectionURL(), "https://kc.example.com/realms/acme/introspect"},
		{iss.EnableIntrospection("rs", "secret"), "https://kc.example.com/realms/acme/introspect"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
	get := func(u string) (int, string, error) {
		resp, err := iss.Client().Get(u)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	for _, tc := range []struct {
		url, want string
	}{
		{"https://kc.example.com/realms/acme/.well-known/openid-configuration", `"issuer":"https://kc.example.com/realms/acme/"`},
		{"https://kc.example.com/realms/acme/jwks.json", `"keys":[`},
		{"https://kc.example.com/realms/acme/protocol/openid-connect/certs", `"keys":[`},
		{"https://kc.example.com/anything/else", `"keys":[`},
	} {
		code, body, err := get(tc.url)
		if err != nil || code != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %v %.80s, want 200 with %s", tc.url, code, err, body, tc.want)
		}
	}
	if _, _, err := get("https://www.googleapis.com/oauth2/v3/certs"); err == nil || !strings.Contains(err.Error(), "www.googleapis.com is not served") {
		t.Errorf("a host the stand-in does not serve: %v", err)
	}

	v := iss.Verifier(t)
	if _, err := v.Verify(context.Background(), iss.Mint(nil)); err != nil {
		t.Fatalf("Verifier: %v", err)
	}

	// The introspection endpoint answers under the issuer's path.
	in, err := introspect.New(iss.IntrospectionURL(), introspect.ClientSecretBasic("rs", "secret"), introspect.WithHTTPClient(iss.Client()))
	if err != nil {
		t.Fatal(err)
	}
	vi := iss.Verifier(t, jwtguard.WithIntrospection(in))
	if c, err := vi.Verify(context.Background(), iss.MintOpaque(jwtguardtest.Claims{"sub": "carol"})); err != nil || c.Subject != "carol" {
		t.Fatalf("introspection: %v", err)
	}
	if iss.IntrospectionHits() == 0 {
		t.Fatal("the introspection endpoint was not asked")
	}
}

// TestWithURLMissingHost: a key URL on a host the stand-in was not given
// fails with an error naming the host.
func TestWithURLMissingHost(t *testing.T) {
	t.Parallel()
	g := profile.Google("orders-client")
	iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithURL(g.ID))
	g.Keys = g.Keys.WithHTTPClient(iss.Client())
	v, err := jwtguard.New(jwtguard.Trust(g), jwtguard.WithAlgorithms("RS256"), jwtguard.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	// Ready names the last fetch error once there is one.
	const want = "www.googleapis.com is not served by the local TLS server"
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = jwtguardtest.ReadyWithin(v, 50*time.Millisecond)
		if err != nil && strings.Contains(err.Error(), want) {
			return
		}
		if err == nil || time.Now().After(deadline) {
			t.Fatalf("Ready: %v, want an error naming the missing host", err)
		}
	}
}

func TestWithURLRefusesBadArguments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url   string
		hosts []string
	}{
		{url: "http://kc.example.com/realms/acme"},
		{url: "kc.example.com"},
		{url: "https:///realms/acme"},
		{url: "https://kc.example.com/?realm=acme"},
		{url: "https://kc.example.com/#acme"},
		{url: "https://user@kc.example.com/"},
		{url: "https://accounts.google.com", hosts: []string{"https://www.googleapis.com"}},
		{url: "https://accounts.google.com", hosts: []string{"www.googleapis.com:443"}},
		{url: "https://accounts.google.com", hosts: []string{""}},
	} {
		if iss, err := jwtguardtest.StartIssuer(jwtguardtest.WithURL(tc.url, tc.hosts...)); err == nil {
			iss.Close()
			t.Errorf("WithURL(%q, %q) accepted", tc.url, tc.hosts)
		} else if !strings.Contains(err.Error(), "WithURL(") {
			t.Errorf("WithURL(%q, %q): error %q does not name the option", tc.url, tc.hosts, err)
		}
	}
}
