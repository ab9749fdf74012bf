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

var both = []string{http.MethodGet, http.MethodPost}

func final(c echo.Context) error {
	cl, _ := jwtecho.FromContext(c)
	jwtguardtest.WriteClaims(c.Response(), c.Request(), cl)
	return nil
}

func TestConformance(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunMiddlewareTests(t, func(t *testing.T, v *jwtguard.Verifier) http.Handler {
		e := echo.New()
		g := e.Group("", jwtecho.Middleware(v))
		g.Match(both, jwtguardtest.RouteProtected, final)
		g.Match(both, jwtguardtest.RouteAdmin, final, jwtecho.Require(jwtguard.RequireAnyRole("admin")))
		g.Match(both, jwtguardtest.RouteScoped, final, jwtecho.Require(jwtguard.RequireAllScopes(jwtguardtest.ScopeRead)))
		g.Match(both, "/tenants/:tenant/orders", final, jwtecho.RequireTenantParam("tenant"))
		e.Match(both, jwtguardtest.RouteOptional, final, jwtecho.Middleware(v, jwtecho.WithCredentialsOptional()))
		e.Match(both, jwtguardtest.RouteSkipped, final, jwtecho.Middleware(v, jwtecho.WithSkipper(func(c echo.Context) bool {
			return c.Path() == jwtguardtest.RouteSkipped
		})))
		return e
	})
}

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunErrorHandlerTests(t, func(t *testing.T, v *jwtguard.Verifier, record func(error)) http.Handler {
		e := echo.New()
		g := e.Group("", jwtecho.Middleware(v, jwtecho.WithErrorHandler(func(c echo.Context, err error) error {
			record(err)
			return c.String(http.StatusTeapot, "custom")
		})))
		g.Match(both, jwtguardtest.RouteProtected, final)
		g.GET(jwtguardtest.RouteAdmin, final, jwtecho.Require(jwtguard.RequireAnyRole("admin")))
		g.GET("/tenants/:tenant/orders", final, jwtecho.RequireTenantParam("tenant"))
		return e
	})
}

func TestRequireWithoutMiddleware(t *testing.T) {
	t.Parallel()
	e := echo.New()
	e.GET("/admin", final, jwtecho.Require(jwtguard.RequireAnyRole("admin")))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("got %d %q, want 401 with a bare Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}
