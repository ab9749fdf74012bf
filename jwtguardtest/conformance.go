package jwtguardtest

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/introspect"
	"github.com/jwtguard/jwtguard/throttle"
)

// The suite's routes (see [Routes]).
const (
	routeProtected = "/protected"
	routeAdmin     = "/admin"
	routeScoped    = "/scoped"
	routeTenant    = "/tenants/{tenant}/orders"
	routeOptional  = "/optional"
	routeSkipped   = "/skipped"
	routePreflight = "/preflight"
	// scopeRead is the scope routeScoped requires.
	scopeRead = "orders:read"
)

// Routes are what the handler built for [RunMiddlewareTests] serves, for
// GET, POST and OPTIONS (for [RunErrorHandlerTests], see
// [ErrorHandlerBuild]).
// Each route ends in a handler that calls [Routes.WriteClaims]. Paths use
// net/http's {name} wildcards; write Tenant as your router does (Echo and
// Gin: "/tenants/:tenant/orders").
type Routes struct {
	// Protected is behind the adapter's Middleware(v).
	Protected string
	// Admin is behind Middleware(v) and the adapter's Require(AdminPolicy).
	Admin string
	// AdminPolicy requires the role "admin".
	AdminPolicy jwtguard.Policy
	// Scoped is behind Middleware(v) and the adapter's
	// Require(ScopedPolicy).
	Scoped string
	// ScopedPolicy requires the scope "orders:read".
	ScopedPolicy jwtguard.Policy
	// Tenant is "/tenants/{tenant}/orders", behind Middleware(v) and the
	// adapter's policy on the path parameter TenantParam
	// (RequireTenantParam, or net/http's RequireTenantPathValue).
	Tenant string
	// TenantParam is the name of Tenant's path parameter: "tenant".
	TenantParam string
	// Optional is behind Middleware(v) with credentials optional.
	Optional string
	// Skipped is behind Middleware(v) with a skipper that returns true for
	// this path.
	Skipped string
	// Preflight is behind Middleware(v) with the adapter's
	// WithPreflight(PreflightHandler): CORS preflights are answered by
	// PreflightHandler and never reach the route's handler; every other
	// request is authenticated.
	Preflight string
	// PreflightHandler stands for a CORS library's preflight answer: 204
	// with Access-Control-Allow-Origin set to the request's Origin.
	PreflightHandler http.Handler
}

// suiteRoutes returns the routes every build serves.
func suiteRoutes() Routes {
	return Routes{
		Protected:    routeProtected,
		Admin:        routeAdmin,
		AdminPolicy:  jwtguard.RequireAnyRole("admin"),
		Scoped:       routeScoped,
		ScopedPolicy: jwtguard.RequireAllScopes(scopeRead),
		Tenant:       routeTenant,
		TenantParam:  "tenant",
		Optional:     routeOptional,
		Skipped:      routeSkipped,
		Preflight:    routePreflight,
		PreflightHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			w.WriteHeader(http.StatusNoContent)
		}),
	}
}

// response is what [Routes.WriteClaims] writes and the suite reads back.
type response struct {
	// Claims reports whether the framework's own accessor returned claims.
	Claims    bool   `json:"claims"`
	Subject   string `json:"sub,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
	CtxClaims bool   `json:"ctx_claims"`
	CtxSub    string `json:"ctx_sub,omitempty"`
}

// WriteClaims is the body of the final handler of every route: it answers
// 200 with what the handler sees, which the suite checks. fromFramework are
// the claims the framework's own accessor returns (e.g.
// jwtecho.FromContext(c)); r is the request, whose context is read with
// jwtguard.FromContext.
func (Routes) WriteClaims(w http.ResponseWriter, r *http.Request, fromFramework *jwtguard.Claims) {
	resp := response{Claims: fromFramework != nil}
	if fromFramework != nil {
		resp.Subject, resp.Tenant = fromFramework.Subject, fromFramework.Tenant
	}
	if c, ok := jwtguard.FromContext(r.Context()); ok {
		resp.CtxClaims, resp.CtxSub = true, c.Subject
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
}

// sentinels are the sentinel errors of package jwtguard, in the order of
// its error table. Every one of them must be produced by at least one row
// of [conformanceRows]; RunMiddlewareTests fails otherwise, and this
// package's tests fail when jwtguard gains a sentinel missing here.
var sentinels = []error{
	jwtguard.ErrNoToken,
	jwtguard.ErrInvalidRequest,
	jwtguard.ErrCrossOrigin,
	jwtguard.ErrTokenTooLarge,
	jwtguard.ErrMalformedToken,
	jwtguard.ErrAlgorithmNotAllowed,
	jwtguard.ErrKeyNotFound,
	jwtguard.ErrInvalidSignature,
	jwtguard.ErrInvalidTokenType,
	jwtguard.ErrInvalidClaim,
	jwtguard.ErrMissingClaim,
	jwtguard.ErrTokenExpired,
	jwtguard.ErrTokenNotYetValid,
	jwtguard.ErrTokenIssuedInFuture,
	jwtguard.ErrInvalidIssuer,
	jwtguard.ErrInvalidAudience,
	jwtguard.ErrTokenRevoked,
	jwtguard.ErrTokenInactive,
	jwtguard.ErrRevocationUnavailable,
	jwtguard.ErrIntrospectionUnavailable,
	jwtguard.ErrKeysUnavailable,
	jwtguard.ErrForbidden,
	jwtguard.ErrProofOfPossession,
	jwtguard.ErrThrottled,
	dpop.ErrInvalidProof,
	dpop.ErrUseNonce,
}

// BuildFunc builds the handler under test: the adapter's middleware for
// verifier v serving routes.
type BuildFunc func(t *testing.T, v *jwtguard.Verifier, routes Routes) http.Handler

// The verifiers the rows run against; see [fixtures.verifier].
const (
	vDefault           = "default"
	vCookie            = "cookie"
	vTokenType         = "token-type"
	vTokenUse          = "token-use"
	vClients           = "clients"
	vRequiredJTI       = "required-jti"
	vSmallTokens       = "small-tokens"
	vRevoked           = "revoked"
	vRevocationDown    = "revocation-down"
	vIntrospection     = "introspection"
	vIntrospectionDown = "introspection-down"
	vKeysDown          = "keys-down"
	vQuickRefresh      = "quick-refresh"
	vDPoP              = "dpop"
	vDPoPNonce         = "dpop-nonce"
	vDPoPQuota         = "dpop-quota"
	vThrottle          = "throttle"
)

const (
	// cookieName is the cookie the vCookie verifier reads.
	cookieName = "access_token"
	// The client the introspection verifiers authenticate as.
	introspectionClient = "conformance-resource-server"
	introspectionSecret = "conformance-secret"
	// realm is the realm parameter of every challenge ([Issuer.Verifier]).
	realm = `realm="jwtguard-test"`
	// preflightOrigin is the Origin of the suite's CORS preflights.
	preflightOrigin = "https://app.example.test"
	// throttledClient and otherClient are the client addresses of the
	// throttling rows: the first goes over the limit, the second never.
	throttledClient = "203.0.113.7:4711"
	otherClient     = "198.51.100.9:4711"
	// unverified is the one description of every failure before a
	// signature is proven (unknown issuer, unknown kid, bad signature, an
	// algorithm or size the issuer's entry refuses), so that a client
	// cannot tell a trusted issuer from a stranger.
	unverified = "token could not be verified"
)

// fixtures holds the issuers of one suite run and builds each named
// verifier once.
type fixtures struct {
	t    *testing.T
	iss  *Issuer // the trusted issuer
	down *Issuer // an issuer whose discovery and JWKS answer 503
	key  *DPoPKey

	verifiers map[string]*jwtguard.Verifier
}

func newFixtures(t *testing.T) *fixtures {
	f := &fixtures{t: t, iss: NewIssuer(t), down: NewIssuer(t), verifiers: map[string]*jwtguard.Verifier{}}
	f.key = NewDPoPKey(t, f.iss.now)
	f.down.Down(true)
	f.iss.EnableIntrospection(introspectionClient, introspectionSecret)
	return f
}

// verifier returns the verifier called name (one of the v* constants; ""
// is vDefault). It must be called from the test's goroutine.
func (f *fixtures) verifier(name string) *jwtguard.Verifier {
	t := f.t
	t.Helper()
	name = cmp.Or(name, vDefault)
	if v := f.verifiers[name]; v != nil {
		return v
	}
	iss := f.iss
	entry := iss.Entry()
	var v *jwtguard.Verifier
	switch name {
	case vDefault:
		v = iss.Verifier(t)
	case vCookie:
		v = iss.Verifier(t, jwtguard.WithExtractor(jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie(cookieName))))
	case vTokenType:
		entry.TokenTypes = []string{"at+jwt"}
		v = iss.VerifierFor(t, entry)
	case vTokenUse:
		entry.TokenUseClaim, entry.TokenUses = "token_use", []string{"access"}
		v = iss.VerifierFor(t, entry)
	case vClients:
		entry.Clients = []string{"orders-web"}
		v = iss.VerifierFor(t, entry)
	case vRequiredJTI:
		entry.RequiredClaims = []string{"jti"}
		v = iss.VerifierFor(t, entry)
	case vSmallTokens:
		entry.MaxTokenSize = 1024
		v = iss.VerifierFor(t, entry)
	case vQuickRefresh:
		// A token naming an unknown kid waits for a refresh of the key
		// set, at most UnknownKidGap (default 5 s) after the last one.
		v = iss.Verifier(t, jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: 20 * time.Millisecond}))
	case vRevoked:
		v = iss.Verifier(t, jwtguard.WithRevocation(revokeSubject("bob")))
	case vRevocationDown:
		v = iss.Verifier(t, jwtguard.WithRevocation(failingStore{}))
	case vIntrospection, vIntrospectionDown:
		secret := introspectionSecret
		if name == vIntrospectionDown {
			// The endpoint refuses our client credentials: it cannot
			// answer for the token, so the verifier fails closed.
			secret = "not-the-" + introspectionSecret
		}
		client, err := introspect.New(iss.IntrospectionURL(), introspect.ClientSecretBasic(introspectionClient, secret))
		if err != nil {
			t.Fatalf("jwtguardtest: introspect.New: %v", err)
		}
		v = iss.Verifier(t, jwtguard.WithIntrospection(client))
	case vDPoP, vDPoPNonce, vDPoPQuota:
		// httptest.NewRequest's requests are for http://example.com.
		c := dpop.Config{Mode: dpop.Allowed, Origins: []string{"http://example.com"}}
		switch name {
		case vDPoPNonce:
			c.NonceSecret = []byte("conformance-nonce-secret-32-bytes!!")
		case vDPoPQuota:
			c.ProofLifetime = 5 * time.Second
			c.Replay = dpop.NewMemoryReplayCache(1000, 1, time.Minute)
		}
		v = iss.Verifier(t, jwtguard.WithDPoP(c))
	case vThrottle:
		// 2 failures a minute per client address, on a clock that stands
		// still, so that the 429's Retry-After is exactly 30 s; a token
		// cache, which a throttled client's cached tokens pass.
		clock := NewClock(time.Now())
		v = iss.Verifier(t, jwtguard.WithClock(clock.Now), jwtguard.WithCache(100, time.Hour),
			jwtguard.WithThrottling(throttle.Config{Failures: 2, Window: time.Minute}))
	case vKeysDown:
		// Not iss.Verifier: that one waits for keys that never come.
		dv, err := jwtguard.New(jwtguard.WithIssuer(f.down.URL(), jwtguard.Discovery()), jwtguard.WithAudience(DefaultAudience),
			jwtguard.WithAlgorithms(Algorithms...), jwtguard.WithRealm("jwtguard-test"))
		if err != nil {
			t.Fatalf("jwtguardtest: New: %v", err)
		}
		t.Cleanup(func() { _ = dv.Close() })
		v = dv
	default:
		t.Fatalf("jwtguardtest: no verifier %q", name)
	}
	f.verifiers[name] = v
	return v
}

// row is one request of the suite and the answer every adapter must give.
type row struct {
	name     string
	err      error  // the sentinel the request triggers; nil when allowed
	verifier string // "" means vDefault
	method   string // "" means GET
	path     string
	auth     []string // Authorization header values
	cookies  []string // values of cookies named cookieName
	header   map[string]string
	cert     *x509.Certificate // the TLS client certificate presented (nil: none)
	remote   string            // the request's RemoteAddr ("" is httptest's 192.0.2.1:1234)
	respHdr  string            // a response header that must be present

	status     int
	challenge  string // exact WWW-Authenticate ("" = must be absent)
	body       string // JSON body "error"
	claim      string // JSON body "claim"
	retry      bool   // Retry-After must be sent (and only then)
	retryAfter string // its value ("" is "5", the 503s' and the DPoP quota's)

	sub        string // subject seen by the handler (200)
	wantClaims bool   // the handler sees claims (200)
	preflight  bool   // answered by Routes.PreflightHandler (204)
}

// conformanceRows returns every request of the suite: allowed requests,
// and at least one request for each entry of [sentinels].
func conformanceRows(f *fixtures) []row {
	iss := f.iss
	now := iss.now()
	admin := iss.Mint(Claims{"sub": "alice", "roles": []string{"admin"}, "tenant_id": "acme", "scope": "orders:read orders:write"})
	user := iss.Mint(Claims{"sub": "bob", "roles": []string{"user"}, "tenant_id": "globex"})
	invalid := func(desc string) string {
		return `Bearer ` + realm + `, error="invalid_token", error_description="` + desc + `"`
	}
	badRequest := func(desc string) string {
		return `Bearer ` + realm + `, error="invalid_request", error_description="` + desc + `"`
	}
	forbidden := func(desc string) string {
		return `Bearer ` + realm + `, error="insufficient_scope", error_description="` + desc + `"`
	}
	const noToken = `Bearer ` + realm
	bearer := func(tok string) []string { return []string{"Bearer " + tok} }
	// A browser's CORS preflight: OPTIONS, no credentials.
	preflight := map[string]string{"Origin": preflightOrigin, "Access-Control-Request-Method": "GET",
		"Access-Control-Request-Headers": "authorization"}
	pad := func(n int) Claims { return Claims{"pad": strings.Repeat("a", n)} }

	mine, other := NewClientCertificate(f.t, "client").Leaf, NewClientCertificate(f.t, "another client").Leaf
	dpopBound := iss.Mint(Claims{"sub": "dave"}, WithDPoPBinding(f.key.Thumbprint()))
	proof := func() map[string]string {
		return map[string]string{"DPoP": f.key.Proof(http.MethodGet, "http://example.com"+routeProtected, dpopBound, nil, nil)}
	}
	used := proof()
	const dpopAlgs = `algs="ES256 ES384 ES512 EdDSA PS256 RS256"`
	dpopChallenge := func(code, desc string) string {
		c := `Bearer ` + realm + `, DPoP ` + realm
		if code != "" {
			c += `, error="` + code + `", error_description="` + desc + `"`
		}
		return c + `, ` + dpopAlgs
	}
	certBound := iss.Mint(Claims{"sub": "carol"}, WithCertificateBinding(mine))
	cached := iss.Mint(Claims{"sub": "erin"}) // the throttled client's cached token
	const pop = "the token is bound to a key or certificate the request does not prove"

	return []row{
		// Allowed requests.
		{name: "valid token", path: routeProtected, auth: bearer(user), status: 200, sub: "bob", wantClaims: true},
		{name: "scheme is case-insensitive", path: routeProtected, auth: []string{"bearer " + user}, status: 200, sub: "bob", wantClaims: true},
		{name: "POST with valid token", method: http.MethodPost, path: routeProtected, auth: bearer(user), status: 200, sub: "bob", wantClaims: true},
		{name: "admin route with admin", path: routeAdmin, auth: bearer(admin), status: 200, sub: "alice", wantClaims: true},
		{name: "scoped route with scope", path: routeScoped, auth: bearer(admin), status: 200, sub: "alice", wantClaims: true},
		{name: "own tenant", path: "/tenants/acme/orders", auth: bearer(admin), status: 200, sub: "alice", wantClaims: true},
		{name: "certificate-bound token with its certificate", path: routeProtected, auth: bearer(certBound), cert: mine, status: 200, sub: "carol", wantClaims: true},
		{name: "DPoP-bound token with its proof", verifier: vDPoP, path: routeProtected, auth: []string{"DPoP " + dpopBound}, header: proof(), status: 200, sub: "dave", wantClaims: true},
		{name: "bearer token to a verifier that also takes DPoP", verifier: vDPoP, path: routeProtected, auth: bearer(user), status: 200, sub: "bob", wantClaims: true},
		{name: "DPoP proof, first use", verifier: vDPoP, path: routeProtected, auth: []string{"DPoP " + dpopBound}, header: used, status: 200, sub: "dave", wantClaims: true},
		{name: "optional without token", path: routeOptional, status: 200},
		{name: "optional with token", path: routeOptional, auth: bearer(user), status: 200, sub: "bob", wantClaims: true},
		{name: "skipped without token", path: routeSkipped, status: 200},
		{name: "skipped with bad token", path: routeSkipped, auth: bearer(iss.Expired()), status: 200},
		{name: "CORS preflight with WithPreflight", method: http.MethodOptions, path: routePreflight, header: preflight, status: 204, preflight: true},
		{name: "token on the WithPreflight route", path: routePreflight, auth: bearer(user), status: 200, sub: "bob", wantClaims: true},
		// The controls of the rows below that need their own verifier: the
		// same verifier accepts the right token.
		{name: "cookie token on same-origin POST", verifier: vCookie, method: http.MethodPost, path: routeProtected, cookies: []string{user},
			header: map[string]string{"Sec-Fetch-Site": "same-origin"}, status: 200, sub: "bob", wantClaims: true},
		{name: "cookie token on cross-site GET", verifier: vCookie, path: routeProtected, cookies: []string{user},
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 200, sub: "bob", wantClaims: true},
		{name: "identical duplicate cookies", verifier: vCookie, path: routeProtected, cookies: []string{user, user}, status: 200, sub: "bob", wantClaims: true},
		{name: "accepted typ header", verifier: vTokenType, path: routeProtected, auth: bearer(iss.Mint(Claims{"sub": "bob"}, WithHeader("typ", "at+jwt"))),
			status: 200, sub: "bob", wantClaims: true},
		{name: "accepted token use", verifier: vTokenUse, path: routeProtected, auth: bearer(iss.Mint(Claims{"sub": "bob", "token_use": "access"})),
			status: 200, sub: "bob", wantClaims: true},
		{name: "allowed client", verifier: vClients, path: routeProtected, auth: bearer(iss.Mint(Claims{"sub": "bob", "azp": "orders-web"})),
			status: 200, sub: "bob", wantClaims: true},
		{name: "required claim present", verifier: vRequiredJTI, path: routeProtected, auth: bearer(iss.Mint(Claims{"sub": "bob", "jti": "j-1"})),
			status: 200, sub: "bob", wantClaims: true},
		{name: "token within the issuer's size", verifier: vSmallTokens, path: routeProtected, auth: bearer(iss.Mint(Claims{"sub": "bob"})),
			status: 200, sub: "bob", wantClaims: true},
		{name: "token not revoked", verifier: vRevoked, path: routeProtected, auth: bearer(admin), status: 200, sub: "alice", wantClaims: true},
		{name: "active opaque token", verifier: vIntrospection, path: routeProtected, auth: bearer(iss.MintOpaque(Claims{"sub": "carol"})),
			status: 200, sub: "carol", wantClaims: true},
		{name: "JWT beside introspection", verifier: vIntrospection, path: routeProtected, auth: bearer(user), status: 200, sub: "bob", wantClaims: true},

		// ErrNoToken: a challenge without an error code (RFC 6750 §3.1).
		{name: "no token", err: jwtguard.ErrNoToken, path: routeProtected, status: 401, challenge: noToken, body: "unauthorized"},
		{name: "Basic scheme is no token", err: jwtguard.ErrNoToken, path: routeProtected, auth: []string{"Basic dXNlcjpwYXNz"}, status: 401, challenge: noToken, body: "unauthorized"},
		{name: "admin route without token", err: jwtguard.ErrNoToken, path: routeAdmin, status: 401, challenge: noToken, body: "unauthorized"},
		{name: "POST without token", err: jwtguard.ErrNoToken, method: http.MethodPost, path: routeProtected, status: 401, challenge: noToken, body: "unauthorized"},
		// A preflight carries no credentials: without WithPreflight it is
		// authenticated like any request (passing it through would hand
		// OPTIONS to handlers that may ignore the method).
		{name: "CORS preflight without WithPreflight", err: jwtguard.ErrNoToken, method: http.MethodOptions, path: routeProtected, header: preflight,
			status: 401, challenge: noToken, body: "unauthorized"},
		{name: "OPTIONS without Access-Control-Request-Method is no preflight", err: jwtguard.ErrNoToken, method: http.MethodOptions, path: routePreflight,
			header: map[string]string{"Origin": preflightOrigin}, status: 401, challenge: noToken, body: "unauthorized"},
		{name: "no token on the WithPreflight route", err: jwtguard.ErrNoToken, path: routePreflight, status: 401, challenge: noToken, body: "unauthorized"},

		// ErrInvalidRequest.
		{name: "two Authorization headers", err: jwtguard.ErrInvalidRequest, path: routeProtected, auth: []string{"Bearer " + user, "Bearer " + admin},
			status: 400, challenge: badRequest("more than one Authorization header"), body: "invalid_request"},
		{name: "Bearer without token", err: jwtguard.ErrInvalidRequest, path: routeProtected, auth: []string{"Bearer"},
			status: 400, challenge: badRequest("Authorization header has the Bearer scheme but no token"), body: "invalid_request"},
		{name: "token in header and cookie", err: jwtguard.ErrInvalidRequest, verifier: vCookie, path: routeProtected, auth: bearer(user), cookies: []string{user},
			status: 400, challenge: badRequest("credentials sent more than one way"), body: "invalid_request"},
		{name: "two cookies with different tokens", err: jwtguard.ErrInvalidRequest, verifier: vCookie, path: routeProtected, cookies: []string{user, admin},
			status: 400, challenge: badRequest("several " + cookieName + " cookies with different values"), body: "invalid_request"},
		{name: "optional with malformed request", err: jwtguard.ErrInvalidRequest, path: routeOptional, auth: []string{"Bearer"},
			status: 400, challenge: badRequest("Authorization header has the Bearer scheme but no token"), body: "invalid_request"},

		// ErrCrossOrigin: no challenge, the token is not at fault.
		{name: "cookie token on cross-site POST", err: jwtguard.ErrCrossOrigin, verifier: vCookie, method: http.MethodPost, path: routeProtected,
			cookies: []string{user}, header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403, body: "cross_origin_request"},

		// ErrTokenTooLarge: the verifier's cap, and an issuer's smaller one.
		{name: "token over 8 KiB", err: jwtguard.ErrTokenTooLarge, path: routeProtected, auth: bearer(iss.Mint(pad(9000))),
			status: 401, challenge: invalid("token is larger than the size limit"), body: "invalid_token"},
		{name: "token over the issuer's MaxTokenSize", err: jwtguard.ErrTokenTooLarge, verifier: vSmallTokens, path: routeProtected, auth: bearer(iss.Mint(pad(1500))),
			status: 401, challenge: invalid(unverified), body: "invalid_token"},

		// ErrMalformedToken.
		{name: "garbage token", err: jwtguard.ErrMalformedToken, path: routeProtected, auth: bearer("abc.def"),
			status: 401, challenge: invalid("token is malformed"), body: "invalid_token"},
		{name: "JWE token", err: jwtguard.ErrMalformedToken, path: routeProtected, auth: bearer("a.b.c.d.e"),
			status: 401, challenge: invalid("token is malformed"), body: "invalid_token"},

		// ErrAlgorithmNotAllowed.
		{name: "alg none", err: jwtguard.ErrAlgorithmNotAllowed, path: routeProtected, auth: bearer(iss.Mint(nil, WithHeader("alg", "none"))),
			status: 401, challenge: invalid("signing algorithm is not allowed"), body: "invalid_token"},
		{name: "HS256 not in the allowlist", err: jwtguard.ErrAlgorithmNotAllowed, path: routeProtected, auth: bearer(iss.Mint(nil, WithAlg("HS256"))),
			status: 401, challenge: invalid("signing algorithm is not allowed"), body: "invalid_token"},

		// ErrKeyNotFound.
		{name: "unknown kid", err: jwtguard.ErrKeyNotFound, verifier: vQuickRefresh, path: routeProtected, auth: bearer(iss.Mint(nil, WithHeader("kid", "no-such-key"))),
			status: 401, challenge: invalid(unverified), body: "invalid_token"},

		// ErrInvalidSignature.
		{name: "tampered signature", err: jwtguard.ErrInvalidSignature, path: routeProtected, auth: bearer(iss.TamperedSignature()),
			status: 401, challenge: invalid(unverified), body: "invalid_token"},

		// ErrInvalidTokenType: the typ header, and a token-use claim.
		{name: "typ header not accepted", err: jwtguard.ErrInvalidTokenType, verifier: vTokenType, path: routeProtected, auth: bearer(iss.Mint(nil)),
			status: 401, challenge: invalid("the typ header is not an accepted token type"), body: "invalid_token"},
		{name: "token use not accepted", err: jwtguard.ErrInvalidTokenType, verifier: vTokenUse, path: routeProtected, auth: bearer(iss.Mint(Claims{"token_use": "id"})),
			status: 401, challenge: invalid("token_use is not an accepted token use"), body: "invalid_token", claim: "token_use"},

		// ErrInvalidClaim: a claim of the wrong type, a client not allowed.
		{name: "exp is a string", err: jwtguard.ErrInvalidClaim, path: routeProtected, auth: bearer(iss.Mint(Claims{"exp": "tomorrow"})),
			status: 401, challenge: invalid("exp must be a number (NumericDate)"), body: "invalid_token", claim: "exp"},
		{name: "client not allowed", err: jwtguard.ErrInvalidClaim, verifier: vClients, path: routeProtected, auth: bearer(iss.Mint(Claims{"azp": "other-client"})),
			status: 401, challenge: invalid("azp names a client that may not call this service"), body: "invalid_token", claim: "azp"},

		// ErrMissingClaim: exp, and the issuer's RequiredClaims.
		{name: "exp missing", err: jwtguard.ErrMissingClaim, path: routeProtected, auth: bearer(iss.Mint(Claims{"exp": nil})),
			status: 401, challenge: invalid("a required claim is missing: exp"), body: "invalid_token", claim: "exp"},
		{name: "required claim missing", err: jwtguard.ErrMissingClaim, verifier: vRequiredJTI, path: routeProtected, auth: bearer(iss.Mint(nil)),
			status: 401, challenge: invalid("a required claim is missing: jti"), body: "invalid_token", claim: "jti"},
		{name: "required claim empty", err: jwtguard.ErrMissingClaim, verifier: vRequiredJTI, path: routeProtected, auth: bearer(iss.Mint(Claims{"jti": ""})),
			status: 401, challenge: invalid("a required claim is missing: jti"), body: "invalid_token", claim: "jti"},

		// Times.
		{name: "expired", err: jwtguard.ErrTokenExpired, path: routeProtected, auth: bearer(iss.Expired()),
			status: 401, challenge: invalid("token is expired"), body: "invalid_token"},
		{name: "optional with bad token", err: jwtguard.ErrTokenExpired, path: routeOptional, auth: bearer(iss.Expired()),
			status: 401, challenge: invalid("token is expired"), body: "invalid_token"},
		{name: "not yet valid", err: jwtguard.ErrTokenNotYetValid, path: routeProtected, auth: bearer(iss.Mint(Claims{"nbf": now.Add(time.Hour).Unix()})),
			status: 401, challenge: invalid("token is not valid yet"), body: "invalid_token"},
		{name: "issued in the future", err: jwtguard.ErrTokenIssuedInFuture, path: routeProtected,
			auth:   bearer(iss.Mint(Claims{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()})),
			status: 401, challenge: invalid("token is issued in the future"), body: "invalid_token"},

		// ErrInvalidIssuer.
		{name: "untrusted issuer", err: jwtguard.ErrInvalidIssuer, path: routeProtected, auth: bearer(iss.Mint(Claims{"iss": "https://evil.example.test"})),
			status: 401, challenge: invalid(unverified), body: "invalid_token"},
		{name: "issuer missing", err: jwtguard.ErrInvalidIssuer, path: routeProtected, auth: bearer(iss.Mint(Claims{"iss": nil})),
			status: 401, challenge: invalid(unverified), body: "invalid_token"},

		// ErrInvalidAudience.
		{name: "wrong audience", err: jwtguard.ErrInvalidAudience, path: routeProtected, auth: bearer(iss.WrongAudience()),
			status: 401, challenge: invalid("audience is not accepted"), body: "invalid_token"},
		{name: "audience missing", err: jwtguard.ErrInvalidAudience, path: routeProtected, auth: bearer(iss.Mint(Claims{"aud": nil})),
			status: 401, challenge: invalid("aud is missing"), body: "invalid_token", claim: "aud"},

		// ErrTokenRevoked.
		{name: "revoked token", err: jwtguard.ErrTokenRevoked, verifier: vRevoked, path: routeProtected, auth: bearer(user),
			status: 401, challenge: invalid("token revoked"), body: "invalid_token"},

		// ErrTokenInactive.
		{name: "inactive opaque token", err: jwtguard.ErrTokenInactive, verifier: vIntrospection, path: routeProtected, auth: bearer("opaque-never-issued"),
			status: 401, challenge: invalid("token is not active"), body: "invalid_token"},

		// Server-side outages: 503, Retry-After, no challenge.
		{name: "revocation store down", err: jwtguard.ErrRevocationUnavailable, verifier: vRevocationDown, path: routeProtected, auth: bearer(user),
			status: 503, body: "temporarily_unavailable", retry: true},
		{name: "introspection endpoint refuses us", err: jwtguard.ErrIntrospectionUnavailable, verifier: vIntrospectionDown, path: routeProtected,
			auth: bearer(iss.MintOpaque(nil)), status: 503, body: "temporarily_unavailable", retry: true},
		{name: "keys unavailable", err: jwtguard.ErrKeysUnavailable, verifier: vKeysDown, path: routeProtected, auth: bearer(f.down.Mint(nil)),
			status: 503, body: "temporarily_unavailable", retry: true},

		// ErrForbidden: policies.
		{name: "admin route with user", err: jwtguard.ErrForbidden, path: routeAdmin, auth: bearer(user),
			status: 403, challenge: forbidden("requires role admin"), body: "insufficient_scope"},
		{name: "scoped route without scope", err: jwtguard.ErrForbidden, path: routeScoped, auth: bearer(user),
			status: 403, challenge: forbidden("requires scope "+scopeRead) + `, scope="` + scopeRead + `"`, body: "insufficient_scope"},
		{name: "other tenant", err: jwtguard.ErrForbidden, path: "/tenants/acme/orders", auth: bearer(user),
			status: 403, challenge: forbidden("token is not valid for this tenant"), body: "insufficient_scope"},

		// ErrProofOfPossession: a sender-constrained token (cnf) is never
		// accepted without its binding proven.
		{name: "DPoP-bound token sent as Bearer", err: jwtguard.ErrProofOfPossession, path: routeProtected,
			auth:   bearer(iss.Mint(Claims{"cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})),
			status: 401, challenge: invalid(pop), body: "invalid_token"},
		{name: "certificate-bound token without a client certificate", err: jwtguard.ErrProofOfPossession, path: routeProtected, auth: bearer(certBound),
			status: 401, challenge: invalid(pop), body: "invalid_token"},
		{name: "certificate-bound token with another certificate", err: jwtguard.ErrProofOfPossession, path: routeProtected, auth: bearer(certBound), cert: other,
			status: 401, challenge: invalid(pop), body: "invalid_token"},
		{name: "token bound by a cnf member jwtguard cannot check", err: jwtguard.ErrProofOfPossession, path: routeProtected,
			auth:   bearer(iss.Mint(Claims{"cnf": map[string]any{"kid": "k1"}})),
			status: 401, challenge: invalid(pop), body: "invalid_token"},

		// DPoP (RFC 9449): both challenges while bearer tokens are also
		// accepted, the error code on the DPoP one.
		{name: "no token to a DPoP verifier", err: jwtguard.ErrNoToken, verifier: vDPoP, path: routeProtected,
			status: 401, challenge: dpopChallenge("", ""), body: "unauthorized"},
		{name: "DPoP-bound token sent as Bearer to a DPoP verifier", err: jwtguard.ErrProofOfPossession, verifier: vDPoP, path: routeProtected, auth: bearer(dpopBound),
			status: 401, challenge: dpopChallenge("invalid_token", pop), body: "invalid_token"},
		{name: "DPoP proof replayed", err: dpop.ErrInvalidProof, verifier: vDPoP, path: routeProtected, auth: []string{"DPoP " + dpopBound}, header: used,
			status: 401, challenge: dpopChallenge("invalid_dpop_proof", "the DPoP proof is invalid"), body: "invalid_dpop_proof"},
		{name: "DPoP without a proof", err: dpop.ErrInvalidProof, verifier: vDPoP, path: routeProtected, auth: []string{"DPoP " + dpopBound},
			status: 401, challenge: dpopChallenge("invalid_dpop_proof", "the DPoP proof is invalid"), body: "invalid_dpop_proof"},
		{name: "DPoP proof for another method", err: dpop.ErrInvalidProof, verifier: vDPoP, path: routeProtected, auth: []string{"DPoP " + dpopBound},
			header: map[string]string{"DPoP": f.key.Proof(http.MethodPost, "http://example.com"+routeProtected, dpopBound, nil, nil)},
			status: 401, challenge: dpopChallenge("invalid_dpop_proof", "the DPoP proof is invalid"), body: "invalid_dpop_proof"},
		{name: "DPoP proof without the server's nonce", err: dpop.ErrUseNonce, verifier: vDPoPNonce, path: routeProtected, auth: []string{"DPoP " + dpopBound}, header: proof(),
			status: 401, challenge: dpopChallenge("use_dpop_nonce", "a DPoP proof with the server's nonce is required"), body: "use_dpop_nonce", respHdr: "DPoP-Nonce"},
		{name: "DPoP key within its quota", verifier: vDPoPQuota, path: routeProtected, auth: []string{"DPoP " + dpopBound}, header: proof(), status: 200, sub: "dave", wantClaims: true},
		{name: "DPoP key past its quota", err: jwtguard.ErrThrottled, verifier: vDPoPQuota, path: routeProtected, auth: []string{"DPoP " + dpopBound}, header: proof(),
			status: 429, body: "too_many_requests", retry: true},

		// Throttling failed authentications (WithThrottling: 2 failures a
		// minute per client address). In order: one client goes over the
		// limit; its further requests with a token get 429 before any
		// signature work, except a token in the verified-token cache;
		// other clients are not slowed.
		{name: "throttling: a valid token, now cached", verifier: vThrottle, remote: throttledClient, path: routeProtected, auth: bearer(cached),
			status: 200, sub: "erin", wantClaims: true},
		{name: "throttling: failure 1", err: jwtguard.ErrTokenExpired, verifier: vThrottle, remote: throttledClient, path: routeProtected, auth: bearer(iss.Expired()),
			status: 401, challenge: invalid("token is expired"), body: "invalid_token"},
		{name: "throttling: failure 2", err: jwtguard.ErrInvalidSignature, verifier: vThrottle, remote: throttledClient, path: routeProtected, auth: bearer(iss.TamperedSignature()),
			status: 401, challenge: invalid(unverified), body: "invalid_token"},
		{name: "throttling: over the limit, refused before the signature is checked", err: jwtguard.ErrThrottled, verifier: vThrottle, remote: throttledClient,
			path: routeProtected, auth: bearer(iss.TamperedSignature()), status: 429, body: "too_many_requests", retry: true, retryAfter: "30"},
		{name: "throttling: a valid token not in the cache is refused too", err: jwtguard.ErrThrottled, verifier: vThrottle, remote: throttledClient,
			path: routeProtected, auth: bearer(iss.Mint(Claims{"sub": "frank"})), status: 429, body: "too_many_requests", retry: true, retryAfter: "30"},
		{name: "throttling: the cached valid token passes", verifier: vThrottle, remote: throttledClient, path: routeProtected, auth: bearer(cached),
			status: 200, sub: "erin", wantClaims: true},
		{name: "throttling: no token is never throttled", err: jwtguard.ErrNoToken, verifier: vThrottle, remote: throttledClient, path: routeProtected,
			status: 401, challenge: noToken, body: "unauthorized"},
		{name: "throttling: another client's valid token passes", verifier: vThrottle, remote: otherClient, path: routeProtected, auth: bearer(iss.Mint(Claims{"sub": "grace"})),
			status: 200, sub: "grace", wantClaims: true},
		{name: "throttling: another client's bad token is judged", err: jwtguard.ErrTokenExpired, verifier: vThrottle, remote: otherClient, path: routeProtected,
			auth: bearer(iss.Expired()), status: 401, challenge: invalid("token is expired"), body: "invalid_token"},
	}
}

// request builds the row's request.
func (r *row) request() *http.Request {
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	req := httptest.NewRequest(method, r.path, nil)
	for _, a := range r.auth {
		req.Header.Add("Authorization", a)
	}
	for _, c := range r.cookies {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: c})
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.cert != nil {
		req.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{r.cert}}
	}
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	return req
}

// secrets are the tokens the row sends, which no answer may echo.
func (r *row) secrets() []string { return slices.Concat(r.auth, r.cookies) }

// checkRows checks the rows against jwtguard's error table and the sentinel
// list: every sentinel has a row, every row's sentinel is listed and
// answers the row's status and code, and no sentinel answers 500.
func checkRows(t *testing.T, rows []row) {
	t.Helper()
	covered := map[error]bool{}
	for _, r := range rows {
		if r.err == nil {
			if r.status != http.StatusOK && !(r.preflight && r.status == http.StatusNoContent) {
				t.Errorf("row %q: a refused request must name its sentinel", r.name)
			}
			continue
		}
		covered[r.err] = true
		if !slices.Contains(sentinels, r.err) {
			t.Errorf("row %q: %v is not in the suite's sentinel list", r.name, r.err)
		}
		e := jwtguard.AsError(r.err)
		if e.Status != r.status {
			t.Errorf("row %q expects %d, jwtguard answers %v with %d", r.name, r.status, r.err, e.Status)
		}
		if e.Code != "" && e.Code != r.body {
			t.Errorf("row %q expects body error %q, jwtguard's code for %v is %q", r.name, r.body, r.err, e.Code)
		}
		if (e.RetryAfter > 0) != r.retry {
			t.Errorf("row %q: Retry-After expected %v, jwtguard's RetryAfter for %v is %s", r.name, r.retry, r.err, e.RetryAfter)
		}
	}
	for _, s := range sentinels {
		if !covered[s] {
			t.Errorf("no request of the suite triggers %v: add a row", s)
		}
		if st := jwtguard.AsError(s).Status; st == http.StatusInternalServerError {
			t.Errorf("%v answers 500: every sentinel needs a row in jwtguard's error table", s)
		}
	}
}

// RunMiddlewareTests is the adapter conformance suite: every adapter of
// jwtguard (net/http, chi, Echo, Gin) calls it, and so can yours. build
// returns your adapter's handler for a verifier, serving [Routes]. The
// suite proves the same statuses, WWW-Authenticate challenges,
// Retry-After headers and JSON error bodies as every other adapter, claims
// in context, policy results, optional credentials, skipper behaviour,
// CORS preflights (authenticated by default, answered by WithPreflight's
// handler when the adapter is given one) and the throttling of failed
// authentications (429 for a client over its limit, keyed on the request's
// RemoteAddr, which the adapter must pass on).
// Every sentinel error of jwtguard is triggered by at least one real
// request through the adapter, with the verifier configuration it needs (a
// cookie extractor, issuer entries with token-type, client, required-claim
// and size rules, a revocation store, an introspection endpoint, an
// unreachable key source).
func RunMiddlewareTests(t *testing.T, build BuildFunc) {
	f := newFixtures(t)
	rows := conformanceRows(f)
	checkRows(t, rows)
	// Every verifier and handler is built here, on the test's goroutine.
	handlers := map[string]http.Handler{}
	for _, r := range rows {
		if handlers[r.verifier] == nil {
			handlers[r.verifier] = build(t, f.verifier(r.verifier), suiteRoutes())
		}
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			h := handlers[r.verifier]
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r.request())
			checkResponse(t, rec, &r)
			if r.preflight {
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != preflightOrigin || rec.Body.Len() != 0 {
					t.Fatalf("preflight answered with Access-Control-Allow-Origin %q and body %q; want WithPreflight's handler: %q, no body",
						got, rec.Body.String(), preflightOrigin)
				}
			}
			if r.status == http.StatusOK {
				var resp response
				if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
					t.Fatalf("handler body is not the WriteClaims JSON: %v (%q)", err, rec.Body.String())
				}
				if resp.Claims != r.wantClaims || resp.CtxClaims != r.wantClaims {
					t.Fatalf("claims seen by handler: framework=%v context=%v, want %v", resp.Claims, resp.CtxClaims, r.wantClaims)
				}
				if resp.Subject != r.sub || resp.CtxSub != r.sub {
					t.Fatalf("subject seen by handler: framework=%q context=%q, want %q", resp.Subject, resp.CtxSub, r.sub)
				}
			}
		})
	}
}

type revokeSubject string

func (s revokeSubject) IsRevoked(_ context.Context, c *jwtguard.Claims) (bool, error) {
	return c.Subject == string(s), nil
}

// failingStore is a revocation store whose backend is down.
type failingStore struct{}

func (failingStore) IsRevoked(context.Context, *jwtguard.Claims) (bool, error) {
	return false, errors.New("revocation backend unreachable")
}

// checkResponse checks an answer against the row: status, exact
// WWW-Authenticate, Retry-After, and for errors the headers and the one
// JSON body jwtguard writes.
func checkResponse(t *testing.T, rec *httptest.ResponseRecorder, r *row) {
	t.Helper()
	body, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != r.status {
		t.Fatalf("status %d, want %d (body %s)", rec.Code, r.status, body)
	}
	if got := rec.Header().Get("WWW-Authenticate"); got != r.challenge {
		t.Fatalf("WWW-Authenticate %q, want %q", got, r.challenge)
	}
	wantRetry := cmp.Or(r.retryAfter, "5")
	if got := rec.Header().Get("Retry-After"); (got != "") != r.retry || (r.retry && got != wantRetry) {
		t.Fatalf("Retry-After %q, want it %s", got, map[bool]string{true: strconv.Quote(wantRetry), false: "absent"}[r.retry])
	}
	if r.respHdr != "" && rec.Header().Get(r.respHdr) == "" {
		t.Fatalf("no %s header", r.respHdr)
	}
	for _, s := range r.secrets() {
		tok := strings.TrimPrefix(s, "Bearer ")
		if i := strings.LastIndexByte(tok, '.'); i >= 0 {
			tok = tok[i+1:] // a JWS's signature
		}
		if len(tok) >= 8 && strings.Contains(string(body), tok) {
			t.Fatalf("response body contains the token")
		}
	}
	if r.err == nil {
		return
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type %q, want application/json", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("error Cache-Control %q, want no-store", cc)
	}
	if n := rec.Header().Get("X-Content-Type-Options"); n != "nosniff" {
		t.Fatalf("error X-Content-Type-Options %q, want nosniff", n)
	}
	var eb struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Claim       string `json:"claim"`
		Scope       string `json:"scope"`
	}
	// One JSON object and nothing else: an adapter that also lets the
	// framework write its own error body fails here.
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body is not one JSON object: %v (%q)", err, body)
	}
	if eb.Error != r.body {
		t.Fatalf("body error %q, want %q (body %s)", eb.Error, r.body, body)
	}
	if eb.Description == "" {
		t.Fatalf("body has no error_description: %s", body)
	}
	if eb.Claim != r.claim {
		t.Fatalf("body claim %q, want %q (body %s)", eb.Claim, r.claim, body)
	}
	// The body says the same as the challenge, so every adapter sends the
	// same body for the same case; without a challenge, it says the error
	// table's standard description.
	want := challengeParam(r.challenge, "error_description")
	if want == "" {
		want = jwtguard.AsError(r.err).Description
	}
	if eb.Description != want {
		t.Fatalf("body error_description %q, want %q", eb.Description, want)
	}
	if want := challengeParam(r.challenge, "scope"); eb.Scope != want {
		t.Fatalf("body scope %q, challenge says %q", eb.Scope, want)
	}
}

// challengeParam returns the quoted value of name in a WWW-Authenticate
// challenge built by jwtguard (values never contain quotes).
func challengeParam(challenge, name string) string {
	i := strings.Index(challenge, name+`="`)
	if i < 0 {
		return ""
	}
	rest := challenge[i+len(name)+2:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

// ErrorHandlerBuild builds the handler under test for
// [RunErrorHandlerTests]: it serves GET, POST and OPTIONS
// routes.Protected, GET
// routes.Admin and GET routes.Tenant (with their policies, as for
// [RunMiddlewareTests]), all behind the adapter's Middleware configured
// with a custom error handler that calls record(err) and answers 418
// (http.StatusTeapot).
type ErrorHandlerBuild func(t *testing.T, v *jwtguard.Verifier, routes Routes, record func(err error)) http.Handler

// RunErrorHandlerTests checks an adapter's custom error handler: every
// refusal — each request of [RunMiddlewareTests] that triggers a sentinel
// on the protected route, a policy denial in Require or the tenant policy —
// reaches it exactly once as a *jwtguard.Error wrapping the right sentinel
// with the right status, and allowed requests never call it.
func RunErrorHandlerTests(t *testing.T, build ErrorHandlerBuild) {
	f := newFixtures(t)
	var mu sync.Mutex
	var seen []error
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, err)
	}
	iss := f.iss
	var rows []row
	for _, r := range conformanceRows(f) {
		if r.path == routeProtected {
			rows = append(rows, r)
		}
	}
	rows = append(rows,
		row{name: "expired token on the admin route", path: routeAdmin, auth: []string{"Bearer " + iss.Expired()}, status: http.StatusUnauthorized, err: jwtguard.ErrTokenExpired},
		row{name: "role denial", path: routeAdmin, auth: []string{"Bearer " + iss.Mint(nil)}, status: http.StatusForbidden, err: jwtguard.ErrForbidden},
		row{name: "role allowed", path: routeAdmin, auth: []string{"Bearer " + iss.Mint(Claims{"roles": []string{"admin"}})}, status: http.StatusOK},
		row{name: "tenant denial", path: "/tenants/acme/orders", auth: []string{"Bearer " + iss.Mint(Claims{"tenant_id": "globex"})}, status: http.StatusForbidden, err: jwtguard.ErrForbidden},
		row{name: "tenant allowed", path: "/tenants/acme/orders", auth: []string{"Bearer " + iss.Mint(Claims{"tenant_id": "acme"})}, status: http.StatusOK},
	)
	handlers := map[string]http.Handler{}
	for _, r := range rows {
		if handlers[r.verifier] == nil {
			handlers[r.verifier] = build(t, f.verifier(r.verifier), suiteRoutes(), record)
		}
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			h := handlers[r.verifier]
			mu.Lock()
			seen = nil
			mu.Unlock()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r.request())
			mu.Lock()
			got := seen
			mu.Unlock()
			if r.err == nil {
				if rec.Code != http.StatusOK || len(got) != 0 {
					t.Fatalf("status %d, error handler called with %v; want 200 and no call", rec.Code, got)
				}
				return
			}
			if rec.Code != http.StatusTeapot {
				t.Fatalf("status %d, want the error handler's 418", rec.Code)
			}
			if len(got) != 1 || !errors.Is(got[0], r.err) {
				t.Fatalf("error handler saw %v, want one %v", got, r.err)
			}
			var je *jwtguard.Error
			if !errors.As(got[0], &je) {
				t.Fatalf("%T is not a *jwtguard.Error", got[0])
			}
			if je.Status != r.status || je.Claim != r.claim {
				t.Fatalf("error handler saw status %d claim %q, want %d %q", je.Status, je.Claim, r.status, r.claim)
			}
		})
	}
}
