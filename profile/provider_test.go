package profile_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/providertest"
	"github.com/jwtguard/jwtguard/profile"
)

// The issuers of the provider tests: each entry verifies with the test key
// (StaticKeys: no network), so what tells them apart is only iss and the
// entry that accepts it.
const (
	audTest    = "https://api.test"
	ghes       = "https://ghes.acme.example/_services/token" // GitHub Enterprise Server, hand-made
	handMade   = "https://ci.other.example"                  // another CI system, no Provider
	auth0Dom   = "acme.eu.auth0.com"
	clusterA   = "https://k8s-a.acme.example"
	clusterB   = "https://k8s-b.acme.example"
	spiffeTD   = "acme.example"
	googleIss  = "https://accounts.google.com"
	saEmail    = "orders-caller@acme-prod.iam.gserviceaccount.com"
	saUniqueID = "113917316937261558431"
)

// withTestKey returns is verifying with the test RSA key.
func withTestKey(is jwtguard.Issuer) jwtguard.Issuer {
	is.Keys = jwtguard.StaticKeys(testKeys().rsa.Public())
	return is
}

// multiIssuer is a verifier that trusts several providers at once, the
// situation in which a provider-specific policy must look at the entry.
func multiIssuer(t *testing.T) *jwtguard.Verifier {
	t.Helper()
	v, err := jwtguard.New(
		jwtguard.Trust(
			withTestKey(profile.GitHubActions(audTest)),
			withTestKey(jwtguard.Issuer{ID: ghes, Audiences: []string{audTest}, Provider: profile.ProviderGitHubActions}),
			withTestKey(jwtguard.Issuer{ID: handMade, Audiences: []string{audTest}}),
			withTestKey(profile.Auth0(auth0Dom, audTest)),
			withTestKey(profile.Kubernetes(clusterA, audTest)),
			withTestKey(profile.Kubernetes(clusterB, audTest)),
			withTestKey(profile.SPIFFE(spiffeTD, "https://spire.acme.example/bundle", audTest)),
			withTestKey(profile.Google(audTest)),
		),
		jwtguard.WithAlgorithms("RS256"),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// mint signs claims (plus aud and exp) with the test key and verifies the
// token with v.
func mint(t *testing.T, v *jwtguard.Verifier, claims map[string]any) *jwtguard.Claims {
	t.Helper()
	c := maps.Clone(claims)
	c["aud"], c["exp"], c["iat"] = audTest, time.Now().Add(time.Hour).Unix(), time.Now().Unix()
	tok, err := providertest.Sign(map[string]any{"alg": "RS256", "typ": "JWT"}, c, testKeys().rsa)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify (iss %v): %v", claims["iss"], err)
	}
	return got
}

// with returns a copy of base with iss set (deleted when ""), and the
// kubernetes.io claim the Kubernetes entries require.
func with(base map[string]any, iss string) map[string]any {
	c := maps.Clone(base)
	switch iss {
	case "":
		delete(c, "iss")
		return c
	case clusterA, clusterB:
		if _, ok := c["kubernetes.io"]; !ok {
			c["kubernetes.io"] = map[string]any{"namespace": "ci", "serviceaccount": map[string]any{"name": "runner"}}
		}
	}
	c["iss"] = iss
	return c
}

// TestProviderPolicies (issue 16 item 4): every provider-specific policy
// passes only tokens accepted by an entry of its provider. Another trusted
// issuer's token carrying the same claims — a hand-made entry, another
// profile — is denied, with a description saying why; two entries of one
// provider (two clusters) both pass; a hand-made entry that names the
// provider opts in.
func TestProviderPolicies(t *testing.T) {
	v := multiIssuer(t)
	github := map[string]any{
		"sub": "repo:octo-org/octo-repo:ref:refs/heads/main", "repository": "octo-org/octo-repo",
		"repository_owner": "octo-org", "repository_owner_id": "65", "repository_id": "74",
		"ref": "refs/heads/main", "environment": "production",
	}
	k8s := map[string]any{
		"sub":           "system:serviceaccount:payments:orders-client",
		"kubernetes.io": map[string]any{"namespace": "payments", "serviceaccount": map[string]any{"name": "orders-client", "uid": "u"}},
	}
	svid := map[string]any{"sub": "spiffe://acme.example/ns/payments/sa/payments-worker"}
	google := map[string]any{"sub": saUniqueID, "azp": saUniqueID, "email": saEmail, "email_verified": true}
	auth0 := "https://" + auth0Dom + "/"

	for _, tc := range []struct {
		name    string
		policy  jwtguard.Policy
		claims  map[string]any
		allowed []string // issuers whose token passes ("" = no iss: SPIFFE)
		denied  []string // issuers whose identical token is denied
		from    string   // what the denial of denied[0] says about its entry
	}{
		{"GitHubOwnerID", profile.GitHubOwnerID("65"), github, []string{profile.GitHubActionsIssuer, ghes}, []string{handMade, auth0}, "an entry that names no provider"},
		{"GitHubRepositoryID", profile.GitHubRepositoryID("74"), github, []string{profile.GitHubActionsIssuer}, []string{auth0, handMade}, "an entry for auth0"},
		{"GitHubSubject", profile.GitHubSubject("repo:octo-org/*"), github, []string{profile.GitHubActionsIssuer, ghes}, []string{handMade, auth0, clusterA}, "names no provider"},
		{"GitHubRepository", profile.GitHubRepository("octo-org/*"), github, []string{profile.GitHubActionsIssuer}, []string{clusterA, handMade}, "an entry for kubernetes"},
		{"GitHubOwner", profile.GitHubOwner("octo-org"), github, []string{profile.GitHubActionsIssuer}, []string{handMade}, "names no provider"},
		{"GitHubRef", profile.GitHubRef("refs/heads/main"), github, []string{profile.GitHubActionsIssuer}, []string{handMade}, "names no provider"},
		{"GitHubEnvironment", profile.GitHubEnvironment("production"), github, []string{profile.GitHubActionsIssuer}, []string{auth0}, "an entry for auth0"},
		{"Namespace", profile.Namespace("payments"), k8s, []string{clusterA, clusterB}, []string{handMade, profile.GitHubActionsIssuer}, "names no provider"},
		{"ServiceAccount", profile.ServiceAccount("payments", "orders-client"), k8s, []string{clusterA, clusterB}, []string{auth0, handMade}, "an entry for auth0"},
		{"Namespace, one cluster pinned", jwtguard.AllOf(jwtguard.RequireIssuer(clusterA), profile.Namespace("payments")), k8s, []string{clusterA}, []string{clusterB}, "requires a token of issuer " + clusterA},
		{"SPIFFEID", profile.SPIFFEID("spiffe://acme.example/ns/payments/sa/*"), svid, []string{""}, []string{handMade, clusterA}, "names no provider"},
		{"GoogleServiceAccount", profile.GoogleServiceAccount(saEmail), google, []string{googleIss, "accounts.google.com"}, []string{handMade, auth0}, "names no provider"},
		{"GoogleServiceAccount by unique ID", profile.GoogleServiceAccount(saUniqueID), google, []string{googleIss}, []string{auth0}, "an entry for auth0"},
		{"RecentLogin stays neutral", profile.RecentLogin(0), map[string]any{"auth_time": time.Now().Unix() - 60}, []string{handMade, auth0, clusterB, profile.GitHubActionsIssuer}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, iss := range tc.allowed {
				c := mint(t, v, with(tc.claims, iss))
				if err := tc.policy(c); err != nil {
					t.Errorf("token of %q (provider %q) denied: %v", iss, c.Provider(), err)
				}
			}
			for i, iss := range tc.denied {
				c := mint(t, v, with(tc.claims, iss))
				err := tc.policy(c)
				if !errors.Is(err, jwtguard.ErrForbidden) {
					t.Errorf("token of %q (provider %q): got %v, want ErrForbidden", iss, c.Provider(), err)
					continue
				}
				if i == 0 && !strings.Contains(err.Error(), tc.from) {
					t.Errorf("token of %q: denial %q does not say %q", iss, err, tc.from)
				}
			}
		})
	}
}

// TestProviderNames: every constructor marks its entry with its provider,
// invalid configurations included.
func TestProviderNames(t *testing.T) {
	const tid = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
	for _, tc := range []struct {
		is   jwtguard.Issuer
		want string
	}{
		{profile.Keycloak("https://kc.example.com/realms/acme", "api"), profile.ProviderKeycloak},
		{profile.Keycloak("https://kc.example.com/realms/acme", ""), profile.ProviderKeycloak},
		{profile.Auth0(auth0Dom, "api"), profile.ProviderAuth0},
		{profile.Auth0(auth0Dom, ""), profile.ProviderAuth0},
		{profile.Okta("https://acme.okta.com/oauth2/default", "api"), profile.ProviderOkta},
		{profile.Okta("https://acme.okta.com", "api"), profile.ProviderOkta},
		{profile.EntraID(tid, "api"), profile.ProviderEntraID},
		{profile.EntraIDMultiTenant("api", tid), profile.ProviderEntraID},
		{profile.Cognito("eu-west-1", "eu-west-1_AbCdEf123", "c"), profile.ProviderCognito},
		{profile.CognitoIDTokens("eu-west-1", "eu-west-1_AbCdEf123", "c"), profile.ProviderCognito},
		{profile.Google("api"), profile.ProviderGoogle},
		{profile.Firebase("acme-prod"), profile.ProviderFirebase},
		{profile.Hydra("https://auth.acme.example/", "api"), profile.ProviderHydra},
		{profile.Zitadel("https://acme.zitadel.cloud", "1"), profile.ProviderZitadel},
		{profile.Dex("https://dex.acme.example", "web"), profile.ProviderDex},
		{profile.GitHubActions("api"), profile.ProviderGitHubActions},
		{profile.Kubernetes(clusterA, "api"), profile.ProviderKubernetes},
		{profile.SPIFFE(spiffeTD, "https://spire.acme.example/bundle", "api"), profile.ProviderSPIFFE},
	} {
		if tc.is.Provider != tc.want {
			t.Errorf("entry %q: Provider %q, want %q", tc.is.ID, tc.is.Provider, tc.want)
		}
	}
}
