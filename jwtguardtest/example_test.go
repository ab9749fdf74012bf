package jwtguardtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

// A test identity provider: a verifier configured exactly as in production
// (discovery, audience, algorithms) trusts it, and the test mints the tokens
// it needs, good and bad.
func ExampleIssuer() {
	idp, err := jwtguardtest.StartIssuer() // in a test: jwtguardtest.NewIssuer(t)
	if err != nil {
		panic(err)
	}
	defer idp.Close()

	v, err := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "ES256"),
	)
	if err != nil {
		panic(err)
	}
	defer v.Close()
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		panic(err)
	}

	ctx := context.Background()
	c, err := v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"sub": "alice", "roles": []string{"admin"}}))
	fmt.Println(c.Subject, c.Roles, err)

	_, err = v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"sub": "bob"}, jwtguardtest.WithAlg("ES256")))
	fmt.Println("ES256:", err)

	_, err = v.Verify(ctx, idp.Expired())
	fmt.Println("expired:", errors.Is(err, jwtguard.ErrTokenExpired))

	_, err = v.Verify(ctx, idp.TamperedSignature())
	fmt.Println("tampered:", errors.Is(err, jwtguard.ErrInvalidSignature))
	// Output:
	// alice [admin] <nil>
	// ES256: <nil>
	// expired: true
	// tampered: true
}

// An adapter proves it behaves like every other one by running the
// conformance suite from its tests: the suite builds a verifier for each case
// and sends real requests through the handler the adapter builds around it
// (every route of the suite: protected, admin, scoped, tenant, optional
// credentials, skipped). This is the net/http adapter's own test.
func ExampleRunMiddlewareTests() {
	// In the adapter's _test.go file:
	testConformance := func(t *testing.T) {
		jwtguardtest.RunMiddlewareTests(t, func(t *testing.T, v *jwtguard.Verifier) http.Handler {
			final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, _ := jwtguard.FromContext(r.Context())
				jwtguardtest.WriteClaims(w, r, c)
			})
			protected := http.NewServeMux()
			protected.Handle(jwtguardtest.RouteProtected, final)
			protected.Handle(jwtguardtest.RouteAdmin, nethttp.Require(jwtguard.RequireAnyRole("admin"))(final))
			protected.Handle(jwtguardtest.RouteScoped, nethttp.Require(jwtguard.RequireAllScopes(jwtguardtest.ScopeRead))(final))
			protected.Handle(jwtguardtest.RouteTenant, nethttp.RequireTenantPathValue("tenant")(final))
			mux := http.NewServeMux()
			mux.Handle("/", nethttp.Middleware(v)(protected))
			mux.Handle(jwtguardtest.RouteOptional, nethttp.Middleware(v, nethttp.WithCredentialsOptional())(final))
			mux.Handle(jwtguardtest.RouteSkipped, nethttp.Middleware(v, nethttp.WithSkipper(func(r *http.Request) bool {
				return r.URL.Path == jwtguardtest.RouteSkipped
			}))(final))
			return mux
		})
	}
	_ = testConformance // func TestConformance(t *testing.T) { ... }
}
