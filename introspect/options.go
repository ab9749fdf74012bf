package introspect

import (
	"fmt"
	"net/http"
	"time"
)

// Defaults.
const (
	defaultPositiveTTL = 30 * time.Second
	defaultNegativeTTL = 10 * time.Second
	defaultCacheSize   = 10_000
	defaultTimeout     = 10 * time.Second
	defaultConcurrent  = 16
	defaultQueueWait   = 100 * time.Millisecond
	maxConcurrent      = 1024
	maxQueueWait       = 10 * time.Second
	maxTTL             = time.Hour
	maxTimeout         = time.Minute
)

// An Option configures a [Client] built by [New]. Options record their
// values; New checks them all and names every option that is wrong. An
// option given twice is an error.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// option is the Option called name that records its value with set; given
// twice, it is an error.
func option(name string, set func(*config) error) Option {
	return optionFunc(func(c *config) error {
		if c.seen[name] {
			return fmt.Errorf("%s: given twice", name)
		}
		c.seen[name] = true
		return set(c)
	})
}

// config is what the options record; New validates it.
type config struct {
	seen       map[string]bool
	jwts       bool
	posTTL     time.Duration
	negTTL     time.Duration
	size       int
	timeout    time.Duration
	httpClient *http.Client
	insecure   bool
	concurrent int
	queueWait  time.Duration
	now        func() time.Time
}

func defaults() *config {
	return &config{
		seen:       map[string]bool{},
		posTTL:     defaultPositiveTTL,
		negTTL:     defaultNegativeTTL,
		size:       defaultCacheSize,
		timeout:    defaultTimeout,
		concurrent: defaultConcurrent,
		queueWait:  defaultQueueWait,
		now:        time.Now,
	}
}

// WithJWTs also sends JWTs that passed local verification to the endpoint,
// so that a JWT revoked at the authorization server is refused within the
// positive cache TTL. It costs a round trip per token per TTL. Without it,
// [Client.Introspect] answers active for a verified JWT without a request.
func WithJWTs() Option {
	return option("WithJWTs", func(c *config) error {
		c.jwts = true
		return nil
	})
}

// WithCache sets how long active (positive, default 30 s) and inactive
// (negative, default 10 s) answers are reused, each within [0, 1h], and how
// many answers of each kind are kept (default 10 000; at least 16 when not
// zero). An active answer is never reused past its exp. A revocation at the
// authorization server is seen after at most positive. A zero TTL or size
// turns the corresponding cache off.
func WithCache(positive, negative time.Duration, size int) Option {
	return option("WithCache", func(c *config) error {
		c.posTTL, c.negTTL, c.size = positive, negative, size
		return nil
	})
}

// WithTimeout bounds each request to the endpoint, connection included
// (default 10 s, at most 1 minute).
func WithTimeout(d time.Duration) Option {
	return option("WithTimeout", func(c *config) error {
		c.timeout = d
		return nil
	})
}

// WithHTTPClient sends requests through a copy of client (for a proxy, a
// custom root CA or a client certificate). Redirects are never followed,
// whatever client.CheckRedirect says; client.Timeout, if set, applies on top
// of [WithTimeout].
func WithHTTPClient(client *http.Client) Option {
	return option("WithHTTPClient", func(c *config) error {
		if client == nil {
			return fmt.Errorf("WithHTTPClient: nil client")
		}
		c.httpClient = client
		return nil
	})
}

// WithInsecureHTTP allows a plain http endpoint on any host. Tokens and
// client credentials then cross the network in clear text: use it only on a
// network you trust completely. Without it, plain http is allowed only for
// localhost and literal loopback addresses.
func WithInsecureHTTP() Option {
	return option("WithInsecureHTTP", func(c *config) error {
		c.insecure = true
		return nil
	})
}

// WithLimits bounds the requests to the endpoint: at most concurrent
// (default 16, at most 1024) are in flight at a time, and a lookup that
// finds no free slot waits at most queueWait (default 100 ms, at most 10 s;
// 0: not at all), and never past its context, before it fails with
// [ErrBusy]. Cached answers need no slot. This is what keeps a flood of
// distinct junk tokens from becoming a flood of requests to the
// authorization server; size concurrent for the endpoint's capacity, not
// for the traffic (a slot is held for one round trip).
func WithLimits(concurrent int, queueWait time.Duration) Option {
	return option("WithLimits", func(c *config) error {
		c.concurrent, c.queueWait = concurrent, queueWait
		return nil
	})
}

// WithClock sets the clock used for cache expiry and an answer's exp
// (default [time.Now]); for tests.
func WithClock(now func() time.Time) Option {
	return option("WithClock", func(c *config) error {
		if now == nil {
			return fmt.Errorf("WithClock: nil clock")
		}
		c.now = now
		return nil
	})
}

// validate checks the recorded values, one error per wrong option.
func (c *config) validate() []error {
	var errs []error
	if c.posTTL < 0 || c.negTTL < 0 || c.posTTL > maxTTL || c.negTTL > maxTTL {
		errs = append(errs, fmt.Errorf("WithCache: TTLs must be within [0, %s]", maxTTL))
	}
	if c.size < 0 {
		errs = append(errs, fmt.Errorf("WithCache: size must not be negative"))
	}
	if c.timeout <= 0 || c.timeout > maxTimeout {
		errs = append(errs, fmt.Errorf("WithTimeout: must be within (0, %s]", maxTimeout))
	}
	if c.concurrent < 1 || c.concurrent > maxConcurrent {
		errs = append(errs, fmt.Errorf("WithLimits: concurrent requests must be within [1, %d]", maxConcurrent))
	}
	if c.queueWait < 0 || c.queueWait > maxQueueWait {
		errs = append(errs, fmt.Errorf("WithLimits: queue wait must be within [0, %s]", maxQueueWait))
	}
	return errs
}
