package jwtguard

// WithThrottling (issue 19): failed authentications per client, refused
// with 429 before any signature work. An internal test: it reads the
// error table and the two lists of throttle.go.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/forwarded"
	"github.com/jwtguard/jwtguard/internal/snippets"
	"github.com/jwtguard/jwtguard/throttle"
)

// TestThrottleClassifiesEverySentinel: every failure class of the error
// table either counts as a failed authentication or does not, by one of
// the two lists in throttle.go, never both: a new sentinel fails this
// test until someone decides.
func TestThrottleClassifiesEverySentinel(t *testing.T) {
	t.Parallel()
	for _, row := range errorTable {
		counted := slices.Contains(countedFailures, row.err)
		uncounted := slices.Contains(uncountedRefusals, row.err)
		if counted == uncounted {
			t.Errorf("%v: counted %v, uncounted %v; put it in exactly one list of throttle.go", row.err, counted, uncounted)
		}
		if counted && row.status != http.StatusUnauthorized {
			t.Errorf("%v counts as a failed authentication but answers %d, not 401", row.err, row.status)
		}
		// The decision follows the sentinel through wrapping.
		wrapped := newError(fmt.Errorf("%w: detail", row.err), "")
		if countsAsFailure(wrapped) != counted {
			t.Errorf("%v wrapped: countsAsFailure %v, want %v", row.err, !counted, counted)
		}
	}
	if countsAsFailure(errors.New("a plain error")) {
		t.Error("an error without a sentinel (500) counts")
	}
}

func TestWithThrottlingConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  throttle.Config
		want string // in New's error; "" means New succeeds
	}{
		{name: "zero Config: the defaults"},
		{name: "everything set", cfg: throttle.Config{Failures: 5, Window: time.Hour, IPv4PrefixLen: 24, IPv6PrefixLen: 56, Store: throttle.NewMemoryStore(10, 10)}},
		{name: "full-length prefixes", cfg: throttle.Config{IPv4PrefixLen: 32, IPv6PrefixLen: 128}},
		{name: "negative Failures", cfg: throttle.Config{Failures: -1}, want: "WithThrottling: Config.Failures is -1"},
		{name: "negative Window", cfg: throttle.Config{Window: -time.Second}, want: "WithThrottling: Config.Window is -1s"},
		{name: "Window over a day", cfg: throttle.Config{Window: 25 * time.Hour}, want: "Config.Window is 25h0m0s; it must be in (0, 24h0m0s]"},
		{name: "IPv4 prefix too long", cfg: throttle.Config{IPv4PrefixLen: 33}, want: "Config.IPv4PrefixLen is 33; it must be in [1, 32]"},
		{name: "IPv4 prefix negative", cfg: throttle.Config{IPv4PrefixLen: -8}, want: "Config.IPv4PrefixLen is -8"},
		{name: "IPv6 prefix too long", cfg: throttle.Config{IPv6PrefixLen: 129}, want: "Config.IPv6PrefixLen is 129; it must be in [1, 128]"},
		{name: "typed nil store", cfg: throttle.Config{Store: (*throttle.MemoryStore)(nil)}, want: "Config.Store is a nil *throttle.MemoryStore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(WithIssuer(cacheIss, HMAC(cacheSecret)), WithAlgorithms("HS256"), WithAudience(cacheAud), WithThrottling(tc.cfg))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				_ = v.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want an error containing %q", err, tc.want)
			}
		})
	}
	_, err := New(WithIssuer(cacheIss, HMAC(cacheSecret)), WithAlgorithms("HS256"), WithAudience(cacheAud),
		WithThrottling(throttle.Config{}), WithThrottling(throttle.Config{}))
	if err == nil || !strings.Contains(err.Error(), "WithThrottling: given more than once") {
		t.Fatalf("WithThrottling twice: %v", err)
	}
	// Every field at fault is named at once.
	_, err = New(WithIssuer(cacheIss, HMAC(cacheSecret)), WithAlgorithms("HS256"), WithAudience(cacheAud),
		WithThrottling(throttle.Config{Failures: -1, Window: -1, IPv4PrefixLen: 99, IPv6PrefixLen: -1}))
	for _, field := range []string{"Failures", "Window", "IPv4PrefixLen", "IPv6PrefixLen"} {
		if err == nil || !strings.Contains(err.Error(), "Config."+field) {
			t.Errorf("New's error does not name Config.%s: %v", field, err)
		}
	}
}

// throttleVerifier returns an HS256 verifier with a token cache, the test
// clock, a revocation store the test can break, and throttling with c
// (2 failures a minute unless c says otherwise).
func throttleVerifier(t *testing.T, c throttle.Config, extra ...Option) (*Verifier, *cacheClock, *countingStore) {
	t.Helper()
	if c.Failures == 0 {
		c.Failures, c.Window = 2, time.Minute
	}
	clock := &cacheClock{now: cacheT0}
	store := &countingStore{}
	opts := append([]Option{WithIssuer(cacheIss, HMAC(cacheSecret)), WithAlgorithms("HS256"), WithAudience(cacheAud),
		WithCache(100, time.Hour), WithClock(clock.Now), WithRevocation(store), WithLeeway(cacheLeeway), WithThrottling(c)}, extra...)
	v, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v, clock, store
}

// throttleRequest is a GET from remote with the given Authorization
// header values and other headers ("Name: value").
func throttleRequest(remote string, auth []string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
	r.RemoteAddr = remote
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		r.Header.Add(name, value)
	}
	return r
}

// TestThrottleAuthenticate walks one client through the limit, in order:
// each step is a request and the sentinel it must give (nil: accepted).
func TestThrottleAuthenticate(t *testing.T) {
	t.Parallel()
	v, clock, _ := throttleVerifier(t, throttle.Config{})
	good := mintHS256(t, cacheSecret, map[string]any{"sub": "cached"})
	fresh := mintHS256(t, cacheSecret, map[string]any{"sub": "fresh"})
	fresh2 := mintHS256(t, cacheSecret, map[string]any{"sub": "fresh2"})
	bad := forged(good)
	expired := mintHS256(t, cacheSecret, map[string]any{"exp": cacheT0.Add(-time.Hour).Unix()})
	bearer := func(tok string) []string { return []string{"Bearer " + tok} }
	const me, other = "192.0.2.7:4711", "198.51.100.9:4711"
	for _, step := range []struct {
		name    string
		advance time.Duration
		r       *http.Request
		want    error
		retry   time.Duration
	}{
		{name: "a valid token, now in the cache", r: throttleRequest(me, bearer(good))},
		{name: "failure 1: forged signature", r: throttleRequest(me, bearer(bad)), want: ErrInvalidSignature},
		{name: "no token does not count", r: throttleRequest(me, nil), want: ErrNoToken},
		{name: "a malformed request does not count", r: throttleRequest(me, []string{"Bearer " + good, "Bearer " + good}), want: ErrInvalidRequest},
		{name: "failure 2: expired", r: throttleRequest(me, bearer(expired)), want: ErrTokenExpired},
		{name: "throttled: a forged token is refused before its signature is checked", r: throttleRequest(me, bearer(bad)), want: ErrThrottled, retry: 30 * time.Second},
		{name: "throttled: a valid token not in the cache too (the NAT trade-off)", r: throttleRequest(me, bearer(fresh)), want: ErrThrottled, retry: 30 * time.Second},
		{name: "a cached valid token passes", r: throttleRequest(me, bearer(good))},
		{name: "no token is not throttled", r: throttleRequest(me, nil), want: ErrNoToken},
		{name: "another client's valid token passes", r: throttleRequest(other, bearer(fresh2))},
		{name: "another client's bad token is judged", r: throttleRequest(other, bearer(bad)), want: ErrInvalidSignature},
		{name: "10 s later: 20 s to wait", advance: 10 * time.Second, r: throttleRequest(me, bearer(bad)), want: ErrThrottled, retry: 20 * time.Second},
		{name: "30 s after: one try back, used", advance: 20 * time.Second, r: throttleRequest(me, bearer(bad)), want: ErrInvalidSignature},
		{name: "and throttled again", r: throttleRequest(me, bearer(fresh)), want: ErrThrottled, retry: 30 * time.Second},
		{name: "a minute later: free", advance: time.Minute, r: throttleRequest(me, bearer(fresh))},
	} {
		clock.Set(clock.Now().Add(step.advance))
		c, err := v.Authenticate(step.r)
		switch {
		case step.want == nil && err != nil:
			t.Fatalf("%s: %v", step.name, err)
		case step.want == nil && c == nil:
			t.Fatalf("%s: no claims", step.name)
		case step.want != nil && !errors.Is(err, step.want):
			t.Fatalf("%s: %v, want %v", step.name, err, step.want)
		}
		var e *Error
		if errors.As(err, &e) && errors.Is(err, ErrThrottled) {
			if e.RetryAfter != step.retry || e.Status != http.StatusTooManyRequests {
				t.Fatalf("%s: %d, RetryAfter %s; want 429, %s", step.name, e.Status, e.RetryAfter, step.retry)
			}
			if !strings.Contains(e.Detail, `client "192.0.2.7"`) || !strings.Contains(e.Detail, "2 failed authentications per 1m0s") {
				t.Fatalf("%s: Detail does not name the client and the limit: %s", step.name, e.Detail)
			}
			if e.Description != "too many requests; try again later" {
				t.Fatalf("%s: description %q, want the generic one", step.name, e.Description)
			}
			rec := httptest.NewRecorder()
			v.WriteError(rec, err)
			if got := rec.Header().Get("Retry-After"); got != fmt.Sprint(int(step.retry.Seconds())) {
				t.Fatalf("%s: Retry-After %q", step.name, got)
			}
			if strings.Contains(rec.Body.String(), "192.0.2.7") {
				t.Fatalf("%s: the response names the client: %s", step.name, rec.Body)
			}
		}
	}
}

// forged returns tok with one character of its signature changed.
func forged(tok string) string {
	i := len(tok) - 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// TestThrottleUncountedRefusals: refusals that are not failed
// authentications never throttle, however many.
func TestThrottleUncountedRefusals(t *testing.T) {
	t.Parallel()
	good := mintHS256(t, cacheSecret, nil)
	for _, tc := range []struct {
		name  string
		setup func(*countingStore)
		r     func() *http.Request
		want  error
	}{
		{name: "no token", r: func() *http.Request { return throttleRequest("192.0.2.7:1", nil) }, want: ErrNoToken},
		{name: "two Authorization headers", r: func() *http.Request {
			return throttleRequest("192.0.2.7:1", []string{"Bearer a", "Bearer b"})
		}, want: ErrInvalidRequest},
		{name: "revocation store down (503)", setup: func(s *countingStore) { s.fail.Store(true) },
			r: func() *http.Request { return throttleRequest("192.0.2.7:1", []string{"Bearer " + good}) }, want: ErrRevocationUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, _, store := throttleVerifier(t, throttle.Config{})
			if tc.setup != nil {
				tc.setup(store)
			}
			for range 10 {
				if _, err := v.Authenticate(tc.r()); !errors.Is(err, tc.want) {
					t.Fatalf("%v, want %v", err, tc.want)
				}
			}
			store.fail.Store(false)
			if _, err := v.Authenticate(throttleRequest("192.0.2.7:1", []string{"Bearer " + mintHS256(t, cacheSecret, map[string]any{"sub": "new"})})); err != nil {
				t.Fatalf("after 10 uncounted refusals: %v", err)
			}
		})
	}
	t.Run("cross-origin cookie", func(t *testing.T) {
		t.Parallel()
		v, _, _ := throttleVerifier(t, throttle.Config{}, WithExtractor(FromCookie("at")))
		for range 10 {
			r := httptest.NewRequest(http.MethodPost, "/orders", nil)
			r.RemoteAddr = "192.0.2.7:1"
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.AddCookie(&http.Cookie{Name: "at", Value: good})
			if _, err := v.Authenticate(r); !errors.Is(err, ErrCrossOrigin) {
				t.Fatalf("%v, want ErrCrossOrigin", err)
			}
		}
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		r.RemoteAddr = "192.0.2.7:1"
		r.AddCookie(&http.Cookie{Name: "at", Value: mintHS256(t, cacheSecret, map[string]any{"sub": "new"})})
		if _, err := v.Authenticate(r); err != nil {
			t.Fatalf("after 10 cross-origin refusals: %v", err)
		}
	})
}

// TestThrottleBeforeKeys: a throttled client's token is refused before
// the verifier looks for keys — an issuer whose keys are unavailable
// answers 503 to others, 429 to it.
func TestThrottleBeforeKeys(t *testing.T) {
	t.Parallel()
	store := throttle.NewMemoryStore(0, 0)
	lim := throttle.Limit{Failures: 1, Window: time.Minute}
	store.Failed(context.Background(), "192.0.2.7", cacheT0, lim)
	v, err := New(WithIssuer(cacheIss, JWKS("https://keys.invalid/jwks.json")), WithAlgorithms("RS256"), WithAudience(cacheAud),
		WithClock(func() time.Time { return cacheT0 }), WithRemoteKeys(RemoteKeys{FetchTimeout: time.Millisecond}),
		WithThrottling(throttle.Config{Failures: 1, Store: store}))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok := cacheMint(t, map[string]any{"alg": "RS256", "kid": "k"}, cacheT0, nil, func([]byte) []byte { return []byte("sig") })
	if _, err := v.Authenticate(throttleRequest("192.0.2.7:1", []string{"Bearer " + tok})); !errors.Is(err, ErrThrottled) {
		t.Fatalf("throttled client: %v, want ErrThrottled", err)
	}
	if _, err := v.Authenticate(throttleRequest("192.0.2.8:1", []string{"Bearer " + tok})); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("another client: %v, want ErrKeysUnavailable", err)
	}
}

// TestThrottleClientKey: which requests are one client.
func TestThrottleClientKey(t *testing.T) {
	t.Parallel()
	proxies := WithTrustedProxies(forwarded.Config{Proxies: []string{"10.0.0.0/8"}, ClientAddress: true})
	for _, tc := range []struct {
		name   string
		cfg    throttle.Config
		opts   []Option
		first  *http.Request // fails twice
		second *http.Request // then sends a bad token
		same   bool          // second is throttled
	}{
		{name: "same address", first: throttleRequest("192.0.2.7:1", nil), second: throttleRequest("192.0.2.7:2", nil), same: true},
		{name: "another address", first: throttleRequest("192.0.2.7:1", nil), second: throttleRequest("192.0.2.8:1", nil)},
		{name: "IPv6: one /64", first: throttleRequest("[2001:db8:1:2::1]:1", nil), second: throttleRequest("[2001:db8:1:2:ffff::9]:1", nil), same: true},
		{name: "IPv6: another /64", first: throttleRequest("[2001:db8:1:2::1]:1", nil), second: throttleRequest("[2001:db8:1:3::1]:1", nil)},
		{name: "IPv6 by /128", cfg: throttle.Config{IPv6PrefixLen: 128}, first: throttleRequest("[2001:db8::1]:1", nil), second: throttleRequest("[2001:db8::2]:1", nil)},
		{name: "IPv4 by /24", cfg: throttle.Config{IPv4PrefixLen: 24}, first: throttleRequest("192.0.2.7:1", nil), second: throttleRequest("192.0.2.200:1", nil), same: true},
		{name: "behind a trusted proxy: the forwarded client", opts: []Option{proxies},
			first: throttleRequest("10.0.0.1:1", nil, "X-Forwarded-For: 203.0.113.5"), second: throttleRequest("10.0.0.2:1", nil, "X-Forwarded-For: 203.0.113.5"), same: true},
		{name: "behind a trusted proxy: other clients are not throttled", opts: []Option{proxies},
			first: throttleRequest("10.0.0.1:1", nil, "X-Forwarded-For: 203.0.113.5"), second: throttleRequest("10.0.0.1:1", nil, "X-Forwarded-For: 203.0.113.6")},
		{name: "behind a trusted proxy: a spoofed left-most entry changes nothing", opts: []Option{proxies},
			first: throttleRequest("10.0.0.1:1", nil, "X-Forwarded-For: 203.0.113.5"), second: throttleRequest("10.0.0.1:1", nil, "X-Forwarded-For: 198.51.100.1, 203.0.113.5"), same: true},
		{name: "without trusted proxies: the proxy is the client (why throttling is opt-in)",
			first: throttleRequest("10.0.0.1:1", nil, "X-Forwarded-For: 203.0.113.5"), second: throttleRequest("10.0.0.1:1", nil, "X-Forwarded-For: 203.0.113.6"), same: true},
		{name: "a header from an untrusted peer is ignored", opts: []Option{proxies},
			first: throttleRequest("192.0.2.7:1", nil, "X-Forwarded-For: 203.0.113.5"), second: throttleRequest("192.0.2.7:1", nil, "X-Forwarded-For: 203.0.113.6"), same: true},
		{name: "Key function", cfg: throttle.Config{Key: func(r *http.Request) string { return r.Header.Get("X-Tenant") }},
			first: throttleRequest("192.0.2.7:1", nil, "X-Tenant: acme"), second: throttleRequest("192.0.2.8:1", nil, "X-Tenant: acme"), same: true},
		{name: "Key function: another key", cfg: throttle.Config{Key: func(r *http.Request) string { return r.Header.Get("X-Tenant") }},
			first: throttleRequest("192.0.2.7:1", nil, "X-Tenant: acme"), second: throttleRequest("192.0.2.7:1", nil, "X-Tenant: globex")},
		{name: "Key function: \"\" is never throttled", cfg: throttle.Config{Key: func(r *http.Request) string { return r.Header.Get("X-Tenant") }},
			first: throttleRequest("192.0.2.7:1", nil), second: throttleRequest("192.0.2.7:1", nil)},
		{name: "no address (Unix socket) is never throttled", first: throttleRequest("@", nil), second: throttleRequest("@", nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, _, _ := throttleVerifier(t, tc.cfg, tc.opts...)
			bad := "Bearer " + mintHS256(t, cacheSecret, map[string]any{"exp": cacheT0.Add(-time.Hour).Unix()})
			for range 2 {
				r := tc.first.Clone(context.Background())
				r.Header.Set("Authorization", bad)
				if _, err := v.Authenticate(r); !errors.Is(err, ErrTokenExpired) {
					t.Fatalf("first client: %v, want ErrTokenExpired", err)
				}
			}
			r := tc.second.Clone(context.Background())
			r.Header.Set("Authorization", bad)
			_, err := v.Authenticate(r)
			if got := errors.Is(err, ErrThrottled); got != tc.same {
				t.Fatalf("second request: %v; throttled %v, want %v", err, got, tc.same)
			}
		})
	}
}

// TestThrottleVerifyCredential: a caller without an *http.Request (gRPC)
// takes part through Credential.ClientAddr.
func TestThrottleVerifyCredential(t *testing.T) {
	t.Parallel()
	v, _, _ := throttleVerifier(t, throttle.Config{})
	ctx := context.Background()
	bad := mintHS256(t, cacheSecret, map[string]any{"exp": cacheT0.Add(-time.Hour).Unix()})
	addr := netip.MustParseAddr("2001:db8:1:2::7")
	for range 2 {
		if _, err := v.VerifyCredential(ctx, Credential{Token: bad, Scheme: "Bearer", ClientAddr: addr}); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("%v, want ErrTokenExpired", err)
		}
	}
	neighbour := netip.MustParseAddr("2001:db8:1:2::8")
	if _, err := v.VerifyCredential(ctx, Credential{Token: bad, Scheme: "Bearer", ClientAddr: neighbour}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("the same /64: %v, want ErrThrottled", err)
	}
	// Authenticate sees the same client.
	if _, err := v.Authenticate(throttleRequest("[2001:db8:1:2::9]:443", []string{"Bearer " + bad})); !errors.Is(err, ErrThrottled) {
		t.Fatalf("Authenticate from the same /64: %v, want ErrThrottled", err)
	}
	// No address: never throttled (and Verify, which has no client, never).
	for range 3 {
		if _, err := v.VerifyCredential(ctx, Credential{Token: bad, Scheme: "Bearer"}); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("no address: %v, want ErrTokenExpired", err)
		}
	}
}

// TestThrottleAuthenticateFillsClientAddr: Authenticate gives the store's
// key and the Credential the trusted proxies' client address.
func TestThrottleAuthenticateFillsClientAddr(t *testing.T) {
	t.Parallel()
	ext := extractorFunc(func(r *http.Request) (Credential, error) {
		return Credential{Token: "x", Scheme: "Bearer", Source: "header"}, nil
	})
	v, _, _ := throttleVerifier(t, throttle.Config{}, WithExtractor(ext),
		WithTrustedProxies(forwarded.Config{Proxies: []string{"10.0.0.0/8"}, ClientAddress: true}))
	store := &recordingStore{}
	v.throttle.store = store
	r := throttleRequest("10.1.2.3:1", nil, "X-Forwarded-For: 203.0.113.5")
	_, _ = v.Authenticate(r)
	if seen := store.lastKeyAddr(); seen != netip.MustParseAddr("203.0.113.5") {
		t.Fatalf("the store saw client %v, want 203.0.113.5", seen)
	}
}

// recordingStore records the keys of failures.
type recordingStore struct {
	mu   sync.Mutex
	keys []string
}

func (s *recordingStore) Throttled(string, time.Time) (time.Duration, bool) { return 0, false }
func (s *recordingStore) Failed(_ context.Context, key string, _ time.Time, _ throttle.Limit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
}

func (s *recordingStore) lastKeyAddr() netip.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) == 0 {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(s.keys[len(s.keys)-1])
	return a
}

// TestThrottleConcurrent: many clients at once (for -race); the honest
// client's cached token always passes.
func TestThrottleConcurrent(t *testing.T) {
	t.Parallel()
	v, _, _ := throttleVerifier(t, throttle.Config{Failures: 3})
	good := mintHS256(t, cacheSecret, map[string]any{"sub": "user"})
	if _, err := v.Authenticate(throttleRequest("192.0.2.1:1", []string{"Bearer " + good})); err != nil {
		t.Fatal(err)
	}
	bad := "Bearer " + forged(good)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				remote := fmt.Sprintf("192.0.2.%d:1", 1+(g+i)%4)
				_, _ = v.Authenticate(throttleRequest(remote, []string{bad}))
				if _, err := v.Authenticate(throttleRequest(remote, []string{"Bearer " + good})); err != nil {
					t.Errorf("cached token from %s: %v", remote, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestREADMEThrottling: the Go code of README's section stands in an
// example that compiles, and the section lists every sentinel of both
// columns of throttle.go.
func TestREADMEThrottling(t *testing.T) {
	t.Parallel()
	const heading = "## Throttling failed authentication (`WithThrottling`)"
	missing, err := snippets.Missing("README.md", heading, "throttle_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range missing {
		t.Errorf("README block not found in throttle_example_test.go:\n%s", b)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), heading)
	section, _, _ = strings.Cut(section, "\n## ")
	_, table, _ := strings.Cut(section, "| counts as a failed authentication | never counts |")
	table, _, _ = strings.Cut(table, "\n\n")
	counted, uncounted, _ := strings.Cut(strings.SplitN(table, "\n", 3)[2], " | ")
	for _, tc := range []struct {
		list []error
		cell string
		name string
	}{{countedFailures, counted, "counts"}, {uncountedRefusals, uncounted, "never counts"}} {
		for _, err := range tc.list {
			name := sentinelName(err)
			if name == "" {
				t.Fatalf("sentinelName does not know %v", err)
			}
			if !strings.Contains(tc.cell, "`"+name+"`") {
				t.Errorf("README's column %q does not list %s", tc.name, name)
			}
		}
	}
}

// sentinelName is the Go name of a sentinel of the error table.
func sentinelName(err error) string {
	names := map[error]string{
		ErrNoToken: "ErrNoToken", ErrInvalidRequest: "ErrInvalidRequest", ErrCrossOrigin: "ErrCrossOrigin",
		ErrTokenTooLarge: "ErrTokenTooLarge", ErrMalformedToken: "ErrMalformedToken", ErrAlgorithmNotAllowed: "ErrAlgorithmNotAllowed",
		ErrKeyNotFound: "ErrKeyNotFound", ErrInvalidSignature: "ErrInvalidSignature", ErrInvalidTokenType: "ErrInvalidTokenType",
		ErrInvalidClaim: "ErrInvalidClaim", ErrMissingClaim: "ErrMissingClaim", ErrTokenExpired: "ErrTokenExpired",
		ErrTokenNotYetValid: "ErrTokenNotYetValid", ErrTokenIssuedInFuture: "ErrTokenIssuedInFuture", ErrInvalidIssuer: "ErrInvalidIssuer",
		ErrInvalidAudience: "ErrInvalidAudience", ErrTokenRevoked: "ErrTokenRevoked", ErrTokenInactive: "ErrTokenInactive",
		ErrForbidden: "ErrForbidden", ErrProofOfPossession: "ErrProofOfPossession", ErrThrottled: "ErrThrottled",
		dpop.ErrInvalidProof: "dpop.ErrInvalidProof", dpop.ErrUseNonce: "dpop.ErrUseNonce",
		ErrRevocationUnavailable: "ErrRevocationUnavailable", ErrIntrospectionUnavailable: "ErrIntrospectionUnavailable",
		ErrKeysUnavailable: "ErrKeysUnavailable",
	}
	return names[err]
}

// BenchmarkThrottleOverhead is the cost of throttling on the warm path: a
// cached token through Authenticate, without and with WithThrottling (no
// client throttled: the memory store's fast path, plus the client key).
func BenchmarkThrottleOverhead(b *testing.B) {
	tok := mintHS256(b, cacheSecret, nil)
	for _, on := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[on], func(b *testing.B) {
			opts := []Option{WithIssuer(cacheIss, HMAC(cacheSecret)), WithAlgorithms("HS256"), WithAudience(cacheAud),
				WithCache(100, time.Hour), WithClock(func() time.Time { return cacheT0 })}
			if on {
				opts = append(opts, WithThrottling(throttle.Config{}))
			}
			v, err := New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			r := throttleRequest("[2001:db8:1:2::7]:4711", []string{"Bearer " + tok})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
