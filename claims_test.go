package jwtguard_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
)

// verifyClaims verifies an HS256 token with the given claims (merged over
// goodClaims) on a static verifier with extra options.
func verifyClaims(t *testing.T, over map[string]any, extra ...jwtguard.Option) (*jwtguard.Claims, error) {
	t.Helper()
	v := staticVerifier(t, extra...)
	return v.Verify(context.Background(), mint(t, "HS256", with(over), tokenOpts{}))
}

func TestClaimsScopes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		over  map[string]any
		extra []jwtguard.Option
		want  []string
	}{
		{"none", nil, nil, nil},
		{"scope string", map[string]any{"scope": "orders:read  orders:write"}, nil, []string{"orders:read", "orders:write"}},
		{"scope empty string", map[string]any{"scope": ""}, nil, nil},
		{"scope array", map[string]any{"scope": []string{"a", "b"}}, nil, []string{"a", "b"}},
		{"scp array", map[string]any{"scp": []string{"User.Read", "Mail.Send"}}, nil, []string{"User.Read", "Mail.Send"}},
		{"scp string", map[string]any{"scp": "User.Read Mail.Send"}, nil, []string{"User.Read", "Mail.Send"}},
		{"scope null", map[string]any{"scope": rawJSON("null")}, nil, nil},
		{"custom scope claim", map[string]any{"scope": "ignored", "permissions": []string{"read:x"}}, []jwtguard.Option{jwtguard.WithScopeClaim("permissions")}, []string{"read:x"}},
		{"custom dotted scope claim", map[string]any{"authz": map[string]any{"scopes": "a b"}}, []jwtguard.Option{jwtguard.WithScopeClaim("authz.scopes")}, []string{"a", "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl, err := verifyClaims(t, c.over, c.extra...)
			checkErr(t, err, nil)
			if !reflect.DeepEqual(cl.Scopes, c.want) {
				t.Fatalf("Scopes = %#v, want %#v", cl.Scopes, c.want)
			}
			for _, s := range c.want {
				if !cl.HasScope(s) {
					t.Fatalf("HasScope(%q) = false", s)
				}
			}
			if cl.HasScope("admin") {
				t.Fatal("HasScope(admin) = true")
			}
		})
	}
	// Both scope and scp are read by default.
	cl, err := verifyClaims(t, map[string]any{"scope": "a", "scp": []string{"b"}})
	checkErr(t, err, nil)
	if !cl.HasScope("a") || !cl.HasScope("b") {
		t.Fatalf("Scopes = %v, want both a and b", cl.Scopes)
	}
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestClaimsRoles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		over  map[string]any
		extra []jwtguard.Option
		want  []string
		err   error
	}{
		{"default roles array", map[string]any{"roles": []string{"admin", "user"}}, nil, []string{"admin", "user"}, nil},
		{"default roles string", map[string]any{"roles": "admin"}, nil, []string{"admin"}, nil},
		{"roles null", map[string]any{"roles": rawJSON("null")}, nil, nil, nil},
		{"roles absent", nil, nil, nil, nil},
		{"Keycloak realm_access.roles", map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}},
			[]jwtguard.Option{jwtguard.WithRoleClaim("realm_access.roles")}, []string{"admin"}, nil},
		{"Keycloak path missing", map[string]any{"realm_access": map[string]any{"other": 1}},
			[]jwtguard.Option{jwtguard.WithRoleClaim("realm_access.roles")}, nil, nil},
		{"Keycloak path through a non-object", map[string]any{"realm_access": "x"},
			[]jwtguard.Option{jwtguard.WithRoleClaim("realm_access.roles")}, nil, nil},
		{"Keycloak path wrong type", map[string]any{"realm_access": map[string]any{"roles": 5}},
			[]jwtguard.Option{jwtguard.WithRoleClaim("realm_access.roles")}, nil, jwtguard.ErrInvalidClaim},
		{"Keycloak resource_access", map[string]any{"resource_access": map[string]any{"my-api": map[string]any{"roles": []string{"writer"}}}},
			[]jwtguard.Option{jwtguard.WithRoleClaim("resource_access.my-api.roles")}, []string{"writer"}, nil},
		{"groups", map[string]any{"groups": []string{"eng"}}, []jwtguard.Option{jwtguard.WithRoleClaim("groups")}, []string{"eng"}, nil},
		{"cognito:groups", map[string]any{"cognito:groups": []string{"admins"}}, []jwtguard.Option{jwtguard.WithRoleClaim("cognito:groups")}, []string{"admins"}, nil},
		{"namespaced URL claim", map[string]any{"https://example.com/roles": []string{"admin"}},
			[]jwtguard.Option{jwtguard.WithRoleClaim("https://example.com/roles")}, []string{"admin"}, nil},
		{"default claim ignored when path set", map[string]any{"roles": []string{"admin"}},
			[]jwtguard.Option{jwtguard.WithRoleClaim("groups")}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl, err := verifyClaims(t, c.over, c.extra...)
			checkErr(t, err, c.err)
			if err != nil {
				return
			}
			if !reflect.DeepEqual(cl.Roles, c.want) {
				t.Fatalf("Roles = %#v, want %#v", cl.Roles, c.want)
			}
		})
	}
}

func TestClaimsTenant(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		over  map[string]any
		extra []jwtguard.Option
		want  string
		err   error
	}{
		{"default tenant_id", map[string]any{"tenant_id": "acme"}, nil, "acme", nil},
		{"absent", nil, nil, "", nil},
		{"tid ignored by default", map[string]any{"tid": "x"}, nil, "", nil},
		{"Entra tid", map[string]any{"tid": "72f988bf", "tenant_id": "other"}, []jwtguard.Option{jwtguard.WithTenantClaim("tid")}, "72f988bf", nil},
		{"dotted path", map[string]any{"org": map[string]any{"id": "o-1"}}, []jwtguard.Option{jwtguard.WithTenantClaim("org.id")}, "o-1", nil},
		{"number refused", map[string]any{"tenant_id": 5}, nil, "", jwtguard.ErrInvalidClaim},
		{"array refused", map[string]any{"tid": []string{"a"}}, []jwtguard.Option{jwtguard.WithTenantClaim("tid")}, "", jwtguard.ErrInvalidClaim},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl, err := verifyClaims(t, c.over, c.extra...)
			checkErr(t, err, c.err)
			if err == nil && cl.Tenant != c.want {
				t.Fatalf("Tenant = %q, want %q", cl.Tenant, c.want)
			}
		})
	}
}

func TestClaimsDecode(t *testing.T) {
	t.Parallel()
	cl, err := verifyClaims(t, map[string]any{
		"email": "a@example.test", "email_verified": true, "plan": map[string]any{"tier": "gold", "seats": 5},
	})
	checkErr(t, err, nil)
	var custom struct {
		Email    string `json:"email"`
		Verified bool   `json:"email_verified"`
		Plan     struct {
			Tier  string `json:"tier"`
			Seats int    `json:"seats"`
		} `json:"plan"`
		Subject string `json:"sub"`
		Exp     int64  `json:"exp"`
	}
	if err := cl.Decode(&custom); err != nil {
		t.Fatal(err)
	}
	if custom.Email != "a@example.test" || !custom.Verified || custom.Plan.Tier != "gold" || custom.Plan.Seats != 5 ||
		custom.Subject != "user-1" || custom.Exp != testNow.Add(5*time.Minute).Unix() {
		t.Fatalf("Decode = %+v", custom)
	}
	var m map[string]any
	if err := cl.Decode(&m); err != nil || m["email"] != "a@example.test" {
		t.Fatalf("Decode into map: %v %v", m, err)
	}
	var wrong struct {
		Email int `json:"email"`
	}
	if err := cl.Decode(&wrong); err == nil {
		t.Fatal("Decode into a mismatched type succeeded")
	}
	if err := cl.Decode(nil); err == nil {
		t.Fatal("Decode(nil) succeeded")
	}
}

func TestClaimsGet(t *testing.T) {
	t.Parallel()
	cl, err := verifyClaims(t, map[string]any{
		"email": "a@example.test", "n": 3, "ok": true, "list": []string{"x"},
		"org":                       map[string]any{"id": "o-1", "deep": map[string]any{"v": "d"}},
		"https://example.com/roles": []string{"admin"}, "nul": rawJSON("null"),
	})
	checkErr(t, err, nil)
	cases := []struct {
		path string
		want any
		ok   bool
	}{
		{"email", "a@example.test", true},
		{"n", 3.0, true},
		{"ok", true, true},
		{"list", []any{"x"}, true},
		{"org.id", "o-1", true},
		{"org.deep.v", "d", true},
		{"org", map[string]any{"id": "o-1", "deep": map[string]any{"v": "d"}}, true},
		{"https://example.com/roles", []any{"admin"}, true},
		{"nul", nil, true},
		{"missing", nil, false},
		{"org.missing", nil, false},
		{"email.x", nil, false},
		{"list.0", nil, false},
		{"sub", "user-1", true},
	}
	for _, c := range cases {
		got, ok := cl.Get(c.path)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Get(%q) = %#v, %v; want %#v, %v", c.path, got, ok, c.want, c.ok)
		}
	}
}

func TestClaimsHasRole(t *testing.T) {
	t.Parallel()
	c := &jwtguard.Claims{Roles: []string{"admin", "user"}, Scopes: []string{"read"}, Audience: []string{"api"}}
	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"HasRole admin", c.HasRole("admin"), true},
		{"HasRole is case-sensitive", c.HasRole("Admin"), false},
		{"HasRole missing", c.HasRole("root"), false},
		{"HasRole empty", c.HasRole(""), false},
		{"HasAnyRole one matches", c.HasAnyRole("root", "user"), true},
		{"HasAnyRole none match", c.HasAnyRole("root", "guest"), false},
		{"HasAnyRole no roles given", c.HasAnyRole(), false},
		{"HasScope", c.HasScope("read"), true},
		{"HasScope missing", c.HasScope("write"), false},
		{"HasAudience", c.HasAudience("api"), true},
		{"HasAudience missing", c.HasAudience("other"), false},
		{"nil HasRole", (*jwtguard.Claims)(nil).HasRole("admin"), false},
		{"nil HasAnyRole", (*jwtguard.Claims)(nil).HasAnyRole("admin"), false},
		{"nil HasScope", (*jwtguard.Claims)(nil).HasScope("read"), false},
		{"nil HasAudience", (*jwtguard.Claims)(nil).HasAudience("api"), false},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestClaimsContext(t *testing.T) {
	t.Parallel()
	if c, ok := jwtguard.FromContext(context.Background()); ok || c != nil {
		t.Fatalf("FromContext(empty) = %v, %v", c, ok)
	}
	want := &jwtguard.Claims{Subject: "alice"}
	ctx := jwtguard.NewContext(context.Background(), want)
	got, ok := jwtguard.FromContext(ctx)
	if !ok || got != want {
		t.Fatalf("FromContext = %v, %v", got, ok)
	}
	// A nil *Claims counts as no claims.
	if c, ok := jwtguard.FromContext(jwtguard.NewContext(context.Background(), nil)); ok || c != nil {
		t.Fatalf("FromContext(nil claims) = %v, %v", c, ok)
	}
	// The key is unexported: a string key with any spelling does not collide.
	type claimsKey struct{}
	ctx2 := context.WithValue(context.Background(), claimsKey{}, want)
	ctx2 = context.WithValue(ctx2, "claims", want) //nolint:staticcheck // deliberate collision attempt
	if _, ok := jwtguard.FromContext(ctx2); ok {
		t.Fatal("FromContext found claims stored under a foreign key")
	}
}
