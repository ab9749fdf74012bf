package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/internal/dpopjwt"
	"github.com/jwtguard/jwtguard/internal/jose"
)

// DPoP (RFC 9449): a verifier with WithDPoP accepts "Authorization: DPoP
// <token>" with a proof in the DPoP header, per issuer as its mode says
// (dpop.Allowed, dpop.Required; dpop.Disabled).

// maxProofLifetime bounds dpop.Config.ProofLifetime: the replay cache
// holds every proof that long.
const maxProofLifetime = 10 * time.Minute

// dpopState is a verifier's checked DPoP configuration.
type dpopState struct {
	mode      dpop.Mode // the verifier-wide mode
	algs      map[string]*jose.Alg
	algsParam string   // the challenge's algs="..." value
	origins   []string // normalized external origins
	trustHost bool
	lifetime  time.Duration
	replay    dpop.ReplayCache
	nonces    *dpopjwt.Nonces
	keys      *dpopjwt.Keys
}

// checkDPoP validates WithDPoP's configuration.
func checkDPoP(c dpop.Config, leeway time.Duration, proxiedOrigin bool) (*dpopState, error) {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	s := &dpopState{mode: c.Mode, algs: map[string]*jose.Alg{}, trustHost: c.InsecureTrustHostHeader, lifetime: c.ProofLifetime, replay: c.Replay}
	switch c.Mode {
	case dpop.Disabled, dpop.Allowed, dpop.Required:
	case dpop.Inherit:
		fail("Mode is not set: dpop.Allowed (bearer and DPoP tokens) or dpop.Required (DPoP only)")
	default:
		fail("Mode %d is not a mode", c.Mode)
	}
	algs := c.Algorithms
	if len(algs) == 0 {
		algs = dpop.DefaultAlgorithms
	}
	for _, a := range algs {
		spec, ok := jose.LookupAlg(a)
		switch {
		case !ok:
			fail("algorithm %q is not supported (supported: %s)", a, strings.Join(jose.SupportedAlgs(), ", "))
		case spec.Family == jose.FamilyHMAC:
			fail("algorithm %s is symmetric; DPoP proofs use asymmetric algorithms only (RFC 9449 §4.2)", a)
		default:
			s.algs[a] = spec
		}
	}
	s.algsParam = strings.Join(slices.Sorted(func(yield func(string) bool) {
		for a := range s.algs {
			if !yield(a) {
				return
			}
		}
	}), " ")
	for _, o := range c.Origins {
		n, ok := dpopjwt.NormalizeOrigin(o)
		if !ok {
			fail("origin %q is not an http(s) origin (scheme and host, e.g. \"https://api.example.com\")", o)
			continue
		}
		s.origins = append(s.origins, n)
	}
	if len(c.Origins) == 0 && !c.InsecureTrustHostHeader && !proxiedOrigin {
		fail("no Origins: list the external origins the service answers on (\"https://api.example.com\"), which the proofs' htu must name (or trust a proxy's forwarded origin: WithTrustedProxies with Origin; or set InsecureTrustHostHeader)")
	}
	switch {
	case s.lifetime == 0:
		s.lifetime = dpop.DefaultProofLifetime
	case s.lifetime < time.Second || s.lifetime > maxProofLifetime:
		fail("ProofLifetime %s is outside [1s, %s]", s.lifetime, maxProofLifetime)
	}
	if c.NonceSecret != nil || c.NonceLifetime != 0 {
		life := c.NonceLifetime
		if life == 0 {
			life = dpop.DefaultNonceLifetime
		}
		n, err := dpopjwt.NewNonces(c.NonceSecret, life)
		if err != nil {
			fail("NonceSecret/NonceLifetime: %v", err)
		}
		s.nonces = n
	}
	if isNil(s.replay) {
		if c.Replay != nil {
			fail("Replay is a nil store")
		}
		s.replay = dpop.NewMemoryReplayCache(0, 0, s.lifetime+leeway)
	}
	if len(errs) > 0 {
		return nil, optErr("WithDPoP", "%s", strings.Join(errs, "; "))
	}
	s.keys = dpopjwt.NewKeys(4096, 10*time.Minute)
	return s, nil
}

// entryMode resolves an entry's DPoP mode against the verifier-wide one.
func entryMode(m dpop.Mode, s *dpopState) (dpop.Mode, error) {
	switch m {
	case dpop.Inherit:
		if s == nil {
			return dpop.Disabled, nil
		}
		return s.mode, nil
	case dpop.Disabled:
		return m, nil
	case dpop.Allowed, dpop.Required:
		if s == nil {
			return 0, fmt.Errorf("DPoP %s needs WithDPoP (its origins and algorithms)", m)
		}
		return m, nil
	}
	return 0, fmt.Errorf("DPoP mode %d is not a mode", m)
}

// mode returns the DPoP mode that judges claims c (the verifier-wide one
// when c names no entry).
func (v *Verifier) mode(c *Claims) dpop.Mode {
	if v.dpop == nil {
		return dpop.Disabled
	}
	if c != nil && c.ent != nil && c.ent.dpop != dpop.Inherit {
		return c.ent.dpop
	}
	return v.dpop.mode
}

// checkProof checks a DPoP-scheme credential's proof for token and
// returns it; the jti is not recorded yet.
// b is token's binding, nil when it has none.
func (v *Verifier) checkProof(cred *Credential, token string, b *binding, now time.Time) (*dpopjwt.Proof, error) {
	s := v.dpop
	if cred.DPoPProof == "" {
		return nil, proofError("the request has no DPoP header")
	}
	p, err := dpopjwt.Parse(cred.DPoPProof, s.algs, s.keys, now)
	if err != nil {
		return nil, proofError(strings.TrimPrefix(err.Error(), dpopjwt.ErrProof.Error()+": "))
	}
	path, ok := dpopjwt.NormalizePath(cred.RequestURI)
	if !ok {
		return nil, proofError(fmt.Sprintf("the request URI %s cannot be compared with htu", shown(cred.RequestURI)))
	}
	origins := s.origins
	if cred.Origin != "" {
		o, ok := dpopjwt.NormalizeOrigin(cred.Origin)
		if !ok {
			return nil, proofError(fmt.Sprintf("the request's origin %s is not an http(s) origin", shown(cred.Origin)))
		}
		origins = append(slices.Clip(origins), o)
	}
	req := dpopjwt.Request{Method: cred.Method, Origins: origins, Path: path, AccessToken: token, Now: now, Window: s.lifetime, Leeway: v.leeway}
	if b != nil && b.jkt != "" {
		req.AccessTokenHash = b.tokenHash(token)
	}
	err = p.Check(&req)
	if err != nil {
		return nil, proofError(strings.TrimPrefix(err.Error(), dpopjwt.ErrProof.Error()+": "))
	}
	if s.nonces != nil && !s.nonces.Check(p.Nonce, now) {
		e := newError(dpop.ErrUseNonce, "")
		e.Detail = "the proof carries no nonce of this server, or a stale one; a fresh one is in the DPoP-Nonce header"
		if p.Nonce == "" {
			e.Detail = "the proof carries no nonce; this server requires one, sent in the DPoP-Nonce header"
		}
		e.auth = &authSchemes{nonce: s.nonces.Issue(now)}
		return nil, e
	}
	return p, nil
}

// recordProof records the proof's jti; its errors are the replay cache's.
func (v *Verifier) recordProof(ctx context.Context, p *dpopjwt.Proof) error {
	until := p.IAT.Add(v.dpop.lifetime + v.leeway)
	err := v.dpop.replay.Use(ctx, p.JKT, p.JTI, until)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dpop.ErrReplay):
		e := newError(fmt.Errorf("%w: %w", dpop.ErrInvalidProof, dpop.ErrReplay), "")
		e.Detail = fmt.Sprintf("the proof's jti %s was used before with this key", shown(p.JTI))
		return e
	case errors.Is(err, dpop.ErrKeyQuota):
		e := newError(fmt.Errorf("%w: %v", ErrThrottled, err), "")
		e.Detail = "the DPoP key " + p.JKT + " used its quota of proofs; one stolen token and key cannot fill the replay cache"
		e.RetryAfter = v.dpop.lifetime
		return e
	}
	e := newError(fmt.Errorf("%w: DPoP replay cache: %v", ErrRevocationUnavailable, err), "")
	e.Detail = "the DPoP replay cache cannot record the proof, so it cannot be accepted safely"
	return e
}

// proofError is the 401 invalid_dpop_proof of a proof that fails.
func proofError(detail string) *Error {
	e := newError(dpop.ErrInvalidProof, "")
	e.Detail = detail
	return e
}

// dpopEvidence fills cred with r's DPoP evidence: its DPoP header,
// method, request URI and, where trusted, its origin. Several DPoP
// headers are refused (RFC 9449 §4.3 step 1).
func (v *Verifier) dpopEvidence(r *http.Request, cred *Credential) error {
	switch proofs := r.Header.Values("DPoP"); len(proofs) {
	case 0:
	case 1:
		cred.DPoPProof = proofs[0]
	default:
		return proofError(fmt.Sprintf("the request has %d DPoP headers; exactly one is allowed (RFC 9449 §4.3)", len(proofs)))
	}
	cred.Method = r.Method
	cred.RequestURI = r.RequestURI
	if cred.RequestURI == "" && r.URL != nil { // a request made by a client, not received
		cred.RequestURI = r.URL.RequestURI()
	}
	if o, ok := v.proxies.Origin(r); ok {
		cred.Origin = o
	} else if v.dpop.trustHost && r.Host != "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		cred.Origin = scheme + "://" + r.Host
	}
	return nil
}

// authSchemes says which challenges a 401 carries when DPoP is on
// (RFC 9449 §7.1): Bearer, DPoP with its algorithms, or both.
type authSchemes struct {
	bearer   bool
	dpopAlgs string // "" when DPoP is not accepted
	onDPoP   bool   // the error code goes on the DPoP challenge
	nonce    string // a fresh nonce for the DPoP-Nonce header
}

// decorate tells a 401 which schemes to challenge with.
func (v *Verifier) decorate(e *Error, c *Claims, cred *Credential) {
	if v.dpop == nil || e.Status != http.StatusUnauthorized {
		return
	}
	m := v.mode(c)
	if m == dpop.Disabled {
		return
	}
	a := e.auth
	if a == nil {
		a = &authSchemes{}
		e.auth = a
	}
	a.bearer = m == dpop.Allowed
	a.dpopAlgs = v.dpop.algsParam
	a.onDPoP = !a.bearer || (cred != nil && strings.EqualFold(cred.Scheme, "DPoP")) || errors.Is(e, ErrProofOfPossession)
}

// dpopResult names a DPoP check's outcome for the jwtguard.dpop.proofs
// metric.
func dpopResult(err error) string {
	switch {
	case err == nil:
		return "valid"
	case errors.Is(err, dpop.ErrUseNonce):
		return "nonce_required"
	case errors.Is(err, ErrThrottled):
		return "over_quota"
	case errors.Is(err, ErrRevocationUnavailable):
		return "cache_error"
	case errors.Is(err, dpop.ErrReplay):
		return "replayed"
	}
	return "invalid"
}
