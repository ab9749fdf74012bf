package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
	redisstore "github.com/jwtguard/jwtguard/redis"
	"github.com/redis/go-redis/v9"
)

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(discardLogger{}) }

// newClient returns a client with the short timeouts the package
// documentation recommends.
func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		DialTimeout:           300 * time.Millisecond,
		ReadTimeout:           300 * time.Millisecond,
		WriteTimeout:          300 * time.Millisecond,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		DialerRetries:         1,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newStore(t testing.TB, c redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// eventually polls cond until it holds or 10 s pass (a liveness bound for
// asynchronous delivery, not a speed assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, tc := range []struct {
		name string
		opts []redisstore.Option
		ok   bool
	}{
		{"defaults", nil, true},
		{"all", []redisstore.Option{redisstore.WithKeyPrefix("x:"), redisstore.WithTimeout(time.Second), redisstore.WithGrace(0),
			redisstore.WithMaxTokenLifetime(time.Hour), redisstore.WithClock(time.Now)}, true},
		{"empty prefix", []redisstore.Option{redisstore.WithKeyPrefix("")}, false},
		{"zero timeout", []redisstore.Option{redisstore.WithTimeout(0)}, false},
		{"cache ttl too long", []redisstore.Option{redisstore.WithLocalCache(time.Hour, 10)}, false},
		{"cache size 0", []redisstore.Option{redisstore.WithLocalCache(time.Second, 0)}, false},
		{"nil option", []redisstore.Option{nil}, false},
	} {
		s, err := redisstore.New(c, tc.opts...)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
		if s != nil {
			_ = s.Close()
		}
	}
	if _, err := redisstore.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
}

func TestRevokeAndIsRevoked(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Second)
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			prefix := fmt.Sprintf("t%v:", cached)
			opts := []redisstore.Option{redisstore.WithKeyPrefix(prefix)}
			if cached {
				opts = append(opts, redisstore.WithLocalCache(time.Minute, 100))
			}
			s := newStore(t, client, opts...)
			if cached {
				eventually(t, "subscription", s.Subscribed)
			}
			if err := s.RevokeToken(ctx, "j1", t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeSubject(ctx, "alice", t0); err != nil {
				t.Fatal(err)
			}
			// An earlier time does not shorten the subject's revocation.
			if err := s.RevokeSubject(ctx, "alice", t0.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name string
				c    jwtguard.Claims
				want bool
			}{
				{"revoked jti", jwtguard.Claims{ID: "j1", Subject: "bob"}, true},
				{"other jti", jwtguard.Claims{ID: "j2", Subject: "bob"}, false},
				{"subject, issued before", jwtguard.Claims{ID: "j3", Subject: "alice", IssuedAt: t0.Add(-time.Minute)}, true},
				{"subject, issued after", jwtguard.Claims{ID: "j4", Subject: "alice", IssuedAt: t0.Add(time.Second)}, false},
				{"subject, no iat", jwtguard.Claims{ID: "j5", Subject: "alice"}, true},
				{"no jti, subject not revoked", jwtguard.Claims{Subject: "carol"}, false},
				{"nothing to look up", jwtguard.Claims{}, false},
			}
			for range 2 { // the second round is answered by the cache
				for _, tc := range cases {
					got, err := s.IsRevoked(ctx, &tc.c)
					if err != nil || got != tc.want {
						t.Errorf("%s: IsRevoked = %v, %v; want %v", tc.name, got, err, tc.want)
					}
				}
			}
			// Keys carry the prefix and the right lifetimes.
			ttl := client.PTTL(ctx, prefix+"jti:j1").Val()
			if ttl <= time.Hour || ttl > time.Hour+jwtguard.RevocationGrace+time.Second {
				t.Errorf("jti key TTL %s, want about exp + grace", ttl)
			}
			v, err := client.Get(ctx, prefix+"sub:alice").Result()
			if err != nil || v != strconv.FormatInt(t0.UnixMicro(), 10) {
				t.Errorf("subject key = %q, %v", v, err)
			}
		})
	}
	if err := newStore(t, client).RevokeToken(ctx, "", t0.Add(time.Hour)); err == nil {
		t.Error("empty jti accepted")
	}
	if err := newStore(t, client).RevokeSubject(ctx, "", t0); err == nil {
		t.Error("empty subject accepted")
	}
}

func TestEntriesExpire(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	clk := jwtguardtest.NewClock(time.Now())
	s := newStore(t, client, redisstore.WithClock(clk.Now), redisstore.WithGrace(0), redisstore.WithMaxTokenLifetime(time.Millisecond))
	// A token that expires 300 ms from the store's clock: Redis drops the
	// key on its own.
	if err := s.RevokeToken(ctx, "short", clk.Now().Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSubject(ctx, "sub", clk.Now().Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	// An already expired token is not written at all.
	if err := s.RevokeToken(ctx, "old", clk.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(ctx, "jwtguard:jti:old").Val(); n != 0 {
		t.Fatal("an expired token was written")
	}
	if ok, _ := s.IsRevoked(ctx, &jwtguard.Claims{ID: "short"}); !ok {
		t.Fatal("not revoked before expiry")
	}
	eventually(t, "jti key expiry", func() bool { return client.Exists(ctx, "jwtguard:jti:short").Val() == 0 })
	eventually(t, "subject key expiry", func() bool { return client.Exists(ctx, "jwtguard:sub:sub").Val() == 0 })
	if ok, err := s.IsRevoked(ctx, &jwtguard.Claims{ID: "short", Subject: "sub"}); ok || err != nil {
		t.Fatalf("after expiry: %v, %v", ok, err)
	}
}

// verifierFor returns a verifier using store and an HTTP handler behind it.
func verifierFor(t *testing.T, iss *jwtguardtest.Issuer, store jwtguard.RevocationStore) (*jwtguard.Verifier, func(tok string) (int, string)) {
	v := iss.Verifier(t, jwtguard.WithRevocation(store), jwtguard.WithCache(100, time.Minute))
	h := nethttp.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	return v, func(tok string) (int, string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
}

// TestUnreachable: Redis down from the start fails closed with 503 and a
// clear error, never "not revoked".
func TestUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			var opts []redisstore.Option
			if cached {
				opts = append(opts, redisstore.WithLocalCache(time.Second, 10))
			}
			s := newStore(t, newClient(t, addr), opts...)
			_, err := s.IsRevoked(context.Background(), &jwtguard.Claims{ID: "j", Subject: "u"})
			if err == nil || !strings.Contains(err.Error(), "redisstore") || !strings.Contains(err.Error(), addr) {
				t.Fatalf("IsRevoked error %v; want one naming the store and %s", err, addr)
			}
			t.Logf("IsRevoked error: %v", err)
			if err := s.RevokeToken(context.Background(), "j", time.Now().Add(time.Hour)); err == nil {
				t.Fatal("RevokeToken succeeded with Redis down")
			}
			iss := jwtguardtest.NewIssuer(t)
			v, do := verifierFor(t, iss, s)
			tok := iss.Mint(jwtguardtest.Claims{"jti": "j1"})
			_, verr := v.Verify(context.Background(), tok)
			if !errors.Is(verr, jwtguard.ErrRevocationUnavailable) || jwtguard.AsError(verr).Status != http.StatusServiceUnavailable {
				t.Fatalf("Verify: %v", verr)
			}
			if code, body := do(tok); code != http.StatusServiceUnavailable || strings.Contains(body, tok) {
				t.Fatalf("HTTP %d %s", code, body)
			}
		})
	}
}

// TestRedisRestart: revocations survive a restart of a persistent Redis;
// during the outage checks fail closed; afterwards the store (and its
// local cache subscription) recover without intervention.
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithPersistence())
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	s := newStore(t, client, redisstore.WithLocalCache(time.Minute, 100))
	eventually(t, "subscription", s.Subscribed)
	iss := jwtguardtest.NewIssuer(t)
	_, do := verifierFor(t, iss, s)
	revoked := iss.Mint(jwtguardtest.Claims{"jti": "r1"})
	live := iss.Mint(jwtguardtest.Claims{"jti": "l1"})
	later := iss.Mint(jwtguardtest.Claims{"jti": "l2"})
	if err := s.RevokeToken(ctx, "r1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(live); code != http.StatusNoContent { // cached as not revoked
		t.Fatalf("live token: %d", code)
	}

	srv.Stop()
	eventually(t, "the cache to notice the outage", func() bool { return !s.Subscribed() })
	for _, tok := range []string{revoked, live} {
		if code, _ := do(tok); code != http.StatusServiceUnavailable {
			t.Fatalf("during the outage: %d, want 503 (fail closed)", code)
		}
	}

	srv.Restart(t)
	eventually(t, "checks to work again", func() bool { code, _ := do(live); return code == http.StatusNoContent })
	if code, _ := do(revoked); code != http.StatusUnauthorized {
		t.Fatalf("revocation lost across the restart: %d", code)
	}
	eventually(t, "resubscription", s.Subscribed)
	if err := s.RevokeToken(ctx, "l2", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(later); code != http.StatusUnauthorized {
		t.Fatalf("revocation after restart: %d", code)
	}
}

// TestTwoInstances: two verifiers, each with its own Store (one with a local
// cache), share one Redis. A logout through either is honoured by the
// other: at once without a cache, and via pub/sub with it.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	a := newStore(t, newClient(t, srv.Addr), redisstore.WithLocalCache(time.Minute, 100))
	b := newStore(t, newClient(t, srv.Addr))
	eventually(t, "subscription", a.Subscribed)
	va, doA := verifierFor(t, iss, a)
	vb, doB := verifierFor(t, iss, b)

	tok1 := iss.Mint(jwtguardtest.Claims{"jti": "t1", "sub": "alice"})
	tok2 := iss.Mint(jwtguardtest.Claims{"jti": "t2", "sub": "bob", "iat": time.Now().Add(-time.Second).Unix()})
	for _, do := range []func(string) (int, string){doA, doB} {
		for _, tok := range []string{tok1, tok2} {
			if code, _ := do(tok); code != http.StatusNoContent {
				t.Fatalf("before logout: %d", code)
			}
		}
	}
	// Logout on A: B has no cache and sees it on the next request.
	c1, err := va.Verify(ctx, tok1)
	if err != nil {
		t.Fatal(err)
	}
	if err := jwtguard.RevokeClaims(ctx, a, c1); err != nil {
		t.Fatal(err)
	}
	if code, _ := doB(tok1); code != http.StatusUnauthorized {
		t.Fatalf("instance B after logout on A: %d", code)
	}
	if code, _ := doA(tok1); code != http.StatusUnauthorized {
		t.Fatalf("instance A after its own logout: %d", code)
	}
	// Logout-everywhere on B: A had bob cached as "not revoked" and must
	// drop that through pub/sub (its clock does not advance past the TTL).
	if _, err := vb.Verify(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if err := b.RevokeSubject(ctx, "bob", time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "instance A to honour B's revocation", func() bool { code, _ := doA(tok2); return code == http.StatusUnauthorized })
}

// TestLocalCacheStalenessBound: a revocation whose invalidation message is
// lost (here: written to Redis directly, without PUBLISH) is honoured once
// the cache TTL has passed, and not before the cache entry was served.
func TestLocalCacheStalenessBound(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	clk := jwtguardtest.NewClock(time.Now())
	const ttl = 2 * time.Second
	s := newStore(t, client, redisstore.WithLocalCache(ttl, 100), redisstore.WithClock(clk.Now))
	eventually(t, "subscription", s.Subscribed)
	c := &jwtguard.Claims{ID: "quiet", Subject: "u"}
	if ok, err := s.IsRevoked(ctx, c); ok || err != nil {
		t.Fatalf("first check: %v, %v", ok, err)
	}
	if err := client.Set(ctx, "jwtguard:jti:quiet", "1", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(ttl - time.Millisecond)
	if ok, _ := s.IsRevoked(ctx, c); ok {
		t.Fatal("the local cache was not used (this check should be served from it)")
	}
	clk.Advance(time.Millisecond)
	if ok, err := s.IsRevoked(ctx, c); !ok || err != nil {
		t.Fatalf("after the TTL: %v, %v; want revoked (staleness bound = TTL)", ok, err)
	}
	// Revoking through a Store invalidates at once, with no clock advance.
	c2 := &jwtguard.Claims{ID: "loud", Subject: "u"}
	if ok, _ := s.IsRevoked(ctx, c2); ok {
		t.Fatal("loud revoked too early")
	}
	other := newStore(t, newClient(t, srv.Addr))
	if err := other.RevokeToken(ctx, "loud", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pub/sub invalidation", func() bool { ok, _ := s.IsRevoked(ctx, c2); return ok })
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()
	s := newStore(t, newClient(t, srv.Addr), redisstore.WithLocalCache(time.Minute, 1000))
	eventually(t, "subscription", s.Subscribed)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				jti := fmt.Sprintf("w%d-%d", w, i)
				c := &jwtguard.Claims{ID: jti, Subject: fmt.Sprintf("u%d", w)}
				if ok, err := s.IsRevoked(ctx, c); ok || err != nil {
					t.Errorf("%s before revoke: %v %v", jti, ok, err)
					return
				}
				if err := s.RevokeToken(ctx, jti, time.Now().Add(time.Hour)); err != nil {
					t.Error(err)
					return
				}
				if ok, err := s.IsRevoked(ctx, c); !ok || err != nil {
					t.Errorf("%s after revoke: %v %v", jti, ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkVerifyRevocation measures Verify (warm: verified-token cache on,
// so the revocation check dominates) with the memory store, with Redis,
// and with Redis plus the local cache.
func BenchmarkVerifyRevocation(b *testing.B) {
	srv := redistest.Start(b)
	client := newClient(b, srv.Addr)
	iss := jwtguardtest.NewIssuer(b)
	ctx := context.Background()
	tok := iss.Mint(jwtguardtest.Claims{"jti": "bench-token"}, jwtguardtest.WithAlg("ES256"))
	mem := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{})
	plain := newStore(b, client, redisstore.WithKeyPrefix("bench1:"))
	cached := newStore(b, client, redisstore.WithKeyPrefix("bench2:"), redisstore.WithLocalCache(time.Second, 10_000))
	for i := range 1000 {
		_ = mem.RevokeToken(ctx, fmt.Sprintf("other-%d", i), time.Now().Add(time.Hour))
		_ = plain.RevokeToken(ctx, fmt.Sprintf("other-%d", i), time.Now().Add(time.Hour))
	}
	for !cached.Subscribed() {
		time.Sleep(time.Millisecond)
	}
	for _, bc := range []struct {
		name  string
		store jwtguard.RevocationStore
	}{{"memory", mem}, {"redis", plain}, {"redis+localcache", cached}} {
		for _, warm := range []bool{false, true} {
			name := bc.name + "/cold"
			opts := []jwtguard.Option{jwtguard.WithRevocation(bc.store)}
			if warm {
				name = bc.name + "/warm"
				opts = append(opts, jwtguard.WithCache(1000, time.Minute))
			}
			b.Run(name, func(b *testing.B) {
				v := iss.Verifier(b, opts...)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := v.Verify(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
