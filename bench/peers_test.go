package bench

import (
	"context"
	"errors"
	"net/http"
	"testing"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	jwtmiddlewarev3 "github.com/auth0/go-jwt-middleware/v3"
	validatorv3 "github.com/auth0/go-jwt-middleware/v3/validator"
	"github.com/go-chi/jwtauth/v5"
	jwtv5 "github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v2/jwa"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"
)

// Every peer is configured as its documentation recommends, with the
// algorithm pinned, and with iss, aud and exp checked wherever the library
// can. Each decodes the same claims (roles, tenant_id included).

// golangJWTClaims are golang-jwt's registered claims plus ours.
type golangJWTClaims struct {
	jwtv5.RegisteredClaims
	Roles  []string `json:"roles"`
	Tenant string   `json:"tenant_id"`
}

// golangJWT: github.com/golang-jwt/jwt/v5 ParseWithClaims with a parser
// that pins the method and requires iss, aud and exp.
func golangJWT(_ testing.TB, alg string) verifyFunc {
	key := fx.verifyKey(alg)
	p := jwtv5.NewParser(jwtv5.WithValidMethods([]string{alg}), jwtv5.WithIssuer(fx.issuer),
		jwtv5.WithAudience(fx.aud), jwtv5.WithExpirationRequired())
	kf := func(*jwtv5.Token) (any, error) { return key, nil }
	return func(tok string) error {
		_, err := p.ParseWithClaims(tok, &golangJWTClaims{}, kf)
		return err
	}
}

// jwxParse: github.com/lestrrat-go/jwx/v2 jwt.Parse with the key pinned to
// the algorithm and validation of iss and aud (exp is checked by default).
func jwxParse(_ testing.TB, alg string) verifyFunc {
	opts := []jwxjwt.ParseOption{jwxjwt.WithKey(jwa.SignatureAlgorithm(alg), fx.verifyKey(alg)),
		jwxjwt.WithValidate(true), jwxjwt.WithIssuer(fx.issuer), jwxjwt.WithAudience(fx.aud),
		jwxjwt.WithRequiredClaim("exp")}
	return func(tok string) error {
		_, err := jwxjwt.ParseString(tok, opts...)
		return err
	}
}

// auth0Claims are the custom claims for auth0/go-jwt-middleware.
type auth0Claims struct {
	Roles  []string `json:"roles"`
	Tenant string   `json:"tenant_id"`
}

func (auth0Claims) Validate(context.Context) error { return nil }

func auth0Validator(tb testing.TB, alg string) *validator.Validator {
	key := fx.verifyKey(alg)
	v, err := validator.New(func(context.Context) (any, error) { return key, nil },
		validator.SignatureAlgorithm(alg), fx.issuer, []string{fx.aud},
		validator.WithCustomClaims(func() validator.CustomClaims { return &auth0Claims{} }))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// auth0Verify: github.com/auth0/go-jwt-middleware/v2 validator.ValidateToken
// (go-jose v2; checks iss, aud, exp).
func auth0Verify(tb testing.TB, alg string) verifyFunc {
	v := auth0Validator(tb, alg)
	ctx := context.Background()
	return func(tok string) error {
		_, err := v.ValidateToken(ctx, tok)
		return err
	}
}

// auth0Middleware is the same validator behind its CheckJWT middleware.
func auth0Middleware(tb testing.TB, alg string) http.Handler {
	v := auth0Validator(tb, alg)
	return jwtmiddleware.New(v.ValidateToken).CheckJWT(ok)
}

// auth0V3Validator is github.com/auth0/go-jwt-middleware/v3's validator
// (jwx v3 inside): one pinned algorithm, iss and aud required, exp checked
// when present, the same custom claims.
func auth0V3Validator(tb testing.TB, alg string) *validatorv3.Validator {
	key := fx.verifyKey(alg)
	v, err := validatorv3.New(validatorv3.WithKeyFunc(func(context.Context) (any, error) { return key, nil }),
		validatorv3.WithAlgorithm(validatorv3.SignatureAlgorithm(alg)), validatorv3.WithIssuer(fx.issuer),
		validatorv3.WithAudience(fx.aud), validatorv3.WithCustomClaims(func() *auth0Claims { return &auth0Claims{} }))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// auth0V3Verify: auth0/go-jwt-middleware v3 validator.ValidateToken.
func auth0V3Verify(tb testing.TB, alg string) verifyFunc {
	v := auth0V3Validator(tb, alg)
	ctx := context.Background()
	return func(tok string) error {
		_, err := v.ValidateToken(ctx, tok)
		return err
	}
}

// auth0V3Middleware is the v3 validator behind its CheckJWT middleware
// (default DPoP mode: DPoPAllowed, so bearer tokens pass).
func auth0V3Middleware(tb testing.TB, alg string) http.Handler {
	m, err := jwtmiddlewarev3.New(jwtmiddlewarev3.WithValidator(auth0V3Validator(tb, alg)))
	if err != nil {
		tb.Fatal(err)
	}
	return m.CheckJWT(ok)
}

func jwtauthNew(alg string) *jwtauth.JWTAuth {
	if alg == "HS256" {
		return jwtauth.New(alg, fx.secret, nil, jwxjwt.WithIssuer(fx.issuer), jwxjwt.WithAudience(fx.aud))
	}
	return jwtauth.New(alg, nil, fx.verifyKey(alg), jwxjwt.WithIssuer(fx.issuer), jwxjwt.WithAudience(fx.aud))
}

// jwtauthVerify: github.com/go-chi/jwtauth/v5 VerifyToken (jwx v2 inside).
func jwtauthVerify(_ testing.TB, alg string) verifyFunc {
	ja := jwtauthNew(alg)
	return func(tok string) error {
		_, err := jwtauth.VerifyToken(ja, tok)
		return err
	}
}

// jwtauthMiddleware is jwtauth's Verifier + Authenticator middleware pair.
func jwtauthMiddleware(_ testing.TB, alg string) http.Handler {
	ja := jwtauthNew(alg)
	return jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(ok))
}

var errClaims = errors.New("claims rejected")
