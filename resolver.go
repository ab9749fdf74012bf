package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
)

// admissionWindow is the period of the resolver's admission limits.
const admissionWindow = time.Minute

// resolverTable holds the entries the resolver created.
//
// Admission control. A resolved issuer's first token costs a key fetch
// before any signature is checked, and the iss of a token is
// attacker-controlled, so admissions are limited — without letting forged
// tokens that name one tenant delay another:
//
//   - An issuer never admitted before, or one whose token verified since
//     its last admission, is admitted at once. Forged tokens can make each
//     allowlisted issuer cost one such fetch, once: proofs come only from
//     genuine tokens.
//
//   - An issuer admitted before whose tokens never verified (forged
//     tokens named it, or its tokens stopped coming and it was evicted) is
//     admitted again at most once per admissionWindow, and all such
//     re-admissions together at most maxProbation times per window.
//
//   - Probation holds maxProbation unproven entries. A new admission
//     evicts the oldest whose first key load is over, or else the oldest
//     still loading: slow key loads of issuers forged tokens named never
//     keep another issuer out.
//
// So forged tokens cause at most one fetch per allowlisted issuer, then at
// most min(maxProbation, allowlist size) fetches per minute; a genuine
// tenant they did not name is never refused for the budget or for slots.
// Admissions are remembered in a bounded table (history, max(16384,
// 16·maxIssuers) issuers): an issuer forgotten there counts as new again,
// so with an allowlist larger than the history, forged tokens cycling
// through it cause one fetch per name they cycle through.
type resolverTable struct {
	resolve      IssuerResolver
	build        func(is Issuer, option string, static bool) (*entry, error)
	now          func() time.Time
	firstLoad    time.Duration
	maxProven    int
	maxProbation int

	mu          sync.Mutex
	entries     map[string]*entry // by canonical ID
	byIss       map[string]*entry // by every iss an entry answers for: its ID and aliases
	probation   []*entry          // unproven entries, oldest first
	proven      int
	history     admissions
	budgetStart time.Time
	budgetUsed  int // re-admissions of unproven issuers in the current window
	closed      bool
}

func newResolverTable(resolve IssuerResolver, maxIssuers int, firstLoad time.Duration, now func() time.Time, build func(Issuer, string, bool) (*entry, error)) *resolverTable {
	if firstLoad <= 0 {
		firstLoad = defaultFetchTimeout
	}
	return &resolverTable{
		resolve: resolve, build: build, now: now, firstLoad: firstLoad,
		maxProven: maxIssuers, maxProbation: max(2, maxIssuers/4),
		entries: map[string]*entry{}, byIss: map[string]*entry{},
		history: newAdmissions(max(1<<14, 16*maxIssuers)),
	}
}

// entryFor asks the resolver about iss and returns its entry.
func (r *resolverTable) entryFor(ctx context.Context, iss string) (*entry, error) {
	is, ok := r.resolve(ctx, iss)
	if !ok {
		r.drop(iss)
		return nil, newError(ErrInvalidIssuer, "")
	}
	if err := checkAnswer(iss, is); err != nil {
		slog.Default().Error("jwtguard: the issuer resolver returned an unusable entry", slog.String("iss", jose.Truncate(iss)), slog.String("error", err.Error()))
		return nil, newError(fmt.Errorf("%w: %v", ErrInvalidIssuer, err), "")
	}
	e, err := r.admit(iss, is)
	if err != nil {
		if errors.Is(err, ErrInvalidIssuer) {
			slog.Default().Error("jwtguard: the issuer resolver returned an unusable entry", slog.String("iss", jose.Truncate(iss)), slog.String("error", err.Error()))
		}
		return nil, err
	}
	return e, nil
}

// checkAnswer refuses a resolver answer that cannot be an entry for iss:
// one for another issuer, a template, a subject-routed entry, or one
// without keys (it could never verify anything).
func checkAnswer(iss string, is Issuer) error {
	switch {
	case is.ID != iss && !slices.Contains(is.Aliases, iss):
		return errors.New("the answer is for another issuer (its ID and Aliases do not contain the token's iss)")
	case len(is.Tenants) > 0 || is.SubjectPrefix != "":
		return errors.New("an answer has exact IDs and aliases: no Tenants, no SubjectPrefix")
	case is.Keys == nil:
		return errors.New("the answer has no Keys")
	}
	for _, id := range slices.Concat([]string{is.ID}, is.Aliases) {
		if id == "" || containsBrace(id) {
			return fmt.Errorf("the answer's ID and Aliases must be exact issuers, got %q", jose.Truncate(id))
		}
	}
	return nil
}

func containsBrace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '{' || s[i] == '}' {
			return true
		}
	}
	return false
}

// admit returns the entry of iss built from is, building it when there is
// none (or the resolver's answer changed) and the admission limits allow.
// Everything happens under r.mu, before any key source starts: concurrent
// first tokens of one issuer build one entry (one key fetch), and an issuer
// refused for the limits starts no fetch at all. Building does not wait for
// the network.
func (r *resolverTable) admit(iss string, is Issuer) (*entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.byIss[iss]
	if old != nil && sameAnswer(old.answer, is) {
		return old, nil
	}
	if r.closed {
		return nil, newError(ErrKeysUnavailable, "the verifier is closed")
	}
	if old == nil {
		old = r.entries[is.ID]
	}
	now := r.now()
	if now.Sub(r.budgetStart) >= admissionWindow || now.Before(r.budgetStart) {
		r.budgetStart, r.budgetUsed = now, 0
	}
	// A changed answer for a proven entry (a key replaced, an audience
	// added) is rebuilt at once; anything else is an admission.
	charged := false
	if old == nil || !old.isProven.Load() {
		if at, seen, proven := r.history.get(is.ID); seen && !proven {
			if wait := at.Add(admissionWindow).Sub(now); wait > 0 && old == nil {
				return nil, r.refuse(wait, "this issuer was admitted in the last minute and none of its tokens verified")
			}
			if r.budgetUsed >= r.maxProbation {
				return nil, r.refuse(r.budgetStart.Add(admissionWindow).Sub(now), "too many unproven issuers admitted again this minute")
			}
			charged = true
		}
	}
	// Room in probation: evict the oldest entry whose first key load is
	// over, or else the oldest one still loading. Never refuse for loads
	// in flight: forged tokens naming tenants whose keys are slow to load
	// would otherwise hold every slot and get a tenant they did not name a
	// 503. The evicted entry's waiting requests keep the keys its load
	// brings (or fail with 503 when it fails).
	for len(r.probation) >= r.maxProbation {
		i := slices.IndexFunc(r.probation, func(x *entry) bool { return x != old && !x.loading(now) })
		if i < 0 {
			i = slices.IndexFunc(r.probation, func(x *entry) bool { return x != old })
		}
		if i < 0 {
			return nil, r.refuse(firstLoadPoll*10, "every probation slot is loading keys")
		}
		r.removeLocked(r.probation[i])
	}
	e, err := r.build(is, "WithIssuerResolver", false)
	if err != nil {
		return nil, newError(fmt.Errorf("%w: %v", ErrInvalidIssuer, err), "")
	}
	e.resolved, e.answer, e.onProven, e.firstLoad = true, is, r.promote, r.firstLoad
	e.name.resolved = true
	if charged {
		r.budgetUsed++
	}
	if old != nil {
		r.removeLocked(old) // the resolver changed its answer
	}
	// An entry that answered for one of e's issuers (a resolver whose
	// answers disagree) gives way.
	for _, id := range slices.Concat([]string{is.ID}, is.Aliases) {
		if x := r.byIss[id]; x != nil {
			r.removeLocked(x)
		}
	}
	r.entries[is.ID] = e
	for _, id := range slices.Concat([]string{is.ID}, is.Aliases) {
		r.byIss[id] = e
	}
	r.probation = append(r.probation, e)
	r.history.put(is.ID, now, false)
	return e, nil
}

// refuse is the 503 of an admission the limits refuse.
func (r *resolverTable) refuse(wait time.Duration, why string) *Error {
	err := newError(fmt.Errorf("%w: %s", ErrKeysUnavailable, why), "")
	err.RetryAfter = max(wait, time.Second)
	return err
}

// promote moves e from probation to the proven pool, evicting the least
// recently used proven entry when the pool is full. An entry evicted from
// probation while its first token was being verified is remembered as
// proven, so its next token is admitted at once.
func (r *resolverTable) promote(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.history.put(e.id, r.now(), true)
	if e.isProven.Load() || r.entries[e.id] != e {
		return
	}
	if r.proven >= r.maxProven {
		var lru *entry
		for _, x := range r.entries {
			if x.isProven.Load() && (lru == nil || x.lastUsed.Load() < lru.lastUsed.Load()) {
				lru = x
			}
		}
		if lru != nil {
			r.removeLocked(lru)
		}
	}
	r.probation = slices.DeleteFunc(r.probation, func(x *entry) bool { return x == e })
	e.isProven.Store(true)
	r.proven++
}

// drop forgets the entry that answers for iss (the resolver no longer
// trusts it).
func (r *resolverTable) drop(iss string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byIss[iss]; ok {
		r.removeLocked(e)
	}
}

// removeLocked removes e and stops its key source.
func (r *resolverTable) removeLocked(e *entry) {
	if e == nil || r.entries[e.id] != e {
		return
	}
	delete(r.entries, e.id)
	for _, id := range slices.Concat([]string{e.answer.ID}, e.answer.Aliases) {
		if r.byIss[id] == e {
			delete(r.byIss, id)
		}
	}
	if e.isProven.Load() {
		r.proven--
	} else {
		r.probation = slices.DeleteFunc(r.probation, func(x *entry) bool { return x == e })
	}
	if e.src != nil {
		go e.src.close() // the loaded keys of in-flight requests keep working
	}
}

// canonical returns the ID of the entry that answers for iss, asking the
// resolver.
func (r *resolverTable) canonical(ctx context.Context, iss string) (string, bool) {
	is, ok := r.resolve(ctx, iss)
	if !ok || checkAnswer(iss, is) != nil {
		return "", false
	}
	return is.ID, true
}

func (r *resolverTable) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for id, e := range r.entries {
		delete(r.entries, id)
		if e.src != nil {
			e.src.close()
		}
	}
	clear(r.byIss)
	r.probation = nil
}

// loading reports whether the entry's first key load is in flight.
func (e *entry) loading(now time.Time) bool {
	if e.src == nil {
		return false
	}
	_, err := e.src.current(now)
	return err != nil && !e.src.failed()
}

// sameAnswer reports whether two resolver answers build the same entry.
// Key sources compare by what they verify with (their fingerprint), not by
// pointer or HTTP client; an answer with Invalid set is never the same.
// It allocates nothing: it runs for every token of a resolved issuer.
func sameAnswer(a, b Issuer) bool {
	return a.ID == b.ID && slices.Equal(a.Aliases, b.Aliases) && slices.Equal(a.Tenants, b.Tenants) &&
		a.CertificateBinding == b.CertificateBinding &&
		a.SubjectPrefix == b.SubjectPrefix && sameKeys(a.Keys, b.Keys) &&
		slices.Equal(a.Audiences, b.Audiences) && (a.Audiences == nil) == (b.Audiences == nil) &&
		a.WithoutAudience == b.WithoutAudience &&
		slices.Equal(a.Algorithms, b.Algorithms) && (a.Algorithms == nil) == (b.Algorithms == nil) &&
		sameClaimMap(a.Claims, b.Claims) && slices.Equal(a.RequiredClaims, b.RequiredClaims) &&
		slices.Equal(a.TokenTypes, b.TokenTypes) && a.TokenUseClaim == b.TokenUseClaim &&
		slices.Equal(a.TokenUses, b.TokenUses) &&
		slices.Equal(a.Clients, b.Clients) && (a.Clients == nil) == (b.Clients == nil) &&
		a.Invalid == nil && b.Invalid == nil && a.Provider == b.Provider && a.MaxTokenSize == b.MaxTokenSize &&
		a.DPoP == b.DPoP
}

func sameClaimMap(a, b ClaimMap) bool {
	eq := func(x, y []string) bool { return slices.Equal(x, y) && (x == nil) == (y == nil) }
	return eq(a.Roles, b.Roles) && eq(a.Scopes, b.Scopes) && eq(a.Permissions, b.Permissions) && a.Tenant == b.Tenant
}

func sameKeys(a, b *KeySource) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	return a.fingerprint() == b.fingerprint()
}

// admissions remembers the issuers a resolver table admitted: when, and
// whether one of their tokens verified. It holds at most max issuers, each
// as a 64-bit hash (with a per-table random seed), and forgets the oldest
// first.
type admissions struct {
	seed  maphash.Seed
	max   int
	byKey map[uint64]admission
	order []uint64 // insertion order, a ring of max keys
	next  int
}

type admission struct {
	at     time.Time
	proven bool
}

func newAdmissions(max int) admissions {
	return admissions{seed: maphash.MakeSeed(), max: max, byKey: map[uint64]admission{}}
}

func (a *admissions) get(iss string) (at time.Time, seen, proven bool) {
	x, ok := a.byKey[maphash.String(a.seed, iss)]
	return x.at, ok, x.proven
}

func (a *admissions) put(iss string, at time.Time, proven bool) {
	k := maphash.String(a.seed, iss)
	if _, ok := a.byKey[k]; ok {
		a.byKey[k] = admission{at: at, proven: proven}
		return
	}
	if len(a.order) < a.max {
		a.order = append(a.order, k)
	} else {
		delete(a.byKey, a.order[a.next])
		a.order[a.next] = k
		a.next = (a.next + 1) % a.max
	}
	a.byKey[k] = admission{at: at, proven: proven}
}
