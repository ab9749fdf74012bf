package jwtguard

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
)

// WithCache keeps up to size verified tokens in memory so a repeated token
// skips signature work. An entry lives no longer than the token's exp and
// ttl; exp/nbf are re-checked and the revocation store is asked on every
// hit; entries verified with a key set that has since changed (a key added,
// rotated or removed) are not used again. Memory is bounded by size: under
// a flood of distinct tokens, arbitrary entries are evicted.
//
// size 0 (the default) disables the cache. A cached hit costs well under a
// microsecond instead of tens of microseconds for an RSA or ECDSA signature
// check; the price is that up to size live bearer tokens are kept in the
// process's memory. The claims returned for a hit are a copy of the cached
// ones; what their slices point to (Audience, Roles, Scopes, and the bytes
// of [Claims.Raw]) is shared and must be treated as read-only. Appending to
// those slices is safe.
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
// the hit path. Only verified tokens are ever inserted.
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
	ks      *keySet   // the key set that verified the token
	src     keySource // where ks came from
	expires time.Time // min(exp, insertion + ttl)
}

func newTokenCache(size int, ttl time.Duration) *tokenCache {
	per := max(1, (size+cacheShards-1)/cacheShards)
	tc := &tokenCache{seed: maphash.MakeSeed(), ttl: ttl, per: per}
	for i := range tc.shards {
		tc.shards[i].m = make(map[string]cacheEntry, min(per, 1024))
	}
	return tc
}

// shard picks a shard from the token's last bytes: they belong to the
// signature, which for a verified token (the only kind ever inserted) the
// holder cannot choose. Hashing 16 bytes instead of the whole token keeps the
// shard choice cheap; the map still compares the full token.
func (tc *tokenCache) shard(token string) *cacheShard {
	tail := token
	if len(tail) > 16 {
		tail = tail[len(tail)-16:]
	}
	return &tc.shards[maphash.String(tc.seed, tail)%cacheShards]
}

// get returns the cached claims if the entry is fresh and its key set is
// still the current one of its source. The caller must copy them before
// handing them out.
func (tc *tokenCache) get(token string, now time.Time) (*Claims, bool) {
	s := tc.shard(token)
	s.mu.RLock()
	e, ok := s.m[token]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if now.After(e.expires) {
		s.remove(token, e.c)
		return nil, false
	}
	if ks, err := e.src.current(); err != nil || ks != e.ks {
		s.remove(token, e.c)
		return nil, false
	}
	return e.c, true
}

// remove deletes token's entry if it still holds c.
func (s *cacheShard) remove(token string, c *Claims) {
	s.mu.Lock()
	if e, ok := s.m[token]; ok && e.c == c {
		delete(s.m, token)
	}
	s.mu.Unlock()
}

// put stores c (which the cache then owns) for token, verified with ks from
// src at now.
func (tc *tokenCache) put(token string, c *Claims, src keySource, ks *keySet, now time.Time) {
	exp := now.Add(tc.ttl)
	if c.ExpiresAt.Before(exp) {
		exp = c.ExpiresAt
	}
	if !now.Before(exp) {
		return
	}
	// A caller that appends to its copy's slices must not write into the
	// arrays the cached claims share.
	c.Audience, c.Roles, c.Scopes = slices.Clip(c.Audience), slices.Clip(c.Roles), slices.Clip(c.Scopes)
	// Clone: token may be a slice of a larger string (e.g. the whole Cookie
	// header), which must not stay in memory with the entry.
	token = strings.Clone(token)
	s := tc.shard(token)
	s.mu.Lock()
	if len(s.m) >= tc.per {
		if _, exists := s.m[token]; !exists {
			for k := range s.m {
				delete(s.m, k)
				break
			}
		}
	}
	s.m[token] = cacheEntry{c: c, ks: ks, src: src, expires: exp}
	s.mu.Unlock()
}

// len returns the number of entries (for tests).
func (tc *tokenCache) len() int {
	n := 0
	for i := range tc.shards {
		s := &tc.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
