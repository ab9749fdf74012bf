package dpop

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func TestMemoryReplayCache(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	c := NewMemoryReplayCache(64*replayShards, 3, time.Minute)
	c.now = clock.now
	ctx := context.Background()
	until := clock.now().Add(90 * time.Second)
	if err := c.Use(ctx, "key-a", "j1", until); err != nil {
		t.Fatal(err)
	}
	// A replay, also of the same jti with the same key later in its life.
	for range 2 {
		if err := c.Use(ctx, "key-a", "j1", until); !errors.Is(err, ErrReplay) {
			t.Fatalf("replay: %v", err)
		}
		clock.add(80 * time.Second)
	}
	// The same jti of another key is another proof.
	if err := c.Use(ctx, "key-b", "j1", until); err != nil {
		t.Fatal(err)
	}
	// After its expiry the entry is gone (a proof that old is refused by
	// its iat anyway).
	clock.add(11 * time.Second)
	if err := c.Use(ctx, "key-a", "j1", clock.now().Add(time.Minute)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	// Quota: 3 proofs per key per minute.
	clock.add(time.Minute)
	for i := range 3 {
		if err := c.Use(ctx, "key-q", fmt.Sprint("q", i), clock.now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Use(ctx, "key-q", "q3", clock.now().Add(time.Minute)); !errors.Is(err, ErrKeyQuota) {
		t.Fatalf("beyond the quota: %v", err)
	}
	if err := c.Use(ctx, "key-other", "q3", clock.now().Add(time.Minute)); err != nil {
		t.Fatalf("another key is not limited by key-q's quota: %v", err)
	}
	clock.add(time.Minute)
	if err := c.Use(ctx, "key-q", "q3", clock.now().Add(time.Minute)); err != nil {
		t.Fatalf("next window: %v", err)
	}
}

// TestMemoryReplayCacheNeverForgets: full of unexpired proofs, the cache
// refuses new ones rather than evict one (eviction would let a replay
// through); once they expire, it accepts again.
func TestMemoryReplayCacheNeverForgets(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	c := NewMemoryReplayCache(4*replayShards, 1<<20, time.Minute)
	c.now = clock.now
	ctx := context.Background()
	until := clock.now().Add(time.Minute)
	var stored []string
	full := 0
	for i := range 1000 {
		key := fmt.Sprint("k", i%7)
		jti := fmt.Sprint("j", i)
		switch err := c.Use(ctx, key, jti, until); {
		case err == nil:
			stored = append(stored, key+"/"+jti)
		case errors.Is(err, ErrCacheFull):
			full++
		default:
			t.Fatal(err)
		}
	}
	if full == 0 || c.Len() > 4*replayShards {
		t.Fatalf("held %d, refused %d: want the capacity bound", c.Len(), full)
	}
	// Every stored proof is still refused as a replay.
	for _, s := range stored {
		var key, jti string
		fmt.Sscanf(s, "%s", &key)
		for i := range len(s) {
			if s[i] == '/' {
				key, jti = s[:i], s[i+1:]
			}
		}
		if err := c.Use(ctx, key, jti, until); !errors.Is(err, ErrReplay) {
			t.Fatalf("%s forgotten: %v", s, err)
		}
	}
	clock.add(time.Minute + time.Second)
	if err := c.Use(ctx, "k0", "fresh", clock.now().Add(time.Minute)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// TestMemoryReplayCacheBound: a million distinct proofs within one window
// keep the cache at its capacity: memory stays bounded (the figure is the
// heap growth per held proof).
func TestMemoryReplayCacheBound(t *testing.T) {
	if testing.Short() {
		t.Skip("a million proofs")
	}
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	const capacity = 1 << 16
	c := NewMemoryReplayCache(capacity, 1<<30, time.Minute)
	c.now = clock.now
	ctx := context.Background()
	until := clock.now().Add(time.Minute)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	refused := 0
	for i := range 1_000_000 {
		if err := c.Use(ctx, fmt.Sprint("key", i%1000), fmt.Sprint("jti", i), until); errors.Is(err, ErrCacheFull) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := c.Len(); n > capacity {
		t.Fatalf("holds %d proofs, capacity %d", n, capacity)
	}
	perProof := float64(after.HeapAlloc-before.HeapAlloc) / float64(c.Len())
	t.Logf("%d proofs held, %d refused, %.0f bytes of heap per held proof", c.Len(), refused, perProof)
	if perProof > 160 {
		t.Fatalf("%.0f bytes per proof, more than 160", perProof)
	}
}
