package jwtgin_test

import (
	"errors"
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
		g.Match(both, jwtguardtest.RouteAdmin, jwtgin.Require(jwtguard.RequireRole("admin")), final)
		g.Match(both, jwtguardtest.RouteScoped, jwtgin.Require(jwtguard.RequireScope(jwtguardtest.ScopeRead)), final)
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
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	var seen []error
	r := gin.New()
	mw := jwtgin.Middleware(v, jwtgin.WithErrorHandler(func(c *gin.Context, err error) {
		seen = append(seen, err)
		c.String(http.StatusTeapot, "custom")
	}))
	r.GET("/admin", mw, jwtgin.Require(jwtguard.RequireRole("admin")), final)

	cases := []struct {
		name   string
		token  string
		status int
		want   error
	}{
		{"expired", iss.Expired(), http.StatusTeapot, jwtguard.ErrTokenExpired},
		{"policy denial also uses the handler", iss.Mint(nil), http.StatusTeapot, jwtguard.ErrForbidden},
		{"allowed", iss.Mint(jwtguardtest.Claims{"roles": []string{"admin"}}), http.StatusOK, nil},
	}
	for _, c := range cases {
		seen = nil
		req := httptest.NewRequest(http.MethodGet, "/admin", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Fatalf("%s: status %d, want %d", c.name, rec.Code, c.status)
		}
		if c.want == nil {
			if len(seen) != 0 {
				t.Fatalf("%s: error handler called with %v", c.name, seen)
			}
			continue
		}
		if rec.Body.String() != "custom" {
			t.Fatalf("%s: body %q: the protected handler ran after the error handler", c.name, rec.Body.String())
		}
		if len(seen) != 1 || !errors.Is(seen[0], c.want) {
			t.Fatalf("%s: error handler saw %v, want %v", c.name, seen, c.want)
		}
		var je *jwtguard.Error
		if !errors.As(seen[0], &je) {
			t.Fatalf("%s: %T is not a *jwtguard.Error", c.name, seen[0])
		}
	}
}

func TestRequireWithoutMiddleware(t *testing.T) {
	t.Parallel()
	r := gin.New()
	r.GET("/admin", jwtgin.Require(jwtguard.RequireRole("admin")), final)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("got %d %q, want 401 with a bare Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}
