package redisstore_test

// The DPoP replay cache (issue 18): one shared record of used proofs for a
// fleet, a quota per key, refusal rather than forgetting.

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
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	redisstore "github.com/jwtguard/jwtguard/redis"
	"github.com/redis/go-redis/v9"
)

func newReplay(t testing.TB, c redis.UniversalClient, opts ...redisstore.Option) *redisstore.DPoPReplayCache {
	t.Helper()
	r, err := redisstore.NewDPoPReplayCache(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dpopKeys returns the keys under prefix, failing on a KEYS error.
func dpopKeys(t *testing.T, c redis.UniversalClient, pattern string) []string {
	t.Helper()
	keys, err := c.Keys(context.Background(), pattern).Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestDPoPOptions(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, tc := range []struct {
		name string
		opts []redisstore.Option
		want string // error substring; "" for success
	}{
		{"defaults", nil, ""},
		{"all", []redisstore.Option{redisstore.WithKeyPrefix("x:"), redisstore.WithTimeout(time.Second), redisstore.WithClock(time.Now),
			redisstore.WithProofQuota(10, time.Minute)}, ""},
		{"quota 0", []redisstore.Option{redisstore.WithProofQuota(0, time.Minute)}, "WithProofQuota"},
		{"window 0", []redisstore.Option{redisstore.WithProofQuota(10, 0)}, "WithProofQuota"},
		{"window too long", []redisstore.Option{redisstore.WithProofQuota(10, 2*time.Hour)}, "WithProofQuota"},
		{"quota twice", []redisstore.Option{redisstore.WithProofQuota(10, time.Minute), redisstore.WithProofQuota(10, time.Minute)}, "WithProofQuota given twice"},
		{"prefix twice", []redisstore.Option{redisstore.WithKeyPrefix("a:"), redisstore.WithKeyPrefix("b:")}, "WithKeyPrefix given twice"},
		{"nil option", []redisstore.Option{nil}, "nil Option"},
		{"grace", []redisstore.Option{redisstore.WithGrace(time.Minute)}, "WithGrace applies to New only"},
		{"skew", []redisstore.Option{redisstore.WithSkew(time.Minute)}, "WithSkew applies to New only"},
		{"lifetime", []redisstore.Option{redisstore.WithMaxTokenLifetime(time.Hour)}, "WithMaxTokenLifetime applies to New only"},
		{"local cache", []redisstore.Option{redisstore.WithLocalCache(time.Second, 10)}, "WithLocalCache applies to New only"},
	} {
		r, err := redisstore.NewDPoPReplayCache(c, tc.opts...)
		switch {
		case tc.want == "" && (err != nil || r == nil):
			t.Errorf("%s: NewDPoPReplayCache = %v, %v", tc.name, r, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || r != nil):
			t.Errorf("%s: NewDPoPReplayCache = %v, %v; want an error naming %s", tc.name, r, err, tc.want)
		}
	}
	if r, err := redisstore.NewDPoPReplayCache(nil); err == nil || r != nil {
		t.Error("NewDPoPReplayCache(nil) succeeded")
	}
	if s, err := redisstore.New(c, redisstore.WithProofQuota(10, time.Minute)); err == nil || s != nil ||
		!strings.Contains(err.Error(), "WithProofQuota applies to NewDPoPReplayCache only") {
		t.Errorf("New with WithProofQuota = %v, %v", s, err)
	}
	var nilCache *redisstore.DPoPReplayCache
	if err := nilCache.Use(context.Background(), "k", "j", time.Now().Add(time.Minute)); err == nil {
		t.Error("Use on a nil cache succeeded")
	}
}

// TestDPoPReplayCache: first use, replays (also through a second cache on
// the same Redis, another instance), the same jti of another key, hashed
// keys and their lifetime by the store's clock.
func TestDPoPReplayCache(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	// The store's clock is a day behind Redis's: PX comes from it alone.
	clk := jwtguardtest.NewClock(time.Now().Add(-24 * time.Hour))
	a := newReplay(t, client, redisstore.WithClock(clk.Now))
	b := newReplay(t, newClient(t, srv.Addr), redisstore.WithClock(clk.Now)) // instance B
	until := clk.Now().Add(90 * time.Second)
	const jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	if err := a.Use(ctx, jkt, "jti-1", until); err != nil {
		t.Fatalf("first use: %v", err)
	}
	for name, r := range map[string]*redisstore.DPoPReplayCache{"A": a, "B": b} {
		err := r.Use(ctx, jkt, "jti-1", until)
		if !errors.Is(err, dpop.ErrReplay) || errors.Is(err, dpop.ErrKeyQuota) {
			t.Fatalf("replay at %s: %v", name, err)
		}
	}
	if err := b.Use(ctx, "another-key-thumbprint", "jti-1", until); err != nil {
		t.Fatalf("the same jti with another key: %v", err)
	}
	// Keys: hashed, under the prefix, of one length whatever the jti.
	long := strings.Repeat("raw-jti-", 500)
	if err := a.Use(ctx, jkt, long, until); err != nil {
		t.Fatal(err)
	}
	keys := dpopKeys(t, client, "*")
	if len(keys) != 5 { // 3 proofs, 2 quota counters
		t.Fatalf("keys %q; want 3 proofs and 2 counters", keys)
	}
	for _, k := range keys {
		if strings.Contains(k, "jti") || strings.Contains(k, jkt) || strings.Contains(k, "another") {
			t.Errorf("key %q holds a raw jkt or jti", k)
		}
		switch {
		case strings.HasPrefix(k, "jwtguard:dpop:{") && len(k) == len("jwtguard:dpop:{")+22+1+22:
		case strings.HasPrefix(k, "jwtguard:dpopq:{") && len(k) == len("jwtguard:dpopq:{")+22+1:
		default:
			t.Errorf("key %q is not <prefix>dpop:{<22>}<22> or <prefix>dpopq:{<22>}", k)
		}
	}
	// Lifetimes: the proof until its until time by the store's clock,
	// the quota counter one window (Redis's own clock: a relative PX).
	for _, k := range dpopKeys(t, client, "jwtguard:dpop:*") {
		if ttl := client.PTTL(ctx, k).Val(); ttl <= 80*time.Second || ttl > 90*time.Second {
			t.Errorf("proof %s PTTL %s; want just under 90s", k, ttl)
		}
	}
	for _, k := range dpopKeys(t, client, "jwtguard:dpopq:*") {
		if ttl := client.PTTL(ctx, k).Val(); ttl <= 50*time.Second || ttl > dpop.DefaultProofLifetime {
			t.Errorf("counter %s PTTL %s; want just under %s", k, ttl, dpop.DefaultProofLifetime)
		}
	}
	// A proof whose until has passed is kept 1 ms, never 0 (PX 0 is an
	// error) nor negative.
	if err := a.Use(ctx, jkt, "late", clk.Now().Add(-time.Minute)); err != nil {
		t.Fatalf("past until: %v", err)
	}
	// A cancelled context is honoured.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := a.Use(cancelled, jkt, "jti-2", until); err == nil || errors.Is(err, dpop.ErrReplay) || errors.Is(err, dpop.ErrKeyQuota) {
		t.Fatalf("Use with a cancelled context: %v", err)
	}
	// Another prefix is another cache.
	c := newReplay(t, client, redisstore.WithKeyPrefix("other:"), redisstore.WithClock(clk.Now))
	if err := c.Use(ctx, jkt, "jti-1", until); err != nil {
		t.Fatalf("another prefix: %v", err)
	}
}

// TestDPoPReplayExpiry: Redis forgets a proof at its until time, not
// before (checked above through PTTL) and not never.
func TestDPoPReplayExpiry(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	r := newReplay(t, client)
	if err := r.Use(ctx, "k", "short", time.Now().Add(50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	// Liveness only (no assertion on the exact moment, which a loaded
	// machine would make flaky): the entry goes, and the jti is new again.
	eventually(t, "proof expiry", func() bool { return len(dpopKeys(t, client, "jwtguard:dpop:*")) == 0 })
	if err := r.Use(ctx, "k", "short", time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// TestDPoPKeyQuota: past its quota a key's proofs are refused with
// ErrKeyQuota and not recorded; other keys are not affected; a replay is
// still a replay.
func TestDPoPKeyQuota(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	r := newReplay(t, client, redisstore.WithProofQuota(3, 10*time.Second))
	until := time.Now().Add(time.Minute)
	for i := range 3 {
		if err := r.Use(ctx, "greedy", fmt.Sprint("j", i), until); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		err := r.Use(ctx, "greedy", "j3", until)
		if !errors.Is(err, dpop.ErrKeyQuota) || errors.Is(err, dpop.ErrReplay) {
			t.Fatalf("beyond the quota: %v", err)
		}
		t.Log(err)
	}
	if err := r.Use(ctx, "greedy", "j0", until); !errors.Is(err, dpop.ErrReplay) {
		t.Fatalf("a replay beyond the quota: %v", err)
	}
	if err := r.Use(ctx, "modest", "j3", until); err != nil {
		t.Fatalf("another key: %v", err)
	}
	if n := len(dpopKeys(t, client, "jwtguard:dpop:*")); n != 4 {
		t.Fatalf("%d proofs recorded; want 4 (the refused one is not)", n)
	}
	// The refused proof was not recorded: a cache with a larger quota on
	// the same Redis takes it as a first use.
	big := newReplay(t, client, redisstore.WithProofQuota(100, 10*time.Second))
	if err := big.Use(ctx, "greedy", "j3", until); err != nil {
		t.Fatalf("the proof refused for the quota was recorded: %v", err)
	}
	// The counter lives one window.
	for _, k := range dpopKeys(t, client, "jwtguard:dpopq:*") {
		if ttl := client.PTTL(ctx, k).Val(); ttl <= 0 || ttl > 10*time.Second {
			t.Errorf("counter %s PTTL %s; want (0, 10s]", k, ttl)
		}
	}
	// A counter that lost its lifetime (PERSIST by hand) gets one again.
	for _, k := range dpopKeys(t, client, "jwtguard:dpopq:*") {
		if err := client.Persist(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	_ = r.Use(ctx, "greedy", "j4", until)
	_ = r.Use(ctx, "modest", "j4", until)
	for _, k := range dpopKeys(t, client, "jwtguard:dpopq:*") {
		if ttl := client.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("counter %s PTTL %s after use; want a lifetime again", k, ttl)
		}
	}
}

// TestDPoPRedisFull: a Redis that reached maxmemory (noeviction) refuses
// new proofs — Use fails with an error that is neither a replay nor the
// quota, so the verifier answers 503 — and still finds replays: it
// refuses rather than forgets.
func TestDPoPRedisFull(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	r := newReplay(t, client, redisstore.WithProofQuota(1_000_000, time.Minute))
	until := time.Now().Add(time.Hour)
	if err := r.Use(ctx, "k", "first", until); err != nil {
		t.Fatal(err)
	}
	used, err := client.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	var mem int64
	for line := range strings.SplitSeq(used, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			fmt.Sscan(v, &mem)
		}
	}
	for _, kv := range [][2]string{{"maxmemory-policy", "noeviction"}, {"maxmemory", fmt.Sprint(mem + 100_000)}} {
		if err := client.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var full error
	for i := 0; i < 100_000 && full == nil; i++ {
		full = r.Use(ctx, "k", fmt.Sprint("fill-", i), until)
	}
	if full == nil || errors.Is(full, dpop.ErrReplay) || errors.Is(full, dpop.ErrKeyQuota) || !strings.Contains(full.Error(), "OOM") {
		t.Fatalf("full Redis: %v; want an OOM error, neither replay nor quota", full)
	}
	t.Log(full)
	if err := r.Use(ctx, "k", "first", until); !errors.Is(err, dpop.ErrReplay) {
		t.Fatalf("a replay while Redis is full: %v", err)
	}
	if err := r.Use(ctx, "k2", "new", until); err == nil || errors.Is(err, dpop.ErrReplay) || errors.Is(err, dpop.ErrKeyQuota) {
		t.Fatalf("a new proof while Redis is full: %v", err)
	}
	if n := len(dpopKeys(t, client, "jwtguard:dpopq:*")); n != 1 {
		t.Fatalf("%d quota counters; the refused proof of another key wrote one", n)
	}
}

// TestDPoPRedisDown: an unreachable or silent Redis gives an error that
// is neither a replay nor the quota (the verifier answers 503), within
// the timeout.
func TestDPoPRedisDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing listens there now
	// silent accepts connections and never answers.
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
			defer c.Close()
		}
	}()
	for _, tc := range []struct{ name, addr, want string }{
		{"closed", closed, closed},
		{"silent", silent.Addr().String(), "did not answer within 100ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := redis.NewClient(&redis.Options{Addr: tc.addr, ReadTimeout: 10 * time.Second, ContextTimeoutEnabled: true, MaxRetries: -1})
			defer client.Close()
			r := newReplay(t, client, redisstore.WithTimeout(100*time.Millisecond))
			start := time.Now()
			err := r.Use(context.Background(), "k", "j", time.Now().Add(time.Minute))
			if err == nil || errors.Is(err, dpop.ErrReplay) || errors.Is(err, dpop.ErrKeyQuota) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Use: %v; want an error naming %q, neither replay nor quota", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("Use took %s; the timeout is 100ms", d)
			}
			t.Log(err)
		})
	}
}

// TestDPoPTwoVerifiers: two verifiers (two instances of a service) share
// the replay cache in Redis: a proof accepted by A is refused by B as
// replayed; fresh proofs pass on both; the quota and an outage reach the
// client as 429 and 503.
func TestDPoPTwoVerifiers(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const origin = "https://api.example.com"
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	token := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	instance := func(replay dpop.ReplayCache) *jwtguard.Verifier {
		return idp.Verifier(t, jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{origin}, Replay: replay}))
	}
	a := instance(newReplay(t, newClient(t, srv.Addr)))
	b := instance(newReplay(t, newClient(t, srv.Addr)))
	request := func(proof string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, origin+"/orders/42", nil)
		r.RequestURI = "/orders/42" // as a server sees it
		r.Header.Set("Authorization", "DPoP "+token)
		r.Header.Set("DPoP", proof)
		return r
	}
	proof := key.Proof("GET", origin+"/orders/42", token, nil, nil)
	if _, err := a.Authenticate(request(proof)); err != nil {
		t.Fatalf("A, first use: %v", err)
	}
	for name, v := range map[string]*jwtguard.Verifier{"A": a, "B": b} {
		_, err := v.Authenticate(request(proof))
		if !errors.Is(err, dpop.ErrInvalidProof) || jwtguard.AsError(err).Status != http.StatusUnauthorized {
			t.Fatalf("%s, the proof replayed: %v", name, err)
		}
		if _, err := v.Authenticate(request(key.Proof("GET", origin+"/orders/42", token, nil, nil))); err != nil {
			t.Fatalf("%s, a fresh proof: %v", name, err)
		}
	}
	// Quota: 429 with Retry-After.
	q := instance(newReplay(t, newClient(t, srv.Addr), redisstore.WithKeyPrefix("quota:"), redisstore.WithProofQuota(1, time.Minute)))
	if _, err := q.Authenticate(request(key.Proof("GET", origin+"/orders/42", token, nil, nil))); err != nil {
		t.Fatal(err)
	}
	_, err := q.Authenticate(request(key.Proof("GET", origin+"/orders/42", token, nil, nil)))
	if je := jwtguard.AsError(err); !errors.Is(err, jwtguard.ErrThrottled) || je.Status != http.StatusTooManyRequests || je.RetryAfter <= 0 {
		t.Fatalf("beyond the quota: %v", err)
	}
	// Redis down: 503, the proof neither accepted nor called a replay.
	srv.Stop()
	_, err = a.Authenticate(request(key.Proof("GET", origin+"/orders/42", token, nil, nil)))
	if !errors.Is(err, jwtguard.ErrRevocationUnavailable) || jwtguard.AsError(err).Status != http.StatusServiceUnavailable {
		t.Fatalf("Redis down: %v", err)
	}
}
