// Package redisstore is a Redis-backed revocation store for jwtguard, so
// that several instances of a service agree on logouts. It implements
// [jwtguard.RevocationStore] and [jwtguard.Revoker] over any go-redis v9
// [redis.UniversalClient] (single node, Sentinel failover or Cluster).
//
// Data model (all keys start with the prefix, default "jwtguard:"):
//
//	<prefix>jti:<jti>  "1", expiring at the token's exp + grace
//	                   (SET ... PX <remaining lifetime>)
//	<prefix>sub:<sub>  "revoked before" as Unix microseconds, only ever
//	                   raised (a Lua script), expiring MaxTokenLifetime +
//	                   grace after that time
//
// A check costs one round trip (a pipeline of EXISTS and GET), unless the
// optional local cache ([WithLocalCache]) answers. Revocations are
// published on <prefix>revocations so that every Store with a local cache
// drops its cached answer at once.
//
// Staleness bound with the local cache: a revocation made through any Store
// on the same Redis is honoured by the other instances as soon as its
// pub/sub message arrives. If the message is lost (connection dropped,
// network partition, or a key written to Redis by other means), a cached
// "not revoked" answer is reused for at most the cache TTL. While the
// subscription is down the cache is flushed and not used, so every check
// goes to Redis. Without the local cache there is no staleness: every check
// reads Redis.
//
// Failure: when Redis cannot answer, IsRevoked returns an error and the
// verifier fails closed (503, [jwtguard.ErrRevocationUnavailable]). Give the
// client short timeouts so that a request does not hang on an unreachable
// Redis: e.g. DialTimeout and ReadTimeout of a few hundred milliseconds,
// ContextTimeoutEnabled: true, and few retries (MaxRetries, DialerRetries).
// [WithTimeout] bounds each call through its context.
//
// Durability: revocations live as long as Redis keeps its data. Enable AOF
// or RDB persistence (or a replica with Sentinel) so that a Redis restart
// does not forget revocations.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/redis/go-redis/v9"
)

// DefaultKeyPrefix starts every key and the pub/sub channel.
const DefaultKeyPrefix = "jwtguard:"

// DefaultTimeout bounds each call to Redis.
const DefaultTimeout = time.Second

// Option configures a Store.
type Option func(*Store) error

// WithKeyPrefix sets the prefix of every key and of the channel (default
// [DefaultKeyPrefix]). Use one prefix per set of services that share
// revocations.
func WithKeyPrefix(prefix string) Option {
	return func(s *Store) error {
		if prefix == "" {
			return errors.New("empty key prefix")
		}
		s.prefix = prefix
		return nil
	}
}

// WithTimeout bounds each call to Redis (default [DefaultTimeout]); the
// client's own timeouts apply too (see the package documentation).
func WithTimeout(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return errors.New("timeout must be positive")
		}
		s.timeout = d
		return nil
	}
}

// WithGrace sets how long past a token's exp its entry is kept (default
// [jwtguard.RevocationGrace], the maximum verifier leeway).
func WithGrace(d time.Duration) Option {
	return func(s *Store) error {
		if d < 0 {
			return errors.New("grace must not be negative")
		}
		s.grace = d
		return nil
	}
}

// WithMaxTokenLifetime sets how long after its "before" time a subject
// entry is kept (default [jwtguard.DefaultMaxTokenLifetime]); set it to at
// least the longest exp − iat of the tokens you accept.
func WithMaxTokenLifetime(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return errors.New("max token lifetime must be positive")
		}
		s.lifetime = d
		return nil
	}
}

// WithLocalCache keeps up to size answers in process memory for at most
// ttl (at most one minute), invalidated through Redis pub/sub: a check that
// hits the cache costs no round trip. ttl is the staleness bound when an
// invalidation message is lost; see the package documentation. Call
// [Store.Close] to stop the subscription.
func WithLocalCache(ttl time.Duration, size int) Option {
	return func(s *Store) error {
		if ttl <= 0 || ttl > time.Minute {
			return errors.New("local cache ttl must be within (0, 1m]")
		}
		if size <= 0 {
			return errors.New("local cache size must be positive")
		}
		s.cache = &localCache{ttl: ttl, size: size, m: map[string]cacheEntry{}}
		return nil
	}
}

// WithClock sets the time source (for tests). Entry lifetimes in Redis use
// it too.
func WithClock(now func() time.Time) Option {
	return func(s *Store) error {
		if now == nil {
			return errors.New("nil clock")
		}
		s.now = now
		return nil
	}
}

// Store is a Redis revocation store. It is safe for concurrent use.
type Store struct {
	client   redis.UniversalClient
	where    string // the server(s), for error messages
	prefix   string
	timeout  time.Duration
	grace    time.Duration
	lifetime time.Duration
	now      func() time.Time
	cache    *localCache

	ps        *redis.PubSub
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var (
	_ jwtguard.RevocationStore = (*Store)(nil)
	_ jwtguard.Revoker         = (*Store)(nil)
)

// New returns a Store using client. It does not contact Redis (so a service
// can start while Redis is down; checks then fail closed). With
// [WithLocalCache] it starts a subscription goroutine; stop it with Close.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	s := &Store{
		client: client, prefix: DefaultKeyPrefix, timeout: DefaultTimeout,
		grace: jwtguard.RevocationGrace, lifetime: jwtguard.DefaultMaxTokenLifetime, now: time.Now,
	}
	switch c := client.(type) {
	case *redis.Client:
		s.where = c.Options().Addr
	case *redis.ClusterClient:
		s.where = strings.Join(c.Options().Addrs, ",")
	case *redis.Ring:
		s.where = "ring"
	default:
		s.where = "redis"
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("redisstore: nil Option")
		}
		if err := o(s); err != nil {
			return nil, fmt.Errorf("redisstore: %w", err)
		}
	}
	if s.cache != nil {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		s.ps = client.Subscribe(context.Background(), s.channel())
		go s.listen()
	}
	return s, nil
}

// Close stops the local cache's subscription. It does not close the client.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.ps != nil {
			close(s.stop)
			_ = s.ps.Close()
			<-s.done
		}
	})
	return nil
}

// Subscribed reports whether the local cache is in use: its invalidation
// subscription is confirmed and has not failed since. It is false without
// [WithLocalCache].
func (s *Store) Subscribed() bool { return s.cache != nil && s.cache.healthy.Load() }

func (s *Store) jtiKey(jti string) string { return s.prefix + "jti:" + jti }
func (s *Store) subKey(sub string) string { return s.prefix + "sub:" + sub }
func (s *Store) channel() string          { return s.prefix + "revocations" }

// RevokeToken revokes the token with this jti until exp + grace, and tells
// the other instances' local caches.
func (s *Store) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	if jti == "" {
		return errors.New("redisstore: RevokeToken: empty jti")
	}
	ttl := exp.Add(s.grace).Sub(s.now())
	if ttl <= 0 {
		return nil // already expired beyond any leeway
	}
	return s.write(ctx, "j:"+jti, func(p redis.Pipeliner) {
		p.Set(ctx, s.jtiKey(jti), "1", max(ttl, time.Millisecond))
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

// RevokeSubject revokes every token of sub whose iat is before before (a
// token without iat too), and tells the other instances' local caches. A
// later call with an earlier time does not shorten a revocation. iat has
// one-second resolution unless the issuer writes fractions, so a token
// issued in the same second may be revoked too.
func (s *Store) RevokeSubject(ctx context.Context, sub string, before time.Time) error {
	if sub == "" {
		return errors.New("redisstore: RevokeSubject: empty subject")
	}
	ttl := before.Add(s.lifetime + s.grace).Sub(s.now())
	if ttl <= 0 {
		return nil
	}
	return s.write(ctx, "s:"+sub, func(p redis.Pipeliner) {
		raiseScript.Eval(ctx, p, []string{s.subKey(sub)}, before.UnixMicro(), max(ttl.Milliseconds(), 1))
	})
}

// write runs the write and a PUBLISH of the cache key in one pipeline. The
// write's error is returned; a failed PUBLISH is not an error (the
// revocation is recorded; other caches see it within their TTL).
func (s *Store) write(ctx context.Context, cacheKey string, fn func(redis.Pipeliner)) error {
	if s.cache != nil {
		s.cache.invalidate(cacheKey)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmds, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		fn(p)
		p.Publish(ctx, s.channel(), cacheKey)
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

// IsRevoked implements [jwtguard.RevocationStore]: revoked if c's jti is on
// the denylist, or c's subject was revoked after c was issued. It returns
// an error when Redis cannot answer.
func (s *Store) IsRevoked(ctx context.Context, c *jwtguard.Claims) (bool, error) {
	if c.ID == "" && c.Subject == "" {
		return false, nil
	}
	now := s.now()
	var gen uint64
	if s.cache != nil {
		if s.cache.healthy.Load() {
			jOK, sOK := c.ID == "", c.Subject == ""
			var jRev bool
			var before int64
			if !jOK {
				if e, ok := s.cache.get("j:"+c.ID, now); ok {
					jOK, jRev = true, e.revoked
				}
			}
			if !sOK {
				if e, ok := s.cache.get("s:"+c.Subject, now); ok {
					sOK, before = true, e.before
				}
			}
			if jOK && sOK {
				return jRev || subjectRevoked(c, before), nil
			}
		}
		gen = s.cache.gen.Load()
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var exists *redis.IntCmd
	var subCmd *redis.StringCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if c.ID != "" {
			exists = p.Exists(ctx, s.jtiKey(c.ID))
		}
		if c.Subject != "" {
			subCmd = p.Get(ctx, s.subKey(c.Subject))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, s.failure(ctx, err)
	}
	jRev := exists != nil && exists.Val() > 0
	var before int64
	if subCmd != nil {
		v, err := subCmd.Result()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return false, s.failure(ctx, err)
		default:
			if before, err = strconv.ParseInt(v, 10, 64); err != nil {
				return false, fmt.Errorf("redisstore: key %s holds %q, not a time", s.subKey(c.Subject), truncate(v))
			}
		}
	}
	if s.cache != nil {
		if c.ID != "" {
			s.cache.put("j:"+c.ID, cacheEntry{revoked: jRev}, now, gen)
		}
		if c.Subject != "" {
			s.cache.put("s:"+c.Subject, cacheEntry{before: before}, now, gen)
		}
	}
	return jRev || subjectRevoked(c, before), nil
}

// failure describes a failed call: which Redis, and whether it timed out.
func (s *Store) failure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("redisstore: redis at %s did not answer within %s: %w", s.where, s.timeout, err)
	}
	return fmt.Errorf("redisstore: redis at %s: %w", s.where, err)
}

// subjectRevoked applies a "revoked before" time (Unix microseconds, 0 for
// none) to c.
func subjectRevoked(c *jwtguard.Claims, before int64) bool {
	if before == 0 {
		return false
	}
	return c.IssuedAt.IsZero() || c.IssuedAt.UnixMicro() < before
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

// listen applies invalidation messages to the local cache. The cache is
// used only while the subscription is confirmed; after any error it is
// flushed, and go-redis reconnects and resubscribes on the next Receive.
func (s *Store) listen() {
	defer close(s.done)
	ctx := context.Background()
	for {
		msg, err := s.ps.Receive(ctx)
		if err != nil {
			s.cache.healthy.Store(false)
			s.cache.flush()
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
				s.cache.flush()
				s.cache.healthy.Store(true)
			}
		case *redis.Message:
			if strings.HasPrefix(m.Payload, "j:") || strings.HasPrefix(m.Payload, "s:") {
				s.cache.invalidate(m.Payload)
			} else {
				s.cache.flush()
			}
		}
	}
}

// localCache holds recent answers: "j:<jti>" → revoked, "s:<sub>" → before.
type localCache struct {
	ttl     time.Duration
	size    int
	healthy atomic.Bool
	gen     atomic.Uint64 // bumped by every invalidation

	mu sync.RWMutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	revoked bool
	before  int64
	until   time.Time
}

func (lc *localCache) get(key string, now time.Time) (cacheEntry, bool) {
	lc.mu.RLock()
	e, ok := lc.m[key]
	lc.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return cacheEntry{}, false
	}
	return e, true
}

// put stores e unless an invalidation happened since gen was read (the
// answer may predate it) or the subscription is down.
func (lc *localCache) put(key string, e cacheEntry, now time.Time, gen uint64) {
	e.until = now.Add(lc.ttl)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.gen.Load() != gen || !lc.healthy.Load() {
		return
	}
	if _, exists := lc.m[key]; !exists && len(lc.m) >= lc.size {
		for k := range lc.m { // evict an arbitrary entry
			delete(lc.m, k)
			break
		}
	}
	lc.m[key] = e
}

func (lc *localCache) invalidate(key string) {
	lc.mu.Lock()
	lc.gen.Add(1)
	delete(lc.m, key)
	lc.mu.Unlock()
}

func (lc *localCache) flush() {
	lc.mu.Lock()
	lc.gen.Add(1)
	clear(lc.m)
	lc.mu.Unlock()
}
