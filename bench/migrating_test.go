package bench

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	ginjwt "github.com/appleboy/gin-jwt/v2"
	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	jwtmiddlewarev3 "github.com/auth0/go-jwt-middleware/v3"
	jwksv3 "github.com/auth0/go-jwt-middleware/v3/jwks"
	validatorv3 "github.com/auth0/go-jwt-middleware/v3/validator"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/jwtauth/v5"
	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// The peers' side of MIGRATING.md (in the repository root): the
// configurations its guides start from, compiled here against the peers'
// real modules. jwtguard's TestMigratingSnippets keeps the guide identical
// to this file.

// auth0/go-jwt-middleware v2.

func setupHandler(issuer string, audience []string) http.Handler {
	issuerURL, err := url.Parse(issuer)
	if err != nil {
		log.Fatalf("failed to parse the issuer url: %v", err)
	}
	provider := jwks.NewCachingProvider(issuerURL, 5*time.Minute)
	jwtValidator, err := validator.New(
		provider.KeyFunc,
		validator.RS256,
		issuerURL.String(),
		audience,
		validator.WithAllowedClockSkew(30*time.Second),
	)
	if err != nil {
		log.Fatalf("failed to set up the validator: %v", err)
	}
	middleware := jwtmiddleware.New(jwtValidator.ValidateToken)
	return middleware.CheckJWT(handler)
}

var handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	claims := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
	fmt.Fprintf(w, "hello %s", claims.RegisteredClaims.Subject)
})

// auth0/go-jwt-middleware v3 (its packages imported as jwtmiddlewarev3,
// jwksv3 and validatorv3 beside v2's).

func setupHandlerV3(issuer string, audience []string) http.Handler {
	issuerURL, err := url.Parse(issuer)
	if err != nil {
		log.Fatalf("failed to parse the issuer url: %v", err)
	}
	provider, err := jwksv3.NewCachingProvider(
		jwksv3.WithIssuerURL(issuerURL),
		jwksv3.WithCacheTTL(5*time.Minute),
	)
	if err != nil {
		log.Fatalf("failed to create jwks provider: %v", err)
	}
	jwtValidator, err := validatorv3.New(
		validatorv3.WithKeyFunc(provider.KeyFunc),
		validatorv3.WithAlgorithm(validatorv3.RS256),
		validatorv3.WithIssuer(issuerURL.String()),
		validatorv3.WithAudiences(audience),
		validatorv3.WithAllowedClockSkew(30*time.Second),
	)
	if err != nil {
		log.Fatalf("failed to set up the validator: %v", err)
	}
	middleware, err := jwtmiddlewarev3.New(jwtmiddlewarev3.WithValidator(jwtValidator))
	if err != nil {
		log.Fatalf("failed to set up the middleware: %v", err)
	}
	return middleware.CheckJWT(handlerV3)
}

var handlerV3 = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	claims, err := jwtmiddlewarev3.GetClaims[*validatorv3.ValidatedClaims](r.Context())
	if err != nil {
		http.Error(w, "failed to get validated claims", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "hello %s", claims.RegisteredClaims.Subject)
})

// go-chi/jwtauth v5.

func newRouter(secret []byte) chi.Router {
	tokenAuth := jwtauth.New("HS256", secret, nil)
	r := chi.NewRouter()
	r.Group(func(r chi.Router) {
		r.Use(jwtauth.Verifier(tokenAuth))
		r.Use(jwtauth.Authenticator(tokenAuth))
		r.Get("/admin", func(w http.ResponseWriter, r *http.Request) {
			_, claims, _ := jwtauth.FromContext(r.Context())
			fmt.Fprintf(w, "hello %v", claims["sub"])
		})
	})
	r.Get("/", publicHandler)
	return r
}

var publicHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "welcome") })

// labstack/echo-jwt v4.

func newEcho(secret []byte) *echo.Echo {
	e := echo.New()
	e.POST("/login", login) // signs tokens with the same secret
	r := e.Group("/restricted")
	r.Use(echojwt.WithConfig(echojwt.Config{
		SigningKey: secret,
	}))
	r.GET("", func(c echo.Context) error {
		token := c.Get("user").(*jwt.Token)
		claims := token.Claims.(jwt.MapClaims)
		return c.String(http.StatusOK, "hello "+claims["sub"].(string))
	})
	return e
}

func login(c echo.Context) error { return c.NoContent(http.StatusNotImplemented) }

// appleboy/gin-jwt v2.

func newEngine(secret []byte) (*gin.Engine, error) {
	authMiddleware, err := ginjwt.New(&ginjwt.GinJWTMiddleware{
		Realm:       "orders",
		Key:         secret,
		Timeout:     time.Hour,
		MaxRefresh:  time.Hour,
		IdentityKey: "id",
		PayloadFunc: func(data interface{}) ginjwt.MapClaims {
			return ginjwt.MapClaims{"id": data.(string)}
		},
		Authenticator: authenticate, // checks the login form, returns the user name
		Authorizator: func(data interface{}, c *gin.Context) bool {
			return data == "admin" || c.FullPath() != "/auth/admin"
		},
	})
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.POST("/login", authMiddleware.LoginHandler)
	auth := r.Group("/auth")
	auth.GET("/refresh_token", authMiddleware.RefreshHandler)
	auth.Use(authMiddleware.MiddlewareFunc())
	auth.GET("/hello", func(c *gin.Context) {
		claims := ginjwt.ExtractClaims(c)
		c.String(http.StatusOK, "hello %v", claims["id"])
	})
	auth.GET("/admin", adminHandler)
	return r, nil
}

func authenticate(c *gin.Context) (interface{}, error) { return nil, ginjwt.ErrFailedAuthentication }

func adminHandler(c *gin.Context) { c.String(http.StatusOK, "admin") }

// coreos/go-oidc v3.

func verifierFor(ctx context.Context, issuer, clientID string) (*oidc.IDTokenVerifier, error) {
	provider, err := oidc.NewProvider(ctx, issuer) // fetches the discovery document now
	if err != nil {
		return nil, err
	}
	return provider.Verifier(&oidc.Config{ClientID: clientID}), nil
}

type emailKey struct{}

func authenticateOIDC(verifier *oidc.IDTokenVerifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		idToken, err := verifier.Verify(r.Context(), raw)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var claims struct {
			Email    string `json:"email"`
			Verified bool   `json:"email_verified"`
		}
		if err := idToken.Claims(&claims); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), emailKey{}, claims.Email)))
	})
}

// TestMigratingPeers checks what MIGRATING.md says each peer does, with
// the tokens jwtguard's TestMigrating refuses: the "what behaves
// differently" lists are about the peers' real behaviour.
func TestMigratingPeers(t *testing.T) {
	gin.SetMode(gin.TestMode)
	iss := jwtguardtest.NewIssuer(t)
	aud := jwtguardtest.DefaultAudience
	hs := jwtguardtest.WithAlg("HS256")
	type row struct {
		name   string
		path   string
		token  string
		status int
		body   string // prefix; "" = not checked
	}
	challenge := "" // WWW-Authenticate each peer sends (its first value): none but gin-jwt's and auth0 v3's
	run := func(t *testing.T, h http.Handler, rows []row) {
		t.Helper()
		for _, r := range rows {
			req := httptest.NewRequest(http.MethodGet, r.path, nil)
			if r.token != "" {
				req.Header.Set("Authorization", "Bearer "+r.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != r.status || !strings.HasPrefix(rec.Body.String(), r.body) {
				t.Errorf("%s: %d %q, want %d %q", r.name, rec.Code, rec.Body, r.status, r.body)
			}
			if ch := rec.Header().Get("WWW-Authenticate"); ch != challenge && rec.Code >= 400 {
				t.Errorf("%s: WWW-Authenticate %q, want %q", r.name, ch, challenge)
			}
		}
	}
	without := func(claim string, opts ...jwtguardtest.MintOption) string {
		return iss.Mint(jwtguardtest.Claims{"sub": "alice", "id": "alice", claim: nil}, opts...)
	}
	valid := func(opts ...jwtguardtest.MintOption) string {
		return iss.Mint(jwtguardtest.Claims{"sub": "alice", "id": "alice"}, opts...)
	}

	t.Run("auth0 v2", func(t *testing.T) {
		run(t, setupHandler(iss.URL(), []string{aud}), []row{
			{"valid token", "/", valid(), 200, "hello alice"},
			{"no token: 400", "/", "", 400, `{"message":"JWT is missing."}`},
			{"token without exp: accepted", "/", without("exp"), 200, "hello alice"},
		})
		down := jwtguardtest.NewIssuer(t)
		down.Down(true)
		run(t, setupHandler(down.URL(), []string{aud}), []row{
			{"keys unavailable: 401", "/", down.Mint(nil), 401, `{"message":"JWT is invalid."}`},
		})
	})
	t.Run("auth0 v3", func(t *testing.T) {
		h := setupHandlerV3(iss.URL(), []string{aud})
		run(t, h, []row{
			{"valid token", "/", valid(), 200, "hello alice"},
			{"token without exp: accepted", "/", without("exp"), 200, "hello alice"},
		})
		challenge = `Bearer realm="api"` // RFC 6750 §3.1: no error code without a token
		defer func() { challenge = "" }()
		run(t, h, []row{
			{"no token: 401", "/", "", 401, `{"error":"invalid_token"}`},
		})
		down := jwtguardtest.NewIssuer(t)
		down.Down(true)
		challenge = `Bearer realm="api", error="invalid_token", error_description="Unable to verify the access token"`
		run(t, setupHandlerV3(down.URL(), []string{aud}), []row{
			{"keys unavailable: 401", "/", down.Mint(nil), 401,
				`{"error":"invalid_token","error_description":"Unable to verify the access token","error_code":"jwks_fetch_failed"}`},
		})
	})
	t.Run("jwtauth", func(t *testing.T) {
		_ = newRouter([]byte("secret")) // a 6-byte HS256 secret is accepted
		run(t, newRouter(iss.HMACSecret()), []row{
			{"valid token", "/admin", valid(hs), 200, "hello alice"},
			{"no token: plain-text 401", "/admin", "", 401, "no token found"},
			{"token without exp: accepted", "/admin", without("exp", hs), 200, "hello alice"},
			{"token without iss: accepted", "/admin", without("iss", hs), 200, "hello alice"},
			{"token without aud: accepted", "/admin", without("aud", hs), 200, "hello alice"},
		})
	})
	t.Run("echo-jwt", func(t *testing.T) {
		run(t, newEcho(iss.HMACSecret()), []row{
			{"valid token", "/restricted", valid(hs), 200, "hello alice"},
			{"no token", "/restricted", "", 401, `{"message":"missing or malformed jwt"}`},
			{"token without exp: accepted", "/restricted", without("exp", hs), 200, "hello alice"},
			{"token without iss: accepted", "/restricted", without("iss", hs), 200, "hello alice"},
		})
	})
	t.Run("gin-jwt", func(t *testing.T) {
		r, err := newEngine(iss.HMACSecret())
		if err != nil {
			t.Fatal(err)
		}
		admin := iss.Mint(jwtguardtest.Claims{"id": "admin"}, hs)
		challenge = "JWT realm=orders" // not the Bearer scheme of RFC 6750
		defer func() { challenge = "" }()
		run(t, r, []row{
			{"valid token", "/auth/hello", valid(hs), 200, "hello alice"},
			{"no token", "/auth/hello", "", 401, `{"code":401`},
			{"token without exp: 400", "/auth/hello", without("exp", hs), 400, `{"code":400,"message":"missing exp field"}`},
			{"token without iss: accepted", "/auth/hello", without("iss", hs), 200, "hello alice"},
			{"admin", "/auth/admin", admin, 200, "admin"},
			{"not admin: 403", "/auth/admin", valid(hs), 403, `{"code":403`},
		})
	})
	t.Run("go-oidc", func(t *testing.T) {
		v, err := verifierFor(t.Context(), iss.URL(), aud)
		if err != nil {
			t.Fatal(err)
		}
		h := authenticateOIDC(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, r.Context().Value(emailKey{}))
		}))
		run(t, h, []row{
			{"valid token", "/", iss.Mint(jwtguardtest.Claims{"email": "alice@example.com"}), 200, "alice@example.com"},
			{"ES256, advertised by the discovery document: accepted", "/", iss.Mint(jwtguardtest.Claims{"email": "alice@example.com"},
				jwtguardtest.WithAlg("ES256")), 200, "alice@example.com"},
			{"token without exp: refused", "/", without("exp"), 401, "unauthorized"},
		})
		if _, err := verifierFor(t.Context(), "http://127.0.0.1:1", aud); err == nil {
			t.Error("NewProvider succeeded with the provider down; the guide says it fails")
		}
	})
}
