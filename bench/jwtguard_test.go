package bench

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwtguard/jwtguard"
	jwtecho "github.com/jwtguard/jwtguard/echo"
	jwtgin "github.com/jwtguard/jwtguard/gin"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
	"github.com/jwtguard/jwtguard/nethttp"
	"github.com/labstack/echo/v4"
)

// jwtguard is configured the way a service would be: asymmetric keys come
// from the issuer's OIDC discovery + JWKS (fetched once, then cached by the
// verifier), HS256 from an HMAC key source. Verifiers are built once per process.

var (
	verifiersMu sync.Mutex
	verifiers   = map[string]*jwtguard.Verifier{}
)

func newVerifier(tb testing.TB, alg string, extra ...jwtguard.Option) *jwtguard.Verifier {
	opts := []jwtguard.Option{jwtguard.WithAudience(fx.aud), jwtguard.WithAlgorithms(alg)}
	if alg == "HS256" {
		opts = append(opts, jwtguard.WithIssuer(fx.issuer, jwtguard.HMAC(fx.secret)))
	} else {
		opts = append(opts, jwtguard.WithIssuer(fx.issuer, jwtguard.Discovery()))
	}
	v, err := jwtguard.New(append(opts, extra...)...)
	if err != nil {
		tb.Fatal(err)
	}
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		tb.Fatal(err)
	}
	return v
}

// verifier returns the shared verifier of this flavour for alg: "cold" (no
// cache), "warm" (WithCache) or "warm+revocation" (WithCache and the
// in-memory revocation store, asked on every hit).
func verifier(tb testing.TB, flavour, alg string) *jwtguard.Verifier {
	verifiersMu.Lock()
	defer verifiersMu.Unlock()
	key := flavour + "/" + alg
	if v := verifiers[key]; v != nil {
		return v
	}
	var extra []jwtguard.Option
	switch flavour {
	case "warm":
		extra = append(extra, jwtguard.WithCache(10_000, time.Minute))
	case "warm+revocation":
		store, err := memory.New()
		if err != nil {
			tb.Fatal(err)
		}
		// A non-empty denylist, so the lookup is a real one.
		_ = store.RevokeToken(context.Background(), fx.issuer, "some-other-jti", time.Now().Add(time.Hour))
		_ = store.RevokeSubject(context.Background(), fx.issuer, "some-other-user", time.Now())
		extra = append(extra, jwtguard.WithCache(10_000, time.Minute), jwtguard.WithRevocation(store))
	}
	v := newVerifier(tb, alg, extra...)
	verifiers[key] = v
	return v
}

func jwtguardVerify(flavour string) func(testing.TB, string) verifyFunc {
	return func(tb testing.TB, alg string) verifyFunc {
		v := verifier(tb, flavour, alg)
		ctx := context.Background()
		return func(tok string) error {
			_, err := v.Verify(ctx, tok)
			return err
		}
	}
}

// jwtguardNetHTTP is the nethttp adapter over the verifier of flavour
// ("cold" or "warm").
func jwtguardNetHTTP(flavour string) func(testing.TB, string) http.Handler {
	return func(tb testing.TB, alg string) http.Handler {
		return nethttp.Middleware(verifier(tb, flavour, alg))(ok)
	}
}

// jwtguardEcho is the echo adapter (package jwtecho).
func jwtguardEcho(flavour string) func(testing.TB, string) http.Handler {
	return func(tb testing.TB, alg string) http.Handler {
		e := echo.New()
		e.Use(jwtecho.Middleware(verifier(tb, flavour, alg)))
		e.GET("/resource", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
		return e
	}
}

// jwtguardGin is the gin adapter (package jwtgin).
func jwtguardGin(flavour string) func(testing.TB, string) http.Handler {
	return func(tb testing.TB, alg string) http.Handler {
		r := gin.New()
		r.Use(jwtgin.Middleware(verifier(tb, flavour, alg)))
		r.GET("/resource", func(c *gin.Context) { c.Status(http.StatusOK) })
		return r
	}
}

// echoBare and ginBare are the routers without authentication.
func echoBare(testing.TB, string) http.Handler {
	e := echo.New()
	e.GET("/resource", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e
}

func ginBare(testing.TB, string) http.Handler {
	r := gin.New()
	r.GET("/resource", func(c *gin.Context) { c.Status(http.StatusOK) })
	return r
}
