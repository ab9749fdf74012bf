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

// ErrFull is returned by the Revoke methods of [Store] when the store
// holds its maximum of unexpired entries ([WithMaxEntries]). The
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
	sids     [shards]shard
	issuers  shard // key{issuer, ""}: revoked-before in value
	keys     shard // key{issuer, key name}: until in until (MaxInt64: never)
	// anyIssuer is set by the first RevokeIssuer, so that IsRevoked skips
	// the issuers shard (and its lock) until one exists.
	anyIssuer atomic.Bool

	subscribers revoke.Subscribers
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
		s.sids[i].m = map[key]entry{}
	}
	s.issuers.m = map[key]entry{}
	s.keys.m = map[key]entry{}
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
	k := key{issuer, jti}
	if err := s.put(s.shard(&s.jtis, k), k, entry{until: unixNano(until)}, now.UnixNano()); err != nil {
		return err
	}
	s.notify(revoke.KindToken, issuer, jti, until)
	return nil
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
	k := key{issuer, sub}
	if err := s.put(s.shard(&s.subs, k), k, entry{value: unixNano(before), until: unixNano(until)}, now.UnixNano()); err != nil {
		return err
	}
	s.notify(revoke.KindSubject, issuer, sub, before)
	return nil
}

// RevokeSession revokes every token of issuer whose sid is sid (see
// [jwtguard.Claims.SessionID]), whatever its iat, until until plus the
// grace; the zero until means the maximum token lifetime
// ([WithMaxTokenLifetime]) from now. Tokens without sid are not affected
// (revoke their subject). It fails with [ErrFull] when the store is full.
func (s *Store) RevokeSession(_ context.Context, issuer, sid string, until time.Time) error {
	if s == nil {
		return errNilStore
	}
	if sid == "" {
		return errors.New("memory: RevokeSession: empty sid")
	}
	now := s.settings.Now()
	end := s.settings.SessionUntil(until)
	if !end.After(now) {
		return nil
	}
	k := key{issuer, sid}
	if err := s.put(s.shard(&s.sids, k), k, entry{until: unixNano(end)}, now.UnixNano()); err != nil {
		return err
	}
	s.notify(revoke.KindSession, issuer, sid, end)
	return nil
}

// RevokeIssuer revokes every token of issuer whose iat is before before
// plus the skew ([WithSkew]), and every token of issuer without iat:
// everyone signs in again. The entry is kept as a subject entry is. A
// later call with an earlier time does not shorten it. It fails with
// [ErrFull] when the store is full.
func (s *Store) RevokeIssuer(_ context.Context, issuer string, before time.Time) error {
	if s == nil {
		return errNilStore
	}
	now := s.settings.Now()
	until := s.settings.SubjectUntil(before)
	if !until.After(now) {
		return nil
	}
	s.anyIssuer.Store(true)
	if err := s.put(&s.issuers, key{issuer, ""}, entry{value: unixNano(before), until: unixNano(until)}, now.UnixNano()); err != nil {
		return err
	}
	s.notify(revoke.KindIssuer, issuer, "", before)
	return nil
}

// RevokeKey records that issuer's key named key — its RFC 7638 thumbprint
// (unpadded base64url), or "kid:<kid>" — is revoked until until (the zero
// time: as long as the store lives), and tells every verifier that uses
// this store (through [Store.Subscribe]): they refuse the tokens it
// verified from the next request on, verified-token cache hits included.
// It fails with [ErrFull] when the store is full.
func (s *Store) RevokeKey(_ context.Context, issuer, key string, until time.Time) error {
	if s == nil {
		return errNilStore
	}
	if err := revoke.CheckKeyName(key); err != nil {
		return fmt.Errorf("memory: RevokeKey: %w", err)
	}
	now := s.settings.Now()
	end := int64(math.MaxInt64)
	if !until.IsZero() {
		if !until.After(now) {
			return nil
		}
		end = unixNano(until)
	}
	if err := s.put(&s.keys, keyOf(issuer, key), entry{until: end}, now.UnixNano()); err != nil {
		return err
	}
	s.notify(revoke.KindKey, issuer, key, until)
	return nil
}

// RevokedKeys calls fn for every key revocation in force, with the until
// given to [Store.RevokeKey] (zero: no end). The verifier calls it when it
// subscribes.
func (s *Store) RevokedKeys(_ context.Context, fn func(issuer, key string, until time.Time)) error {
	if s == nil {
		return errNilStore
	}
	now := s.settings.Now().UnixNano()
	type rk struct {
		k     key
		until int64
	}
	var list []rk
	s.keys.mu.RLock()
	for k, e := range s.keys.m {
		if e.until > now {
			list = append(list, rk{k, e.until})
		}
	}
	s.keys.mu.RUnlock()
	for _, r := range list {
		var until time.Time
		if r.until != math.MaxInt64 {
			until = time.Unix(0, r.until)
		}
		fn(r.k.issuer, r.k.value, until)
	}
	return nil
}

// RefreshKeys asks every verifier that uses this store (through
// [Store.Subscribe]) to fetch issuer's keys now, bypassing the
// unknown-kid gap: afterwards the tokens signed with a key the issuer no
// longer publishes are refused, verified-token cache hits included. The
// fetches run in the background; each verifier logs its outcome.
func (s *Store) RefreshKeys(_ context.Context, issuer string) error {
	if s == nil {
		return errNilStore
	}
	s.notify(revoke.KindRefresh, issuer, "", time.Time{})
	return nil
}

// Subscribe calls fn, until stop is called, after every revocation
// recorded in this store and every [Store.RefreshKeys], synchronously in
// the recording goroutine: kind is "token", "subject", "session",
// "issuer", "key" or "refresh"; value is the jti, subject, sid or key
// ("" for "issuer" and "refresh"); until is the entry's until (for
// "subject" and "issuer": the before time). fn must not block. A
// jwtguard verifier subscribes when it is built with this store
// ([jwtguard.WithRevocation]) and stops at its Close: that is how key
// revocations and refreshes reach it, and how the requests it watches
// ([jwtguard.Verifier.Watch]) learn of a logout at once.
func (s *Store) Subscribe(fn func(kind, issuer, value string, until time.Time)) (stop func()) {
	if s == nil || fn == nil {
		return func() {}
	}
	return s.subscribers.Add(fn)
}

// notify calls every subscriber.
func (s *Store) notify(kind, issuer, value string, until time.Time) {
	s.subscribers.Notify(kind, issuer, value, until)
}

// keyOf is the key of a key revocation: a thumbprint and a kid never
// collide ("kid:" is not base64url).
func keyOf(issuer, name string) key { return key{issuer, name} }

// IsRevoked implements [jwtguard.RevocationStore]: c is revoked when its
// issuer's jti was revoked, its issuer's subject was revoked after c was
// issued (within the skew), its session (sid) was revoked, or its whole
// issuer was revoked after c was issued (within the skew). Key revocations
// are the verifier's to check ([Store.RevokedKeys]). It fails only when s
// is nil or c is nil.
func (s *Store) IsRevoked(_ context.Context, c *jwtguard.Claims) (bool, error) {
	if s == nil {
		return false, errNilStore
	}
	if c == nil {
		return false, errors.New("memory: IsRevoked: nil claims")
	}
	now := s.settings.Now().UnixNano()
	iss := c.Entry()
	if c.ID != "" {
		k := key{iss, c.ID}
		if e, ok := s.shard(&s.jtis, k).get(k); ok && e.until > now {
			return true, nil
		}
	}
	if c.Subject != "" {
		k := key{iss, c.Subject}
		if e, ok := s.shard(&s.subs, k).get(k); ok && e.until > now {
			if revoke.Covers(time.Unix(0, e.value), c.IssuedAt, s.settings.Skew) {
				return true, nil
			}
		}
	}
	if c.SessionID != "" {
		k := key{iss, c.SessionID}
		if e, ok := s.shard(&s.sids, k).get(k); ok && e.until > now {
			return true, nil
		}
	}
	if s.anyIssuer.Load() {
		if e, ok := s.issuers.get(key{iss, ""}); ok && e.until > now {
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

// put records e under k in sh. When the store is full it first purges
// expired entries everywhere; if it is still full, the revocation is
// refused rather than evicting one.
func (s *Store) put(sh *shard, k key, e entry, now int64) error {
	if sh.put(k, e, now, &s.count, s.limit) {
		return nil
	}
	for i := range s.jtis {
		s.jtis[i].purge(now, &s.count)
		s.subs[i].purge(now, &s.count)
		s.sids[i].purge(now, &s.count)
	}
	s.issuers.purge(now, &s.count)
	s.keys.purge(now, &s.count)
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
