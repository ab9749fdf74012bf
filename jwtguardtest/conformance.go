package jwtguardtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jwtguard/jwtguard"
)

// Routes that a handler under [RunMiddlewareTests] must serve, for both GET
// and POST. Every route's final handler calls [WriteClaims].
const (
	// RouteProtected is behind the adapter's Middleware(v).
	RouteProtected = "/protected"
	// RouteAdmin adds Require(jwtguard.RequireAnyRole("admin")).
	RouteAdmin = "/admin"
	// RouteScoped adds Require(jwtguard.RequireAllScopes("orders:read")).
	RouteScoped = "/scoped"
	// RouteTenant is "/tenants/{tenant}/orders" with the adapter's
	// RequireTenantParam("tenant") (or RequireTenantPathValue).
	RouteTenant = "/tenants/{tenant}/orders"
	// RouteOptional is behind Middleware(v, <credentials optional>).
	RouteOptional = "/optional"
	// RouteSkipped is behind Middleware(v, <skipper>) whose skipper returns
	// true for this path.
	RouteSkipped = "/skipped"
)

// ScopeRead is the scope RouteScoped requires.
const ScopeRead = "orders:read"

// Response is what [WriteClaims] writes and the suite reads back.
type Response struct {
	// Claims reports whether the framework's own accessor returned claims.
	Claims    bool   `json:"claims"`
	Subject   string `json:"sub,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
	CtxClaims bool   `json:"ctx_claims"`
	CtxSub    string `json:"ctx_sub,omitempty"`
}

// WriteClaims is the final handler body for every conformance route:
// fromFramework are the claims from the framework's accessor (e.g.
// jwtecho.FromContext(c)); r is the request, whose context is checked with
// jwtguard.FromContext.
func WriteClaims(w http.ResponseWriter, r *http.Request, fromFramework *jwtguard.Claims) {
	resp := Response{Claims: fromFramework != nil}
	if fromFramework != nil {
		resp.Subject, resp.Tenant = fromFramework.Subject, fromFramework.Tenant
	}
	if c, ok := jwtguard.FromContext(r.Context()); ok {
		resp.CtxClaims, resp.CtxSub = true, c.Subject
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
}

// BuildFunc builds the handler under test for verifier v, serving the
// routes above.
type BuildFunc func(t *testing.T, v *jwtguard.Verifier) http.Handler

// RunMiddlewareTests is the adapter conformance suite: every adapter
// (net/http, chi, Echo, Gin) calls it, so all of them are proven to give the
// same statuses, WWW-Authenticate challenges, JSON error bodies, claims in
// context, policy results, optional credentials and skipper behaviour.
func RunMiddlewareTests(t *testing.T, build BuildFunc) {
	iss := NewIssuer(t)
	v := iss.Verifier(t)
	h := build(t, v)

	admin := iss.Mint(Claims{"sub": "alice", "roles": []string{"admin"}, "tenant_id": "acme", "scope": "orders:read orders:write"})
	user := iss.Mint(Claims{"sub": "bob", "roles": []string{"user"}, "tenant_id": "globex"})
	const realm = `realm="jwtguard-test"`
	invalid := func(desc string) string {
		return `Bearer ` + realm + `, error="invalid_token", error_description="` + desc + `"`
	}

	type tc struct {
		name       string
		method     string
		path       string
		auth       []string
		cookie     string
		header     map[string]string
		status     int
		challenge  string // exact WWW-Authenticate ("" = must be absent)
		errCode    string // JSON body "error"
		sub        string // expected subject seen by the handler
		wantClaims bool
	}
	cases := []tc{
		{name: "no token", path: RouteProtected, status: 401, challenge: `Bearer ` + realm, errCode: "unauthorized"},
		{name: "valid token", path: RouteProtected, auth: []string{"Bearer " + user}, status: 200, sub: "bob", wantClaims: true},
		{name: "scheme is case-insensitive", path: RouteProtected, auth: []string{"bearer " + user}, status: 200, sub: "bob", wantClaims: true},
		{name: "POST with valid token", method: http.MethodPost, path: RouteProtected, auth: []string{"Bearer " + user}, status: 200, sub: "bob", wantClaims: true},
		{name: "expired", path: RouteProtected, auth: []string{"Bearer " + iss.Expired()}, status: 401, challenge: invalid("token is expired"), errCode: "invalid_token"},
		{name: "wrong audience", path: RouteProtected, auth: []string{"Bearer " + iss.WrongAudience()}, status: 401, challenge: invalid("audience is not accepted"), errCode: "invalid_token"},
		{name: "tampered signature", path: RouteProtected, auth: []string{"Bearer " + iss.TamperedSignature()}, status: 401, challenge: invalid("signature is invalid"), errCode: "invalid_token"},
		{name: "garbage token", path: RouteProtected, auth: []string{"Bearer abc.def"}, status: 401, challenge: invalid("token is malformed"), errCode: "invalid_token"},
		{name: "alg none", path: RouteProtected, auth: []string{"Bearer " + iss.Mint(nil, WithHeader("alg", "none"))}, status: 401, challenge: invalid("signing algorithm is not allowed"), errCode: "invalid_token"},
		{name: "two Authorization headers", path: RouteProtected, auth: []string{"Bearer " + user, "Bearer " + admin}, status: 400,
			challenge: `Bearer ` + realm + `, error="invalid_request", error_description="more than one Authorization header"`, errCode: "invalid_request"},
		{name: "Bearer without token", path: RouteProtected, auth: []string{"Bearer"}, status: 400,
			challenge: `Bearer ` + realm + `, error="invalid_request", error_description="Authorization header has the Bearer scheme but no token"`, errCode: "invalid_request"},
		{name: "Basic scheme is no token", path: RouteProtected, auth: []string{"Basic dXNlcjpwYXNz"}, status: 401, challenge: `Bearer ` + realm, errCode: "unauthorized"},
		{name: "admin route with admin", path: RouteAdmin, auth: []string{"Bearer " + admin}, status: 200, sub: "alice", wantClaims: true},
		{name: "admin route with user", path: RouteAdmin, auth: []string{"Bearer " + user}, status: 403,
			challenge: `Bearer ` + realm + `, error="insufficient_scope", error_description="requires role admin"`, errCode: "insufficient_scope"},
		{name: "admin route without token", path: RouteAdmin, status: 401, challenge: `Bearer ` + realm, errCode: "unauthorized"},
		{name: "scoped route with scope", path: RouteScoped, auth: []string{"Bearer " + admin}, status: 200, sub: "alice", wantClaims: true},
		{name: "scoped route without scope", path: RouteScoped, auth: []string{"Bearer " + user}, status: 403,
			challenge: `Bearer ` + realm + `, error="insufficient_scope", error_description="requires scope orders:read", scope="orders:read"`, errCode: "insufficient_scope"},
		{name: "own tenant", path: "/tenants/acme/orders", auth: []string{"Bearer " + admin}, status: 200, sub: "alice", wantClaims: true},
		{name: "other tenant", path: "/tenants/acme/orders", auth: []string{"Bearer " + user}, status: 403,
			challenge: `Bearer ` + realm + `, error="insufficient_scope", error_description="token is not valid for this tenant"`, errCode: "insufficient_scope"},
		{name: "optional without token", path: RouteOptional, status: 200, wantClaims: false},
		{name: "optional with token", path: RouteOptional, auth: []string{"Bearer " + user}, status: 200, sub: "bob", wantClaims: true},
		{name: "optional with bad token", path: RouteOptional, auth: []string{"Bearer " + iss.Expired()}, status: 401, challenge: invalid("token is expired"), errCode: "invalid_token"},
		{name: "skipped without token", path: RouteSkipped, status: 200, wantClaims: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := c.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, c.path, nil)
			for _, a := range c.auth {
				req.Header.Add("Authorization", a)
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			checkResponse(t, rec, c.status, c.challenge, c.errCode, c.auth)
			if c.status == 200 {
				var resp Response
				if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
					t.Fatalf("handler body is not the WriteClaims JSON: %v (%q)", err, rec.Body.String())
				}
				if resp.Claims != c.wantClaims || resp.CtxClaims != c.wantClaims {
					t.Fatalf("claims seen by handler: framework=%v context=%v, want %v", resp.Claims, resp.CtxClaims, c.wantClaims)
				}
				if resp.Subject != c.sub || resp.CtxSub != c.sub {
					t.Fatalf("subject seen by handler: framework=%q context=%q, want %q", resp.Subject, resp.CtxSub, c.sub)
				}
			}
		})
	}

	t.Run("keys unavailable gives 503 with Retry-After", func(t *testing.T) {
		down := NewIssuer(t)
		down.Down(true)
		dv, err := jwtguard.New(jwtguard.WithIssuer(down.URL(), jwtguard.Discovery()), jwtguard.WithAudience(DefaultAudience),
			jwtguard.WithAlgorithms(Algorithms...), jwtguard.WithRealm("jwtguard-test"))
		if err != nil {
			t.Fatal(err)
		}
		defer dv.Close()
		dh := build(t, dv)
		req := httptest.NewRequest(http.MethodGet, RouteProtected, nil)
		req.Header.Set("Authorization", "Bearer "+down.Mint(nil))
		rec := httptest.NewRecorder()
		dh.ServeHTTP(rec, req)
		checkResponse(t, rec, 503, "", "temporarily_unavailable", nil)
		if rec.Header().Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
	})

	t.Run("cookie token refused on cross-site POST, accepted same-origin", func(t *testing.T) {
		cv := iss.Verifier(t, jwtguard.WithExtractor(jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie("access_token"))))
		ch := build(t, cv)
		cross := httptest.NewRequest(http.MethodPost, RouteProtected, nil)
		cross.AddCookie(&http.Cookie{Name: "access_token", Value: user})
		cross.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := httptest.NewRecorder()
		ch.ServeHTTP(rec, cross)
		checkResponse(t, rec, 403, "", "cross_origin_request", []string{user})

		same := httptest.NewRequest(http.MethodPost, RouteProtected, nil)
		same.AddCookie(&http.Cookie{Name: "access_token", Value: user})
		same.Header.Set("Sec-Fetch-Site", "same-origin")
		rec = httptest.NewRecorder()
		ch.ServeHTTP(rec, same)
		checkResponse(t, rec, 200, "", "", nil)

		get := httptest.NewRequest(http.MethodGet, RouteProtected, nil)
		get.AddCookie(&http.Cookie{Name: "access_token", Value: user})
		get.Header.Set("Sec-Fetch-Site", "cross-site")
		rec = httptest.NewRecorder()
		ch.ServeHTTP(rec, get)
		checkResponse(t, rec, 200, "", "", nil)
	})

	t.Run("revoked token gives 401 token revoked", func(t *testing.T) {
		rv := iss.Verifier(t, jwtguard.WithRevocation(revokeSubject("bob")))
		rh := build(t, rv)
		req := httptest.NewRequest(http.MethodGet, RouteProtected, nil)
		req.Header.Set("Authorization", "Bearer "+user)
		rec := httptest.NewRecorder()
		rh.ServeHTTP(rec, req)
		checkResponse(t, rec, 401, invalid("token revoked"), "invalid_token", []string{user})
	})

}

type revokeSubject string

func (s revokeSubject) IsRevoked(_ context.Context, c *jwtguard.Claims) (bool, error) {
	return c.Subject == string(s), nil
}

func checkResponse(t *testing.T, rec *httptest.ResponseRecorder, status int, challenge, errCode string, secrets []string) {
	t.Helper()
	body, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != status {
		t.Fatalf("status %d, want %d (body %s)", rec.Code, status, body)
	}
	if got := rec.Header().Get("WWW-Authenticate"); got != challenge {
		t.Fatalf("WWW-Authenticate %q, want %q", got, challenge)
	}
	for _, s := range secrets {
		tok := strings.TrimPrefix(s, "Bearer ")
		if i := strings.LastIndexByte(tok, '.'); i > 0 && strings.Contains(string(body), tok[i+1:]) {
			t.Fatalf("response body contains the token's signature")
		}
	}
	if status == 200 {
		return
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type %q, want application/json", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("error Cache-Control %q, want no-store", cc)
	}
	var eb struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Scope       string `json:"scope"`
	}
	// One JSON object and nothing else: an adapter that also lets the
	// framework write its own error body fails here.
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body is not one JSON object: %v (%q)", err, body)
	}
	if eb.Error != errCode {
		t.Fatalf("body error %q, want %q (body %s)", eb.Error, errCode, body)
	}
	if eb.Description == "" {
		t.Fatalf("body has no error_description: %s", body)
	}
	// The body says the same as the challenge, so every adapter sends the
	// same body for the same case.
	if want := challengeParam(challenge, "error_description"); want != "" && eb.Description != want {
		t.Fatalf("body error_description %q, challenge says %q", eb.Description, want)
	}
	if want := challengeParam(challenge, "scope"); eb.Scope != want {
		t.Fatalf("body scope %q, challenge says %q", eb.Scope, want)
	}
	if challenge == `Bearer realm="jwtguard-test"` && eb.Description != "no bearer token in the request" {
		t.Fatalf("body error_description %q for a request without credentials", eb.Description)
	}
}

// challengeParam returns the quoted value of name in a WWW-Authenticate
// challenge built by jwtguard (values never contain quotes).
func challengeParam(challenge, name string) string {
	i := strings.Index(challenge, name+`="`)
	if i < 0 {
		return ""
	}
	rest := challenge[i+len(name)+2:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

// ErrorHandlerBuild builds the handler under test for
// [RunErrorHandlerTests]: it serves GET [RouteAdmin] (with
// Require(jwtguard.RequireAnyRole("admin"))) and GET [RouteTenant] (with the
// adapter's tenant-parameter policy), both behind the adapter's Middleware
// configured with a custom error handler that calls record(err) and answers
// 418 (http.StatusTeapot).
type ErrorHandlerBuild func(t *testing.T, v *jwtguard.Verifier, record func(err error)) http.Handler

// RunErrorHandlerTests checks an adapter's custom error handler: every
// refusal — a bad token and a policy denial in Require or the tenant
// policy — reaches it exactly once as a *jwtguard.Error wrapping the right
// sentinel, and allowed requests never call it.
func RunErrorHandlerTests(t *testing.T, build ErrorHandlerBuild) {
	iss := NewIssuer(t)
	v := iss.Verifier(t)
	var mu sync.Mutex
	var seen []error
	h := build(t, v, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, err)
	})
	cases := []struct {
		name, path, token string
		status            int
		want              error
	}{
		{"expired token", RouteAdmin, iss.Expired(), http.StatusTeapot, jwtguard.ErrTokenExpired},
		{"role denial", RouteAdmin, iss.Mint(nil), http.StatusTeapot, jwtguard.ErrForbidden},
		{"role allowed", RouteAdmin, iss.Mint(Claims{"roles": []string{"admin"}}), http.StatusOK, nil},
		{"tenant denial", "/tenants/acme/orders", iss.Mint(Claims{"tenant_id": "globex"}), http.StatusTeapot, jwtguard.ErrForbidden},
		{"tenant allowed", "/tenants/acme/orders", iss.Mint(Claims{"tenant_id": "acme"}), http.StatusOK, nil},
	}
	for _, c := range cases {
		mu.Lock()
		seen = nil
		mu.Unlock()
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		mu.Lock()
		got := seen
		mu.Unlock()
		if rec.Code != c.status {
			t.Fatalf("%s: status %d, want %d", c.name, rec.Code, c.status)
		}
		if c.want == nil {
			if len(got) != 0 {
				t.Fatalf("%s: error handler called with %v", c.name, got)
			}
			continue
		}
		if len(got) != 1 || !errors.Is(got[0], c.want) {
			t.Fatalf("%s: error handler saw %v, want one %v", c.name, got, c.want)
		}
		var je *jwtguard.Error
		if !errors.As(got[0], &je) {
			t.Fatalf("%s: %T is not a *jwtguard.Error", c.name, got[0])
		}
	}
}
