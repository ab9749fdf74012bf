package memory

import (
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/internal/revoke"
)

// defaultMaxEntries is the default of [WithMaxEntries].
const defaultMaxEntries = 1_000_000

// Option configures a [Store]; pass it to [New]. Every option is
// single-valued: giving one twice makes New fail with an error naming it.
type Option func(*config) error

type config struct {
	revoke.Settings
	maxEntries int
}

// WithMaxEntries bounds the number of unexpired entries, jti, subject,
// session, issuer and key entries together (default 1,000,000; n must be
// positive). When the store is full, the Revoke methods fail with
// [ErrFull].
func WithMaxEntries(n int) Option {
	return func(c *config) error {
		if err := c.Once("WithMaxEntries"); err != nil {
			return err
		}
		if n <= 0 {
			return fmt.Errorf("WithMaxEntries: %d is not positive", n)
		}
		c.maxEntries = n
		return nil
	}
}

// WithMaxTokenLifetime sets how long after its "before" time a subject
// entry is kept, plus the skew and the grace (default 24 h). Set it to at
// least the longest exp − iat of the tokens you accept: once the entry is
// gone, older tokens of the subject would pass again.
func WithMaxTokenLifetime(d time.Duration) Option {
	return func(c *config) error { return c.SetLifetime(d) }
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

// WithClock sets the time source (default time.Now), for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) error { return c.SetClock(now) }
}
