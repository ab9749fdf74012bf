package jwtgin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwtguard/jwtguard"
	jwtgin "github.com/jwtguard/jwtguard/gin"
	"github.com/jwtguard/jwtguard/jwtguardtest"
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

	r := gin.New()
	api := r.Group("/api", jwtgin.Middleware(v))
	api.GET("/me", func(c *gin.Context) {
		claims, _ := jwtgin.FromContext(c)
		c.String(http.StatusOK, "hello "+claims.Subject)
	})
	api.GET("/admin", jwtgin.Require(jwtguard.RequireAnyRole("admin")), func(c *gin.Context) {
		c.String(http.StatusOK, "welcome, admin")
	})

	for _, path := range []string{"/api/me", "/api/admin"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+idp.Mint(jwtguardtest.Claims{"sub": "alice"}))
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code, rec.Body.String())
	}
	// Output:
	// /api/me 200 hello alice
	// /api/admin 403 {"error":"insufficient_scope","error_description":"requires role admin"}
}

func ExampleRequireTenantParam() {
	r := gin.New()
	// The :tenant route parameter must equal the token's tenant claim
	// (tenant_id by default; an issuer entry's Claims.Tenant names another).
	r.GET("/tenants/:tenant/orders", jwtgin.RequireTenantParam("tenant"), func(c *gin.Context) {
		c.String(http.StatusOK, "orders of "+c.Param("tenant"))
	})
}
