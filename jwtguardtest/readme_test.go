package jwtguardtest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/snippets"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
	"github.com/jwtguard/jwtguard/profile"
)

// The tests below are the code of README.md's section "Testing your
// handlers", which TestREADMESnippets keeps identical.

// ordersHandler stands for the handler a README reader tests.
func ordersHandler() http.Handler {
	return nethttp.Require(jwtguard.RequireAllScopes("orders:read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
}

func TestOrders(t *testing.T) {
	iss := jwtguardtest.NewIssuer(t) // discovery + JWKS on httptest, stopped when the test ends
	v := iss.Verifier(t)             // trusts iss for aud jwtguardtest.DefaultAudience; keys loaded
	h := nethttp.Middleware(v)(ordersHandler())

	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"reader", iss.Mint(jwtguardtest.Claims{"sub": "alice", "scope": "orders:read"}), http.StatusOK},
		{"ES256 key", iss.Mint(jwtguardtest.Claims{"scope": "orders:read"}, jwtguardtest.WithAlg("ES256")), http.StatusOK},
		{"no scope", iss.Mint(jwtguardtest.Claims{"sub": "bob"}), http.StatusForbidden},
		{"expired", iss.Expired(), http.StatusUnauthorized},
		{"wrong audience", iss.WrongAudience(), http.StatusUnauthorized},
		{"no token", "", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/orders", nil)
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
		})
	}
}

func TestKeycloakConfiguration(t *testing.T) {
	kc := profile.Keycloak("https://kc.example.com/realms/acme", "orders-api") // as in production
	iss := jwtguardtest.NewIssuer(t,
		jwtguardtest.WithURL(kc.ID), // answers at the realm's real URLs, over TLS
		jwtguardtest.WithDefaultClaims(jwtguardtest.Claims{"aud": "orders-api", "typ": "Bearer"}),
	)
	kc.Keys = kc.Keys.WithHTTPClient(iss.Client()) // the one change: the client that reaches iss
	v, err := jwtguard.New(jwtguard.Trust(kc), jwtguard.WithAlgorithms("RS256"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		t.Fatal(err) // names the URL that failed
	}

	tok := iss.Mint(jwtguardtest.Claims{"sub": "alice", "realm_access": map[string]any{"roles": []string{"admin"}}})
	c, err := v.Verify(t.Context(), tok)
	if err != nil || !slices.Contains(c.Roles, "admin") {
		t.Fatalf("Verify: %v, roles %v", err, c.Roles)
	}
}

// TestREADMESnippets: every Go block of README.md's section "Testing your
// handlers" stands, line for line (indentation aside), in this file or in
// the net/http adapter's conformance test, so the README shows code that
// compiles and passes.
func TestREADMESnippets(t *testing.T) {
	missing, err := snippets.Missing("../README.md", "## Testing your handlers", "readme_test.go", "../nethttp/nethttp_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range missing {
		t.Errorf("README block is not in readme_test.go or nethttp/nethttp_test.go:\n%s", block)
	}
}
