package jwtguard_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// exampleSecret is the HMAC secret of the examples. Real code loads it from
// a secret store; it must be at least 32 bytes for HS256.
var exampleSecret = []byte("example-secret-of-at-least-32-bytes!")

// exampleNow is the examples' fixed clock, so their output never changes.
var exampleNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// exampleToken signs claims (a JSON object) with HS256 and exampleSecret.
// Real tokens come from your identity provider.
func exampleToken(claims string) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(claims))
	sig, err := jwtguardtest.Sign("HS256", nil, exampleSecret, []byte(input))
	if err != nil {
		panic(err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// exampleVerifier is the verifier used by the examples.
func exampleVerifier() *jwtguard.Verifier {
	v, err := jwtguard.New(
		jwtguard.WithHMAC(exampleSecret),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithIssuer("https://auth.example.com"),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithClock(func() time.Time { return exampleNow }),
	)
	if err != nil {
		panic(err)
	}
	return v
}

// New refuses an incomplete configuration and names the option to add.
func ExampleNew() {
	_, err := jwtguard.New(
		jwtguard.WithJWKS("https://auth.example.com/.well-known/jwks.json"),
		jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithIssuer("https://auth.example.com"),
	)
	fmt.Println(err)
	// Output:
	// jwtguard: no audience configured: add WithAudience(...) (or WithoutAudienceCheck() to accept any audience)
}

// A minimal verifier with a static HMAC secret. With an identity provider,
// use WithDiscovery(issuerURL) or WithJWKS(url) instead of WithHMAC.
func ExampleNew_staticKey() {
	v, err := jwtguard.New(
		jwtguard.WithHMAC(exampleSecret),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithIssuer("https://auth.example.com"),
		jwtguard.WithAudience("https://api.example.com"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	fmt.Println("ready:", v.Ready(context.Background()) == nil)
	// Output:
	// ready: true
}

func ExampleVerifier_Verify() {
	v := exampleVerifier()
	defer v.Close()

	exp := exampleNow.Add(time.Hour).Unix()
	tok := exampleToken(fmt.Sprintf(`{"iss":"https://auth.example.com","aud":"https://api.example.com","sub":"alice","exp":%d,"roles":["admin"],"scope":"orders:read orders:write"}`, exp))
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Subject, c.Roles, c.Scopes, c.ExpiresAt.UTC().Format(time.RFC3339))

	// Every failure wraps a sentinel and carries its HTTP status.
	expired := exampleToken(fmt.Sprintf(`{"iss":"https://auth.example.com","aud":"https://api.example.com","sub":"alice","exp":%d}`, exampleNow.Add(-time.Hour).Unix()))
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
	v := exampleVerifier()
	defer v.Close()

	exp := exampleNow.Add(time.Hour).Unix()
	tok := exampleToken(fmt.Sprintf(`{"iss":"https://auth.example.com","aud":"https://api.example.com","sub":"bob","exp":%d}`, exp))

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
	// Output:
	// bob <nil>
	// true 401
	// true 400
}

func ExampleRequireRole() {
	admin := &jwtguard.Claims{Subject: "alice", Roles: []string{"admin"}}
	user := &jwtguard.Claims{Subject: "bob", Roles: []string{"user"}}
	policy := jwtguard.RequireRole("admin", "ops") // any of

	fmt.Println(jwtguard.Authorize(admin, policy))
	err := jwtguard.Authorize(user, policy)
	fmt.Println(err, jwtguard.AsError(err).Status)
	// Output:
	// <nil>
	// jwtguard: forbidden: requires role admin or ops 403
}

func ExampleWriteError() {
	rec := httptest.NewRecorder()
	jwtguard.WriteError(rec, "orders", jwtguard.Authorize(&jwtguard.Claims{}, jwtguard.RequireScope("orders:write")))
	fmt.Println(rec.Code)
	fmt.Println(rec.Header().Get("WWW-Authenticate"))
	fmt.Print(rec.Body.String())
	// Output:
	// 403
	// Bearer realm="orders", error="insufficient_scope", error_description="requires scope orders:write", scope="orders:write"
	// {"error":"insufficient_scope","error_description":"requires scope orders:write","scope":"orders:write"}
}
