package redisstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/internal/revoke"
)

// DefaultKeyPrefix starts every key and the pub/sub channel.
const DefaultKeyPrefix = "jwtguard:"

// DefaultTimeout bounds each call to Redis.
const DefaultTimeout = time.Second

// Option configures a [Store] ([New]), a [DPoPReplayCache]
// ([NewDPoPReplayCache]) or a [ThrottleStore] ([NewThrottleStore]).
// [WithKeyPrefix], [WithTimeout] and [WithClock] apply to all three;
// [WithProofQuota] to the replay cache only; the others to the Store
// only. Every option is single-valued: giving one twice, or to a
// constructor it does not apply to, makes it fail with an error naming
// the option.
type Option func(*config) error

type config struct {
	revoke.Settings
	prefix    string
	timeout   time.Duration
	cacheTTL  time.Duration
	cacheSize int
	perKey    int           // WithProofQuota
	window    time.Duration // WithProofQuota
}

// onlyFor lists the options of one constructor only: every other
// constructor refuses them. Options not listed apply to all.
var onlyFor = []struct{ option, constructor string }{
	{"WithGrace", "New"},
	{"WithSkew", "New"},
	{"WithMaxTokenLifetime", "New"},
	{"WithLocalCache", "New"},
	{"WithProofQuota", "NewDPoPReplayCache"},
}

// apply applies opts to c for constructor and refuses the options that
// belong to another constructor.
func (c *config) apply(opts []Option, constructor string) error {
	for _, o := range opts {
		if o == nil {
			return errors.New("redisstore: nil Option")
		}
		if err := o(c); err != nil {
			return fmt.Errorf("redisstore: %w", err)
		}
	}
	for _, o := range onlyFor {
		if o.constructor != constructor && c.Given(o.option) {
			return fmt.Errorf("redisstore: %s applies to %s only", o.option, o.constructor)
		}
	}
	return nil
}

// WithKeyPrefix sets the prefix of every key and of the channel (default
// [DefaultKeyPrefix]). Use one prefix per set of services that share
// revocations, or DPoP proofs.
func WithKeyPrefix(prefix string) Option {
	return func(c *config) error {
		if err := c.Once("WithKeyPrefix"); err != nil {
			return err
		}
		if prefix == "" {
			return fmt.Errorf("WithKeyPrefix: empty prefix")
		}
		c.prefix = prefix
		return nil
	}
}

// WithTimeout bounds each call to Redis (default [DefaultTimeout]); the
// client's own timeouts apply too (see the package documentation).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if err := c.Once("WithTimeout"); err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("WithTimeout: %s is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithGrace sets how long past a token's exp its entry is kept (default
// 5 min, the verifier's maximum leeway; d must not be negative). The
// verifier accepts a token until exp plus its leeway, so an entry dropped
// earlier would un-revoke the token: jwtguard's New refuses a store whose
// grace is below the verifier's leeway.
func WithGrace(d time.Duration) Option {
	return func(c *config) error { return c.SetGrace(d) }
}

// WithSkew sets the issuer clock skew that subject revocations tolerate
// (default 30 s, the verifier's default leeway; d must not be negative):
// RevokeSubject(ctx, iss, sub, before) revokes the tokens whose iat is
// before before + d. The verifier accepts an iat up to its leeway in the
// future, so a token minted just before a "log out everywhere" by an
// identity provider whose clock runs ahead would otherwise survive it.
// The price: a fresh login made within d after the revocation is refused
// too, and the user signs in again. jwtguard's New refuses a store whose
// skew is below the verifier's leeway.
func WithSkew(d time.Duration) Option {
	return func(c *config) error { return c.SetSkew(d) }
}

// WithMaxTokenLifetime sets how long after its "before" time a subject
// entry is kept, plus the skew and the grace (default 24 h). Set it to at
// least the longest exp − iat of the tokens you accept: once the entry is
// gone, older tokens of the subject would pass again.
func WithMaxTokenLifetime(d time.Duration) Option {
	return func(c *config) error { return c.SetLifetime(d) }
}

// WithLocalCache keeps up to size answers in process memory for at most
// ttl (at most one minute), invalidated through Redis pub/sub: a check that
// hits the cache costs no round trip. ttl is the staleness bound when an
// invalidation message is lost; see the package documentation. Call
// [Store.Close] to stop the subscription.
func WithLocalCache(ttl time.Duration, size int) Option {
	return func(c *config) error {
		if err := c.Once("WithLocalCache"); err != nil {
			return err
		}
		if ttl <= 0 || ttl > time.Minute {
			return fmt.Errorf("WithLocalCache: ttl %s is outside (0, 1m]", ttl)
		}
		if size <= 0 {
			return fmt.Errorf("WithLocalCache: size %d is not positive", size)
		}
		c.cacheTTL, c.cacheSize = ttl, size
		return nil
	}
}

// WithClock sets the time source (default time.Now), for tests. Entry
// lifetimes in Redis use it too: a DPoP proof's entry expires (PX) at its
// until time by this clock. A [ThrottleStore] dates its local verdicts
// with it (its counts in Redis use the Redis server's clock).
func WithClock(now func() time.Time) Option {
	return func(c *config) error { return c.SetClock(now) }
}

// WithProofQuota sets how many proofs one DPoP key (by its thumbprint) may
// use per window, for [NewDPoPReplayCache] only (default
// dpop.DefaultProofsPerKey per dpop.DefaultProofLifetime; pass the
// verifier's proof lifetime). Past it, Use answers dpop.ErrKeyQuota (429)
// and records nothing, so that one stolen token and key cannot fill Redis
// for everyone. window is at most one hour.
func WithProofQuota(perKey int, window time.Duration) Option {
	return func(c *config) error {
		if err := c.Once("WithProofQuota"); err != nil {
			return err
		}
		if perKey <= 0 {
			return fmt.Errorf("WithProofQuota: %d proofs is not positive", perKey)
		}
		if window < time.Millisecond || window > time.Hour {
			return fmt.Errorf("WithProofQuota: window %s is outside [1ms, 1h]", window)
		}
		c.perKey, c.window = perKey, window
		return nil
	}
}
