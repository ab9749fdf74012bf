package jwks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config holds the settings of a remote key source. Zero fields take the
// defaults given on each.
type Config struct {
	// Client makes the requests; nil means http.DefaultTransport. It is
	// copied, never modified: the copy gets the redirect policy, no cookie
	// jar, no overall Timeout (FetchTimeout applies) and, for plain http
	// without InsecureHTTP, the loopback dial guard.
	Client *http.Client
	// OtherHostClient, when set, fetches a jwks_uri found by discovery on
	// another host than the discovery document's, so the credentials
	// Client may carry (a Kubernetes service-account token) are not sent
	// there. nil: Client fetches every URL.
	OtherHostClient *http.Client
	// FetchTimeout bounds one fetch (discovery plus JWKS). Default 10s.
	FetchTimeout time.Duration
	// MaxBody caps a response body. Default 1 MiB.
	MaxBody int64
	// MinRefresh and MaxRefresh clamp the background refresh interval
	// (from Cache-Control max-age, else DefaultRefresh). Defaults 1m, 1h,
	// 15m. MinRefresh also caps the retry backoff after failures.
	MinRefresh, MaxRefresh, DefaultRefresh time.Duration
	// UnknownKidGap is the shortest gap between a fetch attempt and a
	// fetch started because a token named an unknown kid. Default 5s.
	UnknownKidGap time.Duration
	// MaxStale is how long the last good set is served while fetches
	// fail. Default 24h.
	MaxStale time.Duration
	// InsecureHTTP allows plain http to any host.
	InsecureHTTP bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives operator messages (rate-limited); nil discards them.
	Log *slog.Logger
	// Observe, when set, is called when each request of a fetch starts
	// (kind "discovery" or "jwks") with the fetch's context; it returns the
	// context to make the request with (carrying its span) and a function
	// to call with the request's outcome.
	Observe Observer
	// Inject, when set, adds headers (the trace context) to each request
	// from the request's context.
	Inject func(context.Context, http.Header)

	// resolver, when set, resolves names for the plain-http dial guard
	// (tests).
	resolver *net.Resolver
}

// Observer observes the requests of fetches; see Config.Observe.
type Observer func(ctx context.Context, kind, url string) (context.Context, func(error))

// Defaults for the zero fields of [Config].
const (
	DefaultFetchTimeout  = 10 * time.Second
	DefaultMaxBody       = 1 << 20
	DefaultMinRefresh    = time.Minute
	DefaultMaxRefresh    = time.Hour
	DefaultRefresh       = 15 * time.Minute
	DefaultUnknownKidGap = 5 * time.Second
	DefaultMaxStale      = 24 * time.Hour
)

const (
	unavailableKickGap    = time.Second            // shortest gap between fetches kicked by requests finding no usable set
	initialBackoff        = 250 * time.Millisecond // first retry delay after a failure, doubling up to MinRefresh
	logEvery              = time.Minute            // one log line per distinct failure per minute
	maxLoggedErrorEntries = 64                     // distinct failure lines remembered for rate limiting
	maxRedirects          = 3
	errorBodyDrainLimit   = 4096
	discoveryPath         = "/.well-known/openid-configuration"
	acceptJWKS            = "application/jwk-set+json, application/json"
)

// ErrUnavailable is wrapped by the errors of [Source.Current] and
// [Source.Ready] when no usable key set exists.
var ErrUnavailable = errors.New("verification keys unavailable")

// ErrPlainHTTP is wrapped by the errors refusing plain http to a host or
// address that is not loopback without InsecureHTTP.
var ErrPlainHTTP = errors.New("plain http is only allowed to a loopback address")

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.FetchTimeout, DefaultFetchTimeout)
	def(&c.MinRefresh, DefaultMinRefresh)
	def(&c.MaxRefresh, DefaultMaxRefresh)
	def(&c.DefaultRefresh, DefaultRefresh)
	def(&c.UnknownKidGap, DefaultUnknownKidGap)
	def(&c.MaxStale, DefaultMaxStale)
	c.MaxRefresh = max(c.MaxRefresh, c.MinRefresh)
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// CheckURL parses a JWKS, discovery or issuer URL and enforces https. Plain
// http passes only with insecureHTTP, or for a loopback host (a literal
// loopback IP, "localhost" or a *.localhost name), which the source's
// transport then holds to a loopback address when dialing. URLs with
// credentials, without a host or with another scheme are refused.
func CheckURL(raw string, insecureHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL: %w", err)
	}
	if u.Host == "" {
		return nil, errors.New("URL has no host")
	}
	if u.User != nil {
		return nil, errors.New("URL must not carry credentials")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !insecureHTTP && !loopbackName(u.Hostname()) {
			return nil, fmt.Errorf("%w (use https, or set InsecureHTTP to allow %q)", ErrPlainHTTP, u.Host)
		}
	default:
		return nil, fmt.Errorf("scheme %q is not https", u.Scheme)
	}
	return u, nil
}

// loopbackName reports whether host is a loopback IP or a name reserved
// for loopback (RFC 6761 §6.3). Names still go through the dial guard.
func loopbackName(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
