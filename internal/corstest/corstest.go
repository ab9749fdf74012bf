// Package corstest checks, for every adapter's tests, the composition
// README's "Browser apps and CORS" recommends: github.com/rs/cors outside
// the jwtguard middleware, answering CORS preflights itself, and the
// adapter's WithPreflight option for CORS that cannot wrap the middleware.
// It is imported by tests only; no library package imports rs/cors.
package corstest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/cors"
)

// Path is the route the handler under test serves, for GET and DELETE,
// behind the adapter's middleware and ending in [Final].
const Path = "/api/orders"

// AppOrigin is the browser app's origin, the one the CORS policy allows.
const AppOrigin = "https://app.example.com"

// Final is the route's handler: 200 "orders".
var Final = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("orders"))
})

// New returns the rs/cors handler of README's section "Browser apps and
// CORS", which allows AppOrigin.
func New() *cors.Cors {
	c := cors.New(cors.Options{
		AllowedOrigins: []string{"https://app.example.com"},
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "Content-Type"},
		ExposedHeaders: []string{"WWW-Authenticate"}, // lets the app read why a request was refused
		MaxAge:         600,
	})
	return c
}

// Build returns the adapter's handler: Path behind its middleware for a
// verifier that accepts token, composed with c as README shows, or, when
// preflight is set, configured with WithPreflight(http.HandlerFunc(c.HandlerFunc))
// and without c around it.
type Build func(t *testing.T, c *cors.Cors, preflight bool) http.Handler

// Run checks both compositions. token is a valid token of the verifier the
// build uses.
func Run(t *testing.T, token string, build Build) {
	t.Helper()
	c := New()
	outside, inside := build(t, c, false), build(t, c, true)
	type request struct {
		method, origin, token string
		preflight             bool // OPTIONS with Access-Control-Request-Method/-Headers
	}
	type answer struct {
		status      int
		allowOrigin string // Access-Control-Allow-Origin
		body        string // "" = not checked; "orders" = the route's handler ran
		challenge   bool   // WWW-Authenticate present and exposed to the app
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
		req  request
		want answer
	}{
		{"cors outside: preflight from the app", outside, request{method: http.MethodDelete, origin: AppOrigin, preflight: true},
			answer{status: http.StatusNoContent, allowOrigin: AppOrigin}},
		{"cors outside: preflight from another origin", outside, request{method: http.MethodDelete, origin: "https://evil.example", preflight: true},
			answer{status: http.StatusNoContent}},
		{"cors outside: request with token", outside, request{method: http.MethodDelete, origin: AppOrigin, token: token},
			answer{status: http.StatusOK, allowOrigin: AppOrigin, body: "orders"}},
		{"cors outside: 401 readable by the app", outside, request{method: http.MethodGet, origin: AppOrigin},
			answer{status: http.StatusUnauthorized, allowOrigin: AppOrigin, challenge: true}},
		{"cors outside: other origin gets no CORS headers", outside, request{method: http.MethodGet, origin: "https://evil.example", token: token},
			answer{status: http.StatusOK, body: "orders"}},
		{"WithPreflight: preflight from the app", inside, request{method: http.MethodDelete, origin: AppOrigin, preflight: true},
			answer{status: http.StatusNoContent, allowOrigin: AppOrigin}},
		{"WithPreflight: preflight from another origin", inside, request{method: http.MethodDelete, origin: "https://evil.example", preflight: true},
			answer{status: http.StatusNoContent}},
		{"WithPreflight: request with token", inside, request{method: http.MethodGet, origin: AppOrigin, token: token},
			answer{status: http.StatusOK, body: "orders"}},
		{"WithPreflight: request without token", inside, request{method: http.MethodGet, origin: AppOrigin},
			answer{status: http.StatusUnauthorized}},
		{"WithPreflight: OPTIONS that is no preflight", inside, request{method: http.MethodOptions, origin: AppOrigin},
			answer{status: http.StatusUnauthorized}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.req.method
			if tc.req.preflight {
				method = http.MethodOptions
			}
			r := httptest.NewRequest(method, Path, nil)
			r.Header.Set("Origin", tc.req.origin)
			if tc.req.preflight {
				r.Header.Set("Access-Control-Request-Method", tc.req.method)
				r.Header.Set("Access-Control-Request-Headers", "authorization")
			}
			if tc.req.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.req.token)
			}
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, r)
			h := rec.Header()
			if rec.Code != tc.want.status {
				t.Fatalf("status %d, want %d (body %q)", rec.Code, tc.want.status, rec.Body)
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != tc.want.allowOrigin {
				t.Fatalf("Access-Control-Allow-Origin %q, want %q", got, tc.want.allowOrigin)
			}
			if tc.want.body != "" && rec.Body.String() != tc.want.body {
				t.Fatalf("body %q, want %q", rec.Body, tc.want.body)
			}
			if tc.req.preflight {
				// Answered before authentication and before the route.
				if rec.Body.Len() != 0 || h.Get("WWW-Authenticate") != "" {
					t.Fatalf("preflight reached jwtguard or the route: body %q, challenge %q", rec.Body, h.Get("WWW-Authenticate"))
				}
				if tc.want.allowOrigin != "" && (h.Get("Access-Control-Allow-Methods") != tc.req.method ||
					h.Get("Access-Control-Allow-Headers") != "authorization") {
					t.Fatalf("preflight allows methods %q, headers %q; want %q, authorization",
						h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"), tc.req.method)
				}
			}
			if tc.want.challenge && (h.Get("WWW-Authenticate") == "" || h.Get("Access-Control-Expose-Headers") != "Www-Authenticate") {
				t.Fatalf("WWW-Authenticate %q exposed as %q; want a challenge the app can read",
					h.Get("WWW-Authenticate"), h.Get("Access-Control-Expose-Headers"))
			}
		})
	}
}
