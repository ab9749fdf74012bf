package jwtguard_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
)

// verifyClaims verifies an HS256 token with the given claims (merged over
// goodClaims) on the static verifier whose entries edit changes (nil: as
// they are).
func verifyClaims(t *testing.T, over map[string]any, edit func(*jwtguard.Issuer)) (*jwtguard.Claims, error) {
	t.Helper()
	v := staticVerifierFor(t, edit)
	return v.Verify(context.Background(), mint(t, "HS256", with(over), tokenOpts{}))
}

// claimMap returns an entry edit that sets the entry's ClaimMap.
func claimMap(cm jwtguard.ClaimMap) func(*jwtguard.Issuer) {
	return func(is *jwtguard.Issuer) { is.Claims = cm }
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestClaimsScopes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		over map[string]any
		edit func(*jwtguard.Issuer)
		want []string
	}{
		{"none", nil, nil, nil},
		{"scope string", map[string]any{"scope": "orders:read orders:write"}, nil, []string{"orders:read", "orders:write"}},
		{"double space", map[string]any{"scope": "orders:read  orders:write"}, nil, []string{"orders:read", "orders:write"}},
		{"leading and trailing space", map[string]any{"scope": " a b "}, nil, []string{"a", "b"}},
		{"duplicates once", map[string]any{"scope": "a a", "scp": []string{"a"}}, nil, []string{"a"}},
		{"scope empty string", map[string]any{"scope": ""}, nil, nil},
		{"scope array", map[string]any{"scope": []string{"a", "b"}}, nil, []string{"a", "b"}},
		{"scp array", map[string]any{"scp": []string{"User.Read", "Mail.Send"}}, nil, []string{"User.Read", "Mail.Send"}},
		{"scp string", map[string]any{"scp": "User.Read Mail.Send"}, nil, []string{"User.Read", "Mail.Send"}},
		{"scope and scp both read", map[string]any{"scope": "a", "scp": []string{"b"}}, nil, []string{"a", "b"}},
		{"scope null", map[string]any{"scope": rawJSON("null")}, nil, nil},
		// Issue 12 item 8: RFC 6749 §3.3 and RFC 9068 separate scopes by
		// the space character only. A no-break space, tab or newline is
		// part of a scope token, so none of them can smuggle in "admin".
		{"no-break space does not split", map[string]any{"scope": "transfer:acct-123\u00a0admin"}, nil, []string{"transfer:acct-123\u00a0admin"}},
		{"tab does not split", map[string]any{"scope": "read\tadmin"}, nil, []string{"read\tadmin"}},
		{"newline does not split", map[string]any{"scope": "read\nadmin"}, nil, []string{"read\nadmin"}},
		{"ideographic space does not split", map[string]any{"scope": "read\u3000admin"}, nil, []string{"read\u3000admin"}},
		{"custom scope claim", map[string]any{"scope": "ignored", "authz": []string{"read:x"}}, claimMap(jwtguard.ClaimMap{Scopes: []string{"authz"}}), []string{"read:x"}},
		{"custom dotted scope claim", map[string]any{"authz": map[string]any{"scopes": "a b"}}, claimMap(jwtguard.ClaimMap{Scopes: []string{"authz.scopes"}}), []string{"a", "b"}},
		{"scope of the wrong shape maps to nothing", map[string]any{"scope": map[string]any{"admin": true}}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl, err := verifyClaims(t, c.over, c.edit)
			checkErr(t, err, nil)
			if !reflect.DeepEqual(cl.Scopes, c.want) {
				t.Fatalf("Scopes = %#v, want %#v", cl.Scopes, c.want)
			}
			if err := jwtguard.Authorize(cl, jwtguard.RequireAllScopes("admin")); !errors.Is(err, jwtguard.ErrForbidden) {
				t.Fatalf("RequireAllScopes(admin): %v, want ErrForbidden", err)
			}
			if len(cl.Permissions) != 0 {
				t.Fatalf("Permissions = %#v from scopes", cl.Permissions)
			}
		})
	}
}

// TestClaimsPermissionsApartFromScopes: with Auth0 RBAC, permissions lists
// everything the user may do and scope what this client was granted;
// merging them would let a client granted read:orders pass a write check.
func TestClaimsPermissionsApartFromScopes(t *testing.T) {
	t.Parallel()
	over := map[string]any{"scope": "read:orders", "permissions": []string{"read:orders", "write:orders"}}
	cl, err := verifyClaims(t, over, claimMap(jwtguard.ClaimMap{Permissions: []string{"permissions"}}))
	checkErr(t, err, nil)
	if !reflect.DeepEqual(cl.Scopes, []string{"read:orders"}) {
		t.Fatalf("Scopes = %#v, want only the granted scope", cl.Scopes)
	}
	if !reflect.DeepEqual(cl.Permissions, []string{"read:orders", "write:orders"}) {
		t.Fatalf("Permissions = %#v", cl.Permissions)
	}
	if err := jwtguard.Authorize(cl, jwtguard.RequireAllScopes("write:orders")); !errors.Is(err, jwtguard.ErrForbidden) {
		t.Fatalf("a permission passed a scope check: %v", err)
	}
	if err := jwtguard.Authorize(cl, jwtguard.RequireAllPermissions("write:orders")); err != nil {
		t.Fatalf("RequireAllPermissions: %v", err)
	}
	// Without a mapping, permissions are not read at all.
	cl, err = verifyClaims(t, over, nil)
	checkErr(t, err, nil)
	if cl.Permissions != nil {
		t.Fatalf("Permissions = %#v without ClaimMap.Permissions", cl.Permissions)
	}
	// A space-separated string of permissions splits like scope.
	cl, err = verifyClaims(t, map[string]any{"perms": "a b"}, claimMap(jwtguard.ClaimMap{Permissions: []string{"perms"}}))
	checkErr(t, err, nil)
	if !reflect.DeepEqual(cl.Permissions, []string{"a", "b"}) {
		t.Fatalf("Permissions = %#v", cl.Permissions)
	}
}

func TestClaimsRoles(t *testing.T) {
	t.Parallel()
	roles := func(paths ...string) func(*jwtguard.Issuer) { return claimMap(jwtguard.ClaimMap{Roles: paths}) }
	cases := []struct {
		name string
		over map[string]any
		edit func(*jwtguard.Issuer)
		want []string
	}{
		{"default roles array", map[string]any{"roles": []string{"admin", "user"}}, nil, []string{"admin", "user"}},
		{"default roles string is one role", map[string]any{"roles": "admin user"}, nil, []string{"admin user"}},
		{"roles null", map[string]any{"roles": rawJSON("null")}, nil, nil},
		{"roles absent", nil, nil, nil},
		{"Keycloak realm_access.roles", map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}},
			roles("realm_access.roles"), []string{"admin"}},
		{"Keycloak path missing", map[string]any{"realm_access": map[string]any{"other": 1}},
			roles("realm_access.roles"), nil},
		{"Keycloak path through a non-object", map[string]any{"realm_access": "x"},
			roles("realm_access.roles"), nil},
		// Changed on purpose: a wrong shape no longer rejects the token.
		{"Keycloak path wrong type maps to nothing", map[string]any{"realm_access": map[string]any{"roles": 5}},
			roles("realm_access.roles"), nil},
		{"array of non-strings maps to nothing", map[string]any{"roles": []any{"admin", 1}}, nil, nil},
		{"Keycloak resource_access", map[string]any{"resource_access": map[string]any{"my-api": map[string]any{"roles": []string{"writer"}}}},
			roles("resource_access.my-api.roles"), []string{"writer"}},
		{"client ID with dots, bracketed", map[string]any{"resource_access": map[string]any{"api.example.com": map[string]any{"roles": []string{"writer"}}}},
			roles("resource_access.[api.example.com].roles"), []string{"writer"}},
		{"groups", map[string]any{"groups": []string{"eng"}}, roles("groups"), []string{"eng"}},
		{"cognito:groups", map[string]any{"cognito:groups": []string{"admins"}}, roles("cognito:groups"), []string{"admins"}},
		{"namespaced URL claim, bracketed", map[string]any{"https://example.com/roles": []string{"admin"}},
			roles("[https://example.com/roles]"), []string{"admin"}},
		// The old rule "the whole path is first tried as a top-level name"
		// is gone: unbracketed, the dots separate members.
		{"namespaced URL claim, unbracketed, is a nested path", map[string]any{"https://example.com/roles": []string{"admin"}},
			roles("https://example.com/roles"), nil},
		{"Zitadel object keyed by role", map[string]any{"urn:zitadel:iam:org:project:roles": map[string]any{
			"admin": map[string]any{"123": "acme.example.com"}, "viewer": map[string]any{"123": "acme.example.com"}}},
			roles("urn:zitadel:iam:org:project:roles"), []string{"admin", "viewer"}},
		// Issue 16 item 3: an object grants the members whose value is
		// true or a non-empty object or array, never false, null, "", {},
		// [] or a number (Firebase custom claims, Hasura-style flags).
		{"flag object: false grants nothing", map[string]any{"roles": map[string]any{"admin": false, "editor": true}}, nil, []string{"editor"}},
		{"flag object: every falsy shape", map[string]any{"roles": map[string]any{
			"a": nil, "b": "", "c": map[string]any{}, "d": []any{}, "e": 0, "f": 1, "g": "yes", "h": "true", "i": []any{"x"}, "j": true}},
			nil, []string{"i", "j"}},
		{"flag object: all false", map[string]any{"roles": map[string]any{"admin": false}}, nil, nil},
		{"default claim ignored when paths set", map[string]any{"roles": []string{"admin"}}, roles("groups"), nil},
		{"three paths merged, duplicates once", map[string]any{
			"roles":           []string{"a"},
			"realm_access":    map[string]any{"roles": []string{"b", "a"}},
			"resource_access": map[string]any{"api.example.com": map[string]any{"roles": []string{"c"}}},
		}, roles("roles", "realm_access.roles", "resource_access.[api.example.com].roles"), []string{"a", "b", "c"}},
		{"merged, one path of the wrong shape", map[string]any{
			"roles": 7, "groups": []string{"g"}, "realm_access": map[string]any{"roles": "r"},
		}, roles("roles", "groups", "realm_access.roles"), []string{"g", "r"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl, err := verifyClaims(t, c.over, c.edit)
			checkErr(t, err, nil)
			if !reflect.DeepEqual(cl.Roles, c.want) {
				t.Fatalf("Roles = %#v, want %#v", cl.Roles, c.want)
			}
		})
	}
}

// TestClaimsRolesPerIssuer: two issuers with different role claims in one
// verifier, each read with its own mapping.
func TestClaimsRolesPerIssuer(t *testing.T) {
	t.Parallel()
	k := testKeys()
	v := mustNew(t,
		jwtguard.Trust(
			jwtguard.Issuer{ID: testIss, Keys: jwtguard.StaticKeys(k.jwkSet), Claims: jwtguard.ClaimMap{Roles: []string{"realm_access.roles"}}},
			jwtguard.Issuer{ID: testIssHMAC, Keys: jwtguard.HMAC(k.secret), Claims: jwtguard.ClaimMap{Roles: []string{"groups"}}},
		),
		jwtguard.WithAudience(testAud), jwtguard.WithAlgorithms(allAlgs...), jwtguard.WithClock(fixedClock))
	over := map[string]any{"realm_access": map[string]any{"roles": []string{"kc-admin"}}, "groups": []string{"ci-admin"}}
	for alg, want := range map[string]string{"RS256": "kc-admin", "HS256": "ci-admin"} {
		cl, err := v.Verify(context.Background(), mint(t, alg, with(over), tokenOpts{}))
		checkErr(t, err, nil)
		if !reflect.DeepEqual(cl.Roles, []string{want}) {
			t.Fatalf("%s (iss %s): Roles = %#v, want %q", alg, cl.Issuer, cl.Roles, want)
		}
	}
}

func TestClaimsTenant(t *testing.T) {
	t.Parallel()
	tenant := func(path string) func(*jwtguard.Issuer) { return claimMap(jwtguard.ClaimMap{Tenant: path}) }
	cases := []struct {
		name    string
		over    map[string]any
		edit    func(*jwtguard.Issuer)
		tenants []string
		tenant  string
	}{
		{"default tenant_id", map[string]any{"tenant_id": "acme"}, nil, []string{"acme"}, "acme"},
		{"absent", nil, nil, nil, ""},
		{"empty string", map[string]any{"tenant_id": ""}, nil, nil, ""},
		{"tid ignored by default", map[string]any{"tid": "x"}, nil, nil, ""},
		{"Entra tid", map[string]any{"tid": "72f988bf", "tenant_id": "other"}, tenant("tid"), []string{"72f988bf"}, "72f988bf"},
		{"dotted path", map[string]any{"org": map[string]any{"id": "o-1"}}, tenant("org.id"), []string{"o-1"}, "o-1"},
		{"array of one", map[string]any{"tenant_id": []string{"acme"}}, nil, []string{"acme"}, "acme"},
		{"array of several: no single Tenant", map[string]any{"tenant_id": []string{"acme", "globex"}}, nil, []string{"acme", "globex"}, ""},
		{"Keycloak organization object", map[string]any{"organization": map[string]any{"acme": map[string]any{"id": "1"}, "globex": map[string]any{"id": "2"}}},
			tenant("organization"), []string{"acme", "globex"}, ""},
		// Issue 16 item 3: tenant objects follow the role-object rule.
		{"tenant object: {} and false grant nothing", map[string]any{"organization": map[string]any{"acme": map[string]any{"id": "1"}, "globex": map[string]any{}, "initech": false}},
			tenant("organization"), []string{"acme"}, "acme"},
		// Changed on purpose: a wrong shape maps to nothing instead of
		// rejecting the token.
		{"number maps to nothing", map[string]any{"tenant_id": 5}, nil, nil, ""},
		{"bool maps to nothing", map[string]any{"tenant_id": true}, nil, nil, ""},
		{"array of numbers maps to nothing", map[string]any{"tenant_id": []int{1}}, nil, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl, err := verifyClaims(t, c.over, c.edit)
			checkErr(t, err, nil)
			if !reflect.DeepEqual(cl.Tenants, c.tenants) || cl.Tenant != c.tenant {
				t.Fatalf("Tenants = %#v, Tenant = %q; want %#v, %q", cl.Tenants, cl.Tenant, c.tenants, c.tenant)
			}
		})
	}
}

// TestClaimsEmptyAudience: "aud": [] (Ory Hydra without a granted
// audience) reads as no audience: refused with the audience check on,
// accepted with Audience nil when the check is off.
func TestClaimsEmptyAudience(t *testing.T) {
	t.Parallel()
	tok := mint(t, "HS256", with(map[string]any{"aud": []string{}}), tokenOpts{})
	_, err := staticVerifier(t).Verify(context.Background(), tok)
	checkErr(t, err, jwtguard.ErrInvalidAudience)
	if e := jwtguard.AsError(err); e.Claim != "aud" || e.Description != "aud is missing" {
		t.Fatalf("Claim %q, Description %q; want aud, \"aud is missing\"", e.Claim, e.Description)
	}
	open := mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: testIssHMAC, Keys: jwtguard.HMAC(testKeys().secret)}),
		jwtguard.WithoutAudienceCheck(), jwtguard.WithAlgorithms("HS256"), jwtguard.WithClock(fixedClock))
	cl, err := open.Verify(context.Background(), tok)
	checkErr(t, err, nil)
	if cl.Audience != nil {
		t.Fatalf("Audience = %#v, want nil", cl.Audience)
	}
}

// TestClaimsPresent: "present" has one meaning for required claims and
// RequireClaim alike: any value but "", null, false and [] (with or
// without blanks inside).
func TestClaimsPresent(t *testing.T) {
	t.Parallel()
	v := staticVerifierFor(t, func(is *jwtguard.Issuer) { is.RequiredClaims = []string{"jti", "x"} })
	for _, c := range []struct {
		raw     string // the JSON value of x
		present bool
	}{
		{`""`, false},
		{`null`, false},
		{`false`, false},
		{`[]`, false},
		{`[ ]`, false},
		{"[\n\t ]", false},
		{`" "`, true},
		{`"0"`, true},
		{`0`, true},
		{`true`, true},
		{`{}`, true},
		{`[""]`, true},
		{`[null]`, true},
		{`"false"`, true},
	} {
		t.Run(c.raw, func(t *testing.T) {
			t.Parallel()
			payload := fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"user-1","exp":%d,"jti":"id-1","x":%s}`,
				testIssHMAC, testAud, testNow.Add(5*time.Minute).Unix(), c.raw)
			cl, err := v.Verify(context.Background(), mint(t, "HS256", nil, tokenOpts{payload: []byte(payload)}))
			if !c.present {
				checkErr(t, err, jwtguard.ErrMissingClaim)
				if e := jwtguard.AsError(err); e.Claim != "x" {
					t.Fatalf("Claim %q, want x", e.Claim)
				}
				return
			}
			checkErr(t, err, nil)
			if err := jwtguard.Authorize(cl, jwtguard.RequireClaim("x")); err != nil {
				t.Fatalf("RequireClaim(x) on %s: %v", c.raw, err)
			}
		})
	}
	// RequireClaim uses the same rule on values a verifier lets through.
	cl, err := verifyClaims(t, map[string]any{"e": "", "n": rawJSON("null"), "f": false, "a": []string{}}, nil)
	checkErr(t, err, nil)
	for _, name := range []string{"e", "n", "f", "a", "missing"} {
		if err := jwtguard.Authorize(cl, jwtguard.RequireClaim(name)); !errors.Is(err, jwtguard.ErrForbidden) {
			t.Errorf("RequireClaim(%q) = %v, want ErrForbidden", name, err)
		}
	}
}

// TestClaimsRequiredJTIEmpty (issue 12 item 9): "jti": "" does not satisfy
// a required jti (such a token could never be revoked one by one).
func TestClaimsRequiredJTIEmpty(t *testing.T) {
	t.Parallel()
	v := staticVerifierFor(t, func(is *jwtguard.Issuer) { is.RequiredClaims = []string{"jti"} })
	for name, c := range map[string]struct {
		jti  any
		want error
	}{
		"empty": {"", jwtguard.ErrMissingClaim}, "absent": {nil, jwtguard.ErrMissingClaim}, "set": {"id-1", nil},
	} {
		_, err := v.Verify(context.Background(), mint(t, "HS256", with(map[string]any{"jti": c.jti}), tokenOpts{}))
		if c.want == nil {
			checkErr(t, err, nil)
			continue
		}
		checkErr(t, err, c.want)
		if e := jwtguard.AsError(err); e.Claim != "jti" {
			t.Fatalf("%s: Claim %q, want jti", name, e.Claim)
		}
	}
}

// TestClaimPathSyntax: dot-separated member names; a name containing dots
// in brackets. New refuses a malformed path, naming the field.
func TestClaimPathSyntax(t *testing.T) {
	t.Parallel()
	bad := []struct{ path, why string }{
		{"", "empty claim path"},
		{"a..b", "empty member name"},
		{".a", "empty member name"},
		{"a.", "ends with a dot"},
		{"[]", "empty member name"},
		{"[a.b", "unclosed ["},
		{"[a.b]c", "must end the path or be followed by ."},
		{"a[b]", "brackets must enclose a whole member name"},
		{"a]", "brackets must enclose a whole member name"},
		{"a.[b]c.d", "must end the path or be followed by ."},
	}
	fields := []struct {
		name string
		set  func(is *jwtguard.Issuer, p string)
	}{
		{"Claims.Roles", func(is *jwtguard.Issuer, p string) { is.Claims.Roles = []string{"roles", p} }},
		{"Claims.Scopes", func(is *jwtguard.Issuer, p string) { is.Claims.Scopes = []string{p} }},
		{"Claims.Permissions", func(is *jwtguard.Issuer, p string) { is.Claims.Permissions = []string{p} }},
		{"RequiredClaims", func(is *jwtguard.Issuer, p string) { is.RequiredClaims = []string{p} }},
		{"Claims.Tenant", func(is *jwtguard.Issuer, p string) { is.Claims.Tenant = p }},
	}
	for _, f := range fields {
		for _, b := range bad {
			if f.name == "Claims.Tenant" && b.path == "" {
				continue // "" means the default tenant path
			}
			is := jwtguard.Issuer{ID: testIssHMAC, Keys: jwtguard.HMAC(testKeys().secret), Audiences: []string{testAud}}
			f.set(&is, b.path)
			v, err := jwtguard.New(jwtguard.Trust(is), jwtguard.WithAlgorithms("HS256"))
			if err == nil {
				v.Close()
				t.Errorf("%s %q: New accepted it", f.name, b.path)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, f.name) || !strings.Contains(msg, b.why) || !strings.Contains(msg, "Trust") {
				t.Errorf("%s %q: error %q does not name the option, the field and %q", f.name, b.path, msg, b.why)
			}
		}
	}
	// Claims.Get reads the same syntax; a malformed path finds nothing.
	cl, err := verifyClaims(t, map[string]any{
		"a.b": "dotted", "a": map[string]any{"b": "nested", "c.d": map[string]any{"e": "deep"}},
		"kubernetes.io":             map[string]any{"namespace": "ns"},
		"https://example.com/roles": []string{"admin"},
	}, nil)
	checkErr(t, err, nil)
	for _, c := range []struct {
		path string
		want any
		ok   bool
	}{
		{"a.b", "nested", true},
		{"[a.b]", "dotted", true},
		{"a.[c.d].e", "deep", true},
		{"[a].b", "nested", true},
		{"[kubernetes.io].namespace", "ns", true},
		{"kubernetes.io.namespace", nil, false},
		{"[https://example.com/roles]", []any{"admin"}, true},
		{"https://example.com/roles", nil, false},
		{"a..b", nil, false},
		{"[a.b", nil, false},
		{"", nil, false},
	} {
		got, ok := cl.Get(c.path)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Get(%q) = %#v, %v; want %#v, %v", c.path, got, ok, c.want, c.ok)
		}
	}
}

func TestClaimsDecode(t *testing.T) {
	t.Parallel()
	cl, err := verifyClaims(t, map[string]any{
		"email": "a@example.test", "email_verified": true, "plan": map[string]any{"tier": "gold", "seats": 5},
	}, nil)
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
	// A *json.RawMessage gets the exact signed bytes (this replaces Raw()),
	// as a copy the caller may change.
	tok := mint(t, "HS256", with(map[string]any{"x": 1}), tokenOpts{})
	cl, err = staticVerifier(t).Verify(context.Background(), tok)
	checkErr(t, err, nil)
	var raw json.RawMessage
	if err := cl.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	_, payload, _ := segments(tok)
	if want := must(base64.RawURLEncoding.DecodeString(payload)); string(raw) != string(want) {
		t.Fatalf("Decode(*json.RawMessage) = %s, want the signed payload %s", raw, want)
	}
	raw[0] = 'X'
	var again json.RawMessage
	if err := cl.Decode(&again); err != nil || again[0] != '{' {
		t.Fatalf("the raw bytes are shared with the caller: %s", again)
	}
	var wrong struct {
		Email int `json:"x"`
	}
	if err := cl.Decode(&wrong); err != nil {
		t.Fatalf("Decode number into int: %v", err)
	}
	var mismatch struct {
		Sub int `json:"sub"`
	}
	if err := cl.Decode(&mismatch); err == nil {
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
	}, nil)
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
		{"[https://example.com/roles]", []any{"admin"}, true},
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
	// Claims built by hand (no token) and nil claims have nothing to get.
	if v, ok := (&jwtguard.Claims{Subject: "x"}).Get("sub"); ok {
		t.Fatalf("Get on hand-built claims = %v", v)
	}
	if v, ok := (*jwtguard.Claims)(nil).Get("sub"); ok {
		t.Fatalf("Get on nil claims = %v", v)
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
