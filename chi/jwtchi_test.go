package jwtchi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jwtguard/jwtguard"
	jwtchi "github.com/jwtguard/jwtguard/chi"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// finalHandler is the last handler of the conformance routes.
func finalHandler(routes jwtguardtest.Routes) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		routes.WriteClaims(w, r, c)
	}
}

// ok answers 200.
func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

func TestConformance(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunMiddlewareTests(t, func(t *testing.T, v *jwtguard.Verifier, routes jwtguardtest.Routes) http.Handler {
		final := finalHandler(routes)
		r := chi.NewRouter()
		r.Group(func(r chi.Router) {
			r.Use(jwtchi.Middleware(v))
			r.HandleFunc(routes.Protected, final)
			r.With(jwtchi.Require(routes.AdminPolicy)).HandleFunc(routes.Admin, final)
			r.With(jwtchi.Require(routes.ScopedPolicy)).HandleFunc(routes.Scoped, final)
			r.With(jwtchi.RequireTenantParam(routes.TenantParam)).HandleFunc(routes.Tenant, final)
		})
		r.With(jwtchi.Middleware(v, jwtchi.WithCredentialsOptional())).HandleFunc(routes.Optional, final)
		r.With(jwtchi.Middleware(v, jwtchi.WithSkipper(func(r *http.Request) bool {
			return r.URL.Path == routes.Skipped
		}))).HandleFunc(routes.Skipped, final)
		r.With(jwtchi.Middleware(v, jwtchi.WithPreflight(routes.PreflightHandler))).HandleFunc(routes.Preflight, final)
		return r
	})
}

func TestRequireTenantParamInSubrouter(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	r := chi.NewRouter()
	r.Use(jwtchi.Middleware(v))
	r.Route("/tenants/{tenant}", func(r chi.Router) {
		r.Use(jwtchi.RequireTenantParam("tenant"))
		r.Get("/orders", ok)
		r.Get("/users/{id}", ok)
	})
	acme := iss.Mint(jwtguardtest.Claims{"tenant_id": "acme"})
	cases := []struct {
		path   string
		status int
	}{
		{"/tenants/acme/orders", http.StatusOK},
		{"/tenants/acme/users/7", http.StatusOK},
		{"/tenants/globex/orders", http.StatusForbidden},
		{"/tenants/globex/users/7", http.StatusForbidden},
		{"/tenants/ACME/orders", http.StatusForbidden},
	}
	for _, c := range cases {
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		req.Header.Set("Authorization", "Bearer "+acme)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.path, rec.Code, c.status)
		}
	}
}

func TestRequireTenantParamMissingParam(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	r := chi.NewRouter()
	r.Use(jwtchi.Middleware(v))
	// A typo in the parameter name must deny, not allow.
	r.With(jwtchi.RequireTenantParam("tenant")).Get("/t/{tennant}/orders", ok)
	req := httptest.NewRequest(http.MethodGet, "/t/acme/orders", nil)
	req.Header.Set("Authorization", "Bearer "+iss.Mint(jwtguardtest.Claims{"tenant_id": "acme"}))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("status %d, want 403", rec.Code)
	}
}

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunErrorHandlerTests(t, func(t *testing.T, v *jwtguard.Verifier, routes jwtguardtest.Routes, record func(error)) http.Handler {
		final := finalHandler(routes)
		r := chi.NewRouter()
		r.Use(jwtchi.Middleware(v, jwtchi.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
			record(err)
			w.WriteHeader(http.StatusTeapot)
		})))
		r.HandleFunc(routes.Protected, final)
		r.With(jwtchi.Require(routes.AdminPolicy)).Get(routes.Admin, final)
		r.With(jwtchi.RequireTenantParam(routes.TenantParam)).Get(routes.Tenant, final)
		return r
	})
}
