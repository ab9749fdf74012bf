// Package cache is the one bounded cache behind every cache of jwtguard: the
// verified-token cache, the introspection answer cache and the Redis store's
// local cache. It is a sharded map from string keys to values with an expiry
// time. Memory is bounded by its size: when a shard is full, an arbitrary
// entry is evicted (Go's map iteration order), which keeps memory bounded
// under floods of unique keys without bookkeeping on the hit path.
package cache

import (
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"time"
)

const shards = 16

// Map is a bounded, sharded map. The zero value is not usable; call [New].
// It is safe for concurrent use.
type Map[V any] struct {
	seed   maphash.Seed
	per    int
	tail   int
	shards [shards]shard[V]
}

type shard[V any] struct {
	mu sync.RWMutex
	m  map[string]entry[V]
}

// entry keeps its expiry in Unix nanoseconds: a time.Time would make each
// slot 16 bytes larger and hold a pointer (its Location) that every
// garbage collection scans.
type entry[V any] struct {
	v     V
	until int64
}

// nanos is t in Unix nanoseconds, saturated beyond UnixNano's range (years
// 1678 to 2262): an expiry and a clock both beyond 2262 compare as expired
// (a miss, never a hit after the expiry).
func nanos(t time.Time) int64 {
	const limit = math.MaxInt64/int64(time.Second) - 1
	switch s := t.Unix(); {
	case s > limit:
		return math.MaxInt64
	case s < -limit:
		return math.MinInt64
	}
	return t.UnixNano()
}

// New returns a Map holding at most size entries (at least one per shard,
// so sizes below 16 round up to 16). When hashTail > 0, a key's shard is
// chosen from its last hashTail bytes only: cheaper for long keys whose tail
// the holder cannot choose (a verified token's signature). Otherwise the
// whole key is hashed, as it must be for attacker-chosen keys.
func New[V any](size, hashTail int) *Map[V] {
	per := max(1, (size+shards-1)/shards)
	m := &Map[V]{seed: maphash.MakeSeed(), per: per, tail: hashTail}
	for i := range m.shards {
		// Not pre-sized: a map grows in steps of at most 1024 slots as it
		// fills, and an empty cache costs no memory the garbage collector
		// scans on every cycle (16 pre-sized shards were a megabyte).
		m.shards[i].m = make(map[string]entry[V])
	}
	return m
}

func (m *Map[V]) shard(key string) *shard[V] {
	h := key
	if m.tail > 0 && len(h) > m.tail {
		h = h[len(h)-m.tail:]
	}
	return &m.shards[maphash.String(m.seed, h)%shards]
}

// Get returns the value for key if it is present and now is before its
// expiry. An expired entry is removed.
func (m *Map[V]) Get(key string, now time.Time) (V, bool) {
	s := m.shard(key)
	s.mu.RLock()
	e, ok := s.m[key]
	s.mu.RUnlock()
	if !ok {
		var zero V
		return zero, false
	}
	if n := nanos(now); n >= e.until {
		s.mu.Lock()
		if cur, ok := s.m[key]; ok && n >= cur.until {
			delete(s.m, key)
		}
		s.mu.Unlock()
		var zero V
		return zero, false
	}
	return e.v, true
}

// Peek reports whether key holds an entry that has not expired at now,
// changing nothing (Get removes an expired entry).
func (m *Map[V]) Peek(key string, now time.Time) bool {
	s := m.shard(key)
	s.mu.RLock()
	e, ok := s.m[key]
	s.mu.RUnlock()
	return ok && nanos(now) < e.until
}

// Put stores v for key until the given time, evicting an arbitrary entry of
// the key's shard when it is full. The key is cloned: it may be a slice of a
// larger string (a whole Cookie header) that must not stay in memory.
func (m *Map[V]) Put(key string, v V, until time.Time) {
	key = strings.Clone(key)
	s := m.shard(key)
	s.mu.Lock()
	if len(s.m) >= m.per {
		if _, exists := s.m[key]; !exists {
			for k := range s.m {
				delete(s.m, k)
				break
			}
		}
	}
	s.m[key] = entry[V]{v: v, until: nanos(until)}
	s.mu.Unlock()
}

// DeleteIf removes key's entry when drop reports true for its value (nil
// drop: always).
func (m *Map[V]) DeleteIf(key string, drop func(V) bool) {
	s := m.shard(key)
	s.mu.Lock()
	if e, ok := s.m[key]; ok && (drop == nil || drop(e.v)) {
		delete(s.m, key)
	}
	s.mu.Unlock()
}

// Clear removes every entry.
func (m *Map[V]) Clear() {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}

// Len returns the number of entries, expired ones included until they are
// looked up or evicted.
func (m *Map[V]) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// Cap returns the most entries the map holds.
func (m *Map[V]) Cap() int { return m.per * shards }
