package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/jwtguard/jwtguard/mtls"
)

// entry is an issuer entry as New built it: paths parsed, key source
// started.
type entry struct {
	id            string
	subjectPrefix string
	tenantOf      map[string]string     // template expansions: iss → tenant
	configuredIDs []string              // ID and aliases as written, for diagnostics
	name          *entryName            // what Claims say of this entry (nil: Claims.Entry is the token's iss)
	names         map[string]*entryName // template entries: iss → the name of its tenant
	src           keySource
	audiences     []string // nil with skipAudience: any
	skipAudience  bool
	algs          map[string]*jose.Alg // nil: the verifier's
	roles         []claimPath
	scopes        []claimPath
	perms         []claimPath
	tenant        *claimPath
	required      [][]claimPath // each: alternatives, one of which must be present
	tokenTypes    []string      // lower case, without "application/"
	useClaim      *claimPath
	uses          []string
	clients       []string
	maxSize       int

	streak refusalStreak // validly signed tokens refused in a row (misconfig.go)

	// keyed holds the per-key copies of the entry's names (keyedName),
	// copy-on-write: read without a lock on every verified token.
	keyed   atomic.Pointer[map[keyedKey]*entryName]
	keyedMu sync.Mutex

	// resolver bookkeeping (entries made by WithIssuerResolver only)
	resolved  bool
	firstLoad time.Duration // how long a request waits for the first key load
	answer    Issuer        // the resolver's answer the entry was built from
	isProven  atomic.Bool
	lastUsed  atomic.Int64
	onProven  func(*entry)
}

// nameFor returns what Claims say of the entry for a token whose iss is
// iss.
func (e *entry) nameFor(iss string) *entryName {
	if e.names != nil {
		if n, ok := e.names[iss]; ok {
			return n
		}
	}
	return e.name
}

// keyedKey names a per-key copy of an entry name.
type keyedKey struct {
	n *entryName
	k *jose.Key
}

// maxKeyed bounds the per-key names of one entry: keys come and go with
// rotations, and a set beyond it is dropped and rebuilt on demand.
const maxKeyed = 1024

// keyedName returns n for a token verified with k: a copy of n that also
// names k and the entry's key source, made once per name and key. Claims
// point to it, so the verifier knows which key verified a token (key
// revocation, Verifier.Watch) without Claims growing.
func (e *entry) keyedName(n *entryName, k *jose.Key) *entryName {
	if n == nil || k == nil {
		return n
	}
	kk := keyedKey{n, k}
	if m := e.keyed.Load(); m != nil {
		if kn, ok := (*m)[kk]; ok {
			return kn
		}
	}
	e.keyedMu.Lock()
	defer e.keyedMu.Unlock()
	old := e.keyed.Load()
	if old != nil {
		if kn, ok := (*old)[kk]; ok {
			return kn
		}
	}
	m := make(map[keyedKey]*entryName, 1)
	if old != nil && len(*old) < maxKeyed {
		for k, v := range *old {
			m[k] = v
		}
	}
	cp := *n
	cp.key, cp.src = k, e.src
	m[kk] = &cp
	e.keyed.Store(&m)
	return &cp
}

// proven marks that a token of this entry verified (its issuer is real).
func (e *entry) proven() {
	if e.resolved {
		e.lastUsed.Store(time.Now().UnixNano())
		if !e.isProven.Load() && e.onProven != nil {
			e.onProven(e)
		}
	}
}

// keys returns the entry's usable key set. A newly resolved issuer waits
// for its first load (bounded by ctx and the fetch timeout); after a failed
// load every request fails fast with 503 while the source retries in the
// background.
func (e *entry) keys(ctx context.Context, now time.Time) (*jose.KeySet, error) {
	if e.src == nil {
		return nil, newError(ErrInvalidIssuer, "this issuer's tokens are accepted only through introspection")
	}
	ks, err := e.src.current(now)
	if err == nil {
		return ks, nil
	}
	if e.resolved && !e.src.failed() {
		// The first load of a newly resolved issuer is in flight: wait
		// until it ends, loaded or failed (at most the fetch timeout), not
		// until it succeeds: a provider that answers an error at once must
		// not hold the request for the fetch timeout. The source reports
		// only "loaded" and "a load failed", so poll the latter. The slack
		// lets a load cut off by the fetch timeout record its failure
		// before this request gives up, so the next ones fail fast.
		ctx, cancel := context.WithTimeout(ctx, e.firstLoad+firstLoadPoll)
		defer cancel()
		for !e.src.failed() && ctx.Err() == nil {
			poll, stop := context.WithTimeout(ctx, firstLoadPoll)
			loaded := e.src.ready(poll) == nil
			stop()
			if loaded {
				break
			}
		}
		linkFetch(ctx, e.src.fetchContext()) // the request waited for that fetch
		ks, err = e.src.current(now)
		if err == nil {
			return ks, nil
		}
	}
	return nil, keysUnavailable(err)
}

// firstLoadPoll is how often a request waiting for a newly resolved
// issuer's first key load checks whether that load failed.
const firstLoadPoll = 10 * time.Millisecond

// judge applies the entry's rules to claims whose signature verified (jwt,
// with the header's typ) or to an active introspection answer.
func (e *entry) judge(c *Claims, payload []byte, slots [][]byte, typ string, jwt bool) error {
	if e.subjectPrefix != "" && !strings.HasPrefix(c.Subject, e.subjectPrefix) {
		// An entry with an ID and a SubjectPrefix, reached by iss.
		err := claimError(ErrInvalidIssuer, "sub", "is not in this issuer's subject space")
		err.Detail = fmt.Sprintf("sub %s is not under %s (Issuer.SubjectPrefix of %s)", shown(c.Subject), strconv.Quote(e.subjectPrefix), e.label())
		return err
	}
	if e.tenantOf != nil {
		tenant := e.tenantOf[c.Issuer]
		if e.tenant != nil {
			if raw, ok := e.tenant.lookup(payload, slots); ok {
				if got := appendNames(nil, raw, false, true); len(got) != 1 || got[0] != tenant {
					err := newError(ErrInvalidIssuer, "the issuer's tenant differs from the token's tenant claim")
					err.Detail = fmt.Sprintf("iss %s names tenant %s but claim %s holds %s", shown(c.Issuer), shown(tenant), e.tenant.src, shownList(got))
					return err
				}
			}
		}
	}
	if e.tokenTypes != nil && jwt {
		typ := strings.TrimPrefix(strings.ToLower(typ), "application/")
		if !slices.Contains(e.tokenTypes, typ) {
			err := newError(ErrInvalidTokenType, "the typ header is not an accepted token type")
			err.Detail = fmt.Sprintf("typ header %s is not one of the Issuer.TokenTypes of %s (%s)", shown(typ), e.label(), shownList(e.tokenTypes))
			return err
		}
	}
	if !e.skipAudience {
		if len(c.Audience) == 0 {
			err := claimError(ErrInvalidAudience, "aud", "is missing")
			err.Detail = fmt.Sprintf("the token has no aud; %s accepts %s", e.label(), shownList(e.audiences))
			return err
		}
		if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(e.audiences, a) }) {
			err := newError(ErrInvalidAudience, "")
			err.Detail = fmt.Sprintf("aud [%s] holds none of the audiences %s accepts (%s; Issuer.Audiences or WithAudience)", shownList(c.Audience), e.label(), shownList(e.audiences))
			for _, a := range c.Audience {
				if want, hint := nearMissOf(a, e.audiences); hint != "" {
					err.Detail += fmt.Sprintf(" (hint: %s and the accepted %s: %s)", shown(a), strconv.Quote(want), hint)
					break
				}
			}
			return err
		}
	}
	for _, alts := range e.required {
		if !anyPresent(alts, payload, slots) {
			err := claimError(ErrMissingClaim, requiredName(alts), "")
			err.Detail = fmt.Sprintf("%s requires it (Issuer.RequiredClaims); \"present\" means a value other than \"\", null, false and []", e.label())
			return err
		}
	}
	if e.useClaim != nil {
		raw, ok := e.useClaim.lookup(payload, slots)
		use := ""
		if ok {
			use = optionalString(raw)
		}
		if !slices.Contains(e.uses, use) {
			err := claimError(ErrInvalidTokenType, e.useClaim.src, "is not an accepted token use")
			err.Detail = fmt.Sprintf("claim %s is %s, not one of the Issuer.TokenUses of %s (%s)", e.useClaim.src, shown(use), e.label(), shownList(e.uses))
			if !ok {
				err.Detail = fmt.Sprintf("claim %s is missing; %s accepts %s (Issuer.TokenUses)", e.useClaim.src, e.label(), shownList(e.uses))
			}
			return err
		}
	}
	if e.clients != nil && !slices.Contains(e.clients, c.ClientID) {
		err := claimError(ErrInvalidClaim, "azp", "names a client that may not call this service")
		err.Detail = fmt.Sprintf("the calling client (azp, client_id, cid or appid) is %s, not one of the Issuer.Clients of %s (%s)", shown(c.ClientID), e.label(), shownList(e.clients))
		return err
	}
	c.Roles = mapNames(c.Roles, e.roles, payload, slots, false)
	c.Scopes = mapNames(c.Scopes, e.scopes, payload, slots, true)
	c.Permissions = mapNames(c.Permissions, e.perms, payload, slots, true)
	if e.tenant != nil {
		if raw, ok := e.tenant.lookup(payload, slots); ok {
			c.Tenants = appendNames(nil, raw, false, true)
		}
	}
	if len(c.Tenants) == 1 {
		c.Tenant = c.Tenants[0]
	}
	return nil
}

// anyPresent reports whether one of the paths is present.
func anyPresent(paths []claimPath, payload []byte, slots [][]byte) bool {
	for i := range paths {
		if raw, ok := paths[i].lookup(payload, slots); ok && present(raw) {
			return true
		}
	}
	return false
}

// requiredName names a required claim (with its alternatives) in errors.
func requiredName(alts []claimPath) string {
	names := make([]string, len(alts))
	for i := range alts {
		names[i] = alts[i].src
	}
	return strings.Join(names, " or ")
}

// mapNames reads every path into dst. Roles are not split on spaces (a role
// name is one string); scopes and permissions are.
func mapNames(dst []string, paths []claimPath, payload []byte, slots [][]byte, split bool) []string {
	for i := range paths {
		if raw, ok := paths[i].lookup(payload, slots); ok {
			dst = appendNames(dst, raw, split, !split)
		}
	}
	return dst
}

// defaultClaims is the ClaimMap of fields left nil.
var defaultClaims = ClaimMap{Roles: []string{"roles"}, Scopes: []string{"scope", "scp"}, Tenant: "tenant_id"}

// entryBuilder builds entries: from the static configuration in New, and
// from the resolver's answers later.
type entryBuilder struct {
	cfg     *config
	algs    map[string]*jose.Alg // the verifier's allowlist
	maxSize int                  // the verifier's default token size
	want    []string             // top-level names read in the parsing pass
	sources *sourceSet
	dpop    *dpopState // nil without WithDPoP
	mtls    mtls.Mode  // the verifier-wide certificate-binding mode (never Inherit)
}

// build checks is and builds its entry. Errors name the option and issuer.
// Static entries share key sources; resolved ones own theirs (they are
// stopped when the entry is evicted).
func (b *entryBuilder) build(is Issuer, option string, static bool) (*entry, error) {
	cfg := b.cfg
	if is.Invalid != nil {
		// %w: errors.Is(err, profile.ErrOktaOrgServer) holds through New.
		return nil, fmt.Errorf("jwtguard: %s: issuer %q: %w", option, is.ID, is.Invalid)
	}
	name := fmt.Sprintf("issuer %q", is.ID)
	if is.ID == "" && is.SubjectPrefix != "" {
		name = fmt.Sprintf("issuer for subjects %q", is.SubjectPrefix)
	}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, optErr(option, "%s: %s", name, fmt.Sprintf(format, args...)))
	}
	e := &entry{id: is.ID, subjectPrefix: is.SubjectPrefix, maxSize: b.maxSize}
	if is.ID == "" && is.SubjectPrefix == "" && !cfg.skipIssuer {
		fail("empty ID (the exact iss of its tokens)")
	}
	e.name = &entryName{id: is.ID, provider: is.Provider}
	switch {
	case is.ID != "":
		e.name.name = is.ID
	case is.SubjectPrefix != "":
		e.name.name = is.SubjectPrefix
	}
	if m, err := entryMode(is.DPoP, b.dpop); err != nil {
		fail("%v", err)
	} else {
		e.name.dpop = m
	}
	switch is.CertificateBinding {
	case mtls.Inherit:
		e.name.mtls = b.mtls
	case mtls.Allowed, mtls.Required:
		e.name.mtls = is.CertificateBinding
	default:
		fail("CertificateBinding %d is not a mode", is.CertificateBinding)
	}
	for _, a := range is.Aliases {
		if a == "" {
			fail("empty alias")
		}
	}
	for _, id := range slices.Concat([]string{is.ID}, is.Aliases) {
		if id != "" {
			e.configuredIDs = append(e.configuredIDs, id)
		}
	}
	// Template IDs: ID and each alias may hold one {placeholder}, which
	// stands for each of Tenants.
	templated := false
	byTenant := map[string]*entryName{}
	for _, id := range slices.Concat([]string{is.ID}, is.Aliases) {
		open := strings.IndexByte(id, '{')
		if open < 0 {
			continue
		}
		templated = true
		end := strings.IndexByte(id, '}')
		if end < open || strings.Count(id, "{") != 1 || strings.Count(id, "}") != 1 {
			fail("a template %q holds exactly one {placeholder}", id)
			continue
		}
		if len(is.Tenants) == 0 {
			fail("a template ID needs Tenants (the allowed values of %s), or use WithIssuerResolver", id[open:end+1])
			continue
		}
		if e.tenantOf == nil {
			e.tenantOf = map[string]string{}
			e.names = map[string]*entryName{}
		}
		for _, tn := range is.Tenants {
			if tn == "" || strings.ContainsAny(tn, "/?#{}") {
				fail("tenant %q is not a plain value", tn)
				continue
			}
			iss := id[:open] + tn + id[end+1:]
			e.tenantOf[iss] = tn
			// Every form of one tenant's issuer (the ID's and the
			// aliases' expansions) has the one name: the ID expanded.
			e.names[iss] = e.tenantName(tn, byTenant)
		}
	}
	if !templated && len(is.Tenants) > 0 {
		fail("Tenants is only for a template ID or alias (one with a {placeholder})")
	}
	// Audiences.
	switch {
	case is.WithoutAudience:
		if is.Audiences != nil {
			fail("WithoutAudience and Audiences contradict each other")
		}
		if len(is.Clients) == 0 {
			fail("WithoutAudience needs Clients: the calling client is then checked instead of aud")
		}
		e.skipAudience = true
	case is.Audiences != nil:
		if len(is.Audiences) == 0 || slices.Contains(is.Audiences, "") {
			fail("Audiences must list non-empty audiences")
		}
		e.audiences = slices.Clone(is.Audiences)
	case len(cfg.audiences) > 0:
		e.audiences = cfg.audiences
	case cfg.skipAudience:
		e.skipAudience = true
	default:
		fail("no audience: set its Audiences, or WithAudience(...) (or WithoutAudienceCheck() to accept any audience)")
	}
	// Algorithms.
	if is.Algorithms != nil {
		e.algs = map[string]*jose.Alg{}
		for _, a := range is.Algorithms {
			spec, ok := b.algs[a]
			if !ok {
				fail("algorithm %q is not in WithAlgorithms", a)
				continue
			}
			e.algs[a] = spec
		}
	}
	// Claim mapping and checks.
	cm := is.Claims
	if cm.Roles == nil {
		cm.Roles = defaultClaims.Roles
	}
	if cm.Scopes == nil {
		cm.Scopes = defaultClaims.Scopes
	}
	if cm.Tenant == "" {
		cm.Tenant = defaultClaims.Tenant
	}
	paths := func(field string, in []string) []claimPath {
		out := make([]claimPath, 0, len(in))
		for _, s := range in {
			p, err := parseClaimPath(s)
			if err != nil {
				fail("%s: %v", field, err)
				continue
			}
			p.slot = slices.Index(b.want, p.segs[0])
			out = append(out, p)
		}
		return out
	}
	e.roles = paths("Claims.Roles", cm.Roles)
	e.scopes = paths("Claims.Scopes", cm.Scopes)
	e.perms = paths("Claims.Permissions", cm.Permissions)
	if tp := paths("Claims.Tenant", []string{cm.Tenant}); len(tp) == 1 {
		e.tenant = &tp[0]
	}
	for _, rc := range is.RequiredClaims {
		if alts := paths("RequiredClaims", splitAlternatives(rc)); len(alts) > 0 {
			e.required = append(e.required, alts)
		}
	}
	for _, t := range is.TokenTypes {
		if t == "" {
			fail("empty TokenTypes value")
		}
		e.tokenTypes = append(e.tokenTypes, strings.TrimPrefix(strings.ToLower(t), "application/"))
	}
	if is.TokenUseClaim != "" {
		if up := paths("TokenUseClaim", []string{is.TokenUseClaim}); len(up) == 1 {
			e.useClaim = &up[0]
		}
		if len(is.TokenUses) == 0 {
			fail("TokenUseClaim %q needs TokenUses (its accepted values)", is.TokenUseClaim)
		}
		e.uses = slices.Clone(is.TokenUses)
	} else if len(is.TokenUses) > 0 {
		fail("TokenUses needs TokenUseClaim")
	}
	if is.Clients != nil {
		if len(is.Clients) == 0 || slices.Contains(is.Clients, "") {
			fail("Clients must list non-empty client IDs")
		}
		e.clients = slices.Clone(is.Clients)
	}
	if is.MaxTokenSize != 0 {
		if is.MaxTokenSize < 64 || is.MaxTokenSize > maxMaxTokenSize {
			fail("MaxTokenSize %d is outside [64, 1MiB]", is.MaxTokenSize)
		}
		e.maxSize = is.MaxTokenSize
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Keys last, so a bad entry starts no fetch. An entry without keys is
	// for introspected tokens only.
	if is.Keys == nil && cfg.introspector != nil && static {
		return e, nil
	}
	src, err := b.sources.source(is, e.algs, e.tenantOf != nil, static)
	if err != nil {
		return nil, optErr(option, "%s: Keys: %v", name, err)
	}
	e.src = src
	return e, nil
}

// tenantName returns the entry name of tenant tn of a template entry: its
// ID expanded for tn, one value per tenant.
func (e *entry) tenantName(tn string, made map[string]*entryName) *entryName {
	if n, ok := made[tn]; ok {
		return n
	}
	name := e.id
	if open, end := strings.IndexByte(e.id, '{'), strings.IndexByte(e.id, '}'); open >= 0 && end > open {
		name = e.id[:open] + tn + e.id[end+1:]
	}
	n := &entryName{name: name, id: e.id, tenant: tn, provider: e.name.provider, dpop: e.name.dpop, mtls: e.name.mtls}
	made[tn] = n
	return n
}

// splitAlternatives splits a required claim "scp|roles" into its
// alternatives at each '|' outside brackets.
func splitAlternatives(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '|':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
