package jwtguard_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// miCounter is an httptest server that counts every request it receives; a
// token naming it as issuer must never make the verifier call it.
func miCounter(t *testing.T) (url string, hits *atomic.Int64) {
	t.Helper()
	hits = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}

// miHits is every request an issuer has served.
func miHits(iss *jwtguardtest.Issuer) int64 { return iss.JWKSHits() + iss.DiscoveryHits() }

// miNew builds a verifier, waits for its keys and closes it at the end.
// Refreshes are slowed down so that only the requests a test causes reach
// the issuers.
func miNew(t *testing.T, opts ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	base := []jwtguard.Option{
		jwtguard.WithAlgorithms(jwtguardtest.Algorithms...),
		jwtguard.WithRefreshInterval(time.Hour, 2*time.Hour),
	}
	v, err := jwtguard.New(append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return v
}

// miWant checks a Verify result: want nil means accepted, else the error
// must be an *jwtguard.Error wrapping one of want.
func miWant(t *testing.T, c *jwtguard.Claims, err error, want ...error) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		if c == nil {
			t.Fatal("accepted without claims")
		}
		return
	}
	if err == nil {
		t.Fatalf("accepted (iss %q), want %v", c.Issuer, want)
	}
	var je *jwtguard.Error
	if !errors.As(err, &je) {
		t.Fatalf("error %T is not a *jwtguard.Error: %v", err, err)
	}
	for _, w := range want {
		if errors.Is(err, w) {
			return
		}
	}
	t.Fatalf("error %v, want one of %v", err, want)
}

func TestMultiIssuer(t *testing.T) {
	t.Parallel()
	a := jwtguardtest.NewIssuer(t) // discovery, audience api-a, every algorithm
	b := jwtguardtest.NewIssuer(t) // JWKS URL, audiences api-b and api-b2, ES256 only
	c := jwtguardtest.NewIssuer(t) // static key set under another issuer name
	const staticIss = "https://static.example.test"
	set := jwk.NewSet()
	k, err := jwk.FromRaw(c.PublicKey("EdDSA"))
	if err != nil {
		t.Fatal(err)
	}
	_ = k.Set(jwk.KeyIDKey, c.KeyID("EdDSA"))
	_ = set.AddKey(k)

	v := miNew(t, jwtguard.WithIssuers(
		jwtguard.IssuerConfig{Issuer: a.URL(), Discovery: true, Audiences: []string{"api-a"}},
		jwtguard.IssuerConfig{Issuer: b.URL(), JWKSURL: b.JWKSURL(), Audiences: []string{"api-b", "api-b2"}, Algorithms: []string{"ES256"}},
		jwtguard.IssuerConfig{Issuer: staticIss, KeySet: set},
	), jwtguard.WithAudience("api-default"))

	es := jwtguardtest.WithAlg("ES256")
	cases := []struct {
		name  string
		token string
		want  []error // nil: accepted
	}{
		{"issuer A", a.Mint(jwtguardtest.Claims{"aud": "api-a"}), nil},
		{"issuer A, ES256", a.Mint(jwtguardtest.Claims{"aud": "api-a"}, es), nil},
		{"issuer B, first audience", b.Mint(jwtguardtest.Claims{"aud": "api-b"}, es), nil},
		{"issuer B, second audience", b.Mint(jwtguardtest.Claims{"aud": "api-b2"}, es), nil},
		{"issuer B, audience list with one match", b.Mint(jwtguardtest.Claims{"aud": []string{"other", "api-b2"}}, es), nil},
		{"static issuer falls back to WithAudience", c.Mint(jwtguardtest.Claims{"iss": staticIss, "aud": "api-default"}, jwtguardtest.WithAlg("EdDSA")), nil},

		{"issuer B with A's audience", b.Mint(jwtguardtest.Claims{"aud": "api-a"}, es), []error{jwtguard.ErrInvalidAudience}},
		{"issuer A with B's audience", a.Mint(jwtguardtest.Claims{"aud": "api-b"}), []error{jwtguard.ErrInvalidAudience}},
		{"issuer A with the default audience", a.Mint(jwtguardtest.Claims{"aud": "api-default"}), []error{jwtguard.ErrInvalidAudience}},
		{"issuer B with an algorithm only A may use", b.Mint(jwtguardtest.Claims{"aud": "api-b"}), []error{jwtguard.ErrAlgorithmNotAllowed}},

		{"claims B, signed by A's key (A's kid)", a.Mint(jwtguardtest.Claims{"iss": b.URL(), "aud": "api-b"}, es),
			[]error{jwtguard.ErrKeyNotFound, jwtguard.ErrInvalidSignature}},
		{"claims B, signed by A's key with B's kid", a.Mint(jwtguardtest.Claims{"iss": b.URL(), "aud": "api-b"}, es,
			jwtguardtest.WithHeader("kid", b.KeyID("ES256"))), []error{jwtguard.ErrInvalidSignature}},
		{"claims B, signed by A's key without kid", a.Mint(jwtguardtest.Claims{"iss": b.URL(), "aud": "api-b"}, es,
			jwtguardtest.WithoutHeader("kid")), []error{jwtguard.ErrInvalidSignature}},
		{"claims A, signed by B's key with A's kid", b.Mint(jwtguardtest.Claims{"iss": a.URL(), "aud": "api-a"}, es,
			jwtguardtest.WithHeader("kid", a.KeyID("ES256"))), []error{jwtguard.ErrInvalidSignature}},
		{"claims the static issuer, signed by A's EdDSA key", a.Mint(jwtguardtest.Claims{"iss": staticIss, "aud": "api-default"},
			jwtguardtest.WithAlg("EdDSA"), jwtguardtest.WithHeader("kid", c.KeyID("EdDSA"))), []error{jwtguard.ErrInvalidSignature}},
		{"issuer name with a trailing slash is another issuer", a.Mint(jwtguardtest.Claims{"iss": a.URL() + "/", "aud": "api-a"}),
			[]error{jwtguard.ErrInvalidIssuer}},
		{"no iss", a.Mint(jwtguardtest.Claims{"iss": nil, "aud": "api-a"}), []error{jwtguard.ErrInvalidIssuer}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := v.Verify(context.Background(), tc.token)
			miWant(t, cl, err, tc.want...)
			if tc.want == nil && cl.Issuer == "" {
				t.Fatal("accepted claims without issuer")
			}
		})
	}
}

// TestMultiIssuerUnknownIssuerNoRequest: a token naming an issuer that is
// not configured is refused before any network request, to that issuer or
// to the configured ones.
func TestMultiIssuerUnknownIssuerNoRequest(t *testing.T) {
	t.Parallel()
	a := jwtguardtest.NewIssuer(t)
	b := jwtguardtest.NewIssuer(t)
	evil, evilHits := miCounter(t)
	v := miNew(t, jwtguard.WithIssuers(
		jwtguard.IssuerConfig{Issuer: a.URL(), Discovery: true},
		jwtguard.IssuerConfig{Issuer: b.URL(), JWKSURL: b.JWKSURL()},
	), jwtguard.WithAudience(jwtguardtest.DefaultAudience))
	before := miHits(a) + miHits(b)

	tokens := map[string]string{
		"unknown issuer":                 a.Mint(jwtguardtest.Claims{"iss": evil}),
		"unknown issuer, unknown kid":    a.Mint(jwtguardtest.Claims{"iss": evil}, jwtguardtest.WithHeader("kid", "nope")),
		"unknown issuer with jku header": a.Mint(jwtguardtest.Claims{"iss": evil}, jwtguardtest.WithHeader("jku", evil+"/jwks.json")),
		"unknown issuer, path of A":      a.Mint(jwtguardtest.Claims{"iss": evil + "/" + strings.TrimPrefix(a.URL(), "http://")}),
	}
	for name, tok := range tokens {
		t.Run(name, func(t *testing.T) {
			cl, err := v.Verify(context.Background(), tok)
			miWant(t, cl, err, jwtguard.ErrInvalidIssuer, jwtguard.ErrMalformedToken)
		})
	}
	// The "unknown issuer" token must fail on its issuer, nothing else.
	_, err := v.Verify(context.Background(), tokens["unknown issuer"])
	miWant(t, nil, err, jwtguard.ErrInvalidIssuer)
	if je := jwtguard.AsError(err); je.Status != http.StatusUnauthorized || je.Code != jwtguard.CodeInvalidToken {
		t.Fatalf("unknown issuer gives %d %q, want 401 invalid_token", je.Status, je.Code)
	}
	if n := evilHits.Load(); n != 0 {
		t.Fatalf("the unknown issuer's server got %d requests", n)
	}
	if n := miHits(a) + miHits(b) - before; n != 0 {
		t.Fatalf("configured issuers got %d requests for tokens of an unknown issuer", n)
	}
}

func TestMultiIssuerOptions(t *testing.T) {
	t.Parallel()
	a := jwtguardtest.NewIssuer(t)
	resolve := func(context.Context, string) (jwtguard.IssuerConfig, bool) { return jwtguard.IssuerConfig{}, false }
	algs := jwtguard.WithAlgorithms("RS256")
	aud := jwtguard.WithAudience("x")
	good := jwtguard.IssuerConfig{Issuer: a.URL(), Discovery: true}
	cases := []struct {
		name string
		opts []jwtguard.Option
		ok   bool
		want string // part of the error
	}{
		{"issuers", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(good)}, true, ""},
		{"resolver only", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 10)}, true, ""},
		{"issuers and resolver", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(good), jwtguard.WithIssuerResolver(resolve, 10)}, true, ""},
		{"no issuers", []jwtguard.Option{algs, aud, jwtguard.WithIssuers()}, false, "WithIssuers"},
		{"two key sources", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(jwtguard.IssuerConfig{Issuer: a.URL(), Discovery: true, JWKSURL: a.JWKSURL()})}, false, "exactly one"},
		{"no key source", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(jwtguard.IssuerConfig{Issuer: a.URL()})}, false, "exactly one"},
		{"empty issuer", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(jwtguard.IssuerConfig{JWKSURL: a.JWKSURL()})}, false, "empty Issuer"},
		{"empty audience", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(jwtguard.IssuerConfig{Issuer: a.URL(), Discovery: true, Audiences: []string{""}})}, false, "empty audience"},
		{"listed twice", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(good, good)}, false, "twice"},
		{"no audience anywhere", []jwtguard.Option{algs, jwtguard.WithIssuers(good)}, false, "no audience"},
		{"algorithm outside WithAlgorithms", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(jwtguard.IssuerConfig{Issuer: a.URL(), Discovery: true, Algorithms: []string{"ES256"}})}, false, "not in WithAlgorithms"},
		{"plain http JWKS on a public host", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(jwtguard.IssuerConfig{Issuer: "https://idp.example", JWKSURL: "http://idp.example/jwks"})}, false, "WithIssuers"},
		{"combined with WithIssuer", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(good), jwtguard.WithIssuer(a.URL())}, false, "WithIssuer"},
		{"combined with WithJWKS", []jwtguard.Option{algs, aud, jwtguard.WithIssuers(good), jwtguard.WithJWKS(a.JWKSURL())}, false, "WithJWKS"},
		{"resolver combined with WithJWKS", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 1), jwtguard.WithJWKS(a.JWKSURL())}, false, "WithJWKS"},
		{"resolver combined with WithoutIssuerCheck", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 1), jwtguard.WithoutIssuerCheck()}, false, "WithoutIssuerCheck"},
		{"nil resolver", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(nil, 1)}, false, "WithIssuerResolver"},
		{"resolver cap 0", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 0)}, false, "maxIssuers"},
		{"resolver twice", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 1), jwtguard.WithIssuerResolver(resolve, 1)}, false, "twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := jwtguard.New(tc.opts...)
			if v != nil {
				defer v.Close()
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted the configuration")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// miTenants is a resolver over an allowlist, counting its calls.
type miTenants struct {
	mu      sync.Mutex
	allowed map[string]jwtguard.IssuerConfig
	calls   map[string]int
}

func (m *miTenants) resolve(_ context.Context, iss string) (jwtguard.IssuerConfig, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[iss]++
	ic, ok := m.allowed[iss]
	return ic, ok
}

func (m *miTenants) callsFor(iss string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[iss]
}

func TestIssuerResolver(t *testing.T) {
	t.Parallel()
	static := jwtguardtest.NewIssuer(t) // listed in WithIssuers
	t1 := jwtguardtest.NewIssuer(t)     // allowed tenant, discovery
	t2 := jwtguardtest.NewIssuer(t)     // allowed tenant, JWKS URL, own audience
	t3 := jwtguardtest.NewIssuer(t)     // allowed by the resolver, but beyond the cap
	evil, evilHits := miCounter(t)      // not allowed
	liar, liarHits := miCounter(t)      // resolver returns another issuer's config for it
	broken, brokenHits := miCounter(t)  // resolver returns an invalid config for it
	tenants := &miTenants{allowed: map[string]jwtguard.IssuerConfig{
		t1.URL():     {Issuer: t1.URL(), Discovery: true},
		t2.URL():     {Issuer: t2.URL(), JWKSURL: t2.JWKSURL(), Audiences: []string{"api-t2"}},
		t3.URL():     {Issuer: t3.URL(), Discovery: true},
		liar:         {Issuer: t1.URL(), Discovery: true},
		broken:       {Issuer: broken},
		static.URL(): {Issuer: static.URL(), JWKSURL: evil + "/never"},
	}}
	v := miNew(t,
		jwtguard.WithIssuers(jwtguard.IssuerConfig{Issuer: static.URL(), Discovery: true}),
		jwtguard.WithIssuerResolver(tenants.resolve, 2),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience))
	t3Before := miHits(t3)

	cases := []struct {
		name  string
		token string
		want  []error
	}{
		{"configured issuer", static.Mint(nil), nil},
		{"tenant 1, first token waits for keys", t1.Mint(nil), nil},
		{"tenant 1 again", t1.Mint(nil, jwtguardtest.WithAlg("ES256")), nil},
		{"tenant 2 with its own audience", t2.Mint(jwtguardtest.Claims{"aud": "api-t2"}), nil},
		{"tenant 2 with the default audience", t2.Mint(nil), []error{jwtguard.ErrInvalidAudience}},
		{"claims tenant 2, signed by tenant 1", t1.Mint(jwtguardtest.Claims{"iss": t2.URL(), "aud": "api-t2"}),
			[]error{jwtguard.ErrKeyNotFound, jwtguard.ErrInvalidSignature}},
		{"claims tenant 1, signed by tenant 2 with tenant 1's kid", t2.Mint(jwtguardtest.Claims{"iss": t1.URL()},
			jwtguardtest.WithHeader("kid", t1.KeyID("RS256"))), []error{jwtguard.ErrInvalidSignature}},
		{"not allowed by the resolver", t1.Mint(jwtguardtest.Claims{"iss": evil}), []error{jwtguard.ErrInvalidIssuer}},
		{"resolver returns another issuer", t1.Mint(jwtguardtest.Claims{"iss": liar}), []error{jwtguard.ErrInvalidIssuer}},
		{"resolver returns an invalid config", t1.Mint(jwtguardtest.Claims{"iss": broken}), []error{jwtguard.ErrInvalidIssuer}},
		{"allowed, but the cap of 2 is reached", t3.Mint(nil), []error{jwtguard.ErrInvalidIssuer}},
		{"tenant 1 still works at the cap", t1.Mint(nil), nil},
	}
	for _, tc := range cases { // in order: the cap depends on it
		t.Run(tc.name, func(t *testing.T) {
			cl, err := v.Verify(context.Background(), tc.token)
			miWant(t, cl, err, tc.want...)
		})
	}

	if n := tenants.callsFor(static.URL()); n != 0 {
		t.Errorf("resolver asked %d times about an issuer of WithIssuers", n)
	}
	if n := tenants.callsFor(t1.URL()); n != 1 {
		t.Errorf("resolver asked %d times about tenant 1, want 1 (resolved issuers are kept)", n)
	}
	for name, hits := range map[string]*atomic.Int64{"not allowed": evilHits, "liar": liarHits, "broken": brokenHits} {
		if n := hits.Load(); n != 0 {
			t.Errorf("%s issuer's server got %d requests", name, n)
		}
	}
	if n := miHits(t3) - t3Before; n != 0 {
		t.Errorf("issuer beyond the cap got %d requests", n)
	}
}

func TestIssuerResolverConcurrent(t *testing.T) {
	t.Parallel()
	t1 := jwtguardtest.NewIssuer(t)
	tenants := &miTenants{allowed: map[string]jwtguard.IssuerConfig{t1.URL(): {Issuer: t1.URL(), Discovery: true}}}
	v := miNew(t, jwtguard.WithIssuerResolver(tenants.resolve, 1), jwtguard.WithAudience(jwtguardtest.DefaultAudience))
	tok := t1.Mint(nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), tok); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// With a cap of 1, concurrent first requests must share one entry:
	// a second entry would have been refused above.
}

func TestIssuerResolverKeysUnavailable(t *testing.T) {
	t.Parallel()
	t1 := jwtguardtest.NewIssuer(t)
	t1.Down(true)
	tenants := &miTenants{allowed: map[string]jwtguard.IssuerConfig{t1.URL(): {Issuer: t1.URL(), Discovery: true}}}
	v := miNew(t, jwtguard.WithIssuerResolver(tenants.resolve, 1), jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithFetchTimeout(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := v.Verify(ctx, t1.Mint(nil))
	miWant(t, nil, err, jwtguard.ErrKeysUnavailable)
	var je *jwtguard.Error
	if !errors.As(err, &je) || je.Status != http.StatusServiceUnavailable {
		t.Fatalf("got %v, want a 503 *jwtguard.Error", err)
	}
}

// TestMultiIssuerStaticKidlessKey: a kid-less key in an issuer's static
// KeySet verifies tokens whose kid no key carries, exactly as WithKeySet
// does; a token of another issuer still fails.
func TestMultiIssuerStaticKidlessKey(t *testing.T) {
	t.Parallel()
	a, b := jwtguardtest.NewIssuer(t), jwtguardtest.NewIssuer(t)
	pub, err := jwk.FromRaw(a.PublicKey("RS256"))
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		t.Fatal(err)
	}
	v, err := jwtguard.New(
		jwtguard.WithIssuers(jwtguard.IssuerConfig{Issuer: a.URL(), KeySet: set}),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256"),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(context.Background(), a.Mint(nil)); err != nil {
		t.Fatalf("token with a kid unknown to the kid-less static key: %v", err)
	}
	forged := b.Mint(jwtguardtest.Claims{"iss": a.URL()})
	if _, err := v.Verify(context.Background(), forged); !errors.Is(err, jwtguard.ErrInvalidSignature) {
		t.Fatalf("token signed by another key = %v, want ErrInvalidSignature", err)
	}
}
