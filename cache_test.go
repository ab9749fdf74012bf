package jwtguard

// The verified-token cache (WithCache) as the verifier uses it. Verifiers
// are built with the public options only; the tests read v.cache to see
// hits, misses and what is kept, which the public API does not show. The
// bounded map itself (sharding, expiry, eviction) is tested in
// internal/cache; the memory bound under a million tokens is
// TestCacheMemoryBound.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

var cacheSecret = []byte("cache-test-secret-0123456789abcdefghij")

const (
	cacheIss    = "https://issuer.cache.example"
	cacheAud    = "https://api.cache.example"
	cacheLeeway = 30 * time.Second
)

// cacheT0 is the fixed start of the test clocks.
var cacheT0 = time.Unix(1_800_000_000, 0)

// cacheB64 is base64url without padding.
func cacheB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// cacheMint signs header and claims (merged over iss/aud/sub/exp defaults,
// exp an hour after now) with sign.
func cacheMint(t testing.TB, header map[string]any, now time.Time, claims map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	body := map[string]any{"iss": cacheIss, "aud": cacheAud, "sub": "user-1", "exp": now.Add(time.Hour).Unix()}
	maps.Copy(body, claims)
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	in := cacheB64(h) + "." + cacheB64(p)
	return in + "." + cacheB64(sign([]byte(in)))
}

// mintHS256 signs claims with secret (exp an hour after cacheT0).
func mintHS256(t testing.TB, secret []byte, claims map[string]any) string {
	t.Helper()
	return cacheMint(t, map[string]any{"alg": "HS256", "typ": "JWT"}, cacheT0, claims, func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	})
}

// cacheClock is a settable clock.
type cacheClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *cacheClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *cacheClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

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

// cacheVerifier returns an HS256 verifier for cacheSecret with a cache, the
// test clock and a counting revocation store.
func cacheVerifier(t *testing.T, size int, ttl time.Duration) (*Verifier, *cacheClock, *countingStore) {
	t.Helper()
	clock := &cacheClock{now: cacheT0}
	store := &countingStore{}
	v, err := New(WithIssuer(cacheIss, HMAC(cacheSecret)), WithAlgorithms("HS256"), WithAudience(cacheAud),
		WithCache(size, ttl), WithClock(clock.Now), WithRevocation(store), WithLeeway(cacheLeeway))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v, clock, store
}

// cachedClaimsOf returns the claims cached for tok, or nil.
func cachedClaimsOf(v *Verifier, tok string, now time.Time) *Claims {
	hit, ok := v.cache.Get(tok, now)
	if !ok {
		return nil
	}
	return hit.c
}

func TestCacheHitSkipsVerificationButNotChecks(t *testing.T) {
	t.Parallel()
	v, clock, store := cacheVerifier(t, 100, time.Hour)
	ctx := context.Background()
	tok := mintHS256(t, cacheSecret, map[string]any{"jti": "j1", "roles": []string{"a"}})

	c1, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.cache.Len() != 1 {
		t.Fatalf("cache holds %d entries after one verified token, want 1", v.cache.Len())
	}
	cached := cachedClaimsOf(v, tok, cacheT0)
	// A caller editing its claims does not change what later hits see,
	// even when it appends to a slice.
	c1.Subject = "edited"
	c1.Roles = append(c1.Roles, "injected")
	c2, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if c2 == c1 || c2 == cached || c2.Subject != "user-1" || len(c2.Roles) != 1 || c2.Roles[0] != "a" {
		t.Fatalf("hit returned edited or shared claims: %+v", c2)
	}
	if &c2.Roles[0] != &cached.Roles[0] {
		t.Fatal("the second Verify was not a cache hit (its roles are not the cached ones)")
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

	// exp is re-checked on a hit: within the leeway the token passes, after
	// it not. (The entry lives until exp, so these are hits.)
	clock.Set(cacheT0.Add(time.Hour - time.Second))
	if cachedClaimsOf(v, tok, clock.Now()) != cached {
		t.Fatal("entry lost before exp")
	}
	clock.Set(cacheT0.Add(time.Hour + cacheLeeway/2))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	clock.Set(cacheT0.Add(time.Hour + cacheLeeway))
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("after exp+leeway: %v, want ErrTokenExpired", err)
	}
}

func TestCacheTamperedTokenIsNotAHit(t *testing.T) {
	t.Parallel()
	v, _, _ := cacheVerifier(t, 100, time.Hour)
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
	if v.cache.Len() != 1 {
		t.Fatalf("refused tokens were cached: %d entries", v.cache.Len())
	}
}

// cacheRSAKey is an RSA signing key published under kid.
type cacheRSAKey struct {
	kid  string
	priv *rsa.PrivateKey
}

func newCacheRSAKey(t testing.TB, kid string) cacheRSAKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return cacheRSAKey{kid: kid, priv: k}
}

// mint signs claims with k (RS256, its kid), exp an hour after now.
func (k cacheRSAKey) mint(t testing.TB, now time.Time, claims map[string]any) string {
	t.Helper()
	return cacheMint(t, map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.kid}, now, claims, func(in []byte) []byte {
		d := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, d[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	})
}

// cacheJWKS publishes keys, in memory: it is the transport of the
// verifier's HTTP client (a socket would stop a synctest bubble's clock).
type cacheJWKS struct {
	mu   sync.Mutex
	keys []cacheRSAKey
}

func (j *cacheJWKS) publish(keys ...cacheRSAKey) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.keys = keys
}

func (j *cacheJWKS) RoundTrip(r *http.Request) (*http.Response, error) {
	j.mu.Lock()
	keys := j.keys
	j.mu.Unlock()
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := jwk.FromRaw(k.priv.Public())
		if err != nil {
			return nil, err
		}
		_ = pub.Set(jwk.KeyIDKey, k.kid)
		_ = pub.Set(jwk.AlgorithmKey, "RS256")
		_ = set.AddKey(pub)
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b)), Request: r}, nil
}

// jwksCacheVerifier is an RS256 verifier with a cache, keys from j.
func jwksCacheVerifier(t *testing.T, j *cacheJWKS, size int, remote RemoteKeys) *Verifier {
	t.Helper()
	remote.Client = &http.Client{Transport: j}
	v, err := New(WithIssuer(cacheIss, JWKS("https://keys.cache.example/jwks.json")), WithAlgorithms("RS256"), WithAudience(cacheAud),
		WithCache(size, time.Hour), WithRemoteKeys(remote))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCacheKeySetChange: an entry verified with a key set that has since
// changed is not used again: the token is verified afresh with the new
// set, and refused once its key is gone, although it was cached.
func TestCacheKeySetChange(t *testing.T) {
	t.Parallel()
	k1, k2 := newCacheRSAKey(t, "k1"), newCacheRSAKey(t, "k2")
	j := &cacheJWKS{}
	j.publish(k1)
	synctest.Test(t, func(t *testing.T) {
		v := jwksCacheVerifier(t, j, 100, RemoteKeys{})
		defer v.Close()
		ctx := context.Background()
		tok := k1.mint(t, time.Now(), nil)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		first := cachedClaimsOf(v, tok, time.Now())
		if first == nil {
			t.Fatal("verified token not cached")
		}

		// A key is added (the provider publishes k2; its first token makes
		// the verifier refetch after the unknown-kid gap): the entry is not
		// reused, the token is verified again and cached again.
		j.publish(k1, k2)
		time.Sleep(6 * time.Second)
		tok2 := k2.mint(t, time.Now(), nil)
		if _, err := v.Verify(ctx, tok2); err != nil {
			t.Fatalf("token of the new key: %v", err)
		}
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("after a key was added: %v", err)
		}
		if again := cachedClaimsOf(v, tok, time.Now()); again == nil || again == first {
			t.Fatal("the entry of the old key set was reused")
		}

		// The key that verified the token is removed: the very next request
		// with it is refused, although it was cached, and its entry goes.
		j.publish(k2)
		time.Sleep(6 * time.Second)
		if _, err := v.Verify(ctx, newCacheRSAKey(t, "trigger").mint(t, time.Now(), nil)); !errors.Is(err, ErrKeyNotFound) {
			t.Fatalf("unknown kid: %v", err)
		}
		before := v.cache.Len()
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrKeyNotFound) {
			t.Fatalf("cached token after its key was removed: %v, want ErrKeyNotFound", err)
		}
		if cachedClaimsOf(v, tok, time.Now()) != nil || v.cache.Len() != before-1 {
			t.Fatalf("stale entry kept: %d entries (%d before)", v.cache.Len(), before)
		}
	})
}

// TestCacheEntryLifetime: an entry lives until the token's exp or the
// cache ttl, whichever comes first; a token verified at or after its exp
// (accepted within the leeway) is not stored.
func TestCacheEntryLifetime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		ttl     time.Duration
		exp     time.Duration // after cacheT0
		lastHit time.Duration // the entry is a hit up to this age (-1: never stored) ...
		miss    time.Duration // ... and a miss from this age on
	}{
		{"ttl shorter than exp", time.Minute, time.Hour, time.Minute - time.Nanosecond, time.Minute},
		{"exp shorter than ttl", time.Hour, time.Minute, time.Minute - time.Nanosecond, time.Minute},
		{"equal", time.Minute, time.Minute, time.Minute - time.Nanosecond, time.Minute},
		{"at exp, within the leeway: not stored", time.Hour, 0, -1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, _, _ := cacheVerifier(t, 16, tc.ttl)
			tok := mintHS256(t, cacheSecret, map[string]any{"exp": cacheT0.Add(tc.exp).Unix()})
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			if tc.lastHit >= 0 && cachedClaimsOf(v, tok, cacheT0.Add(tc.lastHit)) == nil {
				t.Errorf("miss at age %s", tc.lastHit)
			}
			if cachedClaimsOf(v, tok, cacheT0.Add(tc.miss)) != nil {
				t.Errorf("hit at age %s", tc.miss)
			}
			if n := v.cache.Len(); n != 0 {
				t.Errorf("expired entry kept: %d entries", n)
			}
		})
	}
}

// TestCacheBoundedUnderFlood: however many distinct valid tokens arrive,
// the verifier keeps at most the size given to WithCache (rounded up to a
// multiple of the 16 shards), and the latest token is cached.
func TestCacheBoundedUnderFlood(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 10, 100, 1000} {
		v, _, _ := cacheVerifier(t, size, time.Hour)
		bound := 16 * ((size + 15) / 16)
		var last string
		for i := range 20 * bound {
			last = mintHS256(t, cacheSecret, map[string]any{"sub": fmt.Sprintf("user-%d", i)})
			if _, err := v.Verify(context.Background(), last); err != nil {
				t.Fatal(err)
			}
			if n := v.cache.Len(); n > bound {
				t.Fatalf("size %d: %d entries after %d tokens (bound %d)", size, n, i+1, bound)
			}
		}
		if cachedClaimsOf(v, last, cacheT0) == nil {
			t.Fatalf("size %d: latest token not cached", size)
		}
	}
}

// TestCacheConcurrent: a cache much smaller than the working set evicts
// constantly while goroutines verify and hit, and the key set changes
// underneath; no verification fails or returns another token's claims.
func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	k1, k2 := newCacheRSAKey(t, "k1"), newCacheRSAKey(t, "k2")
	j := &cacheJWKS{}
	j.publish(k1)
	v := jwksCacheVerifier(t, j, 16, RemoteKeys{UnknownKidGap: time.Millisecond})
	t.Cleanup(func() { _ = v.Close() })
	ctx := context.Background()
	now := time.Now()
	toks := make([]string, 64)
	for i := range toks {
		toks[i] = k1.mint(t, now, map[string]any{"sub": fmt.Sprintf("user-%d", i)})
	}
	trigger := newCacheRSAKey(t, "trigger").mint(t, now, nil)
	var wg sync.WaitGroup
	var failures, changes atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 400 {
				n := (g*31 + i*7) % len(toks)
				c, err := v.Verify(ctx, toks[n])
				if err != nil || c.Subject != fmt.Sprintf("user-%d", n) {
					failures.Add(1)
				}
				if g == 0 && i%50 == 0 { // a key comes or goes: every entry goes stale
					if changes.Add(1)%2 == 1 {
						j.publish(k1, k2)
					} else {
						j.publish(k1)
					}
					_, _ = v.Verify(ctx, trigger) // an unknown kid: refetch
				}
			}
		})
	}
	wg.Wait()
	if f := failures.Load(); f != 0 {
		t.Fatalf("%d verifications failed or returned another token's claims", f)
	}
	if n := v.cache.Len(); n > 16 {
		t.Fatalf("cache holds %d entries, bound 16", n)
	}
}

// TestCacheResolvedIssuerReasked (issue 12 item 2): a cached token of an
// issuer the resolver no longer trusts is refused on its next request, and
// a changed answer applies to cached tokens too.
func TestCacheResolvedIssuerReasked(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	allowed := map[string]Issuer{cacheIss: {ID: cacheIss, Keys: HMAC(cacheSecret)}}
	resolve := func(_ context.Context, iss string) (Issuer, bool) {
		mu.Lock()
		defer mu.Unlock()
		is, ok := allowed[iss]
		return is, ok
	}
	set := func(is *Issuer) {
		mu.Lock()
		defer mu.Unlock()
		if is == nil {
			delete(allowed, cacheIss)
		} else {
			allowed[cacheIss] = *is
		}
	}
	clock := &cacheClock{now: cacheT0}
	// maxIssuers 40: a probation budget of 10 new entries a minute, as the
	// test has the entry rebuilt twice.
	v, err := New(WithIssuerResolver(resolve, 40), WithAlgorithms("HS256"), WithAudience(cacheAud),
		WithCache(100, time.Hour), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx := context.Background()
	tok := mintHS256(t, cacheSecret, nil)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if cachedClaimsOf(v, tok, cacheT0) == nil {
		t.Fatal("token not cached")
	}
	set(nil) // offboarded
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidIssuer) {
		t.Fatalf("cached token of an issuer the resolver refuses: %v, want ErrInvalidIssuer", err)
	}
	set(&Issuer{ID: cacheIss, Keys: HMAC(cacheSecret)})
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("trusted again: %v", err)
	}
	set(&Issuer{ID: cacheIss, Keys: HMAC(cacheSecret), Audiences: []string{"another-api"}})
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidAudience) {
		t.Fatalf("cached token after the resolver changed the audience: %v, want ErrInvalidAudience", err)
	}
}
