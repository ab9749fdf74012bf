package jwtecho_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rs/cors"

	jwtecho "github.com/jwtguard/jwtguard/echo"
	"github.com/jwtguard/jwtguard/internal/corstest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// TestCORS: rs/cors wrapping the *echo.Echo answers preflights before
// Echo routes them; WithPreflight on e.Use answers them inside (README,
// "Browser apps and CORS").
func TestCORS(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	orders := echo.WrapHandler(corstest.Final)
	corstest.Run(t, iss.Mint(nil), func(t *testing.T, c *cors.Cors, preflight bool) http.Handler {
		e := echo.New()
		if preflight {
			e.Use(jwtecho.Middleware(v, jwtecho.WithPreflight(http.HandlerFunc(c.HandlerFunc))))
			e.GET(corstest.Path, orders)
			e.DELETE(corstest.Path, orders)
			return e
		}
		api := e.Group("/api", jwtecho.Middleware(v))
		api.GET("/orders", orders)
		api.DELETE("/orders", orders)
		handler := c.Handler(e) // rs/cors wraps the whole *echo.Echo
		return handler
	})
}
