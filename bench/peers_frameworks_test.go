package bench

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	jwt "github.com/appleboy/gin-jwt/v2"
	"github.com/gin-gonic/gin"
	jwtv4 "github.com/golang-jwt/jwt/v4"
	jwtv5 "github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// echoClaims adds the iss/aud/exp checks that echo-jwt's default parser
// does not switch on: golang-jwt calls Validate after its own checks.
type echoClaims struct{ golangJWTClaims }

func (c *echoClaims) Validate() error {
	if c.ExpiresAt == nil || c.Issuer != fx.issuer || !slices.Contains(c.Audience, fx.aud) {
		return errClaims
	}
	return nil
}

// echoJWT: github.com/labstack/echo-jwt/v4 middleware on an echo.Echo.
func echoJWT(_ testing.TB, alg string) http.Handler {
	e := echo.New()
	e.Use(echojwt.WithConfig(echojwt.Config{
		SigningKey:    fx.verifyKey(alg),
		SigningMethod: alg,
		NewClaimsFunc: func(echo.Context) jwtv5.Claims { return &echoClaims{} },
	}))
	e.GET("/resource", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e
}

// ginJWT: github.com/appleboy/gin-jwt/v2 middleware on a gin.Engine. Its
// KeyFunc pins the algorithm; it checks exp itself; iss and aud are checked
// in its Authorizator hook (the library has no option for them).
func ginJWT(tb testing.TB, alg string) http.Handler {
	key := fx.verifyKey(alg)
	mw, err := jwt.New(&jwt.GinJWTMiddleware{
		Realm:            "bench",
		SigningAlgorithm: alg,
		Key:              fx.secret,
		KeyFunc: func(t *jwtv4.Token) (any, error) {
			if t.Method.Alg() != alg {
				return nil, fmt.Errorf("unexpected alg %s", t.Method.Alg())
			}
			return key, nil
		},
		ParseOptions: []jwtv4.ParserOption{jwtv4.WithValidMethods([]string{alg})},
		Authorizator: func(_ any, c *gin.Context) bool {
			claims := jwt.ExtractClaims(c)
			m := jwtv4.MapClaims(claims)
			return m.VerifyIssuer(fx.issuer, true) && m.VerifyAudience(fx.aud, true)
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	r := gin.New()
	r.Use(mw.MiddlewareFunc())
	r.GET("/resource", func(c *gin.Context) { c.Status(http.StatusOK) })
	return r
}
