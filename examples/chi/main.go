// Command chi runs a chi API protected by jwtguard next to an embedded
// identity provider, so it can be tried with nothing else installed:
//
//	go run ./examples/chi          # serve on 127.0.0.1:8083 and print curl commands
//	go run ./examples/chi -check   # make the requests itself; exit 0 only if all are as expected
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jwtguard/jwtguard"
	jwtchi "github.com/jwtguard/jwtguard/chi"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8083", "listen address of the protected API")
	check := flag.Bool("check", false, "make the example requests, print each status and exit 0 only if all are as expected")
	flag.Parse()
	if *check && !flagSet("addr") {
		*addr = "127.0.0.1:0" // never collide with a busy port
	}
	if err := run(*addr, *check); err != nil {
		log.SetFlags(0)
		log.Fatal(err)
	}
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func run(addr string, check bool) error {
	// An identity provider (in a real service: your IdP's issuer URL).
	idp, err := jwtguardtest.StartIssuer()
	if err != nil {
		return err
	}
	defer idp.Close()

	v, err := jwtguard.New(
		jwtguard.WithDiscovery(idp.URL()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "ES256"),
		jwtguard.WithRealm("chi-example"),
	)
	if err != nil {
		return err
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		return err
	}

	r := chi.NewRouter()
	r.Get("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }) // public
	r.Route("/api", func(r chi.Router) {
		r.Use(jwtchi.Middleware(v))
		r.Get("/hello", func(w http.ResponseWriter, r *http.Request) {
			claims, _ := jwtguard.FromContext(r.Context())
			fmt.Fprintf(w, "hello %s (roles %v)\n", claims.Subject, claims.Roles)
		})
		r.With(jwtchi.Require(jwtguard.RequireRole("admin"))).Get("/admin", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "welcome to the admin area")
		})
		r.Route("/tenants/{tenant}", func(r chi.Router) {
			r.Use(jwtchi.RequireTenantParam("tenant"), jwtchi.Require(jwtguard.RequireScope("orders:read")))
			r.Get("/orders", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "orders of %s\n", chi.URLParam(r, "tenant"))
			})
		})
	})

	exp := time.Now().Add(time.Hour).Unix()
	admin := idp.Mint(jwtguardtest.Claims{"sub": "alice", "roles": []string{"admin"}, "tenant_id": "acme", "scope": "orders:read", "exp": exp})
	user := idp.Mint(jwtguardtest.Claims{"sub": "bob", "roles": []string{"user"}, "tenant_id": "globex", "exp": exp}, jwtguardtest.WithAlg("ES256"))
	return serve(addr, check, r, "chi", []step{
		{"no token on /health (public)", "/health", "", http.StatusOK},
		{"no token on /api/hello", "/api/hello", "", http.StatusUnauthorized},
		{"user token on /api/hello", "/api/hello", user, http.StatusOK},
		{"expired token on /api/hello", "/api/hello", idp.Expired(), http.StatusUnauthorized},
		{"admin token on /api/admin", "/api/admin", admin, http.StatusOK},
		{"user token on /api/admin", "/api/admin", user, http.StatusForbidden},
		{"acme token, acme orders", "/api/tenants/acme/orders", admin, http.StatusOK},
		{"acme token, globex orders", "/api/tenants/globex/orders", admin, http.StatusForbidden},
		{"globex token without scope", "/api/tenants/globex/orders", user, http.StatusForbidden},
	})
}

type step struct {
	what, path, token string
	want              int
}

// serve listens on addr and either prints curl commands and waits for
// Ctrl-C, or (check) makes each request and compares the status.
func serve(addr string, check bool, h http.Handler, name string, steps []step) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	if !check {
		fmt.Printf("jwtguard %s example: API on %s\n\n", name, base)
		for _, s := range steps {
			fmt.Printf("# %s → expect %d\n", s.what, s.want)
			if s.token != "" {
				fmt.Printf("curl -i -H 'Authorization: Bearer %s' %s%s\n\n", s.token, base, s.path)
			} else {
				fmt.Printf("curl -i %s%s\n\n", base, s.path)
			}
		}
		fmt.Println("Ctrl-C to stop.")
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		<-sig
		return nil
	}
	failed := 0
	for _, s := range steps {
		req, _ := http.NewRequest(http.MethodGet, base+s.path, nil)
		if s.token != "" {
			req.Header.Set("Authorization", "Bearer "+s.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mark := "ok  "
		if resp.StatusCode != s.want {
			mark = "FAIL"
			failed++
		}
		fmt.Printf("%s %-30s GET %-26s → %d (want %d) %s\n", mark, s.what, s.path, resp.StatusCode, s.want,
			strings.TrimSpace(firstLine(string(body), resp.Header.Get("WWW-Authenticate"))))
	}
	if failed > 0 {
		return errors.New(name + " example check failed")
	}
	fmt.Println(name + " example check passed")
	return nil
}

func firstLine(body, challenge string) string {
	if challenge != "" {
		return "WWW-Authenticate: " + challenge
	}
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		return body[:i]
	}
	return body
}
