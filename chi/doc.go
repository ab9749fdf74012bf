// Package jwtchi protects chi (github.com/go-chi/chi/v5) routes with a
// [jwtguard.Verifier]. chi routes are plain http.Handlers, so the
// middleware is the net/http one ([nethttp.Middleware], re-exported here as
// [Middleware]); this package adds route-parameter helpers that read
// chi.URLParam. Every decision is made in the root package.
//
//	r := chi.NewRouter()
//	r.Use(jwtchi.Middleware(v))
//	r.Get("/me", me)
//	r.With(jwtchi.Require(jwtguard.RequireAnyRole("admin"))).Get("/admin", admin)
//	r.With(jwtchi.RequireTenantParam("tenant")).Get("/tenants/{tenant}/orders", orders)
//
// Handlers read the claims with [jwtguard.FromContext](r.Context()).
package jwtchi
