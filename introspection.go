package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Introspector asks an authorization server whether a token is active
// (RFC 7662). The introspect package provides one; configure it with
// [WithIntrospection].
type Introspector interface {
	// Introspect reports whether token is active. For an active token it
	// returns the answer's JSON object (its members become the Claims). jwt
	// is true for a JWT that already passed local verification: an
	// implementation that is not configured to check JWTs returns
	// (true, nil, nil) without a request. Errors (endpoint down, refused
	// credentials, bad answer, too busy) wrap [ErrIntrospectionUnavailable].
	// It must never put the token in an error or log.
	Introspect(ctx context.Context, token string, jwt bool) (active bool, answer []byte, err error)
}

// isCompactJWS reports whether token has the shape of a compact JWS (three
// parts); anything else is treated as opaque.
func isCompactJWS(token string) bool { return strings.Count(token, ".") == 2 }

// verifyWithIntrospection is Verify's path when WithIntrospection is set.
func (v *Verifier) verifyWithIntrospection(ctx context.Context, token string) (*Claims, error) {
	if isCompactJWS(token) && v.trust.hasEntries() {
		c, err := v.verify(ctx, token)
		if err != nil {
			return c, err
		}
		active, _, err := v.introspect(ctx, token, true)
		if err != nil {
			return c, err
		}
		if !active {
			return c, newError(ErrTokenInactive, "")
		}
		return c, nil
	}
	if len(token) > v.maxSize {
		return nil, newError(ErrTokenTooLarge, "")
	}
	if token == "" {
		return nil, newError(ErrNoToken, "")
	}
	active, answer, err := v.introspect(ctx, token, false)
	if err != nil {
		return nil, err
	}
	if !active {
		return nil, newError(ErrTokenInactive, "")
	}
	var slotBuf [maxWantedSlots][]byte
	slots := slotBuf[:0]
	if n := len(v.trust.want); n <= maxWantedSlots {
		slots = slotBuf[:n]
	} else {
		slots = make([][]byte, n)
	}
	c, err := parseRegistered(answer, v.trust.want, slots)
	if err != nil {
		return nil, err
	}
	c.introspected = true
	e := v.trust.entryForIssuer(c.Issuer)
	if e == nil {
		return c, newError(ErrInvalidIssuer, "the introspection answer names no trusted issuer")
	}
	if err := e.judge(c, answer, slots); err != nil {
		return c, err
	}
	return c, v.checkTimes(c, v.now())
}

// introspect asks the introspector and classifies its errors.
func (v *Verifier) introspect(ctx context.Context, token string, jwt bool) (bool, []byte, error) {
	active, answer, err := v.introspector.Introspect(ctx, token, jwt)
	if err != nil {
		if !errors.Is(err, ErrIntrospectionUnavailable) {
			err = fmt.Errorf("%w: %v", ErrIntrospectionUnavailable, err)
		}
		return false, nil, newError(err, "")
	}
	if active && !jwt && len(answer) == 0 {
		return false, nil, newError(fmt.Errorf("%w: an active answer without claims", ErrIntrospectionUnavailable), "")
	}
	return active, answer, nil
}
