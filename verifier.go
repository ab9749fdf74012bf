// Package jwtguard verifies JWT bearer tokens for HTTP services: it takes the
// token from the request (Authorization header or cookie), checks signature,
// algorithm, issuer, audience, expiry and revocation against cached keys
// (JWKS, OIDC discovery or static keys), and puts typed [Claims] in the
// request context. Adapters for net/http (and chi), Echo and Gin live in
// sub-packages.
//
// It is secure by default (RFC 8725): the algorithm allowlist comes from
// configuration, never from the token; issuer and audience are required;
// exp is required; unknown critical headers, JWE, non-canonical encodings
// and duplicate JSON members are refused; and [New] fails, naming the
// option, when a required setting is missing.
package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Verifier verifies tokens. It is safe for concurrent use. Create it with
// [New] and stop its background key refresh with [Verifier.Close].
type Verifier struct {
	cfg       *config
	algs      map[string]*algSpec
	issuers   map[string]*issuerEntry // multi-issuer mode (WithIssuers)
	source    keySource               // single-source mode
	issuerSet []string
	audiences []string
	paths     claimPaths
	extractor Extractor
	coop      *http.CrossOriginProtection
	log       *slog.Logger
	cache     *tokenCache

	closeOnce sync.Once
}

// issuerEntry is one trusted issuer in multi-issuer mode.
type issuerEntry struct {
	iss       string
	src       keySource
	audiences []string
	algs      map[string]*algSpec
}

// New returns a Verifier configured by opts. It validates the configuration
// and fails, naming the option, when a required setting is missing: a key
// source, WithAlgorithms, WithIssuer and WithAudience (the last two can be
// waived only with WithoutIssuerCheck / WithoutAudienceCheck). New does not
// wait for the network: remote keys load in the background (see
// [Verifier.Ready]).
func New(opts ...Option) (*Verifier, error) {
	cfg := defaultConfig()
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
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{
		cfg:       cfg,
		algs:      make(map[string]*algSpec, len(cfg.algs)),
		audiences: slices.Clone(cfg.audiences),
		paths:     claimPaths{role: cfg.roleClaim, tenant: cfg.tenantClaim, scope: cfg.scopeClaim},
		extractor: cfg.extractor,
		log:       cfg.log,
	}
	if cfg.extractor == nil {
		v.extractor = FromAuthHeader()
	}
	for _, a := range cfg.algs {
		v.algs[a] = supportedAlgs[a]
	}
	if !cfg.noCrossOrigin {
		v.coop = http.NewCrossOriginProtection()
		for _, o := range cfg.trustedOrigins {
			if err := v.coop.AddTrustedOrigin(o); err != nil {
				return nil, optErr("WithTrustedOrigins", "%v", err)
			}
		}
	}
	if cfg.cacheSize > 0 {
		v.cache = newTokenCache(cfg.cacheSize, cfg.cacheTTL)
	}
	if len(cfg.issuerConfigs) > 0 || cfg.resolver != nil {
		if err := v.setupIssuers(); err != nil {
			v.Close()
			return nil, err
		}
		return v, nil
	}
	v.issuerSet = slices.Clone(cfg.issuers)
	switch {
	case len(cfg.jwksURLs) == 1:
		src, err := cfg.remoteKeySource(cfg.jwksURLs[0], "")
		if err != nil {
			return nil, optErr("WithJWKS", "%v", err)
		}
		v.source = src
	case len(cfg.discoveryURLs) == 1:
		iss := cfg.discoveryURLs[0]
		src, err := cfg.remoteKeySource("", iss)
		if err != nil {
			return nil, optErr("WithDiscovery", "%v", err)
		}
		if !slices.Contains(v.issuerSet, iss) {
			v.issuerSet = append(v.issuerSet, iss)
		}
		v.source = src
	default:
		keys, err := cfg.buildStaticKeys()
		if err != nil {
			return nil, err
		}
		v.source = newStaticSource(keys)
	}
	return v, nil
}

// discoveryURL returns the OpenID Provider configuration URL for an issuer
// (OpenID Connect Discovery 1.0 §4).
func discoveryURL(issuer string, insecureHTTP bool) (string, error) {
	if _, err := checkRemoteURL(issuer, insecureHTTP); err != nil {
		return "", err
	}
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration", nil
}

// Close stops background key refreshes. Verify keeps working with the keys
// already loaded.
func (v *Verifier) Close() error {
	v.closeOnce.Do(func() {
		if v.source != nil {
			v.source.close()
		}
		for _, e := range v.issuers {
			e.src.close()
		}
		if v.cfg.resolver != nil {
			v.cfg.resolver.close()
		}
	})
	return nil
}

// Ready blocks until every key source has loaded a key set, or ctx ends
// (then it returns an error wrapping [ErrKeysUnavailable]). Use it in
// readiness probes; Verify does not need it.
func (v *Verifier) Ready(ctx context.Context) error {
	if v.source != nil {
		return v.source.ready(ctx)
	}
	for _, e := range v.issuers {
		if err := e.src.ready(ctx); err != nil {
			return fmt.Errorf("issuer %s: %w", e.iss, err)
		}
	}
	return nil
}

// Realm returns the realm configured with [WithRealm].
func (v *Verifier) Realm() string { return v.cfg.realm }

// WriteError writes the RFC 6750 response for err with this verifier's
// realm. See the package-level [WriteError].
func (v *Verifier) WriteError(w http.ResponseWriter, err error) {
	WriteError(w, v.cfg.realm, err)
}

// Verify checks token and returns its claims. Every error is an *[Error]
// wrapping one sentinel (ErrTokenExpired, ErrInvalidSignature, ...).
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	var c *Claims
	var err error
	if v.cfg.introspection != nil {
		c, err = v.verifyWithIntrospection(ctx, token) // introspection.go
	} else {
		c, err = v.verify(ctx, token)
	}
	if err != nil {
		return nil, v.reject(ctx, err, c)
	}
	return c, nil
}

// sentinelDesc gives the developer-facing description for each class.
var sentinelDesc = map[error]string{
	ErrTokenTooLarge:         "token is larger than the size limit",
	ErrMalformedToken:        "token is malformed",
	ErrAlgorithmNotAllowed:   "signing algorithm is not allowed",
	ErrKeyNotFound:           "no key matches the token's key id and algorithm",
	ErrInvalidSignature:      "signature is invalid",
	ErrInvalidTokenType:      "token type (typ) is not accepted",
	ErrInvalidClaim:          "a claim has an invalid type or value",
	ErrMissingClaim:          "a required claim is missing",
	ErrTokenExpired:          "token is expired",
	ErrTokenNotYetValid:      "token is not valid yet",
	ErrTokenIssuedInFuture:   "token is issued in the future",
	ErrInvalidIssuer:         "issuer is not accepted",
	ErrInvalidAudience:       "audience is not accepted",
	ErrTokenRevoked:          "token revoked",
	ErrRevocationUnavailable: "revocation status cannot be checked; try again later",
	ErrKeysUnavailable:       "verification keys are not available yet; try again later",
	ErrInvalidRequest:        "the request is malformed",
	ErrCrossOrigin:           "cookie credentials are not accepted on cross-origin unsafe requests",
	ErrForbidden:             "access denied",
}

var sentinels = []error{ErrTokenTooLarge, ErrMalformedToken, ErrAlgorithmNotAllowed, ErrKeyNotFound,
	ErrInvalidSignature, ErrInvalidTokenType, ErrInvalidClaim, ErrMissingClaim, ErrTokenExpired,
	ErrTokenNotYetValid, ErrTokenIssuedInFuture, ErrInvalidIssuer, ErrInvalidAudience, ErrTokenRevoked,
	ErrRevocationUnavailable, ErrKeysUnavailable}

// reject turns an internal error into an *Error and logs it.
func (v *Verifier) reject(ctx context.Context, err error, c *Claims) *Error {
	var e *Error
	if !errors.As(err, &e) {
		var sentinel error = ErrMalformedToken
		for _, s := range sentinels {
			if errors.Is(err, s) {
				sentinel = s
				break
			}
		}
		e = newError(sentinel, sentinelDesc[sentinel])
		e.Err = err
		if !errors.Is(err, sentinel) {
			e.Err = fmt.Errorf("%w: %v", sentinel, err)
		}
		// A few classes say which claim, from a fixed vocabulary.
		if errors.Is(err, ErrMissingClaim) || errors.Is(err, ErrInvalidClaim) {
			e.Description = safeDetail(err, e.Description)
		}
	}
	if v.log.Enabled(ctx, slog.LevelInfo) {
		attrs := []slog.Attr{slog.String("reason", err.Error())}
		if c != nil {
			attrs = append(attrs, slog.String("alg", truncate(c.Algorithm)), slog.String("kid", truncate(c.KeyID)),
				slog.String("iss", truncate(c.Issuer)), slog.String("sub", truncate(c.Subject)))
		}
		v.log.LogAttrs(ctx, slog.LevelInfo, "jwtguard: token rejected", attrs...)
	}
	return e
}

// safeDetail appends the claim name from an error of the form
// "sentinel: name ..." when the name is a plain identifier.
func safeDetail(err error, base string) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		detail := msg[i+2:]
		if len(detail) <= 64 && quoteSafe(detail) == detail {
			return base + ": " + detail
		}
	}
	return base
}

// verify runs every check. On error it may return partially-filled claims
// (for logging only).
func (v *Verifier) verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > v.cfg.maxTokenSize {
		return nil, ErrTokenTooLarge
	}
	if token == "" {
		return nil, newError(ErrNoToken, "")
	}
	now := v.cfg.now()
	if v.cache != nil {
		if cached, ok := v.cache.get(token, now); ok {
			// A shallow copy, so a handler that edits its Claims cannot
			// change what later requests see.
			cp := *cached
			c := &cp
			if err := v.checkTimes(c, now); err != nil {
				return c, err
			}
			if err := v.checkRevocation(ctx, c); err != nil {
				return c, err
			}
			return c, nil
		}
	}
	hs, ps, ss, ok := splitToken(token)
	if !ok {
		if strings.Count(token, ".") == 4 {
			return nil, fmt.Errorf("%w: JWE (encrypted) tokens are not accepted", ErrMalformedToken)
		}
		return nil, fmt.Errorf("%w: a JWS must have three dot-separated parts", ErrMalformedToken)
	}
	hdr, err := decodeHeader(hs)
	if err != nil {
		return nil, err
	}
	spec, allowed := v.algs[hdr.alg]
	if !allowed {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithmNotAllowed, truncate(hdr.alg))
	}
	if decodedLen(len(ps)) < 0 || decodedLen(len(ss)) < 0 {
		return nil, fmt.Errorf("%w: %v", ErrMalformedToken, errBase64)
	}
	var sbuf [512]byte
	sig, err := appendBase64(sbuf[:0], ss)
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformedToken, err)
	}
	if len(sig) == 0 {
		return nil, fmt.Errorf("%w: empty signature", ErrInvalidSignature)
	}
	payload, err := appendBase64(make([]byte, 0, decodedLen(len(ps))), ps)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformedToken, err)
	}
	c, err := parseClaims(payload, &v.paths, v.cfg.requiredClaims)
	if err != nil {
		return nil, err
	}
	c.Algorithm, c.KeyID, c.TokenType = hdr.alg, hdr.kid, hdr.typ

	// Choose the key source (by issuer in multi-issuer mode) and verify.
	src, audiences := v.source, v.audiences
	if v.issuers != nil {
		e, err := v.issuerFor(ctx, c.Issuer) // issuers.go
		if err != nil {
			return c, err
		}
		if e.algs != nil {
			if spec, ok = e.algs[hdr.alg]; !ok {
				return c, fmt.Errorf("%w: not allowed for this issuer", ErrAlgorithmNotAllowed)
			}
		}
		src = e.src
		if e.audiences != nil {
			audiences = e.audiences
		}
	}
	ks, err := src.current()
	if err != nil {
		return c, err
	}
	msg := token[:len(hs)+1+len(ps)]
	var kbuf [maxKeysTried]*verifyKey
	cands := ks.candidates(hdr.kid, spec, kbuf[:0])
	if len(cands) == 0 && hdr.kid != "" && !ks.hasKid(hdr.kid) {
		// Unknown kid: maybe the provider rotated keys. Refresh (rate
		// limited, shared with concurrent callers) and look again.
		src.refreshUnknownKid(ctx)
		if ks2, err := src.current(); err == nil && ks2 != ks {
			ks = ks2
			cands = ks.candidates(hdr.kid, spec, kbuf[:0])
		}
	}
	if len(cands) == 0 {
		if hdr.kid != "" && ks.hasKid(hdr.kid) {
			return c, fmt.Errorf("%w: the key with this kid cannot be used with %s", ErrAlgorithmNotAllowed, spec.name)
		}
		return c, ErrKeyNotFound
	}
	verified := false
	m := stringBytes(msg) // read-only view of the signing input, no copy
	for _, k := range cands {
		if verifySig(spec, k, m, sig) {
			verified = true
			break
		}
	}
	if !verified {
		return c, ErrInvalidSignature
	}

	// The signature is genuine; now judge the claims.
	if v.cfg.tokenType != "" {
		typ := strings.TrimPrefix(strings.ToLower(hdr.typ), "application/")
		if typ != v.cfg.tokenType {
			return c, ErrInvalidTokenType
		}
	}
	if v.issuers == nil && !v.cfg.skipIssuer && !slices.Contains(v.issuerSet, c.Issuer) {
		return c, ErrInvalidIssuer
	}
	if err := v.checkAudience(c, audiences); err != nil {
		return c, err
	}
	if err := v.checkTimes(c, now); err != nil {
		return c, err
	}
	if err := v.checkRevocation(ctx, c); err != nil {
		return c, err
	}
	if v.cache != nil {
		// Cache a copy: the caller owns c and may edit it.
		cp := *c
		v.cache.put(token, &cp, src, ks, now)
	}
	return c, nil
}

// checkAudience requires aud to contain one of audiences (RFC 7519 §4.1.3),
// unless WithoutAudienceCheck left audiences nil.
func (v *Verifier) checkAudience(c *Claims, audiences []string) error {
	if v.cfg.skipAudience && audiences == nil {
		return nil
	}
	if len(c.Audience) == 0 {
		return fmt.Errorf("%w: token has no aud", ErrInvalidAudience)
	}
	for _, a := range c.Audience {
		if slices.Contains(audiences, a) {
			return nil
		}
	}
	return ErrInvalidAudience
}

// checkTimes applies exp, nbf and iat with the leeway (RFC 7519 §4.1.4-6).
func (v *Verifier) checkTimes(c *Claims, now time.Time) error {
	l := v.cfg.leeway
	if !now.Before(c.ExpiresAt.Add(l)) {
		return ErrTokenExpired
	}
	if !c.NotBefore.IsZero() && now.Add(l).Before(c.NotBefore) {
		return ErrTokenNotYetValid
	}
	if !c.IssuedAt.IsZero() && now.Add(l).Before(c.IssuedAt) {
		return ErrTokenIssuedInFuture
	}
	return nil
}

func (v *Verifier) checkRevocation(ctx context.Context, c *Claims) error {
	store := v.cfg.revocation
	if store == nil {
		return nil
	}
	revoked, err := store.IsRevoked(ctx, c)
	if err != nil {
		if v.cfg.revocationOpen {
			v.log.Warn("jwtguard: revocation store failed; accepting token (fail-open)", slog.String("error", err.Error()))
			return nil
		}
		return fmt.Errorf("%w: %v", ErrRevocationUnavailable, err)
	}
	if revoked {
		return ErrTokenRevoked
	}
	return nil
}

// Authenticate extracts the token from r with the configured [Extractor] and
// verifies it. A token taken from a cookie on an unsafe method is accepted
// only if the request passes cross-origin protection.
func (v *Verifier) Authenticate(r *http.Request) (*Claims, error) {
	tok, src, err := v.extractor.Extract(r)
	if err != nil {
		return nil, AsError(err)
	}
	if tok == "" {
		return nil, newError(ErrNoToken, "")
	}
	if src == SourceCookie && v.coop != nil {
		if err := v.coop.Check(r); err != nil {
			return nil, newError(ErrCrossOrigin, "cookie credentials are not accepted on cross-origin unsafe requests")
		}
	}
	return v.Verify(r.Context(), tok)
}
