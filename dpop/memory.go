package dpop

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// Defaults of [NewMemoryReplayCache].
const (
	// DefaultReplayCapacity is how many unexpired proofs the memory replay
	// cache holds: about 20 MiB at most (see MemoryReplayCache).
	DefaultReplayCapacity = 1 << 18
	// DefaultProofsPerKey is how many proofs one key may use per quota
	// window (the proof lifetime): 4096 a minute by default, about 68 a
	// second, far above what one client sends, while one key can take at
	// most 1/64 of the default capacity.
	DefaultProofsPerKey = 4096
)

const replayShards = 16

// MemoryReplayCache is an in-process [ReplayCache] for one instance. It
// keeps a 128-bit hash of each (key thumbprint, jti) with its expiry —
// about 80 bytes a proof, so the default capacity is about 20 MiB at most
// — and never forgets an unexpired proof: when it holds capacity proofs it
// refuses new ones (ErrCacheFull, 503) until some expire. Each key may use
// at most perKey proofs per window (ErrKeyQuota, 429), so that one stolen
// token and key cannot fill the cache for everyone. The proofs of one key
// live in one of 16 shards, so one key can never hold more than a
// sixteenth of the capacity either.
type MemoryReplayCache struct {
	seed1, seed2 maphash.Seed
	perShard     int
	perKey       int
	window       time.Duration
	now          func() time.Time
	shards       [replayShards]replayShard
}

type replayShard struct {
	mu     sync.Mutex
	used   map[[2]uint64]int64 // proof hash → expiry (unix nanos)
	queue  []queued            // insertion order, for expiry
	head   int
	quotas map[uint64]quota // key hash → proofs in the current window
	swept  int64            // last full sweep (unix nanos)
}

type queued struct {
	k   [2]uint64
	exp int64
}

type quota struct {
	start int64 // window start (unix nanos)
	n     int
}

// NewMemoryReplayCache returns a replay cache holding at most capacity
// unexpired proofs (0: DefaultReplayCapacity), allowing each key perKey
// proofs per window (0: DefaultProofsPerKey; window 0:
// DefaultProofLifetime — pass the verifier's proof lifetime).
func NewMemoryReplayCache(capacity, perKey int, window time.Duration) *MemoryReplayCache {
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	if perKey <= 0 {
		perKey = DefaultProofsPerKey
	}
	if window <= 0 {
		window = DefaultProofLifetime
	}
	c := &MemoryReplayCache{
		seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(),
		perShard: max(1, capacity/replayShards), perKey: perKey, window: window, now: time.Now,
	}
	for i := range c.shards {
		c.shards[i].used = map[[2]uint64]int64{}
		c.shards[i].quotas = map[uint64]quota{}
	}
	return c
}

// Use implements [ReplayCache].
func (c *MemoryReplayCache) Use(_ context.Context, jkt, jti string, until time.Time) error {
	kh := maphash.String(c.seed1, jkt)
	var h maphash.Hash
	h.SetSeed(c.seed2)
	h.WriteString(jkt)
	h.WriteByte(0)
	h.WriteString(jti)
	k := [2]uint64{kh ^ maphash.String(c.seed1, jti), h.Sum64()}
	now := c.now().UnixNano()
	s := &c.shards[kh%replayShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if len(s.quotas) > len(s.used)+1024 && now-s.swept >= int64(time.Second) {
		s.sweep(now, int64(c.window))
	}
	if exp, ok := s.used[k]; ok && exp > now {
		return ErrReplay
	}
	q := s.quotas[kh]
	if now-q.start >= int64(c.window) {
		q = quota{start: now}
	}
	if q.n >= c.perKey {
		return fmt.Errorf("%w: %d proofs in %s", ErrKeyQuota, c.perKey, c.window)
	}
	if len(s.used) >= c.perShard {
		// Full: a sweep finds the expired proofs that wait behind a later
		// expiry in the queue; at most one a second, so a flood of
		// refused proofs costs no scans.
		if now-s.swept >= int64(time.Second) {
			s.sweep(now, int64(c.window))
		}
		if len(s.used) >= c.perShard {
			return ErrCacheFull
		}
	}
	q.n++
	s.quotas[kh] = q
	exp := until.UnixNano()
	s.used[k] = exp
	s.queue = append(s.queue, queued{k, exp})
	return nil
}

// expire drops the expired proofs at the head of the queue (in insertion
// order, so a few expired ones may wait behind a later expiry until the
// next sweep).
func (s *replayShard) expire(now int64) {
	for s.head < len(s.queue) && s.queue[s.head].exp <= now {
		q := s.queue[s.head]
		if exp, ok := s.used[q.k]; ok && exp == q.exp {
			delete(s.used, q.k)
		}
		s.head++
	}
	if s.head > 1024 && s.head*2 > len(s.queue) {
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
}

// sweep drops every expired proof and every quota of a past window.
func (s *replayShard) sweep(now, window int64) {
	s.swept = now
	for k, exp := range s.used {
		if exp <= now {
			delete(s.used, k)
		}
	}
	live := s.queue[:0]
	for _, q := range s.queue[s.head:] {
		if q.exp > now {
			live = append(live, q)
		}
	}
	s.queue, s.head = live, 0
	for k, q := range s.quotas {
		if now-q.start >= window {
			delete(s.quotas, k)
		}
	}
}

// Len returns the number of proofs held (expired ones not yet dropped
// included).
func (c *MemoryReplayCache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.used)
		s.mu.Unlock()
	}
	return n
}
