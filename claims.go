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
	"unsafe"

	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/jwtguard/jwtguard/internal/strictjson"
	"github.com/jwtguard/jwtguard/mtls"
)

// Claims holds a verified token's claims. The registered claims (RFC 7519
// §4.1) are typed; roles, scopes, permissions and tenants are read through
// the issuer's [ClaimMap]; everything else is reachable with [Claims.Decode]
// and [Claims.Get].
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string // nil when the token has no aud (or "aud": [])
	ExpiresAt time.Time
	NotBefore time.Time // zero when the token has no nbf
	IssuedAt  time.Time // zero when the token has no iat
	ID        string    // jti, "" when absent
	// SessionID is the sid claim: the identity provider's session the token
	// belongs to (OpenID Connect; Keycloak, Auth0, Okta and Entra put it in
	// access tokens), "" when absent. A back-channel logout revokes by it
	// ([Revoker].RevokeSession).
	SessionID string

	// Scopes granted to the client: "scope" split on the space character
	// (RFC 6749 §3.3, RFC 9068) and "scp" (array or string), or the
	// issuer's ClaimMap.Scopes paths.
	Scopes []string
	// Permissions of the user (Auth0 RBAC "permissions"), from
	// ClaimMap.Permissions. Never merged into Scopes: with RBAC, scope is
	// the grant intersected with the permissions.
	Permissions []string
	// Roles from every ClaimMap.Roles path, merged (default "roles"). A
	// string is one role, an array lists roles; an object grants the names
	// of its members whose value is true or a non-empty object or array
	// (Zitadel's roles), never those whose value is false, null, "", {}
	// or [].
	Roles []string
	// Tenants from ClaimMap.Tenant (default "tenant_id"): a string, an
	// array of strings, or the granting member names of an object, as for
	// Roles (Keycloak organization).
	Tenants []string
	// Tenant is the token's tenant when it names exactly one, else "".
	Tenant string
	// ClientID is the calling client: azp, else client_id, cid or appid.
	ClientID string

	// raw is the claim set as signed (or the introspection answer), a
	// read-only view of bytes that are never written again. Claims is kept
	// small (see TestClaimsSize): every cache hit copies it, and its size
	// is most of that cost.
	raw string
	// ent names the configured issuer entry that accepted the token (nil
	// for Claims not made by a Verifier). It is shared and never written.
	ent *entryName
}

// entryName is what Claims knows of the issuer entry that accepted a
// token. One value per entry (per tenant of a template entry), made when
// the entry is built and never written again.
type entryName struct {
	name     string    // the canonical issuer, see Claims.Entry
	id       string    // the entry's ID as configured (a template as written)
	tenant   string    // a template entry's tenant
	provider string    // Issuer.Provider
	dpop     dpop.Mode // the entry's DPoP mode, resolved (never Inherit)
	mtls     mtls.Mode // the entry's certificate-binding mode, resolved (never Inherit)
	resolved bool      // made by the issuer resolver

	// key is the key that verified the token, and src the key source it
	// came from: set on the per-key copies that verified tokens point to
	// (entry.keyedName), nil on the entry's own names. Key revocations
	// and Verifier.Watch read them; Claims does not grow.
	key *jose.Key
	src keySource
}

// Entry returns the stable name of the configured issuer entry that
// accepted the token: its ID; for a template entry, the template's ID
// expanded for the token's tenant; for an entry without ID (SPIFFE), its
// subject prefix. Every alias of an entry has the same Entry: it is the
// canonical issuer under which revocations are recorded ([RevokeClaims]),
// metrics are labelled and [RequireIssuer] matches. For Claims not made
// by a Verifier (built by hand in tests), it is the Issuer field.
func (c *Claims) Entry() string {
	if c.ent != nil && c.ent.name != "" {
		return c.ent.name
	}
	return c.Issuer
}

// Provider returns the [Issuer].Provider of the entry that accepted the
// token ("github-actions", "kubernetes", ... for entries made by the
// profile package), or "" when the entry names none. Provider-specific
// policies check it, so a token from another trusted issuer that carries
// look-alike claims does not pass them.
func (c *Claims) Provider() string {
	if c.ent == nil {
		return ""
	}
	return c.ent.provider
}

// rawBytes returns the claim set as a read-only byte slice, without a
// copy.
func (c *Claims) rawBytes() []byte { return unsafe.Slice(unsafe.StringData(c.raw), len(c.raw)) }

// Decode unmarshals the claim set into v (a pointer to a struct with json
// tags, a map, or a *json.RawMessage for the exact signed bytes), for
// custom typed claims. It uses encoding/json, which matches member names
// case-insensitively; the typed fields of Claims (Issuer, Tenant, Roles,
// ...) come from jwtguard's strict reader, which matches them exactly, so
// authorize on those.
func (c *Claims) Decode(v any) error {
	if raw, ok := v.(*json.RawMessage); ok {
		*raw = json.RawMessage(c.raw)
		return nil
	}
	if err := json.Unmarshal(c.rawBytes(), v); err != nil {
		return fmt.Errorf("jwtguard: decoding claims: %w", err)
	}
	return nil
}

// Get returns the claim at path decoded as a Go value (string, float64,
// bool, []any, map[string]any). A path is dot-separated member names; a
// member whose name contains dots is written in brackets:
// "[kubernetes.io].namespace", "resource_access.[api.example.com].roles",
// "[https://example.com/roles]".
func (c *Claims) Get(path string) (any, bool) {
	p, err := parseClaimPath(path)
	if err != nil || c == nil {
		return nil, false
	}
	raw, ok := p.lookup(c.rawBytes(), nil)
	if !ok {
		return nil, false
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return v, true
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

// claimPath is a parsed claim path: its member names in order.
type claimPath struct {
	src  string
	segs []string
	slot int // index of segs[0] among the top-level names read in one pass, or -1
}

// parseClaimPath parses "a.b", "[a.b].c": dot-separated names, a bracketed
// name taken literally (it may contain dots, not "]").
func parseClaimPath(s string) (claimPath, error) {
	p := claimPath{src: s, slot: -1}
	if s == "" {
		return p, errors.New("empty claim path")
	}
	for rest := s; ; {
		var seg string
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return p, fmt.Errorf("claim path %q: unclosed [", s)
			}
			seg, rest = rest[1:end], rest[end+1:]
			if rest != "" && rest[0] != '.' {
				return p, fmt.Errorf("claim path %q: ] must end the path or be followed by .", s)
			}
		} else {
			end := strings.IndexByte(rest, '.')
			if end < 0 {
				end = len(rest)
			}
			seg, rest = rest[:end], rest[end:]
			if strings.ContainsAny(seg, "[]") {
				return p, fmt.Errorf("claim path %q: brackets must enclose a whole member name", s)
			}
		}
		if seg == "" {
			return p, fmt.Errorf("claim path %q has an empty member name", s)
		}
		p.segs = append(p.segs, seg)
		if rest == "" {
			return p, nil
		}
		rest = rest[1:] // the dot
		if rest == "" {
			return p, fmt.Errorf("claim path %q ends with a dot", s)
		}
	}
}

// lookup finds the path's value in payload. slots holds the raw values of
// the top-level names read during parsing (nil: none).
func (p *claimPath) lookup(payload []byte, slots [][]byte) ([]byte, bool) {
	var cur []byte
	if p.slot >= 0 && p.slot < len(slots) {
		cur = slots[p.slot]
		if cur == nil {
			return nil, false
		}
	} else {
		v, ok := strictjson.Member(payload, p.segs[0])
		if !ok {
			return nil, false
		}
		cur = v
	}
	for _, seg := range p.segs[1:] {
		if len(cur) == 0 || cur[0] != '{' {
			return nil, false
		}
		v, ok := strictjson.Member(cur, seg)
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, len(cur) > 0
}

// present is the one meaning of "present" for claims, used by required
// claims and claim policies alike: a value other than "", null, false and
// [] (an empty array).
func present(raw []byte) bool {
	switch string(raw) {
	case "", `""`, "null", "false", "[]":
		return false
	}
	if raw[0] == '[' && len(bytes.TrimSpace(raw[1:len(raw)-1])) == 0 {
		return false
	}
	return true
}

// maxNumericDate bounds exp/nbf/iat: year 9999 is far beyond any token.
const maxNumericDate = 253402300799

// parseRegistered decodes and type-checks the registered claims and reads
// the raw values of the top-level names in want into slots (slot i for
// want[i]). It does not judge values (time, issuer, audience); that happens
// after the signature check.
func parseRegistered(payload []byte, want []string, slots [][]byte) (*Claims, error) {
	return parseClaims(payload, want, slots, true)
}

// parseClaims is parseRegistered; needExp false lets a claim set without
// exp through (ExpiresAt stays zero), for logout tokens, which some
// providers send without one.
func parseClaims(payload []byte, want []string, slots [][]byte, needExp bool) (*Claims, error) {
	// payload is never written again: the Claims keep a view of it.
	c := &Claims{raw: unsafe.String(unsafe.SliceData(payload), len(payload))}
	var hasExp bool
	var azp, clientID, cid, appid string
	err := strictjson.Object(payload, 0, func(key, val []byte) error {
		var err error
		switch string(key) {
		case "iss":
			c.Issuer, err = claimString(val, "iss")
		case "sub":
			c.Subject, err = claimString(val, "sub")
		case "jti":
			c.ID, err = claimString(val, "jti")
		case "sid":
			c.SessionID, err = claimString(val, "sid")
		case "aud":
			c.Audience, err = strictjson.StringOrStrings(val)
			if err != nil {
				return claimError(ErrInvalidClaim, "aud", "must be a string or an array of strings")
			}
			if slices.Contains(c.Audience, "") {
				return claimError(ErrInvalidClaim, "aud", "must not contain an empty string")
			}
			// "aud": [] (Ory Hydra without a granted audience) reads as no
			// aud: Audience stays nil.
		case "exp":
			hasExp = true
			c.ExpiresAt, err = numericDate(val, "exp")
		case "nbf":
			c.NotBefore, err = numericDate(val, "nbf")
		case "iat":
			c.IssuedAt, err = numericDate(val, "iat")
		case "azp":
			azp = optionalString(val)
		case "client_id":
			clientID = optionalString(val)
		case "cid":
			cid = optionalString(val)
		case "appid":
			appid = optionalString(val)
		}
		if err != nil {
			return err
		}
		for i, w := range want {
			if len(w) == len(key) && w == string(key) {
				slots[i] = val
				break
			}
		}
		return nil
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, newError(fmt.Errorf("%w: claims are not a valid JSON object (%v)", ErrMalformedToken, err), "claims are not a valid JSON object")
	}
	if !hasExp && needExp {
		return nil, claimError(ErrMissingClaim, "exp", "")
	}
	c.ClientID = cmp4(azp, clientID, cid, appid)
	return c, nil
}

// cmp4 returns the first non-empty string.
func cmp4(a, b, c, d string) string {
	for _, s := range [4]string{a, b, c, d} {
		if s != "" {
			return s
		}
	}
	return ""
}

func claimString(raw []byte, name string) (string, error) {
	s, err := strictjson.String(raw)
	if err != nil {
		return "", claimError(ErrInvalidClaim, name, "must be a string")
	}
	return s, nil
}

// optionalString reads a string claim whose other shapes mean "absent".
func optionalString(raw []byte) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	s, _ := strictjson.String(raw)
	return s
}

// numericDate decodes an RFC 7519 NumericDate: a JSON number of seconds,
// non-negative, finite, at most year 9999. Fractions are allowed (RFC 7519
// §2); exponent notation ("1e300", "1.7e9") is refused: no issuer writes it,
// and it is the usual vehicle for overflow and type-confusion tricks.
func numericDate(raw []byte, name string) (time.Time, error) {
	f, err := strictjson.Number(raw)
	if err != nil {
		return time.Time{}, claimError(ErrInvalidClaim, name, "must be a number (NumericDate)")
	}
	if bytes.ContainsAny(raw, "eE") {
		return time.Time{}, claimError(ErrInvalidClaim, name, "must be written without an exponent")
	}
	if f < 0 || f > maxNumericDate || math.IsNaN(f) {
		return time.Time{}, claimError(ErrInvalidClaim, name, "is out of range")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// Shapes a mapped claim may have. A value of another shape maps to nothing:
// the mapped field stays empty and policies decide.

// appendNames appends the strings of raw: a string (split on the space
// character when split is set), an array of strings, or an object's member
// names (when names is set). Duplicates are skipped.
func appendNames(dst []string, raw []byte, split, names bool) []string {
	if len(raw) == 0 {
		return dst
	}
	add := func(s string) {
		if s != "" && !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	switch raw[0] {
	case '"':
		s, err := strictjson.String(raw)
		if err != nil {
			return dst
		}
		if !split {
			add(s)
			return dst
		}
		for part := range strings.SplitSeq(s, " ") {
			add(part)
		}
	case '[':
		l, err := strictjson.Strings(raw)
		if err != nil {
			return dst
		}
		for _, s := range l {
			add(s)
		}
	case '{':
		if !names {
			return dst
		}
		_ = strictjson.Object(raw, 0, func(k, v []byte) error {
			if grants(v) {
				add(string(k))
			}
			return nil
		})
	}
	return dst
}

// grants reports whether the value of a member of a role or tenant object
// grants its name: true, or a non-empty object or array (Zitadel's
// {"admin": {"<org id>": "<org domain>"}}, a Keycloak organization's
// attributes). false, null, "", {}, [], numbers and strings grant nothing:
// {"admin": false} (Firebase custom claims, Hasura-style flags) must not
// make its holder an admin.
func grants(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	switch v[0] {
	case 't':
		return string(v) == "true"
	case '{', '[':
		return len(bytes.TrimSpace(v[1:len(v)-1])) > 0
	}
	return false
}
