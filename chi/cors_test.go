package jwtchi_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/rs/cors"

	jwtchi "github.com/jwtguard/jwtguard/chi"
	"github.com/jwtguard/jwtguard/internal/corstest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// TestCORS: rs/cors as chi's first middleware answers preflights before
// jwtchi.Middleware; WithPreflight answers them inside (README, "Browser
// apps and CORS").
func TestCORS(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	corstest.Run(t, iss.Mint(nil), func(t *testing.T, c *cors.Cors, preflight bool) http.Handler {
		if preflight {
			r := chi.NewRouter()
			r.Use(jwtchi.Middleware(v, jwtchi.WithPreflight(http.HandlerFunc(c.HandlerFunc))))
			r.Get(corstest.Path, corstest.Final)
			r.Delete(corstest.Path, corstest.Final)
			return r
		}
		r := chi.NewRouter()
		r.Use(c.Handler) // first, so rs/cors runs outside jwtguard
		r.Use(jwtchi.Middleware(v))
		r.Get(corstest.Path, corstest.Final)
		r.Delete(corstest.Path, corstest.Final)
		return r
	})
}
