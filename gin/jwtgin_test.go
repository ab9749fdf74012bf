package jwtgin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jwtguard/jwtguard"
	jwtgin "github.com/jwtguard/jwtguard/gin"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

func init() { gin.SetMode(gin.TestMode) }

// methods are the methods the conformance routes serve.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodOptions}

// finalHandler is the last handler of the conformance routes.
func finalHandler(routes jwtguardtest.Routes) gin.HandlerFunc {
	return func(c *gin.Context) {
		cl, _ := jwtgin.FromContext(c)
		routes.WriteClaims(c.Writer, c.Request, cl)
	}
}

// tenantRoute is the conformance suite's tenant route in Gin's syntax.
const tenantRoute = "/tenants/:tenant/orders"

func TestConformance(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunMiddlewareTests(t, func(t *testing.T, v *jwtguard.Verifier, routes jwtguardtest.Routes) http.Handler {
		final := finalHandler(routes)
		r := gin.New()
		g := r.Group("", jwtgin.Middleware(v))
		g.Match(methods, routes.Protected, final)
		g.Match(methods, routes.Admin, jwtgin.Require(routes.AdminPolicy), final)
		g.Match(methods, routes.Scoped, jwtgin.Require(routes.ScopedPolicy), final)
		g.Match(methods, tenantRoute, jwtgin.RequireTenantParam(routes.TenantParam), final)
		r.Match(methods, routes.Optional, jwtgin.Middleware(v, jwtgin.WithCredentialsOptional()), final)
		r.Match(methods, routes.Skipped, jwtgin.Middleware(v, jwtgin.WithSkipper(func(c *gin.Context) bool {
			return c.FullPath() == routes.Skipped
		})), final)
		r.Match(methods, routes.Preflight, jwtgin.Middleware(v, jwtgin.WithPreflight(routes.PreflightHandler)), final)
		return r
	})
}

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunErrorHandlerTests(t, func(t *testing.T, v *jwtguard.Verifier, routes jwtguardtest.Routes, record func(error)) http.Handler {
		final := finalHandler(routes)
		r := gin.New()
		g := r.Group("", jwtgin.Middleware(v, jwtgin.WithErrorHandler(func(c *gin.Context, err error) {
			record(err)
			c.String(http.StatusTeapot, "custom")
		})))
		g.Match(methods, routes.Protected, final)
		g.GET(routes.Admin, jwtgin.Require(routes.AdminPolicy), final)
		g.GET(tenantRoute, jwtgin.RequireTenantParam(routes.TenantParam), final)
		return r
	})
}

func TestRequireWithoutMiddleware(t *testing.T) {
	t.Parallel()
	r := gin.New()
	r.GET("/admin", jwtgin.Require(jwtguard.RequireAnyRole("admin")), func(c *gin.Context) { c.Status(http.StatusOK) })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("got %d %q, want 401 with a bare Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}
