package jwtguard_test

// Hardening round 3 (issue 16): the trust model's new edges — resolver
// keys, entry identity, budgets, aliases, the trusted-tenant oracle.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// swapResolver answers with whatever entry was set last.
type swapResolver struct {
	mu sync.Mutex
	is jwtguard.Issuer
}

func (s *swapResolver) set(is jwtguard.Issuer) { s.mu.Lock(); s.is = is; s.mu.Unlock() }

func (s *swapResolver) resolve(_ context.Context, iss string) (jwtguard.Issuer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.is, s.is.ID == iss
}

// TestResolverKeySwapOfEqualCount (issue 16 item 1): a resolver that
// replaces a tenant's static key by another — the same number of keys,
// even the same kid — rebuilds the entry: the withdrawn key's tokens are
// refused at once and the new key's accepted, in both directions, for raw
// keys, jwk.Set members and HMAC secrets.
func TestResolverKeySwapOfEqualCount(t *testing.T) {
	t.Parallel()
	const iss = "https://tenant.example"
	idp := jwtguardtest.NewIssuer(t)
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	set := func(k *rsa.PrivateKey) jwk.Set {
		jk, err := jwk.FromRaw(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		_ = jk.Set(jwk.KeyIDKey, "tenant-key") // the same kid on both
		s := jwk.NewSet()
		_ = s.AddKey(jk)
		return s
	}
	s1, s2 := []byte(strings.Repeat("a", 32)), []byte(strings.Repeat("b", 32))
	rsaToken := func(k *rsa.PrivateKey) string {
		return idp.Mint(jwtguardtest.Claims{"iss": iss}, jwtguardtest.WithSigningKey(k), jwtguardtest.WithHeader("kid", "tenant-key"))
	}
	hsToken := func(secret []byte) string {
		return idp.Mint(jwtguardtest.Claims{"iss": iss}, jwtguardtest.WithAlg("HS256"), jwtguardtest.WithHMACKey(secret))
	}
	cases := []struct {
		name         string
		keys1, keys2 func() *jwtguard.KeySource
		tok1, tok2   string
	}{
		{"raw RSA keys", func() *jwtguard.KeySource { return jwtguard.StaticKeys(&k1.PublicKey) }, func() *jwtguard.KeySource { return jwtguard.StaticKeys(&k2.PublicKey) },
			rsaToken(k1), rsaToken(k2)},
		{"jwk.Set members with one kid", func() *jwtguard.KeySource { return jwtguard.StaticKeys(set(k1)) }, func() *jwtguard.KeySource { return jwtguard.StaticKeys(set(k2)) },
			rsaToken(k1), rsaToken(k2)},
		{"HMAC secrets", func() *jwtguard.KeySource { return jwtguard.HMAC(s1) }, func() *jwtguard.KeySource { return jwtguard.HMAC(s2) },
			hsToken(s1), hsToken(s2)},
	}
	for _, c := range cases {
		for _, dir := range []string{"old to new", "new to old"} {
			t.Run(c.name+", "+dir, func(t *testing.T) {
				t.Parallel()
				keysA, keysB, tokA, tokB := c.keys1, c.keys2, c.tok1, c.tok2
				if dir == "new to old" {
					keysA, keysB, tokA, tokB = keysB, keysA, tokB, tokA
				}
				res := &swapResolver{}
				res.set(jwtguard.Issuer{ID: iss, Keys: keysA()})
				v := mustNew(t, jwtguard.WithIssuerResolver(res.resolve, 4), jwtguard.WithAudience(jwtguardtest.DefaultAudience),
					jwtguard.WithAlgorithms("RS256", "HS256"), jwtguard.WithCache(100, time.Minute), miQuiet())
				ctx := context.Background()
				for range 2 { // the second is a cache hit
					c, err := v.Verify(ctx, tokA)
					miWant(t, c, err)
				}
				_, err := v.Verify(ctx, tokB)
				miWant(t, nil, err, jwtguard.ErrInvalidSignature)

				res.set(jwtguard.Issuer{ID: iss, Keys: keysB()}) // the withdrawn key is replaced
				_, err = v.Verify(ctx, tokA)
				miWant(t, nil, err, jwtguard.ErrInvalidSignature)
				c, err := v.Verify(ctx, tokB)
				miWant(t, c, err)
			})
		}
	}
}

// TestResolverUnchangedAnswerCostsNothing (issue 16 items 1, 7): a
// resolver that builds its answer anew for every token — new KeySource
// values, a new *http.Client per call (the natural shape for a per-tenant
// CA) — keeps its entry and its keys: 5 genuine tokens, 1 key fetch, 5
// accepted.
func TestResolverUnchangedAnswerCostsNothing(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	resolve := func(_ context.Context, iss string) (jwtguard.Issuer, bool) {
		if iss != keys.iss("acme") {
			return jwtguard.Issuer{}, false
		}
		client := &http.Client{Transport: memTransport{Handler: keys}} // new per call
		return jwtguard.Issuer{ID: iss, Keys: jwtguard.JWKS("https://keys.example/acme/jwks.json").WithHTTPClient(client),
			Audiences: []string{jwtguardtest.DefaultAudience}, Algorithms: []string{"RS256"}}, true
	}
	v := mustNew(t, jwtguard.WithIssuerResolver(resolve, 4), jwtguard.WithAlgorithms("RS256"), miQuiet())
	for i := range 5 {
		c, err := v.Verify(context.Background(), keys.token("acme"))
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		miWant(t, c, err)
	}
	if n := keys.fetchesOf("acme"); n != 1 {
		t.Fatalf("5 tokens caused %d key fetches, want 1", n)
	}
}

// introspectAll is an Introspector that calls every token active.
type introspectAll struct{}

func (introspectAll) Introspect(_ context.Context, _ string, jwt bool) (bool, []byte, error) {
	if jwt {
		return true, nil, nil
	}
	return true, []byte(`{"active":true,"iss":"https://static.example","aud":"` + jwtguardtest.DefaultAudience + `","exp":4102444800}`), nil
}

// TestResolverKeylessAnswer (issue 16 item 6): with WithIntrospection, a
// resolver answer without Keys used to be accepted, and dropping it (the
// tenant removed) or Close panicked on its nil key source. It is refused
// now, and no path panics.
func TestResolverKeylessAnswer(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	tenants := &miTenants{allowed: map[string]jwtguard.Issuer{idp.URL(): {ID: idp.URL()}}}
	v, err := jwtguard.New(
		jwtguard.Trust(jwtguard.Issuer{ID: "https://static.example"}),
		jwtguard.WithIntrospection(introspectAll{}),
		jwtguard.WithIssuerResolver(tenants.resolve, 4),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("RS256"), miQuiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = v.Verify(ctx, idp.Mint(nil))
	miWant(t, nil, err, jwtguard.ErrInvalidIssuer)
	if je := jwtguard.AsError(err); !strings.Contains(je.Detail, "no Keys") {
		t.Errorf("Detail %q does not say the answer has no Keys", je.Detail)
	}
	// A keyed answer, then a keyless one, then none: each change drops
	// the previous entry.
	tenants.set(idp.URL(), jwtguard.Issuer{ID: idp.URL(), Keys: jwtguard.JWKS(idp.JWKSURL())})
	c, err := v.Verify(ctx, idp.Mint(nil))
	miWant(t, c, err)
	tenants.set(idp.URL(), jwtguard.Issuer{ID: idp.URL()})
	_, err = v.Verify(ctx, idp.Mint(nil))
	miWant(t, nil, err, jwtguard.ErrInvalidIssuer)
	tenants.remove(idp.URL())
	_, err = v.Verify(ctx, idp.Mint(nil))
	miWant(t, nil, err, jwtguard.ErrInvalidIssuer)
	// Opaque tokens still go to introspection.
	c, err = v.Verify(ctx, "opaque-token")
	miWant(t, c, err)
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestResolverAliases (issue 16 items 9, 11): a resolver answer may list
// exact aliases — Entra's v1 and v2 issuer forms of one tenant — which
// share one entry (one key fetch, one slot), whose canonical issuer is the
// answer's ID.
func TestResolverAliases(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	v2iss, v1iss := keys.iss("acme")+"/v2.0", keys.iss("acme")+"/"
	entry := jwtguard.Issuer{ID: v2iss, Aliases: []string{v1iss}, Keys: jwtguard.JWKS("https://keys.example/acme/jwks.json")}
	tenants := &miTenants{allowed: map[string]jwtguard.Issuer{v2iss: entry, v1iss: entry}}
	v := resolverVerifier(t, keys, tenants, 4, jwtguard.RemoteKeys{})
	defer v.Close()
	ctx := context.Background()
	for _, iss := range []string{v1iss, v2iss, v1iss} {
		c, err := v.Verify(ctx, keys.idp.Mint(jwtguardtest.Claims{"iss": iss}))
		miWant(t, c, err)
		if c.Issuer != iss || c.Entry() != v2iss {
			t.Fatalf("iss %s: Issuer %q, Entry %q; want Entry %q", iss, c.Issuer, c.Entry(), v2iss)
		}
	}
	if n := keys.fetchesOf("acme"); n != 1 {
		t.Fatalf("two forms of one tenant fetched keys %d times, want 1", n)
	}
	if got, ok := v.CanonicalIssuer(ctx, v1iss); !ok || got != v2iss {
		t.Fatalf("CanonicalIssuer(v1) = %q, %v; want %q", got, ok, v2iss)
	}
	// An answer whose ID and aliases do not contain the token's iss is
	// refused.
	tenants.set(keys.iss("liar"), entry)
	_, err := v.Verify(ctx, keys.idp.Mint(jwtguardtest.Claims{"iss": keys.iss("liar")}))
	miWant(t, nil, err, jwtguard.ErrInvalidIssuer)
}

// TestClaimsEntry (issue 16 item 4): Claims say which configured entry
// accepted the token — a stable name, the same for every alias — and the
// entry's provider.
func TestClaimsEntry(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	const (
		google    = "https://accounts.google.test"
		googleAlt = "accounts.google.test"
		entraV2   = "https://login.example/{tenantid}/v2.0"
		entraV1   = "https://sts.example/{tenantid}/"
		spiffe    = "spiffe://acme.example/"
	)
	keys := jwtguard.JWKS(idp.JWKSURL())
	v := mustNew(t,
		jwtguard.Trust(
			jwtguard.Issuer{ID: idp.URL(), Keys: keys, Provider: "test-idp"},
			jwtguard.Issuer{ID: google, Aliases: []string{googleAlt}, Keys: keys, Provider: "google"},
			jwtguard.Issuer{ID: entraV2, Aliases: []string{entraV1}, Tenants: []string{"t1", "t2"}, Keys: keys, Claims: jwtguard.ClaimMap{Tenant: "tid"}},
			jwtguard.Issuer{SubjectPrefix: spiffe, Keys: keys, Provider: "spiffe"},
		),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("RS256"), miQuiet())
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		claims   jwtguardtest.Claims
		entry    string
		provider string
	}{
		{nil, idp.URL(), "test-idp"},
		{jwtguardtest.Claims{"iss": google}, google, "google"},
		{jwtguardtest.Claims{"iss": googleAlt}, google, "google"},
		{jwtguardtest.Claims{"iss": "https://login.example/t1/v2.0", "tid": "t1"}, "https://login.example/t1/v2.0", ""},
		{jwtguardtest.Claims{"iss": "https://sts.example/t1/", "tid": "t1"}, "https://login.example/t1/v2.0", ""},
		{jwtguardtest.Claims{"iss": "https://sts.example/t2/", "tid": "t2"}, "https://login.example/t2/v2.0", ""},
		{jwtguardtest.Claims{"iss": nil, "sub": spiffe + "ns/a/sa/b"}, spiffe, "spiffe"},
		{jwtguardtest.Claims{"iss": "https://spire.local", "sub": spiffe + "ns/a/sa/b"}, spiffe, "spiffe"},
	}
	for _, tc := range cases {
		c, err := v.Verify(context.Background(), idp.Mint(tc.claims))
		miWant(t, c, err)
		if c.Entry() != tc.entry || c.Provider() != tc.provider {
			t.Errorf("%v: Entry %q, Provider %q; want %q, %q", tc.claims, c.Entry(), c.Provider(), tc.entry, tc.provider)
		}
		// (A subject-routed entry is found by sub, not by iss.)
		if got, ok := v.CanonicalIssuer(context.Background(), c.Issuer); tc.provider != "spiffe" && (!ok || got != tc.entry) {
			t.Errorf("CanonicalIssuer(%q) = %q, %v; want %q", c.Issuer, got, ok, tc.entry)
		}
	}
	if _, ok := v.CanonicalIssuer(context.Background(), "https://stranger.example"); ok {
		t.Error("CanonicalIssuer names a stranger")
	}
	// Hand-built Claims (tests of users' policies): Entry is the Issuer.
	if e := (&jwtguard.Claims{Issuer: "x"}).Entry(); e != "x" {
		t.Errorf("hand-built Claims: Entry %q", e)
	}

	// RequireIssuer matches the canonical name (so every alias) or the
	// entry's ID as written, a template included.
	for _, tc := range []struct {
		policy jwtguard.Policy
		claims jwtguardtest.Claims
		allow  bool
	}{
		{jwtguard.RequireIssuer(google), jwtguardtest.Claims{"iss": googleAlt}, true},
		{jwtguard.RequireIssuer(googleAlt), jwtguardtest.Claims{"iss": googleAlt}, false},
		{jwtguard.RequireIssuer(google), nil, false},
		{jwtguard.RequireIssuer(entraV2), jwtguardtest.Claims{"iss": "https://sts.example/t2/", "tid": "t2"}, true},
		{jwtguard.RequireIssuer("https://login.example/t1/v2.0"), jwtguardtest.Claims{"iss": "https://sts.example/t2/", "tid": "t2"}, false},
		{jwtguard.RequireIssuer("https://login.example/t2/v2.0"), jwtguardtest.Claims{"iss": "https://sts.example/t2/", "tid": "t2"}, true},
		{jwtguard.RequireIssuer(idp.URL(), google), nil, true},
		{jwtguard.RequireIssuer(""), jwtguardtest.Claims{"iss": "", "sub": spiffe + "x"}, false},
	} {
		c, err := v.Verify(context.Background(), idp.Mint(tc.claims))
		miWant(t, c, err)
		err = jwtguard.Authorize(c, tc.policy)
		if (err == nil) != tc.allow {
			t.Errorf("%v: allowed %v, want %v (%v)", tc.claims, err == nil, tc.allow, err)
		}
		if err != nil && !errors.Is(err, jwtguard.ErrForbidden) {
			t.Errorf("denial %v is not ErrForbidden", err)
		}
	}
}

// TestAliasesShareRevocations (issue 16 item 9): revocations are keyed by
// the canonical issuer, so revoking a subject or a token under one form of
// an issuer ends the tokens of every form.
func TestAliasesShareRevocations(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	const id, alias = "https://accounts.google.test", "accounts.google.test"
	store, err := memory.New()
	if err != nil {
		t.Fatal(err)
	}
	v := mustNew(t,
		jwtguard.Trust(jwtguard.Issuer{ID: id, Aliases: []string{alias}, Keys: jwtguard.JWKS(idp.JWKSURL())}),
		jwtguard.WithRevocation(store),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("RS256"), miQuiet())
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok := func(iss, sub, jti string) string {
		return idp.Mint(jwtguardtest.Claims{"iss": iss, "sub": sub, "jti": jti})
	}
	// A logout with an alias token revokes its jti under the canonical
	// issuer: the same jti under the ID is refused.
	c, err := v.Verify(ctx, tok(alias, "alice", "j1"))
	miWant(t, c, err)
	if err := jwtguard.RevokeClaims(ctx, store, c); err != nil {
		t.Fatal(err)
	}
	for _, iss := range []string{id, alias} {
		_, err := v.Verify(ctx, tok(iss, "alice", "j1"))
		miWant(t, nil, err, jwtguard.ErrTokenRevoked)
	}
	// An administrator without a token: the canonical name of an iss.
	canon, ok := v.CanonicalIssuer(ctx, alias)
	if !ok || canon != id {
		t.Fatalf("CanonicalIssuer(%q) = %q, %v", alias, canon, ok)
	}
	if err := store.RevokeSubject(ctx, canon, "bob", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, iss := range []string{id, alias} {
		_, err := v.Verify(ctx, tok(iss, "bob", "j2"))
		miWant(t, nil, err, jwtguard.ErrTokenRevoked)
	}
	c, err = v.Verify(ctx, tok(alias, "carol", "j3"))
	miWant(t, c, err)
}

// TestTrustedTenantOracle (issue 16 item 8): what a client sees — status,
// challenge, body — is the same for every failure before a signature is
// proven, whether the token names a trusted tenant or a stranger; the Go
// error says which it was.
func TestTrustedTenantOracle(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	const trusted, resolved = "https://login.example/acme/v2.0", "https://tenant-r.example"
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	res := keys.allowAll("tenant-r")
	v := mustNew(t,
		jwtguard.Trust(jwtguard.Issuer{ID: "https://login.example/{tid}/v2.0", Tenants: []string{"acme"},
			Keys: jwtguard.JWKS("https://keys.example/acme/jwks.json"), Algorithms: []string{"RS256"}, MaxTokenSize: 1500}),
		jwtguard.WithIssuerResolver(res.resolve, 4),
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{Client: keys.client()}),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("RS256", "ES256"), jwtguard.WithRealm("api"), miQuiet())
	if err := v.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Load the resolved tenant's keys, so its failures are not 503s.
	c, err := v.Verify(context.Background(), keys.token("tenant-r"))
	miWant(t, c, err)

	type mk func(iss string) string
	attacks := []struct {
		name string
		mint mk
	}{
		{"bad signature", func(iss string) string {
			return keys.idp.Mint(jwtguardtest.Claims{"iss": iss, "tid": "acme"}, jwtguardtest.WithSigningKey(keys.atk))
		}},
		{"unknown kid", func(iss string) string {
			return keys.idp.Mint(jwtguardtest.Claims{"iss": iss, "tid": "acme"}, jwtguardtest.WithHeader("kid", "no-such-kid"))
		}},
		{"algorithm the entry refuses", func(iss string) string {
			return keys.idp.Mint(jwtguardtest.Claims{"iss": iss, "tid": "acme"}, jwtguardtest.WithSigningKey(ec), jwtguardtest.WithAlg("ES256"))
		}},
		{"larger than the entry accepts", func(iss string) string {
			return keys.idp.Mint(jwtguardtest.Claims{"iss": iss, "tid": "acme", "pad": strings.Repeat("x", 1500)}, jwtguardtest.WithSigningKey(keys.atk))
		}},
	}
	respond := func(tok string) (int, string, string, error) {
		_, err := v.Verify(context.Background(), tok)
		rec := httptest.NewRecorder()
		v.WriteError(rec, err)
		return rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body.String(), err
	}
	var first string
	for _, a := range attacks {
		for _, iss := range []string{trusted, resolved} {
			t.Run(a.name+" naming "+iss, func(t *testing.T) {
				code, chal, body, trustedErr := respond(a.mint(iss))
				scode, schal, sbody, strangerErr := respond(a.mint("https://stranger.example"))
				if code != scode || chal != schal || body != sbody {
					t.Fatalf("a trusted tenant is told apart:\n trusted:  %d %s %s\n stranger: %d %s %s", code, chal, body, scode, schal, sbody)
				}
				if code != http.StatusUnauthorized || !strings.Contains(chal, `error_description="token could not be verified"`) {
					t.Fatalf("answer %d %s", code, chal)
				}
				if first == "" {
					first = chal + body
				} else if first != chal+body {
					t.Fatalf("answers differ between failure classes: %q vs %q", first, chal+body)
				}
				// The operator's error says what it was.
				if errors.Is(trustedErr, jwtguard.ErrInvalidIssuer) || !errors.Is(strangerErr, jwtguard.ErrInvalidIssuer) {
					t.Fatalf("Go errors: trusted %v, stranger %v", trustedErr, strangerErr)
				}
				if d := jwtguard.AsError(trustedErr).Detail; d == "" || !strings.Contains(strangerErr.Error(), "stranger.example") {
					t.Fatalf("operator details missing: %q / %q", d, strangerErr)
				}
			})
		}
	}
}

// TestDiscoveryClientStaysOnItsHost (issue 16, decided): a Discovery key
// source with its own HTTP client (carrying credentials, as the
// Kubernetes guide suggests) fetches a jwks_uri on another host with the
// verifier-wide client: the credentials never leave the issuer's host.
func TestDiscoveryClientStaysOnItsHost(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	var leaked atomic.Int64
	keysHost := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(idp.JWKS())
	}))
	t.Cleanup(keysHost.Close)
	var authed atomic.Int64
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer sa-token" {
			authed.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, "http://"+r.Host, keysHost.URL+"/keys")
	}))
	t.Cleanup(issuer.Close)
	withToken := &http.Client{Transport: bearerTransport{"sa-token"}}
	v := mustNew(t,
		jwtguard.Trust(jwtguard.Issuer{ID: issuer.URL, Keys: jwtguard.Discovery().WithHTTPClient(withToken)}),
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{InsecureHTTP: true}), // the transport above cannot be held to loopback
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("RS256"), miQuiet())
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(context.Background(), idp.Mint(jwtguardtest.Claims{"iss": issuer.URL}))
	miWant(t, c, err)
	if authed.Load() == 0 {
		t.Fatal("the discovery document was not fetched with the key source's client")
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the key source's credentials reached the jwks_uri's host %d times", n)
	}
}

// bearerTransport adds a bearer token to every request.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}
