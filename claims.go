package jwtguard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// Claims holds a verified token's claims. The registered claims (RFC 7519
// §4.1) are typed; roles, scopes and tenant are read from the configured
// claim paths; everything else is reachable with [Claims.Decode] and
// [Claims.Get].
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	ExpiresAt time.Time
	NotBefore time.Time // zero when the token has no nbf
	IssuedAt  time.Time // zero when the token has no iat
	ID        string    // jti, "" when absent

	// Scopes from "scope" (space-separated) and/or "scp" (array or
	// space-separated string), or from the WithScopeClaim path.
	Scopes []string
	// Roles from the WithRoleClaim path (default "roles"); a string or an
	// array of strings.
	Roles []string
	// Tenant from the WithTenantClaim path (default "tenant_id").
	Tenant string

	// Algorithm and KeyID are the verified token's header alg and kid;
	// TokenType is its typ header.
	Algorithm string
	KeyID     string
	TokenType string

	raw []byte
}

// Raw returns the token's JSON claim set, exactly as signed.
func (c *Claims) Raw() json.RawMessage { return json.RawMessage(c.raw) }

// Decode unmarshals the claim set into v (a pointer to a struct with json
// tags, or a map), for custom typed claims. It uses encoding/json, which
// matches member names case-insensitively; the typed fields of Claims
// (Issuer, Tenant, Roles, ...) come from jwtguard's strict reader, which
// matches them exactly, so authorize on those.
func (c *Claims) Decode(v any) error {
	if err := json.Unmarshal(c.raw, v); err != nil {
		return fmt.Errorf("jwtguard: decoding claims: %w", err)
	}
	return nil
}

// Get returns the claim at path (a name, or a dotted path into objects)
// decoded as a Go value (string, float64, bool, []any, map[string]any).
func (c *Claims) Get(path string) (any, bool) {
	raw, ok := lookupPath(c.raw, path)
	if !ok {
		return nil, false
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return v, true
}

// HasRole reports whether the token carries role.
func (c *Claims) HasRole(role string) bool { return c != nil && slices.Contains(c.Roles, role) }

// HasAnyRole reports whether the token carries at least one of roles.
func (c *Claims) HasAnyRole(roles ...string) bool {
	for _, r := range roles {
		if c.HasRole(r) {
			return true
		}
	}
	return false
}

// HasScope reports whether the token was granted scope.
func (c *Claims) HasScope(scope string) bool { return c != nil && slices.Contains(c.Scopes, scope) }

// HasAudience reports whether aud is one of the token's audiences.
func (c *Claims) HasAudience(aud string) bool {
	return c != nil && slices.Contains(c.Audience, aud)
}

type claimsKey struct{}

// NewContext returns a copy of ctx carrying c.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the claims stored by the middleware, if any.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// claimPaths are the configured paths, pre-split.
type claimPaths struct {
	role, tenant, scope string
}

// maxNumericDate bounds exp/nbf/iat: year 9999 is far beyond any token.
const maxNumericDate = 253402300799

// parseClaims decodes and type-checks the claim set. It does not judge the
// values (time, issuer, audience); that happens after the signature check.
func parseClaims(payload []byte, p *claimPaths, required []string) (*Claims, error) {
	c := &Claims{raw: payload}
	var hasExp, roleFound, tenantFound, scopeFound bool
	var missing string
	// seen is a bitset of the required claims present: one word on the
	// stack for up to 64 names, a heap bitset beyond.
	var seenWord [1]uint64
	seen := seenWord[:]
	if n := (len(required) + 63) / 64; n > 1 {
		seen = make([]uint64, n)
	}
	err := strictjson.Object(payload, 0, func(key, val []byte) error {
		var err error
		for i, r := range required {
			if string(key) == r {
				seen[i/64] |= 1 << (i % 64)
			}
		}
		switch string(key) {
		case "iss":
			c.Issuer, err = claimString(val, "iss")
		case "sub":
			c.Subject, err = claimString(val, "sub")
		case "jti":
			c.ID, err = claimString(val, "jti")
		case "aud":
			c.Audience, err = strictjson.StringOrStrings(val)
			if err != nil {
				return claimErr("aud", "must be a string or an array of strings")
			}
			if len(c.Audience) == 0 {
				return claimErr("aud", "must not be empty")
			}
			if slices.Contains(c.Audience, "") {
				return claimErr("aud", "must not contain an empty string")
			}
		case "exp":
			hasExp = true
			c.ExpiresAt, err = numericDate(val, "exp")
		case "nbf":
			c.NotBefore, err = numericDate(val, "nbf")
		case "iat":
			c.IssuedAt, err = numericDate(val, "iat")
		}
		if err != nil {
			return err
		}
		k := string(key)
		if p.scope == "" && (k == "scope" || k == "scp") {
			s, err := scopes(val, k)
			if err != nil {
				return err
			}
			c.Scopes = append(c.Scopes, s...)
		}
		if k == p.role {
			roleFound = true
			if c.Roles, err = stringList(val, k); err != nil {
				return err
			}
		}
		if k == p.tenant {
			tenantFound = true
			if c.Tenant, err = claimString(val, k); err != nil {
				return err
			}
		}
		if p.scope != "" && k == p.scope {
			scopeFound = true
			if c.Scopes, err = scopes(val, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrInvalidClaim) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: claims are not a valid JSON object (%v)", ErrMalformedToken, err)
	}
	if !hasExp {
		return nil, fmt.Errorf("%w: exp", ErrMissingClaim)
	}
	for i, r := range required {
		if seen[i/64]&(1<<(i%64)) == 0 {
			missing = r
			break
		}
	}
	if missing != "" {
		return nil, fmt.Errorf("%w: %s", ErrMissingClaim, missing)
	}
	if !roleFound && strings.Contains(p.role, ".") {
		if raw, ok := lookupPath(payload, p.role); ok {
			if c.Roles, err = stringList(raw, p.role); err != nil {
				return nil, err
			}
		}
	}
	if !tenantFound && strings.Contains(p.tenant, ".") {
		if raw, ok := lookupPath(payload, p.tenant); ok {
			if c.Tenant, err = claimString(raw, p.tenant); err != nil {
				return nil, err
			}
		}
	}
	if !scopeFound && strings.Contains(p.scope, ".") {
		if raw, ok := lookupPath(payload, p.scope); ok {
			if c.Scopes, err = scopes(raw, p.scope); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func claimErr(name, msg string) error {
	return fmt.Errorf("%w: %s %s", ErrInvalidClaim, name, msg)
}

func claimString(raw []byte, name string) (string, error) {
	s, err := strictjson.String(raw)
	if err != nil {
		return "", claimErr(name, "must be a string")
	}
	return s, nil
}

func stringList(raw []byte, name string) ([]string, error) {
	if strictjson.IsNull(raw) {
		return nil, nil
	}
	l, err := strictjson.StringOrStrings(raw)
	if err != nil {
		return nil, claimErr(name, "must be a string or an array of strings")
	}
	return l, nil
}

// scopes reads a space-separated string or an array of strings.
func scopes(raw []byte, name string) ([]string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		s, err := claimString(raw, name)
		if err != nil {
			return nil, err
		}
		return strings.Fields(s), nil
	}
	return stringList(raw, name)
}

// numericDate decodes an RFC 7519 NumericDate: a JSON number of seconds,
// non-negative, finite, at most year 9999. Fractions are allowed (RFC 7519
// §2); exponent notation ("1e300", "1.7e9") is refused: no issuer writes it,
// and it is the usual vehicle for overflow and type-confusion tricks.
func numericDate(raw []byte, name string) (time.Time, error) {
	f, err := strictjson.Number(raw)
	if err != nil {
		return time.Time{}, claimErr(name, "must be a number (NumericDate)")
	}
	if bytes.ContainsAny(raw, "eE") {
		return time.Time{}, claimErr(name, "must be written without an exponent")
	}
	if f < 0 || f > maxNumericDate || math.IsNaN(f) {
		return time.Time{}, claimErr(name, "is out of range")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// lookupPath finds a claim by name, or by dotted path into nested objects.
// The whole path is tried as a top-level name first.
func lookupPath(payload []byte, path string) ([]byte, bool) {
	if v, ok := strictjson.Member(payload, path); ok {
		return v, true
	}
	cur := payload
	for part := range strings.SplitSeq(path, ".") {
		if len(cur) == 0 || cur[0] != '{' {
			return nil, false
		}
		v, ok := strictjson.Member(cur, part)
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, cur != nil && len(cur) > 0
}
