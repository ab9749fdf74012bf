package jwtguard

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// Policy decides whether verified claims may access a route: it returns nil
// to allow, or an error to refuse with 403 insufficient_scope. Return
// [Deny] to say what failed; a plain error gives a 403 without details.
type Policy func(c *Claims) error

// Deny returns a 403 insufficient_scope error with a description that a
// developer can act on. Never put token contents in it.
func Deny(description string) error { return newError(ErrForbidden, description) }

// RequireAnyRole allows tokens that carry at least one of roles. For all of
// several roles, combine: AllOf(RequireAnyRole("a"), RequireAnyRole("b")).
func RequireAnyRole(roles ...string) Policy {
	return Policy(func(c *Claims) error {
		for _, r := range roles {
			if slices.Contains(c.Roles, r) {
				return nil
			}
		}
		return Deny("requires role " + strings.Join(roles, " or "))
	})
}

// RequireAllScopes allows tokens that were granted every one of scopes. A
// denial names the scopes in WWW-Authenticate (RFC 6750 §3). For any of
// several scopes, combine with [AnyOf].
func RequireAllScopes(scopes ...string) Policy {
	return Policy(func(c *Claims) error {
		for _, s := range scopes {
			if !slices.Contains(c.Scopes, s) {
				e := newError(ErrForbidden, "requires scope "+strings.Join(scopes, " "))
				e.Scope = scopes
				return e
			}
		}
		return nil
	})
}

// RequireAllPermissions allows tokens whose user holds every one of
// permissions ([Claims].Permissions, e.g. Auth0 RBAC). Scopes never count
// as permissions.
func RequireAllPermissions(permissions ...string) Policy {
	return Policy(func(c *Claims) error {
		for _, p := range permissions {
			if !slices.Contains(c.Permissions, p) {
				return Deny("requires permission " + strings.Join(permissions, " and "))
			}
		}
		return nil
	})
}

// RequireTenant allows tokens that name tenant among their tenants. An
// empty tenant never matches.
func RequireTenant(tenant string) Policy {
	return Policy(func(c *Claims) error {
		if tenant != "" && slices.Contains(c.Tenants, tenant) {
			return nil
		}
		return Deny("token is not valid for this tenant")
	})
}

// RequireIssuer allows tokens accepted by one of the named issuer entries:
// each name is an entry's canonical issuer ([Claims.Entry]; any alias of
// the entry matches through it) or an entry's ID as configured, a
// template included ("https://login.microsoftonline.com/{tenantid}/v2.0"
// matches every tenant of that entry). In a verifier that trusts several
// issuers, it pins a route to one of them.
func RequireIssuer(names ...string) Policy {
	ns := slices.Clone(names)
	return Policy(func(c *Claims) error {
		for _, n := range ns {
			if n == "" {
				continue
			}
			if n == c.Entry() || (c.ent != nil && n == c.ent.id) {
				return nil
			}
		}
		return Deny("requires a token of issuer " + strings.Join(ns, " or "))
	})
}

// RequireClaim allows tokens whose claim at path (see [Claims.Get] for the
// path syntax) matches one of values, compared by JSON type: a string value
// matches a string claim or a string in an array claim; a bool matches a
// boolean claim (RequireClaim("email_verified", true) refuses "true" and
// false); an int or float64 matches a number. With no values, the claim
// only has to be present: any value other than "", null, false and [] (so
// "admin": false does not pass).
func RequireClaim(path string, values ...any) Policy {
	p, err := parseClaimPath(path)
	for _, v := range values {
		switch v.(type) {
		case string, bool, int, int64, float64:
		default:
			err = fmt.Errorf("RequireClaim(%q): value of unsupported type %T", path, v)
		}
	}
	return Policy(func(c *Claims) error {
		if err != nil {
			// A programming error: refuse every request, loudly.
			return Deny("misconfigured policy: " + err.Error())
		}
		raw, ok := p.lookup(c.rawBytes(), nil)
		if ok && present(raw) {
			if len(values) == 0 || claimMatches(raw, values) {
				return nil
			}
		}
		if len(values) == 0 {
			return Deny("requires claim " + path)
		}
		want := make([]string, len(values))
		for i, v := range values {
			want[i] = fmt.Sprint(v)
		}
		return Deny("requires claim " + path + " to be " + strings.Join(want, " or "))
	})
}

// claimMatches compares a raw JSON value with typed wanted values.
func claimMatches(raw []byte, values []any) bool {
	if raw[0] == '[' {
		l, err := strictjson.Strings(raw) // only arrays of strings match
		if err != nil {
			return false
		}
		for _, s := range l {
			if slices.Contains(values, any(s)) {
				return true
			}
		}
		return false
	}
	for _, v := range values {
		switch w := v.(type) {
		case string:
			if s, err := strictjson.String(raw); err == nil && s == w {
				return true
			}
		case bool:
			if b, err := strictjson.Bool(raw); err == nil && b == w {
				return true
			}
		case int:
			if f, err := strictjson.Number(raw); err == nil && f == float64(w) {
				return true
			}
		case int64:
			if f, err := strictjson.Number(raw); err == nil && f == float64(w) {
				return true
			}
		case float64:
			if f, err := strictjson.Number(raw); err == nil && f == w {
				return true
			}
		}
	}
	return false
}

// AnyOf allows when at least one policy allows. The denial of the last
// policy is returned when none does.
func AnyOf(policies ...Policy) Policy {
	return Policy(func(c *Claims) error {
		err := Deny("no policy allowed the request")
		for _, p := range policies {
			if err = p(c); err == nil {
				return nil
			}
		}
		return err
	})
}

// AllOf allows when every policy allows.
func AllOf(policies ...Policy) Policy {
	return Policy(func(c *Claims) error {
		for _, p := range policies {
			if err := p(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// Authorize applies policies to c in order, for adapters and handlers. No
// claims give 401 ([ErrNoToken]); a denial gives an *Error with 403
// insufficient_scope (a policy's plain error included).
func Authorize(c *Claims, policies ...Policy) error {
	if c == nil {
		return newError(ErrNoToken, "this route requires a bearer token")
	}
	for _, p := range policies {
		if err := p(c); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			return newError(ErrForbidden, "access denied by policy")
		}
	}
	return nil
}
