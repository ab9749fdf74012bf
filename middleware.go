package jwtguard

import (
	"errors"
	"net/http"
	"slices"
	"strings"
)

// Policy decides whether verified claims may access a route. Authorize
// returns nil to allow, or an error (usually from [Deny]) to refuse with 403.
type Policy interface {
	Authorize(c *Claims) error
}

// PolicyFunc adapts a function to [Policy]. A plain error it returns becomes
// a 403 insufficient_scope response without details; return [Deny] to say
// what failed.
type PolicyFunc func(c *Claims) error

// Authorize calls f(c).
func (f PolicyFunc) Authorize(c *Claims) error { return f(c) }

// Deny returns a 403 insufficient_scope error with a description that a
// developer can act on. Never put token contents in it.
func Deny(description string) error { return newError(ErrForbidden, description) }

// denyScope is Deny with the scopes that would have been sufficient
// (RFC 6750 §3: scope attribute).
func denyScope(description string, scopes []string) error {
	e := newError(ErrForbidden, description)
	e.Scope = scopes
	return e
}

// RequireRole allows tokens that carry at least one of roles.
func RequireRole(roles ...string) Policy {
	return PolicyFunc(func(c *Claims) error {
		if c.HasAnyRole(roles...) {
			return nil
		}
		return Deny("requires role " + strings.Join(roles, " or "))
	})
}

// RequireAllRoles allows tokens that carry every one of roles.
func RequireAllRoles(roles ...string) Policy {
	return PolicyFunc(func(c *Claims) error {
		for _, r := range roles {
			if !c.HasRole(r) {
				return Deny("requires roles " + strings.Join(roles, " and "))
			}
		}
		return nil
	})
}

// RequireScope allows tokens that were granted every one of scopes. A
// denial names the scopes in WWW-Authenticate (RFC 6750 §3).
func RequireScope(scopes ...string) Policy {
	return PolicyFunc(func(c *Claims) error {
		for _, s := range scopes {
			if !c.HasScope(s) {
				return denyScope("requires scope "+strings.Join(scopes, " "), scopes)
			}
		}
		return nil
	})
}

// RequireTenant allows tokens whose tenant claim equals tenant. An empty
// tenant never matches.
func RequireTenant(tenant string) Policy {
	return PolicyFunc(func(c *Claims) error {
		if tenant != "" && c.Tenant == tenant {
			return nil
		}
		return Deny("token is not valid for this tenant")
	})
}

// RequireClaim allows tokens whose claim at path (a name or dotted path) is a
// string equal to one of values, or an array containing one of them. With no
// values, the claim only has to be present and not null.
func RequireClaim(path string, values ...string) Policy {
	return PolicyFunc(func(c *Claims) error {
		v, ok := c.Get(path)
		if ok && v != nil {
			if len(values) == 0 {
				return nil
			}
			switch x := v.(type) {
			case string:
				if slices.Contains(values, x) {
					return nil
				}
			case []any:
				for _, e := range x {
					if s, ok := e.(string); ok && slices.Contains(values, s) {
						return nil
					}
				}
			}
		}
		if len(values) == 0 {
			return Deny("requires claim " + path)
		}
		return Deny("requires claim " + path + " to be " + strings.Join(values, " or "))
	})
}

// AnyOf allows when at least one policy allows. The denial of the last
// policy is returned when none does.
func AnyOf(policies ...Policy) Policy {
	return PolicyFunc(func(c *Claims) error {
		err := Deny("no policy allowed the request")
		for _, p := range policies {
			if err = p.Authorize(c); err == nil {
				return nil
			}
		}
		return err
	})
}

// AllOf allows when every policy allows.
func AllOf(policies ...Policy) Policy {
	return PolicyFunc(func(c *Claims) error {
		for _, p := range policies {
			if err := p.Authorize(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// Authorize applies policies to c in order. Missing claims give 401
// ([ErrNoToken]); a denial gives an *Error with 403 insufficient_scope.
// Adapters call it for Require(...).
func Authorize(c *Claims, policies ...Policy) error {
	if c == nil {
		return newError(ErrNoToken, "this route requires a bearer token")
	}
	for _, p := range policies {
		if err := p.Authorize(c); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			d := newError(ErrForbidden, "access denied by policy")
			return d
		}
	}
	return nil
}

// Outcome is what the request flow decided for one request; adapters turn
// it into their framework's response.
type Outcome struct {
	// Claims are the verified claims, nil when the request proceeds without
	// credentials (optional credentials) or failed.
	Claims *Claims
	// Err is non-nil when the request must be refused; write it with
	// [WriteError] (or the adapter's error handler).
	Err error
}

// Check runs the framework-neutral request flow: authenticate r, then allow
// a request with no token at all if optional is set (a bad token is still
// refused). Adapters call it and only translate the outcome.
func (v *Verifier) Check(r *http.Request, optional bool) Outcome {
	c, err := v.Authenticate(r)
	if err != nil {
		if optional && errors.Is(err, ErrNoToken) {
			return Outcome{}
		}
		return Outcome{Err: err}
	}
	return Outcome{Claims: c}
}
