package jwtguard

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/forwarded"
	"github.com/jwtguard/jwtguard/mtls"
	"github.com/jwtguard/jwtguard/telemetry"
	"github.com/jwtguard/jwtguard/throttle"
)

// Defaults and limits. They are documented on the options that change them.
const (
	defaultLeeway       = 30 * time.Second
	maxLeeway           = 5 * time.Minute
	defaultMaxTokenSize = 8 << 10
	maxMaxTokenSize     = 1 << 20
	maxFetchTimeout     = 5 * time.Minute
	defaultFetchTimeout = 10 * time.Second
)

// Option configures a [Verifier]. Options only record settings; [New] checks
// them all together and fails, naming the option, when one is invalid,
// missing, contradicted by another, or (for single-valued options) given
// twice.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// issuerOption is one issuer entry and the option that gave it, for errors.
type issuerOption struct {
	Issuer
	option string
}

// config is plain data: what the options said. New builds every runtime
// object from it.
type config struct {
	given map[string]bool // single-valued options seen

	issuers        []issuerOption
	resolver       IssuerResolver
	resolverMax    int
	skipIssuer     bool
	audiences      []string
	skipAudience   bool
	algs           []string
	leeway         time.Duration
	now            func() time.Time
	extractor      Extractor
	revocation     RevocationStore
	revocationOpen bool
	introspector   Introspector
	log            *slog.Logger
	realm          string
	trustedOrigins []string
	noCrossOrigin  bool
	cacheSize      int
	cacheTTL       time.Duration
	remote         RemoteKeys
	dpop           *dpop.Config
	mtls           *mtls.Config
	proxies        *forwarded.Config
	telemetry      *telemetry.Config
	audit          *audit
	throttle       *throttle.Config
}

func optErr(name, format string, args ...any) error {
	return fmt.Errorf("jwtguard: %s: %s", name, fmt.Sprintf(format, args...))
}

// once records a single-valued option and fails when it was given before.
func (c *config) once(name string) error {
	if c.given == nil {
		c.given = map[string]bool{}
	}
	if c.given[name] {
		return optErr(name, "given more than once")
	}
	c.given[name] = true
	return nil
}

// single wraps the body of a single-valued option.
func single(name string, set func(*config) error) Option {
	return optionFunc(func(c *config) error {
		if err := c.once(name); err != nil {
			return err
		}
		return set(c)
	})
}

// WithoutIssuerCheck accepts tokens from any issuer, verified with the keys
// of the one configured entry (whose ID may then be ""). Only safe when
// those keys are trusted for nothing but this service.
func WithoutIssuerCheck() Option {
	return single("WithoutIssuerCheck", func(c *config) error { c.skipIssuer = true; return nil })
}

// WithAudience sets the audiences accepted for every issuer entry that does
// not list its own: a token's aud (string or array) must contain at least
// one of them (RFC 7519 §4.1.3).
func WithAudience(aud ...string) Option {
	return single("WithAudience", func(c *config) error {
		if len(aud) == 0 {
			return optErr("WithAudience", "no audience given")
		}
		for _, s := range aud {
			if s == "" {
				return optErr("WithAudience", "empty audience")
			}
		}
		c.audiences = append([]string(nil), aud...)
		return nil
	})
}

// WithoutAudienceCheck accepts tokens for any audience from entries that do
// not list their own — including tokens minted for other services of the
// same identity provider. Avoid.
func WithoutAudienceCheck() Option {
	return single("WithoutAudienceCheck", func(c *config) error { c.skipAudience = true; return nil })
}

// WithAlgorithms sets the algorithm allowlist (JOSE names: "RS256",
// "ES256", "EdDSA", ...). The token header's alg must be one of them (and of
// the issuer entry's Algorithms, if set) and fit the key. "none" can never
// be allowed.
func WithAlgorithms(algs ...string) Option {
	return single("WithAlgorithms", func(c *config) error {
		if len(algs) == 0 {
			return optErr("WithAlgorithms", "no algorithm given")
		}
		c.algs = append([]string(nil), algs...)
		return nil
	})
}

// WithLeeway sets the tolerated clock skew for exp, nbf and iat (default
// 30 s, at most 5 min).
func WithLeeway(d time.Duration) Option {
	return single("WithLeeway", func(c *config) error { c.leeway = d; return nil })
}

// WithClock sets the time source (for tests).
func WithClock(now func() time.Time) Option {
	return single("WithClock", func(c *config) error { c.now = now; return nil })
}

// WithExtractor sets where tokens are taken from (default
// [FromAuthHeader]).
func WithExtractor(e Extractor) Option {
	return single("WithExtractor", func(c *config) error { c.extractor = e; return nil })
}

// WithRevocation consults store after the signature and claims pass. If the
// store fails, verification fails closed with 503. A store that reports its
// grace or clock-skew tolerance (methods Grace() and Skew() time.Duration,
// as the memory and Redis stores do) must keep them at least as long as the
// leeway, or New fails.
func WithRevocation(store RevocationStore) Option {
	return single("WithRevocation", func(c *config) error { c.revocation = store; return nil })
}

// WithInsecureRevocationFailOpen accepts tokens when the revocation store
// cannot answer. Revoked tokens are then accepted during store outages.
func WithInsecureRevocationFailOpen() Option {
	return single("WithInsecureRevocationFailOpen", func(c *config) error { c.revocationOpen = true; return nil })
}

// WithIntrospection sends tokens that are not a compact JWS (opaque tokens)
// to in (see the introspect package), and JWTs too when in is configured
// for them. An opaque token is accepted when the answer is active and its
// exp, nbf/iat, aud and iss pass, judged by the issuer entry its iss names
// (or the only entry). That entry needs no Keys when every token is
// introspected, but some entry is required: New fails without one.
func WithIntrospection(in Introspector) Option {
	return single("WithIntrospection", func(c *config) error { c.introspector = in; return nil })
}

// WithLogger logs every rejection (reason, kid, alg, iss, sub — never the
// token) at Info (a DPoP use_dpop_nonce challenge, a client's routine
// first step, at Debug), and the operator's events. Without it, rejections
// are not logged one by one, and the operator's events go to
// slog.Default(), so a misconfiguration is never silent: key-source
// failures (discovery mismatch, fetch errors, no usable key) at Warn/Error,
// rate-limited; and likely misconfigurations at Warn, rate-limited — a
// token refused because its iss or aud differs from a configured value
// only by a trailing slash, letter case or the scheme, and validly signed
// tokens of one issuer refused ten times in a row for the same reason with
// none accepted in between. README, "What is logged, and where", lists
// the events.
func WithLogger(l *slog.Logger) Option {
	return single("WithLogger", func(c *config) error { c.log = l; return nil })
}

// WithRealm sets the realm sent in WWW-Authenticate challenges.
func WithRealm(realm string) Option {
	return single("WithRealm", func(c *config) error { c.realm = realm; return nil })
}

// WithTrustedOrigins lets cookie-borne tokens be used on unsafe requests
// from these extra origins ("https://app.example.com"). Each must be a valid
// origin even when cross-origin protection is off.
func WithTrustedOrigins(origins ...string) Option {
	return single("WithTrustedOrigins", func(c *config) error {
		c.trustedOrigins = append([]string(nil), origins...)
		return nil
	})
}

// WithoutCrossOriginProtection accepts cookie-borne tokens on unsafe
// cross-origin requests. This opens the door to CSRF; use only when another
// layer already rejects cross-origin requests.
func WithoutCrossOriginProtection() Option {
	return single("WithoutCrossOriginProtection", func(c *config) error { c.noCrossOrigin = true; return nil })
}

// WithCache keeps up to size verified tokens in memory so a repeated token
// skips signature work. An entry lives no longer than the token's exp and
// ttl; exp/nbf are re-checked and the revocation store is asked on every
// hit; entries verified with a key set that has since changed (a key added,
// rotated or removed) are not used again. Memory is bounded by size: under
// a flood of distinct tokens, arbitrary entries are evicted.
//
// size 0 (the default) disables the cache. A cached hit costs well under a
// microsecond instead of tens of microseconds for an RSA or ECDSA signature
// check; the price is that up to size live bearer tokens are kept in the
// process's memory. The claims returned for a hit are a copy of the cached
// ones; what their slices point to is shared and must be treated as
// read-only. Appending to those slices is safe.
func WithCache(size int, ttl time.Duration) Option {
	return single("WithCache", func(c *config) error { c.cacheSize, c.cacheTTL = size, ttl; return nil })
}

// RemoteKeys tunes how remote key sources ([JWKS], [Discovery]) are
// fetched. The zero value of a field means its default.
type RemoteKeys struct {
	// Client is used for every fetch of a key source that has no client
	// of its own ([KeySource.WithHTTPClient]); default: a client with the
	// default transport. Its redirect policy is replaced by jwtguard's:
	// same host only, never https to http.
	Client *http.Client
	// FetchTimeout bounds each JWKS or discovery request (default 10 s, at
	// most 5 min).
	FetchTimeout time.Duration
	// MinRefresh and MaxRefresh clamp the background refresh interval taken
	// from the response's Cache-Control max-age (default 15 min when it has
	// none); defaults 1 min and 1 h.
	MinRefresh, MaxRefresh time.Duration
	// UnknownKidGap is the shortest gap between fetches caused by tokens
	// naming a kid the key set does not hold (default 5 s): a key newly
	// published by the provider is accepted within this gap, while a flood
	// of random kids costs at most one fetch per gap. A request with an
	// unknown kid waits for the pending fetch (bounded by its context).
	UnknownKidGap time.Duration
	// MaxStale is how long a cached key set keeps verifying tokens after
	// the last successful fetch, while refreshes fail (default 24 h). Past
	// it, requests get 503 until the provider answers again.
	MaxStale time.Duration
	// InsecureHTTP allows plain-http key URLs to any host. Without it,
	// plain http is allowed only when the address actually dialed is a
	// loopback address. Anyone on the network path could substitute keys.
	InsecureHTTP bool
}

// WithRemoteKeys tunes the fetching of remote key sources; see
// [RemoteKeys].
func WithRemoteKeys(r RemoteKeys) Option {
	return single("WithRemoteKeys", func(c *config) error { c.remote = r; return nil })
}

// Trust adds issuer entries. Each entry's ID (and every alias and template
// expansion) must be unique across the verifier. It may be given several
// times; the entries add up.
func Trust(issuers ...Issuer) Option {
	return optionFunc(func(c *config) error {
		if len(issuers) == 0 {
			return optErr("Trust", "no issuer given")
		}
		for _, is := range issuers {
			c.issuers = append(c.issuers, issuerOption{Issuer: is, option: "Trust"})
		}
		return nil
	})
}

// WithIssuer trusts one issuer whose tokens carry iss exactly equal to id,
// verified with keys: the one-line form of Trust(Issuer{ID: id, Keys:
// keys}), with the verifier-wide audiences and algorithms. Given twice, it
// trusts two issuers (each id once).
func WithIssuer(id string, keys *KeySource) Option {
	return optionFunc(func(c *config) error {
		c.issuers = append(c.issuers, issuerOption{Issuer: Issuer{ID: id, Keys: keys}, option: "WithIssuer"})
		return nil
	})
}

// WithIssuerResolver trusts issuers decided at run time by resolve, in
// addition to the static entries. resolve is asked, before any network
// request, for every token whose iss no static entry has — every time, so
// removing a tenant from your allowlist takes effect on its next token (keep
// resolve fast: an in-memory lookup). The entry it returns gets its own key
// source.
//
// The iss of a token whose signature has not been checked is
// attacker-controlled, and admitting an issuer costs a key fetch, so
// admissions are limited and resolved issuers are held in bounded pools:
//
//   - admission: an issuer never admitted before, or one of whose tokens
//     verified since its last admission, is admitted at once. An issuer
//     admitted before whose tokens never verified is admitted again at
//     most once a minute, and such re-admissions together at most
//     max(2, maxIssuers/4) times a minute; beyond that its tokens get 503
//     with Retry-After. Admissions are remembered for
//     max(16384, 16·maxIssuers) issuers.
//   - probation: issuers none of whose tokens has verified yet, at most
//     max(2, maxIssuers/4); a new admission evicts one of them (its key
//     source stopped) to make room.
//   - proven: issuers with at least one verified token, at most maxIssuers.
//     A proven issuer keeps its slot while it is used; when the pool is
//     full, the least recently used proven issuer makes room for a newly
//     proven one.
//
// So forged tokens naming allowlisted tenants can churn probation, but never
// evict a proven tenant and never lock out a legitimate one for good. The
// first token of a newly resolved remote issuer waits for its keys (at most
// the fetch timeout); once a load has failed, tokens fail fast with 503
// while the source retries in the background. README, "Issuers decided at
// run time", has the details.
func WithIssuerResolver(resolve IssuerResolver, maxIssuers int) Option {
	return single("WithIssuerResolver", func(c *config) error {
		c.resolver, c.resolverMax = resolve, maxIssuers
		return nil
	})
}

// WithDPoP accepts DPoP-bound tokens (RFC 9449): "Authorization: DPoP
// <token>" with a proof in the DPoP header, checked as RFC 9449 §4.3 says
// (one header; typ dpop+jwt; an asymmetric alg of c.Algorithms; a public
// jwk that verifies the signature; htm, htu on c.Origins, iat within the
// proof lifetime, ath; the token's cnf.jkt is the proof key's thumbprint;
// the jti never seen before; the server's nonce when c.NonceSecret is
// set). c.Mode is the verifier-wide mode — dpop.Allowed (bearer and DPoP)
// or dpop.Required — and an Issuer.DPoP overrides it per issuer. With
// the default extractor, both schemes are read from Authorization.
//
// Without WithDPoP, a DPoP-bound token is still never accepted: it is
// refused like every sender-constrained token whose binding is not
// proven.
func WithDPoP(c dpop.Config) Option {
	return single("WithDPoP", func(cfg *config) error {
		cfg.dpop = &c
		return nil
	})
}

// WithCertificateBinding sets every issuer's certificate-binding mode
// (package mtls, RFC 8705 §3) unless its Issuer.CertificateBinding says
// otherwise: with mtls.Required, only tokens bound to the request's client
// certificate (cnf["x5t#S256"]) are accepted, through Authenticate or
// VerifyCredential with the certificate (Verify has none, so it refuses
// every token of such an issuer). Without this option every issuer is
// mtls.Allowed: a certificate-bound token still needs its certificate,
// and other tokens are accepted.
func WithCertificateBinding(c mtls.Config) Option {
	return single("WithCertificateBinding", func(cfg *config) error {
		switch c.Mode {
		case mtls.Allowed, mtls.Required:
		case mtls.Inherit:
			return optErr("WithCertificateBinding", "Mode is not set: mtls.Allowed or mtls.Required")
		default:
			return optErr("WithCertificateBinding", "Mode %d is not a mode", c.Mode)
		}
		cfg.mtls = &c
		return nil
	})
}

// WithTrustedProxies names the reverse proxies in front of the service and
// what they forward (see package forwarded): the one configuration every
// part of jwtguard that reads forwarded headers uses — the client
// certificate of certificate-bound tokens (RFC 8705) from a TLS-terminating
// proxy's header, the external origin for DPoP's htu, and the client
// address for throttling. A forwarded header is believed only from a
// request whose immediate peer is a listed proxy; without this option,
// none is.
func WithTrustedProxies(c forwarded.Config) Option {
	return single("WithTrustedProxies", func(cfg *config) error {
		cfg.proxies = &c
		return nil
	})
}

// WithTelemetry sets the OpenTelemetry providers and opt-ins of the
// verifier's instrumentation (see package telemetry for its metrics and
// spans). Without it the verifier reports to the global providers, which
// cost nothing until the application installs an SDK.
func WithTelemetry(c telemetry.Config) Option {
	return single("WithTelemetry", func(cfg *config) error {
		cfg.telemetry = &c
		return nil
	})
}

// WithThrottling refuses, with 429 and Retry-After, the requests of a
// client that failed authentication more than c.Failures times per
// c.Window (default: 100 a minute), before any signature work; see
// package throttle. Failures are the 401s for bad, forged, expired,
// revoked or inactive tokens and unproven bindings; a request without a
// token is never counted nor throttled (README, "Throttling failed
// authentication", lists every class). A throttled client's tokens that
// are in the verified-token cache ([WithCache]) still pass, and other
// clients are never slowed.
//
// A client is its address from [WithTrustedProxies] (the peer's address
// without it), IPv4 per address and IPv6 per /64 by default, or
// c.Key(r). Throttling is off by default: behind a proxy that is not
// listed as trusted, every client shares the proxy's address, and one
// attacker would get everyone a 429.
func WithThrottling(c throttle.Config) Option {
	return single("WithThrottling", func(cfg *config) error {
		cfg.throttle = &c
		return nil
	})
}
