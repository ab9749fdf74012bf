package nethttp_test

import (
	"net/http"
	"testing"

	"github.com/rs/cors"

	"github.com/jwtguard/jwtguard/internal/corstest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

// TestCORS: rs/cors outside the middleware answers preflights and puts its
// headers on jwtguard's 401; WithPreflight answers them inside (README,
// "Browser apps and CORS").
func TestCORS(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	corstest.Run(t, iss.Mint(nil), func(t *testing.T, c *cors.Cors, preflight bool) http.Handler {
		mux := http.NewServeMux()
		mux.Handle(corstest.Path, corstest.Final)
		if preflight {
			mw := nethttp.Middleware(v, nethttp.WithPreflight(http.HandlerFunc(c.HandlerFunc)))
			return mw(mux)
		}
		handler := c.Handler(nethttp.Middleware(v)(mux)) // rs/cors outside: it answers preflights itself
		return handler
	})
}
