// Command chi runs a chi API protected by jwtguard next to an embedded
// identity provider, so it can be tried with nothing else installed. Run it
// from the repository root:
//
//	go run ./examples/chi          # serve on 127.0.0.1:8083 and print curl commands
//	go run ./examples/chi -check   # make the requests itself; exit 0 only if all are as expected
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/jwtguard/jwtguard"
	jwtchi "github.com/jwtguard/jwtguard/chi"
	"github.com/jwtguard/jwtguard/examples/internal/demo"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

func main() { demo.Main("127.0.0.1:8083", run) }

func run(addr string, check bool) error {
	// An identity provider (in a real service: your IdP's issuer URL).
	idp, err := jwtguardtest.StartIssuer()
	if err != nil {
		return err
	}
	defer idp.Close()

	v, err := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "ES256"),
		jwtguard.WithRealm("chi-example"),
	)
	if err != nil {
		return err
	}
	defer v.Close()

	// New never waits for the network: the keys load in the background.
	// Wait for them before serving, and log why they are not there (until
	// they arrive, requests get 503 with Retry-After, never a 401).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = v.Ready(ctx)
	cancel()
	if err != nil {
		slog.Error("jwtguard is not ready", "error", err)
	}

	r := chi.NewRouter()
	r.Get("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }) // public
	r.Route("/api", func(r chi.Router) {
		r.Use(jwtchi.Middleware(v))
		r.Get("/hello", func(w http.ResponseWriter, r *http.Request) {
			claims, _ := jwtguard.FromContext(r.Context())
			fmt.Fprintf(w, "hello %s (roles %v)\n", claims.Subject, claims.Roles)
		})
		r.With(jwtchi.Require(jwtguard.RequireAnyRole("admin"))).Get("/admin", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "welcome to the admin area")
		})
		r.Route("/tenants/{tenant}", func(r chi.Router) {
			r.Use(jwtchi.RequireTenantParam("tenant"), jwtchi.Require(jwtguard.RequireAllScopes("orders:read")))
			r.Get("/orders", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "orders of %s\n", chi.URLParam(r, "tenant"))
			})
		})
	})

	exp := time.Now().Add(time.Hour).Unix()
	admin := idp.Mint(jwtguardtest.Claims{"sub": "alice", "roles": []string{"admin"}, "tenant_id": "acme", "scope": "orders:read", "exp": exp})
	user := idp.Mint(jwtguardtest.Claims{"sub": "bob", "roles": []string{"user"}, "tenant_id": "globex", "exp": exp}, jwtguardtest.WithAlg("ES256"))
	return demo.Serve(addr, check, r, "chi", []demo.Step{
		demo.Get("no token on /health (public)", "/health", "", http.StatusOK),
		demo.Get("no token on /api/hello", "/api/hello", "", http.StatusUnauthorized),
		demo.Get("user token on /api/hello", "/api/hello", user, http.StatusOK),
		demo.Get("expired token on /api/hello", "/api/hello", idp.Expired(), http.StatusUnauthorized),
		demo.Get("admin token on /api/admin", "/api/admin", admin, http.StatusOK),
		demo.Get("user token on /api/admin", "/api/admin", user, http.StatusForbidden),
		demo.Get("acme token, acme orders", "/api/tenants/acme/orders", admin, http.StatusOK),
		demo.Get("acme token, globex orders", "/api/tenants/globex/orders", admin, http.StatusForbidden),
		demo.Get("globex token without scope", "/api/tenants/globex/orders", user, http.StatusForbidden),
	})
}
