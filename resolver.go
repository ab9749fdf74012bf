package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
)

// resolverTable holds the entries the resolver created.
type resolverTable struct {
	resolve      IssuerResolver
	build        func(is Issuer, option string, static bool) (*entry, error)
	firstLoad    time.Duration
	now          func() time.Time // the verifier's clock (WithClock): the budget's minutes
	maxProven    int
	maxProbation int

	mu          sync.Mutex
	entries     map[string]*entry
	probation   []string // issuers on probation, oldest first
	proven      int
	budgetStart time.Time
	budgetUsed  int
	closed      bool
}

func newResolverTable(resolve IssuerResolver, maxIssuers int, firstLoad time.Duration, now func() time.Time, build func(Issuer, string, bool) (*entry, error)) *resolverTable {
	if firstLoad <= 0 {
		firstLoad = defaultFetchTimeout
	}
	return &resolverTable{
		resolve: resolve, firstLoad: firstLoad, now: now, maxProven: maxIssuers, maxProbation: max(2, maxIssuers/4), build: build,
		entries: map[string]*entry{},
	}
}

// entryFor asks the resolver about iss and returns its entry.
func (r *resolverTable) entryFor(ctx context.Context, iss string) (*entry, error) {
	is, ok := r.resolve(ctx, iss)
	if !ok {
		r.drop(iss)
		return nil, newError(ErrInvalidIssuer, "")
	}
	if is.ID != iss || len(is.Aliases) > 0 || len(is.Tenants) > 0 || is.SubjectPrefix != "" {
		return nil, newError(ErrInvalidIssuer, "the issuer resolver returned an entry for another issuer")
	}
	fp := fingerprint(is)
	e, err := r.admit(iss, is, fp)
	if err != nil {
		if errors.Is(err, ErrInvalidIssuer) {
			slog.Default().Error("jwtguard: the issuer resolver returned an unusable entry", slog.String("iss", jose.Truncate(iss)), slog.String("error", err.Error()))
		}
		return nil, err
	}
	return e, nil
}

// admit returns the entry of iss built from is, building it when there is
// none (or the resolver's answer changed) and the probation budget allows.
// Everything happens under r.mu, before any key source starts: concurrent
// first tokens of one issuer build one entry (one key fetch), and an issuer
// refused for the budget starts no fetch at all. Building does not wait for
// the network.
func (r *resolverTable) admit(iss string, is Issuer, fp string) (*entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[iss]; ok && e.fingerprint == fp {
		return e, nil
	}
	if r.closed {
		return nil, newError(ErrKeysUnavailable, "the verifier is closed")
	}
	now := r.now()
	if now.Sub(r.budgetStart) >= time.Minute {
		r.budgetStart, r.budgetUsed = now, 0
	}
	if r.budgetUsed >= r.maxProbation {
		err := newError(ErrKeysUnavailable, "too many new issuers; try again later")
		err.RetryAfter = r.budgetStart.Add(time.Minute).Sub(now)
		return nil, err
	}
	e, err := r.build(is, "WithIssuerResolver", false)
	if err != nil {
		return nil, newError(fmt.Errorf("%w: %v", ErrInvalidIssuer, err), "the issuer resolver returned an unusable entry")
	}
	e.resolved, e.fingerprint, e.onProven = true, fp, r.promote
	e.firstLoad = r.firstLoad
	r.budgetUsed++
	if old, ok := r.entries[iss]; ok { // the resolver changed its answer
		r.removeLocked(iss, old)
	}
	for len(r.probation) >= r.maxProbation {
		r.removeLocked(r.probation[0], r.entries[r.probation[0]])
	}
	r.entries[iss] = e
	r.probation = append(r.probation, iss)
	return e, nil
}

// promote moves e from probation to the proven pool, evicting the least
// recently used proven entry when the pool is full.
func (r *resolverTable) promote(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
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
			r.removeLocked(lru.id, lru)
		}
	}
	r.probation = slices.DeleteFunc(r.probation, func(s string) bool { return s == e.id })
	e.isProven.Store(true)
	r.proven++
}

// drop forgets iss (the resolver no longer trusts it).
func (r *resolverTable) drop(iss string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[iss]; ok {
		r.removeLocked(iss, e)
	}
}

// removeLocked removes iss's entry e and stops its key source.
func (r *resolverTable) removeLocked(iss string, e *entry) {
	if e == nil || r.entries[iss] != e {
		return
	}
	delete(r.entries, iss)
	if e.isProven.Load() {
		r.proven--
	} else {
		r.probation = slices.DeleteFunc(r.probation, func(s string) bool { return s == iss })
	}
	go e.src.close() // the loaded keys of in-flight requests keep working
}

func (r *resolverTable) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for iss, e := range r.entries {
		delete(r.entries, iss)
		e.src.close()
	}
}

// fingerprint identifies what an entry was built from, so a changed answer
// of the resolver rebuilds it.
func fingerprint(is Issuer) string {
	keys := ""
	if is.Keys != nil {
		keys = fmt.Sprintf("%d|%s|%p|%d|%x", is.Keys.kind, is.Keys.url, is.Keys.client, len(is.Keys.keys), is.Keys.secret)
	}
	is.Keys = nil
	return fmt.Sprintf("%s|%#v", keys, is)
}
