// Command multitenant runs an API shared by two tenants, each with its own
// identity provider (two issuers, different keys), on plain net/http, so it
// can be tried with nothing else installed. Run it from the repository root:
//
//	go run ./examples/multitenant          # serve on 127.0.0.1:8084 and print curl commands
//	go run ./examples/multitenant -check   # make the requests itself; exit 0 only if all are as expected
//
// What it shows:
//   - jwtguard.Trust with two jwtguard.Issuer entries, one per tenant, with
//     different key sources (OIDC discovery, a JWKS URL) and algorithms:
//     each token's entry is chosen by its iss, among the configured issuers
//     only. A token claiming issuer B but signed by A's key is refused
//     (401); a token from an unknown issuer is refused (401) without any
//     request to it.
//   - nethttp.RequireTenantPathValue: /tenants/{tenant}/orders needs the
//     token's tenant_id to equal {tenant} (403 otherwise).
//   - Each issuer is pinned to its tenant with a jwtguard.Policy: a token
//     from acme's issuer that claims tenant globex is refused (403), so one
//     tenant's identity provider cannot mint access to another tenant.
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

func main() { demo.Main("127.0.0.1:8084", run) }

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
		jwtguard.Trust(
			jwtguard.Issuer{ID: acmeIdP.URL(), Keys: jwtguard.Discovery(), Audiences: []string{"orders-api"}},
			jwtguard.Issuer{ID: globexIdP.URL(), Keys: jwtguard.JWKS(globexIdP.JWKSURL()), Audiences: []string{"orders-api"},
				Algorithms: []string{"ES256"}},
		),
		jwtguard.WithAlgorithms("RS256", "ES256"),
		jwtguard.WithRealm("multitenant-example"),
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

	issuerPinsTenant := jwtguard.Policy(func(c *jwtguard.Claims) error {
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

	return demo.Serve(addr, check, handler, "multitenant", []demo.Step{
		demo.Get("acme token, acme orders", "/tenants/acme/orders", acme, http.StatusOK),
		demo.Get("globex token, globex orders", "/tenants/globex/orders", globex, http.StatusOK),
		demo.Get("acme token, globex orders", "/tenants/globex/orders", acme, http.StatusForbidden),
		demo.Get("globex token, acme orders", "/tenants/acme/orders", globex, http.StatusForbidden),
		demo.Get("acme's issuer claiming tenant globex", "/tenants/globex/orders", acmeClaimsGlobex, http.StatusForbidden),
		demo.Get("iss globex, signed by acme's key", "/tenants/globex/orders", forgedIssuer, http.StatusUnauthorized),
		demo.Get("untrusted issuer", "/tenants/acme/orders", stranger, http.StatusUnauthorized),
		demo.Get("globex token with an alg globex may not use", "/tenants/globex/orders", globexRS256, http.StatusUnauthorized),
		demo.Get("no token", "/tenants/acme/orders", "", http.StatusUnauthorized),
	})
}
