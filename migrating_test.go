package jwtguard_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/labstack/echo/v4"

	"github.com/jwtguard/jwtguard"
	jwtchi "github.com/jwtguard/jwtguard/chi"
	jwtecho "github.com/jwtguard/jwtguard/echo"
	jwtgin "github.com/jwtguard/jwtguard/gin"
	"github.com/jwtguard/jwtguard/internal/snippets"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

// The jwtguard side of MIGRATING.md: each guide shows one of the functions
// below (TestMigratingSnippets keeps the guide identical to them), and
// TestMigrating runs each against a test identity provider and checks
// what its guide says behaves differently.

// From auth0/go-jwt-middleware (v2 and v3).

func setupHandler(issuer string, audience []string) (http.Handler, *jwtguard.Verifier, error) {
	v, err := jwtguard.New(
		jwtguard.WithIssuer(issuer, jwtguard.Discovery()), // discovery → jwks_uri, cached, refreshed in the background
		jwtguard.WithAudience(audience...),
		jwtguard.WithAlgorithms("RS256"),
	)
	if err != nil {
		return nil, nil, err // names the option to fix
	}
	return nethttp.Middleware(v)(handler), v, nil // v.Close() at shutdown
}

var handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	claims, _ := jwtguard.FromContext(r.Context())
	fmt.Fprintf(w, "hello %s", claims.Subject)
})

// From go-chi/jwtauth.

func newRouter(issuer, audience string, secret []byte) (chi.Router, *jwtguard.Verifier, error) {
	v, err := jwtguard.New(
		jwtguard.WithIssuer(issuer, jwtguard.HMAC(secret)), // at least 32 bytes for HS256
		jwtguard.WithAudience(audience),
		jwtguard.WithAlgorithms("HS256"),
	)
	if err != nil {
		return nil, nil, err
	}
	r := chi.NewRouter()
	r.Group(func(r chi.Router) {
		r.Use(jwtchi.Middleware(v))
		r.Get("/admin", func(w http.ResponseWriter, r *http.Request) {
			claims, _ := jwtguard.FromContext(r.Context())
			fmt.Fprintf(w, "hello %s", claims.Subject)
		})
	})
	r.Get("/", publicHandler)
	return r, v, nil
}

var publicHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "welcome") })

// From labstack/echo-jwt.

func newEcho(issuer, audience string, secret []byte) (*echo.Echo, *jwtguard.Verifier, error) {
	v, err := jwtguard.New(
		jwtguard.WithIssuer(issuer, jwtguard.HMAC(secret)),
		jwtguard.WithAudience(audience),
		jwtguard.WithAlgorithms("HS256"),
	)
	if err != nil {
		return nil, nil, err
	}
	e := echo.New()
	e.POST("/login", login) // still signs the tokens: with iss, aud and exp
	r := e.Group("/restricted", jwtecho.Middleware(v))
	r.GET("", func(c echo.Context) error {
		claims, _ := jwtecho.FromContext(c)
		return c.String(http.StatusOK, "hello "+claims.Subject)
	})
	return e, v, nil
}

func login(c echo.Context) error { return c.NoContent(http.StatusNotImplemented) }

// From appleboy/gin-jwt.

func newEngine(issuer, audience string, secret []byte) (*gin.Engine, *jwtguard.Verifier, error) {
	v, err := jwtguard.New(
		jwtguard.WithIssuer(issuer, jwtguard.HMAC(secret)),
		jwtguard.WithAudience(audience),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithRealm("orders"),
	)
	if err != nil {
		return nil, nil, err
	}
	r := gin.New()
	r.POST("/login", loginHandler) // gin-jwt's LoginHandler, or your identity provider
	auth := r.Group("/auth", jwtgin.Middleware(v))
	auth.GET("/hello", func(c *gin.Context) {
		claims, _ := jwtgin.FromContext(c)
		c.String(http.StatusOK, "hello %s", claims.Subject)
	})
	auth.GET("/admin", jwtgin.Require(jwtguard.RequireAnyRole("admin")), adminHandler)
	return r, v, nil
}

func loginHandler(c *gin.Context) { c.Status(http.StatusNotImplemented) }

func adminHandler(c *gin.Context) { c.String(http.StatusOK, "admin") }

// From coreos/go-oidc.

func verifierFor(ctx context.Context, issuer, clientID string) (*jwtguard.Verifier, error) {
	v, err := jwtguard.New(
		jwtguard.WithIssuer(issuer, jwtguard.Discovery()), // fetched in the background: New never waits
		jwtguard.WithAudience(clientID),
		jwtguard.WithAlgorithms("RS256"),
	)
	if err != nil {
		return nil, err
	}
	if err := v.Ready(ctx); err != nil { // wait for the keys, as NewProvider did
		v.Close()
		return nil, err
	}
	return v, nil
}

func emailHandler(v *jwtguard.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		var claims struct {
			Email    string `json:"email"`
			Verified bool   `json:"email_verified"`
		}
		if err := c.Decode(&claims); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, claims.Email)
	})
	return nethttp.Middleware(v)(mux)
}

// migrationCase is one request of TestMigrating and the answer jwtguard
// gives.
type migrationCase struct {
	name      string
	method    string // "" = GET
	path      string
	token     string
	status    int
	body      string // expected body prefix ("" = not checked)
	challenge string // expected WWW-Authenticate prefix ("" = not checked)
}

func TestMigrating(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.TestMode)
	iss := jwtguardtest.NewIssuer(t)
	aud := jwtguardtest.DefaultAudience
	hs := jwtguardtest.WithAlg("HS256")
	user := jwtguardtest.Claims{"sub": "alice"}
	// What each peer accepted and jwtguard refuses.
	noExp := iss.Mint(jwtguardtest.Claims{"sub": "alice", "exp": nil})
	noExpHS := iss.Mint(jwtguardtest.Claims{"sub": "alice", "exp": nil}, hs)
	noIssHS := iss.Mint(jwtguardtest.Claims{"sub": "alice", "iss": nil}, hs)
	noAudHS := iss.Mint(jwtguardtest.Claims{"sub": "alice", "aud": nil}, hs)
	// Expired 10 s ago: within jwtguard's 30 s leeway.
	justExpired := iss.Mint(jwtguardtest.Claims{"sub": "alice", "exp": time.Now().Add(-10 * time.Second).Unix()}, hs)
	bearer := "Bearer"

	t.Run("auth0", func(t *testing.T) {
		h, v, err := setupHandler(iss.URL(), []string{aud})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		down := jwtguardtest.NewIssuer(t)
		down.Down(true)
		hd, vd, err := setupHandler(down.URL(), []string{aud})
		if err != nil {
			t.Fatal(err)
		}
		defer vd.Close()
		runMigration(t, hd, []migrationCase{
			{name: "keys unavailable: 503 (v2, v3: 401)", token: down.Mint(nil), status: 503},
		})
		runMigration(t, h, []migrationCase{
			{name: "valid token", token: iss.Mint(user), status: 200, body: "hello alice"},
			{name: "no token: 401 with a challenge (v2: 400)", status: 401, challenge: bearer},
			{name: "token without exp", token: noExp, status: 401, challenge: `Bearer error="invalid_token"`},
			{name: "ES256 token, RS256 allowed", token: iss.Mint(user, jwtguardtest.WithAlg("ES256")), status: 401},
			{name: "wrong audience", token: iss.WrongAudience(), status: 401},
		})
	})
	t.Run("jwtauth", func(t *testing.T) {
		if _, _, err := newRouter(iss.URL(), aud, []byte("secret")); err == nil || !strings.Contains(err.Error(), "HMAC") {
			t.Fatalf("a 6-byte HS256 secret: New's error %v, want one about the HMAC secret", err)
		}
		r, v, err := newRouter(iss.URL(), aud, iss.HMACSecret())
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		runMigration(t, r, []migrationCase{
			{name: "valid token", path: "/admin", token: iss.Mint(user, hs), status: 200, body: "hello alice"},
			{name: "public route", path: "/", status: 200, body: "welcome"},
			{name: "no token", path: "/admin", status: 401, challenge: bearer},
			{name: "token without exp", path: "/admin", token: noExpHS, status: 401},
			{name: "token without iss", path: "/admin", token: noIssHS, status: 401},
			{name: "token without aud", path: "/admin", token: noAudHS, status: 401},
			{name: "expired within the leeway", path: "/admin", token: justExpired, status: 200},
		})
	})
	t.Run("echo-jwt", func(t *testing.T) {
		e, v, err := newEcho(iss.URL(), aud, iss.HMACSecret())
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		runMigration(t, e, []migrationCase{
			{name: "valid token", path: "/restricted", token: iss.Mint(user, hs), status: 200, body: "hello alice"},
			{name: "no token", path: "/restricted", status: 401, challenge: bearer},
			{name: "malformed Authorization header: 400", path: "/restricted", token: " ", status: 400},
			{name: "token without iss", path: "/restricted", token: noIssHS, status: 401},
			{name: "RS256 token, HS256 allowed", path: "/restricted", token: iss.Mint(user), status: 401},
			{name: "login is not protected", method: http.MethodPost, path: "/login", status: http.StatusNotImplemented},
		})
	})
	t.Run("gin-jwt", func(t *testing.T) {
		r, v, err := newEngine(iss.URL(), aud, iss.HMACSecret())
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		admin := iss.Mint(jwtguardtest.Claims{"sub": "bob", "roles": []string{"admin"}}, hs)
		runMigration(t, r, []migrationCase{
			{name: "valid token", path: "/auth/hello", token: iss.Mint(user, hs), status: 200, body: "hello alice"},
			{name: "no token", path: "/auth/hello", status: 401, challenge: `Bearer realm="orders"`},
			{name: "token without exp: 401 (gin-jwt: 400)", path: "/auth/hello", token: noExpHS, status: 401},
			{name: "admin", path: "/auth/admin", token: admin, status: 200, body: "admin"},
			{name: "not admin: 403 insufficient_scope", path: "/auth/admin", token: iss.Mint(user, hs), status: 403,
				challenge: `Bearer realm="orders", error="insufficient_scope"`},
		})
	})
	t.Run("go-oidc", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		v, err := verifierFor(ctx, iss.URL(), aud)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		c, err := v.Verify(ctx, iss.Mint(jwtguardtest.Claims{"sub": "alice", "email": "alice@example.com"}))
		if err != nil || c.Subject != "alice" {
			t.Fatalf("Verify: %v, %v", c, err)
		}
		runMigration(t, emailHandler(v), []migrationCase{
			{name: "claims decoded", path: "/me", token: iss.Mint(jwtguardtest.Claims{"email": "alice@example.com", "email_verified": true}),
				status: 200, body: "alice@example.com"},
			{name: "no token", path: "/me", status: 401, challenge: bearer},
			{name: "expired", path: "/me", token: iss.Expired(), status: 401, challenge: `Bearer error="invalid_token"`},
		})
	})
}

// runMigration sends each case to h and checks the answer.
func runMigration(t *testing.T, h http.Handler, cases []migrationCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			r := httptest.NewRequest(method, cmp.Or(tc.path, "/"), nil)
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d (body %s)", rec.Code, tc.status, rec.Body)
			}
			if !strings.HasPrefix(rec.Body.String(), tc.body) {
				t.Fatalf("body %q, want it to start with %q", rec.Body, tc.body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, tc.challenge) {
				t.Fatalf("WWW-Authenticate %q, want it to start with %q", got, tc.challenge)
			}
			if rec.Code >= 400 && rec.Code != http.StatusNotImplemented && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("error body is not JSON: %s", rec.Body)
			}
			if rec.Code == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		})
	}
}

// TestMigratingSnippets: every Go block of MIGRATING.md stands, line for
// line, in this file (jwtguard's code) or in bench/migrating_test.go (the
// peers' configurations, compiled and run against the peers' modules).
func TestMigratingSnippets(t *testing.T) {
	t.Parallel()
	const doc = "MIGRATING.md"
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	if intro, _, _ := strings.Cut(string(b), "\n## From "); strings.Contains(intro, "```go") {
		t.Errorf("%s has a Go block outside the guides", doc)
	}
	guides := 0
	for _, line := range strings.Split(string(b), "\n") {
		heading, ok := strings.CutPrefix(line, "## From ")
		if !ok {
			continue
		}
		guides++
		missing, err := snippets.Missing(doc, line, "migrating_test.go", "bench/migrating_test.go")
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range missing {
			t.Errorf("%s, %q: block not in migrating_test.go or bench/migrating_test.go:\n%s", doc, heading, block)
		}
	}
	if guides != 6 {
		t.Errorf("%d guides in %s, want 6", guides, doc)
	}
}
