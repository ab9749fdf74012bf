package jwtguard

import (
	"errors"
	"slices"

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
				return optErr("WithIssuers", "issuer %q needs exactly one of JWKSURL, Discovery or KeySet", ic.Issuer)
			}
			for _, a := range ic.Audiences {
				if a == "" {
					return optErr("WithIssuers", "issuer %q has an empty audience", ic.Issuer)
				}
			}
		}
		c.issuerConfigs = append(c.issuerConfigs, issuers...)
		return nil
	})
}

// setupIssuers builds one key source per configured issuer.
func (v *Verifier) setupIssuers() error {
	cfg := v.cfg
	if len(cfg.issuers) > 0 || cfg.skipIssuer {
		return errors.New("jwtguard: WithIssuers lists the issuers; do not combine it with WithIssuer or WithoutIssuerCheck")
	}
	v.issuers = make(map[string]*issuerEntry, len(cfg.issuerConfigs))
	rc := cfg.remoteConfig()
	for _, ic := range cfg.issuerConfigs {
		if _, dup := v.issuers[ic.Issuer]; dup {
			return optErr("WithIssuers", "issuer %q listed twice", ic.Issuer)
		}
		e := &issuerEntry{iss: ic.Issuer}
		switch {
		case len(ic.Audiences) > 0:
			e.audiences = slices.Clone(ic.Audiences)
		case len(cfg.audiences) > 0:
			e.audiences = slices.Clone(cfg.audiences)
		case cfg.skipAudience:
		default:
			return optErr("WithIssuers", "issuer %q has no audience: set Audiences or WithAudience (or WithoutAudienceCheck())", ic.Issuer)
		}
		if len(ic.Algorithms) > 0 {
			e.algs = make(map[string]*algSpec, len(ic.Algorithms))
			for _, a := range ic.Algorithms {
				spec, ok := v.algs[a]
				if !ok {
					return optErr("WithIssuers", "issuer %q: algorithm %q is not in WithAlgorithms", ic.Issuer, a)
				}
				e.algs[a] = spec
			}
		}
		switch {
		case ic.JWKSURL != "":
			if _, err := checkRemoteURL(ic.JWKSURL, cfg.insecureHTTP); err != nil {
				return optErr("WithIssuers", "issuer %q: %v", ic.Issuer, err)
			}
			e.src = newRemoteSource(rc, ic.JWKSURL, "", "")
		case ic.Discovery:
			u, err := discoveryURL(ic.Issuer, cfg.insecureHTTP)
			if err != nil {
				return optErr("WithIssuers", "issuer %q: %v", ic.Issuer, err)
			}
			e.src = newRemoteSource(rc, "", u, ic.Issuer)
		default:
			keys, err := keysFromSet(ic.KeySet, false, cfg.log)
			if err != nil {
				return optErr("WithIssuers", "issuer %q: %v", ic.Issuer, err)
			}
			e.src = &staticSource{ks: newKeySet(keys)}
		}
		v.issuers[ic.Issuer] = e
	}
	return nil
}


