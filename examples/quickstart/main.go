// Command quickstart runs a protected API next to an embedded identity
// provider, so jwtguard can be tried with nothing else installed:
//
//	go run ./examples/quickstart          # serve on 127.0.0.1:8080 and print curl commands
//	go run ./examples/quickstart -check   # make the requests itself; exit 0 only if all are as expected
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

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address of the protected API")
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
	// 1. An identity provider (in a real service: your Auth0, Keycloak,
	//    Entra ID, Cognito, ... issuer URL).
	idp, err := jwtguardtest.StartIssuer()
	if err != nil {
		return err
	}
	defer idp.Close()

	// 2. The verifier: where the keys are, who may issue, for whom, how signed.
	v, err := jwtguard.New(
		jwtguard.WithDiscovery(idp.URL()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "ES256", "EdDSA"),
		jwtguard.WithRealm("quickstart"),
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

	// 3. Routes: every route behind the middleware; /admin also needs a role.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s (roles %v)\n", c.Subject, c.Roles)
	})
	mux.Handle("GET /admin", nethttp.Require(jwtguard.RequireRole("admin"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "welcome to the admin area") })))
	handler := nethttp.Middleware(v)(mux)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	exp := time.Now().Add(time.Hour).Unix()
	admin := idp.Mint(jwtguardtest.Claims{"sub": "alice", "roles": []string{"admin"}, "exp": exp})
	user := idp.Mint(jwtguardtest.Claims{"sub": "bob", "roles": []string{"user"}, "exp": exp}, jwtguardtest.WithAlg("ES256"))

	steps := []struct {
		what, path, token string
		want              int
	}{
		{"admin token on /admin", "/admin", admin, http.StatusOK},
		{"user token on /admin", "/admin", user, http.StatusForbidden},
		{"user token on /hello", "/hello", user, http.StatusOK},
		{"no token on /hello", "/hello", "", http.StatusUnauthorized},
		{"expired token on /hello", "/hello", idp.Expired(), http.StatusUnauthorized},
	}
	if !check {
		fmt.Printf("jwtguard quickstart: API on %s, identity provider on %s\n\n", base, idp.URL())
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
		fmt.Printf("%s %-26s GET %-7s → %d (want %d) %s\n", mark, s.what, s.path, resp.StatusCode, s.want,
			strings.TrimSpace(firstLine(string(body), resp.Header.Get("WWW-Authenticate"))))
	}
	if failed > 0 {
		return errors.New("quickstart check failed")
	}
	fmt.Println("quickstart check passed")
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
