package jwtguard_test

// Issuer entries (one trust model, issue 11) and the issuer resolver
// (issue 12 items 1-3): several issuers in one verifier, each judged by its
// own entry; key sources as values; the resolver's bounded pools.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/memhttp"
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

// miNew builds a verifier allowing jwtguardtest.Algorithms, waits for its
// keys and closes it at the end. Refreshes are slowed down so that only the
// requests a test causes reach the issuers.
func miNew(t *testing.T, opts ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	return miNewWith(t, jwtguardtest.Algorithms, jwtguard.RemoteKeys{}, opts...)
}

// miNewWith is miNew with the algorithm allowlist algs and remote-key
// settings remote (MinRefresh and MaxRefresh default to 1 h and 2 h).
func miNewWith(t *testing.T, algs []string, remote jwtguard.RemoteKeys, opts ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	if remote.MinRefresh == 0 && remote.MaxRefresh == 0 {
		remote.MinRefresh, remote.MaxRefresh = time.Hour, 2*time.Hour
	}
	base := []jwtguard.Option{jwtguard.WithAlgorithms(algs...), jwtguard.WithRemoteKeys(remote)}
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
func miWant(t testing.TB, c *jwtguard.Claims, err error, want ...error) {
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
		iss := ""
		if c != nil {
			iss = c.Issuer
		}
		t.Fatalf("accepted (iss %q), want %v", iss, want)
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

// miQuiet discards the verifier's logs (floods would fill the test output).
func miQuiet() jwtguard.Option { return jwtguard.WithLogger(slog.New(slog.DiscardHandler)) }

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

	v := miNew(t, jwtguard.Trust(
		jwtguard.Issuer{ID: a.URL(), Keys: jwtguard.Discovery(), Audiences: []string{"api-a"}},
		jwtguard.Issuer{ID: b.URL(), Keys: jwtguard.JWKS(b.JWKSURL()), Audiences: []string{"api-b", "api-b2"}, Algorithms: []string{"ES256"}},
		jwtguard.Issuer{ID: staticIss, Keys: jwtguard.StaticKeys(set)},
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
	v := miNew(t, jwtguard.Trust(
		jwtguard.Issuer{ID: a.URL(), Keys: jwtguard.Discovery()},
		jwtguard.Issuer{ID: b.URL(), Keys: jwtguard.JWKS(b.JWKSURL())},
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
	if je := jwtguard.AsError(err); je.Status != http.StatusUnauthorized || je.Code != "invalid_token" {
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
	resolve := func(context.Context, string) (jwtguard.Issuer, bool) { return jwtguard.Issuer{}, false }
	algs := jwtguard.WithAlgorithms("RS256")
	aud := jwtguard.WithAudience("x")
	good := jwtguard.Issuer{ID: a.URL(), Keys: jwtguard.Discovery()}
	other := jwtguard.Issuer{ID: "https://other.example.test", Keys: jwtguard.JWKS(a.JWKSURL())}
	cases := []struct {
		name string
		opts []jwtguard.Option
		ok   bool
		want string // part of the error
	}{
		{"issuers", []jwtguard.Option{algs, aud, jwtguard.Trust(good, other)}, true, ""},
		{"resolver only", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 10)}, true, ""},
		{"issuers and resolver", []jwtguard.Option{algs, aud, jwtguard.Trust(good), jwtguard.WithIssuerResolver(resolve, 10)}, true, ""},
		// One code path: the one-line form and Trust add up (the first
		// version refused to combine WithIssuer and WithIssuers).
		{"Trust and WithIssuer add up", []jwtguard.Option{algs, aud, jwtguard.Trust(good), jwtguard.WithIssuer(other.ID, other.Keys)}, true, ""},
		{"Trust given twice adds up", []jwtguard.Option{algs, aud, jwtguard.Trust(good), jwtguard.Trust(other)}, true, ""},
		{"WithIssuer twice, two issuers", []jwtguard.Option{algs, aud, jwtguard.WithIssuer(good.ID, good.Keys), jwtguard.WithIssuer(other.ID, other.Keys)}, true, ""},
		{"resolver and WithIssuer", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 1), jwtguard.WithIssuer(good.ID, good.Keys)}, true, ""},

		{"no issuers", []jwtguard.Option{algs, aud, jwtguard.Trust()}, false, "Trust"},
		{"no key source", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: a.URL()})}, false, "no key source"},
		{"nil key source in WithIssuer", []jwtguard.Option{algs, aud, jwtguard.WithIssuer(a.URL(), nil)}, false, "WithIssuer"},
		{"zero KeySource value", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: a.URL(), Keys: &jwtguard.KeySource{}})}, false, "invalid KeySource"},
		{"empty issuer", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{Keys: jwtguard.JWKS(a.JWKSURL())})}, false, "empty ID"},
		{"empty alias", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: a.URL(), Aliases: []string{""}, Keys: jwtguard.Discovery()})}, false, "empty alias"},
		{"empty audience", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: a.URL(), Keys: jwtguard.Discovery(), Audiences: []string{""}})}, false, "Audiences"},
		{"listed twice", []jwtguard.Option{algs, aud, jwtguard.Trust(good, good)}, false, "twice"},
		{"WithIssuer and Trust name one issuer", []jwtguard.Option{algs, aud, jwtguard.Trust(good), jwtguard.WithIssuer(good.ID, jwtguard.JWKS(a.JWKSURL()))}, false, "twice"},
		{"alias of one is the ID of another", []jwtguard.Option{algs, aud, jwtguard.Trust(good, jwtguard.Issuer{ID: other.ID, Aliases: []string{good.ID}, Keys: other.Keys})}, false, "twice"},
		{"no audience anywhere", []jwtguard.Option{algs, jwtguard.Trust(good)}, false, "no audience"},
		{"algorithm outside WithAlgorithms", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: a.URL(), Keys: jwtguard.Discovery(), Algorithms: []string{"ES256"}})}, false, "not in WithAlgorithms"},
		{"plain http JWKS on a public host", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: "https://idp.example", Keys: jwtguard.JWKS("http://idp.example/jwks")})}, false, "Trust"},
		{"template without tenants", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: "https://login.example.test/{tenantid}/v2.0", Keys: jwtguard.JWKS(a.JWKSURL())})}, false, "needs Tenants"},
		{"tenants without template", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: a.URL(), Tenants: []string{"t1"}, Keys: jwtguard.Discovery()})}, false, "template"},
		{"template tenant that is not a plain value", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: "https://login.example.test/{tenantid}/v2.0", Tenants: []string{"t1/../t2"}, Keys: jwtguard.JWKS(a.JWKSURL())})}, false, "plain value"},
		{"template with discovery", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{ID: "https://login.example.test/{tenantid}/v2.0", Tenants: []string{"t1"}, Keys: jwtguard.Discovery()})}, false, "Discovery()"},
		{"subject prefix with discovery", []jwtguard.Option{algs, aud, jwtguard.Trust(jwtguard.Issuer{SubjectPrefix: "spiffe://example.org/", Keys: jwtguard.Discovery()})}, false, "Discovery()"},
		{"resolver combined with WithoutIssuerCheck", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 1), jwtguard.WithoutIssuerCheck()}, false, "WithoutIssuerCheck"},
		{"nil resolver", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(nil, 1)}, false, "WithIssuerResolver"},
		{"resolver cap 0", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 0)}, false, "maxIssuers"},
		{"resolver twice", []jwtguard.Option{algs, aud, jwtguard.WithIssuerResolver(resolve, 1), jwtguard.WithIssuerResolver(resolve, 1)}, false, "more than once"},
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

// miTenants is a resolver over an allowlist, counting its calls. Tests
// change the allowlist while the verifier runs.
type miTenants struct {
	mu      sync.Mutex
	allowed map[string]jwtguard.Issuer
	calls   map[string]int
}

func (m *miTenants) resolve(_ context.Context, iss string) (jwtguard.Issuer, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[iss]++
	is, ok := m.allowed[iss]
	return is, ok
}

func (m *miTenants) callsFor(iss string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[iss]
}

func (m *miTenants) set(iss string, is jwtguard.Issuer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.allowed == nil {
		m.allowed = map[string]jwtguard.Issuer{}
	}
	m.allowed[iss] = is
}

func (m *miTenants) remove(iss string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.allowed, iss)
}

// TestIssuerResolver: static and resolved issuers side by side, the
// resolver asked for every token, unusable answers refused, entries and
// their keys kept.
func TestIssuerResolver(t *testing.T) {
	t.Parallel()
	static := jwtguardtest.NewIssuer(t) // listed in Trust
	t1 := jwtguardtest.NewIssuer(t)     // allowed tenant, discovery
	t2 := jwtguardtest.NewIssuer(t)     // allowed tenant, JWKS URL, own audience
	t3 := jwtguardtest.NewIssuer(t)     // allowed by the resolver: a third new issuer, admitted at once
	evil, evilHits := miCounter(t)      // not allowed
	liar, liarHits := miCounter(t)      // resolver returns another issuer's entry for it
	broken, brokenHits := miCounter(t)  // resolver returns an invalid entry for it
	tenants := &miTenants{allowed: map[string]jwtguard.Issuer{
		t1.URL():     {ID: t1.URL(), Keys: jwtguard.Discovery()},
		t2.URL():     {ID: t2.URL(), Keys: jwtguard.JWKS(t2.JWKSURL()), Audiences: []string{"api-t2"}},
		t3.URL():     {ID: t3.URL(), Keys: jwtguard.Discovery()},
		liar:         {ID: t1.URL(), Keys: jwtguard.Discovery()},
		broken:       {ID: broken},
		static.URL(): {ID: static.URL(), Keys: jwtguard.JWKS(evil + "/never")},
	}}
	// maxIssuers 3: probation max(2, 3/4) = 2 entries, 3 proven.
	v := miNew(t,
		jwtguard.Trust(jwtguard.Issuer{ID: static.URL(), Keys: jwtguard.Discovery()}),
		jwtguard.WithIssuerResolver(tenants.resolve, 3),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience), miQuiet())
	t3Before := miHits(t3)

	cases := []struct {
		name  string
		token string
		want  []error
	}{
		{"configured issuer", static.Mint(nil), nil},
		{"tenant 1, first token waits for keys", t1.Mint(nil), nil},
		{"tenant 1 again", t1.Mint(nil, jwtguardtest.WithAlg("ES256")), nil},
		// An unusable answer is refused (and logged) without using the
		// budget of new issuers.
		{"resolver returns an invalid entry", t1.Mint(jwtguardtest.Claims{"iss": broken}), []error{jwtguard.ErrInvalidIssuer}},
		{"tenant 2 with its own audience", t2.Mint(jwtguardtest.Claims{"aud": "api-t2"}), nil},
		{"tenant 2 with the default audience", t2.Mint(nil), []error{jwtguard.ErrInvalidAudience}},
		{"claims tenant 2, signed by tenant 1", t1.Mint(jwtguardtest.Claims{"iss": t2.URL(), "aud": "api-t2"}),
			[]error{jwtguard.ErrKeyNotFound, jwtguard.ErrInvalidSignature}},
		{"claims tenant 1, signed by tenant 2 with tenant 1's kid", t2.Mint(jwtguardtest.Claims{"iss": t1.URL()},
			jwtguardtest.WithHeader("kid", t1.KeyID("RS256"))), []error{jwtguard.ErrInvalidSignature}},
		{"not allowed by the resolver", t1.Mint(jwtguardtest.Claims{"iss": evil}), []error{jwtguard.ErrInvalidIssuer}},
		{"resolver returns another issuer", t1.Mint(jwtguardtest.Claims{"iss": liar}), []error{jwtguard.ErrInvalidIssuer}},
		// Two new issuers this minute already: a third one that never
		// was admitted is admitted at once (issue 16 item 5: only
		// re-admissions of unproven issuers spend a budget).
		{"a third new issuer is admitted at once", t3.Mint(nil), nil},
		{"tenant 1 still works", t1.Mint(nil), nil},
	}
	for _, tc := range cases { // in order: the budget depends on it
		t.Run(tc.name, func(t *testing.T) {
			cl, err := v.Verify(context.Background(), tc.token)
			miWant(t, cl, err, tc.want...)
			if errors.Is(err, jwtguard.ErrKeysUnavailable) {
				if je := jwtguard.AsError(err); je.Status != http.StatusServiceUnavailable || je.RetryAfter <= 0 || je.RetryAfter > time.Minute {
					t.Fatalf("budget refusal: status %d, Retry-After %s; want 503 within a minute", je.Status, je.RetryAfter)
				}
			}
		})
	}

	if n := tenants.callsFor(static.URL()); n != 0 {
		t.Errorf("resolver asked %d times about a statically trusted issuer", n)
	}
	// The resolver is asked for every token (issue 12 item 2) ...
	if n := tenants.callsFor(t1.URL()); n != 4 {
		t.Errorf("resolver asked %d times about tenant 1's 4 tokens, want 4", n)
	}
	// ... while the entry, and its keys, are kept: one discovery, one JWKS.
	if n := miHits(t1); n != 2 {
		t.Errorf("tenant 1's provider served %d requests, want 2 (its entry is kept)", n)
	}
	for name, hits := range map[string]*atomic.Int64{"not allowed": evilHits, "liar": liarHits, "broken": brokenHits} {
		if n := hits.Load(); n != 0 {
			t.Errorf("%s issuer's server got %d requests", name, n)
		}
	}
	if n := miHits(t3) - t3Before; n != 2 {
		t.Errorf("the third new issuer's provider served %d requests, want 2 (discovery, JWKS)", n)
	}
}

// TestIssuerResolverConcurrent: concurrent first tokens of a new issuer
// share one entry and one key fetch (the budget counts issuers, not
// requests).
func TestIssuerResolverConcurrent(t *testing.T) {
	t.Parallel()
	t1 := jwtguardtest.NewIssuer(t)
	tenants := &miTenants{allowed: map[string]jwtguard.Issuer{t1.URL(): {ID: t1.URL(), Keys: jwtguard.Discovery()}}}
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
	if d, j := t1.DiscoveryHits(), t1.JWKSHits(); d != 1 || j != 1 {
		t.Fatalf("16 concurrent first tokens caused %d discovery and %d JWKS requests, want 1 and 1", d, j)
	}
}

func TestIssuerResolverKeysUnavailable(t *testing.T) {
	t.Parallel()
	t1 := jwtguardtest.NewIssuer(t)
	t1.Down(true)
	tenants := &miTenants{allowed: map[string]jwtguard.Issuer{t1.URL(): {ID: t1.URL(), Keys: jwtguard.Discovery()}}}
	v := miNewWith(t, jwtguardtest.Algorithms, jwtguard.RemoteKeys{FetchTimeout: 200 * time.Millisecond},
		jwtguard.WithIssuerResolver(tenants.resolve, 1), jwtguard.WithAudience(jwtguardtest.DefaultAudience), miQuiet())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := v.Verify(ctx, t1.Mint(nil))
	miWant(t, nil, err, jwtguard.ErrKeysUnavailable)
	var je *jwtguard.Error
	if !errors.As(err, &je) || je.Status != http.StatusServiceUnavailable || je.RetryAfter <= 0 {
		t.Fatalf("got %v, want a 503 *jwtguard.Error with Retry-After", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Verify waited for the caller's deadline instead of answering after the failed load")
	}
}

// TestMultiIssuerStaticKidlessKey: a kid-less key in an issuer's static
// key set verifies tokens whose kid no key carries; a token of another
// issuer still fails.
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
		jwtguard.Trust(jwtguard.Issuer{ID: a.URL(), Keys: jwtguard.StaticKeys(set)}),
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

// --- The trust model's acceptance tests (issue 11) ---

// TestTrustTwoIssuersOwnClaimsAndKeySources: two issuers in one verifier,
// one found through OIDC discovery with roles in realm_access.roles, one
// with an HMAC secret with roles in groups and the tenant in org. Each
// token is mapped by its own issuer's entry only.
func TestTrustTwoIssuersOwnClaimsAndKeySources(t *testing.T) {
	t.Parallel()
	kc := jwtguardtest.NewIssuer(t)
	const ci = "https://ci.example.test"
	secret := []byte("ci-shared-secret-0123456789abcdefghijklmnop")
	v := miNewWith(t, []string{"RS256", "HS256"}, jwtguard.RemoteKeys{}, jwtguard.Trust(
		jwtguard.Issuer{ID: kc.URL(), Keys: jwtguard.Discovery(), Audiences: []string{"orders-api"}, Algorithms: []string{"RS256"},
			Claims: jwtguard.ClaimMap{Roles: []string{"realm_access.roles"}}},
		jwtguard.Issuer{ID: ci, Keys: jwtguard.HMAC(secret), Audiences: []string{"orders-api"}, Algorithms: []string{"HS256"},
			Claims: jwtguard.ClaimMap{Roles: []string{"groups"}, Tenant: "org"}},
	))
	// Both tokens carry both role claims: only the issuer's own path counts.
	both := jwtguardtest.Claims{"aud": "orders-api", "realm_access": map[string]any{"roles": []string{"kc-admin"}},
		"groups": []string{"ci-deployer"}, "org": "acme", "tenant_id": "kc-tenant", "roles": []string{"default-path"}}
	withIss := func(iss string) jwtguardtest.Claims {
		c := jwtguardtest.Claims{"iss": iss}
		for k, v := range both {
			c[k] = v
		}
		return c
	}
	hs := []jwtguardtest.MintOption{jwtguardtest.WithAlg("HS256"), jwtguardtest.WithHMACKey(secret)}
	cases := []struct {
		name    string
		token   string
		want    []error
		roles   []string
		tenant  string
		allowed jwtguard.Policy // must pass
		denied  jwtguard.Policy // must refuse
	}{
		{name: "discovery issuer", token: kc.Mint(withIss(kc.URL())), roles: []string{"kc-admin"}, tenant: "kc-tenant",
			allowed: jwtguard.RequireAnyRole("kc-admin"), denied: jwtguard.RequireAnyRole("ci-deployer")},
		{name: "HMAC issuer", token: kc.Mint(withIss(ci), hs...), roles: []string{"ci-deployer"}, tenant: "acme",
			allowed: jwtguard.RequireAnyRole("ci-deployer"), denied: jwtguard.RequireAnyRole("kc-admin")},
		{name: "HMAC token naming the discovery issuer", token: kc.Mint(withIss(kc.URL()), hs...), want: []error{jwtguard.ErrAlgorithmNotAllowed}},
		{name: "RSA token naming the HMAC issuer", token: kc.Mint(withIss(ci)), want: []error{jwtguard.ErrAlgorithmNotAllowed}},
		{name: "HMAC issuer, another secret", token: kc.Mint(withIss(ci), jwtguardtest.WithAlg("HS256"),
			jwtguardtest.WithHMACKey([]byte("another-secret-0123456789abcdefghijklmnopq"))), want: []error{jwtguard.ErrInvalidSignature}},
		{name: "HMAC issuer, the test issuer's own secret", token: kc.Mint(withIss(ci), jwtguardtest.WithAlg("HS256")), want: []error{jwtguard.ErrInvalidSignature}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.token)
			miWant(t, c, err, tc.want...)
			if tc.want != nil {
				return
			}
			if !slices.Equal(c.Roles, tc.roles) || c.Tenant != tc.tenant {
				t.Fatalf("roles %q tenant %q, want %q and %q", c.Roles, c.Tenant, tc.roles, tc.tenant)
			}
			if err := jwtguard.Authorize(c, tc.allowed); err != nil {
				t.Fatalf("policy refused: %v", err)
			}
			if err := jwtguard.Authorize(c, tc.denied); !errors.Is(err, jwtguard.ErrForbidden) {
				t.Fatalf("policy on another issuer's role path = %v, want ErrForbidden", err)
			}
		})
	}
}

// TestTrustRolePathsMerged: Keycloak-style roles from three paths of one
// issuer, merged in path order without duplicates; a path of the wrong
// shape contributes nothing and does not refuse the token.
func TestTrustRolePathsMerged(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	e := iss.Entry()
	e.Claims.Roles = []string{"roles", "realm_access.roles", "resource_access.[api.orders.example.com].roles"}
	v := iss.VerifierFor(t, e)
	ra := func(roles ...string) map[string]any { return map[string]any{"roles": roles} }
	cases := []struct {
		name   string
		claims jwtguardtest.Claims
		want   []string
	}{
		{"three paths", jwtguardtest.Claims{"roles": []string{"user"}, "realm_access": ra("offline_access", "user"),
			"resource_access": map[string]any{"api.orders.example.com": ra("orders:admin"), "other-client": ra("other:admin")}},
			[]string{"user", "offline_access", "orders:admin"}},
		{"client roles only", jwtguardtest.Claims{"resource_access": map[string]any{"api.orders.example.com": ra("orders:read")}},
			[]string{"orders:read"}},
		{"the client's ID is not split on its dots", jwtguardtest.Claims{"resource_access": map[string]any{
			"api": map[string]any{"orders": map[string]any{"example": map[string]any{"com": ra("nested")}}}}}, nil},
		{"another client's roles do not count", jwtguardtest.Claims{"resource_access": map[string]any{"other-client": ra("other:admin")}}, nil},
		{"a path of the wrong shape", jwtguardtest.Claims{"roles": []string{"user"}, "realm_access": "not-an-object",
			"resource_access": map[string]any{"api.orders.example.com": map[string]any{"roles": 42}}}, []string{"user"}},
		{"none", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), iss.Mint(tc.claims))
			miWant(t, c, err)
			if !slices.Equal(c.Roles, tc.want) {
				t.Fatalf("roles %q, want %q", c.Roles, tc.want)
			}
		})
	}
}

// TestTrustDottedMemberName: a member whose name holds dots is reachable
// with the bracket escape, in claim maps, required claims and policies.
func TestTrustDottedMemberName(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	e := iss.Entry()
	e.Claims = jwtguard.ClaimMap{Tenant: "[kubernetes.io].namespace", Roles: []string{"[https://example.com/roles]"}}
	e.RequiredClaims = []string{"[kubernetes.io].serviceaccount.name"}
	v := iss.VerifierFor(t, e)
	k8s := map[string]any{"namespace": "orders", "serviceaccount": map[string]any{"name": "api", "uid": "42"}}

	c, err := v.Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"kubernetes.io": k8s, "https://example.com/roles": []string{"ops"}}))
	miWant(t, c, err)
	if c.Tenant != "orders" || !slices.Equal(c.Tenants, []string{"orders"}) || !slices.Equal(c.Roles, []string{"ops"}) {
		t.Fatalf("tenant %q tenants %q roles %q, want orders and ops", c.Tenant, c.Tenants, c.Roles)
	}
	if got, ok := c.Get("[kubernetes.io].serviceaccount.name"); !ok || got != "api" {
		t.Fatalf("Get = %v, %v; want api", got, ok)
	}
	if err := jwtguard.Authorize(c, jwtguard.RequireClaim("[kubernetes.io].namespace", "orders"), jwtguard.RequireTenant("orders")); err != nil {
		t.Fatal(err)
	}
	if err := jwtguard.Authorize(c, jwtguard.RequireClaim("[kubernetes.io].namespace", "billing")); !errors.Is(err, jwtguard.ErrForbidden) {
		t.Fatalf("RequireClaim on another namespace = %v, want ErrForbidden", err)
	}

	// The same names nested (kubernetes → io) are other claims.
	nested := map[string]any{"io": k8s}
	_, err = v.Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"kubernetes": nested}))
	miWant(t, nil, err, jwtguard.ErrMissingClaim)
	if je := jwtguard.AsError(err); je.Claim != "[kubernetes.io].serviceaccount.name" {
		t.Fatalf("missing claim named %q, want the required path", je.Claim)
	}
}

// TestTrustPermissionsApartFromScopes: Auth0 RBAC puts every permission of
// the user in "permissions", while "scope" is what the client was granted.
// A client granted read:orders must not pass a write:orders scope check
// because the user may write.
func TestTrustPermissionsApartFromScopes(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	e := iss.Entry()
	e.Claims.Permissions = []string{"permissions"}
	v := iss.VerifierFor(t, e)
	plain := iss.Verifier(t) // no Permissions path

	tok := iss.Mint(jwtguardtest.Claims{"scope": "read:orders", "permissions": []string{"read:orders", "write:orders"}})
	c, err := v.Verify(context.Background(), tok)
	miWant(t, c, err)
	if !slices.Equal(c.Scopes, []string{"read:orders"}) || !slices.Equal(c.Permissions, []string{"read:orders", "write:orders"}) {
		t.Fatalf("scopes %q permissions %q", c.Scopes, c.Permissions)
	}
	if err := jwtguard.Authorize(c, jwtguard.RequireAllScopes("write:orders")); !errors.Is(err, jwtguard.ErrForbidden) {
		t.Fatalf("scope check passed on a permission: %v", err)
	}
	if err := jwtguard.Authorize(c, jwtguard.RequireAllPermissions("read:orders", "write:orders")); err != nil {
		t.Fatal(err)
	}
	// And the other way round: scopes never count as permissions.
	c, err = v.Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"scope": "write:orders"}))
	miWant(t, c, err)
	if err := jwtguard.Authorize(c, jwtguard.RequireAllPermissions("write:orders")); !errors.Is(err, jwtguard.ErrForbidden) {
		t.Fatalf("permission check passed on a scope: %v", err)
	}
	// Without a Permissions path nothing maps "permissions", into either field.
	c, err = plain.Verify(context.Background(), tok)
	miWant(t, c, err)
	if len(c.Permissions) != 0 || !slices.Equal(c.Scopes, []string{"read:orders"}) {
		t.Fatalf("default mapping: scopes %q permissions %q", c.Scopes, c.Permissions)
	}
}

// TestTrustAliases: further exact iss values of one issuer (Google's two
// spellings) verify with the same keys; nothing else near them does.
func TestTrustAliases(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	const alias = "accounts.example.test"
	e := iss.Entry()
	e.Aliases = []string{alias}
	v := iss.VerifierFor(t, e)
	cases := []struct {
		iss  string
		want []error
	}{
		{iss.URL(), nil},
		{alias, nil},
		{"https://" + alias, []error{jwtguard.ErrInvalidIssuer}},
		{alias + "/", []error{jwtguard.ErrInvalidIssuer}},
		{strings.ToUpper(alias), []error{jwtguard.ErrInvalidIssuer}},
	}
	for _, tc := range cases {
		t.Run(tc.iss, func(t *testing.T) {
			c, err := v.Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"iss": tc.iss}))
			miWant(t, c, err, tc.want...)
			if tc.want == nil && c.Issuer != tc.iss {
				t.Fatalf("Issuer %q, want the token's %q", c.Issuer, tc.iss)
			}
		})
	}
}

// TestTrustTemplateTenants: an Entra-style multi-tenant issuer: one
// template ID stands for one exact issuer per allowed tenant, and a token's
// tenant claim must agree with the tenant its iss names.
func TestTrustTemplateTenants(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	const tmpl = "https://login.example.test/{tenantid}/v2.0"
	issOf := func(tenant string) string { return strings.Replace(tmpl, "{tenantid}", tenant, 1) }
	v := miNew(t, jwtguard.Trust(jwtguard.Issuer{ID: tmpl, Tenants: []string{"t1", "t2"}, Keys: jwtguard.JWKS(idp.JWKSURL()),
		Audiences: []string{jwtguardtest.DefaultAudience}, Claims: jwtguard.ClaimMap{Tenant: "tid"}}))
	cases := []struct {
		name   string
		claims jwtguardtest.Claims
		want   []error
		tenant string
	}{
		{"tenant 1", jwtguardtest.Claims{"iss": issOf("t1"), "tid": "t1"}, nil, "t1"},
		{"tenant 2", jwtguardtest.Claims{"iss": issOf("t2"), "tid": "t2"}, nil, "t2"},
		{"a tenant not listed", jwtguardtest.Claims{"iss": issOf("t3"), "tid": "t3"}, []error{jwtguard.ErrInvalidIssuer}, ""},
		{"iss of tenant 1, tid of tenant 2", jwtguardtest.Claims{"iss": issOf("t1"), "tid": "t2"}, []error{jwtguard.ErrInvalidIssuer}, ""},
		{"iss of tenant 1, tid naming both", jwtguardtest.Claims{"iss": issOf("t1"), "tid": []string{"t1", "t2"}}, []error{jwtguard.ErrInvalidIssuer}, ""},
		{"the template itself as iss", jwtguardtest.Claims{"iss": tmpl, "tid": "t1"}, []error{jwtguard.ErrInvalidIssuer}, ""},
		{"an empty tenant", jwtguardtest.Claims{"iss": issOf(""), "tid": ""}, []error{jwtguard.ErrInvalidIssuer}, ""},
		// Documented: the check applies when the token carries the claim;
		// the iss alone names an allowed tenant.
		{"no tid", jwtguardtest.Claims{"iss": issOf("t1")}, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), idp.Mint(tc.claims))
			miWant(t, c, err, tc.want...)
			if tc.want == nil && c.Tenant != tc.tenant {
				t.Fatalf("Tenant %q, want %q", c.Tenant, tc.tenant)
			}
		})
	}
}

// TestTrustSubjectPrefix: tokens without iss (SPIFFE JWT-SVIDs) are routed
// by their sub's prefix; a token whose iss an entry has is routed by iss.
func TestTrustSubjectPrefix(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)   // an ordinary issuer
	spire := jwtguardtest.NewIssuer(t) // signs the SVIDs
	const td = "spiffe://example.org/"
	v := miNew(t, jwtguard.Trust(
		idp.Entry(),
		jwtguard.Issuer{SubjectPrefix: td, Keys: jwtguard.JWKS(spire.JWKSURL()), Audiences: []string{"orders"}},
	))
	cases := []struct {
		name  string
		token string
		want  []error
	}{
		{"SVID", spire.Mint(jwtguardtest.Claims{"iss": nil, "sub": td + "ns/orders/sa/api", "aud": "orders"}), nil},
		{"SVID for another audience", spire.Mint(jwtguardtest.Claims{"iss": nil, "sub": td + "ns/orders/sa/api"}), []error{jwtguard.ErrInvalidAudience}},
		{"another trust domain", spire.Mint(jwtguardtest.Claims{"iss": nil, "sub": "spiffe://evil.org/ns/x", "aud": "orders"}), []error{jwtguard.ErrInvalidIssuer}},
		{"prefix without its slash", spire.Mint(jwtguardtest.Claims{"iss": nil, "sub": "spiffe://example.org.evil/x", "aud": "orders"}), []error{jwtguard.ErrInvalidIssuer}},
		{"no iss, no sub", spire.Mint(jwtguardtest.Claims{"iss": nil, "sub": nil, "aud": "orders"}), []error{jwtguard.ErrInvalidIssuer}},
		{"SVID signed by the other issuer", idp.Mint(jwtguardtest.Claims{"iss": nil, "sub": td + "ns/orders/sa/api", "aud": "orders"}),
			[]error{jwtguard.ErrKeyNotFound, jwtguard.ErrInvalidSignature}},
		// SPIRE may add an iss of its own choosing: an iss no entry has
		// leaves the token to the ID-less entry, by its subject.
		{"SVID with an iss no entry has", spire.Mint(jwtguardtest.Claims{"iss": "https://spire.example.org", "sub": td + "ns/orders/sa/api", "aud": "orders"}), nil},
		{"unknown iss, subject outside the trust domain", spire.Mint(jwtguardtest.Claims{"iss": "https://spire.example.org", "sub": "spiffe://evil.org/x", "aud": "orders"}),
			[]error{jwtguard.ErrInvalidIssuer}},
		// An iss an entry has always routes to that entry.
		{"SVID naming the ordinary issuer", spire.Mint(jwtguardtest.Claims{"iss": idp.URL(), "sub": td + "ns/orders/sa/api", "aud": "orders"}),
			[]error{jwtguard.ErrKeyNotFound, jwtguard.ErrInvalidSignature}},
		{"the ordinary issuer", idp.Mint(nil), nil},
		{"the ordinary issuer with an SVID subject", idp.Mint(jwtguardtest.Claims{"sub": td + "ns/orders/sa/api"}), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.token)
			miWant(t, c, err, tc.want...)
		})
	}
}

// TestTrustSharedKeySource: entries sharing one *KeySource share one fetch
// and one cache.
func TestTrustSharedKeySource(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	keys := jwtguard.JWKS(idp.JWKSURL())
	v := miNew(t, jwtguard.Trust(
		jwtguard.Issuer{ID: "https://one.example.test", Keys: keys, Audiences: []string{"api-one"}},
		jwtguard.Issuer{ID: "https://two.example.test", Keys: keys, Audiences: []string{"api-two"}},
	))
	for _, tok := range []string{
		idp.Mint(jwtguardtest.Claims{"iss": "https://one.example.test", "aud": "api-one"}),
		idp.Mint(jwtguardtest.Claims{"iss": "https://two.example.test", "aud": "api-two"}, jwtguardtest.WithAlg("ES256")),
	} {
		c, err := v.Verify(context.Background(), tok)
		miWant(t, c, err)
	}
	_, err := v.Verify(context.Background(), idp.Mint(jwtguardtest.Claims{"iss": "https://two.example.test", "aud": "api-one"}))
	miWant(t, nil, err, jwtguard.ErrInvalidAudience)
	if n := idp.JWKSHits(); n != 1 {
		t.Fatalf("two entries sharing one KeySource fetched the JWKS %d times, want 1", n)
	}
}

// countingTransport counts requests and adds a header to each.
type countingTransport struct {
	base   http.RoundTripper
	header string // "Name: value", or ""
	hits   atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.hits.Add(1)
	if c.header != "" {
		name, value, _ := strings.Cut(c.header, ": ")
		r = r.Clone(r.Context())
		r.Header.Set(name, value)
	}
	return c.base.RoundTrip(r)
}

// TestTrustKeySourceHTTPClient: a key source with its own client (a
// Kubernetes API server's JWKS needs its CA and a bearer token) fetches with
// it; other sources use the verifier-wide client. WithHTTPClient returns a
// copy: the source it was called on keeps the verifier-wide client.
func TestTrustKeySourceHTTPClient(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	var unauthorized atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/k8s/jwks" && r.Header.Get("Authorization") != "Bearer sa-token" {
			unauthorized.Add(1)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(idp.JWKS())
	}))
	t.Cleanup(srv.Close)
	trustsSrv := func() http.RoundTripper { return srv.Client().Transport.(*http.Transport).Clone() }
	k8s := &countingTransport{base: trustsSrv(), header: "Authorization: Bearer sa-token"}
	wide := &countingTransport{base: trustsSrv()}
	k8sClient := &http.Client{Transport: k8s}
	otherKeys := jwtguard.JWKS(srv.URL + "/other/jwks")
	_ = otherKeys.WithHTTPClient(k8sClient) // must not change otherKeys
	v := miNewWith(t, jwtguardtest.Algorithms, jwtguard.RemoteKeys{Client: &http.Client{Transport: wide}}, jwtguard.Trust(
		jwtguard.Issuer{ID: "https://kubernetes.default.svc", Keys: jwtguard.JWKS(srv.URL + "/k8s/jwks").WithHTTPClient(k8sClient),
			Audiences: []string{"k8s-api"}},
		jwtguard.Issuer{ID: "https://other.example.test", Keys: otherKeys, Audiences: []string{"other-api"}},
	))
	for _, tok := range []string{
		idp.Mint(jwtguardtest.Claims{"iss": "https://kubernetes.default.svc", "aud": "k8s-api"}),
		idp.Mint(jwtguardtest.Claims{"iss": "https://other.example.test", "aud": "other-api"}),
	} {
		c, err := v.Verify(context.Background(), tok)
		miWant(t, c, err)
	}
	if k8s.hits.Load() != 1 || wide.hits.Load() != 1 || unauthorized.Load() != 0 {
		t.Fatalf("requests: %d with the source's client, %d with the verifier-wide one, %d without the token; want 1, 1, 0",
			k8s.hits.Load(), wide.hits.Load(), unauthorized.Load())
	}
}

// --- The issuer resolver under attack (issue 12 items 1-3) ---
//
// These tests run in a testing/synctest bubble, so the resolver's
// per-minute budget and the fetch timeout run on the bubble's clock. Keys
// come from an in-memory transport: a loopback socket would keep the
// bubble's clock from advancing.

// memTransport answers HTTP requests in memory with a handler.
type memTransport = memhttp.Transport

// tenantKeys serves, in memory, one JWKS per tenant at
// https://keys.example/<tenant>/jwks.json, each holding the keys of one test
// issuer, and counts the fetches per tenant. A tenant's fault, when set,
// answers instead.
type tenantKeys struct {
	idp *jwtguardtest.Issuer
	atk *rsa.PrivateKey // an attacker's key

	mu      sync.Mutex
	fetches map[string]int
	fault   map[string]http.HandlerFunc
}

func newTenantKeys(t *testing.T) *tenantKeys {
	t.Helper()
	atk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &tenantKeys{idp: jwtguardtest.NewIssuer(t), atk: atk, fetches: map[string]int{}, fault: map[string]http.HandlerFunc{}}
}

func (k *tenantKeys) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/jwks.json")
	k.mu.Lock()
	k.fetches[tenant]++
	f := k.fault[tenant]
	k.mu.Unlock()
	if f != nil {
		f(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(k.idp.JWKS())
}

func (k *tenantKeys) client() *http.Client { return &http.Client{Transport: memTransport{Handler: k}} }

func (k *tenantKeys) iss(tenant string) string { return "https://" + tenant + ".example" }

// entry is what an allowlist resolver returns for tenant.
func (k *tenantKeys) entry(tenant string) jwtguard.Issuer {
	return jwtguard.Issuer{ID: k.iss(tenant), Keys: jwtguard.JWKS("https://keys.example/" + tenant + "/jwks.json")}
}

// token is a genuine token of tenant.
func (k *tenantKeys) token(tenant string) string {
	return k.idp.Mint(jwtguardtest.Claims{"iss": k.iss(tenant)})
}

// forged names tenant and the tenant's real kid, but is signed by the
// attacker.
func (k *tenantKeys) forged(tenant string) string {
	return k.idp.Mint(jwtguardtest.Claims{"iss": k.iss(tenant)}, jwtguardtest.WithSigningKey(k.atk))
}

func (k *tenantKeys) fetchesOf(tenant string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fetches[tenant]
}

func (k *tenantKeys) totalFetches() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, f := range k.fetches {
		n += f
	}
	return n
}

func (k *tenantKeys) setFault(tenant string, f http.HandlerFunc) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fault[tenant] = f
}

// allowAll returns an allowlist resolver trusting tenants.
func (k *tenantKeys) allowAll(tenants ...string) *miTenants {
	m := &miTenants{}
	for _, tn := range tenants {
		m.set(k.iss(tn), k.entry(tn))
	}
	return m
}

// resolverVerifier is a verifier trusting only what res resolves, fetching
// keys from k. Call it inside the bubble and Close it there.
func resolverVerifier(t *testing.T, k *tenantKeys, res *miTenants, maxIssuers int, remote jwtguard.RemoteKeys) *jwtguard.Verifier {
	t.Helper()
	remote.Client = k.client()
	v, err := jwtguard.New(
		jwtguard.WithIssuerResolver(res.resolve, maxIssuers),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithRemoteKeys(remote),
		miQuiet(),
	)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func tenantNames(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("tenant-%d", i))
	}
	return out
}

// TestIssuerResolverForgedTokensKeepProvenIssuers (issue 12 item 1): forged
// tokens naming allowlisted tenants churn the probation pool only: they
// never evict a proven issuer, cost one key fetch per tenant they name,
// then at most max(2, maxIssuers/4) re-admissions a minute (issue 16 item
// 5), and never delay a legitimate tenant they did not name: its first
// token is accepted at once.
func TestIssuerResolverForgedTokensKeepProvenIssuers(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	synctest.Test(t, func(t *testing.T) {
		const maxIssuers = 4 // probation: max(2, 4/4) = 2 entries, 2 new issuers a minute
		tenants := tenantNames(0, 27)
		proven, victims, late, fresh := tenants[:2], tenants[2:22], tenants[22], tenants[23:27]
		v := resolverVerifier(t, keys, keys.allowAll(tenants...), maxIssuers, jwtguard.RemoteKeys{})
		defer v.Close()
		ctx := context.Background()
		for _, tn := range proven {
			c, err := v.Verify(ctx, keys.token(tn))
			miWant(t, c, err)
		}
		before := keys.totalFetches()

		// Five minutes of forged tokens naming 20 other allowlisted
		// tenants, 60 every 10 seconds.
		start := time.Now()
		forged := map[string]string{}
		for _, tn := range victims {
			forged[tn] = keys.forged(tn)
		}
		for round := 0; time.Since(start) < 5*time.Minute; round++ {
			for i := range 60 {
				tn := victims[(round*60+i)%len(victims)]
				_, err := v.Verify(ctx, forged[tn])
				miWant(t, nil, err, jwtguard.ErrInvalidSignature, jwtguard.ErrKeysUnavailable)
				if errors.Is(err, jwtguard.ErrKeysUnavailable) {
					if ra := jwtguard.AsError(err).RetryAfter; ra <= 0 || ra > time.Minute {
						t.Fatalf("budget refusal with Retry-After %s", ra)
					}
				}
			}
			// The proven tenants keep working, from their kept entries.
			for _, tn := range proven {
				c, err := v.Verify(ctx, keys.token(tn))
				miWant(t, c, err)
			}
			time.Sleep(10 * time.Second)
		}
		// One first fetch per named tenant; then a re-admission window
		// opens at most once a minute: 5 minutes of flood touch at most 6
		// windows of 2 re-admissions each.
		if n, bound := keys.totalFetches()-before, len(victims)+6*2; n > bound { // before the fresh names below
			t.Fatalf("forged tokens naming %d tenants caused %d key fetches in 5 minutes, want at most %d", len(victims), n, bound)
		}
		for _, tn := range proven {
			if n := keys.fetchesOf(tn); n != 1 {
				t.Fatalf("proven %s fetched its keys %d times during the flood, want once (never evicted)", tn, n)
			}
		}

		// Forged tokens naming tenants never named before, in the same
		// minute as the legitimate tenant's first token (the old global
		// budget of 2 new issuers a minute was spent by them) ...
		for _, tn := range fresh {
			_, err := v.Verify(ctx, keys.forged(tn))
			miWant(t, nil, err, jwtguard.ErrInvalidSignature)
		}
		// ... and a legitimate new tenant arriving right after is
		// accepted at once: the flood spent nothing of what it needs.
		c, err := v.Verify(ctx, keys.token(late))
		miWant(t, c, err)
		// It is proven now: later forged tokens do not move it either.
		for _, tn := range victims[:6] {
			_, _ = v.Verify(ctx, keys.forged(tn))
		}
		time.Sleep(time.Minute)
		for _, tn := range victims[6:12] {
			_, _ = v.Verify(ctx, keys.forged(tn))
		}
		fetched := keys.fetchesOf(late)
		for _, tn := range append([]string{late}, proven...) {
			c, err := v.Verify(ctx, keys.token(tn))
			miWant(t, c, err)
		}
		if keys.fetchesOf(late) != fetched {
			t.Fatal("the newly proven tenant was evicted by forged tokens")
		}
	})
}

// TestIssuerResolverProvenLRU (issue 12 item 1): when the proven pool is
// full, the least recently used proven issuer makes room for a newly
// proven one; the recently used ones keep their entries.
func TestIssuerResolverProvenLRU(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	synctest.Test(t, func(t *testing.T) {
		const maxIssuers = 2
		v := resolverVerifier(t, keys, keys.allowAll("a", "b", "c"), maxIssuers, jwtguard.RemoteKeys{})
		defer v.Close()
		ctx := context.Background()
		verify := func(tn string) {
			t.Helper()
			c, err := v.Verify(ctx, keys.token(tn))
			miWant(t, c, err)
		}
		verify("a")
		time.Sleep(time.Second)
		verify("b")
		time.Sleep(time.Minute) // a new probation budget
		verify("a")             // b is now the least recently used
		time.Sleep(time.Second)
		verify("c") // proven: the pool is full, b makes room
		for tn, want := range map[string]int{"a": 1, "b": 1, "c": 1} {
			if n := keys.fetchesOf(tn); n != want {
				t.Fatalf("%s: %d fetches, want %d", tn, n, want)
			}
		}
		verify("a")
		verify("c")
		if keys.fetchesOf("a") != 1 || keys.fetchesOf("c") != 1 {
			t.Fatal("a recently used proven issuer lost its entry")
		}
		verify("b") // evicted: resolved and fetched again
		if n := keys.fetchesOf("b"); n != 2 {
			t.Fatalf("evicted b: %d fetches, want 2 (its entry was dropped)", n)
		}
	})
}

// TestIssuerResolverReasked (issue 12 item 2): the resolver's answer is not
// kept: removing a tenant from the allowlist takes effect on its next
// token, proven or not, and a changed answer applies at once.
func TestIssuerResolverReasked(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	synctest.Test(t, func(t *testing.T) {
		res := keys.allowAll("a")
		v := resolverVerifier(t, keys, res, 10, jwtguard.RemoteKeys{})
		defer v.Close()
		ctx := context.Background()
		iss := keys.iss("a")

		c, err := v.Verify(ctx, keys.token("a"))
		miWant(t, c, err)
		// Offboarded: the very next token is refused, before any fetch.
		res.remove(iss)
		fetches := keys.totalFetches()
		_, err = v.Verify(ctx, keys.token("a"))
		miWant(t, nil, err, jwtguard.ErrInvalidIssuer)
		if keys.totalFetches() != fetches {
			t.Fatal("a token of an issuer the resolver refused caused a key fetch")
		}
		// Trusted again: accepted again.
		res.set(iss, keys.entry("a"))
		c, err = v.Verify(ctx, keys.token("a"))
		miWant(t, c, err)
		time.Sleep(time.Minute) // a new probation budget for the rebuilt entry
		// The answer changes (another audience): the next token is judged
		// by the new entry.
		changed := keys.entry("a")
		changed.Audiences = []string{"another-api"}
		res.set(iss, changed)
		_, err = v.Verify(ctx, keys.token("a"))
		miWant(t, nil, err, jwtguard.ErrInvalidAudience)
		c, err = v.Verify(ctx, keys.idp.Mint(jwtguardtest.Claims{"iss": iss, "aud": "another-api"}))
		miWant(t, c, err)
		if n := res.callsFor(iss); n != 5 {
			t.Fatalf("resolver asked %d times for 5 tokens", n)
		}
	})
}

// TestIssuerResolverKeysNeverLoad (issue 12 item 3): a resolved issuer whose
// keys do not load holds requests no longer than its first load: after that
// fails, every request naming it answers 503 with Retry-After at once, while
// the source retries in the background and recovers.
func TestIssuerResolverKeysNeverLoad(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	fail := func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusInternalServerError) }
	cases := []struct {
		name      string
		fault     http.HandlerFunc
		firstWait time.Duration // the longest the first request may wait
	}{
		{"provider hangs", hang, 11 * time.Second}, // the default fetch timeout (10 s)
		{"provider answers 500", fail, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tn := strings.ReplaceAll(tc.name, " ", "-")
				keys.setFault(tn, tc.fault)
				v := resolverVerifier(t, keys, keys.allowAll(tn), 10, jwtguard.RemoteKeys{})
				defer v.Close()
				// A caller with a generous deadline: Verify must answer long
				// before it.
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				want503 := func(what string, maxWait time.Duration) {
					t.Helper()
					start := time.Now()
					_, err := v.Verify(ctx, keys.token(tn))
					if waited := time.Since(start); waited > maxWait {
						t.Fatalf("%s: Verify took %s, want at most %s", what, waited, maxWait)
					}
					miWant(t, nil, err, jwtguard.ErrKeysUnavailable)
					if je := jwtguard.AsError(err); je.Status != http.StatusServiceUnavailable || je.RetryAfter <= 0 {
						t.Fatalf("%s: status %d, Retry-After %s; want 503 with Retry-After", what, je.Status, je.RetryAfter)
					}
				}
				want503("first token", tc.firstWait)
				for i := range 20 {
					want503(fmt.Sprintf("token %d after the failed load", i+2), 0)
					time.Sleep(100 * time.Millisecond)
				}
				// Forged tokens naming it fail as fast.
				start := time.Now()
				_, err := v.Verify(ctx, keys.forged(tn))
				miWant(t, nil, err, jwtguard.ErrKeysUnavailable)
				if time.Since(start) != 0 {
					t.Fatalf("a forged token waited %s", time.Since(start))
				}
				// The provider recovers: the background retries load the keys.
				keys.setFault(tn, nil)
				time.Sleep(2 * time.Minute)
				c, err := v.Verify(ctx, keys.token(tn))
				miWant(t, c, err)
			})
		})
	}
}

// TestIssuerResolverFetchBudget (issue 12 item 1, issue 16 item 5): key
// fetches are bounded, not entries: concurrent first tokens of a new
// issuer start one key source (one fetch); an unproven issuer is admitted
// again at most once a minute, and such re-admissions together at most
// max(2, maxIssuers/4) times a minute; one refused starts no fetch. Ten
// rounds, one a minute, so a race shows.
func TestIssuerResolverFetchBudget(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	tenants := tenantNames(0, 30)
	synctest.Test(t, func(t *testing.T) {
		v := resolverVerifier(t, keys, keys.allowAll(tenants...), 4, jwtguard.RemoteKeys{}) // probation 2, 2 re-admissions a minute
		defer v.Close()
		ctx := context.Background()
		for round := range 10 {
			fresh := tenants[3*round : 3*round+3]
			for _, tn := range fresh {
				tok := keys.token(tn)
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						c, err := v.Verify(ctx, tok)
						miWant(t, c, err)
					})
				}
				wg.Wait()
				if n := keys.fetchesOf(tn); n != 1 {
					t.Errorf("%s: 16 concurrent first tokens caused %d key fetches, want 1", tn, n)
				}
			}
		}
		// Forged tokens naming three more tenants: each is admitted once
		// (probation holds 2: the first is evicted by the third).
		forged := tenants[:0:0]
		for _, tn := range []string{"f-0", "f-1", "f-2"} {
			forged = append(forged, tn)
		}
		res := keys.allowAll(append(slices.Clone(tenants), forged...)...)
		v2 := resolverVerifier(t, keys, res, 4, jwtguard.RemoteKeys{})
		defer v2.Close()
		for _, tn := range forged {
			_, err := v2.Verify(ctx, keys.forged(tn))
			miWant(t, nil, err, jwtguard.ErrInvalidSignature)
		}
		synctest.Wait()
		// Within the minute, the evicted one is not admitted again.
		_, err := v2.Verify(ctx, keys.forged(forged[0]))
		miWant(t, nil, err, jwtguard.ErrKeysUnavailable)
		if je := jwtguard.AsError(err); je.RetryAfter <= 0 || je.RetryAfter > time.Minute {
			t.Fatalf("per-issuer refusal with Retry-After %s", je.RetryAfter)
		}
		synctest.Wait()
		if n := keys.fetchesOf(forged[0]); n != 1 {
			t.Fatalf("%s, refused within the minute, was fetched %d times, want 1", forged[0], n)
		}
		// A minute later it is, spending one of the 2 re-admissions of
		// the window (and evicting f-1); f-1 spends the other (evicting
		// f-2).
		time.Sleep(time.Minute)
		for _, tn := range forged[:2] {
			_, err := v2.Verify(ctx, keys.forged(tn))
			miWant(t, nil, err, jwtguard.ErrInvalidSignature)
			if n := keys.fetchesOf(tn); n != 2 {
				t.Fatalf("%s re-admitted: %d fetches, want 2", tn, n)
			}
		}
		// The third re-admission this minute is refused, with no fetch ...
		_, err = v2.Verify(ctx, keys.forged(forged[2]))
		miWant(t, nil, err, jwtguard.ErrKeysUnavailable)
		synctest.Wait()
		if n := keys.fetchesOf(forged[2]); n != 1 {
			t.Fatalf("a re-admission beyond the budget was fetched: %d fetches, want 1", n)
		}
		// ... while a tenant never named gets in at once.
		c, err := v2.Verify(ctx, keys.token("tenant-29"))
		miWant(t, c, err)
	})
}

// TestIssuerResolverSlowLoadsKeepNoTenantOut (issue 16 item 5): forged
// tokens naming allowlisted tenants whose key loads hang fill every
// probation slot with a load in flight; a genuine tenant they did not name
// still gets its first token accepted at once, not a 503 — it takes the
// oldest loading slot. Forged tokens cause one fetch per tenant; the
// hanging loads end at the fetch timeout, their requests refused.
func TestIssuerResolverSlowLoadsKeepNoTenantOut(t *testing.T) {
	t.Parallel()
	keys := newTenantKeys(t)
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	slow := []string{"slow-0", "slow-1", "slow-2"}
	for _, tn := range slow {
		keys.setFault(tn, hang)
	}
	synctest.Test(t, func(t *testing.T) {
		// maxIssuers 4: probation holds max(2, 4/4) = 2 entries.
		v := resolverVerifier(t, keys, keys.allowAll(append(slices.Clone(slow), "genuine-0", "genuine-1")...), 4,
			jwtguard.RemoteKeys{FetchTimeout: 3 * time.Second})
		defer v.Close()
		ctx := context.Background()
		var wg sync.WaitGroup
		for _, tn := range slow { // more loads in flight than slots
			wg.Go(func() {
				_, err := v.Verify(ctx, keys.forged(tn))
				miWant(t, nil, err, jwtguard.ErrKeysUnavailable)
			})
			synctest.Wait() // each is admitted and its load hangs
		}
		for _, tn := range []string{"genuine-0", "genuine-1"} {
			c, err := v.Verify(ctx, keys.token(tn))
			miWant(t, c, err)
		}
		synctest.Wait()
		// One fetch per tenant the forged tokens named, all still hanging
		// (a source whose load timed out retries later, in the background).
		for _, tn := range slow {
			if n := keys.fetchesOf(tn); n != 1 {
				t.Errorf("%s: %d key fetches, want 1", tn, n)
			}
		}
		wg.Wait()
	})
}
