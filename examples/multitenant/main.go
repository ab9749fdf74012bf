// Command multitenant runs an API shared by two tenants, each with its own
// identity provider (two issuers, different keys), on plain net/http, so it
// can be tried with nothing else installed:
//
//	go run ./examples/multitenant          # serve on 127.0.0.1:8084 and print curl commands
//	go run ./examples/multitenant -check   # make the requests itself; exit 0 only if all are as expected
//
// What it shows:
//   - jwtguard.WithIssuers: each token's key set is chosen by its iss, among
//     the configured issuers only. A token claiming issuer B but signed by A's
//     key is refused (401); a token from an unknown issuer is refused (401)
//     without any request to it.
//   - nethttp.RequireTenantPathValue: /tenants/{tenant}/orders needs the
//     token's tenant_id to equal {tenant} (403 otherwise).
//   - Each issuer is pinned to its tenant with a jwtguard.PolicyFunc: a token
//     from acme's issuer that claims tenant globex is refused (403), so one
//     tenant's identity provider cannot mint access to another tenant.
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
	addr := flag.String("addr", "127.0.0.1:8084", "listen address of the protected API")
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
	// Two identity providers, one per tenant (in a real service: e.g. two
	// Keycloak realms, or two Entra ID tenants), and a third that nobody
	// trusts.
	var idps [3]*jwtguardtest.Issuer
	for i := range idps {
		idp, err := jwtguardtest.StartIssuer()
		if err != nil {
			return err
		}
		defer idp.Close()
		idps[i] = idp
	}
	acmeIdP, globexIdP, strangerIdP := idps[0], idps[1], idps[2]

	// Which tenant each trusted issuer may speak for.
	tenantOf := map[string]string{acmeIdP.URL(): "acme", globexIdP.URL(): "globex"}

	v, err := jwtguard.New(
		jwtguard.WithIssuers(
			jwtguard.IssuerConfig{Issuer: acmeIdP.URL(), Discovery: true, Audiences: []string{"orders-api"}},
			jwtguard.IssuerConfig{Issuer: globexIdP.URL(), JWKSURL: globexIdP.JWKSURL(), Audiences: []string{"orders-api"},
				Algorithms: []string{"ES256"}},
		),
		jwtguard.WithAlgorithms("RS256", "ES256"),
		jwtguard.WithRealm("multitenant-example"),
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

	issuerPinsTenant := jwtguard.PolicyFunc(func(c *jwtguard.Claims) error {
		if want, ok := tenantOf[c.Issuer]; ok && c.Tenant == want {
			return nil
		}
		return jwtguard.Deny("the token's issuer may not grant access to this tenant")
	})

	mux := http.NewServeMux()
	mux.Handle("GET /tenants/{tenant}/orders", nethttp.RequireTenantPathValue("tenant")(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			c, _ := jwtguard.FromContext(r.Context())
			fmt.Fprintf(w, "orders of %s, for %s\n", r.PathValue("tenant"), c.Subject)
		})))
	handler := nethttp.Middleware(v)(nethttp.Require(issuerPinsTenant)(mux))

	exp := time.Now().Add(time.Hour).Unix()
	claims := func(sub, tenant string) jwtguardtest.Claims {
		return jwtguardtest.Claims{"sub": sub, "tenant_id": tenant, "aud": "orders-api", "exp": exp}
	}
	es256 := jwtguardtest.WithAlg("ES256")
	acme := acmeIdP.Mint(claims("alice@acme", "acme"))
	globex := globexIdP.Mint(claims("bob@globex", "globex"), es256)
	// acme's issuer (a genuine signature) minting a globex tenant claim.
	acmeClaimsGlobex := acmeIdP.Mint(claims("mallory@acme", "globex"))
	// Claims to come from globex's issuer, but is signed with acme's key.
	forgedIssuer := acmeIdP.Mint(jwtguardtest.Claims{"iss": globexIdP.URL(), "sub": "mallory", "tenant_id": "globex",
		"aud": "orders-api", "exp": exp}, es256)
	stranger := strangerIdP.Mint(claims("eve", "acme"))
	globexRS256 := globexIdP.Mint(claims("bob@globex", "globex"))

	return serve(addr, check, handler, "multitenant", []step{
		{"acme token, acme orders", "/tenants/acme/orders", acme, http.StatusOK},
		{"globex token, globex orders", "/tenants/globex/orders", globex, http.StatusOK},
		{"acme token, globex orders", "/tenants/globex/orders", acme, http.StatusForbidden},
		{"globex token, acme orders", "/tenants/acme/orders", globex, http.StatusForbidden},
		{"acme's issuer claiming tenant globex", "/tenants/globex/orders", acmeClaimsGlobex, http.StatusForbidden},
		{"iss globex, signed by acme's key", "/tenants/globex/orders", forgedIssuer, http.StatusUnauthorized},
		{"untrusted issuer", "/tenants/acme/orders", stranger, http.StatusUnauthorized},
		{"globex token with an alg globex may not use", "/tenants/globex/orders", globexRS256, http.StatusUnauthorized},
		{"no token", "/tenants/acme/orders", "", http.StatusUnauthorized},
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
		fmt.Printf("%s %-44s GET %-22s → %d (want %d) %s\n", mark, s.what, s.path, resp.StatusCode, s.want,
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
