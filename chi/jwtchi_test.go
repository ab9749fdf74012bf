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

func final(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtguard.FromContext(r.Context())
	jwtguardtest.WriteClaims(w, r, c)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunMiddlewareTests(t, func(t *testing.T, v *jwtguard.Verifier) http.Handler {
		r := chi.NewRouter()
		r.Group(func(r chi.Router) {
			r.Use(jwtchi.Middleware(v))
			r.HandleFunc(jwtguardtest.RouteProtected, final)
			r.With(jwtchi.Require(jwtguard.RequireAnyRole("admin"))).HandleFunc(jwtguardtest.RouteAdmin, final)
			r.With(jwtchi.Require(jwtguard.RequireAllScopes(jwtguardtest.ScopeRead))).HandleFunc(jwtguardtest.RouteScoped, final)
			r.With(jwtchi.RequireTenantParam("tenant")).HandleFunc(jwtguardtest.RouteTenant, final)
		})
		r.With(jwtchi.Middleware(v, jwtchi.WithCredentialsOptional())).HandleFunc(jwtguardtest.RouteOptional, final)
		r.With(jwtchi.Middleware(v, jwtchi.WithSkipper(func(r *http.Request) bool {
			return r.URL.Path == jwtguardtest.RouteSkipped
		}))).HandleFunc(jwtguardtest.RouteSkipped, final)
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
		r.Get("/orders", final)
		r.Get("/users/{id}", final)
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
	r.With(jwtchi.RequireTenantParam("tenant")).Get("/t/{tennant}/orders", final)
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
	jwtguardtest.RunErrorHandlerTests(t, func(t *testing.T, v *jwtguard.Verifier, record func(error)) http.Handler {
		r := chi.NewRouter()
		r.Use(jwtchi.Middleware(v, jwtchi.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
			record(err)
			w.WriteHeader(http.StatusTeapot)
		})))
		r.HandleFunc(jwtguardtest.RouteProtected, final)
		r.With(jwtchi.Require(jwtguard.RequireAnyRole("admin"))).Get(jwtguardtest.RouteAdmin, final)
		r.With(jwtchi.RequireTenantParam("tenant")).Get(jwtguardtest.RouteTenant, final)
		return r
	})
}
