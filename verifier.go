// Package jwtguard verifies JWT bearer tokens for HTTP services: it takes the
// token from the request (Authorization header or cookie), checks signature,
// algorithm, issuer, audience, expiry and revocation against cached keys,
// and puts typed [Claims] in the request context. Adapters for net/http (and
// chi), Echo and Gin live in sub-packages.
//
// # Trust model
//
// A verifier trusts a list of issuers. Each [Issuer] entry carries
// everything that is per issuer: its exact iss, a [KeySource] (remote
// [JWKS], OIDC [Discovery], [StaticKeys], an [HMAC] secret), audiences,
// algorithms, a [ClaimMap] for roles, scopes, permissions and tenant,
// required claims, token-use checks and allowed calling clients. A token is
// routed to one entry by its iss, before any network request, and judged by
// that entry alone. [WithIssuer] is the one-line form of a one-entry list;
// [Trust] adds hand-made entries or identity-provider profiles, which return
// the same value; [WithIssuerResolver] returns entries at run time.
//
// It is secure by default (RFC 8725): the algorithm allowlist comes from
// configuration, never from the token; issuer and audience are required;
// exp is required; unknown critical headers, JWE, non-canonical encodings
// and duplicate JSON members are refused; and [New] fails, naming the
// option, when a required setting is missing.
//
// # Errors
//
// Every failure is an *[Error] wrapping one sentinel (ErrTokenExpired,
// ErrInvalidSignature, ...). One table gives each sentinel its HTTP status,
// RFC 6750 challenge and error code; [WriteError] writes it. An error that
// wraps no sentinel (a custom extractor's or policy's plain error is the
// only source) is answered 500 by [WriteError] and [AsError], except that
// [Authorize] treats any policy error as a denial (403).
package jwtguard

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/forwarded"
	"github.com/jwtguard/jwtguard/internal/cache"
	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/jwtguard/jwtguard/internal/strictjson"
	"github.com/jwtguard/jwtguard/mtls"
	"github.com/jwtguard/jwtguard/telemetry"
	"go.opentelemetry.io/otel/metric"
)

// Verifier verifies tokens. It is safe for concurrent use. Create it with
// [New] and stop its background key refreshes with [Verifier.Close].
type Verifier struct {
	algs         map[string]*jose.Alg
	algNames     []string // sorted, for diagnostics
	trust        *trustTable
	leeway       time.Duration
	now          func() time.Time
	maxSize      int // the largest size any entry accepts
	extractor    Extractor
	coop         *http.CrossOriginProtection
	log          *slog.Logger // rejections; nil: not logged
	opLog        *slog.Logger // operator events
	cache        *cache.Map[cachedClaims]
	cacheTTL     time.Duration
	revocation   RevocationStore
	revokeOpen   bool
	introspector Introspector
	realm        string
	dpop         *dpopState       // nil without WithDPoP
	certRequired bool             // some entry may require certificate-bound tokens (mtls.Required)
	proxies      *forwarded.Trust // nil without WithTrustedProxies: trusts nobody
	throttle     *throttling      // nil without WithThrottling
	misconfig    *misconfig       // likely configuration mistakes, to opLog
	tel          *instruments     // OpenTelemetry instrumentation
	audit        *audit           // nil: no audit events
	telReg       metric.Registration
	continuous   *continuous // key revocations and store events; nil when the store sends none

	closeOnce sync.Once
}

// New returns a Verifier configured by opts. It checks every setting in one
// place and fails, naming the option, when one is invalid or missing: an
// issuer (WithIssuer, Trust or WithIssuerResolver), WithAlgorithms, and an
// audience for every entry (its own Audiences, or WithAudience; waived only
// by WithoutAudienceCheck). New does not wait for the network: remote keys
// load in the background (see [Verifier.Ready]).
func New(opts ...Option) (*Verifier, error) {
	cfg := &config{}
	var errs []error
	for _, o := range opts {
		if o == nil {
			errs = append(errs, errors.New("jwtguard: nil Option"))
			continue
		}
		if err := o.apply(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	// Settings are checked as a whole even when some option failed, so
	// every problem is reported at once.
	return build(cfg, errs)
}

// build validates cfg as a whole and builds every runtime object. errs are
// the options' own errors; with any, nothing is started.
func build(cfg *config, errs []error) (*Verifier, error) {
	fail := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	v := &Verifier{
		leeway:       defaultLeeway,
		now:          time.Now,
		maxSize:      defaultMaxTokenSize,
		extractor:    cfg.extractor,
		log:          cfg.log,
		opLog:        cfg.log,
		revocation:   cfg.revocation,
		revokeOpen:   cfg.revocationOpen,
		introspector: cfg.introspector,
		realm:        cfg.realm,
		audit:        cfg.audit,
	}
	if v.opLog == nil {
		v.opLog = slog.Default()
	}
	defer func() { v.misconfig = newMisconfig(v.opLog, v.now) }()
	if cfg.given["WithLeeway"] {
		if cfg.leeway < 0 || cfg.leeway > maxLeeway {
			fail(optErr("WithLeeway", "%s is outside [0, %s]", cfg.leeway, maxLeeway))
		}
		v.leeway = cfg.leeway
	}
	if cfg.given["WithClock"] {
		if cfg.now == nil {
			fail(optErr("WithClock", "nil clock"))
		} else {
			v.now = cfg.now
		}
	}
	if cfg.given["WithExtractor"] && isNil(cfg.extractor) {
		fail(optErr("WithExtractor", "nil extractor"))
		v.extractor = nil
	}
	if cfg.given["WithLogger"] && cfg.log == nil {
		fail(optErr("WithLogger", "nil logger"))
	}
	if cfg.given["WithRevocation"] {
		if isNil(cfg.revocation) {
			fail(optErr("WithRevocation", "nil store (check the error of the store's constructor before using it)"))
			v.revocation = nil
		} else {
			fail(checkStoreTolerances(cfg.revocation, v.leeway))
		}
	}
	if cfg.revocationOpen && v.revocation == nil {
		fail(errors.New("jwtguard: WithInsecureRevocationFailOpen needs WithRevocation"))
	}
	if cfg.given["WithIntrospection"] && isNil(cfg.introspector) {
		fail(optErr("WithIntrospection", "nil introspector"))
		v.introspector = nil
	}
	if cfg.given["WithCache"] {
		switch {
		case cfg.cacheSize < 0 || cfg.cacheSize > 10_000_000:
			fail(optErr("WithCache", "size %d is outside [0, 10000000]", cfg.cacheSize))
		case cfg.cacheSize > 0 && (cfg.cacheTTL <= 0 || cfg.cacheTTL > 24*time.Hour):
			fail(optErr("WithCache", "ttl %s is outside (0, 24h]", cfg.cacheTTL))
		case cfg.cacheSize > 0:
			// A verified token's tail is its signature, which its holder
			// cannot choose: hashing 16 bytes picks the shard.
			v.cache = cache.New[cachedClaims](cfg.cacheSize, 16)
			v.cacheTTL = cfg.cacheTTL
		}
	}
	// Cross-origin protection: trusted origins are checked even when the
	// protection is off, so a typo is never silently accepted.
	coop := http.NewCrossOriginProtection()
	for _, o := range cfg.trustedOrigins {
		if err := coop.AddTrustedOrigin(o); err != nil {
			fail(optErr("WithTrustedOrigins", "%v", err))
		}
	}
	if cfg.noCrossOrigin && len(cfg.trustedOrigins) > 0 {
		fail(errors.New("jwtguard: WithTrustedOrigins and WithoutCrossOriginProtection contradict each other"))
	}
	if !cfg.noCrossOrigin {
		v.coop = coop
	}
	// Algorithms.
	v.algs = map[string]*jose.Alg{}
	if len(cfg.algs) == 0 {
		fail(errors.New(`jwtguard: no algorithms configured: add WithAlgorithms("RS256", ...)`))
	}
	for _, a := range cfg.algs {
		if strings.EqualFold(a, "none") {
			fail(optErr("WithAlgorithms", `"none" is never allowed (RFC 8725 §3.1)`))
			continue
		}
		spec, ok := jose.LookupAlg(a)
		if !ok {
			fail(optErr("WithAlgorithms", "unsupported algorithm %q (supported: %s)", a, strings.Join(jose.SupportedAlgs(), ", ")))
			continue
		}
		v.algs[a] = spec
	}
	v.algNames = sortedKeys(v.algs)
	if cfg.given["WithRemoteKeys"] {
		fail(checkRemoteKeys(cfg.remote))
	}
	if cfg.skipAudience && len(cfg.audiences) > 0 {
		fail(errors.New("jwtguard: WithAudience and WithoutAudienceCheck contradict each other"))
	}
	var telCfg telemetry.Config
	if cfg.telemetry != nil {
		telCfg = *cfg.telemetry
	}
	tel, err := newInstruments(telCfg)
	if err != nil {
		fail(optErr("WithTelemetry", "%v", err))
	}
	v.tel = tel
	if cfg.proxies != nil {
		p, err := forwarded.New(*cfg.proxies)
		if err != nil {
			fail(fmt.Errorf("jwtguard: WithTrustedProxies: %w", err))
		}
		v.proxies = p
	}
	if cfg.throttle != nil {
		t, err := newThrottling(*cfg.throttle)
		fail(err)
		v.throttle = t
	}
	if cfg.dpop != nil {
		ds, err := checkDPoP(*cfg.dpop, v.leeway, cfg.proxies != nil && cfg.proxies.Origin)
		fail(err)
		v.dpop = ds
		if v.extractor == nil {
			// Both schemes from Authorization; one of them only.
			v.extractor = FromOneOf(FromAuthHeader(), FromHeader("Authorization", "DPoP"))
		}
	}
	if v.extractor == nil {
		v.extractor = FromAuthHeader()
	}
	// The issuer entries are checked even when other settings failed, so
	// a developer fixes the configuration in one round; no key source is
	// started then.
	sources := &sourceSet{tel: v.tel, remote: cfg.remote, algs: v.algs, now: v.now, log: v.opLog}
	t, err := newTrustTable(cfg, sources, v.dpop, v.maxSize, len(errs) > 0)
	if len(errs) > 0 {
		if err != nil {
			errs = append(errs, err)
		} else {
			t.close()
		}
		return nil, errors.Join(errs...)
	}
	if err != nil {
		return nil, err
	}
	v.trust = t
	// A resolver's answers may require certificate-bound tokens too.
	v.certRequired = cfg.resolver != nil
	for _, e := range t.static {
		v.maxSize = max(v.maxSize, e.maxSize)
		v.certRequired = v.certRequired || e.name.mtls == mtls.Required
	}
	if v.telReg, err = v.tel.keyAges(telCfg.MeterProvider, v.now, t.ageSources); err != nil {
		t.close()
		return nil, optErr("WithTelemetry", "%v", err)
	}
	v.continuous = v.subscribe(cfg.revocation)
	return v, nil
}

// checkStoreTolerances refuses a revocation store whose grace or clock-skew
// tolerance is shorter than the leeway: a revoked token would become valid
// again in the gap.
func checkStoreTolerances(store RevocationStore, leeway time.Duration) error {
	var errs []error
	if g, ok := store.(interface{ Grace() time.Duration }); ok && g.Grace() < leeway {
		errs = append(errs, fmt.Errorf("jwtguard: WithRevocation: the store's grace (%s) is shorter than WithLeeway (%s): a revoked token would be accepted again between exp+grace and exp+leeway; raise the store's grace or lower the leeway", g.Grace(), leeway))
	}
	if s, ok := store.(interface{ Skew() time.Duration }); ok && s.Skew() < leeway {
		errs = append(errs, fmt.Errorf("jwtguard: WithRevocation: the store's clock-skew tolerance (%s) is shorter than WithLeeway (%s): a token minted just before a subject's revocation by a provider whose clock runs ahead would survive it; raise the store's skew or lower the leeway", s.Skew(), leeway))
	}
	return errors.Join(errs...)
}

// isNil reports whether v is nil or a typed nil pointer in an interface
// ((*redis.Store)(nil)), which would panic on first use.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	return isNilPointer(v)
}

// Close stops background key refreshes and the subscription to the
// revocation store's events (key revocations, refreshes on request).
// Verify keeps working with the keys already loaded; nothing is fetched
// after Close.
func (v *Verifier) Close() error {
	v.closeOnce.Do(func() {
		v.continuous.close()
		v.trust.close()
		if v.telReg != nil {
			_ = v.telReg.Unregister()
		}
	})
	return nil
}

// Ready blocks until every statically configured key source has loaded a
// key set, or ctx ends: then it returns an error wrapping
// [ErrKeysUnavailable] that says which issuer is not ready and why (its
// last fetch error). It does not wait out ctx for a failure that waiting
// will not fix: after 3 identical failed fetches of a discovery document
// naming another issuer, or of a provider whose TLS certificate does not
// verify, it returns that error (its text ends with "waiting will not fix
// it"); name-resolution failures, refused connections, timeouts and HTTP
// error statuses may be temporary while a cluster starts, and are waited
// out. Use it in readiness probes; Verify does not need it.
func (v *Verifier) Ready(ctx context.Context) error {
	return v.trust.ready(ctx)
}

// CanonicalIssuer returns the canonical issuer of iss — the
// [Claims.Entry] of its tokens, under which revocations are recorded —
// and whether any entry of the verifier takes tokens of that iss. Aliases
// give their entry's ID ("accounts.google.com" gives
// "https://accounts.google.com"; an Entra v1 issuer its v2 form); an
// issuer decided by [WithIssuerResolver] is asked of the resolver. Use it
// to revoke without a token in hand:
//
//	iss, ok := v.CanonicalIssuer(ctx, "https://sts.windows.net/<tid>/")
//	if ok { err = store.RevokeSubject(ctx, iss, sub, time.Now()) }
func (v *Verifier) CanonicalIssuer(ctx context.Context, iss string) (string, bool) {
	return v.trust.canonical(ctx, iss)
}

// WriteError writes the RFC 6750 response for err with this verifier's
// realm. See the package-level [WriteError].
func (v *Verifier) WriteError(w http.ResponseWriter, err error) {
	WriteError(w, v.realm, err)
}

// Verify checks token and returns its claims. Every error is an *[Error]
// wrapping one sentinel (ErrTokenExpired, ErrInvalidSignature, ...).
//
// Verify has no request, so it refuses every sender-constrained token
// (one whose claims carry cnf) with [ErrProofOfPossession]: use
// [Verifier.Authenticate], or [Verifier.VerifyCredential] with the
// request's evidence.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	var vr verification
	ctx = v.tel.begin(ctx, &vr)
	return v.verifyCredential(ctx, token, nil, &vr)
}

// VerifyCredential verifies a credential taken from a request that is not
// an *http.Request — a gRPC or Connect interceptor's, a gateway's — with
// the request's evidence for sender-constrained tokens: the client
// certificate for certificate-bound tokens (RFC 8705), and for a
// DPoP-scheme credential its DPoP proofs, method, request URI and, from a
// trusted source, origin (RFC 9449). It judges the token exactly as
// [Verifier.Authenticate] does; cred.Token is required. With
// [WithThrottling], its client is cred.ClientAddr.
func (v *Verifier) VerifyCredential(ctx context.Context, cred Credential) (*Claims, error) {
	var vr verification
	ctx = v.tel.begin(ctx, &vr)
	if cred.Token == "" {
		e := newError(ErrNoToken, "")
		v.decorate(e, nil, nil)
		return nil, v.finish(ctx, &vr, nil, e)
	}
	if v.throttle != nil {
		return v.verifyThrottled(ctx, v.throttle.cfg.AddrKey(cred.ClientAddr), &cred, &vr)
	}
	return v.verifyCredential(ctx, cred.Token, &cred, &vr)
}

// verifyCredential is Verify with the request's evidence (nil: none).
func (v *Verifier) verifyCredential(ctx context.Context, token string, cred *Credential, vr *verification) (*Claims, error) {
	vr.token = token
	var c *Claims
	var b *binding
	var err error
	if v.introspector != nil {
		c, b, err = v.verifyWithIntrospection(ctx, token, vr)
	} else {
		c, b, err = v.verify(ctx, token, vr)
	}
	if err == nil && (b != nil || cred != nil || v.dpop != nil || v.certRequired) {
		// Without a binding, evidence, DPoP or an issuer requiring
		// certificate-bound tokens there is nothing to check.
		err = v.checkPresentation(ctx, c, b, cred, token)
	}
	if err != nil {
		e := v.reject(ctx, err, c, token)
		v.decorate(e, c, cred)
		v.finish(ctx, vr, c, e)
		return nil, e
	}
	v.finish(ctx, vr, c, nil)
	return c, nil
}

// finish ends a verification's instrumentation and returns err (an
// *Error, or nil). It is small enough to inline: with neither an audit log
// nor a recording meter or span it costs three tests.
func (v *Verifier) finish(ctx context.Context, vr *verification, c *Claims, err *Error) error {
	if v.audit != nil || vr.metrics || vr.span != nil {
		v.report(ctx, vr, c, err)
	}
	if err == nil {
		return nil // not a typed nil
	}
	return err
}

// report writes a verification's audit event and records its telemetry.
func (v *Verifier) report(ctx context.Context, vr *verification, c *Claims, err *Error) {
	v.audit.event(ctx, vr, c, err)
	v.tel.end(ctx, vr, c, errOrNil(err))
}

// checkPresentation checks how the token was presented: a DPoP-scheme
// credential only through the DPoP check (and only where DPoP is on), a
// bearer credential only where bearer tokens are accepted, a bound token
// only with its binding proven. A proof's jti is recorded last, after
// everything else verified.
func (v *Verifier) checkPresentation(ctx context.Context, c *Claims, b *binding, cred *Credential, token string) error {
	if c != nil && c.ent != nil && c.ent.mtls == mtls.Required && (b == nil || b.x5tS256 == "") {
		e := bindingError("this issuer accepts only tokens bound to the client's certificate (cnf[\"x5t#S256\"], RFC 8705; Issuer.CertificateBinding or WithCertificateBinding is mtls.Required)")
		e.Description = "only certificate-bound tokens are accepted"
		return e
	}
	mode := v.mode(c)
	if cred != nil && strings.EqualFold(cred.Scheme, "DPoP") {
		if mode == dpop.Disabled {
			if v.dpop == nil {
				return bindingError("a DPoP-scheme credential, and DPoP is not enabled on this verifier (WithDPoP)")
			}
			return bindingError("a DPoP-scheme credential, and DPoP is disabled for this issuer (Issuer.DPoP)")
		}
		p, err := v.checkProof(cred, token, b, v.now())
		if err != nil {
			v.tel.dpopProof(ctx, dpopResult(err))
			return err
		}
		if b == nil || b.jkt == "" {
			v.tel.dpopProof(ctx, "invalid")
			return bindingError("a DPoP-scheme token must be DPoP-bound (cnf.jkt) to the proof's key (RFC 9449 §7.1)")
		}
		if err := checkBinding(b, cred, p.JKT); err != nil {
			v.tel.dpopProof(ctx, "invalid")
			return err
		}
		err = v.recordProof(ctx, p)
		v.tel.dpopProof(ctx, dpopResult(err))
		return err
	}
	if mode == dpop.Required {
		e := bindingError("this issuer accepts only DPoP-bound tokens presented with a DPoP proof (Authorization: DPoP)")
		e.Description = "only DPoP-bound tokens presented with a DPoP proof are accepted"
		return e
	}
	if b != nil {
		return checkBinding(b, cred, "")
	}
	return nil
}

// reject turns an error into an *Error and logs it: the reason with its
// Detail, and the header's alg and kid and the claims' iss and sub
// whenever they could be read — never the token.
func (v *Verifier) reject(ctx context.Context, err error, c *Claims, token string) *Error {
	e := AsError(err)
	level := slog.LevelInfo
	if errors.Is(e, dpop.ErrUseNonce) {
		level = slog.LevelDebug // the routine first step of a DPoP client
	}
	if v.log != nil && v.log.Enabled(ctx, level) {
		attrs := make([]slog.Attr, 0, 7)
		attrs = append(attrs, slog.String("reason", e.Error()), slog.Int("status", e.Status))
		hs, ps, _, ok := jose.Split(token)
		if ok {
			if hdr, err := jose.DecodeHeader(hs); err == nil {
				attrs = append(attrs, slog.String("alg", jose.Truncate(hdr.Alg)), slog.String("kid", jose.Truncate(hdr.Kid)))
			}
		}
		switch {
		case c != nil:
			attrs = append(attrs, slog.String("iss", jose.Truncate(c.Issuer)), slog.String("sub", jose.Truncate(c.Subject)))
			if c.ent != nil && c.ent.name != "" {
				attrs = append(attrs, slog.String("entry", c.ent.name))
			}
		case ok && len(token) <= v.maxSize:
			// Refused before the claims were parsed (an algorithm not
			// allowed): iss and sub as the token says, for the log only.
			if payload, err := jose.AppendBase64(nil, ps); err == nil {
				for _, name := range [2]string{"iss", "sub"} {
					if raw, ok := strictjson.Member(payload, name); ok {
						attrs = append(attrs, slog.String(name, jose.Truncate(optionalString(raw))))
					}
				}
			}
		}
		v.log.LogAttrs(ctx, level, "jwtguard: token rejected", attrs...)
	}
	return e
}

// cachedClaims is a verified-token cache entry.
type cachedClaims struct {
	c  *Claims
	ks *jose.KeySet // the key set that verified the token
	e  *entry
	b  *binding // the token's cnf, nil when it is not bound
}

// verify runs every check but the binding's, and returns the token's
// binding (nil when it has no cnf) for the caller to check. On error it
// may return partially-filled claims (for logging only).
func (v *Verifier) verify(ctx context.Context, token string, vr *verification) (*Claims, *binding, error) {
	return v.verifyAs(ctx, token, nil, vr)
}

// verifyAs is verify for an access token (lt nil) or, with lt, for a
// back-channel logout token: the same decoding, routing, keys and
// signature check, then lt's rules instead of the entry's, and neither the
// verified-token cache nor the revocation store.
func (v *Verifier) verifyAs(ctx context.Context, token string, lt *logoutRules, vr *verification) (*Claims, *binding, error) {
	if len(token) > v.maxSize {
		return nil, nil, newError(ErrTokenTooLarge, "")
	}
	if token == "" {
		return nil, nil, newError(ErrNoToken, "")
	}
	now := v.now()
	if v.cache != nil && lt == nil {
		hit, ok := v.cache.Get(token, now)
		if vr.metrics {
			v.tel.cacheLookup(ctx, vr, ok)
		}
		if ok {
			fresh := true
			if hit.e.resolved {
				// The resolver is asked for every token, hits included: an
				// issuer it no longer trusts loses its cached tokens, and a
				// changed answer has them verified again.
				e, err := v.trust.route(ctx, hit.c)
				if err != nil {
					v.cache.DeleteIf(token, func(x cachedClaims) bool { return x.c == hit.c })
					return nil, nil, err
				}
				fresh = e == hit.e
			}
			if ks, err := hit.e.src.current(now); fresh && err == nil && ks == hit.ks {
				// A shallow copy, so a handler that edits its Claims cannot
				// change what later requests see.
				cp := *hit.c
				c := &cp
				vr.hit = true
				if err := v.checkTimes(c, now); err != nil {
					return c, nil, err
				}
				if err := v.checkKey(ctx, c, now); err != nil {
					return c, nil, err
				}
				if err := v.checkRevocation(ctx, c); err != nil {
					return c, nil, err
				}
				return c, hit.b, nil
			}
			v.cache.DeleteIf(token, func(x cachedClaims) bool { return x.c == hit.c })
		}
	}
	hs, ps, ss, ok := jose.Split(token)
	if !ok {
		if strings.Count(token, ".") == 4 {
			return nil, nil, malformed(errors.New("JWE (encrypted) tokens are not accepted"))
		}
		return nil, nil, malformed(errors.New("a JWS must have three dot-separated parts"))
	}
	hdr, err := jose.DecodeHeader(hs)
	if err != nil {
		return nil, nil, malformed(err)
	}
	vr.alg = hdr.Alg
	spec, allowed := v.algs[hdr.Alg]
	if !allowed {
		e := newError(ErrAlgorithmNotAllowed, "")
		e.Detail = fmt.Sprintf("alg %s is not in WithAlgorithms (%s)", shown(hdr.Alg), strings.Join(v.algNames, ", "))
		return nil, nil, e
	}
	if jose.DecodedLen(len(ps)) < 0 || jose.DecodedLen(len(ss)) < 0 {
		return nil, nil, malformed(jose.ErrBase64)
	}
	var sbuf [512]byte
	sig, err := jose.AppendBase64(sbuf[:0], ss)
	if err != nil {
		return nil, nil, malformed(fmt.Errorf("signature: %w", err))
	}
	if len(sig) == 0 {
		return nil, nil, newError(fmt.Errorf("%w: empty signature", ErrInvalidSignature), "")
	}
	payload, err := jose.AppendBase64(make([]byte, 0, jose.DecodedLen(len(ps))), ps)
	if err != nil {
		return nil, nil, malformed(fmt.Errorf("payload: %w", err))
	}
	var slotBuf [maxWantedSlots][]byte
	slots := v.trust.slots(&slotBuf)
	c, err := parseClaims(payload, v.trust.want, slots, lt == nil)
	if err != nil {
		return nil, nil, err
	}

	// Route to the issuer entry, before any network request.
	e, err := v.trust.route(ctx, c)
	if err != nil {
		if je, ok := err.(*Error); ok && errors.Is(je, ErrInvalidIssuer) {
			v.misconfig.nearMiss(je, []string{c.Issuer}, v.trust.exact)
		}
		return c, nil, err
	}
	c.ent = e.nameFor(c.Issuer)
	if len(token) > e.maxSize {
		return c, nil, unverified(ErrTokenTooLarge, fmt.Sprintf("the token is %d bytes; %s accepts at most %d (Issuer.MaxTokenSize)", len(token), e.label(), e.maxSize))
	}
	if e.algs != nil {
		if spec, ok = e.algs[hdr.Alg]; !ok {
			return c, nil, unverified(ErrAlgorithmNotAllowed, fmt.Sprintf("alg %s is not in the Algorithms of %s (%s)", shown(hdr.Alg), e.label(), strings.Join(sortedKeys(e.algs), ", ")))
		}
	}
	ks, err := e.keys(ctx, now)
	if err != nil {
		return c, nil, err
	}
	msg := token[:len(hs)+1+len(ps)]
	var kbuf [jose.MaxKeysTried]*jose.Key
	cands := ks.Candidates(hdr.Kid, spec, kbuf[:0])
	if len(cands) == 0 && hdr.Kid != "" && !ks.HasKid(hdr.Kid) {
		// Unknown kid: maybe the provider rotated keys. Refresh (rate
		// limited, shared with concurrent callers) and look again.
		e.src.refreshUnknownKid(ctx, hdr.Kid)
		if vr.span != nil {
			linkFetch(ctx, e.src.fetchContext())
		}
		if ks2, err := e.src.current(now); err == nil && ks2 != ks {
			ks = ks2
			cands = ks.Candidates(hdr.Kid, spec, kbuf[:0])
		}
	}
	if len(cands) == 0 {
		if hdr.Kid != "" && ks.HasKid(hdr.Kid) {
			return c, nil, unverified(ErrAlgorithmNotAllowed, fmt.Sprintf("the key with kid %s of %s cannot be used with alg %s (its key type or own alg differs)", shown(hdr.Kid), e.label(), shown(hdr.Alg)))
		}
		if hdr.Kid == "" {
			return c, nil, unverified(ErrKeyNotFound, fmt.Sprintf("the token has no kid and none of the %s of %s fits alg %s", e.src.describe(now), e.label(), shown(hdr.Alg)))
		}
		return c, nil, unverified(ErrKeyNotFound, fmt.Sprintf("kid %s is not among the %s of %s, even after a refresh", shown(hdr.Kid), e.src.describe(now), e.label()))
	}
	var used *jose.Key         // the key that verified the signature
	m := jose.StringBytes(msg) // read-only view of the signing input, no copy
	for _, k := range cands {
		if jose.Verify(spec, k, m, sig) {
			used = k
			break
		}
	}
	if used == nil {
		return c, nil, unverified(ErrInvalidSignature, fmt.Sprintf("the %s signature does not verify with the %d key(s) of %s that fit kid %s", shown(hdr.Alg), len(cands), e.label(), shown(hdr.Kid)))
	}
	e.proven()
	c.ent = e.keyedName(c.ent, used)
	if err := v.checkKey(ctx, c, now); err != nil {
		return c, nil, err
	}
	if lt != nil {
		return c, nil, lt.judge(v, c, payload, slots, hdr.Typ, now)
	}

	// The signature is genuine; now judge the claims.
	err = refuseLogoutToken(hdr.Typ, slots)
	if err == nil {
		err = e.judge(c, payload, slots, hdr.Typ, true)
	}
	if err == nil {
		err = v.checkTimes(c, now)
	}
	v.judged(e, c, err)
	if err != nil {
		return c, nil, err
	}
	if err := v.checkRevocation(ctx, c); err != nil {
		return c, nil, err
	}
	bnd := parseBinding(slots[cnfSlot])
	if v.cache != nil {
		v.store(token, c, ks, e, bnd, now)
	}
	return c, bnd, nil
}

// sortedKeys returns the algorithm names of m, sorted.
func sortedKeys(m map[string]*jose.Alg) []string {
	return slices.Sorted(maps.Keys(m))
}

// malformed classifies an internal/jose error.
func malformed(err error) error {
	return newError(fmt.Errorf("%w: %v", ErrMalformedToken, err), "")
}

// store puts a copy of c in the verified-token cache.
func (v *Verifier) store(token string, c *Claims, ks *jose.KeySet, e *entry, b *binding, now time.Time) {
	until := now.Add(v.cacheTTL)
	if c.ExpiresAt.Before(until) {
		until = c.ExpiresAt
	}
	if !now.Before(until) {
		return
	}
	cp := *c
	// A caller that appends to its copy's slices must not write into the
	// arrays the cached claims share.
	cp.Audience, cp.Roles, cp.Scopes = slices.Clip(cp.Audience), slices.Clip(cp.Roles), slices.Clip(cp.Scopes)
	cp.Permissions, cp.Tenants = slices.Clip(cp.Permissions), slices.Clip(cp.Tenants)
	c.Audience, c.Roles, c.Scopes, c.Permissions, c.Tenants = cp.Audience, cp.Roles, cp.Scopes, cp.Permissions, cp.Tenants
	v.cache.Put(token, cachedClaims{c: &cp, ks: ks, e: e, b: b}, until)
}

// checkTimes applies exp, nbf and iat with the leeway (RFC 7519 §4.1.4-6).
func (v *Verifier) checkTimes(c *Claims, now time.Time) error {
	// The hot path of every verification, cache hits included: compared in
	// Unix seconds and nanoseconds, without time.Time's monotonic-clock
	// arithmetic. exp passes when now-l < exp; nbf and iat fail when
	// now+l < them.
	l := v.leeway
	if !shifted(now, -l).before(c.ExpiresAt) {
		return timeError(ErrTokenExpired, "exp", c.ExpiresAt, now, l, "ago")
	}
	if c.NotBefore.IsZero() && c.IssuedAt.IsZero() {
		return nil
	}
	ahead := shifted(now, l)
	if !c.NotBefore.IsZero() && ahead.before(c.NotBefore) {
		return timeError(ErrTokenNotYetValid, "nbf", c.NotBefore, now, l, "ahead")
	}
	if !c.IssuedAt.IsZero() && ahead.before(c.IssuedAt) {
		return timeError(ErrTokenIssuedInFuture, "iat", c.IssuedAt, now, l, "ahead")
	}
	return nil
}

// instant is a time as Unix seconds and nanoseconds (0 ≤ nsec < 1e9):
// cheaper to shift and compare than a time.Time read from the clock, and
// without the overflow of UnixNano for a test clock's far dates.
type instant struct{ sec, nsec int64 }

// shifted returns t+d as an instant.
func shifted(t time.Time, d time.Duration) instant {
	sec, nsec := t.Unix()+int64(d/time.Second), int64(t.Nanosecond())+int64(d%time.Second)
	if nsec < 0 {
		sec, nsec = sec-1, nsec+int64(time.Second)
	} else if nsec >= int64(time.Second) {
		sec, nsec = sec+1, nsec-int64(time.Second)
	}
	return instant{sec, nsec}
}

// before reports whether i is before t.
func (i instant) before(t time.Time) bool {
	s := t.Unix()
	return i.sec < s || (i.sec == s && i.nsec < int64(t.Nanosecond()))
}

// timeError is the error of a time claim outside the leeway; Detail says
// by how much, so a clock skew between hosts is recognised as one.
func timeError(sentinel error, claim string, at, now time.Time, leeway time.Duration, dir string) *Error {
	e := newError(sentinel, "")
	d := now.Sub(at)
	if dir == "ahead" {
		d = -d
	}
	e.Detail = fmt.Sprintf("%s %s is %s %s of this host's clock (leeway %s, WithLeeway)", claim, at.UTC().Format(time.RFC3339), d.Round(time.Second), dir, leeway)
	return e
}

func (v *Verifier) checkRevocation(ctx context.Context, c *Claims) error {
	if v.revocation == nil {
		return nil
	}
	start := callStart(ctx, v.tel, func(in *instruments) metric.Float64Histogram { return in.revocationDur })
	revoked, err := v.revocation.IsRevoked(ctx, c)
	v.tel.revocationResult(ctx, start, revoked, err)
	if err != nil {
		if v.revokeOpen {
			v.opLog.Warn("jwtguard: revocation store failed; accepting token (fail-open)", slog.String("error", err.Error()))
			return nil
		}
		return newError(fmt.Errorf("%w: %v", ErrRevocationUnavailable, err), "")
	}
	if revoked {
		return newError(ErrTokenRevoked, "")
	}
	return nil
}

// Authenticate extracts the token from r with the configured [Extractor] and
// verifies it. A token taken from a cookie on an unsafe method is accepted
// only if the request passes cross-origin protection. Every error is an
// *[Error]; a request with no credentials gives one wrapping [ErrNoToken].
// With [WithThrottling], a request with a token from a client over its
// limit of failures gives one wrapping [ErrThrottled] (429) before any
// signature work, unless the token is in the verified-token cache.
func (v *Verifier) Authenticate(r *http.Request) (*Claims, error) {
	var vr verification
	ctx := v.tel.begin(r.Context(), &vr)
	cred, err := v.extractor.Extract(r)
	if err != nil {
		e := AsError(err)
		if e.Status == http.StatusInternalServerError {
			v.opLog.Error("jwtguard: the extractor failed", slog.String("error", err.Error()))
		} else {
			v.reject(ctx, e, nil, "")
		}
		v.decorate(e, nil, nil)
		return nil, v.finish(ctx, &vr, nil, e)
	}
	if cred.Token == "" {
		e := newError(ErrNoToken, "")
		v.decorate(e, nil, nil)
		return nil, v.finish(ctx, &vr, nil, e)
	}
	if cred.Source == "cookie" && v.coop != nil {
		if err := v.coop.Check(r); err != nil {
			e := newError(ErrCrossOrigin, "")
			e.Detail = fmt.Sprintf("a cookie token came with a cross-origin %s request (Origin %s, Sec-Fetch-Site %s): %v; allow that origin with WithTrustedOrigins, or send the token in the Authorization header",
				r.Method, shown(r.Header.Get("Origin")), shown(r.Header.Get("Sec-Fetch-Site")), err)
			vr.token = cred.Token
			return nil, v.finish(ctx, &vr, nil, v.reject(ctx, e, nil, cred.Token))
		}
	}
	cred.ClientCertificate = v.clientCertificate(r)
	if v.dpop != nil && strings.EqualFold(cred.Scheme, "DPoP") {
		if err := v.dpopEvidence(r, &cred); err != nil {
			e := v.reject(ctx, err, nil, cred.Token)
			v.decorate(e, nil, &cred)
			vr.token = cred.Token
			return nil, v.finish(ctx, &vr, nil, e)
		}
	}
	if v.throttle != nil {
		return v.authenticateThrottled(ctx, r, &cred, &vr)
	}
	return v.verifyCredential(ctx, cred.Token, &cred, &vr)
}

// clientCertificate returns the request's client certificate: its own TLS
// peer's, or, from a trusted TLS-terminating proxy, the one in the
// configured header. A header from a peer that is not a trusted proxy is
// ignored, and a malformed one from a trusted proxy gives none; both are
// reported to the operator (rate-limited), since either means a
// certificate-bound token will be refused.
func (v *Verifier) clientCertificate(r *http.Request) *x509.Certificate {
	if v.proxies == nil {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			return r.TLS.PeerCertificates[0]
		}
		return nil
	}
	cert, err := v.proxies.ClientCertificate(r)
	if err != nil {
		// One report a minute at most: any client can send the header.
		v.misconfig.report("client certificate header", "jwtguard: client certificate header not used", err,
			slog.String("peer", jose.Truncate(r.RemoteAddr)))
	}
	return cert
}

// verifyWithIntrospection is Verify's path when WithIntrospection is set.
func (v *Verifier) verifyWithIntrospection(ctx context.Context, token string, vr *verification) (*Claims, *binding, error) {
	if isCompactJWS(token) && v.trust.hasEntries() {
		c, bnd, err := v.verify(ctx, token, vr)
		if err != nil {
			return c, nil, err
		}
		active, _, err := v.introspect(ctx, token, true)
		if err != nil {
			return c, nil, err
		}
		if !active {
			return c, nil, newError(ErrTokenInactive, "")
		}
		return c, bnd, nil
	}
	if len(token) > v.maxSize {
		return nil, nil, newError(ErrTokenTooLarge, "")
	}
	if token == "" {
		return nil, nil, newError(ErrNoToken, "")
	}
	active, answer, err := v.introspect(ctx, token, false)
	if err != nil {
		return nil, nil, err
	}
	if !active {
		return nil, nil, newError(ErrTokenInactive, "")
	}
	var slotBuf [maxWantedSlots][]byte
	slots := v.trust.slots(&slotBuf)
	c, err := parseRegistered(answer, v.trust.want, slots)
	if err != nil {
		return nil, nil, err
	}
	e := v.trust.entryForIssuer(c.Issuer)
	if e == nil {
		err := newError(ErrInvalidIssuer, "the introspection answer names no trusted issuer")
		err.Detail = fmt.Sprintf("the answer's iss %s is not a configured issuer; configured: %s", shown(c.Issuer), v.trust.configured())
		return c, nil, err
	}
	c.ent = e.nameFor(c.Issuer)
	if err := e.judge(c, answer, slots, "", false); err != nil {
		return c, nil, err
	}
	if err := v.checkTimes(c, v.now()); err != nil {
		return c, nil, err
	}
	// The revocation store is asked about opaque tokens too, so a logout
	// (RevokeClaims) ends an introspected token with a jti at once, as it
	// ends a JWT.
	if err := v.checkRevocation(ctx, c); err != nil {
		return c, nil, err
	}
	// A cnf in the answer binds the opaque token (RFC 9449 §6.2, RFC 8705
	// §3.2).
	return c, parseBinding(slots[cnfSlot]), nil
}

// introspect asks the introspector and classifies its errors.
func (v *Verifier) introspect(ctx context.Context, token string, jwt bool) (bool, []byte, error) {
	ctx, span := v.tel.introspectSpan(ctx)
	start := callStart(ctx, v.tel, func(in *instruments) metric.Float64Histogram { return in.introspectDur })
	active, answer, err := v.introspector.Introspect(ctx, token, jwt)
	if err == nil && active && !jwt && len(answer) == 0 {
		// Unusable: counted and traced as the failure it is.
		err = fmt.Errorf("%w: an active answer without claims", ErrIntrospectionUnavailable)
	}
	v.tel.introspection(ctx, start, active, err)
	endSpan(span, err)
	if err != nil {
		if !errors.Is(err, ErrIntrospectionUnavailable) {
			err = fmt.Errorf("%w: %v", ErrIntrospectionUnavailable, err)
		}
		return false, nil, newError(err, "")
	}
	return active, answer, nil
}
