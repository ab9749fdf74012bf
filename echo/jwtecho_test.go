package jwtecho_test

import (
	"errors"
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
		g.Match(both, jwtguardtest.RouteAdmin, final, jwtecho.Require(jwtguard.RequireRole("admin")))
		g.Match(both, jwtguardtest.RouteScoped, final, jwtecho.Require(jwtguard.RequireScope(jwtguardtest.ScopeRead)))
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
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	var seen []error
	e := echo.New()
	mw := jwtecho.Middleware(v, jwtecho.WithErrorHandler(func(c echo.Context, err error) error {
		seen = append(seen, err)
		return c.String(http.StatusTeapot, "custom")
	}))
	e.GET("/admin", final, mw, jwtecho.Require(jwtguard.RequireRole("admin")))

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
		e.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Fatalf("%s: status %d, want %d", c.name, rec.Code, c.status)
		}
		if c.want == nil {
			if len(seen) != 0 {
				t.Fatalf("%s: error handler called with %v", c.name, seen)
			}
			continue
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
	e := echo.New()
	e.GET("/admin", final, jwtecho.Require(jwtguard.RequireRole("admin")))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("got %d %q, want 401 with a bare Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}
