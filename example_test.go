package jwtguard_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// exampleSecret is the HMAC secret of the examples. Real code loads it from
// a secret store; it must be at least 32 bytes for HS256.
var exampleSecret = []byte("example-secret-of-at-least-32-bytes!")

// exampleEdKey is a fixed Ed25519 key, so the examples' output never
// changes. Real public keys come from your identity provider.
var exampleEdKey = ed25519.NewKeyFromSeed([]byte("an example seed of 32 bytes.....")[:ed25519.SeedSize])

// exampleNow is the examples' fixed clock, so their output never changes.
var exampleNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// exampleToken signs claims (a JSON object; "exp" is added when absent)
// with alg: HS256 with exampleSecret, EdDSA with exampleEdKey. Real tokens
// come from your identity provider.
func exampleToken(alg string, claims map[string]any) string {
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = exampleNow.Add(time.Hour).Unix()
	}
	body, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc.EncodeToString(body)
	sig, err := jwtguardtest.Sign(alg, exampleEdKey, exampleSecret, []byte(input))
	if err != nil {
		panic(err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// exampleVerifier trusts one issuer with an HMAC secret.
func exampleVerifier() *jwtguard.Verifier {
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://auth.example.com", jwtguard.HMAC(exampleSecret)),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithClock(func() time.Time { return exampleNow }),
	)
	if err != nil {
		panic(err)
	}
	return v
}

// New refuses an incomplete or contradictory configuration, reports every
// problem at once and names the option that fixes each.
func ExampleNew() {
	_, err := jwtguard.New(
		jwtguard.WithIssuer("https://auth.example.com", jwtguard.Discovery()),
		jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithLeeway(time.Hour),
		jwtguard.WithRealm("orders"),
		jwtguard.WithRealm("billing"),
	)
	fmt.Println(err)
	// Output:
	// jwtguard: WithRealm: given more than once
	// jwtguard: WithLeeway: 1h0m0s is outside [0, 5m0s]
	// jwtguard: WithIssuer: issuer "https://auth.example.com": no audience: set its Audiences, or WithAudience(...) (or WithoutAudienceCheck() to accept any audience)
}

// The usual setup: one issuer whose keys are found through OpenID Connect
// discovery. New does not wait for the network; Ready does, and says why
// the keys are not there (use it in a readiness probe).
func ExampleWithIssuer() {
	idp, err := jwtguardtest.StartIssuer() // a test identity provider
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()

	v, err := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256"),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		log.Fatal(err)
	}

	c, err := v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"sub": "alice", "scope": "orders:read"}))
	fmt.Println(c.Subject, c.Scopes, err)
	// Output:
	// alice [orders:read] <nil>
}

// A shared HMAC secret (HS256) instead of an identity provider's keys.
func ExampleWithIssuer_hmac() {
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://auth.example.com", jwtguard.HMAC(exampleSecret)),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("HS256"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	fmt.Println("ready:", v.Ready(context.Background()) == nil)

	// A public key is never an HMAC secret.
	_, err = jwtguard.New(
		jwtguard.WithIssuer("https://auth.example.com", jwtguard.HMAC([]byte("-----BEGIN PUBLIC KEY-----\n..."))),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("HS256"),
	)
	fmt.Println(err != nil)
	// Output:
	// ready: true
	// true
}

// Several issuers, each with its own key source, audiences and claim
// mapping. Claim paths are dot-separated; a member name containing dots is
// written in brackets.
func ExampleTrust() {
	pub := exampleEdKey.Public()
	v, err := jwtguard.New(
		jwtguard.Trust(
			// A Keycloak-like issuer: public keys, roles from two paths
			// (merged), tenant from "org".
			jwtguard.Issuer{
				ID:   "https://kc.example.com/realms/acme",
				Keys: jwtguard.StaticKeys(pub), // or JWKS(url), Discovery()
				Claims: jwtguard.ClaimMap{
					Roles:  []string{"realm_access.roles", "resource_access.[orders.example.com].roles"},
					Tenant: "org",
				},
			},
			// A CI system signing with a shared secret: its own audience,
			// roles in a namespaced claim, Auth0-style permissions.
			jwtguard.Issuer{
				ID:        "https://ci.example.com",
				Keys:      jwtguard.HMAC(exampleSecret),
				Audiences: []string{"deployer"},
				Claims: jwtguard.ClaimMap{
					Roles:       []string{"[https://example.com/roles]"},
					Permissions: []string{"permissions"},
				},
			},
		),
		jwtguard.WithAudience("orders-api"), // for entries without Audiences
		jwtguard.WithAlgorithms("EdDSA", "HS256"),
		jwtguard.WithClock(func() time.Time { return exampleNow }),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()

	kc := exampleToken("EdDSA", map[string]any{
		"iss": "https://kc.example.com/realms/acme", "aud": "orders-api", "sub": "alice", "org": "acme",
		"realm_access":    map[string]any{"roles": []string{"user"}},
		"resource_access": map[string]any{"orders.example.com": map[string]any{"roles": []string{"orders-admin"}}},
	})
	c, err := v.Verify(ctx, kc)
	fmt.Println(c.Subject, c.Roles, c.Tenant, err)

	ci := exampleToken("HS256", map[string]any{
		"iss": "https://ci.example.com", "aud": "deployer", "sub": "pipeline-7",
		"https://example.com/roles": []string{"deployer"}, "permissions": []string{"deploy:prod"},
	})
	c, err = v.Verify(ctx, ci)
	fmt.Println(c.Subject, c.Roles, c.Permissions, err)

	// Each issuer's tokens verify only with its own keys and audiences.
	forged := exampleToken("HS256", map[string]any{"iss": "https://kc.example.com/realms/acme", "aud": "orders-api", "sub": "mallory"})
	_, err = v.Verify(ctx, forged)
	fmt.Println(errors.Is(err, jwtguard.ErrKeyNotFound))
	_, err = v.Verify(ctx, exampleToken("HS256", map[string]any{"iss": "https://ci.example.com", "aud": "orders-api", "sub": "pipeline-7"}))
	fmt.Println(errors.Is(err, jwtguard.ErrInvalidAudience))
	// Output:
	// alice [user orders-admin] acme <nil>
	// pipeline-7 [deployer] [deploy:prod] <nil>
	// true
	// true
}

func ExampleVerifier_Verify() {
	v := exampleVerifier()
	defer v.Close()

	tok := exampleToken("HS256", map[string]any{"iss": "https://auth.example.com", "aud": "https://api.example.com",
		"sub": "alice", "roles": []string{"admin"}, "scope": "orders:read orders:write"})
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Subject, c.Roles, c.Scopes, c.ExpiresAt.UTC().Format(time.RFC3339))

	// Every failure wraps a sentinel and carries its HTTP status.
	expired := exampleToken("HS256", map[string]any{"iss": "https://auth.example.com", "aud": "https://api.example.com",
		"sub": "alice", "exp": exampleNow.Add(-time.Hour).Unix()})
	_, err = v.Verify(context.Background(), expired)
	var e *jwtguard.Error
	if errors.As(err, &e) {
		fmt.Println(errors.Is(err, jwtguard.ErrTokenExpired), e.Status, e.Code, e.Description)
	}
	// Output:
	// alice [admin] [orders:read orders:write] 2026-01-01T13:00:00Z
	// true 401 invalid_token token is expired
}

func ExampleVerifier_Authenticate() {
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://auth.example.com", jwtguard.HMAC(exampleSecret)),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithClock(func() time.Time { return exampleNow }),
		// A browser app's cookie, or an API client's header: one of them.
		jwtguard.WithExtractor(jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie("__Host-token"))),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	tok := exampleToken("HS256", map[string]any{"iss": "https://auth.example.com", "aud": "https://api.example.com", "sub": "bob"})

	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	c, err := v.Authenticate(r)
	fmt.Println(c.Subject, err)

	// No credentials at all: 401 with a bare challenge.
	_, err = v.Authenticate(httptest.NewRequest("GET", "/orders", nil))
	fmt.Println(errors.Is(err, jwtguard.ErrNoToken), jwtguard.AsError(err).Status)

	// Two Authorization headers: 400 invalid_request.
	r = httptest.NewRequest("GET", "/orders", nil)
	r.Header.Add("Authorization", "Bearer "+tok)
	r.Header.Add("Authorization", "Bearer "+tok)
	_, err = v.Authenticate(r)
	fmt.Println(errors.Is(err, jwtguard.ErrInvalidRequest), jwtguard.AsError(err).Status)

	// A token in the header and in the cookie: 400 invalid_request too
	// (RFC 6750 §2: one method only).
	r = httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Cookie", "__Host-token="+tok)
	_, err = v.Authenticate(r)
	fmt.Println(errors.Is(err, jwtguard.ErrInvalidRequest), jwtguard.AsError(err).Description)
	// Output:
	// bob <nil>
	// true 401
	// true 400
	// true credentials sent more than one way
}

func ExampleRequireAnyRole() {
	admin := &jwtguard.Claims{Subject: "alice", Roles: []string{"admin"}}
	user := &jwtguard.Claims{Subject: "bob", Roles: []string{"user"}}
	policy := jwtguard.RequireAnyRole("admin", "ops")
	// All of several roles: AllOf(RequireAnyRole("admin"), RequireAnyRole("ops")).

	fmt.Println(jwtguard.Authorize(admin, policy))
	err := jwtguard.Authorize(user, policy)
	fmt.Println(err, jwtguard.AsError(err).Status)
	// Output:
	// <nil>
	// jwtguard: forbidden: requires role admin or ops 403
}

// Scopes are what the client was granted; permissions are what the user
// holds (Auth0 RBAC). They are kept apart: a scope never counts as a
// permission.
func ExampleRequireAllPermissions() {
	v, err := jwtguard.New(
		jwtguard.Trust(jwtguard.Issuer{
			ID:     "https://tenant.auth0.example.com/",
			Keys:   jwtguard.HMAC(exampleSecret),
			Claims: jwtguard.ClaimMap{Permissions: []string{"permissions"}},
		}),
		jwtguard.WithAudience("https://orders.example.com"),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithClock(func() time.Time { return exampleNow }),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	c, err := v.Verify(context.Background(), exampleToken("HS256", map[string]any{
		"iss": "https://tenant.auth0.example.com/", "aud": "https://orders.example.com", "sub": "carol",
		"scope": "orders:read", "permissions": []string{"orders:read", "orders:delete"},
	}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Scopes, c.Permissions)
	fmt.Println(jwtguard.Authorize(c, jwtguard.RequireAllPermissions("orders:delete")))
	fmt.Println(jwtguard.Authorize(c, jwtguard.RequireAllScopes("orders:delete")))
	fmt.Println(jwtguard.Authorize(c, jwtguard.RequireAllPermissions("orders:read", "orders:write")))
	// Both: the client was granted the scope and the user holds the permission.
	fmt.Println(jwtguard.Authorize(c, jwtguard.RequireAllScopes("orders:read"), jwtguard.RequireAllPermissions("orders:read")))
	// Output:
	// [orders:read] [orders:read orders:delete]
	// <nil>
	// jwtguard: forbidden: requires scope orders:delete
	// jwtguard: forbidden: requires permission orders:read and orders:write
	// <nil>
}

// RequireClaim compares by JSON type: true matches the boolean true only,
// a number matches a number; with no values, the claim must be present
// (not "", null, false or []).
func ExampleRequireClaim() {
	v := exampleVerifier()
	defer v.Close()
	c, err := v.Verify(context.Background(), exampleToken("HS256", map[string]any{
		"iss": "https://auth.example.com", "aud": "https://api.example.com", "sub": "dave",
		"email_verified": true, "acr_level": 2, "admin": false, "mfa": "true",
		"kubernetes.io": map[string]any{"namespace": "payments"},
	}))
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range []jwtguard.Policy{
		jwtguard.RequireClaim("email_verified", true),
		jwtguard.RequireClaim("mfa", true), // a string "true" is not true
		jwtguard.RequireClaim("acr_level", 2, 3),
		jwtguard.RequireClaim("admin"), // false is not present
		jwtguard.RequireClaim("[kubernetes.io].namespace", "payments"),
	} {
		fmt.Println(jwtguard.Authorize(c, p))
	}
	// Output:
	// <nil>
	// jwtguard: forbidden: requires claim mfa to be true
	// <nil>
	// jwtguard: forbidden: requires claim admin
	// <nil>
}

// Claims.Get reads any claim by path; Decode fills your own struct.
func ExampleClaims_Get() {
	v := exampleVerifier()
	defer v.Close()
	c, err := v.Verify(context.Background(), exampleToken("HS256", map[string]any{
		"iss": "https://auth.example.com", "aud": "https://api.example.com", "sub": "erin",
		"kubernetes.io": map[string]any{"namespace": "payments", "serviceaccount": map[string]any{"name": "api"}},
	}))
	if err != nil {
		log.Fatal(err)
	}
	ns, _ := c.Get("[kubernetes.io].namespace")
	sa, _ := c.Get("[kubernetes.io].serviceaccount.name")
	_, found := c.Get("kubernetes.io.namespace") // two members "kubernetes", "io": absent
	fmt.Println(ns, sa, found)

	var custom struct {
		K8s struct {
			Namespace string `json:"namespace"`
		} `json:"kubernetes.io"`
	}
	if err := c.Decode(&custom); err != nil {
		log.Fatal(err)
	}
	fmt.Println(custom.K8s.Namespace)
	// Output:
	// payments api false
	// payments
}

func ExampleWriteError() {
	rec := httptest.NewRecorder()
	jwtguard.WriteError(rec, "orders", jwtguard.Authorize(&jwtguard.Claims{}, jwtguard.RequireAllScopes("orders:write")))
	fmt.Println(rec.Code)
	fmt.Println(rec.Header().Get("WWW-Authenticate"))
	fmt.Print(rec.Body.String())
	// Output:
	// 403
	// Bearer realm="orders", error="insufficient_scope", error_description="requires scope orders:write", scope="orders:write"
	// {"error":"insufficient_scope","error_description":"requires scope orders:write","scope":"orders:write"}
}
