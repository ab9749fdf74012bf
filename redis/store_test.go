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
	"github.com/jwtguard/jwtguard/memory"
	"github.com/jwtguard/jwtguard/nethttp"
	redisstore "github.com/jwtguard/jwtguard/redis"
	"github.com/redis/go-redis/v9"
)

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(discardLogger{}) }

// redisTimeout bounds each Redis call of the tests. The package
// documentation recommends 300 ms (client) and 1 s (the store's
// WithTimeout) for production; the tests assert outcomes, not latency, and
// on a loaded machine redis-server can go unscheduled for longer than
// that. Their outages are a killed server or a closed port, refused at
// once whatever the timeout.
const redisTimeout = 10 * time.Second

// newClient returns a client with the options the package documentation
// recommends, but generous timeouts (redisTimeout).
func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		DialTimeout:           redisTimeout,
		ReadTimeout:           redisTimeout,
		WriteTimeout:          redisTimeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		DialerRetries:         1,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newStore returns a store on c with opts (which must not hold
// WithTimeout: the store's timeout is redisTimeout).
func newStore(t testing.TB, c redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, append([]redisstore.Option{redisstore.WithTimeout(redisTimeout)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// modeStore returns a store with its own prefix, with or without the local
// cache (then subscribed), for tests that run in both modes.
func modeStore(t *testing.T, c redis.UniversalClient, prefix string, cached bool, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	opts = append(opts, redisstore.WithKeyPrefix(prefix))
	if cached {
		opts = append(opts, redisstore.WithLocalCache(time.Minute, 100))
	}
	s := newStore(t, c, opts...)
	if cached {
		eventually(t, "subscription", s.Subscribed)
	}
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

// issuer is the iss of the tokens in the store-level tests.
const issuer = "https://login.example.com/"

// jtiKey and subKey are the Redis keys of issuer's entries under the
// default prefix.
func jtiKey(jti string) string { return "jwtguard:jti:26:https://login.example.com/:" + jti }
func subKey(sub string) string { return "jwtguard:sub:26:https://login.example.com/:" + sub }

func TestNewOptions(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, tc := range []struct {
		name string
		opts []redisstore.Option
		want string // error substring; "" for success
	}{
		{"defaults", nil, ""},
		{"all", []redisstore.Option{redisstore.WithKeyPrefix("x:"), redisstore.WithTimeout(time.Second), redisstore.WithGrace(0),
			redisstore.WithSkew(0), redisstore.WithMaxTokenLifetime(time.Hour), redisstore.WithClock(time.Now),
			redisstore.WithLocalCache(time.Second, 10)}, ""},
		{"empty prefix", []redisstore.Option{redisstore.WithKeyPrefix("")}, "WithKeyPrefix"},
		{"zero timeout", []redisstore.Option{redisstore.WithTimeout(0)}, "WithTimeout"},
		{"negative grace", []redisstore.Option{redisstore.WithGrace(-1)}, "WithGrace"},
		{"negative skew", []redisstore.Option{redisstore.WithSkew(-1)}, "WithSkew"},
		{"zero lifetime", []redisstore.Option{redisstore.WithMaxTokenLifetime(0)}, "WithMaxTokenLifetime"},
		{"nil clock", []redisstore.Option{redisstore.WithClock(nil)}, "WithClock"},
		{"cache ttl too long", []redisstore.Option{redisstore.WithLocalCache(time.Hour, 10)}, "WithLocalCache"},
		{"cache size 0", []redisstore.Option{redisstore.WithLocalCache(time.Second, 0)}, "WithLocalCache"},
		{"nil option", []redisstore.Option{nil}, "nil Option"},
		{"prefix twice", []redisstore.Option{redisstore.WithKeyPrefix("a:"), redisstore.WithKeyPrefix("b:")}, "WithKeyPrefix given twice"},
		{"timeout twice", []redisstore.Option{redisstore.WithTimeout(time.Second), redisstore.WithTimeout(time.Second)}, "WithTimeout given twice"},
		{"grace twice", []redisstore.Option{redisstore.WithGrace(time.Minute), redisstore.WithGrace(time.Minute)}, "WithGrace given twice"},
		{"skew twice", []redisstore.Option{redisstore.WithSkew(time.Minute), redisstore.WithSkew(time.Minute)}, "WithSkew given twice"},
		{"lifetime twice", []redisstore.Option{redisstore.WithMaxTokenLifetime(time.Hour), redisstore.WithMaxTokenLifetime(time.Hour)}, "WithMaxTokenLifetime given twice"},
		{"clock twice", []redisstore.Option{redisstore.WithClock(time.Now), redisstore.WithClock(time.Now)}, "WithClock given twice"},
		{"cache twice", []redisstore.Option{redisstore.WithLocalCache(time.Second, 10), redisstore.WithLocalCache(time.Second, 10)}, "WithLocalCache given twice"},
	} {
		s, err := redisstore.New(c, tc.opts...)
		switch {
		case tc.want == "" && (err != nil || s == nil):
			t.Errorf("%s: New = %v, %v", tc.name, s, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || s != nil):
			t.Errorf("%s: New = %v, %v; want an error naming %s", tc.name, s, err, tc.want)
		}
		if s != nil {
			_ = s.Close()
		}
	}
	if s, err := redisstore.New(nil); err == nil || s != nil {
		t.Error("New(nil) succeeded")
	}
}

func TestGraceAndSkew(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	s := newStore(t, c)
	if s.Grace() != 5*time.Minute || s.Skew() != 30*time.Second {
		t.Errorf("defaults: Grace %s, Skew %s; want 5m0s, 30s", s.Grace(), s.Skew())
	}
	s = newStore(t, c, redisstore.WithGrace(time.Minute), redisstore.WithSkew(2*time.Minute))
	if s.Grace() != time.Minute || s.Skew() != 2*time.Minute {
		t.Errorf("set: Grace %s, Skew %s", s.Grace(), s.Skew())
	}
}

// TestNilStore: a nil *Store answers with errors, never a panic and never
// "not revoked" without an error.
func TestNilStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var s *redisstore.Store
	if ok, err := s.IsRevoked(ctx, &jwtguard.Claims{ID: "j"}); ok || err == nil {
		t.Errorf("IsRevoked = %v, %v; want an error", ok, err)
	}
	if err := s.RevokeToken(ctx, issuer, "j", time.Now().Add(time.Hour)); err == nil {
		t.Error("RevokeToken succeeded")
	}
	if err := s.RevokeSubject(ctx, issuer, "u", time.Now()); err == nil {
		t.Error("RevokeSubject succeeded")
	}
	for name, err := range map[string]error{
		"RevokeSession": s.RevokeSession(ctx, issuer, "s", time.Now()),
		"RevokeIssuer":  s.RevokeIssuer(ctx, issuer, time.Now()),
		"RevokeKey":     s.RevokeKey(ctx, issuer, "kid:k", time.Now()),
		"RefreshKeys":   s.RefreshKeys(ctx, issuer),
		"RevokedKeys":   s.RevokedKeys(ctx, func(string, string, time.Time) {}),
	} {
		if err == nil {
			t.Errorf("%s on a nil store succeeded", name)
		}
	}
	s.Subscribe(func(string, string, string, time.Time) {})() // no panic
	if s.Grace() != 0 || s.Skew() != 0 || s.Subscribed() || s.Close() != nil {
		t.Error("Grace, Skew, Subscribed or Close of a nil store")
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if ok, err := newStore(t, c).IsRevoked(ctx, nil); ok || err == nil {
		t.Errorf("IsRevoked(nil) = %v, %v; want an error", ok, err)
	}
}

// TestIssuerScoped (issue 12 item 12): jti and sub are unique only per
// issuer, so a revocation recorded for issuer B never revokes issuer A's
// token with the same jti or sub, with or without the local cache, and
// whether the revocation is made through this Store or another one (the
// invalidation message names the issuer too). Issuer and value pairs that
// would read alike if simply joined stay apart.
func TestIssuerScoped(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	const a, b = "https://a.example.com", "https://b.example.com"
	t0 := time.Now()
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			prefix := fmt.Sprintf("scoped%v:", cached)
			s := modeStore(t, client, prefix, cached)
			other := newStore(t, newClient(t, srv.Addr), redisstore.WithKeyPrefix(prefix))
			type check struct {
				c    jwtguard.Claims
				want bool
			}
			run := func(checks []check) {
				t.Helper()
				for range 2 { // the second round is answered by the cache
					for _, tc := range checks {
						if got, err := s.IsRevoked(ctx, &tc.c); got != tc.want || err != nil {
							t.Errorf("iss %q jti %q sub %q: IsRevoked = %v, %v; want %v", tc.c.Issuer, tc.c.ID, tc.c.Subject, got, err, tc.want)
						}
					}
				}
			}
			aJTI := jwtguard.Claims{Issuer: a, ID: "jti-1"}
			aSub := jwtguard.Claims{Issuer: a, Subject: "alice", IssuedAt: t0.Add(-time.Minute)}
			run([]check{{aJTI, false}, {aSub, false}}) // cached as not revoked
			if err := s.RevokeToken(ctx, b, "jti-1", t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeSubject(ctx, b, "alice", t0); err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeToken(ctx, "x:", "y", t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			run([]check{
				{jwtguard.Claims{Issuer: b, ID: "jti-1"}, true},
				{aJTI, false},
				{jwtguard.Claims{ID: "jti-1"}, false},
				{jwtguard.Claims{Issuer: b, Subject: "alice", IssuedAt: t0.Add(-time.Minute)}, true},
				{aSub, false},
				{jwtguard.Claims{Subject: "alice"}, false},
				{jwtguard.Claims{Issuer: "x:", ID: "y"}, true},
				{jwtguard.Claims{Issuer: "x", ID: ":y"}, false},
				{jwtguard.Claims{ID: "x::y"}, false},
			})
			// The Redis keys carry the issuer, length-prefixed.
			for _, k := range []string{prefix + "jti:21:" + b + ":jti-1", prefix + "sub:21:" + b + ":alice", prefix + "jti:2:x::y"} {
				if client.Exists(ctx, k).Val() != 1 {
					t.Errorf("key %s missing", k)
				}
			}
			// A revocation for A through another Store reaches this one's
			// cache, which had A's answers cached as not revoked.
			if err := other.RevokeToken(ctx, a, "jti-1", t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := other.RevokeSubject(ctx, a, "alice", t0); err != nil {
				t.Fatal(err)
			}
			eventually(t, "A's revocations", func() bool {
				j, _ := s.IsRevoked(ctx, &aJTI)
				u, _ := s.IsRevoked(ctx, &aSub)
				return j && u
			})
		})
	}
}

// TestRevokeSubjectIssuerSkew (issue 12 item 10): the verifier accepts an
// iat up to its leeway in the future, so a token minted just before "log
// out everywhere" by an identity provider whose clock runs ahead carries
// an iat after the revocation time; it must be revoked, with or without
// the local cache. A fresh login within the skew is refused too
// (documented); one after it is not.
func TestRevokeSubjectIssuerSkew(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Second)
	// The stores' clock stays at t0, the revocation time: the entry's TTL
	// is then exactly lifetime + skew + grace when written, however long
	// the subtests before took.
	clk := jwtguardtest.NewClock(t0)
	for _, cached := range []bool{false, true} {
		for _, skew := range []time.Duration{0, 2 * time.Minute} { // 0: the default, 30 s
			name := fmt.Sprintf("cache=%v/skew=%s", cached, skew)
			t.Run(name, func(t *testing.T) {
				prefix := "skew:" + name + ":"
				opts := []redisstore.Option{redisstore.WithClock(clk.Now)}
				want := 30 * time.Second
				if skew != 0 {
					opts = append(opts, redisstore.WithSkew(skew))
					want = skew
				}
				s := modeStore(t, client, prefix, cached, opts...)
				written := time.Now()
				if err := s.RevokeSubject(ctx, issuer, "alice", t0); err != nil {
					t.Fatal(err)
				}
				// The entry outlives the skew as well as the lifetime and
				// grace. Redis counts its TTL down on the real clock from the
				// write, so at most the time since then is gone.
				full := 24*time.Hour + want + 5*time.Minute
				if ttl := client.PTTL(ctx, prefix+"sub:26:"+issuer+":alice").Val(); ttl > full || ttl < full-time.Since(written)-time.Millisecond {
					t.Errorf("subject key TTL %s, want %s less the %s since the write", ttl, full, time.Since(written))
				}
				for range 2 { // the second round is answered by the cache
					for _, tc := range []struct {
						iat  time.Duration
						want bool
					}{
						{10 * time.Second, true},
						{want - time.Second, true},
						{want, false},
					} {
						c := &jwtguard.Claims{Issuer: issuer, Subject: "alice", IssuedAt: t0.Add(tc.iat)}
						if got, err := s.IsRevoked(ctx, c); got != tc.want || err != nil {
							t.Errorf("iat revocation + %s: IsRevoked = %v, %v; want %v", tc.iat, got, err, tc.want)
						}
					}
				}
			})
		}
	}
}

func TestRevokeAndIsRevoked(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Second)
	clk := jwtguardtest.NewClock(t0) // the stores' clock stays at t0
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			prefix := fmt.Sprintf("t%v:", cached)
			s := modeStore(t, client, prefix, cached, redisstore.WithClock(clk.Now))
			written := time.Now()
			if err := s.RevokeToken(ctx, issuer, "j1", t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeSubject(ctx, issuer, "alice", t0); err != nil {
				t.Fatal(err)
			}
			// An earlier time does not shorten the subject's revocation.
			if err := s.RevokeSubject(ctx, issuer, "alice", t0.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name string
				c    jwtguard.Claims
				want bool
			}{
				{"revoked jti", jwtguard.Claims{Issuer: issuer, ID: "j1", Subject: "bob"}, true},
				{"other jti", jwtguard.Claims{Issuer: issuer, ID: "j2", Subject: "bob"}, false},
				{"subject, issued before", jwtguard.Claims{Issuer: issuer, ID: "j3", Subject: "alice", IssuedAt: t0.Add(-time.Minute)}, true},
				{"subject, issued within the skew", jwtguard.Claims{Issuer: issuer, ID: "j4", Subject: "alice", IssuedAt: t0.Add(time.Second)}, true},
				{"subject, issued after the skew", jwtguard.Claims{Issuer: issuer, ID: "j4", Subject: "alice", IssuedAt: t0.Add(30 * time.Second)}, false},
				{"subject, no iat", jwtguard.Claims{Issuer: issuer, ID: "j5", Subject: "alice"}, true},
				{"no jti, subject not revoked", jwtguard.Claims{Issuer: issuer, Subject: "carol"}, false},
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
			// Keys carry the prefix and the right lifetimes: the jti key
			// lives until exp + grace on the store's clock, less the real
			// time since the write (Redis counts down on the real clock).
			full := time.Hour + s.Grace()
			if ttl := client.PTTL(ctx, prefix+"jti:26:https://login.example.com/:j1").Val(); ttl > full || ttl < full-time.Since(written)-time.Millisecond {
				t.Errorf("jti key TTL %s, want exp + grace (%s) less the %s since the write", ttl, full, time.Since(written))
			}
			v, err := client.Get(ctx, prefix+"sub:26:https://login.example.com/:alice").Result()
			if err != nil || v != strconv.FormatInt(t0.UnixMicro(), 10) {
				t.Errorf("subject key = %q, %v", v, err)
			}
		})
	}
	if err := newStore(t, client).RevokeToken(ctx, issuer, "", t0.Add(time.Hour)); err == nil {
		t.Error("empty jti accepted")
	}
	if err := newStore(t, client).RevokeSubject(ctx, issuer, "", t0); err == nil {
		t.Error("empty subject accepted")
	}
}

// TestEntriesExpire: an entry lives in Redis until the token it revokes
// could no longer be accepted (exp, or the subject revocation's end, on the
// store's clock), and Redis drops it on its own; an already expired token
// is not written. Redis expires keys on the real clock, so instead of
// checking a 300 ms entry before and after a fixed wait (a loaded machine
// could spend the 300 ms between writing and reading it), the test watches
// Redis's own expiry events for the short entries and checks a long-lived
// entry while it lives.
func TestEntriesExpire(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	if err := client.ConfigSet(ctx, "notify-keyspace-events", "Ex").Err(); err != nil {
		t.Fatal(err)
	}
	expired := client.Subscribe(ctx, "__keyevent@0__:expired")
	t.Cleanup(func() { _ = expired.Close() })
	if _, err := expired.Receive(ctx); err != nil { // the subscription is confirmed
		t.Fatal(err)
	}
	events := expired.Channel()

	clk := jwtguardtest.NewClock(time.Now())
	s := newStore(t, client, redisstore.WithClock(clk.Now), redisstore.WithGrace(0), redisstore.WithSkew(0), redisstore.WithMaxTokenLifetime(time.Millisecond))
	// An entry lives until the token's exp (grace 0): an hour here.
	if err := s.RevokeToken(ctx, issuer, "long", clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ttl := client.PTTL(ctx, jtiKey("long")).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("jti key TTL %s, want the hour until the token's exp", ttl)
	}
	if ok, err := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: issuer, ID: "long"}); !ok || err != nil {
		t.Fatalf("not revoked before expiry: %v, %v", ok, err)
	}
	// Tokens that expire 300 ms from the store's clock: Redis drops their
	// keys on its own.
	if err := s.RevokeToken(ctx, issuer, "short", clk.Now().Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSubject(ctx, issuer, "sub", clk.Now().Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	// An already expired token is not written at all.
	if err := s.RevokeToken(ctx, issuer, "old", clk.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(ctx, jtiKey("old")).Val(); n != 0 {
		t.Fatal("an expired token was written")
	}
	want := map[string]bool{jtiKey("short"): true, subKey("sub"): true}
	timeout := time.After(10 * time.Second) // a liveness bound: Redis expires keys within about 100 ms
	for len(want) > 0 {
		select {
		case m := <-events:
			if m.Payload == jtiKey("long") {
				t.Fatal("the long-lived entry expired")
			}
			delete(want, m.Payload)
		case <-timeout:
			t.Fatalf("Redis never expired %v", want)
		}
	}
	if ok, err := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: issuer, ID: "short", Subject: "sub"}); ok || err != nil {
		t.Fatalf("after expiry: %v, %v", ok, err)
	}
	if ok, err := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: issuer, ID: "long"}); !ok || err != nil {
		t.Fatalf("the long-lived entry after the short ones expired: %v, %v", ok, err)
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
			if err := s.RevokeToken(context.Background(), issuer, "j", time.Now().Add(time.Hour)); err == nil {
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
	if err := s.RevokeToken(ctx, iss.URL(), "r1", time.Now().Add(time.Hour)); err != nil {
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
	if err := s.RevokeToken(ctx, iss.URL(), "l2", time.Now().Add(time.Hour)); err != nil {
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
	if err := b.RevokeSubject(ctx, iss.URL(), "bob", time.Now()); err != nil {
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
	c := &jwtguard.Claims{Issuer: issuer, ID: "quiet", Subject: "u"}
	if ok, err := s.IsRevoked(ctx, c); ok || err != nil {
		t.Fatalf("first check: %v, %v", ok, err)
	}
	if err := client.Set(ctx, jtiKey("quiet"), "1", time.Hour).Err(); err != nil {
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
	c2 := &jwtguard.Claims{Issuer: issuer, ID: "loud", Subject: "u"}
	if ok, _ := s.IsRevoked(ctx, c2); ok {
		t.Fatal("loud revoked too early")
	}
	other := newStore(t, newClient(t, srv.Addr))
	if err := other.RevokeToken(ctx, issuer, "loud", time.Now().Add(time.Hour)); err != nil {
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
				c := &jwtguard.Claims{Issuer: issuer, ID: jti, Subject: fmt.Sprintf("u%d", w)}
				if ok, err := s.IsRevoked(ctx, c); ok || err != nil {
					t.Errorf("%s before revoke: %v %v", jti, ok, err)
					return
				}
				if err := s.RevokeToken(ctx, issuer, jti, time.Now().Add(time.Hour)); err != nil {
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
	mem, err := memory.New()
	if err != nil {
		b.Fatal(err)
	}
	plain := newStore(b, client, redisstore.WithKeyPrefix("bench1:"))
	cached := newStore(b, client, redisstore.WithKeyPrefix("bench2:"), redisstore.WithLocalCache(time.Second, 10_000))
	for i := range 1000 {
		_ = mem.RevokeToken(ctx, iss.URL(), fmt.Sprintf("other-%d", i), time.Now().Add(time.Hour))
		_ = plain.RevokeToken(ctx, iss.URL(), fmt.Sprintf("other-%d", i), time.Now().Add(time.Hour))
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
