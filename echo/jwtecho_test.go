package jwtecho_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwtguard/jwtguard"
	jwtecho "github.com/jwtguard/jwtguard/echo"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/labstack/echo/v4"
)

// methods are the methods the conformance routes serve.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodOptions}

// finalHandler is the last handler of the conformance routes.
func finalHandler(routes jwtguardtest.Routes) echo.HandlerFunc {
	return func(c echo.Context) error {
		cl, _ := jwtecho.FromContext(c)
		routes.WriteClaims(c.Response(), c.Request(), cl)
		return nil
	}
}

// tenantRoute is the conformance suite's tenant route in Echo's syntax.
const tenantRoute = "/tenants/:tenant/orders"

func TestConformance(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunMiddlewareTests(t, func(t *testing.T, v *jwtguard.Verifier, routes jwtguardtest.Routes) http.Handler {
		final := finalHandler(routes)
		e := echo.New()
		g := e.Group("", jwtecho.Middleware(v))
		g.Match(methods, routes.Protected, final)
		g.Match(methods, routes.Admin, final, jwtecho.Require(routes.AdminPolicy))
		g.Match(methods, routes.Scoped, final, jwtecho.Require(routes.ScopedPolicy))
		g.Match(methods, tenantRoute, final, jwtecho.RequireTenantParam(routes.TenantParam))
		e.Match(methods, routes.Optional, final, jwtecho.Middleware(v, jwtecho.WithCredentialsOptional()))
		e.Match(methods, routes.Skipped, final, jwtecho.Middleware(v, jwtecho.WithSkipper(func(c echo.Context) bool {
			return c.Path() == routes.Skipped
		})))
		e.Match(methods, routes.Preflight, final, jwtecho.Middleware(v, jwtecho.WithPreflight(routes.PreflightHandler)))
		return e
	})
}

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunErrorHandlerTests(t, func(t *testing.T, v *jwtguard.Verifier, routes jwtguardtest.Routes, record func(error)) http.Handler {
		final := finalHandler(routes)
		e := echo.New()
		g := e.Group("", jwtecho.Middleware(v, jwtecho.WithErrorHandler(func(c echo.Context, err error) error {
			record(err)
			return c.String(http.StatusTeapot, "custom")
		})))
		g.Match(methods, routes.Protected, final)
		g.GET(routes.Admin, final, jwtecho.Require(routes.AdminPolicy))
		g.GET(tenantRoute, final, jwtecho.RequireTenantParam(routes.TenantParam))
		return e
	})
}

func TestRequireWithoutMiddleware(t *testing.T) {
	t.Parallel()
	e := echo.New()
	e.GET("/admin", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, jwtecho.Require(jwtguard.RequireAnyRole("admin")))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("got %d %q, want 401 with a bare Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}
