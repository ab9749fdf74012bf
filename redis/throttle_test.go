package redisstore_test

// The throttle store (issue 19): a fleet shares the counts of failed
// authentications through Redis, and the request path never waits on it.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	redisstore "github.com/jwtguard/jwtguard/redis"
	"github.com/jwtguard/jwtguard/throttle"
	"github.com/redis/go-redis/v9"
)

func newThrottleStore(t testing.TB, c redis.UniversalClient, opts ...redisstore.Option) *redisstore.ThrottleStore {
	t.Helper()
	s, err := redisstore.NewThrottleStore(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestThrottleOptions(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, tc := range []struct {
		name string
		opts []redisstore.Option
		want string // error substring; "" for success
	}{
		{"defaults", nil, ""},
		{"shared options", []redisstore.Option{redisstore.WithKeyPrefix("x:"), redisstore.WithTimeout(time.Second), redisstore.WithClock(time.Now)}, ""},
		{"grace", []redisstore.Option{redisstore.WithGrace(time.Minute)}, "WithGrace applies to New only"},
		{"local cache", []redisstore.Option{redisstore.WithLocalCache(time.Second, 10)}, "WithLocalCache applies to New only"},
		{"proof quota", []redisstore.Option{redisstore.WithProofQuota(10, time.Minute)}, "WithProofQuota applies to NewDPoPReplayCache only"},
		{"prefix twice", []redisstore.Option{redisstore.WithKeyPrefix("a:"), redisstore.WithKeyPrefix("b:")}, "WithKeyPrefix given twice"},
		{"nil option", []redisstore.Option{nil}, "nil Option"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.NewThrottleStore(c, tc.opts...)
			if tc.want == "" {
				if err != nil || s == nil {
					t.Fatalf("NewThrottleStore: %v", err)
				}
				_ = s.Close()
				_ = s.Close() // twice is fine
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewThrottleStore: %v; want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := redisstore.NewThrottleStore(nil); err == nil {
		t.Fatal("nil client accepted")
	}
	var nilStore *redisstore.ThrottleStore
	nilStore.Failed(context.Background(), "k", time.Now(), throttle.Limit{Failures: 1, Window: time.Minute})
	if _, ok := nilStore.Throttled("k", time.Now()); ok || nilStore.Close() != nil || nilStore.Dropped() != 0 {
		t.Fatal("a nil *ThrottleStore does something")
	}
}

// TestThrottleStoreCounts: one store against a real redis-server: the
// limit, the Retry-After GCRA gives, the key in Redis and its lifetime,
// other clients untouched, long keys hashed.
func TestThrottleStoreCounts(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	s := newThrottleStore(t, client, redisstore.WithKeyPrefix("counts:"))
	ctx := context.Background()
	lim := throttle.Limit{Failures: 3, Window: time.Minute}
	long := strings.Repeat("tenant with spaces ", 10)
	for _, key := range []string{"192.0.2.7", "2001:db8:1:2::/64", long} {
		t.Run(key[:min(len(key), 20)], func(t *testing.T) {
			for range 3 {
				s.Failed(ctx, key, time.Now(), lim) // counted asynchronously
			}
			eventually(t, "the verdict", func() bool { _, ok := s.Throttled(key, time.Now()); return ok })
			retry, _ := s.Throttled(key, time.Now())
			if retry <= 15*time.Second || retry > 20*time.Second {
				t.Fatalf("Retry-After %s; want about 20 s (one try of 3 a minute)", retry)
			}
			if _, ok := s.Throttled(key+"x", time.Now()); ok {
				t.Fatal("another client is throttled")
			}
		})
	}
	keys := dpopKeys(t, client, "rate:counts:throttle:*")
	if len(keys) != 3 || !containsString(keys, "rate:counts:throttle:192.0.2.7") || !containsString(keys, "rate:counts:throttle:2001:db8:1:2::/64") {
		t.Fatalf("keys in Redis: %q; want rate:counts:throttle:<client>, the long key hashed", keys)
	}
	for _, k := range keys {
		if strings.Contains(k, " ") || len(k) > 100 {
			t.Fatalf("key %q is not hashed", k)
		}
		ttl, err := client.TTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > time.Minute {
			t.Fatalf("key %s lives %s (%v); want at most the window", k, ttl, err)
		}
	}
}

// TestThrottleStoreFleet: two verifiers, two stores, one Redis: failures
// at instance A throttle the client at instance B, which has seen none of
// them — within a bounded time (polled with a deadline). Other clients
// pass at both.
func TestThrottleStoreFleet(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	idp := jwtguardtest.NewIssuer(t)
	instance := func() (*jwtguard.Verifier, *redisstore.ThrottleStore) {
		s := newThrottleStore(t, newClient(t, srv.Addr), redisstore.WithKeyPrefix("fleet:"))
		eventually(t, "subscription", s.Subscribed)
		return idp.Verifier(t, jwtguard.WithThrottling(throttle.Config{Failures: 3, Window: time.Minute, Store: s})), s
	}
	a, _ := instance()
	b, bStore := instance()
	request := func(remote, token string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		r.RemoteAddr = remote
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	const attacker, user = "203.0.113.9:4711", "198.51.100.7:443"
	for range 3 {
		if _, err := a.Authenticate(request(attacker, idp.Expired())); !errors.Is(err, jwtguard.ErrTokenExpired) {
			t.Fatalf("A: %v, want ErrTokenExpired", err)
		}
	}
	eventually(t, "B learns the verdict", func() bool { _, ok := bStore.Throttled("203.0.113.9", time.Now()); return ok })
	_, err := b.Authenticate(request(attacker, idp.TamperedSignature()))
	if je := jwtguard.AsError(err); !errors.Is(err, jwtguard.ErrThrottled) || je.Status != http.StatusTooManyRequests || je.RetryAfter <= 0 {
		t.Fatalf("B, the attacker: %v; want 429 with Retry-After", err)
	}
	for name, v := range map[string]*jwtguard.Verifier{"A": a, "B": b} {
		if _, err := v.Authenticate(request(user, idp.Mint(nil))); err != nil {
			t.Fatalf("%s, another client's valid token: %v", name, err)
		}
	}
}

// TestThrottleStoreNeverWaits: with a Redis that never answers, the
// request path (Throttled, Failed) returns at once; the failures that do
// not fit in the queue are dropped and counted.
func TestThrottleStoreNeverWaits(t *testing.T) {
	t.Parallel()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			go func() { // hold the connection, never answer
				buf := make([]byte, 1024)
				for {
					if _, err := c.Read(buf); err != nil {
						c.Close()
						return
					}
				}
			}()
		}
	}()
	client := redis.NewClient(&redis.Options{Addr: silent.Addr().String(), ReadTimeout: time.Hour, WriteTimeout: time.Hour, ContextTimeoutEnabled: true, MaxRetries: -1})
	defer client.Close()
	s := newThrottleStore(t, client, redisstore.WithTimeout(time.Hour))
	lim := throttle.Limit{Failures: 1, Window: time.Minute}
	const n = 10_000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			s.Failed(context.Background(), fmt.Sprint("192.0.2.", i%250), time.Now(), lim)
			s.Throttled("192.0.2.1", time.Now())
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Failed or Throttled waited on a Redis that never answers")
	}
	if d := s.Dropped(); d < n-4096-256 {
		t.Fatalf("%d failures dropped of %d; the queue holds 4,096", d, n)
	}
	_ = s.Close() // cancels the call in progress

}

// TestThrottleStoreRedisDown: Redis stops; failures are not counted, the
// request path goes on, and throttling resumes when Redis is back.
func TestThrottleStoreRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	s := newThrottleStore(t, client, redisstore.WithTimeout(200*time.Millisecond))
	lim := throttle.Limit{Failures: 1, Window: time.Minute}
	srv.Stop()
	s.Failed(context.Background(), "down", time.Now(), lim)
	if _, ok := s.Throttled("down", time.Now()); ok {
		t.Fatal("throttled while Redis is down")
	}
	srv.Restart(t)
	eventually(t, "a failure counted after the restart", func() bool {
		s.Failed(context.Background(), "up", time.Now(), lim)
		_, ok := s.Throttled("up", time.Now())
		return ok
	})
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
