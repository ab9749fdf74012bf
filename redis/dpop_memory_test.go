package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// dpopEntryBound is the stated bound on the Redis memory of one recorded
// proof (package documentation, README); TestDPoPMemoryPerEntry measures
// it.
const dpopEntryBound = 200

// TestDPoPMemoryPerEntry records 100,000 proofs (100 keys × 1,000 jti) with
// the real script and keys and measures Redis's used_memory before and
// after: the memory per entry the documentation states, hash tables and
// quota counters included.
func TestDPoPMemoryPerEntry(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	ctx := context.Background()
	c, err := NewDPoPReplayCache(client, WithProofQuota(1_000_000, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := useScript.Load(ctx, client).Err(); err != nil {
		t.Fatal(err)
	}
	before := usedMemory(t, client)
	const keys, perKey = 100, 1000
	for k := range keys {
		jkt := fmt.Sprintf("thumbprint-%043d", k) // 43 characters, as a SHA-256 thumbprint
		_, err := client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := range perKey {
				proof, quota := c.keys(jkt, fmt.Sprintf("%d-%d-3f8e1c2a-5b7d-4e9f-a1c3-0d2b4f6e8a9c", k, j))
				useScript.EvalSha(ctx, p, []string{proof, quota}, int64(time.Hour/time.Millisecond), c.perKey, c.window.Milliseconds())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	after := usedMemory(t, client)
	n, err := client.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != keys*perKey+keys {
		t.Fatalf("%d keys in Redis; want %d proofs and %d counters", n, keys*perKey, keys)
	}
	proof, _ := c.keys("thumbprint-0", "jti")
	if err := c.Use(ctx, "thumbprint-0", "jti", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	one, err := client.MemoryUsage(ctx, proof).Result()
	if err != nil {
		t.Fatal(err)
	}
	per := float64(after-before) / (keys * perKey)
	t.Logf("%d-byte keys; used_memory %d → %d: %.1f bytes per proof (MEMORY USAGE of one key: %d)", len(proof), before, after, per, one)
	if per > dpopEntryBound {
		t.Fatalf("%.1f bytes per proof; the documented bound is %d", per, dpopEntryBound)
	}
}

func usedMemory(t *testing.T, client *redis.Client) int64 {
	t.Helper()
	info, err := client.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no used_memory in INFO memory:\n%s", info)
	return 0
}
