package jwtguard

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// RevocationStore is asked, after the signature and every claim check pass,
// whether a token has been revoked. Configure one with [WithRevocation].
//
// The contract:
//
//   - IsRevoked is called for every accepted token, including hits of the
//     verified-token cache ([WithCache]), so a revocation takes effect on the
//     next request. It must be safe for concurrent use and fast: it sits on
//     the request path.
//   - It reports true when the token is revoked: by its jti (a denylist entry
//     that lives at least until the token expires), or by its subject (every
//     token of c.Subject issued before a point in time — "log out
//     everywhere", token versioning). c is read-only.
//   - It returns an error only when it cannot answer (backend down, timeout).
//     The verifier then fails closed: 503 with Retry-After, wrapping
//     [ErrRevocationUnavailable], unless [WithInsecureRevocationFailOpen] is
//     set. It must honour ctx cancellation.
//   - Tokens without jti are accepted and passed to the store, which can
//     still revoke them through their subject, but not one by one: a
//     logout cannot end such a token ([RevokeClaims] reports an error).
//     To require a jti on every token, add WithRequiredClaims("jti"); a
//     token without it is then refused with 401 [ErrMissingClaim] before
//     the store is asked.
//
// jti and sub are unique only per issuer (RFC 7519 §4.1.2, §4.1.7); stores
// in this module key entries by the bare value, so in a multi-issuer setup
// a colliding value revokes too much, never too little.
//
// [MemoryStore] keeps revocations in one process; the Redis store in
// github.com/jwtguard/jwtguard/redis shares them between instances.
type RevocationStore interface {
	IsRevoked(ctx context.Context, c *Claims) (bool, error)
}

// Revoker records revocations. The memory and Redis stores implement it next
// to [RevocationStore], so logout handlers can be written against either.
// Entries are scoped by issuer: jti and sub are unique only per issuer
// (RFC 7519 §4.1.2, §4.1.7), so one issuer's token can never revoke
// another issuer's tokens. issuer is the token's iss ("" for tokens
// without one).
type Revoker interface {
	// RevokeToken revokes the token of issuer with this jti until exp (its
	// expiry claim) plus the store's grace; the entry is then dropped.
	RevokeToken(ctx context.Context, issuer, jti string, exp time.Time) error
	// RevokeSubject revokes every token of issuer's subject sub issued
	// before before (by iat, with the store's clock-skew tolerance; a token
	// without iat is revoked too).
	RevokeSubject(ctx context.Context, issuer, sub string, before time.Time) error
}

// RevocationGrace is how long past a token's exp a revocation entry is kept
// by default. The verifier accepts a token until exp + leeway (at most
// [MaxLeeway]), so an entry dropped exactly at exp would briefly un-revoke it.
const RevocationGrace = MaxLeeway

// DefaultMaxTokenLifetime is the default of [MemoryOptions.MaxTokenLifetime]:
// how long a "revoked before" entry of a subject is kept.
const DefaultMaxTokenLifetime = 24 * time.Hour

// DefaultMemoryStoreSize is the default of [MemoryOptions.MaxEntries].
const DefaultMemoryStoreSize = 1_000_000

// ErrRevocationStoreFull is returned by [MemoryStore.RevokeToken] and
// [MemoryStore.RevokeSubject] when the store holds MaxEntries unexpired
// entries. The revocation is not recorded; nothing already recorded is
// evicted, since dropping an entry would silently un-revoke a token.
var ErrRevocationStoreFull = errors.New("jwtguard: revocation store full")

// RevokeClaims revokes the token described by c (by its jti, until its exp)
// in r. It is the usual body of a logout handler. c must have a jti.
func RevokeClaims(ctx context.Context, r Revoker, c *Claims) error {
	if c == nil || c.ID == "" {
		return errors.New("jwtguard: RevokeClaims: the token has no jti")
	}
	return r.RevokeToken(ctx, c.Issuer, c.ID, c.ExpiresAt)
}

// MemoryOptions configures a [MemoryStore]. The zero value gives the
// defaults.
type MemoryOptions struct {
	// MaxEntries bounds the number of unexpired entries (jti and subject
	// entries together); default [DefaultMemoryStoreSize]. When full,
	// Revoke* fails with [ErrRevocationStoreFull].
	MaxEntries int
	// MaxTokenLifetime is how long after its "before" time a subject entry
	// is kept (default [DefaultMaxTokenLifetime]); plus Grace. Set it to
	// at least the longest exp − iat of the tokens you accept: once the
	// entry is gone, older tokens of the subject would pass again.
	MaxTokenLifetime time.Duration
	// Grace is how long an entry is kept past the token's exp (default
	// [RevocationGrace]).
	Grace time.Duration
	// Clock is the time source (default time.Now).
	Clock func() time.Time
}

const memShards = 16

// MemoryStore is an in-process [RevocationStore] and [Revoker]: a bounded,
// sharded denylist of jti values plus per-subject "revoked before" times.
// Entries expire with the token (exp + Grace) and are purged as the store is
// written. It is safe for concurrent use. Revocations are lost when the
// process exits and are not shared between instances: use the Redis store
// for that.
type MemoryStore struct {
	seed     maphash.Seed
	limit    int64
	count    atomic.Int64 // entries in all shards
	lifetime time.Duration
	grace    time.Duration
	now      func() time.Time
	jtis     [memShards]memShard
	subs     [memShards]memShard
}

type memShard struct {
	mu sync.RWMutex
	// m maps a jti to its entry's expiry, or a subject to its "before" time
	// in value and the entry's expiry in until.
	m map[string]memEntry
	h expiryHeap
}

type memEntry struct {
	value int64 // subject entries: revoked-before, unix nanos
	until int64 // entry expiry, unix nanos
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts MemoryOptions) *MemoryStore {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMemoryStoreSize
	}
	if opts.MaxTokenLifetime <= 0 {
		opts.MaxTokenLifetime = DefaultMaxTokenLifetime
	}
	if opts.Grace <= 0 {
		opts.Grace = RevocationGrace
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	s := &MemoryStore{
		seed:     maphash.MakeSeed(),
		limit:    int64(opts.MaxEntries),
		lifetime: opts.MaxTokenLifetime,
		grace:    opts.Grace,
		now:      opts.Clock,
	}
	for i := range s.jtis {
		s.jtis[i].m = map[string]memEntry{}
		s.subs[i].m = map[string]memEntry{}
	}
	return s
}

func (s *MemoryStore) shard(set *[memShards]memShard, key string) *memShard {
	return &set[maphash.String(s.seed, key)%memShards]
}

// RevokeToken revokes the token with this jti until exp + Grace. A token
// already past that is ignored.
func (s *MemoryStore) RevokeToken(_ context.Context, jti string, exp time.Time) error {
	if jti == "" {
		return errors.New("jwtguard: RevokeToken: empty jti")
	}
	now := s.now()
	until := exp.Add(s.grace)
	if !until.After(now) {
		return nil
	}
	return s.put(&s.jtis, jti, memEntry{until: unixNano(until)}, now.UnixNano())
}

// RevokeSubject revokes every token of sub whose iat is before before (iat
// has one-second resolution unless the issuer writes fractions, so a token
// issued in the same second may be revoked too). A token without iat is
// revoked. A later call with an earlier time does not shorten an earlier
// revocation.
func (s *MemoryStore) RevokeSubject(_ context.Context, sub string, before time.Time) error {
	if sub == "" {
		return errors.New("jwtguard: RevokeSubject: empty subject")
	}
	now := s.now()
	until := before.Add(s.lifetime + s.grace)
	if !until.After(now) {
		return nil
	}
	return s.put(&s.subs, sub, memEntry{value: unixNano(before), until: unixNano(until)}, now.UnixNano())
}

// IsRevoked implements [RevocationStore]. It never fails.
func (s *MemoryStore) IsRevoked(_ context.Context, c *Claims) (bool, error) {
	now := s.now().UnixNano()
	if c.ID != "" {
		if e, ok := s.shard(&s.jtis, c.ID).get(c.ID); ok && e.until > now {
			return true, nil
		}
	}
	if c.Subject != "" {
		if e, ok := s.shard(&s.subs, c.Subject).get(c.Subject); ok && e.until > now {
			if c.IssuedAt.IsZero() || unixNano(c.IssuedAt) < e.value {
				return true, nil
			}
		}
	}
	return false, nil
}

// unixNano is t.UnixNano saturated to the int64 range: UnixNano is
// undefined after 2262, and a token's exp may be as late as year 9999.
func unixNano(t time.Time) int64 {
	switch {
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	}
	return t.UnixNano()
}

// Len returns the number of entries held, including expired ones not yet
// purged.
func (s *MemoryStore) Len() int { return int(s.count.Load()) }

func (sh *memShard) get(key string) (memEntry, bool) {
	sh.mu.RLock()
	e, ok := sh.m[key]
	sh.mu.RUnlock()
	return e, ok
}

// put records e under key in set. When the store is full it first purges
// expired entries everywhere; if it is still full, the revocation is
// refused rather than evicting one.
func (s *MemoryStore) put(set *[memShards]memShard, key string, e memEntry, now int64) error {
	sh := s.shard(set, key)
	if sh.put(key, e, now, &s.count, s.limit) {
		return nil
	}
	for i := range s.jtis {
		s.jtis[i].purge(now, &s.count)
		s.subs[i].purge(now, &s.count)
	}
	if sh.put(key, e, now, &s.count, s.limit) {
		return nil
	}
	return fmt.Errorf("%w (%d entries)", ErrRevocationStoreFull, s.limit)
}

// purge drops entries that expired by now.
func (sh *memShard) purge(now int64, count *atomic.Int64) {
	sh.mu.Lock()
	sh.purgeLocked(now, count)
	sh.mu.Unlock()
}

func (sh *memShard) purgeLocked(now int64, count *atomic.Int64) {
	for len(sh.h) > 0 && sh.h[0].until <= now {
		x := heap.Pop(&sh.h).(expiryItem)
		if cur, ok := sh.m[x.key]; ok && cur.until == x.until {
			delete(sh.m, x.key)
			count.Add(-1)
		}
	}
}

// put records e under key, keeping the later expiry and the later "before"
// of an existing entry, after purging this shard's expired entries (so the
// heap work is amortised over writes; reads never lock for writing). It
// reports false when a new entry would exceed limit.
func (sh *memShard) put(key string, e memEntry, now int64, count *atomic.Int64, limit int64) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.purgeLocked(now, count)
	old, exists := sh.m[key]
	if exists {
		if old.value > e.value {
			e.value = old.value
		}
		if old.until >= e.until {
			sh.m[key] = memEntry{value: e.value, until: old.until}
			return true
		}
	} else {
		if count.Add(1) > limit {
			count.Add(-1)
			return false
		}
	}
	sh.m[key] = e
	heap.Push(&sh.h, expiryItem{key: key, until: e.until})
	if len(sh.h) > 2*len(sh.m)+64 {
		// Too many stale items (entries extended again and again):
		// rebuild the heap from the live entries.
		sh.h = sh.h[:0]
		for k, v := range sh.m {
			sh.h = append(sh.h, expiryItem{key: k, until: v.until})
		}
		heap.Init(&sh.h)
	}
	return true
}

type expiryItem struct {
	key   string
	until int64
}

// expiryHeap is a min-heap of entry expiries. An item whose entry was since
// extended is stale and skipped when popped (the extension pushed a new
// item); put rebuilds the heap when stale items outnumber live ones.
type expiryHeap []expiryItem

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until < h[j].until }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryItem)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
