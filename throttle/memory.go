package throttle

import (
	"context"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// shards split a MemoryStore, so that concurrent requests rarely wait on
// one lock. A client lives in the shard of its key's hash (a secret seed:
// a client cannot choose its shard).
const shards = 16

// MemoryStore is an in-process [Store] for one instance: a token bucket
// ([golang.org/x/time/rate.Limiter]) per client that has failed, in two
// bounded tables. Create one with [NewMemoryStore]; it is safe for
// concurrent use.
//
// Eviction policy: "offender-protected two tiers".
//
//   - Newcomers are clients that have failed but never gone over the
//     limit. They are held in a table of fixed size; when it is full, a
//     new client takes the slot of another newcomer chosen by CLOCK
//     (second chance, an approximation of LRU): the hand skips a newcomer
//     that failed again since it last passed, once, and takes any other —
//     at once one whose bucket is full again, which carries nothing.
//   - Offenders are clients that have gone over the limit at least once.
//     They are held in a table of their own, in the order of their last
//     failure; reading them (every request's Throttled) never changes that
//     order. An offender leaves when one Window has passed since its last
//     failure — its bucket is then full again, so forgetting it changes
//     nothing — or, when the table is full and a new client goes over the
//     limit, if it is the offender whose last failure is the oldest.
//
// A newcomer can never evict an offender: a flood of distinct addresses,
// each failing fewer than Failures times, churns the newcomer table only,
// and an offender stays throttled throughout. (What the flood does cost:
// a newcomer evicted before it reaches the limit starts again with a full
// bucket; an attacker with that many addresses has that many buckets
// anyway.) Only clients that themselves go over the limit compete for
// offender slots, oldest offence first. With Failures = 1 every failing
// client is an offender at once, and the offender table is the only one
// that matters.
//
// Memory is bounded by the two sizes and nothing else: at most 150 bytes
// per newcomer slot and 180 per offender slot on 64-bit platforms
// (measured: about 140 and 162), so at most 12,779,520 bytes (12.2 MiB)
// with the defaults (65,536 newcomers, 16,384 offenders) — reached under
// a flood of distinct clients, never exceeded (TestMemoryStoreBound
// floods 1,000,000 keys).
type MemoryStore struct {
	seed      maphash.Seed
	newPer    int          // newcomer slots per shard
	offPer    int          // offender slots per shard
	offenders atomic.Int64 // offenders held in all shards: Throttled's fast path
	shards    [shards]memShard
}

// memShard is one shard's two tables.
type memShard struct {
	mu sync.RWMutex // Throttled reads offenders under RLock; all else locks

	// Newcomers: a ring of slots for CLOCK, and the index of each key's.
	idx  map[uint64]int32
	ring []newcomer
	hand int

	// Offenders, linked from the oldest last failure to the newest.
	off            map[uint64]*offender
	oldest, newest *offender
}

type newcomer struct {
	h   uint64
	lim *rate.Limiter // nil: a free slot
	ref bool          // failed again since the hand last passed
}

type offender struct {
	h          uint64
	lim        *rate.Limiter
	until      int64     // Unix ns: last failure + window, when its bucket is full again
	prev, next *offender // prev is older
}

// NewMemoryStore returns a store that tracks at most newcomers clients
// below the limit and offenders clients that went over it (0 or less:
// [DefaultNewcomers], [DefaultOffenders]; sizes are rounded up to a
// multiple of 16). See [MemoryStore] for the eviction policy and the
// memory each slot costs.
func NewMemoryStore(newcomers, offenders int) *MemoryStore {
	if newcomers <= 0 {
		newcomers = DefaultNewcomers
	}
	if offenders <= 0 {
		offenders = DefaultOffenders
	}
	return &MemoryStore{
		seed:   maphash.MakeSeed(),
		newPer: (newcomers + shards - 1) / shards,
		offPer: (offenders + shards - 1) / shards,
	}
}

// Throttled implements [Store]: key is throttled while it is an offender
// with less than one try left. It takes no write lock, and none at all
// while no client is an offender.
func (s *MemoryStore) Throttled(key string, now time.Time) (time.Duration, bool) {
	if s == nil || s.offenders.Load() == 0 {
		return 0, false
	}
	h := maphash.String(s.seed, key)
	sh := &s.shards[h%shards]
	sh.mu.RLock()
	o := sh.off[h]
	var tokens float64
	var r rate.Limit
	if o != nil {
		tokens, r = o.lim.TokensAt(now), o.lim.Limit()
	}
	sh.mu.RUnlock()
	if o == nil || tokens >= 1 || r <= 0 {
		return 0, false
	}
	return time.Duration(math.Round((1 - tokens) / float64(r) * float64(time.Second))), true
}

// Failed implements [Store]: it takes one try from key's bucket, making
// key a newcomer, or an offender when the bucket has less than one try
// left. It never blocks on anything but the shard's lock.
func (s *MemoryStore) Failed(_ context.Context, key string, now time.Time, limit Limit) {
	if s == nil || limit.Failures < 1 || limit.Window <= 0 {
		return
	}
	r := rate.Limit(float64(limit.Failures) / limit.Window.Seconds())
	h := maphash.String(s.seed, key)
	t := now.UnixNano()
	until := t + int64(limit.Window)
	sh := &s.shards[h%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s.expire(sh, t)
	if o := sh.off[h]; o != nil {
		fit(o.lim, now, r, limit.Failures)
		o.lim.AllowN(now, 1)
		sh.unlink(o)
		o.until = until
		sh.link(o)
		return
	}
	if i, ok := sh.idx[h]; ok {
		n := &sh.ring[i]
		fit(n.lim, now, r, limit.Failures)
		n.lim.AllowN(now, 1)
		n.ref = true
		if n.lim.TokensAt(now) < 1 {
			lim := n.lim
			delete(sh.idx, h)
			*n = newcomer{}
			s.addOffender(sh, h, lim, until)
		}
		return
	}
	lim := rate.NewLimiter(r, limit.Failures)
	lim.AllowN(now, 1)
	if lim.TokensAt(now) < 1 {
		s.addOffender(sh, h, lim, until) // Failures is 1
		return
	}
	s.addNewcomer(sh, h, lim, now)
}

// Len returns how many newcomers and offenders the store holds.
func (s *MemoryStore) Len() (newcomers, offenders int) {
	if s == nil {
		return 0, 0
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		newcomers += len(sh.idx)
		offenders += len(sh.off)
		sh.mu.RUnlock()
	}
	return newcomers, offenders
}

// fit gives a bucket the limit it is used with (a store shared by
// verifiers with different limits).
func fit(lim *rate.Limiter, now time.Time, r rate.Limit, b int) {
	if lim.Limit() != r {
		lim.SetLimitAt(now, r)
	}
	if lim.Burst() != b {
		lim.SetBurstAt(now, b)
	}
}

// addNewcomer puts a new client in the newcomer table, in a free slot or
// in the one CLOCK picks.
func (s *MemoryStore) addNewcomer(sh *memShard, h uint64, lim *rate.Limiter, now time.Time) {
	if sh.idx == nil {
		sh.idx = make(map[uint64]int32, s.newPer)
		sh.ring = make([]newcomer, 0, s.newPer)
	}
	if len(sh.ring) < s.newPer {
		sh.ring = append(sh.ring, newcomer{h: h, lim: lim})
		sh.idx[h] = int32(len(sh.ring) - 1)
		return
	}
	// At most one full turn clears every ref bit, so this ends within
	// two turns.
	for {
		i := sh.hand
		sh.hand = (sh.hand + 1) % len(sh.ring)
		n := &sh.ring[i]
		if n.lim != nil && n.ref && n.lim.TokensAt(now) < float64(n.lim.Burst()) {
			n.ref = false // its second chance
			continue
		}
		if n.lim != nil {
			delete(sh.idx, n.h)
		}
		*n = newcomer{h: h, lim: lim}
		sh.idx[h] = int32(i)
		return
	}
}

// addOffender puts a client that went over the limit in the offender
// table, making room by evicting the offender with the oldest last
// failure.
func (s *MemoryStore) addOffender(sh *memShard, h uint64, lim *rate.Limiter, until int64) {
	if sh.off == nil {
		sh.off = make(map[uint64]*offender, s.offPer)
	}
	if len(sh.off) >= s.offPer {
		s.removeOffender(sh, sh.oldest)
	}
	o := &offender{h: h, lim: lim, until: until}
	sh.off[h] = o
	sh.link(o)
	s.offenders.Add(1)
}

// expire forgets the offenders whose bucket is full again: one Window
// after their last failure, an offender is no different from a client
// never seen.
func (s *MemoryStore) expire(sh *memShard, now int64) {
	for sh.oldest != nil && sh.oldest.until <= now {
		s.removeOffender(sh, sh.oldest)
	}
}

func (s *MemoryStore) removeOffender(sh *memShard, o *offender) {
	sh.unlink(o)
	delete(sh.off, o.h)
	s.offenders.Add(-1)
}

// link appends o as the newest offender.
func (sh *memShard) link(o *offender) {
	o.prev, o.next = sh.newest, nil
	if sh.newest != nil {
		sh.newest.next = o
	} else {
		sh.oldest = o
	}
	sh.newest = o
}

func (sh *memShard) unlink(o *offender) {
	if o.prev != nil {
		o.prev.next = o.next
	} else {
		sh.oldest = o.next
	}
	if o.next != nil {
		o.next.prev = o.prev
	} else {
		sh.newest = o.prev
	}
	o.prev, o.next = nil, nil
}
