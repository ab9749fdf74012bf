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

var both = []string{http.MethodGet, http.MethodPost}

func final(c *gin.Context) {
	cl, _ := jwtgin.FromContext(c)
	jwtguardtest.WriteClaims(c.Writer, c.Request, cl)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunMiddlewareTests(t, func(t *testing.T, v *jwtguard.Verifier) http.Handler {
		r := gin.New()
		g := r.Group("", jwtgin.Middleware(v))
		g.Match(both, jwtguardtest.RouteProtected, final)
		g.Match(both, jwtguardtest.RouteAdmin, jwtgin.Require(jwtguard.RequireAnyRole("admin")), final)
		g.Match(both, jwtguardtest.RouteScoped, jwtgin.Require(jwtguard.RequireAllScopes(jwtguardtest.ScopeRead)), final)
		g.Match(both, "/tenants/:tenant/orders", jwtgin.RequireTenantParam("tenant"), final)
		r.Match(both, jwtguardtest.RouteOptional, jwtgin.Middleware(v, jwtgin.WithCredentialsOptional()), final)
		r.Match(both, jwtguardtest.RouteSkipped, jwtgin.Middleware(v, jwtgin.WithSkipper(func(c *gin.Context) bool {
			return c.FullPath() == jwtguardtest.RouteSkipped
		})), final)
		return r
	})
}

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	jwtguardtest.RunErrorHandlerTests(t, func(t *testing.T, v *jwtguard.Verifier, record func(error)) http.Handler {
		r := gin.New()
		g := r.Group("", jwtgin.Middleware(v, jwtgin.WithErrorHandler(func(c *gin.Context, err error) {
			record(err)
			c.String(http.StatusTeapot, "custom")
		})))
		g.Match(both, jwtguardtest.RouteProtected, final)
		g.GET(jwtguardtest.RouteAdmin, jwtgin.Require(jwtguard.RequireAnyRole("admin")), final)
		g.GET("/tenants/:tenant/orders", jwtgin.RequireTenantParam("tenant"), final)
		return r
	})
}

func TestRequireWithoutMiddleware(t *testing.T) {
	t.Parallel()
	r := gin.New()
	r.GET("/admin", jwtgin.Require(jwtguard.RequireAnyRole("admin")), final)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("got %d %q, want 401 with a bare Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}
