package jwtguard_test

// Continuous access (issue 20): revocation by session and issuer through
// the verifier, key revocation (thumbprint and kid; cache hits included;
// shared by every verifier of a store), the on-demand key refresh, and
// Verifier.Watch for long-lived requests. The stores' own tests are in
// memory/ and redis/ (two instances on a real redis-server, with the
// measured delays).

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
)

func newMemoryStore(t *testing.T, opts ...memory.Option) *memory.Store {
	t.Helper()
	s, err := memory.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fastKeys makes a refreshed-away kid cost no wait: the unknown-kid gap is
// 10 ms, the background refresh an hour away.
var fastKeys = jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: 10 * time.Millisecond, MinRefresh: time.Hour, MaxRefresh: time.Hour})

// TestRevokeSessionThroughVerifier: after RevokeSession every token of the
// session is refused on the next request (verified-token cache hits
// included) and tokens without sid or of another session are not; after
// RevokeIssuer every token issued before is.
func TestRevokeSessionThroughVerifier(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	store := newMemoryStore(t)
	v := iss.Verifier(t, jwtguard.WithRevocation(store), jwtguard.WithCache(100, time.Minute))
	s1 := iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s1"})
	s1b := iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s1", "jti": "other"})
	s2 := iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s2"})
	noSID := iss.Mint(jwtguardtest.Claims{"sub": "alice"})
	for _, tok := range []string{s1, s1b, s2, noSID} {
		c, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, tok); err != nil { // a cache hit
			t.Fatal(err)
		}
		_ = c
	}
	if c, _ := v.Verify(ctx, s1); c.SessionID != "s1" {
		t.Errorf("SessionID = %q", c.SessionID)
	}
	if err := store.RevokeSession(ctx, iss.URL(), "s1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		tok  string
		want error
	}{
		"session token": {s1, jwtguard.ErrTokenRevoked}, "another token of the session": {s1b, jwtguard.ErrTokenRevoked},
		"another session": {s2, nil}, "a token without sid": {noSID, nil},
	} {
		if _, err := v.Verify(ctx, tc.tok); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if err := store.RevokeIssuer(ctx, iss.URL(), time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{s2, noSID} {
		if _, err := v.Verify(ctx, tok); !errors.Is(err, jwtguard.ErrTokenRevoked) {
			t.Errorf("after RevokeIssuer: %v", err)
		}
	}
}

// TestRevokeKey (issue 20 §2): a key revocation refuses, at once and on
// every verifier of the store, every token the key verified — cache hits
// included — and no other: by RFC 7638 thumbprint, by kid where the key
// set maps it, for an HMAC secret (no kid), scoped by issuer, and until
// its until. A revocation recorded before New is loaded by New.
func TestRevokeKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := jwtguardtest.NewClock(time.Now())
	iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithIssuerClock(clk.Now))
	store := newMemoryStore(t, memory.WithClock(clk.Now))
	opts := []jwtguard.Option{jwtguard.WithRevocation(store), jwtguard.WithCache(100, time.Minute), jwtguard.WithClock(clk.Now)}
	a, b := iss.Verifier(t, opts...), iss.Verifier(t, opts...)
	rs := iss.Mint(nil, jwtguardtest.WithAlg("RS256"))
	es := iss.Mint(nil, jwtguardtest.WithAlg("ES256"))
	check := func(what string, tok string, want error) {
		t.Helper()
		for i, v := range []*jwtguard.Verifier{a, b} {
			for range 2 { // the second is a cache hit when the first passed
				_, err := v.Verify(ctx, tok)
				if want == nil && err != nil || want != nil && !errors.Is(err, want) {
					t.Errorf("%s: verifier %d: %v, want %v", what, i, err, want)
				}
			}
		}
	}
	check("before", rs, nil)
	check("before", es, nil)

	// Another issuer's revocation of the same key does nothing.
	if err := store.RevokeKey(ctx, "https://other.example.com/", iss.KeyThumbprint("RS256"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	check("another issuer's revocation", rs, nil)

	if err := store.RevokeKey(ctx, iss.URL(), iss.KeyThumbprint("RS256"), clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("revoked by thumbprint", rs, jwtguard.ErrTokenRevoked)
	check("another key", es, nil)
	if err := store.RevokeKey(ctx, iss.URL(), "kid:"+iss.KeyID("ES256"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	check("revoked by kid", es, jwtguard.ErrTokenRevoked)

	// A verifier built after the revocations loads them.
	c := iss.Verifier(t, opts...)
	if _, err := c.Verify(ctx, rs); !errors.Is(err, jwtguard.ErrTokenRevoked) {
		t.Errorf("verifier built after RevokeKey: %v", err)
	}

	// The thumbprint revocation ends at its until; the kid one has none.
	clk.Advance(time.Hour + time.Second)
	rs2 := iss.Mint(nil, jwtguardtest.WithAlg("RS256"))
	check("after the revocation's until", rs2, nil)
	check("kid revocation without end", iss.Mint(nil, jwtguardtest.WithAlg("ES256")), jwtguard.ErrTokenRevoked)
}

// TestRevokeHMACKey: an HMAC secret has no kid; its thumbprint (of the oct
// JWK, which does not reveal it) names it.
func TestRevokeHMACKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	store := newMemoryStore(t)
	v, err := jwtguard.New(jwtguard.WithIssuer(iss.URL(), jwtguard.HMAC(iss.HMACSecret())), jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("HS256"), jwtguard.WithRevocation(store), jwtguard.WithCache(10, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok := iss.Mint(nil, jwtguardtest.WithAlg("HS256"))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeKey(ctx, iss.URL(), iss.KeyThumbprint("HS256"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok); !errors.Is(err, jwtguard.ErrTokenRevoked) {
		t.Errorf("after revoking the HMAC secret: %v", err)
	}
}

// failingKeysStore is a memory store whose RevokedKeys fails while down.
type failingKeysStore struct {
	*memory.Store
	down atomic.Bool
}

func (s *failingKeysStore) RevokedKeys(ctx context.Context, fn func(issuer, key string, until time.Time)) error {
	if s.down.Load() {
		return errors.New("store down")
	}
	return s.Store.RevokedKeys(ctx, fn)
}

// TestRevokedKeysFailClosed: until the store's revoked keys are loaded,
// tokens are refused with 503 (fail-closed) or accepted with
// WithInsecureRevocationFailOpen; the verifier retries and recovers.
func TestRevokedKeysFailClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	store := &failingKeysStore{Store: newMemoryStore(t)}
	store.down.Store(true)
	v := iss.Verifier(t, jwtguard.WithRevocation(store))
	open := iss.Verifier(t, jwtguard.WithRevocation(store), jwtguard.WithInsecureRevocationFailOpen())
	tok := iss.Mint(nil)
	_, err := v.Verify(ctx, tok)
	if !errors.Is(err, jwtguard.ErrRevocationUnavailable) || jwtguard.AsError(err).Status != http.StatusServiceUnavailable {
		t.Errorf("store down: %v, want 503 ErrRevocationUnavailable", err)
	}
	if _, err := open.Verify(ctx, tok); err != nil {
		t.Errorf("fail-open: %v", err)
	}
	store.down.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err = v.Verify(ctx, tok); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRefreshKeys (issue 20 §2): the provider withdraws a key; without a
// refresh its tokens keep verifying (the set is an hour from its next
// refresh); RefreshKeys makes every verifier of the store fetch now, and
// the withdrawn key's tokens are refused afterwards, cache hits included,
// while the new key's pass.
func TestRefreshKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	store := newMemoryStore(t)
	opts := []jwtguard.Option{jwtguard.WithRevocation(store), jwtguard.WithCache(100, time.Minute), fastKeys}
	a, b := iss.Verifier(t, opts...), iss.Verifier(t, opts...)
	old := iss.Mint(nil)
	for _, v := range []*jwtguard.Verifier{a, b} {
		for range 2 {
			if _, err := v.Verify(ctx, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := iss.Rotate(); err != nil {
		t.Fatal(err)
	}
	iss.RetireOldKeys()
	if _, err := a.Verify(ctx, old); err != nil {
		t.Fatalf("before the refresh the cached key set still verifies: %v", err)
	}
	hits := iss.JWKSHits()
	if err := store.RefreshKeys(ctx, iss.URL()); err != nil {
		t.Fatal(err)
	}
	fresh := iss.Mint(nil)
	for i, v := range []*jwtguard.Verifier{a, b} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := v.Verify(ctx, old)
			if errors.Is(err, jwtguard.ErrKeyNotFound) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("verifier %d: the withdrawn key still verifies after RefreshKeys: %v", i, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := v.Verify(ctx, fresh); err != nil {
			t.Errorf("verifier %d: the new key: %v", i, err)
		}
	}
	if iss.JWKSHits() <= hits {
		t.Error("no JWKS fetch after RefreshKeys")
	}
}

// TestWatch (issue 20 §3): a watched request's context ends with an *Error
// as its cause when the token expires, its session is logged out (at once:
// the store's event wakes the watch), its key is revoked, or its key is no
// longer published after a refresh; not while the token stays good; and
// with the parent's cause when the request ends first.
func TestWatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	store := newMemoryStore(t)
	v := iss.Verifier(t, jwtguard.WithRevocation(store), jwtguard.WithLeeway(0), fastKeys)
	other := iss.Verifier(t, jwtguard.WithRevocation(store), jwtguard.WithLeeway(0), fastKeys) // a second instance
	watch := func(vv *jwtguard.Verifier, tok string) context.Context {
		t.Helper()
		c, err := vv.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return vv.Watch(ctx, c)
	}
	ended := func(what string, w context.Context, within time.Duration, want error) {
		t.Helper()
		select {
		case <-w.Done():
		case <-time.After(within):
			t.Errorf("%s: the watched context did not end within %s", what, within)
			return
		}
		var je *jwtguard.Error
		if cause := context.Cause(w); !errors.Is(cause, want) || !errors.As(cause, &je) {
			t.Errorf("%s: cause %v, want an *Error wrapping %v", what, cause, want)
		}
	}

	// Expiry: exp in 2 s (leeway 0).
	w := watch(v, iss.Mint(jwtguardtest.Claims{"exp": time.Now().Add(2 * time.Second).Unix()}))
	select {
	case <-w.Done():
		t.Fatal("ended before exp")
	case <-time.After(500 * time.Millisecond):
	}
	ended("expiry", w, 3*time.Second, jwtguard.ErrTokenExpired)

	// A back-channel logout (session revocation) through the store, seen by
	// the other verifier's watch at once.
	w = watch(other, iss.Mint(jwtguardtest.Claims{"sid": "s1"}))
	unrelated := watch(other, iss.Mint(jwtguardtest.Claims{"sid": "s2"}))
	start := time.Now()
	if err := store.RevokeSession(ctx, iss.URL(), "s1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	ended("session logout", w, 900*time.Millisecond, jwtguard.ErrTokenRevoked)
	t.Logf("session logout ended the watch after %s", time.Since(start))
	select {
	case <-unrelated.Done():
		t.Errorf("another session's watch ended: %v", context.Cause(unrelated))
	case <-time.After(1500 * time.Millisecond): // a periodic re-check has run
	}

	// Key revocation.
	es := watch(v, iss.Mint(nil, jwtguardtest.WithAlg("ES256")))
	if err := store.RevokeKey(ctx, iss.URL(), iss.KeyThumbprint("ES256"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	ended("key revocation", es, 900*time.Millisecond, jwtguard.ErrTokenRevoked)

	// The key withdrawn by the provider, then refreshed on request.
	rs := watch(v, iss.Mint(nil))
	if err := iss.Rotate(); err != nil {
		t.Fatal(err)
	}
	iss.RetireOldKeys()
	if err := store.RefreshKeys(ctx, iss.URL()); err != nil {
		t.Fatal(err)
	}
	ended("key withdrawn and refreshed", rs, 5*time.Second, jwtguard.ErrKeyNotFound)

	// The request ends first: the parent's cause, no *Error.
	parent, cancel := context.WithCancel(ctx)
	c, err := v.Verify(ctx, iss.Mint(nil))
	if err != nil {
		t.Fatal(err)
	}
	w = v.Watch(parent, c)
	cancel()
	<-w.Done()
	if cause := context.Cause(w); !errors.Is(cause, context.Canceled) {
		t.Errorf("parent cancelled: cause %v", cause)
	}
	if w := v.Watch(ctx, nil); context.Cause(w) == nil {
		t.Error("Watch(nil claims) did not end")
	}
}

// pollStore is a revocation store without events: Watch polls it.
type pollStore struct{ revoked atomic.Bool }

func (s *pollStore) IsRevoked(context.Context, *jwtguard.Claims) (bool, error) {
	return s.revoked.Load(), nil
}

// TestWatchPolls: with a store that sends no events, a revocation ends a
// watched request within the re-check interval (1 s). In a synctest
// bubble (an HMAC issuer: no network), so the bound holds exactly,
// whatever the machine's load.
func TestWatchPolls(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t) // mints only; the bubble's verifier fetches nothing
	// The bubble's clock starts in 2000: no iat or nbf from the real now.
	tok := iss.Mint(jwtguardtest.Claims{"iat": nil, "nbf": nil}, jwtguardtest.WithAlg("HS256"))
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		store := &pollStore{}
		v, err := jwtguard.New(jwtguard.WithIssuer(iss.URL(), jwtguard.HMAC(iss.HMACSecret())),
			jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("HS256"),
			jwtguard.WithRevocation(store), miQuiet())
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		c, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		w := v.Watch(ctx, c)
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		store.revoked.Store(true)
		<-w.Done()
		if d := time.Since(start); d > time.Second {
			t.Errorf("ended %s after the revocation, more than the 1 s interval", d)
		}
		if !errors.Is(context.Cause(w), jwtguard.ErrTokenRevoked) {
			t.Errorf("cause %v", context.Cause(w))
		}
	})
}
