package jwtchi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jwtguard/jwtguard"
	jwtchi "github.com/jwtguard/jwtguard/chi"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

func ExampleRequireTenantParam() {
	idp, _ := jwtguardtest.StartIssuer() // your identity provider in real life
	defer idp.Close()
	v, _ := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "ES256"),
	)
	defer v.Close()
	_ = jwtguardtest.ReadyWithin(v, 10*time.Second)

	r := chi.NewRouter()
	r.Use(jwtchi.Middleware(v))
	r.With(jwtchi.RequireTenantParam("tenant")).Get("/tenants/{tenant}/orders", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtguard.FromContext(r.Context())
		fmt.Fprintf(w, "orders of %s for %s", chi.URLParam(r, "tenant"), claims.Subject)
	})

	token := idp.Mint(jwtguardtest.Claims{"sub": "alice", "tenant_id": "acme"})
	for _, path := range []string{"/tenants/acme/orders", "/tenants/globex/orders"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code, rec.Body.String())
	}
	// Output:
	// /tenants/acme/orders 200 orders of acme for alice
	// /tenants/globex/orders 403 {"error":"insufficient_scope","error_description":"token is not valid for this tenant"}
}

func ExampleRequire() {
	r := chi.NewRouter()
	r.Group(func(r chi.Router) {
		r.Use(jwtchi.Require(jwtguard.RequireAnyRole("admin"), jwtguard.RequireAllScopes("admin:write")))
		r.Post("/admin/users", func(w http.ResponseWriter, r *http.Request) {})
	})
}
