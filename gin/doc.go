// Package jwtgin protects Gin (github.com/gin-gonic/gin) routes with a
// [jwtguard.Verifier]. It only translates between Gin and the root package:
// authentication is [jwtguard.Verifier.Authenticate], policies are
// [jwtguard.Authorize], and error responses are [jwtguard.WriteError]
// followed by c.Abort(), so a Gin service answers exactly like a net/http,
// chi or Echo one (the shared conformance suite in jwtguardtest proves it).
//
//	r := gin.New()
//	api := r.Group("/api", jwtgin.Middleware(v))
//	api.GET("/me", me)
//	api.GET("/admin", jwtgin.Require(jwtguard.RequireAnyRole("admin")), admin)
//	api.GET("/tenants/:tenant/orders", jwtgin.RequireTenantParam("tenant"), orders)
//
// Handlers read the claims with [FromContext], or with
// [jwtguard.FromContext] on c.Request.Context().
package jwtgin
