package redisstore

import (
	"testing"
	"time"
)

// TestLocalCacheGenerations: an answer read before an invalidation (or a
// flush) is not cached, nor one read while the subscription is down; the
// bound of the shared cache holds.
func TestLocalCacheGenerations(t *testing.T) {
	t.Parallel()
	now := time.Now()
	lc := newLocalCache(time.Minute, 32)
	lc.healthy.Store(true)

	gen := lc.gen.Load()
	lc.put("j:k", cacheEntry{revoked: false}, now, gen)
	if _, ok := lc.get("j:k", now); !ok {
		t.Fatal("answer not cached")
	}
	if _, ok := lc.get("j:k", now.Add(time.Minute)); ok {
		t.Fatal("answer served past its TTL")
	}

	gen = lc.gen.Load()
	lc.invalidate("j:other") // a revocation raced the read
	lc.put("j:k2", cacheEntry{}, now, gen)
	if _, ok := lc.get("j:k2", now); ok {
		t.Fatal("an answer that raced an invalidation was cached")
	}

	lc.put("s:u", cacheEntry{before: 1}, now, lc.gen.Load())
	gen = lc.gen.Load()
	lc.flush()
	if _, ok := lc.get("s:u", now); ok {
		t.Fatal("flush kept an entry")
	}
	lc.put("s:u", cacheEntry{before: 1}, now, gen)
	if _, ok := lc.get("s:u", now); ok {
		t.Fatal("an answer that raced a flush was cached")
	}

	lc.healthy.Store(false)
	lc.put("j:k3", cacheEntry{}, now, lc.gen.Load())
	if _, ok := lc.get("j:k3", now); ok {
		t.Fatal("an answer was cached while the subscription is down")
	}

	lc.healthy.Store(true)
	for i := range 1000 {
		lc.put("j:"+time.Duration(i).String(), cacheEntry{}, now, lc.gen.Load())
	}
	if n := lc.m.Len(); n > 32 {
		t.Fatalf("cache holds %d entries, bound 32", n)
	}
}
