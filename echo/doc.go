// Package jwtecho protects Echo (github.com/labstack/echo/v4) routes with a
// [jwtguard.Verifier]. It only translates between Echo and the root package:
// authentication is [jwtguard.Verifier.Authenticate], policies are
// [jwtguard.Authorize], and error responses are [jwtguard.WriteError], so an
// Echo service answers exactly like a net/http, chi or Gin one (the shared
// conformance suite in jwtguardtest proves it).
//
//	e := echo.New()
//	api := e.Group("/api", jwtecho.Middleware(v))
//	api.GET("/me", me)
//	api.GET("/admin", admin, jwtecho.Require(jwtguard.RequireAnyRole("admin")))
//	api.GET("/tenants/:tenant/orders", orders, jwtecho.RequireTenantParam("tenant"))
//
// Handlers read the claims with [FromContext], or with
// [jwtguard.FromContext] on c.Request().Context().
package jwtecho
