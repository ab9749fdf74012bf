package jwtecho_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jwtguard/jwtguard"
	jwtecho "github.com/jwtguard/jwtguard/echo"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/labstack/echo/v4"
)

func ExampleMiddleware() {
	idp, _ := jwtguardtest.StartIssuer() // your identity provider in real life
	defer idp.Close()
	v, _ := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "ES256"),
	)
	defer v.Close()
	_ = jwtguardtest.ReadyWithin(v, 10*time.Second)

	e := echo.New()
	api := e.Group("/api", jwtecho.Middleware(v))
	api.GET("/me", func(c echo.Context) error {
		claims, _ := jwtecho.FromContext(c)
		return c.String(http.StatusOK, "hello "+claims.Subject)
	})
	api.GET("/admin", func(c echo.Context) error {
		return c.String(http.StatusOK, "welcome, admin")
	}, jwtecho.Require(jwtguard.RequireAnyRole("admin")))

	for _, path := range []string{"/api/me", "/api/admin"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+idp.Mint(jwtguardtest.Claims{"sub": "alice"}))
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code, rec.Body.String())
	}
	// Output:
	// /api/me 200 hello alice
	// /api/admin 403 {"error":"insufficient_scope","error_description":"requires role admin"}
}

func ExampleRequireTenantParam() {
	e := echo.New()
	// The :tenant route parameter must equal the token's tenant claim
	// (tenant_id by default; an issuer entry's Claims.Tenant names another).
	e.GET("/tenants/:tenant/orders", func(c echo.Context) error {
		return c.String(http.StatusOK, "orders of "+c.Param("tenant"))
	}, jwtecho.RequireTenantParam("tenant"))
}
