package jwtguard

import (
	"context"
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
