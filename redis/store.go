package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/revoke"
	"github.com/redis/go-redis/v9"
)

// Store is a Redis revocation store; see the package documentation. Create
// one with [New]. It is safe for concurrent use.
type Store struct {
	client   redis.UniversalClient
	where    string // the server(s), for error messages
	prefix   string
	timeout  time.Duration
	settings revoke.Settings
	cache    *localCache

	listenOnce sync.Once // starts the subscription (local cache or Subscribe)
	ps         *redis.PubSub
	stop       chan struct{}
	done       chan struct{}
	closeOnce  sync.Once

	subMu  sync.Mutex // guards closed and the listener's start
	subs   revoke.Subscribers
	closed bool
}

var (
	_ jwtguard.RevocationStore = (*Store)(nil)
	_ jwtguard.Revoker         = (*Store)(nil)
)

// errNilStore is returned by the methods of a nil *Store: a store must come
// from [New].
var errNilStore = errors.New("redisstore: nil *Store (use redisstore.New)")

// New returns a Store using client. It does not contact Redis (so a service
// can start while Redis is down; checks then fail closed). It fails, naming
// the option, when an option is invalid or given twice, and never returns
// a nil Store without an error. With [WithLocalCache] it starts a
// subscription goroutine; stop it with Close.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	c := config{Settings: revoke.Defaults(), prefix: DefaultKeyPrefix, timeout: DefaultTimeout}
	if err := c.apply(opts, "New"); err != nil {
		return nil, err
	}
	s := &Store{client: client, where: where(client), prefix: c.prefix, timeout: c.timeout, settings: c.Settings}
	if c.cacheSize > 0 {
		s.cache = newLocalCache(c.cacheTTL, c.cacheSize)
		s.startListener()
	}
	return s, nil
}

// startListener subscribes to the channel, once: for the local cache, or
// for the first [Store.Subscribe]. It does nothing after Close.
func (s *Store) startListener() {
	s.listenOnce.Do(func() {
		s.subMu.Lock()
		defer s.subMu.Unlock()
		if s.closed {
			return
		}
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		s.ps = s.client.Subscribe(context.Background(), s.channel())
		go s.listen()
	})
}

// Close stops the subscription (the local cache's and the subscribers').
// It does not close the client.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		s.subMu.Lock()
		s.closed = true
		ps := s.ps
		s.subMu.Unlock()
		if ps != nil {
			close(s.stop)
			_ = ps.Close()
			<-s.done
		}
	})
	return nil
}

// Subscribed reports whether the local cache is in use: its invalidation
// subscription is confirmed and has not failed since. It is false without
// [WithLocalCache].
func (s *Store) Subscribed() bool { return s != nil && s.cache != nil && s.cache.healthy.Load() }

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

// Kinds of entries, the first byte of their cache keys and messages: jti,
// subject, session (sid), issuer.
const (
	kindJTI     = 'j'
	kindSubject = 's'
	kindSession = 'e'
	kindIssuer  = 'i'
)

// cacheKey is an entry's local cache key and invalidation message: kind
// (see above), ':', and the issuer-scoped value ("" for an issuer entry).
func cacheKey(kind byte, issuer, value string) string {
	switch kind {
	case kindSubject:
		return revoke.PrefixedKey("s:", issuer, value)
	case kindSession:
		return revoke.PrefixedKey("e:", issuer, value)
	case kindIssuer:
		return revoke.PrefixedKey("i:", issuer, value)
	}
	return revoke.PrefixedKey("j:", issuer, value)
}

// redisKey is the Redis key of the entry named by a cache key.
func (s *Store) redisKey(cacheKey string) string {
	kind := "jti:"
	switch cacheKey[0] {
	case kindSubject:
		kind = "sub:"
	case kindSession:
		kind = "sid:"
	case kindIssuer:
		kind = "iss:"
	}
	return s.prefix + kind + cacheKey[2:]
}

// keysKey is the hash of key revocations.
func (s *Store) keysKey() string { return s.prefix + "keys" }

func (s *Store) channel() string { return s.prefix + "revocations" }

// RevokeToken revokes issuer's token with this jti until exp plus the
// grace, and tells the other instances' local caches; issuer is the
// canonical issuer of the token, its [jwtguard.Claims.Entry] (what
// [jwtguard.RevokeClaims] passes; [jwtguard.Verifier.CanonicalIssuer]
// gives it for an iss). A token already past that is
// not written.
func (s *Store) RevokeToken(ctx context.Context, issuer, jti string, exp time.Time) error {
	if s == nil {
		return errNilStore
	}
	if jti == "" {
		return errors.New("redisstore: RevokeToken: empty jti")
	}
	ttl := s.settings.TokenUntil(exp).Sub(s.settings.Now())
	if ttl <= 0 {
		return nil // already expired beyond any leeway
	}
	ck := cacheKey(kindJTI, issuer, jti)
	return s.write(ctx, ck, func(p redis.Pipeliner) {
		p.Set(ctx, s.redisKey(ck), "1", max(ttl, time.Millisecond))
	})
}

// raiseScript sets KEYS[1] to ARGV[1] (microseconds) with a PX of ARGV[2]
// unless it already holds a later time.
var raiseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if (not cur) or (tonumber(cur) < tonumber(ARGV[1])) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

// RevokeSubject revokes every token of issuer's subject sub whose iat is
// before before plus the skew ([WithSkew]), and tells the other instances'
// local caches. This also revokes a token issued within the skew after
// before, such as a fresh login right after a "log out everywhere". A
// token without iat is revoked too. A later call with an earlier time does
// not shorten a revocation. iat has one-second resolution unless the
// issuer writes fractions.
func (s *Store) RevokeSubject(ctx context.Context, issuer, sub string, before time.Time) error {
	if s == nil {
		return errNilStore
	}
	if sub == "" {
		return errors.New("redisstore: RevokeSubject: empty subject")
	}
	ttl := s.settings.SubjectUntil(before).Sub(s.settings.Now())
	if ttl <= 0 {
		return nil
	}
	ck := cacheKey(kindSubject, issuer, sub)
	return s.write(ctx, ck, func(p redis.Pipeliner) {
		raiseScript.Eval(ctx, p, []string{s.redisKey(ck)}, before.UnixMicro(), max(ttl.Milliseconds(), 1))
	})
}

// RevokeSession revokes every token of issuer whose sid is sid (see
// [jwtguard.Claims.SessionID]), whatever its iat, until until plus the
// grace (the zero until: the maximum token lifetime from now), and tells
// the other instances. Tokens without sid are not affected (revoke their
// subject). A later call never shortens it.
func (s *Store) RevokeSession(ctx context.Context, issuer, sid string, until time.Time) error {
	if s == nil {
		return errNilStore
	}
	if sid == "" {
		return errors.New("redisstore: RevokeSession: empty sid")
	}
	ttl := s.settings.SessionUntil(until).Sub(s.settings.Now())
	if ttl <= 0 {
		return nil
	}
	ck := cacheKey(kindSession, issuer, sid)
	return s.write(ctx, ck, func(p redis.Pipeliner) {
		extendScript.Eval(ctx, p, []string{s.redisKey(ck)}, max(ttl.Milliseconds(), 1))
	})
}

// extendScript sets KEYS[1] to "1" with a PX of ARGV[1] unless it already
// lives longer.
var extendScript = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 or ttl >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1`)

// RevokeIssuer revokes every token of issuer whose iat is before before
// plus the skew ([WithSkew]), and every token of issuer without iat:
// everyone signs in again. Its entry lives as a subject entry does, and a
// later call with an earlier time does not shorten it.
func (s *Store) RevokeIssuer(ctx context.Context, issuer string, before time.Time) error {
	if s == nil {
		return errNilStore
	}
	ttl := s.settings.SubjectUntil(before).Sub(s.settings.Now())
	if ttl <= 0 {
		return nil
	}
	ck := cacheKey(kindIssuer, issuer, "")
	return s.write(ctx, ck, func(p redis.Pipeliner) {
		raiseScript.Eval(ctx, p, []string{s.redisKey(ck)}, before.UnixMicro(), max(ttl.Milliseconds(), 1))
	})
}

// revokeKeyScript records a key revocation in the hash KEYS[1]: field
// ARGV[1], value ARGV[2] (until in Unix microseconds, "0" for none), never
// shortening one already there; it drops the fields that expired before
// ARGV[3] (now), so the hash holds the revocations in force.
var revokeKeyScript = redis.NewScript(`
local now = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local u = tonumber(all[i+1])
  if u ~= 0 and u <= now then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local new = tonumber(ARGV[2])
if cur and (tonumber(cur) == 0 or (new ~= 0 and tonumber(cur) >= new)) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`)

// RevokeKey records that issuer's key named key — its RFC 7638 thumbprint
// (unpadded base64url), or "kid:<kid>" — is revoked until until (the zero
// time: until the field is deleted by hand), and publishes it: every
// verifier built with a Store on this Redis and prefix refuses the tokens
// that key verified as soon as the message arrives (measured: well under
// a second, see the README), verified-token cache hits included. A later
// call never shortens a revocation.
func (s *Store) RevokeKey(ctx context.Context, issuer, key string, until time.Time) error {
	if s == nil {
		return errNilStore
	}
	if err := revoke.CheckKeyName(key); err != nil {
		return fmt.Errorf("redisstore: RevokeKey: %w", err)
	}
	now := s.settings.Now()
	var u int64
	if !until.IsZero() {
		if !until.After(now) {
			return nil
		}
		u = max(until.UnixMicro(), 1)
	}
	field := revoke.Key(issuer, key)
	return s.publishAfter(ctx, "k:"+strconv.FormatInt(u, 10)+":"+field, func(p redis.Pipeliner) {
		revokeKeyScript.Eval(ctx, p, []string{s.keysKey()}, field, u, now.UnixMicro())
	})
}

// RevokedKeys calls fn for every key revocation in force (one HGETALL),
// with the until given to [Store.RevokeKey] (zero: none). The verifier
// calls it when it subscribes, and again after the subscription was
// interrupted.
func (s *Store) RevokedKeys(ctx context.Context, fn func(issuer, key string, until time.Time)) error {
	if s == nil {
		return errNilStore
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	all, err := s.client.HGetAll(ctx, s.keysKey()).Result()
	if err != nil {
		return s.failure(ctx, err)
	}
	now := s.settings.Now().UnixMicro()
	for field, v := range all {
		iss, key, ok := revoke.ParseScoped(field)
		u, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil || revoke.CheckKeyName(key) != nil {
			return fmt.Errorf("redisstore: hash %s holds %q = %q, not a key revocation", s.keysKey(), truncate(field), truncate(v))
		}
		switch {
		case u == 0:
			fn(iss, key, time.Time{})
		case u > now:
			fn(iss, key, time.UnixMicro(u))
		}
	}
	return nil
}

// RefreshKeys publishes a request that every verifier built with a Store
// on this Redis and prefix fetch issuer's keys now, bypassing the
// unknown-kid gap: afterwards each refuses the tokens signed with a key
// the issuer no longer publishes, verified-token cache hits included. The
// fetches run in the background on each instance, which logs its outcome;
// an instance whose subscription is down at that moment misses the
// request (its keys refresh on schedule).
func (s *Store) RefreshKeys(ctx context.Context, issuer string) error {
	if s == nil {
		return errNilStore
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.client.Publish(ctx, s.channel(), "r:"+revoke.Key(issuer, "")).Err(); err != nil {
		return s.failure(ctx, err)
	}
	return nil
}

// Subscribe calls fn, until stop is called, for every revocation made
// through any Store on this Redis and prefix, and every
// [Store.RefreshKeys], as its message arrives on the channel: kind is
// "token", "subject", "session", "issuer", "key" or "refresh" (value: the
// jti, subject, sid or key; until: the key's until, zero otherwise), and
// "resync" after the subscription was (re)established, when messages may
// have been missed. fn runs on the subscription's goroutine and must not
// block. The first call starts the subscription (the local cache starts
// it too); [Store.Close] ends it. A jwtguard verifier built with this
// store subscribes when it is built and stops at its Close.
func (s *Store) Subscribe(fn func(kind, issuer, value string, until time.Time)) (stop func()) {
	if s == nil || fn == nil {
		return func() {}
	}
	remove := s.subs.Add(fn)
	s.startListener()
	return remove
}

// notify calls every subscriber.
func (s *Store) notify(kind, issuer, value string, until time.Time) {
	s.subs.Notify(kind, issuer, value, until)
}

// write runs the write and a PUBLISH of the cache key in one pipeline. The
// write's error is returned; a failed PUBLISH is not an error (the
// revocation is recorded; other caches see it within their TTL). The own
// cache is invalidated once the write is done, so that no answer read
// before it lands stays cached.
func (s *Store) write(ctx context.Context, cacheKey string, fn func(redis.Pipeliner)) error {
	if s.cache != nil {
		defer s.cache.invalidate(cacheKey)
	}
	return s.publishAfter(ctx, cacheKey, fn)
}

// publishAfter runs the write fn and a PUBLISH of msg in one pipeline; see
// write.
func (s *Store) publishAfter(ctx context.Context, msg string, fn func(redis.Pipeliner)) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmds, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		fn(p)
		p.Publish(ctx, s.channel(), msg)
		return nil
	})
	if len(cmds) > 0 {
		if werr := cmds[0].Err(); werr != nil && !errors.Is(werr, redis.Nil) {
			return s.failure(ctx, werr)
		}
		return nil
	}
	if err != nil {
		return s.failure(ctx, err)
	}
	return nil
}

// IsRevoked implements [jwtguard.RevocationStore]: c is revoked when its
// issuer's jti is on the denylist, its issuer's subject was revoked after
// c was issued (within the skew), its session (sid) was revoked, or its
// whole issuer was revoked after c was issued (within the skew). Key
// revocations are the verifier's to check ([Store.RevokedKeys]). It is
// one round trip (a pipeline of EXISTS and GET, one of each per entry
// the token can have), or none when the local cache holds every answer.
// It returns an error when Redis cannot answer.
func (s *Store) IsRevoked(ctx context.Context, c *jwtguard.Claims) (bool, error) {
	if s == nil {
		return false, errNilStore
	}
	if c == nil {
		return false, errors.New("redisstore: IsRevoked: nil claims")
	}
	iss := c.Entry()
	// The entries this token can have: [jti, subject, session, issuer];
	// "" when it has no such claim.
	var keys [4]string
	if c.ID != "" {
		keys[0] = cacheKey(kindJTI, iss, c.ID)
	}
	if c.Subject != "" {
		keys[1] = cacheKey(kindSubject, iss, c.Subject)
	}
	if c.SessionID != "" {
		keys[2] = cacheKey(kindSession, iss, c.SessionID)
	}
	keys[3] = cacheKey(kindIssuer, iss, "")
	now := s.settings.Now()
	var gen uint64
	if s.cache != nil {
		if s.cache.healthy.Load() {
			var hits [4]cacheEntry
			all := true
			for i, k := range keys {
				if k == "" {
					continue
				}
				e, ok := s.cache.get(k, now)
				if !ok {
					all = false
					break
				}
				hits[i] = e
			}
			if all {
				return s.decide(c, hits[0].revoked, hits[1].before, hits[2].revoked, hits[3].before), nil
			}
		}
		gen = s.cache.gen.Load()
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var jti, sid *redis.IntCmd
	var sub, issCmd *redis.StringCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if keys[0] != "" {
			jti = p.Exists(ctx, s.redisKey(keys[0]))
		}
		if keys[1] != "" {
			sub = p.Get(ctx, s.redisKey(keys[1]))
		}
		if keys[2] != "" {
			sid = p.Exists(ctx, s.redisKey(keys[2]))
		}
		issCmd = p.Get(ctx, s.redisKey(keys[3]))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, s.failure(ctx, err)
	}
	jRev := jti != nil && jti.Val() > 0
	eRev := sid != nil && sid.Val() > 0
	subBefore, err := s.beforeOf(ctx, sub, keys[1])
	if err != nil {
		return false, err
	}
	issBefore, err := s.beforeOf(ctx, issCmd, keys[3])
	if err != nil {
		return false, err
	}
	if s.cache != nil {
		answers := [4]cacheEntry{{revoked: jRev}, {before: subBefore}, {revoked: eRev}, {before: issBefore}}
		for i, k := range keys {
			if k != "" {
				s.cache.put(k, answers[i], now, gen)
			}
		}
	}
	return s.decide(c, jRev, subBefore, eRev, issBefore), nil
}

// beforeOf reads a "revoked before" time (Unix microseconds; 0 when the
// key does not exist or cmd is nil).
func (s *Store) beforeOf(ctx context.Context, cmd *redis.StringCmd, ck string) (int64, error) {
	if cmd == nil {
		return 0, nil
	}
	v, err := cmd.Result()
	switch {
	case errors.Is(err, redis.Nil):
		return 0, nil
	case err != nil:
		return 0, s.failure(ctx, err)
	}
	before, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redisstore: key %s holds %q, not a time", truncate(s.redisKey(ck)), truncate(v))
	}
	return before, nil
}

// decide combines the answers for c.
func (s *Store) decide(c *jwtguard.Claims, jti bool, subBefore int64, sid bool, issBefore int64) bool {
	return jti || sid || s.coveredBy(c, subBefore) || s.coveredBy(c, issBefore)
}

// failure describes a failed call: which Redis, and whether it timed out.
func (s *Store) failure(ctx context.Context, err error) error {
	return failure(ctx, s.where, s.timeout, err)
}

// failure describes a failed call to the Redis at where, bounded by
// timeout: which Redis, and whether it timed out. The client's read
// deadline is the context's, so its i/o timeout may come a moment before
// the context says it is done: a deadline that has passed counts.
func failure(ctx context.Context, where string, timeout time.Duration, err error) error {
	if dl, ok := ctx.Deadline(); ctx.Err() != nil || ok && !time.Now().Before(dl) {
		return fmt.Errorf("redisstore: redis at %s did not answer within %s: %w", where, timeout, err)
	}
	return fmt.Errorf("redisstore: redis at %s: %w", where, err)
}

// where names the server(s) of client, for error messages.
func where(client redis.UniversalClient) string {
	switch cl := client.(type) {
	case *redis.Client:
		return cl.Options().Addr
	case *redis.ClusterClient:
		return strings.Join(cl.Options().Addrs, ",")
	case *redis.Ring:
		return "ring"
	}
	return "redis"
}

// coveredBy applies a subject's or issuer's "revoked before" time (Unix
// microseconds, 0 for none) to c.
func (s *Store) coveredBy(c *jwtguard.Claims, before int64) bool {
	return before != 0 && revoke.Covers(time.UnixMicro(before), c.IssuedAt, s.settings.Skew)
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// listen applies the channel's messages: invalidations to the local cache
// (when there is one) and events to the subscribers. The cache is used only
// while the subscription is confirmed; after any error it is flushed, and
// go-redis reconnects and resubscribes on the next Receive; each
// confirmation tells the subscribers to resync, since messages may have
// been missed.
func (s *Store) listen() {
	defer close(s.done)
	ctx := context.Background()
	for {
		msg, err := s.ps.Receive(ctx)
		if err != nil {
			if s.cache != nil {
				s.cache.healthy.Store(false)
				s.cache.flush()
			}
			select {
			case <-s.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				// Messages may have been missed before this point.
				if s.cache != nil {
					s.cache.flush()
					s.cache.healthy.Store(true)
				}
				s.notify(revoke.KindResync, "", "", time.Time{})
			}
		case *redis.Message:
			s.apply(m.Payload)
		}
	}
}

// apply handles one message (see the package documentation): an
// invalidation of one cache entry, a key revocation or a refresh request.
// A message of another form flushes the whole cache.
func (s *Store) apply(msg string) {
	kind, rest := byte(0), ""
	if len(msg) >= 2 && msg[1] == ':' {
		kind, rest = msg[0], msg[2:]
	}
	switch kind {
	case kindJTI, kindSubject, kindSession, kindIssuer:
		if s.cache != nil {
			s.cache.invalidate(msg)
		}
		if iss, value, ok := revoke.ParseScoped(rest); ok {
			s.notify(eventKinds[kind], iss, value, time.Time{})
		}
		return
	case 'k':
		// k:<until µs>:<len(iss)>:<iss>:<key>
		if u, scoped, ok := strings.Cut(rest, ":"); ok {
			until, err := strconv.ParseInt(u, 10, 64)
			iss, key, ok := revoke.ParseScoped(scoped)
			if err == nil && ok && until >= 0 {
				var t time.Time
				if until > 0 {
					t = time.UnixMicro(until)
				}
				s.notify(revoke.KindKey, iss, key, t)
				return
			}
		}
	case 'r':
		if iss, _, ok := revoke.ParseScoped(rest); ok {
			s.notify(revoke.KindRefresh, iss, "", time.Time{})
			return
		}
	}
	if s.cache != nil {
		s.cache.flush()
	}
}

// eventKinds names the entry kinds for subscribers.
var eventKinds = map[byte]string{
	kindJTI: revoke.KindToken, kindSubject: revoke.KindSubject,
	kindSession: revoke.KindSession, kindIssuer: revoke.KindIssuer,
}
