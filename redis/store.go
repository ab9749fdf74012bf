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

	ps        *redis.PubSub
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
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
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		s.ps = client.Subscribe(context.Background(), s.channel())
		go s.listen()
	}
	return s, nil
}

// Close stops the local cache's subscription. It does not close the client.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
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

// cacheKey is an entry's local cache key and invalidation message: kind
// ('j' or 's'), ':', and the issuer-scoped value.
func cacheKey(kind byte, issuer, value string) string {
	if kind == 's' {
		return revoke.PrefixedKey("s:", issuer, value)
	}
	return revoke.PrefixedKey("j:", issuer, value)
}

// redisKey is the Redis key of the entry named by a cache key.
func (s *Store) redisKey(cacheKey string) string {
	kind := "jti:"
	if cacheKey[0] == 's' {
		kind = "sub:"
	}
	return s.prefix + kind + cacheKey[2:]
}

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
	ck := cacheKey('j', issuer, jti)
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
	ck := cacheKey('s', issuer, sub)
	return s.write(ctx, ck, func(p redis.Pipeliner) {
		raiseScript.Eval(ctx, p, []string{s.redisKey(ck)}, before.UnixMicro(), max(ttl.Milliseconds(), 1))
	})
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

// IsRevoked implements [jwtguard.RevocationStore]: c is revoked when its
// issuer's jti is on the denylist, or its issuer's subject was revoked
// after c was issued (within the skew). It returns an error when Redis
// cannot answer.
func (s *Store) IsRevoked(ctx context.Context, c *jwtguard.Claims) (bool, error) {
	if s == nil {
		return false, errNilStore
	}
	if c == nil {
		return false, errors.New("redisstore: IsRevoked: nil claims")
	}
	if c.ID == "" && c.Subject == "" {
		return false, nil
	}
	var jKey, sKey string
	if c.ID != "" {
		jKey = cacheKey('j', c.Entry(), c.ID)
	}
	if c.Subject != "" {
		sKey = cacheKey('s', c.Entry(), c.Subject)
	}
	now := s.settings.Now()
	var gen uint64
	if s.cache != nil {
		if s.cache.healthy.Load() {
			jOK, sOK := jKey == "", sKey == ""
			var jRev bool
			var before int64
			if !jOK {
				if e, ok := s.cache.get(jKey, now); ok {
					jOK, jRev = true, e.revoked
				}
			}
			if !sOK {
				if e, ok := s.cache.get(sKey, now); ok {
					sOK, before = true, e.before
				}
			}
			if jOK && sOK {
				return jRev || s.subjectRevoked(c, before), nil
			}
		}
		gen = s.cache.gen.Load()
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var exists *redis.IntCmd
	var subCmd *redis.StringCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if jKey != "" {
			exists = p.Exists(ctx, s.redisKey(jKey))
		}
		if sKey != "" {
			subCmd = p.Get(ctx, s.redisKey(sKey))
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
				return false, fmt.Errorf("redisstore: key %s holds %q, not a time", truncate(s.redisKey(sKey)), truncate(v))
			}
		}
	}
	if s.cache != nil {
		if jKey != "" {
			s.cache.put(jKey, cacheEntry{revoked: jRev}, now, gen)
		}
		if sKey != "" {
			s.cache.put(sKey, cacheEntry{before: before}, now, gen)
		}
	}
	return jRev || s.subjectRevoked(c, before), nil
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

// subjectRevoked applies a "revoked before" time (Unix microseconds, 0 for
// none) to c.
func (s *Store) subjectRevoked(c *jwtguard.Claims, before int64) bool {
	return before != 0 && revoke.Covers(time.UnixMicro(before), c.IssuedAt, s.settings.Skew)
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
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
