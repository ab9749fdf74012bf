package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// throttleEntryBound is the documented bound on the Redis memory of one
// client's count (package documentation): bytes of used_memory per client
// key, hash tables included (measured: about 190).
const throttleEntryBound = 250

// TestThrottleMemoryPerClient measures the Redis memory of the counts:
// the growth of used_memory over 20,000 clients with one failure each,
// with the default prefix and IPv4 client keys (keys of 38 bytes at
// most).
func TestThrottleMemoryPerClient(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	ctx := context.Background()
	s, err := NewThrottleStore(client)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lim := redis_rate.Limit{Rate: 100, Burst: 100, Period: time.Minute}
	if _, err := s.limiter.AllowAtMost(ctx, s.rateKey("warm-up"), lim, 1); err != nil {
		t.Fatal(err)
	}
	before := usedMemory(t, client)
	const clients = 20_000
	for i := range clients {
		if _, err := s.limiter.AllowAtMost(ctx, s.rateKey(fmt.Sprintf("198.18.%d.%d", i>>8, i&0xff)), lim, 1); err != nil {
			t.Fatal(err)
		}
	}
	after := usedMemory(t, client)
	key := "rate:" + s.rateKey("198.18.78.31")
	one, err := client.MemoryUsage(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	per := float64(after-before) / clients
	t.Logf("%d-byte keys; used_memory %d → %d: %.1f bytes per client (MEMORY USAGE of one key: %d)", len(key), before, after, per, one)
	if per > throttleEntryBound {
		t.Fatalf("%.1f bytes per client; the documented bound is %d", per, throttleEntryBound)
	}
}
