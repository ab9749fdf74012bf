package jwtgin_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/rs/cors"

	jwtgin "github.com/jwtguard/jwtguard/gin"
	"github.com/jwtguard/jwtguard/internal/corstest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// TestCORS: rs/cors wrapping the *gin.Engine answers preflights before Gin
// routes them; WithPreflight on the engine's r.Use answers them inside
// (README, "Browser apps and CORS").
func TestCORS(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	orders := gin.WrapH(corstest.Final)
	corstest.Run(t, iss.Mint(nil), func(t *testing.T, c *cors.Cors, preflight bool) http.Handler {
		r := gin.New()
		if preflight {
			r.Use(jwtgin.Middleware(v, jwtgin.WithPreflight(http.HandlerFunc(c.HandlerFunc))))
			r.GET(corstest.Path, orders)
			r.DELETE(corstest.Path, orders)
			return r
		}
		api := r.Group("/api", jwtgin.Middleware(v))
		api.GET("/orders", orders)
		api.DELETE("/orders", orders)
		handler := c.Handler(r) // rs/cors wraps the whole *gin.Engine
		return handler
	})
}
