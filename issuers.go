package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// IssuerConfig describes one trusted issuer for [WithIssuers]: where its keys
// come from, which audiences its tokens must carry, and optionally which
// algorithms it may use. Exactly one key source must be set.
type IssuerConfig struct {
	// Issuer is the exact iss value of this issuer's tokens.
	Issuer string
	// JWKSURL is the issuer's JWKS endpoint.
	JWKSURL string
	// Discovery uses OpenID Connect Discovery at Issuer to find the JWKS.
	Discovery bool
	// KeySet is a fixed set of keys (public keys or oct secrets).
	KeySet jwk.Set
	// Audiences accepted for this issuer; empty means the verifier-wide
	// WithAudience list.
	Audiences []string
	// Algorithms allowed for this issuer (a subset of WithAlgorithms);
	// empty means every algorithm of WithAlgorithms.
	Algorithms []string
}

// check validates one IssuerConfig on its own.
func (ic *IssuerConfig) check() error {
	if ic.Issuer == "" {
		return errors.New("empty Issuer")
	}
	n := 0
	if ic.JWKSURL != "" {
		n++
	}
	if ic.Discovery {
		n++
	}
	if ic.KeySet != nil {
		n++
	}
	if n != 1 {
		return fmt.Errorf("issuer %q needs exactly one of JWKSURL, Discovery or KeySet", ic.Issuer)
	}
	for _, a := range ic.Audiences {
		if a == "" {
			return fmt.Errorf("issuer %q has an empty audience", ic.Issuer)
		}
	}
	return nil
}

// WithIssuers trusts several issuers, each with its own key source. The key
// set used for a token is chosen by its iss, among these issuers only: a
// token claiming issuer B but signed with A's key fails, and an unknown iss
// never causes a network request.
func WithIssuers(issuers ...IssuerConfig) Option {
	return optionFunc(func(c *config) error {
		if len(issuers) == 0 {
			return optErr("WithIssuers", "no issuer given")
		}
		for i, ic := range issuers {
			if ic.Issuer == "" {
				return optErr("WithIssuers", "issuer %d has an empty Issuer", i)
			}
			if err := ic.check(); err != nil {
				return optErr("WithIssuers", "%v", err)
			}
		}
		c.issuerConfigs = append(c.issuerConfigs, issuers...)
		return nil
	})
}

// IssuerResolver returns the configuration of an issuer that is not listed
// in [WithIssuers], typically one per tenant of a multi-tenant identity
// provider (Microsoft Entra ID: "https://login.microsoftonline.com/{tid}/v2.0").
//
// iss comes from a token whose signature has NOT been checked yet: it is
// attacker-controlled. Return ok=false for every issuer the application does
// not trust (look the tenant up in your own allowlist; never build a URL
// from iss without validating it). The returned config's Issuer must equal
// iss exactly, or the token is refused.
type IssuerResolver func(ctx context.Context, iss string) (cfg IssuerConfig, ok bool)

// issuerResolver holds the resolver and the issuers it has created.
type issuerResolver struct {
	resolve IssuerResolver
	max     int

	mu      sync.RWMutex
	entries map[string]*issuerEntry
	closed  bool
}

// WithIssuerResolver trusts issuers decided at run time by resolve, in
// addition to (or instead of) those of [WithIssuers]. resolve is called,
// before any network request, for a token whose iss is not yet known; the
// issuer it returns gets its own key source, kept for the verifier's
// lifetime. At most maxIssuers issuers are created this way: once the cap is
// reached, tokens of further new issuers are refused with
// [ErrInvalidIssuer] (and a warning is logged), so a flood of tokens naming
// different tenants cannot create unbounded key sources or fetches.
//
// The first token of a newly resolved remote issuer waits for its keys (at
// most the fetch timeout, see [WithFetchTimeout]).
func WithIssuerResolver(resolve IssuerResolver, maxIssuers int) Option {
	return optionFunc(func(c *config) error {
		if resolve == nil {
			return optErr("WithIssuerResolver", "nil resolver")
		}
		if maxIssuers <= 0 {
			return optErr("WithIssuerResolver", "maxIssuers must be positive, got %d", maxIssuers)
		}
		if c.resolver != nil {
			return optErr("WithIssuerResolver", "given twice")
		}
		c.resolver = &issuerResolver{resolve: resolve, max: maxIssuers, entries: map[string]*issuerEntry{}}
		return nil
	})
}

// setupIssuers builds one key source per configured issuer.
func (v *Verifier) setupIssuers() error {
	cfg := v.cfg
	if len(cfg.issuers) > 0 || cfg.skipIssuer {
		return errors.New("jwtguard: WithIssuers and WithIssuerResolver list the issuers; do not combine them with WithIssuer or WithoutIssuerCheck")
	}
	v.issuers = make(map[string]*issuerEntry, len(cfg.issuerConfigs))
	for _, ic := range cfg.issuerConfigs {
		if _, dup := v.issuers[ic.Issuer]; dup {
			return optErr("WithIssuers", "issuer %q listed twice", ic.Issuer)
		}
		e, err := v.newIssuerEntry(ic)
		if err != nil {
			return optErr("WithIssuers", "%v", err)
		}
		v.issuers[ic.Issuer] = e
	}
	return nil
}

// newIssuerEntry builds the entry for ic, starting its key source.
func (v *Verifier) newIssuerEntry(ic IssuerConfig) (*issuerEntry, error) {
	cfg := v.cfg
	e := &issuerEntry{iss: ic.Issuer}
	switch {
	case len(ic.Audiences) > 0:
		e.audiences = slices.Clone(ic.Audiences)
	case len(cfg.audiences) > 0:
		e.audiences = slices.Clone(cfg.audiences)
	case cfg.skipAudience:
	default:
		return nil, fmt.Errorf("issuer %q has no audience: set Audiences or WithAudience (or WithoutAudienceCheck())", ic.Issuer)
	}
	if len(ic.Algorithms) > 0 {
		e.algs = make(map[string]*algSpec, len(ic.Algorithms))
		for _, a := range ic.Algorithms {
			spec, ok := v.algs[a]
			if !ok {
				return nil, fmt.Errorf("issuer %q: algorithm %q is not in WithAlgorithms", ic.Issuer, a)
			}
			e.algs[a] = spec
		}
	}
	switch {
	case ic.JWKSURL != "" || ic.Discovery:
		src, err := cfg.remoteKeySource(ic.JWKSURL, ic.Issuer) // JWKSURL "": discovery
		if err != nil {
			return nil, fmt.Errorf("issuer %q: %v", ic.Issuer, err)
		}
		e.src = src
	default:
		keys, err := keysFromSet(ic.KeySet, false, cfg.log)
		if err != nil {
			return nil, fmt.Errorf("issuer %q: %v", ic.Issuer, err)
		}
		e.src = newStaticSource(keys)
	}
	return e, nil
}

// issuerFor returns the entry for iss in multi-issuer mode: a configured
// issuer, or one the resolver allows. An unknown issuer is refused before
// any network request.
func (v *Verifier) issuerFor(ctx context.Context, iss string) (*issuerEntry, error) {
	if e, ok := v.issuers[iss]; ok {
		return e, nil
	}
	r := v.cfg.resolver
	if r == nil || iss == "" {
		return nil, fmt.Errorf("%w: not a configured issuer", ErrInvalidIssuer)
	}
	r.mu.RLock()
	e, ok := r.entries[iss]
	r.mu.RUnlock()
	if !ok {
		var err error
		if e, err = v.resolveIssuer(ctx, r, iss); err != nil {
			return nil, err
		}
	}
	if _, err := e.src.current(); err == nil {
		return e, nil
	}
	// A new remote source loads in the background; give it the fetch
	// timeout (or the request's deadline, if sooner) to do so.
	rctx, cancel := context.WithTimeout(ctx, v.cfg.fetchTimeout)
	defer cancel()
	if err := e.src.ready(rctx); err != nil {
		return nil, err
	}
	return e, nil
}

// resolveIssuer asks the resolver about iss and creates its entry.
func (v *Verifier) resolveIssuer(ctx context.Context, r *issuerResolver, iss string) (*issuerEntry, error) {
	ic, ok := r.resolve(ctx, iss)
	if !ok {
		return nil, fmt.Errorf("%w: not a configured issuer", ErrInvalidIssuer)
	}
	if ic.Issuer != iss {
		v.log.Warn("jwtguard: issuer resolver returned a config for another issuer; token refused",
			slog.String("iss", truncate(iss)), slog.String("resolved", truncate(ic.Issuer)))
		return nil, fmt.Errorf("%w: resolver returned a different issuer", ErrInvalidIssuer)
	}
	if err := ic.check(); err != nil {
		v.log.Error("jwtguard: issuer resolver returned an invalid config", slog.String("error", err.Error()))
		return nil, fmt.Errorf("%w: resolver returned an invalid issuer config", ErrInvalidIssuer)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[iss]; ok { // a concurrent request won
		return e, nil
	}
	if r.closed {
		return nil, fmt.Errorf("%w: verifier closed", ErrKeysUnavailable)
	}
	if len(r.entries) >= r.max {
		v.log.Warn("jwtguard: issuer resolver cap reached; token of a new issuer refused",
			slog.String("iss", truncate(iss)), slog.Int("max", r.max))
		return nil, fmt.Errorf("%w: too many resolved issuers", ErrInvalidIssuer)
	}
	e, err := v.newIssuerEntry(ic)
	if err != nil {
		v.log.Error("jwtguard: issuer resolver returned an unusable config", slog.String("error", err.Error()))
		return nil, fmt.Errorf("%w: resolver returned an unusable issuer config", ErrInvalidIssuer)
	}
	r.entries[iss] = e
	return e, nil
}

// close stops the key sources the resolver created.
func (r *issuerResolver) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, e := range r.entries {
		e.src.close() // the loaded keys keep verifying
	}
}
