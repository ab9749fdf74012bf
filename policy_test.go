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

// policyClaims verifies a token with extra claims, so RequireClaim sees
// real JSON.
func policyClaims(t *testing.T, over map[string]any, edit func(*jwtguard.Issuer)) *jwtguard.Claims {
	t.Helper()
	c, err := verifyClaims(t, over, edit)
	checkErr(t, err, nil)
	return c
}

func TestPolicies(t *testing.T) {
	t.Parallel()
	admin := policyClaims(t, map[string]any{
		"roles": []string{"admin", "user"}, "scope": "orders:read orders:write", "tenant_id": "acme",
		"department": "eng", "groups": []string{"g1", "g2"}, "email_verified": true, "nothing": rawJSON("null"),
		"org": map[string]any{"plan": "gold"}, "level": 3, "ratio": 0.5, "is_admin": false, "label": "true",
		"empty": "", "none": []string{}, "kubernetes.io": map[string]any{"namespace": "prod"},
		"permissions": []string{"read:orders", "write:orders"},
	}, claimMap(jwtguard.ClaimMap{Permissions: []string{"permissions"}}))
	user := policyClaims(t, map[string]any{"roles": []string{"user"}, "scope": "orders:read", "tenant_id": "globex",
		"permissions": []string{"read:orders"}, "email_verified": "true"},
		claimMap(jwtguard.ClaimMap{Permissions: []string{"permissions"}}))
	multi := policyClaims(t, map[string]any{"tenant_id": []string{"acme", "globex"}}, nil)
	bare := policyClaims(t, nil, nil)
	plain := errors.New("plain policy error")

	cases := []struct {
		name   string
		c      *jwtguard.Claims
		p      jwtguard.Policy
		allow  bool
		desc   string   // expected Description when denied ("" = not checked)
		scopes []string // expected *Error.Scope when denied
	}{
		{"RequireAnyRole has it", admin, jwtguard.RequireAnyRole("admin"), true, "", nil},
		{"RequireAnyRole any of", user, jwtguard.RequireAnyRole("admin", "user"), true, "", nil},
		{"RequireAnyRole missing", user, jwtguard.RequireAnyRole("admin"), false, "requires role admin", nil},
		{"RequireAnyRole none of", user, jwtguard.RequireAnyRole("admin", "ops"), false, "requires role admin or ops", nil},
		{"RequireAnyRole no roles in token", bare, jwtguard.RequireAnyRole("user"), false, "", nil},
		{"RequireAnyRole with no roles never allows", admin, jwtguard.RequireAnyRole(), false, "", nil},
		{"RequireAnyRole is case-sensitive", admin, jwtguard.RequireAnyRole("Admin"), false, "", nil},
		{"all roles: has all", admin, jwtguard.AllOf(jwtguard.RequireAnyRole("admin"), jwtguard.RequireAnyRole("user")), true, "", nil},
		{"all roles: missing one", user, jwtguard.AllOf(jwtguard.RequireAnyRole("admin"), jwtguard.RequireAnyRole("user")), false, "requires role admin", nil},
		{"RequireAllScopes has it", user, jwtguard.RequireAllScopes("orders:read"), true, "", nil},
		{"RequireAllScopes all of", admin, jwtguard.RequireAllScopes("orders:read", "orders:write"), true, "", nil},
		{"RequireAllScopes missing one", user, jwtguard.RequireAllScopes("orders:read", "orders:write"), false, "requires scope orders:read orders:write", []string{"orders:read", "orders:write"}},
		{"RequireAllScopes none", bare, jwtguard.RequireAllScopes("orders:read"), false, "", []string{"orders:read"}},
		{"RequireAllScopes with no scopes allows", bare, jwtguard.RequireAllScopes(), true, "", nil},
		{"any scope", user, jwtguard.AnyOf(jwtguard.RequireAllScopes("orders:write"), jwtguard.RequireAllScopes("orders:read")), true, "", nil},
		{"RequireAllPermissions has all", admin, jwtguard.RequireAllPermissions("read:orders", "write:orders"), true, "", nil},
		{"RequireAllPermissions missing one", user, jwtguard.RequireAllPermissions("read:orders", "write:orders"), false, "requires permission read:orders and write:orders", nil},
		{"RequireAllPermissions: a scope is no permission", bare, jwtguard.RequireAllPermissions("orders:read"), false, "", nil},
		{"RequireAllScopes: a permission is no scope", user, jwtguard.RequireAllScopes("read:orders"), false, "", []string{"read:orders"}},
		{"RequireTenant match", admin, jwtguard.RequireTenant("acme"), true, "", nil},
		{"RequireTenant other", user, jwtguard.RequireTenant("acme"), false, "token is not valid for this tenant", nil},
		{"RequireTenant any of the token's tenants, first", multi, jwtguard.RequireTenant("acme"), true, "", nil},
		{"RequireTenant any of the token's tenants, second", multi, jwtguard.RequireTenant("globex"), true, "", nil},
		{"RequireTenant not among the token's tenants", multi, jwtguard.RequireTenant("initech"), false, "", nil},
		{"RequireTenant empty never matches", bare, jwtguard.RequireTenant(""), false, "", nil},
		{"RequireTenant is case-sensitive", admin, jwtguard.RequireTenant("ACME"), false, "", nil},
		{"RequireClaim string", admin, jwtguard.RequireClaim("department", "eng"), true, "", nil},
		{"RequireClaim string one of", admin, jwtguard.RequireClaim("department", "ops", "eng"), true, "", nil},
		{"RequireClaim string mismatch", admin, jwtguard.RequireClaim("department", "ops"), false, "requires claim department to be ops", nil},
		{"RequireClaim array contains", admin, jwtguard.RequireClaim("groups", "g2"), true, "", nil},
		{"RequireClaim array lacks", admin, jwtguard.RequireClaim("groups", "g3"), false, "", nil},
		{"RequireClaim dotted", admin, jwtguard.RequireClaim("org.plan", "gold"), true, "", nil},
		{"RequireClaim bracketed", admin, jwtguard.RequireClaim("[kubernetes.io].namespace", "prod"), true, "", nil},
		{"RequireClaim presence", admin, jwtguard.RequireClaim("email_verified"), true, "", nil},
		{"RequireClaim presence missing", bare, jwtguard.RequireClaim("email_verified"), false, "requires claim email_verified", nil},
		{"RequireClaim null is absent", admin, jwtguard.RequireClaim("nothing"), false, "", nil},
		{"RequireClaim empty string is absent", admin, jwtguard.RequireClaim("empty"), false, "", nil},
		{"RequireClaim empty array is absent", admin, jwtguard.RequireClaim("none"), false, "", nil},
		// Changed on purpose: presence no longer lets false through.
		{"RequireClaim false is absent", admin, jwtguard.RequireClaim("is_admin"), false, "requires claim is_admin", nil},
		// Typed matching: a bool matches a JSON boolean only.
		{"RequireClaim bool true", admin, jwtguard.RequireClaim("email_verified", true), true, "", nil},
		{"RequireClaim bool vs string \"true\"", user, jwtguard.RequireClaim("email_verified", true), false, "requires claim email_verified to be true", nil},
		{"RequireClaim string \"true\" vs bool", admin, jwtguard.RequireClaim("email_verified", "true"), false, "", nil},
		{"RequireClaim string \"true\" matches a string", admin, jwtguard.RequireClaim("label", "true"), true, "", nil},
		{"RequireClaim bool true vs false", admin, jwtguard.RequireClaim("is_admin", true), false, "", nil},
		{"RequireClaim bool false is never present", admin, jwtguard.RequireClaim("is_admin", false), false, "", nil},
		{"RequireClaim int", admin, jwtguard.RequireClaim("level", 3), true, "", nil},
		{"RequireClaim int64", admin, jwtguard.RequireClaim("level", int64(3)), true, "", nil},
		{"RequireClaim float", admin, jwtguard.RequireClaim("ratio", 0.5), true, "", nil},
		{"RequireClaim int mismatch", admin, jwtguard.RequireClaim("level", 4), false, "", nil},
		{"RequireClaim int vs string", admin, jwtguard.RequireClaim("department", 3), false, "", nil},
		{"RequireClaim string vs number", admin, jwtguard.RequireClaim("level", "3"), false, "", nil},
		{"RequireClaim unsupported value type refuses", admin, jwtguard.RequireClaim("groups", []string{"g1"}), false, "", nil},
		{"RequireClaim malformed path refuses", admin, jwtguard.RequireClaim("org..plan"), false, "", nil},
		{"AnyOf first", admin, jwtguard.AnyOf(jwtguard.RequireAnyRole("admin"), jwtguard.RequireTenant("x")), true, "", nil},
		{"AnyOf second", user, jwtguard.AnyOf(jwtguard.RequireAnyRole("admin"), jwtguard.RequireTenant("globex")), true, "", nil},
		{"AnyOf none returns the last denial", user, jwtguard.AnyOf(jwtguard.RequireAnyRole("admin"), jwtguard.RequireTenant("acme")), false, "token is not valid for this tenant", nil},
		{"AnyOf empty denies", admin, jwtguard.AnyOf(), false, "", nil},
		{"AllOf all", admin, jwtguard.AllOf(jwtguard.RequireAnyRole("admin"), jwtguard.RequireAllScopes("orders:write")), true, "", nil},
		{"AllOf first failure", user, jwtguard.AllOf(jwtguard.RequireAnyRole("user"), jwtguard.RequireAllScopes("orders:write")), false, "requires scope orders:write", []string{"orders:write"}},
		{"AllOf empty allows", bare, jwtguard.AllOf(), true, "", nil},
		{"func allow", bare, func(*jwtguard.Claims) error { return nil }, true, "", nil},
		{"func Deny", bare, func(*jwtguard.Claims) error { return jwtguard.Deny("weekdays only") }, false, "weekdays only", nil},
		{"func plain error", bare, func(*jwtguard.Claims) error { return plain }, false, "access denied by policy", nil},
		{"func plain error in AnyOf", bare, jwtguard.AnyOf(func(*jwtguard.Claims) error { return plain }), false, "access denied by policy", nil},
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
			if !errors.Is(err, jwtguard.ErrForbidden) || e.Status != http.StatusForbidden || e.Code != "insufficient_scope" {
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

// TestRequireClaimMisconfigured: a value of a type RequireClaim cannot
// compare refuses every request, saying why (a programming error must be
// loud, never allow).
func TestRequireClaimMisconfigured(t *testing.T) {
	t.Parallel()
	c := policyClaims(t, map[string]any{"groups": []string{"g1"}}, nil)
	for _, v := range []any{[]string{"g1"}, map[string]any{}, nil, uint(1), struct{}{}} {
		err := jwtguard.Authorize(c, jwtguard.RequireClaim("groups", v))
		if e := jwtguard.AsError(err); !errors.Is(err, jwtguard.ErrForbidden) || !strings.Contains(e.Description, "misconfigured policy") {
			t.Errorf("RequireClaim(groups, %T): %v", v, err)
		}
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	c := &jwtguard.Claims{Roles: []string{"admin"}}
	// No claims: 401, not 403.
	for _, p := range [][]jwtguard.Policy{nil, {jwtguard.RequireAnyRole("admin")}, {func(*jwtguard.Claims) error { return nil }}} {
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
		return func(*jwtguard.Claims) error { calls = append(calls, name); return err }
	}
	err := jwtguard.Authorize(c, rec("a", nil), rec("b", jwtguard.Deny("b says no")), rec("c", nil))
	if e := jwtguard.AsError(err); e.Description != "b says no" {
		t.Fatalf("err %v, want b's denial", err)
	}
	if strings.Join(calls, ",") != "a,b" {
		t.Fatalf("policies run: %v, want a,b", calls)
	}
	// A policy's plain error is a 403 (not the 500 of an unknown error
	// elsewhere), and its text is not sent.
	err = jwtguard.Authorize(c, func(*jwtguard.Claims) error { return errors.New("db: password=hunter2") })
	e := jwtguard.AsError(err)
	if !errors.Is(err, jwtguard.ErrForbidden) || e.Status != http.StatusForbidden || e.Code != "insufficient_scope" ||
		strings.Contains(e.Description, "hunter2") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("plain policy error: %v (%d %q %q)", err, e.Status, e.Code, e.Description)
	}
	// A policy's *Error with another sentinel passes through unchanged.
	custom := &jwtguard.Error{Status: http.StatusUnauthorized, Code: "invalid_token", Description: "step up", Err: jwtguard.ErrInvalidTokenType}
	if err := jwtguard.Authorize(c, func(*jwtguard.Claims) error { return custom }); err != custom {
		t.Fatalf("Authorize replaced a policy's *Error: %v", err)
	}
}

func TestDeny(t *testing.T) {
	t.Parallel()
	err := jwtguard.Deny("office hours only")
	var e *jwtguard.Error
	if !errors.As(err, &e) || !errors.Is(err, jwtguard.ErrForbidden) || e.Status != 403 || e.Code != "insufficient_scope" || e.Description != "office hours only" {
		t.Fatalf("Deny = %#v", err)
	}
	rec := httptest.NewRecorder()
	jwtguard.WriteError(rec, "api", err)
	if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="api", error="insufficient_scope", error_description="office hours only"` {
		t.Fatalf("WWW-Authenticate %q", got)
	}
}

// TestAuthenticateOptionalCredentials covers the framework-neutral request
// flow adapters call (it replaces Verifier.Check): only a request without
// credentials is ErrNoToken — which is what an adapter's optional mode
// lets through — while a bad token or a malformed request is refused even
// there.
func TestAuthenticateOptionalCredentials(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	tok := good(t, "ES256")
	expired := mint(t, "ES256", with(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}), tokenOpts{})
	cases := []struct {
		name    string
		auth    []string
		claims  bool
		want    error
		noToken bool // what an optional route lets through
	}{
		{"valid", []string{"Bearer " + tok}, true, nil, false},
		{"no token", nil, false, jwtguard.ErrNoToken, true},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, false, jwtguard.ErrNoToken, true},
		{"bad token", []string{"Bearer " + expired}, false, jwtguard.ErrTokenExpired, false},
		{"malformed request", []string{"Bearer"}, false, jwtguard.ErrInvalidRequest, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, a := range c.auth {
				r.Header.Add("Authorization", a)
			}
			cl, err := v.Authenticate(r)
			if (cl != nil) != c.claims {
				t.Fatalf("claims %v, want present=%v", cl, c.claims)
			}
			if errors.Is(err, jwtguard.ErrNoToken) != c.noToken {
				t.Fatalf("err %v: ErrNoToken = %v, want %v", err, !c.noToken, c.noToken)
			}
			if c.want == nil {
				checkErr(t, err, nil)
				return
			}
			checkErr(t, err, c.want)
		})
	}
}
