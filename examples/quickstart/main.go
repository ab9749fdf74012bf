// Command quickstart runs a protected API next to an embedded identity
// provider, so jwtguard can be tried with nothing else installed. Run it
// from the repository root:
//
//	go run ./examples/quickstart          # serve on 127.0.0.1:8080 and print curl commands
//	go run ./examples/quickstart -check   # make the requests itself; exit 0 only if all are as expected
//
// The verifier trusts one issuer, jwtguard.WithIssuer(url, jwtguard.Discovery()).
// main waits for Verifier.Ready before serving and logs its error, which
// names the issuer that is not ready and its last fetch error. Key-source
// failures are also logged to slog.Default().
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/examples/internal/demo"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

func main() { demo.Main("127.0.0.1:8080", run) }

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
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "ES256", "EdDSA"),
		jwtguard.WithRealm("quickstart"),
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

	// 3. Routes: every route behind the middleware; /admin also needs a role.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s (roles %v)\n", c.Subject, c.Roles)
	})
	mux.Handle("GET /admin", nethttp.Require(jwtguard.RequireAnyRole("admin"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "welcome to the admin area") })))
	handler := nethttp.Middleware(v)(mux)

	exp := time.Now().Add(time.Hour).Unix()
	admin := idp.Mint(jwtguardtest.Claims{"sub": "alice", "roles": []string{"admin"}, "exp": exp})
	user := idp.Mint(jwtguardtest.Claims{"sub": "bob", "roles": []string{"user"}, "exp": exp}, jwtguardtest.WithAlg("ES256"))

	return demo.Serve(addr, check, handler, "quickstart", []demo.Step{
		demo.Get("admin token on /admin", "/admin", admin, http.StatusOK),
		demo.Get("user token on /admin", "/admin", user, http.StatusForbidden),
		demo.Get("user token on /hello", "/hello", user, http.StatusOK),
		demo.Get("no token on /hello", "/hello", "", http.StatusUnauthorized),
		demo.Get("expired token on /hello", "/hello", idp.Expired(), http.StatusUnauthorized),
	})
}
