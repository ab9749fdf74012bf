package profile_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/providertest"
	"github.com/jwtguard/jwtguard/internal/snippets"
	"github.com/jwtguard/jwtguard/profile"
)

// allowlist is the README's tenants: an in-memory allowlist of tenant IDs
// that records what it was asked.
type allowlist struct {
	mu    sync.Mutex
	ids   []string
	asked []string
}

func (a *allowlist) Allowed(ctx context.Context, tid string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, tid)
	return slices.Contains(a.ids, tid)
}

func (a *allowlist) calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.asked)
}

const (
	acmeTenant   = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490" // the entra fixture's tenant
	globexTenant = "82229342-1101-4ab6-817b-70c0747630f3"
)

// TestEntraIDResolverRecipe (issue 16 item 11) runs README.md's recipe of
// section "Issuers decided at run time" as written (TestREADMEResolver
// keeps the two identical; lines marked "test only" are not in the README):
// v1 and v2 tokens of an allowed tenant are both accepted through one
// entry and one key fetch, a tenant outside the allowlist is refused, and
// an iss that is not an Entra issuer of a tenant GUID is refused without
// asking the allowlist.
func TestEntraIDResolverRecipe(t *testing.T) {
	f, p := served(t, "entra")
	tenants := &allowlist{ids: []string{acmeTenant}}

	// tenants.Allowed(ctx, tid) is an in-memory lookup in your allowlist; the audiences are
	// the API's Application ID URI (v1 tokens) and client ID (v2 tokens).
	resolve := profile.EntraIDResolver(tenants.Allowed, "api://orders-api", "6e74172b-be56-4843-9ff4-e66a39bb12e3")
	v, err := jwtguard.New(
		jwtguard.WithIssuerResolver(resolve, 100),                      // at most 100 proven issuers
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{Client: p.Client}), // test only
		jwtguard.WithLogger(slog.New(slog.DiscardHandler)),             // test only
		jwtguard.WithAlgorithms("RS256"),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })

	token := func(kind string, edits map[string]any) string {
		t.Helper()
		h, c, err := f.Token(kind, time.Now(), edits)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := providertest.Sign(h, c, testKeys().rsa)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// An allowed tenant, both issuer forms: one entry, one fetch.
	v2Form := "https://login.microsoftonline.com/" + acmeTenant + "/v2.0"
	for _, kind := range []string{"access-v1", "access-v2", "access-v1"} {
		c, err := v.Verify(ctx, token(kind, nil))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if c.Entry() != v2Form || c.Tenant != acmeTenant || c.Provider() != profile.ProviderEntraID {
			t.Errorf("%s: entry %q, tenant %q, provider %q", kind, c.Entry(), c.Tenant, c.Provider())
		}
	}
	keys := "https://login.microsoftonline.com/" + acmeTenant + "/discovery/v2.0/keys"
	if n := p.hitCount(keys); n != 1 {
		t.Errorf("%s fetched %d times, want once for both issuer forms", keys, n)
	}
	if got, ok := v.CanonicalIssuer(ctx, "https://sts.windows.net/"+acmeTenant+"/"); !ok || got != v2Form {
		t.Errorf("CanonicalIssuer(v1 form) = %q, %v; want %q", got, ok, v2Form)
	}

	// An ID token of the allowed tenant is still refused (EntraID's checks).
	idToken := token("access-v2", map[string]any{"scp": nil, "azp": nil, "azpacr": nil})
	if _, err := v.Verify(ctx, idToken); !errors.Is(err, jwtguard.ErrMissingClaim) {
		t.Errorf("ID token: got %v, want ErrMissingClaim", err)
	}

	// A tenant outside the allowlist: refused, after asking.
	for _, kind := range []string{"access-v1", "access-v2"} {
		iss := "https://login.microsoftonline.com/" + globexTenant + "/v2.0"
		if kind == "access-v1" {
			iss = "https://sts.windows.net/" + globexTenant + "/"
		}
		_, err := v.Verify(ctx, token(kind, map[string]any{"iss": iss, "tid": globexTenant}))
		if !errors.Is(err, jwtguard.ErrInvalidIssuer) {
			t.Errorf("%s of another tenant: got %v, want ErrInvalidIssuer", kind, err)
		}
	}
	asked := tenants.calls()
	if slices.ContainsFunc(asked, func(tid string) bool { return tid != acmeTenant && tid != globexTenant }) || !slices.Contains(asked, globexTenant) {
		t.Fatalf("allowlist asked about %q", asked)
	}

	// Not an Entra issuer of a tenant GUID: refused without asking.
	for _, iss := range []string{
		"https://login.microsoftonline.com/common/v2.0",
		"https://login.microsoftonline.com/organizations/v2.0",
		"https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
		"https://login.microsoftonline.com/" + strings.ToUpper(acmeTenant) + "/v2.0",
		"https://login.microsoftonline.com/" + acmeTenant + "/v2.0/",
		"https://login.microsoftonline.com/" + acmeTenant + "/",
		"https://login.microsoftonline.com/" + acmeTenant + "/x/v2.0",
		"https://sts.windows.net/" + acmeTenant,
		"https://sts.windows.net/" + acmeTenant + "/v2.0",
		"https://sts.windows.net/" + acmeTenant + "//",
		"http://sts.windows.net/" + acmeTenant + "/",
		"https://evil.example/" + acmeTenant + "/v2.0",
		"https://login.microsoftonline.com.evil.example/" + acmeTenant + "/v2.0",
		"https://login.microsoftonline.com/" + acmeTenant + "x/v2.0",
		"https://login.microsoftonline.com/" + acmeTenant[:35] + "/v2.0",
	} {
		before := len(tenants.calls())
		_, err := v.Verify(ctx, token("access-v2", map[string]any{"iss": iss}))
		if !errors.Is(err, jwtguard.ErrInvalidIssuer) {
			t.Errorf("iss %q: got %v, want ErrInvalidIssuer", iss, err)
		}
		if after := tenants.calls(); len(after) != before {
			t.Errorf("iss %q: the allowlist was asked about %q", iss, after[before:])
		}
	}
}

// TestEntraIDResolver: the resolver's answers, without a verifier.
func TestEntraIDResolver(t *testing.T) {
	yes := func(context.Context, string) bool { return true }
	v1, v2 := "https://sts.windows.net/"+acmeTenant+"/", "https://login.microsoftonline.com/"+acmeTenant+"/v2.0"
	for _, tc := range []struct {
		name    string
		resolve jwtguard.IssuerResolver
		iss     string
		ok      bool
		invalid string // in the answer's Invalid
	}{
		{"v2 form", profile.EntraIDResolver(yes, "api://orders"), v2, true, ""},
		{"v1 form", profile.EntraIDResolver(yes, "api://orders", "6e74172b-be56-4843-9ff4-e66a39bb12e3"), v1, true, ""},
		{"not allowed", profile.EntraIDResolver(func(context.Context, string) bool { return false }, "api://orders"), v2, false, ""},
		{"nil allowlist", profile.EntraIDResolver(nil, "api://orders"), v2, true, "allowed is nil"},
		{"no audience", profile.EntraIDResolver(yes), v1, true, "audiences"},
		{"empty audience", profile.EntraIDResolver(yes, ""), v1, true, "audiences"},
		{"nil allowlist, not an Entra issuer", profile.EntraIDResolver(nil, "api://orders"), "https://evil.example/", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is, ok := tc.resolve(t.Context(), tc.iss)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if tc.invalid != "" {
				if is.Invalid == nil || !strings.Contains(is.Invalid.Error(), tc.invalid) {
					t.Fatalf("Invalid %v, want one saying %q", is.Invalid, tc.invalid)
				}
				return
			}
			want := profile.EntraID(acmeTenant, "api://orders")
			if is.Invalid != nil || is.ID != want.ID || !slices.Equal(is.Aliases, want.Aliases) ||
				!slices.Equal(is.RequiredClaims, want.RequiredClaims) || is.Provider != profile.ProviderEntraID || is.Audiences[0] != "api://orders" {
				t.Fatalf("answer %+v, want EntraID(%s, ...)", is, acmeTenant)
			}
		})
	}
}

// TestREADMEResolver: the Go block of README.md's section "Issuers decided
// at run time" stands, line for line, in TestEntraIDResolverRecipe.
func TestREADMEResolver(t *testing.T) {
	missing, err := snippets.Missing("../README.md", "## Issuers decided at run time: `WithIssuerResolver`", "readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range missing {
		t.Errorf("README block is not in readme_test.go:\n%s", block)
	}
}
