package memory

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/revoke"
)

// ErrFull is returned by [Store.RevokeToken] and [Store.RevokeSubject] when
// the store holds its maximum of unexpired entries ([WithMaxEntries]). The
// revocation is not recorded; nothing already recorded is evicted, since
// dropping an entry would silently un-revoke a token.
var ErrFull = errors.New("memory: revocation store full")

// errNilStore is returned by the methods of a nil *Store: a store must come
// from [New].
var errNilStore = errors.New("memory: nil *Store (use memory.New)")

const shards = 16

// Store is an in-process revocation store; see the package documentation.
// Create one with [New]. It is safe for concurrent use.
type Store struct {
	seed     maphash.Seed
	limit    int64
	count    atomic.Int64 // entries in all shards
	settings revoke.Settings
	jtis     [shards]shard
	subs     [shards]shard
}

var (
	_ jwtguard.RevocationStore = (*Store)(nil)
	_ jwtguard.Revoker         = (*Store)(nil)
)

// New returns an empty Store configured by opts. It fails, naming the
// option, when an option is invalid or given twice; it never returns a nil
// Store without an error.
func New(opts ...Option) (*Store, error) {
	c := config{Settings: revoke.Defaults(), maxEntries: defaultMaxEntries}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("memory: nil Option")
		}
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("memory: %w", err)
		}
	}
	s := &Store{seed: maphash.MakeSeed(), limit: int64(c.maxEntries), settings: c.Settings}
	for i := range s.jtis {
		s.jtis[i].m = map[key]entry{}
		s.subs[i].m = map[key]entry{}
	}
	return s, nil
}

// Grace returns how long past a token's exp its entry is kept
// ([WithGrace]). jwtguard's New refuses the store when it is below the
// verifier's leeway.
func (s *Store) Grace() time.Duration {
	if s == nil {
		return 0
	}
	return s.settings.Grace
}

// Skew returns the issuer clock skew that subject revocations tolerate
// ([WithSkew]). jwtguard's New refuses the store when it is below the
// verifier's leeway.
func (s *Store) Skew() time.Duration {
	if s == nil {
		return 0
	}
	return s.settings.Skew
}

// RevokeToken revokes issuer's token with this jti until exp plus the
// grace; issuer is the token's iss ("" for tokens without one). A token
// already past that is ignored. It fails with [ErrFull] when the store is
// full.
func (s *Store) RevokeToken(_ context.Context, issuer, jti string, exp time.Time) error {
	if s == nil {
		return errNilStore
	}
	if jti == "" {
		return errors.New("memory: RevokeToken: empty jti")
	}
	now := s.settings.Now()
	until := s.settings.TokenUntil(exp)
	if !until.After(now) {
		return nil
	}
	return s.put(&s.jtis, key{issuer, jti}, entry{until: unixNano(until)}, now.UnixNano())
}

// RevokeSubject revokes every token of issuer's subject sub whose iat is
// before before plus the skew ([WithSkew]): this also revokes a token
// issued within the skew after before, such as a fresh login right after a
// "log out everywhere". A token without iat is revoked too. iat has
// one-second resolution unless the issuer writes fractions. A later call
// with an earlier time does not shorten an earlier revocation. It fails
// with [ErrFull] when the store is full.
func (s *Store) RevokeSubject(_ context.Context, issuer, sub string, before time.Time) error {
	if s == nil {
		return errNilStore
	}
	if sub == "" {
		return errors.New("memory: RevokeSubject: empty subject")
	}
	now := s.settings.Now()
	until := s.settings.SubjectUntil(before)
	if !until.After(now) {
		return nil
	}
	return s.put(&s.subs, key{issuer, sub}, entry{value: unixNano(before), until: unixNano(until)}, now.UnixNano())
}

// IsRevoked implements [jwtguard.RevocationStore]: c is revoked when its
// issuer's jti was revoked, or its issuer's subject was revoked after c was
// issued (within the skew). It fails only when s is nil or c is nil.
func (s *Store) IsRevoked(_ context.Context, c *jwtguard.Claims) (bool, error) {
	if s == nil {
		return false, errNilStore
	}
	if c == nil {
		return false, errors.New("memory: IsRevoked: nil claims")
	}
	now := s.settings.Now().UnixNano()
	if c.ID != "" {
		k := key{c.Entry(), c.ID}
		if e, ok := s.shard(&s.jtis, k).get(k); ok && e.until > now {
			return true, nil
		}
	}
	if c.Subject != "" {
		k := key{c.Entry(), c.Subject}
		if e, ok := s.shard(&s.subs, k).get(k); ok && e.until > now {
			if revoke.Covers(time.Unix(0, e.value), c.IssuedAt, s.settings.Skew) {
				return true, nil
			}
		}
	}
	return false, nil
}

// Len returns the number of entries held, including expired ones not yet
// purged.
func (s *Store) Len() int {
	if s == nil {
		return 0
	}
	return int(s.count.Load())
}

// key is an entry's key: the issuer and the jti or subject. A struct key
// keeps issuers apart with no separator to escape.
type key struct{ issuer, value string }

// shard picks k's shard by its value (jti or subject): which shard an entry
// lands in matters for lock contention only.
func (s *Store) shard(set *[shards]shard, k key) *shard {
	return &set[maphash.String(s.seed, k.value)%shards]
}

// put records e under k in set. When the store is full it first purges
// expired entries everywhere; if it is still full, the revocation is
// refused rather than evicting one.
func (s *Store) put(set *[shards]shard, k key, e entry, now int64) error {
	sh := s.shard(set, k)
	if sh.put(k, e, now, &s.count, s.limit) {
		return nil
	}
	for i := range s.jtis {
		s.jtis[i].purge(now, &s.count)
		s.subs[i].purge(now, &s.count)
	}
	if sh.put(k, e, now, &s.count, s.limit) {
		return nil
	}
	return fmt.Errorf("%w (%d entries)", ErrFull, s.limit)
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
