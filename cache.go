package jwtguard

import (
	"hash/maphash"
	"sync"
	"time"
)

// WithCache keeps up to size verified tokens in memory so a repeated token
// skips signature work. An entry lives no longer than the token's exp and
// ttl; exp/nbf are re-checked and the revocation store is asked on every
// hit; entries verified with a key set that has since changed are not used.
// size 0 (the default) disables the cache.
func WithCache(size int, ttl time.Duration) Option {
	return optionFunc(func(c *config) error {
		if size < 0 || size > 10_000_000 {
			return optErr("WithCache", "size %d is outside [0, 10000000]", size)
		}
		if size > 0 && (ttl <= 0 || ttl > 24*time.Hour) {
			return optErr("WithCache", "ttl %s is outside (0, 24h]", ttl)
		}
		c.cacheSize, c.cacheTTL = size, ttl
		return nil
	})
}

const cacheShards = 16

// tokenCache is a sharded, bounded map from token to verified claims. When a
// shard is full, an arbitrary entry is evicted (Go map iteration order), which
// keeps memory bounded under floods of unique tokens without bookkeeping on
// the hit path.
type tokenCache struct {
	seed   maphash.Seed
	ttl    time.Duration
	per    int
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	c       *Claims
	ks      *keySet
	src     keySource
	expires time.Time
}

func newTokenCache(size int, ttl time.Duration) *tokenCache {
	per := max(1, (size+cacheShards-1)/cacheShards)
	tc := &tokenCache{seed: maphash.MakeSeed(), ttl: ttl, per: per}
	for i := range tc.shards {
		tc.shards[i].m = make(map[string]cacheEntry, min(per, 1024))
	}
	return tc
}

func (tc *tokenCache) shard(token string) *cacheShard {
	return &tc.shards[maphash.String(tc.seed, token)%cacheShards]
}

// get returns the cached claims if the entry is fresh and its key set is
// still the current one of its source.
func (tc *tokenCache) get(token string, now time.Time) (*Claims, bool) {
	s := tc.shard(token)
	s.mu.RLock()
	e, ok := s.m[token]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if now.After(e.expires) {
		s.mu.Lock()
		delete(s.m, token)
		s.mu.Unlock()
		return nil, false
	}
	if ks, err := e.src.current(); err != nil || ks != e.ks {
		s.mu.Lock()
		delete(s.m, token)
		s.mu.Unlock()
		return nil, false
	}
	return e.c, true
}

func (tc *tokenCache) put(token string, c *Claims, src keySource, ks *keySet, now time.Time) {
	exp := now.Add(tc.ttl)
	if c.ExpiresAt.Before(exp) {
		exp = c.ExpiresAt
	}
	s := tc.shard(token)
	s.mu.Lock()
	if _, exists := s.m[token]; !exists && len(s.m) >= tc.per {
		for k := range s.m {
			delete(s.m, k)
			break
		}
	}
	s.m[token] = cacheEntry{c: c, ks: ks, src: src, expires: exp}
	s.mu.Unlock()
}
