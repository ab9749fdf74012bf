package jwtguard_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
)

// policyErr is the error Authorize gives for claims without roles, scopes
// or tenant under policy p.
func policyErr(p jwtguard.Policy) error {
	return jwtguard.Authorize(&jwtguard.Claims{}, p)
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		realm      string
		err        error
		status     int
		challenge  string // exact WWW-Authenticate; "" = absent
		retryAfter string // exact Retry-After; "" = absent
		body       map[string]string
	}{
		{
			name: "no token", realm: "api", err: jwtguard.Authorize(nil),
			status: 401, challenge: `Bearer realm="api"`,
			body: map[string]string{"error": "unauthorized", "error_description": "this route requires a bearer token"},
		},
		{
			name: "no token, bare sentinel", realm: "api", err: jwtguard.ErrNoToken,
			status: 401, challenge: `Bearer realm="api"`,
			body: map[string]string{"error": "unauthorized", "error_description": "no bearer token in the request"},
		},
		{
			name: "no token, no realm", err: jwtguard.ErrNoToken,
			status: 401, challenge: `Bearer`,
			body: map[string]string{"error": "unauthorized", "error_description": "no bearer token in the request"},
		},
		{
			name: "invalid token", realm: "api", err: &jwtguard.Error{Status: 401, Code: jwtguard.CodeInvalidToken, Description: "token is expired", Err: jwtguard.ErrTokenExpired},
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="token is expired"`,
			body: map[string]string{"error": "invalid_token", "error_description": "token is expired"},
		},
		{
			name: "invalid token, no realm", err: &jwtguard.Error{Status: 401, Code: jwtguard.CodeInvalidToken, Description: "signature is invalid", Err: jwtguard.ErrInvalidSignature},
			status: 401, challenge: `Bearer error="invalid_token", error_description="signature is invalid"`,
			body: map[string]string{"error": "invalid_token", "error_description": "signature is invalid"},
		},
		{
			name: "invalid request", realm: "api", err: &jwtguard.Error{Status: 400, Code: jwtguard.CodeInvalidRequest, Description: "more than one Authorization header", Err: jwtguard.ErrInvalidRequest},
			status: 400, challenge: `Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`,
			body: map[string]string{"error": "invalid_request", "error_description": "more than one Authorization header"},
		},
		{
			name: "insufficient scope with scope", realm: "api", err: policyErr(jwtguard.RequireScope("orders:read", "orders:write")),
			status: 403, challenge: `Bearer realm="api", error="insufficient_scope", error_description="requires scope orders:read orders:write", scope="orders:read orders:write"`,
			body: map[string]string{"error": "insufficient_scope", "error_description": "requires scope orders:read orders:write", "scope": "orders:read orders:write"},
		},
		{
			name: "insufficient scope by role", realm: "api", err: policyErr(jwtguard.RequireRole("admin")),
			status: 403, challenge: `Bearer realm="api", error="insufficient_scope", error_description="requires role admin"`,
			body: map[string]string{"error": "insufficient_scope", "error_description": "requires role admin"},
		},
		{
			name: "cross origin", realm: "api", err: &jwtguard.Error{Status: 403, Description: "cookie credentials are not accepted on cross-origin unsafe requests", Err: jwtguard.ErrCrossOrigin},
			status: 403,
			body:   map[string]string{"error": "cross_origin_request", "error_description": "cookie credentials are not accepted on cross-origin unsafe requests"},
		},
		{
			name: "keys unavailable", realm: "api", err: jwtguard.ErrKeysUnavailable,
			status: 503, retryAfter: "5",
			body: map[string]string{"error": "temporarily_unavailable"},
		},
		{
			name: "revocation unavailable", realm: "api", err: fmt.Errorf("redis down: %w", jwtguard.ErrRevocationUnavailable),
			status: 503, retryAfter: "5",
			body: map[string]string{"error": "temporarily_unavailable"},
		},
		{
			name: "Retry-After rounds up", err: &jwtguard.Error{Status: 503, RetryAfter: 1500 * time.Millisecond, Description: "later", Err: jwtguard.ErrKeysUnavailable},
			status: 503, retryAfter: "2",
			body: map[string]string{"error": "temporarily_unavailable", "error_description": "later"},
		},
		{
			name: "wrapped sentinel", realm: "api", err: fmt.Errorf("context: %w", jwtguard.ErrTokenExpired),
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="token is expired"`,
			body: map[string]string{"error": "invalid_token", "error_description": "token is expired"},
		},
		{
			name: "foreign error", realm: "api", err: errors.New("database exploded: password=hunter2"),
			status: 500,
			body:   map[string]string{"error": "server_error", "error_description": "internal error"},
		},
		{
			name: "quoteSafe on realm and description", realm: "a\"b\\c\x01d\x7fé",
			err:    &jwtguard.Error{Status: 401, Code: jwtguard.CodeInvalidToken, Description: "x\"y\\z\r\nSet-Cookie: a=b", Err: jwtguard.ErrMalformedToken},
			status: 401, challenge: `Bearer realm="abcd", error="invalid_token", error_description="xyzSet-Cookie: a=b"`,
			body: map[string]string{"error": "invalid_token", "error_description": "x\"y\\z\r\nSet-Cookie: a=b"},
		},
		{
			name: "quoteSafe on scope", realm: "api", err: policyErr(jwtguard.RequireScope(`a"b`)),
			status: 403, challenge: `Bearer realm="api", error="insufficient_scope", error_description="requires scope ab", scope="ab"`,
			body: map[string]string{"error": "insufficient_scope", "error_description": `requires scope a"b`, "scope": `a"b`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			jwtguard.WriteError(rec, c.realm, c.err)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d", rec.Code, c.status)
			}
			h := rec.Header()
			if got := h.Get("WWW-Authenticate"); got != c.challenge {
				t.Fatalf("WWW-Authenticate\n got %q\nwant %q", got, c.challenge)
			}
			if got := h.Get("Retry-After"); got != c.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, c.retryAfter)
			}
			if got := h.Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Fatalf("Content-Type %q", got)
			}
			if got := h.Get("Cache-Control"); got != "no-store" {
				t.Fatalf("Cache-Control %q, want no-store", got)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Fatalf("X-Content-Type-Options %q, want nosniff", got)
			}
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			for k, want := range c.body {
				if body[k] != want {
					t.Fatalf("body[%q] = %q, want %q (body %s)", k, body[k], want, rec.Body.String())
				}
			}
			if _, ok := c.body["scope"]; !ok && body["scope"] != "" {
				t.Fatalf("unexpected scope in body: %s", rec.Body.String())
			}
			if body["error_description"] == "" && c.status != 503 {
				t.Fatalf("no error_description: %s", rec.Body.String())
			}
		})
	}
}

func TestVerifierWriteErrorUsesRealm(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, jwtguard.WithRealm("orders"))
	rec := httptest.NewRecorder()
	v.WriteError(rec, jwtguard.ErrNoToken)
	if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="orders"` {
		t.Fatalf("WWW-Authenticate %q", got)
	}
}

func TestAsError(t *testing.T) {
	t.Parallel()
	own := &jwtguard.Error{Status: 418, Err: jwtguard.ErrForbidden}
	cases := []struct {
		name     string
		err      error
		status   int
		code     string
		sentinel error
		same     bool // AsError returns the *Error in the chain itself
	}{
		{"own error", own, 418, "", jwtguard.ErrForbidden, true},
		{"wrapped own error", fmt.Errorf("handler: %w", own), 418, "", jwtguard.ErrForbidden, true},
		{"bare sentinel", jwtguard.ErrTokenExpired, 401, jwtguard.CodeInvalidToken, jwtguard.ErrTokenExpired, false},
		{"wrapped sentinel", fmt.Errorf("x: %w", jwtguard.ErrInvalidAudience), 401, jwtguard.CodeInvalidToken, jwtguard.ErrInvalidAudience, false},
		{"invalid request", jwtguard.ErrInvalidRequest, 400, jwtguard.CodeInvalidRequest, jwtguard.ErrInvalidRequest, false},
		{"forbidden", jwtguard.ErrForbidden, 403, jwtguard.CodeInsufficientScope, jwtguard.ErrForbidden, false},
		{"cross origin", jwtguard.ErrCrossOrigin, 403, "", jwtguard.ErrCrossOrigin, false},
		{"no token", jwtguard.ErrNoToken, 401, "", jwtguard.ErrNoToken, false},
		{"keys", jwtguard.ErrKeysUnavailable, 503, "", jwtguard.ErrKeysUnavailable, false},
		{"foreign", errors.New("boom"), 500, "", nil, false},
		{"joined foreign", errors.Join(errors.New("a"), errors.New("b")), 500, "", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := jwtguard.AsError(c.err)
			if e == nil {
				t.Fatal("AsError returned nil")
			}
			if e.Status != c.status || e.Code != c.code {
				t.Fatalf("status %d code %q, want %d %q", e.Status, e.Code, c.status, c.code)
			}
			if c.same && e != own {
				t.Fatal("AsError did not return the *Error from the chain")
			}
			if c.sentinel != nil && !errors.Is(e, c.sentinel) {
				t.Fatalf("AsError(%v) does not match %v", c.err, c.sentinel)
			}
			if !c.same && !errors.Is(e, c.err) {
				t.Fatal("the original error is lost")
			}
			if c.status == 503 && e.RetryAfter <= 0 {
				t.Fatal("503 without RetryAfter")
			}
			if c.sentinel != nil && !c.same && c.sentinel != jwtguard.ErrNoToken && e.Description == "" {
				t.Fatalf("AsError(%v) has no description for the response body", c.err)
			}
			if c.status == 500 && e.Description != "internal error" {
				t.Fatalf("foreign error description %q leaks details", e.Description)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		e    *jwtguard.Error
		want string
	}{
		{&jwtguard.Error{Err: jwtguard.ErrTokenExpired, Description: "token is expired"}, "jwtguard: token expired: token is expired"},
		{&jwtguard.Error{Err: jwtguard.ErrNoToken}, "jwtguard: no token"},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
		if !errors.Is(c.e, c.e.Err) || errors.Unwrap(c.e) != c.e.Err {
			t.Errorf("Unwrap of %v", c.e)
		}
	}
}

// TestSentinelStatuses checks the status of every failure class as Verify
// reports it.
func TestSentinelStatuses(t *testing.T) {
	t.Parallel()
	want := map[error]int{
		jwtguard.ErrNoToken: 401, jwtguard.ErrInvalidRequest: 400, jwtguard.ErrCrossOrigin: 403,
		jwtguard.ErrTokenTooLarge: 401, jwtguard.ErrMalformedToken: 401, jwtguard.ErrAlgorithmNotAllowed: 401,
		jwtguard.ErrKeyNotFound: 401, jwtguard.ErrInvalidSignature: 401, jwtguard.ErrInvalidTokenType: 401,
		jwtguard.ErrInvalidClaim: 401, jwtguard.ErrMissingClaim: 401, jwtguard.ErrTokenExpired: 401,
		jwtguard.ErrTokenNotYetValid: 401, jwtguard.ErrTokenIssuedInFuture: 401, jwtguard.ErrInvalidIssuer: 401,
		jwtguard.ErrInvalidAudience: 401, jwtguard.ErrTokenRevoked: 401, jwtguard.ErrRevocationUnavailable: 503,
		jwtguard.ErrKeysUnavailable: 503, jwtguard.ErrForbidden: 403,
	}
	if len(want) != len(allSentinels) {
		t.Fatalf("table has %d sentinels, package has %d", len(want), len(allSentinels))
	}
	for _, s := range allSentinels {
		if got := jwtguard.AsError(s).Status; got != want[s] {
			t.Errorf("%v: status %d, want %d", s, got, want[s])
		}
	}
}

// TestWriteErrorWithoutStatus: a hand-built *Error with no status is a
// server bug and becomes a 500, never a panic.
func TestWriteErrorWithoutStatus(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	jwtguard.WriteError(rec, "", &jwtguard.Error{Err: jwtguard.ErrForbidden, Code: jwtguard.CodeInsufficientScope})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
}
