package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jwtguard/jwtguard/mtls"
)

// trustTable holds the entries and routes tokens to them.
type trustTable struct {
	byID      map[string]*entry
	bySubject []*entry
	any       *entry   // WithoutIssuerCheck
	only      *entry   // the one static entry, when it has one exact iss
	static    []*entry // every statically configured entry, once
	exact     []string // the exact iss values of static entries (IDs, aliases; no templates), for near-miss hints
	resolver  *resolverTable
	want      []string   // top-level names the mappings read; slot i holds want[i]
	sources   *sourceSet // the key sources of static entries
	keyed     bool       // some static entry has keys (JWTs are verified locally)
	build     func(is Issuer, option string, static bool) (*entry, error)
}

// newTrustTable checks every issuer entry and starts the key sources. With
// checkOnly (New has already found other errors) it only checks the
// entries, so New reports every problem at once, and starts nothing.
func newTrustTable(cfg *config, sources *sourceSet, ds *dpopState, maxSize int, checkOnly bool) (*trustTable, error) {
	// "cnf" is always read, in slot cnfSlot: a bound token is never
	// accepted without its binding checked; "events", in slot eventsSlot,
	// so that a back-channel logout token is never taken for an access
	// token.
	t := &trustTable{byID: map[string]*entry{}, want: []string{"cnf", "events"}}
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	addWant := func(path string) {
		if p, err := parseClaimPath(path); err == nil && !slices.Contains(t.want, p.segs[0]) {
			t.want = append(t.want, p.segs[0])
		}
	}
	for _, p := range defaultClaims.Roles {
		addWant(p)
	}
	for _, p := range defaultClaims.Scopes {
		addWant(p)
	}
	addWant(defaultClaims.Tenant)
	for _, io := range cfg.issuers {
		for _, p := range slices.Concat(io.Claims.Roles, io.Claims.Scopes, io.Claims.Permissions, io.RequiredClaims, []string{io.Claims.Tenant, io.TokenUseClaim}) {
			if p != "" {
				addWant(p)
			}
		}
	}
	sources.shared, sources.checkOnly = map[any]keySource{}, checkOnly
	t.sources = sources
	b := &entryBuilder{cfg: cfg, algs: sources.algs, maxSize: maxSize, want: t.want, sources: sources, dpop: ds, mtls: mtls.Allowed}
	if cfg.mtls != nil {
		b.mtls = cfg.mtls.Mode
	}
	t.build = b.build
	switch {
	case len(cfg.issuers) > 0 || cfg.resolver != nil:
	case cfg.introspector != nil:
		// Introspection answers are judged by a static entry (its iss, its
		// audiences); without one every token would be refused.
		fail(optErr("WithIntrospection", `no issuer entry to judge the answers: add Trust(jwtguard.Issuer{ID: "<the answers' iss>", Audiences: ...}) (Keys may be nil when every token is introspected)`))
	default:
		fail(errors.New(`jwtguard: no issuer configured: add WithIssuer("https://issuer.example/", jwtguard.Discovery()), Trust(...) or WithIssuerResolver(...)`))
	}
	if cfg.skipIssuer && (len(cfg.issuers) != 1 || cfg.resolver != nil) {
		fail(errors.New("jwtguard: WithoutIssuerCheck needs exactly one issuer entry (its keys then verify tokens of any iss) and no WithIssuerResolver"))
	}
	for _, io := range cfg.issuers {
		e, err := b.build(io.Issuer, io.option, true)
		if err != nil {
			fail(err)
			continue
		}
		t.static = append(t.static, e)
		t.keyed = t.keyed || e.src != nil
		for _, id := range e.configuredIDs {
			if !strings.Contains(id, "{") {
				t.exact = append(t.exact, id)
			}
		}
		if cfg.skipIssuer {
			t.any = e
			continue
		}
		var ids []string
		for _, id := range slices.Concat([]string{io.ID}, io.Aliases) {
			if !strings.Contains(id, "{") {
				ids = append(ids, id)
			}
		}
		for iss := range e.tenantOf {
			ids = append(ids, iss)
		}
		for _, id := range ids {
			if id == "" {
				continue
			}
			if _, dup := t.byID[id]; dup {
				fail(optErr(io.option, "issuer %q is configured twice", id))
				continue
			}
			t.byID[id] = e
		}
		if e.subjectPrefix != "" {
			t.bySubject = append(t.bySubject, e)
		}
	}
	if cfg.resolver != nil || cfg.given["WithIssuerResolver"] {
		switch {
		case cfg.resolver == nil:
			fail(optErr("WithIssuerResolver", "nil resolver"))
		case cfg.resolverMax <= 0:
			fail(optErr("WithIssuerResolver", "maxIssuers must be positive, got %d", cfg.resolverMax))
		default:
			t.resolver = newResolverTable(cfg.resolver, cfg.resolverMax, cfg.remote.FetchTimeout, sources.now, t.build)
		}
	}
	if len(errs) > 0 {
		t.close()
		return nil, errors.Join(errs...)
	}
	if len(t.byID) == 1 && len(t.static) == 1 && t.static[0].id != "" && t.byID[t.static[0].id] == t.static[0] {
		t.only = t.static[0]
	}
	return t, nil
}

// maxWantedSlots is how many top-level claim values one parse keeps on the
// stack for the claim mappings.
const maxWantedSlots = 16

// slots returns one slot per name in want for parseRegistered: buf (on the
// caller's stack) when it is large enough.
func (t *trustTable) slots(buf *[maxWantedSlots][]byte) [][]byte {
	if n := len(t.want); n <= maxWantedSlots {
		return buf[:n]
	}
	return make([][]byte, len(t.want))
}

// route returns the entry for a token, before any network request: by iss
// (static entries, then the resolver), or, for a token without iss, by its
// subject's prefix.
func (t *trustTable) route(ctx context.Context, c *Claims) (*entry, error) {
	if t.any != nil {
		return t.any, nil
	}
	if c.Issuer == "" {
		for _, e := range t.bySubject {
			if strings.HasPrefix(c.Subject, e.subjectPrefix) {
				return e, nil
			}
		}
		return nil, t.noIssuer(c.Subject)
	}
	if t.only != nil {
		// One static entry with one exact iss: a comparison, no hashing.
		if c.Issuer == t.only.id {
			return t.only, nil
		}
	} else if e, ok := t.byID[c.Issuer]; ok {
		return e, nil
	}
	// An iss no entry has: an entry without ID takes the token by its
	// subject prefix (SPIRE adds an iss of its own choosing to JWT-SVIDs
	// when jwt_issuer is set; SPIFFE validation does not use it).
	for _, e := range t.bySubject {
		if e.id == "" && strings.HasPrefix(c.Subject, e.subjectPrefix) {
			return e, nil
		}
	}
	if t.resolver != nil {
		e, err := t.resolver.entryFor(ctx, c.Issuer)
		if errors.Is(err, ErrInvalidIssuer) {
			// The client is told no more than of any unknown issuer.
			detail := t.unknownIssuer(c.Issuer).Detail
			if why := AsError(err).Err; why != ErrInvalidIssuer {
				detail = strings.TrimPrefix(why.Error(), ErrInvalidIssuer.Error()+": ")
			}
			return nil, unverified(ErrInvalidIssuer, detail)
		}
		return e, err
	}
	return nil, t.unknownIssuer(c.Issuer)
}

// canonical returns the canonical issuer of iss (see [Claims.Entry]) and
// whether any entry takes tokens of that iss.
func (t *trustTable) canonical(ctx context.Context, iss string) (string, bool) {
	if t.any != nil {
		if t.any.id != "" {
			return t.any.id, true
		}
		return iss, true
	}
	if e, ok := t.byID[iss]; ok {
		if n := e.nameFor(iss); n != nil && n.name != "" {
			return n.name, true
		}
		return iss, true
	}
	if t.resolver != nil {
		return t.resolver.canonical(ctx, iss)
	}
	return "", false
}

// entryForIssuer returns the static entry of iss (for introspection
// answers), the only entry when there is one and iss is "", or nil.
func (t *trustTable) entryForIssuer(iss string) *entry {
	if t.any != nil {
		return t.any
	}
	if iss == "" {
		if len(t.static) == 1 {
			return t.static[0]
		}
		return nil
	}
	return t.byID[iss]
}

// hasEntries reports whether JWTs can be verified locally.
func (t *trustTable) hasEntries() bool { return t.keyed || t.resolver != nil }

func (t *trustTable) ready(ctx context.Context) error {
	for _, e := range t.static {
		if e.src == nil {
			continue
		}
		if err := e.src.ready(ctx); err != nil {
			return fmt.Errorf("issuer %q: %w", e.id, err)
		}
	}
	return nil
}

func (t *trustTable) close() {
	if t.resolver != nil {
		t.resolver.close()
	}
	for _, s := range t.sources.started {
		s.close()
	}
}

// ageSources lists the remote key sources of the static entries, with
// their labels, for the key-age gauge.
func (t *trustTable) ageSources() []ageSource {
	var out []ageSource
	seen := map[keySource]bool{}
	for _, e := range t.static {
		rs, ok := e.src.(remoteSource)
		if !ok || seen[e.src] {
			continue
		}
		seen[e.src] = true
		label := e.id
		if label == "" {
			label = e.subjectPrefix
		}
		out = append(out, ageSource{issuer: label, fetchedAt: rs.s.FetchedAt})
	}
	return out
}
