package nethttp_test

import (
	"net/http"
	"testing"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

func TestConformance(t *testing.T) {
	t.Parallel()
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

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunErrorHandlerTests(t, func(t *testing.T, v *jwtguard.Verifier, record func(error)) http.Handler {
		final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := jwtguard.FromContext(r.Context())
			jwtguardtest.WriteClaims(w, r, c)
		})
		mux := http.NewServeMux()
		mux.Handle(jwtguardtest.RouteProtected, final)
		mux.Handle("GET "+jwtguardtest.RouteAdmin, nethttp.Require(jwtguard.RequireAnyRole("admin"))(final))
		mux.Handle("GET "+jwtguardtest.RouteTenant, nethttp.RequireTenantPathValue("tenant")(final))
		return nethttp.Middleware(v, nethttp.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
			record(err)
			w.WriteHeader(http.StatusTeapot)
		}))(mux)
	})
}
