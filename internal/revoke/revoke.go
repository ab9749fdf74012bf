// Package revoke holds what the revocation stores (github.com/jwtguard/jwtguard/memory
// and github.com/jwtguard/jwtguard/redis) share, so that both decide alike:
// the settings every store takes and their defaults, the rule that decides
// whether a subject revocation covers a token, how long entries are kept,
// and the issuer-scoped key format.
package revoke

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Defaults of the settings both stores take.
const (
	// DefaultGrace is how long past a token's exp its entry is kept: the
	// verifier's maximum leeway, so that no leeway it can be configured
	// with accepts a token whose entry is already gone.
	DefaultGrace = 5 * time.Minute
	// DefaultSkew is how far ahead of a subject revocation's time a
	// token's iat may be and still be revoked: the verifier's default
	// leeway, which is how far in the future it accepts an iat.
	DefaultSkew = 30 * time.Second
	// DefaultMaxTokenLifetime is how long after its "before" time a
	// subject entry is kept (plus Skew and Grace).
	DefaultMaxTokenLifetime = 24 * time.Hour
)

// maxDuration bounds every duration setting, so that sums of them and
// times plus them never overflow.
const maxDuration = 10 * 365 * 24 * time.Hour

// Settings are the options both stores take. Options record into it
// through its Set methods; the zero value is not usable, start from
// [Defaults].
type Settings struct {
	Grace    time.Duration
	Skew     time.Duration
	Lifetime time.Duration
	Now      func() time.Time

	given map[string]bool
}

// Defaults returns the default Settings.
func Defaults() Settings {
	return Settings{Grace: DefaultGrace, Skew: DefaultSkew, Lifetime: DefaultMaxTokenLifetime, Now: time.Now}
}

// Once returns an error naming option when it was given before: every
// option of the stores is single-valued.
func (s *Settings) Once(option string) error {
	if s.given[option] {
		return fmt.Errorf("%s given twice", option)
	}
	if s.given == nil {
		s.given = map[string]bool{}
	}
	s.given[option] = true
	return nil
}

// Given reports whether option was given.
func (s *Settings) Given(option string) bool { return s.given[option] }

// SetGrace records WithGrace.
func (s *Settings) SetGrace(d time.Duration) error {
	return s.setDuration("WithGrace", &s.Grace, d, 0)
}

// SetSkew records WithSkew.
func (s *Settings) SetSkew(d time.Duration) error {
	return s.setDuration("WithSkew", &s.Skew, d, 0)
}

// SetLifetime records WithMaxTokenLifetime.
func (s *Settings) SetLifetime(d time.Duration) error {
	return s.setDuration("WithMaxTokenLifetime", &s.Lifetime, d, 1)
}

// SetClock records WithClock.
func (s *Settings) SetClock(now func() time.Time) error {
	if err := s.Once("WithClock"); err != nil {
		return err
	}
	if now == nil {
		return errors.New("WithClock: nil clock")
	}
	s.Now = now
	return nil
}

func (s *Settings) setDuration(option string, dst *time.Duration, d, min time.Duration) error {
	if err := s.Once(option); err != nil {
		return err
	}
	if d < min || d > maxDuration {
		return fmt.Errorf("%s: %s is outside [%s, %s]", option, d, min, maxDuration)
	}
	*dst = d
	return nil
}

// TokenUntil is when the entry of a token expiring at exp may go: the
// verifier accepts the token until exp plus its leeway, at most Grace.
func (s *Settings) TokenUntil(exp time.Time) time.Time { return exp.Add(s.Grace) }

// SubjectUntil is when a subject entry revoking tokens issued before
// before may go: [Covers] revokes an iat up to before + Skew, such a token
// lives at most Lifetime, and the verifier accepts it for at most Grace
// past its exp.
func (s *Settings) SubjectUntil(before time.Time) time.Time {
	return before.Add(s.Lifetime + s.Skew + s.Grace)
}

// Covers reports whether a subject revocation of the tokens issued before
// before covers a token issued at iat (zero: no iat, always covered). The
// verifier accepts an iat up to its leeway in the future, so a token
// minted just before the revocation by an issuer whose clock runs ahead
// carries an iat after before: every iat before before + skew is covered.
// This also covers a token minted within skew after the revocation.
func Covers(before, iat time.Time, skew time.Duration) bool {
	return iat.IsZero() || iat.Before(before.Add(skew))
}

// Key scopes value (a jti or a subject) by its token's issuer: jti and sub
// are unique only per issuer (RFC 7519 §4.1.2, §4.1.7). The issuer is
// length-prefixed, "<len(issuer)>:<issuer>:<value>", so no issuer and
// value pair reads as another, whatever characters either holds.
func Key(issuer, value string) string { return PrefixedKey("", issuer, value) }

// PrefixedKey is prefix + Key(issuer, value), built with one allocation.
func PrefixedKey(prefix, issuer, value string) string {
	return prefix + strconv.Itoa(len(issuer)) + ":" + issuer + ":" + value
}
