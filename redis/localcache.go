package redisstore

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/internal/cache"
)

// localCache holds recent answers: "j:<scoped jti>" and "e:<scoped sid>"
// → revoked, "s:<scoped sub>" and "i:<scoped issuer>" → before (the keys
// are also the invalidation messages).
// An answer read from Redis is stored only if no invalidation happened
// since the check started (gen), so an answer that raced a revocation is
// never cached; and only while the subscription is healthy.
type localCache struct {
	ttl     time.Duration
	healthy atomic.Bool
	gen     atomic.Uint64 // bumped by every invalidation

	// mu makes an invalidation atomic with respect to puts: put holds it
	// for reading from its gen check to its store, invalidate and flush
	// for writing. Gets need no lock.
	mu sync.RWMutex
	m  *cache.Map[cacheEntry]
}

type cacheEntry struct {
	revoked bool  // "j:" and "e:" entries
	before  int64 // "s:" and "i:" entries: Unix microseconds, 0 for none
}

func newLocalCache(ttl time.Duration, size int) *localCache {
	return &localCache{ttl: ttl, m: cache.New[cacheEntry](size, 0)}
}

func (lc *localCache) get(key string, now time.Time) (cacheEntry, bool) {
	return lc.m.Get(key, now)
}

// put stores e unless an invalidation happened since gen was read (the
// answer may predate it) or the subscription is down.
func (lc *localCache) put(key string, e cacheEntry, now time.Time, gen uint64) {
	lc.mu.RLock()
	defer lc.mu.RUnlock()
	if lc.gen.Load() != gen || !lc.healthy.Load() {
		return
	}
	lc.m.Put(key, e, now.Add(lc.ttl))
}

func (lc *localCache) invalidate(key string) {
	lc.mu.Lock()
	lc.gen.Add(1)
	lc.m.DeleteIf(key, nil)
	lc.mu.Unlock()
}

func (lc *localCache) flush() {
	lc.mu.Lock()
	lc.gen.Add(1)
	lc.m.Clear()
	lc.mu.Unlock()
}
