package profile_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/profile"
)

// claimsOf verifies claims (as JSON) through a static HMAC issuer entry
// of provider and returns the verified claims, so policies see what a
// verifier gives them.
func claimsOf(t *testing.T, provider string, claims map[string]any) *jwtguard.Claims {
	t.Helper()
	secret := []byte("0123456789abcdef0123456789abcdef")
	claims["iss"], claims["aud"] = "https://issuer.test", "api"
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = time.Now().Add(time.Hour).Unix()
	}
	v, err := jwtguard.New(jwtguard.Trust(jwtguard.Issuer{ID: "https://issuer.test", Keys: jwtguard.HMAC(secret), Provider: provider}),
		jwtguard.WithAudience("api"), jwtguard.WithAlgorithms("HS256"))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok := hs256(t, secret, claims)
	c, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func allowed(p jwtguard.Policy, c *jwtguard.Claims) bool {
	err := p(c)
	if err != nil && !errors.Is(err, jwtguard.ErrForbidden) {
		panic("policy error is not ErrForbidden: " + err.Error())
	}
	return err == nil
}

func TestGitHubSubject(t *testing.T) {
	for _, tc := range []struct {
		pattern, sub string
		ok           bool
	}{
		{"repo:octo-org/*", "repo:octo-org/octo-repo:ref:refs/heads/main", true},
		{"repo:octo-org/*", "repo:octo-org/octo-repo:environment:prod", true},
		{"repo:octo-org/*", "repo:octo-org/octo-repo:pull_request", true},
		{"repo:octo-org/*", "repo:octo-org-evil/octo-repo:ref:refs/heads/main", false},
		{"repo:octo-org/*", "repo:octo-org.evil/x:ref:refs/heads/main", false},
		{"repo:octo-org/*", "repo:OCTO-ORG/x:ref:refs/heads/main", false},
		{"repo:octo-org/*", "repo:evil/octo-org/x", false},
		{"repo:octo-org/*", "xrepo:octo-org/x", false},
		{"repo:octo-org/octo-repo:ref:refs/heads/main", "repo:octo-org/octo-repo:ref:refs/heads/main", true},
		{"repo:octo-org/octo-repo:ref:refs/heads/main", "repo:octo-org/octo-repo:ref:refs/heads/main2", false},
		{"repo:octo-org/*:ref:refs/heads/main", "repo:octo-org/a:ref:refs/heads/main", true},
		{"repo:octo-org/*:ref:refs/heads/main", "repo:octo-org/a:ref:refs/heads/feature", false},
		{"repo:octo-org/*:environment:prod", "repo:octo-org/a/b:environment:prod", true}, // '*' crosses '/'
		{"repo:octo-org/*:environment:prod", "repo:octo-org/a:environment:prod:x", false},
		{"repo:octo-org@65/*", "repo:octo-org@65/octo-repo@74:ref:refs/heads/main", true},
		{"repo:octo-org@65/*", "repo:octo-org@66/octo-repo@74:ref:refs/heads/main", false},
	} {
		c := claimsOf(t, profile.ProviderGitHubActions, map[string]any{"sub": tc.sub})
		if got := allowed(profile.GitHubSubject(tc.pattern), c); got != tc.ok {
			t.Errorf("GitHubSubject(%q) on %q = %v, want %v", tc.pattern, tc.sub, got, tc.ok)
		}
	}
	// Patterns whose owner part is not literal refuse everything.
	c := claimsOf(t, profile.ProviderGitHubActions, map[string]any{"sub": "repo:octo-org/a:ref:refs/heads/main"})
	for _, bad := range [][]string{{"repo:octo-*/*"}, {"*"}, {"repo:octo-org"}, {}, {"repo:octo-org/*", "*/x"}} {
		err := profile.GitHubSubject(bad...)(c)
		if err == nil || !strings.Contains(err.Error(), "misconfigured") {
			t.Errorf("GitHubSubject(%q): got %v, want a misconfiguration denial", bad, err)
		}
	}
}

func TestGitHubClaims(t *testing.T) {
	c := claimsOf(t, profile.ProviderGitHubActions, map[string]any{
		"sub": "repo:octo-org/octo-repo:environment:production", "repository": "octo-org/octo-repo",
		"repository_owner": "octo-org", "repository_owner_id": "65", "repository_id": "74",
		"ref": "refs/heads/main", "environment": "production",
	})
	for _, tc := range []struct {
		name string
		p    jwtguard.Policy
		ok   bool
	}{
		{"owner ID", profile.GitHubOwnerID("65"), true},
		{"other owner ID", profile.GitHubOwnerID("66", "650"), false},
		{"repository ID", profile.GitHubRepositoryID("1", "74"), true},
		{"other repository ID", profile.GitHubRepositoryID("7"), false},
		{"owner", profile.GitHubOwner("octo-org"), true},
		{"owner prefix", profile.GitHubOwner("octo"), false},
		{"repository pattern", profile.GitHubRepository("octo-org/*"), true},
		{"repository exact", profile.GitHubRepository("octo-org/octo-repo"), true},
		{"repository lookalike", profile.GitHubRepository("octo/*"), false},
		{"ref", profile.GitHubRef("refs/heads/main"), true},
		{"ref pattern", profile.GitHubRef("refs/heads/*"), true},
		{"other ref", profile.GitHubRef("refs/tags/v*"), false},
		{"environment", profile.GitHubEnvironment("production"), true},
		{"other environment", profile.GitHubEnvironment("staging"), false},
		{"empty ID refused", profile.GitHubOwnerID(""), false},
		{"no ID refused", profile.GitHubOwnerID(), false},
	} {
		if got := allowed(tc.p, c); got != tc.ok {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.ok)
		}
	}
	// A number where GitHub sends a string does not match.
	n := claimsOf(t, profile.ProviderGitHubActions, map[string]any{"repository_owner_id": 65})
	if allowed(profile.GitHubOwnerID("65"), n) {
		t.Error("numeric repository_owner_id matched a string ID")
	}
}

func TestKubernetesPolicies(t *testing.T) {
	sa := func(sub, ns, name string) *jwtguard.Claims {
		return claimsOf(t, profile.ProviderKubernetes, map[string]any{"sub": sub, "kubernetes.io": map[string]any{
			"namespace": ns, "serviceaccount": map[string]any{"name": name, "uid": "u"}}})
	}
	good := sa("system:serviceaccount:payments:orders-client", "payments", "orders-client")
	for _, tc := range []struct {
		name string
		p    jwtguard.Policy
		c    *jwtguard.Claims
		ok   bool
	}{
		{"namespace", profile.Namespace("payments"), good, true},
		{"other namespace", profile.Namespace("default"), good, false},
		{"namespace prefix", profile.Namespace("pay"), good, false},
		{"service account", profile.ServiceAccount("payments", "orders-client"), good, true},
		{"other service account", profile.ServiceAccount("payments", "default"), good, false},
		{"sub and claim disagree on namespace", profile.Namespace("payments"), sa("system:serviceaccount:payments:x", "default", "x"), false},
		{"sub and claim disagree on name", profile.ServiceAccount("payments", "x"), sa("system:serviceaccount:payments:x", "payments", "y"), false},
		{"no kubernetes.io claim", profile.Namespace("payments"), claimsOf(t, profile.ProviderKubernetes, map[string]any{"sub": "system:serviceaccount:payments:x"}), false},
		{"misconfigured", profile.Namespace(""), good, false},
	} {
		if got := allowed(tc.p, tc.c); got != tc.ok {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestSPIFFEID(t *testing.T) {
	for _, tc := range []struct {
		pattern, sub string
		ok           bool
	}{
		{"spiffe://acme.example/ns/payments/sa/payments-worker", "spiffe://acme.example/ns/payments/sa/payments-worker", true},
		{"spiffe://acme.example/ns/payments/sa/*", "spiffe://acme.example/ns/payments/sa/payments-worker", true},
		{"spiffe://acme.example/ns/payments/sa/*", "spiffe://acme.example/ns/payments/sa/a/b", false}, // '*' stays in one segment
		{"spiffe://acme.example/ns/*/sa/orders", "spiffe://acme.example/ns/x/sa/orders", true},
		{"spiffe://acme.example/ns/*/sa/orders", "spiffe://acme.example/ns/x/y/sa/orders", false},
		{"spiffe://acme.example/*", "spiffe://acme.example.evil.example/x", false},
		{"spiffe://acme.example/*", "spiffe://evil.example/x", false},
		{"spiffe://acme.example/ns/*", "spiffe://acme.example/ns/..", false}, // not a SPIFFE ID
		{"spiffe://acme.example/ns/*", "spiffe://acme.example/ns/a?b", false},
		{"spiffe://acme.example/ns/*", "spiffe://acme.example/ns/", false},
	} {
		c := claimsOf(t, profile.ProviderSPIFFE, map[string]any{"sub": tc.sub})
		if got := allowed(profile.SPIFFEID(tc.pattern), c); got != tc.ok {
			t.Errorf("SPIFFEID(%q) on %q = %v, want %v", tc.pattern, tc.sub, got, tc.ok)
		}
	}
	c := claimsOf(t, profile.ProviderSPIFFE, map[string]any{"sub": "spiffe://acme.example/a"})
	for _, bad := range []string{"spiffe://*/a", "acme.example/a", "spiffe://acme.example"} {
		if err := profile.SPIFFEID(bad)(c); err == nil || !strings.Contains(err.Error(), "misconfigured") {
			t.Errorf("SPIFFEID(%q): got %v, want a misconfiguration denial", bad, err)
		}
	}
}

func TestGoogleServiceAccount(t *testing.T) {
	const email, id = "orders-caller@acme-prod.iam.gserviceaccount.com", "113917316937261558431"
	sa := func(claims map[string]any) *jwtguard.Claims { return claimsOf(t, profile.ProviderGoogle, claims) }
	full := sa(map[string]any{"sub": id, "azp": id, "email": email, "email_verified": true})
	for _, tc := range []struct {
		name string
		p    jwtguard.Policy
		c    *jwtguard.Claims
		ok   bool
	}{
		{"email", profile.GoogleServiceAccount(email), full, true},
		{"unique ID", profile.GoogleServiceAccount(id), full, true},
		{"one of several", profile.GoogleServiceAccount("other@acme-prod.iam.gserviceaccount.com", email), full, true},
		{"other account", profile.GoogleServiceAccount("other@acme-prod.iam.gserviceaccount.com", "1"), full, false},
		{"unique ID without email (format=standard)", profile.GoogleServiceAccount(id), sa(map[string]any{"sub": id}), true},
		{"email not in the token", profile.GoogleServiceAccount(email), sa(map[string]any{"sub": id}), false},
		{"email unverified", profile.GoogleServiceAccount(email), sa(map[string]any{"sub": "1", "email": email, "email_verified": false}), false},
		{"email_verified as a string", profile.GoogleServiceAccount(email), sa(map[string]any{"sub": "1", "email": email, "email_verified": "true"}), false},
		{"email_verified missing", profile.GoogleServiceAccount(email), sa(map[string]any{"sub": "1", "email": email}), false},
		{"email in another case", profile.GoogleServiceAccount(email), sa(map[string]any{"sub": "1", "email": strings.ToUpper(email), "email_verified": true}), false},
		{"unique ID as email", profile.GoogleServiceAccount(id), sa(map[string]any{"sub": "1", "email": id, "email_verified": true}), false},
		{"email as sub", profile.GoogleServiceAccount(email), sa(map[string]any{"sub": email}), false},
		{"not a Google token", profile.GoogleServiceAccount(email), claimsOf(t, profile.ProviderFirebase, map[string]any{"sub": id, "email": email, "email_verified": true}), false},
	} {
		if got := allowed(tc.p, tc.c); got != tc.ok {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.ok)
		}
	}
	for _, bad := range [][]string{{}, {""}, {"orders-caller"}, {"@acme.example"}, {"a@"}, {"a@b@c"}, {"a b@c"}, {"12a"}, {email, "x"}} {
		if err := profile.GoogleServiceAccount(bad...)(full); err == nil || !strings.Contains(err.Error(), "misconfigured") {
			t.Errorf("GoogleServiceAccount(%q): got %v, want a misconfiguration denial", bad, err)
		}
	}
}

func TestRecentLogin(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		claims map[string]any
		maxAge time.Duration
		ok     bool
	}{
		{"past", map[string]any{"auth_time": now.Add(-time.Hour).Unix()}, 0, true},
		{"skew", map[string]any{"auth_time": now.Add(30 * time.Second).Unix()}, 0, true},
		{"future", map[string]any{"auth_time": now.Add(time.Hour).Unix()}, 0, false},
		{"missing", map[string]any{}, 0, false},
		{"string", map[string]any{"auth_time": "1"}, 0, false},
		{"recent enough", map[string]any{"auth_time": now.Add(-time.Minute).Unix()}, 5 * time.Minute, true},
		{"too old", map[string]any{"auth_time": now.Add(-time.Hour).Unix()}, 5 * time.Minute, false},
	} {
		if got := allowed(profile.RecentLogin(tc.maxAge), claimsOf(t, "", tc.claims)); got != tc.ok {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// hs256 signs claims with HS256 through the providertest signer's
// encoding conventions (compact JWS, JSON members sorted).
func hs256(t *testing.T, secret []byte, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return signHS256(secret, []byte(`{"alg":"HS256","typ":"JWT"}`), b)
}

func signHS256(secret, header, payload []byte) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}
