package jwtguard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var cacheSecret = []byte("cache-test-secret-0123456789abcdefghij")

const (
	cacheIss = "https://issuer.cache.example"
	cacheAud = "https://api.cache.example"
)

// cacheT0 is the fixed start of the test clocks.
var cacheT0 = time.Unix(1_800_000_000, 0)

// mintHS256 signs claims (merged over iss/aud/sub/exp defaults) with secret.
func mintHS256(t testing.TB, secret []byte, claims map[string]any) string {
	t.Helper()
	body := map[string]any{"iss": cacheIss, "aud": cacheAud, "sub": "user-1", "exp": cacheT0.Add(time.Hour).Unix()}
	for k, v := range claims {
		body[k] = v
	}
	p, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(p)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// swapSource is a key source whose set the test replaces, as a JWKS
// refresh would.
type swapSource struct{ ks atomic.Pointer[keySet] }

func (s *swapSource) current() (*keySet, error)         { return s.ks.Load(), nil }
func (s *swapSource) refreshUnknownKid(context.Context) {}
func (s *swapSource) ready(context.Context) error       { return nil }
func (s *swapSource) close()                            {}

// countingStore counts IsRevoked calls and answers as told.
type countingStore struct {
	calls   atomic.Int64
	revoked atomic.Bool
	fail    atomic.Bool
}

func (s *countingStore) IsRevoked(context.Context, *Claims) (bool, error) {
	s.calls.Add(1)
	if s.fail.Load() {
		return false, errors.New("store down")
	}
	return s.revoked.Load(), nil
}

// cacheVerifier returns an HS256 verifier with a cache, the test clock, a
// counting revocation store and a swappable key source holding
// cacheSecret.
func cacheVerifier(t *testing.T, size int, ttl time.Duration) (*Verifier, *testClock, *countingStore, *swapSource) {
	t.Helper()
	clock := &testClock{now: cacheT0}
	store := &countingStore{}
	v, err := New(WithHMAC(cacheSecret), WithAlgorithms("HS256"), WithIssuer(cacheIss), WithAudience(cacheAud),
		WithCache(size, ttl), WithClock(clock.Now), WithRevocation(store))
	if err != nil {
		t.Fatal(err)
	}
	src := &swapSource{}
	src.ks.Store(newKeySet([]*verifyKey{{secret: cacheSecret}}))
	v.source = src
	return v, clock, store, src
}

func TestCacheHitSkipsVerificationButNotChecks(t *testing.T) {
	t.Parallel()
	v, clock, store, _ := cacheVerifier(t, 100, time.Hour)
	ctx := context.Background()
	tok := mintHS256(t, cacheSecret, map[string]any{"jti": "j1", "roles": []string{"a"}})

	c1, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.cache.len() != 1 {
		t.Fatalf("cache holds %d entries after one verified token, want 1", v.cache.len())
	}
	// A caller editing its claims does not change what later hits see,
	// even when it appends to a slice.
	c1.Subject = "edited"
	c1.Roles = append(c1.Roles, "injected")
	c2, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if c2 == c1 || c2.Subject != "user-1" || len(c2.Roles) != 1 || c2.Roles[0] != "a" {
		t.Fatalf("hit returned edited claims: %+v", c2)
	}
	c2.Roles = append(c2.Roles, "again")
	if c3, _ := v.Verify(ctx, tok); len(c3.Roles) != 1 {
		t.Fatalf("append on a hit's copy leaked into the cache: %v", c3.Roles)
	}

	// Revocation is asked on every hit, and a store failure fails closed.
	if n := store.calls.Load(); n != 3 {
		t.Fatalf("revocation asked %d times for 3 verifications", n)
	}
	store.fail.Store(true)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevocationUnavailable) {
		t.Fatalf("hit with failing store: %v, want ErrRevocationUnavailable", err)
	}
	store.fail.Store(false)
	store.revoked.Store(true)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("hit of a revoked token: %v, want ErrTokenRevoked", err)
	}
	store.revoked.Store(false)

	// exp is re-checked: within the leeway the token passes, after it not.
	clock.Set(cacheT0.Add(time.Hour + DefaultLeeway/2))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	clock.Set(cacheT0.Add(time.Hour + DefaultLeeway))
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("after exp+leeway: %v, want ErrTokenExpired", err)
	}
}

func TestCacheTamperedTokenIsNotAHit(t *testing.T) {
	t.Parallel()
	v, _, _, _ := cacheVerifier(t, 100, time.Hour)
	ctx := context.Background()
	tok := mintHS256(t, cacheSecret, nil)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{tok + "A", tok[:len(tok)-1], " " + tok, mintHS256(t, []byte("another-secret-0123456789abcdefghijkl"), nil)} {
		if _, err := v.Verify(ctx, bad); err == nil {
			t.Fatalf("token %q accepted", bad[len(bad)-8:])
		}
	}
	if v.cache.len() != 1 {
		t.Fatalf("refused tokens were cached: %d entries", v.cache.len())
	}
}

func TestCacheKeySetChange(t *testing.T) {
	t.Parallel()
	v, _, _, src := cacheVerifier(t, 100, time.Hour)
	ctx := context.Background()
	tok := mintHS256(t, cacheSecret, nil)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	// A key is added: the entry is not reused, the token is verified again
	// with the new set (and cached again).
	other := []byte("other-secret-0123456789abcdefghijklmnop")
	src.ks.Store(newKeySet([]*verifyKey{{secret: cacheSecret}, {secret: other}}))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("after a key was added: %v", err)
	}
	// The key that verified the token is removed: the very next request
	// with it is refused, although it was cached.
	src.ks.Store(newKeySet([]*verifyKey{{secret: other}}))
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("cached token after its key was removed: %v, want ErrInvalidSignature", err)
	}
	if v.cache.len() != 0 {
		t.Fatalf("stale entry kept: %d entries", v.cache.len())
	}
}

func TestCacheEntryLifetime(t *testing.T) {
	t.Parallel()
	src := &staticSource{ks: newKeySet(nil)}
	claims := func(exp time.Time) *Claims { return &Claims{Subject: "s", ExpiresAt: exp} }
	cases := []struct {
		name    string
		ttl     time.Duration
		exp     time.Time
		lastHit time.Duration // the entry is a hit up to this age ...
		miss    time.Duration // ... and a miss from this age on
	}{
		{"ttl shorter than exp", time.Minute, cacheT0.Add(time.Hour), time.Minute, time.Minute + time.Nanosecond},
		{"exp shorter than ttl", time.Hour, cacheT0.Add(time.Minute), time.Minute, time.Minute + time.Nanosecond},
		{"equal", time.Minute, cacheT0.Add(time.Minute), time.Minute, time.Minute + time.Nanosecond},
		{"already expired is not stored", time.Hour, cacheT0, -1, 0},
	}
	for _, c := range cases {
		tc := newTokenCache(16, c.ttl)
		tc.put("tok", claims(c.exp), src, src.ks, cacheT0)
		if c.lastHit >= 0 {
			if _, ok := tc.get("tok", cacheT0.Add(c.lastHit)); !ok {
				t.Errorf("%s: miss at age %s", c.name, c.lastHit)
			}
		}
		if _, ok := tc.get("tok", cacheT0.Add(c.miss)); ok {
			t.Errorf("%s: hit at age %s", c.name, c.miss)
		}
		if tc.len() != 0 {
			t.Errorf("%s: expired entry kept", c.name)
		}
	}
}

func TestCacheBoundedUnderFlood(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 10, 100, 1000} {
		tc := newTokenCache(size, time.Hour)
		src := &staticSource{ks: newKeySet(nil)}
		bound := cacheShards * ((size + cacheShards - 1) / cacheShards)
		for i := range 20 * bound {
			tok := fmt.Sprintf("token-%d-signature-part-%08d", i, i*7919)
			tc.put(tok, &Claims{ExpiresAt: cacheT0.Add(time.Hour)}, src, src.ks, cacheT0)
			if n := tc.len(); n > bound {
				t.Fatalf("size %d: %d entries after %d puts (bound %d)", size, n, i+1, bound)
			}
		}
		// The most recent insert is always present.
		if _, ok := tc.get(fmt.Sprintf("token-%d-signature-part-%08d", 20*bound-1, (20*bound-1)*7919), cacheT0); !ok {
			t.Fatalf("size %d: latest entry evicted at once", size)
		}
	}
}

func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	// A cache much smaller than the working set evicts constantly while
	// goroutines verify, hit, and the key set changes underneath.
	v, _, _, src := cacheVerifier(t, 16, time.Hour)
	ctx := context.Background()
	toks := make([]string, 64)
	for i := range toks {
		toks[i] = mintHS256(t, cacheSecret, map[string]any{"sub": fmt.Sprintf("user-%d", i)})
	}
	var wg sync.WaitGroup
	var failures atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 400 {
				n := (g*31 + i*7) % len(toks)
				c, err := v.Verify(ctx, toks[n])
				if err != nil || c.Subject != fmt.Sprintf("user-%d", n) {
					failures.Add(1)
				}
				if g == 0 && i%50 == 0 { // same key, new set: every entry goes stale
					src.ks.Store(newKeySet([]*verifyKey{{secret: cacheSecret}}))
				}
			}
		})
	}
	wg.Wait()
	if f := failures.Load(); f != 0 {
		t.Fatalf("%d verifications failed or returned another token's claims", f)
	}
	if n := v.cache.len(); n > 16 {
		t.Fatalf("cache holds %d entries, bound 16", n)
	}
}
