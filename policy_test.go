package jwtguard_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
)

// policyClaims verifies a token with extra claims, so Get sees real JSON.
func policyClaims(t *testing.T, over map[string]any) *jwtguard.Claims {
	t.Helper()
	c, err := verifyClaims(t, over)
	checkErr(t, err, nil)
	return c
}

func TestPolicies(t *testing.T) {
	t.Parallel()
	admin := policyClaims(t, map[string]any{
		"roles": []string{"admin", "user"}, "scope": "orders:read orders:write", "tenant_id": "acme",
		"department": "eng", "groups": []string{"g1", "g2"}, "email_verified": true, "nothing": rawJSON("null"),
		"org": map[string]any{"plan": "gold"},
	})
	user := policyClaims(t, map[string]any{"roles": []string{"user"}, "scope": "orders:read", "tenant_id": "globex"})
	bare := policyClaims(t, nil)
	plain := errors.New("plain policy error")

	cases := []struct {
		name   string
		c      *jwtguard.Claims
		p      jwtguard.Policy
		allow  bool
		desc   string   // expected Description when denied ("" = not checked)
		scopes []string // expected *Error.Scope when denied
	}{
		{"RequireRole has it", admin, jwtguard.RequireRole("admin"), true, "", nil},
		{"RequireRole any of", user, jwtguard.RequireRole("admin", "user"), true, "", nil},
		{"RequireRole missing", user, jwtguard.RequireRole("admin"), false, "requires role admin", nil},
		{"RequireRole none of", user, jwtguard.RequireRole("admin", "ops"), false, "requires role admin or ops", nil},
		{"RequireRole no roles in token", bare, jwtguard.RequireRole("user"), false, "", nil},
		{"RequireRole with no roles never allows", admin, jwtguard.RequireRole(), false, "", nil},
		{"RequireAllRoles has all", admin, jwtguard.RequireAllRoles("admin", "user"), true, "", nil},
		{"RequireAllRoles missing one", user, jwtguard.RequireAllRoles("admin", "user"), false, "requires roles admin and user", nil},
		{"RequireScope has it", user, jwtguard.RequireScope("orders:read"), true, "", nil},
		{"RequireScope all of", admin, jwtguard.RequireScope("orders:read", "orders:write"), true, "", nil},
		{"RequireScope missing one", user, jwtguard.RequireScope("orders:read", "orders:write"), false, "requires scope orders:read orders:write", []string{"orders:read", "orders:write"}},
		{"RequireScope none", bare, jwtguard.RequireScope("orders:read"), false, "", []string{"orders:read"}},
		{"RequireTenant match", admin, jwtguard.RequireTenant("acme"), true, "", nil},
		{"RequireTenant other", user, jwtguard.RequireTenant("acme"), false, "token is not valid for this tenant", nil},
		{"RequireTenant empty never matches", bare, jwtguard.RequireTenant(""), false, "", nil},
		{"RequireTenant is case-sensitive", admin, jwtguard.RequireTenant("ACME"), false, "", nil},
		{"RequireClaim string", admin, jwtguard.RequireClaim("department", "eng"), true, "", nil},
		{"RequireClaim string one of", admin, jwtguard.RequireClaim("department", "ops", "eng"), true, "", nil},
		{"RequireClaim string mismatch", admin, jwtguard.RequireClaim("department", "ops"), false, "requires claim department to be ops", nil},
		{"RequireClaim array contains", admin, jwtguard.RequireClaim("groups", "g2"), true, "", nil},
		{"RequireClaim array lacks", admin, jwtguard.RequireClaim("groups", "g3"), false, "", nil},
		{"RequireClaim dotted", admin, jwtguard.RequireClaim("org.plan", "gold"), true, "", nil},
		{"RequireClaim presence", admin, jwtguard.RequireClaim("email_verified"), true, "", nil},
		{"RequireClaim presence missing", user, jwtguard.RequireClaim("email_verified"), false, "requires claim email_verified", nil},
		{"RequireClaim null is absent", admin, jwtguard.RequireClaim("nothing"), false, "", nil},
		{"RequireClaim bool is not a string", admin, jwtguard.RequireClaim("email_verified", "true"), false, "", nil},
		{"AnyOf first", admin, jwtguard.AnyOf(jwtguard.RequireRole("admin"), jwtguard.RequireTenant("x")), true, "", nil},
		{"AnyOf second", user, jwtguard.AnyOf(jwtguard.RequireRole("admin"), jwtguard.RequireTenant("globex")), true, "", nil},
		{"AnyOf none returns the last denial", user, jwtguard.AnyOf(jwtguard.RequireRole("admin"), jwtguard.RequireTenant("acme")), false, "token is not valid for this tenant", nil},
		{"AnyOf empty denies", admin, jwtguard.AnyOf(), false, "", nil},
		{"AllOf all", admin, jwtguard.AllOf(jwtguard.RequireRole("admin"), jwtguard.RequireScope("orders:write")), true, "", nil},
		{"AllOf first failure", user, jwtguard.AllOf(jwtguard.RequireRole("user"), jwtguard.RequireScope("orders:write")), false, "requires scope orders:write", []string{"orders:write"}},
		{"AllOf empty allows", bare, jwtguard.AllOf(), true, "", nil},
		{"PolicyFunc allow", bare, jwtguard.PolicyFunc(func(*jwtguard.Claims) error { return nil }), true, "", nil},
		{"PolicyFunc Deny", bare, jwtguard.PolicyFunc(func(*jwtguard.Claims) error { return jwtguard.Deny("weekdays only") }), false, "weekdays only", nil},
		{"PolicyFunc plain error", bare, jwtguard.PolicyFunc(func(*jwtguard.Claims) error { return plain }), false, "access denied by policy", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := jwtguard.Authorize(c.c, c.p)
			if c.allow {
				if err != nil {
					t.Fatalf("denied: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("allowed")
			}
			var e *jwtguard.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not a *jwtguard.Error", err)
			}
			if !errors.Is(err, jwtguard.ErrForbidden) || e.Status != http.StatusForbidden || e.Code != jwtguard.CodeInsufficientScope {
				t.Fatalf("err %v: status %d code %q, want 403 insufficient_scope", err, e.Status, e.Code)
			}
			if c.desc != "" && e.Description != c.desc {
				t.Fatalf("Description %q, want %q", e.Description, c.desc)
			}
			if c.scopes != nil && !reflect.DeepEqual(e.Scope, c.scopes) {
				t.Fatalf("Scope %v, want %v", e.Scope, c.scopes)
			}
			if c.scopes == nil && len(e.Scope) > 0 {
				t.Fatalf("Scope %v set by a non-scope policy", e.Scope)
			}
			if strings.Contains(err.Error(), plain.Error()) {
				t.Fatal("a plain policy error leaked into the response error")
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	c := &jwtguard.Claims{Roles: []string{"admin"}}
	// No claims: 401, not 403.
	for _, p := range [][]jwtguard.Policy{nil, {jwtguard.RequireRole("admin")}} {
		err := jwtguard.Authorize(nil, p...)
		if !errors.Is(err, jwtguard.ErrNoToken) {
			t.Fatalf("Authorize(nil) = %v, want ErrNoToken", err)
		}
		if e := jwtguard.AsError(err); e.Status != http.StatusUnauthorized {
			t.Fatalf("Authorize(nil) status %d, want 401", e.Status)
		}
	}
	if err := jwtguard.Authorize(c); err != nil {
		t.Fatalf("no policies: %v", err)
	}
	// Policies run in order and the first denial wins.
	var calls []string
	rec := func(name string, err error) jwtguard.Policy {
		return jwtguard.PolicyFunc(func(*jwtguard.Claims) error { calls = append(calls, name); return err })
	}
	err := jwtguard.Authorize(c, rec("a", nil), rec("b", jwtguard.Deny("b says no")), rec("c", nil))
	if e := jwtguard.AsError(err); e.Description != "b says no" {
		t.Fatalf("err %v, want b's denial", err)
	}
	if strings.Join(calls, ",") != "a,b" {
		t.Fatalf("policies run: %v, want a,b", calls)
	}
}

func TestDeny(t *testing.T) {
	t.Parallel()
	err := jwtguard.Deny("office hours only")
	var e *jwtguard.Error
	if !errors.As(err, &e) || !errors.Is(err, jwtguard.ErrForbidden) || e.Status != 403 || e.Code != jwtguard.CodeInsufficientScope || e.Description != "office hours only" {
		t.Fatalf("Deny = %#v", err)
	}
}

// TestCheck covers the framework-neutral request flow adapters call.
func TestCheck(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	tok := good(t, "ES256")
	expired := mint(t, "ES256", with(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}), tokenOpts{})
	cases := []struct {
		name     string
		auth     []string
		optional bool
		claims   bool
		want     error
	}{
		{"valid", []string{"Bearer " + tok}, false, true, nil},
		{"valid, optional", []string{"Bearer " + tok}, true, true, nil},
		{"no token", nil, false, false, jwtguard.ErrNoToken},
		{"no token, optional", nil, true, false, nil},
		{"other scheme, optional", []string{"Basic dXNlcjpwYXNz"}, true, false, nil},
		{"bad token, optional", []string{"Bearer " + expired}, true, false, jwtguard.ErrTokenExpired},
		{"malformed request, optional", []string{"Bearer"}, true, false, jwtguard.ErrInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, a := range c.auth {
				r.Header.Add("Authorization", a)
			}
			out := v.Check(r, c.optional)
			if (out.Claims != nil) != c.claims {
				t.Fatalf("claims %v, want present=%v", out.Claims, c.claims)
			}
			if c.want == nil {
				if out.Err != nil {
					t.Fatalf("Err = %v", out.Err)
				}
				return
			}
			if !errors.Is(out.Err, c.want) {
				t.Fatalf("Err = %v, want %v", out.Err, c.want)
			}
		})
	}
}
