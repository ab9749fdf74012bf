package profile_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/providertest"
	"github.com/jwtguard/jwtguard/internal/tlstest"
	"github.com/jwtguard/jwtguard/profile"
)

const fixtures = "../testdata/providers"

// The providers' real host names, served by the local TLS server.
var hosts = []string{
	"kc.example.com", "acme.eu.auth0.com", "acme.okta.com", "login.microsoftonline.com",
	"cognito-idp.eu-west-1.amazonaws.com", "www.googleapis.com", "accounts.google.com",
	"auth.acme.example", "acme-x7k2p9.zitadel.cloud", "dex.acme.example",
	"token.actions.githubusercontent.com", "kubernetes.default.svc.cluster.local",
	"spire.acme.example", "oidc-discovery.acme.example",
}

// keys are the test signing keys and self-signed certificates (for x5c and
// the X.509 maps).
type keys struct {
	rsa           *rsa.PrivateKey
	ec            *ecdsa.PrivateKey
	rsaDER, ecDER []byte
	rsaPEM        string
}

var testKeys = sync.OnceValue(func() *keys {
	k := &keys{}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	self := func(priv crypto.Signer) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "signing key"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
		if err != nil {
			panic(err)
		}
		return der
	}
	k.rsaDER, k.ecDER = self(k.rsa), self(k.ec)
	k.rsaPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.rsaDER}))
	return k
})

// providers serves documents at the providers' real URLs (scheme, host
// without port, path) from one local TLS server.
type providers struct {
	mu     sync.Mutex
	docs   map[string][]byte
	hits   map[string]int
	Client *http.Client
}

func newProviders(t *testing.T) *providers {
	t.Helper()
	p := &providers{docs: map[string][]byte{}, hits: map[string]int{}}
	srv, err := tlstest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		key := "https://" + host + r.URL.Path
		p.mu.Lock()
		body, ok := p.docs[key]
		p.hits[key]++
		p.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}), hosts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	p.Client = srv.Client()
	return p
}

// serve publishes body at u (query and port ignored).
func (p *providers) serve(t *testing.T, u string, body []byte) {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(hosts, pu.Hostname()) {
		t.Fatalf("%s: host not in the test certificate", u)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.docs["https://"+pu.Hostname()+pu.Path] = body
}

func (p *providers) hitCount(u string) int {
	pu, _ := url.Parse(u)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits["https://"+pu.Hostname()+pu.Path]
}

// publish serves a fixture's JWKS at the jwks_uri of each of its discovery
// documents, the documents at their issuers' well-known URLs, and the
// X.509 map at Firebase's and Google's certificate URLs.
func (p *providers) publish(t *testing.T, f *providertest.Fixture) {
	t.Helper()
	k := testKeys()
	var pub crypto.PublicKey = k.rsa.Public()
	der := k.rsaDER
	if f.Name == "spiffe" {
		pub, der = k.ec.Public(), k.ecDER
	}
	jwks, err := f.JWKS(pub, der)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range f.Documents {
		var d struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if name == "expect.json" || name == "jwks.json" || json.Unmarshal(doc, &d) != nil || d.JWKSURI == "" {
			continue
		}
		p.serve(t, d.JWKSURI, jwks)
		if iss, err := url.Parse(d.Issuer); err == nil && slices.Contains(hosts, iss.Hostname()) {
			p.serve(t, strings.TrimSuffix(d.Issuer, "/")+"/.well-known/openid-configuration", doc)
		}
	}
	if f.HasX509Map() {
		m, err := f.X509Map(k.rsaPEM)
		if err != nil {
			t.Fatal(err)
		}
		u := "https://www.googleapis.com/oauth2/v1/certs"
		if f.Name == "firebase" {
			u = profile.FirebaseX509URL
		}
		p.serve(t, u, m)
	}
	if b, ok := f.Expect.Profile["bundle_endpoint"].(string); ok {
		p.serve(t, b, jwks)
	}
}

// served loads the fixture name and serves its documents from a new local
// provider server.
func served(t *testing.T, name string) (*providertest.Fixture, *providers) {
	t.Helper()
	f, err := providertest.Load(fixtures + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p := newProviders(t)
	p.publish(t, f)
	return f, p
}

// signer returns the key a fixture's tokens are signed with.
func signer(f *providertest.Fixture) crypto.Signer {
	if f.Name == "spiffe" {
		return testKeys().ec
	}
	return testKeys().rsa
}

// args reads profile arguments.
type args map[string]any

func (a args) str(name string) string { s, _ := a[name].(string); return s }

func (a args) has(name string) bool { v, ok := a[name]; return ok && v != nil }

func (a args) strs(name string) []string {
	l, _ := a[name].([]any)
	var out []string
	for _, v := range l {
		out = append(out, v.(string))
	}
	return out
}

func (a args) flag(name string) bool { b, _ := a[name].(bool); return b }

// setup is what a profile test configures: the entry, the route's
// policies, and verifier options beyond the defaults.
type setup struct {
	issuer   jwtguard.Issuer
	policies []jwtguard.Policy
	opts     []jwtguard.Option
}

// profiles maps each fixture's arguments onto its constructor, as a user
// would configure it.
var profiles = map[string]func(a args) setup{
	"keycloak": func(a args) setup {
		return setup{issuer: profile.Keycloak(a.str("realm_url"), a.str("client_id"), a.strs("allowed_clients")...)}
	},
	"auth0": func(a args) setup {
		var roles []string
		if a.has("roles_claim") {
			roles = append(roles, a.str("roles_claim"))
		}
		return setup{issuer: profile.Auth0(a.str("domain"), a.str("audience"), roles...)}
	},
	"okta": func(a args) setup {
		is := profile.Okta(a.str("issuer"), a.str("audience"))
		is.Clients = a.strs("allowed_clients")
		return setup{issuer: is}
	},
	"entra": func(a args) setup {
		var is jwtguard.Issuer
		if a.has("tenant_id") {
			is = profile.EntraID(a.str("tenant_id"), a.str("client_id"))
		} else {
			is = profile.EntraIDMultiTenant(a.str("client_id"), a.strs("allowed_tenants")...)
		}
		// v1 tokens carry the Application ID URI, v2 tokens the client ID.
		is.Audiences = append(is.Audiences, a.str("app_id_uri"))
		is.Clients = a.strs("allowed_clients")
		return setup{issuer: is}
	},
	"cognito": func(a args) setup {
		if a.str("token_use") == "id" {
			return setup{issuer: profile.CognitoIDTokens(a.str("region"), a.str("user_pool_id"), a.strs("app_client_ids")...)}
		}
		return setup{issuer: profile.Cognito(a.str("region"), a.str("user_pool_id"), a.strs("app_client_ids")...)}
	},
	"google": func(a args) setup {
		s := setup{issuer: profile.Google(a.strs("client_ids")...)}
		if a.has("hosted_domain") {
			s.policies = append(s.policies, jwtguard.RequireTenant(a.str("hosted_domain")))
		}
		if a.flag("require_verified_email") {
			s.policies = append(s.policies, jwtguard.RequireClaim("email_verified", true))
		}
		if a.has("service_accounts") {
			s.policies = append(s.policies, profile.GoogleServiceAccount(a.strs("service_accounts")...))
		}
		return s
	},
	"firebase": func(a args) setup {
		return setup{issuer: profile.Firebase(a.str("project_id")), policies: []jwtguard.Policy{profile.RecentLogin(0)}}
	},
	"hydra": func(a args) setup {
		s := setup{issuer: profile.Hydra(a.str("issuer"), a.str("audience"))}
		if !a.has("audience") {
			// Hydra grants no audience unless asked: an explicit loosening.
			s.opts = append(s.opts, jwtguard.WithoutAudienceCheck())
		}
		if a.has("roles_claim") {
			s.issuer.Claims.Roles = []string{a.str("roles_claim")}
		}
		if a.has("tenant_claim") {
			s.issuer.Claims.Tenant = a.str("tenant_claim")
		}
		s.issuer.Clients = a.strs("allowed_clients")
		return s
	},
	"zitadel": func(a args) setup {
		return setup{issuer: profile.Zitadel(a.str("issuer"), a.str("project_id"))}
	},
	"dex": func(a args) setup {
		s := setup{issuer: profile.Dex(a.str("issuer"), a.str("client_id"))}
		if a.has("role") {
			s.policies = append(s.policies, jwtguard.RequireAnyRole(a.str("role")))
		}
		if a.has("connector_id") {
			s.policies = append(s.policies, jwtguard.RequireClaim("federated_claims.connector_id", a.str("connector_id")))
		}
		return s
	},
	"github-actions": func(a args) setup {
		s := setup{issuer: profile.GitHubActions(a.str("audience"))}
		if a.has("subject_pattern") {
			s.policies = append(s.policies, profile.GitHubSubject(a.str("subject_pattern")))
		}
		if a.has("repository_owner_id") {
			s.policies = append(s.policies, profile.GitHubOwnerID(a.str("repository_owner_id")))
		}
		return s
	},
	"kubernetes": func(a args) setup {
		s := setup{issuer: profile.Kubernetes(a.str("issuer"), a.str("audience"))}
		if a.has("service_account") {
			s.policies = append(s.policies, profile.ServiceAccount(a.str("namespace"), a.str("service_account")))
		} else if a.has("namespace") {
			s.policies = append(s.policies, profile.Namespace(a.str("namespace")))
		}
		return s
	},
	"spiffe": func(a args) setup {
		return setup{issuer: profile.SPIFFE(a.str("trust_domain"), a.str("bundle_endpoint"), a.str("audience"))}
	},
}

// wantErr is the sentinel of each refusal ("<provider>/<kind or variant>").
var wantErr = map[string]error{
	"keycloak/id":                                          jwtguard.ErrInvalidAudience, // aud = the calling client
	"keycloak/other calling client":                        jwtguard.ErrInvalidClaim,
	"keycloak/access token typed ID":                       jwtguard.ErrInvalidTokenType,
	"keycloak/access token without typ":                    jwtguard.ErrInvalidTokenType,
	"keycloak/no audience mapper":                          jwtguard.ErrInvalidAudience,
	"keycloak/other realm":                                 jwtguard.ErrInvalidIssuer,
	"keycloak/expired":                                     jwtguard.ErrTokenExpired,
	"auth0/issuer without trailing slash":                  jwtguard.ErrInvalidIssuer,
	"auth0/other tenant":                                   jwtguard.ErrInvalidIssuer,
	"auth0/other API audience":                             jwtguard.ErrInvalidAudience,
	"okta/org authorization server":                        jwtguard.ErrInvalidIssuer,
	"okta/other client":                                    jwtguard.ErrInvalidClaim,
	"okta/other audience":                                  jwtguard.ErrInvalidAudience,
	"okta/default authorization server":                    jwtguard.ErrInvalidIssuer,
	"entra/v2 other tenant":                                jwtguard.ErrInvalidIssuer,
	"entra/v1 other tenant":                                jwtguard.ErrInvalidIssuer,
	"entra/issuer tenant differs from tid":                 jwtguard.ErrInvalidIssuer,
	"entra/v2 other calling app":                           jwtguard.ErrInvalidClaim,
	"entra/v1 other calling app":                           jwtguard.ErrInvalidClaim,
	"entra/token for Microsoft Graph":                      jwtguard.ErrInvalidAudience,
	"entra/v2 ID token":                                    jwtguard.ErrMissingClaim,
	"entra/v2 ID token with app roles":                     jwtguard.ErrMissingClaim,
	"entra/v1 ID token with app roles":                     jwtguard.ErrMissingClaim,
	"entra/ID token, multi-tenant profile":                 jwtguard.ErrMissingClaim,
	"cognito/id":                                           jwtguard.ErrInvalidTokenType,
	"cognito/access token refused by an id-token profile":  jwtguard.ErrInvalidAudience,
	"cognito/other app client":                             jwtguard.ErrInvalidClaim,
	"cognito/id token of other app client":                 jwtguard.ErrInvalidAudience,
	"cognito/access token claiming token_use id":           jwtguard.ErrInvalidTokenType,
	"cognito/token_use missing":                            jwtguard.ErrInvalidTokenType,
	"cognito/other user pool":                              jwtguard.ErrInvalidIssuer,
	"cognito/other region":                                 jwtguard.ErrInvalidIssuer,
	"google/other client":                                  jwtguard.ErrInvalidAudience,
	"google/other hosted domain":                           jwtguard.ErrForbidden,
	"google/consumer account":                              jwtguard.ErrForbidden,
	"google/unverified email":                              jwtguard.ErrForbidden,
	"google/other Google issuer":                           jwtguard.ErrInvalidIssuer,
	"google/service account of another project":            jwtguard.ErrForbidden,
	"firebase/other project":                               jwtguard.ErrInvalidIssuer,
	"firebase/aud of another project":                      jwtguard.ErrInvalidAudience,
	"firebase/Google ID token issuer":                      jwtguard.ErrInvalidIssuer,
	"firebase/auth_time in the future":                     jwtguard.ErrForbidden,
	"firebase/empty subject":                               jwtguard.ErrMissingClaim,
	"hydra/no audience granted but one required":           jwtguard.ErrInvalidAudience,
	"hydra/other audience granted":                         jwtguard.ErrInvalidAudience,
	"hydra/other client":                                   jwtguard.ErrInvalidClaim,
	"hydra/other issuer":                                   jwtguard.ErrInvalidIssuer,
	"zitadel/other project":                                jwtguard.ErrInvalidAudience,
	"zitadel/other instance":                               jwtguard.ErrInvalidIssuer,
	"dex/other client":                                     jwtguard.ErrInvalidAudience,
	"dex/other issuer":                                     jwtguard.ErrInvalidIssuer,
	"dex/expired":                                          jwtguard.ErrTokenExpired,
	"dex/team of a look-alike organization":                jwtguard.ErrForbidden,
	"dex/organization name as a bare group":                jwtguard.ErrForbidden,
	"dex/group from another connector":                     jwtguard.ErrForbidden,
	"github-actions/lookalike owner":                       jwtguard.ErrForbidden,
	"github-actions/lookalike owner, owner ID not checked": jwtguard.ErrForbidden,
	"github-actions/other owner ID":                        jwtguard.ErrForbidden,
	"github-actions/other audience":                        jwtguard.ErrInvalidAudience,
	"github-actions/not before in the future":              jwtguard.ErrTokenNotYetValid,
	"kubernetes/other namespace":                           jwtguard.ErrForbidden,
	"kubernetes/other service account":                     jwtguard.ErrForbidden,
	"kubernetes/API server audience":                       jwtguard.ErrInvalidAudience,
	"kubernetes/sub disagrees with kubernetes.io":          jwtguard.ErrForbidden,
	"spiffe/other trust domain":                            jwtguard.ErrInvalidIssuer,
	"spiffe/lookalike trust domain":                        jwtguard.ErrInvalidIssuer,
	"spiffe/sub not a SPIFFE ID":                           jwtguard.ErrInvalidIssuer,
	"spiffe/other audience":                                jwtguard.ErrInvalidAudience,
	"spiffe/no aud":                                        jwtguard.ErrInvalidAudience,
	"spiffe/expired":                                       jwtguard.ErrTokenExpired,
}

// tokenCase is one row of a fixture's table: a token kind or a variant.
type tokenCase struct {
	name    string
	args    args
	header  map[string]any
	claims  map[string]any
	outcome providertest.Outcome
}

func TestProviders(t *testing.T) {
	all, err := providertest.LoadAll(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 13 {
		t.Fatalf("want 13 provider fixtures, got %d", len(all))
	}
	kinds := 0
	for _, f := range all {
		kinds += len(f.Tokens)
	}
	if kinds != 17 { // 16 token types + Entra's many-groups copy of access-v2
		t.Errorf("want 17 token files, got %d", kinds)
	}
	seen := map[string]bool{}
	for _, f := range all {
		t.Run(f.Name, func(t *testing.T) {
			build, ok := profiles[f.Name]
			if !ok {
				t.Fatalf("no profile for fixture %s", f.Name)
			}
			p := newProviders(t)
			p.publish(t, f)
			now := time.Now()
			var cases []tokenCase
			for _, te := range f.Expect.Tokens {
				h, c, err := f.Token(te.Kind, now, nil)
				if err != nil {
					t.Fatal(err)
				}
				cases = append(cases, tokenCase{te.Kind, args(f.Expect.Profile), h, c, te.Outcome})
			}
			for _, v := range f.Expect.Variants {
				h, c, err := f.VariantToken(v, now)
				if err != nil {
					t.Fatal(err)
				}
				cases = append(cases, tokenCase{v.Name, args(f.ProfileFor(v)), h, c, v.Outcome})
			}
			for _, tc := range cases {
				key := f.Name + "/" + tc.name
				seen[key] = true
				t.Run(tc.name, func(t *testing.T) {
					tok, err := providertest.Sign(tc.header, tc.claims, signer(f))
					if err != nil {
						t.Fatal(err)
					}
					if tc.outcome.MinTokenBytes > 0 && len(tok) <= tc.outcome.MinTokenBytes {
						t.Fatalf("token is %d bytes, the table says more than %d", len(tok), tc.outcome.MinTokenBytes)
					}
					s := build(tc.args)
					claims, err := check(t, p, s, tok)
					if !tc.outcome.Accept {
						if err == nil {
							t.Fatalf("accepted; want refused: %s", tc.outcome.Reason)
						}
						want, ok := wantErr[key]
						if !ok {
							t.Fatalf("refused (%v) but no sentinel listed for %q", err, key)
						}
						if !errors.Is(err, want) {
							t.Fatalf("refused with %v; want %v (%s)", err, want, tc.outcome.Reason)
						}
						return
					}
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if _, ok := wantErr[key]; ok {
						t.Errorf("%q is accepted but listed in wantErr", key)
					}
					compare(t, claims, tc.outcome)
				})
			}
		})
	}
	for key := range wantErr {
		if !seen[key] {
			t.Errorf("wantErr lists %q, which no fixture has", key)
		}
	}
}

// check verifies tok with the profile alone (plus its policies) and
// returns the claims or the error.
func check(t *testing.T, p *providers, s setup, tok string) (*jwtguard.Claims, error) {
	t.Helper()
	opts := append([]jwtguard.Option{
		jwtguard.Trust(s.issuer),
		jwtguard.WithAlgorithms("RS256", "ES256"),
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{Client: p.Client}),
		jwtguard.WithLogger(slog.New(slog.DiscardHandler)),
	}, s.opts...)
	v, err := jwtguard.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("keys not loaded from the provider's URL: %v", err)
	}
	c, err := v.Verify(ctx, tok)
	if err != nil {
		return nil, err
	}
	if err := jwtguard.Authorize(c, s.policies...); err != nil {
		return nil, err
	}
	return c, nil
}

// compare checks the mapped claims against the table.
func compare(t *testing.T, c *jwtguard.Claims, want providertest.Outcome) {
	t.Helper()
	if want.Subject != "" && c.Subject != want.Subject {
		t.Errorf("subject %q, want %q", c.Subject, want.Subject)
	}
	if want.Client != "" {
		got := c.ClientID
		if got == "" && len(c.Audience) == 1 {
			got = c.Audience[0] // an ID token without azp: its client is its aud
		}
		if got != want.Client {
			t.Errorf("client %q, want %q", got, want.Client)
		}
	}
	sameSet(t, "roles", c.Roles, want.Roles)
	sameSet(t, "scopes", c.Scopes, want.Scopes)
	sameSet(t, "permissions", c.Permissions, want.Permissions)
	if c.Tenant != want.Tenant {
		t.Errorf("tenant %q, want %q", c.Tenant, want.Tenant)
	}
	tenants := want.Tenants
	if tenants == nil && want.Tenant != "" {
		tenants = []string{want.Tenant}
	}
	sameSet(t, "tenants", c.Tenants, tenants)
	for path, v := range want.Claims {
		got, ok := c.Get(claimPath(path))
		if !ok {
			t.Errorf("claim %s missing", path)
			continue
		}
		if !reflect.DeepEqual(normalize(got), normalize(v)) {
			t.Errorf("claim %s = %#v, want %#v", path, got, v)
		}
	}
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("%s %q, want %q", what, g, w)
	}
}

// claimPath turns a fixture path ("kubernetes\.io.namespace") into a
// jwtguard claim path ("[kubernetes.io].namespace").
func claimPath(p string) string {
	segs := providertest.SplitPath(p)
	for i, s := range segs {
		if strings.Contains(s, ".") {
			segs[i] = "[" + s + "]"
		}
	}
	return strings.Join(segs, ".")
}

// normalize makes JSON values comparable (numbers as float64).
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
