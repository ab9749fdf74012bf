package jwtguard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Defaults and limits.
const (
	// DefaultLeeway is the clock skew tolerated for exp, nbf and iat.
	DefaultLeeway = 30 * time.Second
	// MaxLeeway caps WithLeeway: a larger skew is a misconfiguration.
	MaxLeeway = 5 * time.Minute
	// DefaultMaxTokenSize is the largest token accepted (bytes).
	DefaultMaxTokenSize = 8 << 10
	// DefaultFetchTimeout bounds each JWKS or discovery request.
	DefaultFetchTimeout = 10 * time.Second
	// DefaultMaxJWKSBody caps the size of a JWKS or discovery response.
	DefaultMaxJWKSBody = 1 << 20
	// DefaultMinRefresh is the shortest refresh interval, and the minimum
	// gap between refreshes caused by unknown kids.
	DefaultMinRefresh = time.Minute
	// DefaultMaxRefresh is the longest refresh interval.
	DefaultMaxRefresh = time.Hour
	// DefaultRefresh is used when the JWKS response has no max-age.
	DefaultRefresh = 15 * time.Minute
	// DefaultMaxStale is how long a cached key set keeps verifying tokens
	// while the identity provider cannot be reached.
	DefaultMaxStale = 24 * time.Hour
)

// Option configures a [Verifier]. Options are validated by [New]; an invalid
// or missing setting makes New fail with an error naming the option.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

type staticKey struct {
	key any
	alg string
}

type config struct {
	jwksURLs       []string
	discoveryURLs  []string
	keySets        []jwk.Set
	staticKeys     []staticKey
	hmacSecrets    [][]byte
	issuers        []string
	skipIssuer     bool
	audiences      []string
	skipAudience   bool
	algs           []string
	tokenType      string
	leeway         time.Duration
	now            func() time.Time
	extractor      Extractor
	revocation     RevocationStore
	revocationOpen bool
	// introspection: WithIntrospection (introspection.go).
	introspection  *introspector
	log            *slog.Logger
	roleClaim      string
	tenantClaim    string
	scopeClaim     string
	requiredClaims []string
	maxTokenSize   int
	realm          string
	trustedOrigins []string
	noCrossOrigin  bool
	cacheSize      int
	cacheTTL       time.Duration
	issuerConfigs  []IssuerConfig
	resolver       *issuerResolver // WithIssuerResolver (issuers.go)

	httpClient   *http.Client
	fetchTimeout time.Duration
	maxBody      int64
	minRefresh   time.Duration
	maxRefresh   time.Duration
	defRefresh   time.Duration
	maxStale     time.Duration
	insecureHTTP bool
}

func defaultConfig() *config {
	return &config{
		leeway:       DefaultLeeway,
		now:          time.Now,
		roleClaim:    "roles",
		tenantClaim:  "tenant_id",
		maxTokenSize: DefaultMaxTokenSize,
		fetchTimeout: DefaultFetchTimeout,
		maxBody:      DefaultMaxJWKSBody,
		minRefresh:   DefaultMinRefresh,
		maxRefresh:   DefaultMaxRefresh,
		defRefresh:   DefaultRefresh,
		maxStale:     DefaultMaxStale,
		cacheTTL:     time.Minute,
	}
}

func optErr(name, format string, args ...any) error {
	return fmt.Errorf("jwtguard: %s: %s", name, fmt.Sprintf(format, args...))
}

// WithJWKS verifies tokens with the JSON Web Key Set published at url. The
// set is fetched in the background (New does not wait), cached, refreshed
// on schedule and when a token names an unknown kid. url must be https
// (plain http only for loopback hosts, or with [WithInsecureHTTP]).
func WithJWKS(url string) Option {
	return optionFunc(func(c *config) error {
		if url == "" {
			return optErr("WithJWKS", "empty URL")
		}
		c.jwksURLs = append(c.jwksURLs, url)
		return nil
	})
}

// WithDiscovery uses OpenID Connect Discovery: the provider metadata at
// issuerURL + "/.well-known/openid-configuration" must name exactly
// issuerURL as its issuer, and its jwks_uri is used as with [WithJWKS].
// issuerURL is added to the accepted issuers.
func WithDiscovery(issuerURL string) Option {
	return optionFunc(func(c *config) error {
		if issuerURL == "" {
			return optErr("WithDiscovery", "empty issuer URL")
		}
		c.discoveryURLs = append(c.discoveryURLs, issuerURL)
		return nil
	})
}

// WithKeySet verifies tokens with a fixed JWK set (public keys, or "oct"
// secrets for HMAC). Each key is used only with its own key type and, where
// the JWK names one, its own alg.
func WithKeySet(set jwk.Set) Option {
	return optionFunc(func(c *config) error {
		if set == nil || set.Len() == 0 {
			return optErr("WithKeySet", "empty key set")
		}
		c.keySets = append(c.keySets, set)
		return nil
	})
}

// WithKey verifies tokens with one public key (*rsa.PublicKey,
// *ecdsa.PublicKey, ed25519.PublicKey, or a jwk.Key) restricted to alg. The
// key's kid, if any, comes from a jwk.Key; a raw key matches tokens with or
// without kid.
func WithKey(key any, alg string) Option {
	return optionFunc(func(c *config) error {
		if key == nil {
			return optErr("WithKey", "nil key")
		}
		if _, ok := supportedAlgs[alg]; !ok {
			return optErr("WithKey", "unsupported algorithm %q", alg)
		}
		c.staticKeys = append(c.staticKeys, staticKey{key: key, alg: alg})
		return nil
	})
}

// WithHMAC verifies HS256/HS384/HS512 tokens with a shared secret. The
// secret must be at least as long as the hash output of every HS algorithm
// allowed (32 bytes for HS256, RFC 7518 §3.2), and must not be a public key.
func WithHMAC(secret []byte) Option {
	return optionFunc(func(c *config) error {
		if len(secret) < 32 {
			return optErr("WithHMAC", "secret is %d bytes; at least 32 are required (RFC 7518 §3.2)", len(secret))
		}
		if looksLikePublicKey(secret) {
			return optErr("WithHMAC", "secret looks like a public key; an HMAC secret must never be a public key (RFC 8725 §2.1)")
		}
		c.hmacSecrets = append(c.hmacSecrets, append([]byte(nil), secret...))
		return nil
	})
}

// WithIssuer sets the accepted issuers: a token's iss must equal one of them
// exactly (RFC 7519 §4.1.1).
func WithIssuer(iss ...string) Option {
	return optionFunc(func(c *config) error {
		for _, s := range iss {
			if s == "" {
				return optErr("WithIssuer", "empty issuer")
			}
		}
		if len(iss) == 0 {
			return optErr("WithIssuer", "no issuer given")
		}
		c.issuers = append(c.issuers, iss...)
		return nil
	})
}

// WithoutIssuerCheck accepts tokens from any issuer. Only safe when the keys
// are trusted for nothing but this service.
func WithoutIssuerCheck() Option {
	return optionFunc(func(c *config) error { c.skipIssuer = true; return nil })
}

// WithAudience sets the accepted audiences: a token's aud (string or array)
// must contain at least one of them (RFC 7519 §4.1.3).
func WithAudience(aud ...string) Option {
	return optionFunc(func(c *config) error {
		if len(aud) == 0 {
			return optErr("WithAudience", "no audience given")
		}
		for _, s := range aud {
			if s == "" {
				return optErr("WithAudience", "empty audience")
			}
		}
		c.audiences = append(c.audiences, aud...)
		return nil
	})
}

// WithoutAudienceCheck accepts tokens for any audience — including tokens
// minted for other services of the same identity provider. Avoid.
func WithoutAudienceCheck() Option {
	return optionFunc(func(c *config) error { c.skipAudience = true; return nil })
}

// WithAlgorithms sets the algorithm allowlist (JOSE names: "RS256",
// "ES256", "EdDSA", ...). The token header's alg must be one of them and fit
// the key. "none" can never be allowed.
func WithAlgorithms(algs ...string) Option {
	return optionFunc(func(c *config) error {
		if len(algs) == 0 {
			return optErr("WithAlgorithms", "no algorithm given")
		}
		for _, a := range algs {
			if strings.EqualFold(a, "none") {
				return optErr("WithAlgorithms", `"none" is never allowed (RFC 8725 §3.1)`)
			}
			if _, ok := supportedAlgs[a]; !ok {
				return optErr("WithAlgorithms", "unsupported algorithm %q (supported: %s)", a, strings.Join(SupportedAlgorithms(), ", "))
			}
		}
		c.algs = append(c.algs, algs...)
		return nil
	})
}

// WithTokenType requires the typ header to equal t, e.g. "at+jwt" for
// RFC 9068 access tokens (compared case-insensitively; an "application/"
// prefix is allowed, RFC 7515 §4.1.9).
func WithTokenType(t string) Option {
	return optionFunc(func(c *config) error {
		if t == "" {
			return optErr("WithTokenType", "empty type")
		}
		c.tokenType = strings.TrimPrefix(strings.ToLower(t), "application/")
		return nil
	})
}

// WithRequiredClaims requires the named top-level claims to be present
// (exp is always required).
func WithRequiredClaims(names ...string) Option {
	return optionFunc(func(c *config) error {
		for _, n := range names {
			if n == "" {
				return optErr("WithRequiredClaims", "empty claim name")
			}
		}
		c.requiredClaims = append(c.requiredClaims, names...)
		return nil
	})
}

// WithLeeway sets the tolerated clock skew for exp, nbf and iat (default
// 30 s, at most 5 min).
func WithLeeway(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 || d > MaxLeeway {
			return optErr("WithLeeway", "%s is outside [0, %s]", d, MaxLeeway)
		}
		c.leeway = d
		return nil
	})
}

// WithClock sets the time source (for tests).
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return optErr("WithClock", "nil clock")
		}
		c.now = now
		return nil
	})
}

// WithExtractor sets where tokens are taken from (default
// [FromAuthHeader]).
func WithExtractor(e Extractor) Option {
	return optionFunc(func(c *config) error {
		if e == nil {
			return optErr("WithExtractor", "nil extractor")
		}
		c.extractor = e
		return nil
	})
}

// WithRevocation consults store after the signature and claims pass. If the
// store fails, verification fails closed with 503.
func WithRevocation(store RevocationStore) Option {
	return optionFunc(func(c *config) error {
		if store == nil {
			return optErr("WithRevocation", "nil store")
		}
		c.revocation = store
		return nil
	})
}

// WithInsecureRevocationFailOpen accepts tokens when the revocation store
// cannot answer. Revoked tokens are then accepted during store outages.
func WithInsecureRevocationFailOpen() Option {
	return optionFunc(func(c *config) error { c.revocationOpen = true; return nil })
}

// WithLogger logs rejections (reason, kid, alg, iss, sub — never the token)
// and key set events. Logging is off by default.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) error {
		if l == nil {
			return optErr("WithLogger", "nil logger")
		}
		c.log = l
		return nil
	})
}

func claimPathOption(name string, dst func(*config) *string) func(string) Option {
	return func(path string) Option {
		return optionFunc(func(c *config) error {
			if path == "" || strings.HasPrefix(path, ".") || strings.HasSuffix(path, ".") || strings.Contains(path, "..") {
				return optErr(name, "invalid claim path %q", path)
			}
			*dst(c) = path
			return nil
		})
	}
}

// WithRoleClaim sets the claim holding roles (default "roles"); a dotted
// path reaches into objects, e.g. "realm_access.roles" (Keycloak). A claim
// whose name itself contains dots (e.g. "https://example.com/roles") is
// found too: the whole path is tried as a name first.
func WithRoleClaim(path string) Option {
	return claimPathOption("WithRoleClaim", func(c *config) *string { return &c.roleClaim })(path)
}

// WithTenantClaim sets the claim holding the tenant (default "tenant_id";
// "tid" for Microsoft Entra ID).
func WithTenantClaim(path string) Option {
	return claimPathOption("WithTenantClaim", func(c *config) *string { return &c.tenantClaim })(path)
}

// WithScopeClaim sets the claim holding scopes. By default "scope"
// (space-separated string, RFC 8693/9068) and "scp" (array or string) are
// both read.
func WithScopeClaim(path string) Option {
	return claimPathOption("WithScopeClaim", func(c *config) *string { return &c.scopeClaim })(path)
}

// WithMaxTokenSize sets the largest accepted token in bytes (default 8 KiB).
func WithMaxTokenSize(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 64 || n > 1<<20 {
			return optErr("WithMaxTokenSize", "%d is outside [64, 1MiB]", n)
		}
		c.maxTokenSize = n
		return nil
	})
}

// WithRealm sets the realm sent in WWW-Authenticate challenges.
func WithRealm(realm string) Option {
	return optionFunc(func(c *config) error { c.realm = realm; return nil })
}

// WithTrustedOrigins lets cookie-borne tokens be used on unsafe requests
// from these extra origins ("https://app.example.com").
func WithTrustedOrigins(origins ...string) Option {
	return optionFunc(func(c *config) error {
		c.trustedOrigins = append(c.trustedOrigins, origins...)
		return nil
	})
}

// WithoutCrossOriginProtection accepts cookie-borne tokens on unsafe
// cross-origin requests. This opens the door to CSRF; use only when another
// layer already rejects cross-origin requests.
func WithoutCrossOriginProtection() Option {
	return optionFunc(func(c *config) error { c.noCrossOrigin = true; return nil })
}

// WithHTTPClient sets the client used for JWKS and discovery requests (for a
// custom CA or proxy). Its redirect policy is replaced by jwtguard's:
// same host only, never https to http.
func WithHTTPClient(client *http.Client) Option {
	return optionFunc(func(c *config) error {
		if client == nil {
			return optErr("WithHTTPClient", "nil client")
		}
		c.httpClient = client
		return nil
	})
}

// WithFetchTimeout bounds each JWKS or discovery request (default 10 s).
func WithFetchTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 || d > 5*time.Minute {
			return optErr("WithFetchTimeout", "%s is outside (0, 5m]", d)
		}
		c.fetchTimeout = d
		return nil
	})
}

// WithRefreshInterval bounds how often a remote key set is refreshed. The
// response's Cache-Control max-age (or 15 min) is clamped to [min, max];
// min is also the shortest gap between refreshes triggered by unknown kids.
func WithRefreshInterval(minInterval, maxInterval time.Duration) Option {
	return optionFunc(func(c *config) error {
		if minInterval <= 0 || maxInterval < minInterval {
			return optErr("WithRefreshInterval", "need 0 < min (%s) <= max (%s)", minInterval, maxInterval)
		}
		c.minRefresh, c.maxRefresh = minInterval, maxInterval
		return nil
	})
}

// WithMaxStale sets how long a cached key set keeps verifying tokens after
// the last successful fetch, while refreshes fail (default 24 h). Past it,
// requests get 503 until the provider answers again.
func WithMaxStale(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return optErr("WithMaxStale", "%s must be positive", d)
		}
		c.maxStale = d
		return nil
	})
}

// WithInsecureHTTP allows plain-http JWKS and discovery URLs on non-loopback
// hosts. Anyone on the network path could then substitute keys.
func WithInsecureHTTP() Option {
	return optionFunc(func(c *config) error { c.insecureHTTP = true; return nil })
}

// validate checks the configuration as a whole. Every error names the
// option that fixes it.
func (c *config) validate() error {
	var errs []error
	if len(c.algs) == 0 {
		errs = append(errs, errors.New(`jwtguard: no algorithms configured: add WithAlgorithms("RS256", ...)`))
	}
	sources := 0
	if len(c.jwksURLs) > 0 {
		sources++
	}
	if len(c.discoveryURLs) > 0 {
		sources++
	}
	if len(c.keySets)+len(c.staticKeys)+len(c.hmacSecrets) > 0 {
		sources++
	}
	if len(c.issuerConfigs) > 0 || c.resolver != nil {
		if sources > 0 {
			errs = append(errs, errors.New("jwtguard: WithIssuers gives each issuer its own keys; do not combine it with WithJWKS, WithDiscovery, WithKeySet, WithKey or WithHMAC"))
		}
	} else {
		switch {
		case sources == 0 && c.introspection == nil:
			errs = append(errs, errors.New("jwtguard: no key source configured: add WithJWKS, WithDiscovery, WithKeySet, WithKey or WithHMAC"))
		case sources > 1 || len(c.jwksURLs) > 1 || len(c.discoveryURLs) > 1:
			errs = append(errs, errors.New("jwtguard: more than one key source configured: use one of WithJWKS, WithDiscovery or static keys, or WithIssuers for several issuers"))
		}
		if len(c.issuers) == 0 && len(c.discoveryURLs) == 0 && !c.skipIssuer {
			errs = append(errs, errors.New("jwtguard: no issuer configured: add WithIssuer(...) (or WithoutIssuerCheck() to accept any issuer)"))
		}
		if len(c.audiences) == 0 && !c.skipAudience {
			errs = append(errs, errors.New("jwtguard: no audience configured: add WithAudience(...) (or WithoutAudienceCheck() to accept any audience)"))
		}
	}
	if c.skipIssuer && len(c.issuers) > 0 {
		errs = append(errs, errors.New("jwtguard: WithIssuer and WithoutIssuerCheck contradict each other"))
	}
	if c.skipAudience && len(c.audiences) > 0 {
		errs = append(errs, errors.New("jwtguard: WithAudience and WithoutAudienceCheck contradict each other"))
	}
	for _, s := range c.hmacSecrets {
		for _, a := range c.algs {
			if spec := supportedAlgs[a]; spec.family == famHMAC && len(s) < spec.size {
				errs = append(errs, optErr("WithHMAC", "secret is %d bytes; %s needs at least %d (RFC 7518 §3.2)", len(s), a, spec.size))
			}
		}
	}
	if len(c.hmacSecrets) > 0 && !c.allowsFamily(famHMAC) {
		errs = append(errs, errors.New(`jwtguard: WithHMAC given but WithAlgorithms allows no HS256/HS384/HS512`))
	}
	if err := c.validateIntrospection(); err != nil {
		errs = append(errs, err)
	}
	for _, k := range c.staticKeys {
		if !c.allowsAlg(k.alg) {
			errs = append(errs, optErr("WithKey", "algorithm %s is not in WithAlgorithms", k.alg))
		}
	}
	return errors.Join(errs...)
}

func (c *config) allowsFamily(f family) bool {
	for _, a := range c.algs {
		if supportedAlgs[a].family == f {
			return true
		}
	}
	return false
}

func (c *config) allowsAlg(alg string) bool {
	for _, a := range c.algs {
		if a == alg {
			return true
		}
	}
	return false
}

func (c *config) remoteConfig() remoteConfig {
	log := c.log
	return remoteConfig{
		client:       newRemoteClient(c.httpClient, c.insecureHTTP),
		fetchTimeout: c.fetchTimeout,
		maxBody:      c.maxBody,
		minRefresh:   c.minRefresh,
		maxRefresh:   c.maxRefresh,
		defRefresh:   c.defRefresh,
		maxStale:     c.maxStale,
		insecureHTTP: c.insecureHTTP,
		now:          c.now,
		log:          log,
	}
}

// buildStaticKeys builds the keys of WithKeySet, WithKey and WithHMAC.
func (c *config) buildStaticKeys() ([]*verifyKey, error) {
	var keys []*verifyKey
	for _, set := range c.keySets {
		ks, err := keysFromSet(set, false, c.log)
		if err != nil {
			return nil, optErr("WithKeySet", "%v", err)
		}
		keys = append(keys, ks...)
	}
	for _, sk := range c.staticKeys {
		var vk *verifyKey
		var err error
		if jk, ok := sk.key.(jwk.Key); ok {
			vk, err = keyFromJWK(jk, false, c.log)
			if err == nil && vk.alg != "" && vk.alg != sk.alg {
				err = fmt.Errorf("the JWK's alg %q differs from %q", vk.alg, sk.alg)
			}
		} else {
			if _, isSecret := sk.key.([]byte); isSecret {
				err = errors.New("use WithHMAC for shared secrets")
			} else {
				vk, err = keyFromRaw(sk.key, false)
			}
		}
		if err != nil {
			return nil, optErr("WithKey", "%v", err)
		}
		vk.alg = sk.alg
		if !vk.fits(supportedAlgs[sk.alg]) {
			return nil, optErr("WithKey", "a %s key cannot verify %s", vk.kind(), sk.alg)
		}
		keys = append(keys, vk)
	}
	for _, s := range c.hmacSecrets {
		keys = append(keys, &verifyKey{secret: s})
	}
	return keys, nil
}
