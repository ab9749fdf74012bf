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
	jwtguardtest.RunMiddlewareTests(t, func(t *testing.T, v *jwtguard.Verifier, routes jwtguardtest.Routes) http.Handler {
		final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := jwtguard.FromContext(r.Context())
			routes.WriteClaims(w, r, c)
		})
		protected := http.NewServeMux()
		protected.Handle(routes.Protected, final)
		protected.Handle(routes.Admin, nethttp.Require(routes.AdminPolicy)(final))
		protected.Handle(routes.Scoped, nethttp.Require(routes.ScopedPolicy)(final))
		protected.Handle(routes.Tenant, nethttp.RequireTenantPathValue(routes.TenantParam)(final))

		mux := http.NewServeMux()
		mux.Handle("/", nethttp.Middleware(v)(protected))
		mux.Handle(routes.Optional, nethttp.Middleware(v, nethttp.WithCredentialsOptional())(final))
		mux.Handle(routes.Skipped, nethttp.Middleware(v, nethttp.WithSkipper(func(r *http.Request) bool {
			return r.URL.Path == routes.Skipped
		}))(final))
		mux.Handle(routes.Preflight, nethttp.Middleware(v, nethttp.WithPreflight(routes.PreflightHandler))(final))
		return mux
	})
}

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunErrorHandlerTests(t, func(t *testing.T, v *jwtguard.Verifier, routes jwtguardtest.Routes, record func(error)) http.Handler {
		final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := jwtguard.FromContext(r.Context())
			routes.WriteClaims(w, r, c)
		})
		mux := http.NewServeMux()
		mux.Handle(routes.Protected, final)
		mux.Handle("GET "+routes.Admin, nethttp.Require(routes.AdminPolicy)(final))
		mux.Handle("GET "+routes.Tenant, nethttp.RequireTenantPathValue(routes.TenantParam)(final))
		return nethttp.Middleware(v, nethttp.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
			record(err)
			w.WriteHeader(http.StatusTeapot)
		}))(mux)
	})
}
