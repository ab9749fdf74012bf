package jwtguardtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
	"github.com/jwtguard/jwtguard/profile"
)

// ordersAPI is the service under test: GET /orders for any caller with a
// valid token, GET /admin for admins.
func ordersAPI(v *jwtguard.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", c.Subject)
	})
	mux.Handle("GET /admin", nethttp.Require(jwtguard.RequireAnyRole("admin"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "admin area")
	})))
	return nethttp.Middleware(v)(mux)
}

// get sends GET path with token to h and prints the status and the body of
// a 200.
func get(h http.Handler, path, token string) {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		fmt.Printf("GET %s -> %d %s\n", path, rec.Code, rec.Body)
		return
	}
	fmt.Printf("GET %s -> %d\n", path, rec.Code)
}

// An identity provider for the test, tokens with the claims each case
// needs, and the handler under test behind a verifier that trusts the
// provider.
func Example() {
	// In a test: iss := jwtguardtest.NewIssuer(t) and v := iss.Verifier(t).
	iss, err := jwtguardtest.StartIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	v, err := jwtguard.New(jwtguard.Trust(iss.Entry()), jwtguard.WithAlgorithms(jwtguardtest.Algorithms...))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		panic(err)
	}

	h := ordersAPI(v)
	get(h, "/orders", iss.Mint(jwtguardtest.Claims{"sub": "alice"}))
	get(h, "/orders", iss.Mint(jwtguardtest.Claims{"sub": "carol"}, jwtguardtest.WithAlg("ES256")))
	get(h, "/admin", iss.Mint(jwtguardtest.Claims{"sub": "alice", "roles": []string{"admin"}}))
	get(h, "/admin", iss.Mint(jwtguardtest.Claims{"sub": "bob", "roles": []string{"user"}}))
	get(h, "/orders", "")
	// Output:
	// GET /orders -> 200 orders of alice
	// GET /orders -> 200 orders of carol
	// GET /admin -> 200 admin area
	// GET /admin -> 403
	// GET /orders -> 401
}

// An expired token is refused with 401; Verify's error matches
// jwtguard.ErrTokenExpired.
func ExampleIssuer_Expired() {
	iss, err := jwtguardtest.StartIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	v, err := jwtguard.New(jwtguard.Trust(iss.Entry()), jwtguard.WithAlgorithms(jwtguardtest.Algorithms...))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		panic(err)
	}

	get(ordersAPI(v), "/orders", iss.Expired())
	_, err = v.Verify(context.Background(), iss.Expired())
	fmt.Println(errors.Is(err, jwtguard.ErrTokenExpired))
	// Output:
	// GET /orders -> 401
	// true
}

// A token for another service is refused with 401; Verify's error matches
// jwtguard.ErrInvalidAudience.
func ExampleIssuer_WrongAudience() {
	iss, err := jwtguardtest.StartIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	v, err := jwtguard.New(jwtguard.Trust(iss.Entry()), jwtguard.WithAlgorithms(jwtguardtest.Algorithms...))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		panic(err)
	}

	get(ordersAPI(v), "/orders", iss.WrongAudience())
	_, err = v.Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"aud": "https://billing.example.test"}))
	fmt.Println(errors.Is(err, jwtguard.ErrInvalidAudience))
	// Output:
	// GET /orders -> 401
	// true
}

// The issuer stands in for a Keycloak realm: the service's configuration,
// profile.Keycloak, is tested as written, with only its key source's HTTP
// client changed. The issuer answers at the realm's real URLs over TLS and
// mints what Keycloak puts in an access token for the API.
func ExampleWithURL() {
	kc := profile.Keycloak("https://kc.example.com/realms/acme", "orders-api")

	// In a test: jwtguardtest.NewIssuer(t, ...).
	iss, err := jwtguardtest.StartIssuer(
		jwtguardtest.WithURL(kc.ID),
		jwtguardtest.WithDefaultClaims(jwtguardtest.Claims{"aud": "orders-api", "typ": "Bearer", "azp": "orders-web"}),
	)
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	kc.Keys = kc.Keys.WithHTTPClient(iss.Client()) // fetches https://kc.example.com/realms/acme/protocol/openid-connect/certs from iss

	v, err := jwtguard.New(jwtguard.Trust(kc), jwtguard.WithAlgorithms("RS256"))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		panic(err)
	}

	ctx := context.Background()
	c, err := v.Verify(ctx, iss.Mint(jwtguardtest.Claims{
		"sub":             "alice",
		"realm_access":    map[string]any{"roles": []string{"admin"}},
		"resource_access": map[string]any{"orders-api": map[string]any{"roles": []string{"orders-reader"}}},
	}))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Issuer, c.Subject, c.Roles, c.ClientID)

	// Keycloak's ID tokens say "typ": "ID": the profile refuses them.
	_, err = v.Verify(ctx, iss.Mint(jwtguardtest.Claims{"typ": "ID"}))
	fmt.Println(errors.Is(err, jwtguard.ErrInvalidTokenType))
	_, err = v.Verify(ctx, iss.Expired())
	fmt.Println(errors.Is(err, jwtguard.ErrTokenExpired))
	// Output:
	// https://kc.example.com/realms/acme alice [admin orders-reader] orders-web
	// true
	// true
}
