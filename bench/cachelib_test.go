package bench

import (
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"
)

// The verified-token cache: jwtguard's hand-written cache (cache.go)
// against two well-kept libraries, on token-sized string keys. The
// hand-written one is reproduced here (its type is internal): 16 shards, a
// map and an RWMutex each, random eviction by map iteration, shard chosen
// from the token's last 16 bytes.

type cacheValue struct {
	claims  *minimalClaims
	expires time.Time
}

type tokenCacheAPI interface {
	get(k string) (*cacheValue, bool)
	put(k string, v *cacheValue)
}

const replicaShards = 16

type replicaCache struct {
	seed   maphash.Seed
	per    int
	shards [replicaShards]struct {
		mu sync.RWMutex
		m  map[string]*cacheValue
	}
}

func newReplica(size int) *replicaCache {
	c := &replicaCache{seed: maphash.MakeSeed(), per: max(1, (size+replicaShards-1)/replicaShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*cacheValue, min(c.per, 1024))
	}
	return c
}

func (c *replicaCache) shard(k string) int {
	if len(k) > 16 {
		k = k[len(k)-16:]
	}
	return int(maphash.String(c.seed, k) % replicaShards)
}

func (c *replicaCache) get(k string) (*cacheValue, bool) {
	s := &c.shards[c.shard(k)]
	s.mu.RLock()
	v, ok := s.m[k]
	s.mu.RUnlock()
	return v, ok
}

func (c *replicaCache) put(k string, v *cacheValue) {
	s := &c.shards[c.shard(k)]
	s.mu.Lock()
	if len(s.m) >= c.per {
		if _, ok := s.m[k]; !ok {
			for old := range s.m {
				delete(s.m, old)
				break
			}
		}
	}
	s.m[k] = v
	s.mu.Unlock()
}

type otterCache struct {
	c *otter.Cache[string, *cacheValue]
}

func (o otterCache) get(k string) (*cacheValue, bool) { return o.c.GetIfPresent(k) }
func (o otterCache) put(k string, v *cacheValue)      { o.c.Set(k, v) }

type lruCache struct {
	c *lru.Cache[string, *cacheValue]
}

func (l lruCache) get(k string) (*cacheValue, bool) { return l.c.Get(k) }
func (l lruCache) put(k string, v *cacheValue)      { l.c.Add(k, v) }

func cacheImpls(tb testing.TB, size int) []struct {
	name string
	c    tokenCacheAPI
} {
	l, err := lru.New[string, *cacheValue](size)
	if err != nil {
		tb.Fatal(err)
	}
	return []struct {
		name string
		c    tokenCacheAPI
	}{
		{"hand-written sharded map (jwtguard)", newReplica(size)},
		{"maypok86/otter v2", otterCache{otter.Must(&otter.Options[string, *cacheValue]{MaximumSize: size})}},
		{"hashicorp/golang-lru v2", lruCache{l}},
	}
}

// cacheKeys returns n distinct token-like keys (the benchmark RS256 token
// with a distinct signature tail).
func cacheKeys(n int) []string {
	base := fx.tokens["RS256"]
	base = base[:len(base)-12]
	keys := make([]string, n)
	for i := range keys {
		keys[i] = base + fmt.Sprintf("%012d", i*7919)
	}
	return keys
}

// BenchmarkCache: "hit" reads entries that are present (the warm path);
// "flood" inserts distinct tokens into a full cache of 10,000 (the
// memory-bound path: every insert evicts).
func BenchmarkCache(b *testing.B) {
	const size = 10_000
	keys := cacheKeys(10 * size)
	val := &cacheValue{claims: &minimalClaims{Sub: "user-1"}, expires: time.Now().Add(time.Hour)}
	for _, im := range cacheImpls(b, size) {
		b.Run("hit/"+strings.ReplaceAll(im.name, "/", " "), func(b *testing.B) {
			for _, k := range keys[:size/2] {
				im.c.put(k, val)
			}
			var n atomic.Int64
			b.ReportAllocs()
			start := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				i := int(n.Add(1)) * 997
				for pb.Next() {
					i++
					if _, ok := im.c.get(keys[i%(size/10)]); !ok {
						b.Error("miss")
						return
					}
				}
			})
			reportCPU(b, start)
		})
	}
	for _, im := range cacheImpls(b, size) {
		b.Run("flood/"+strings.ReplaceAll(im.name, "/", " "), func(b *testing.B) {
			var n atomic.Int64
			b.ReportAllocs()
			start := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					im.c.put(keys[int(n.Add(1))%len(keys)], val)
				}
			})
			reportCPU(b, start)
		})
	}
}
