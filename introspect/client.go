package introspect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/cache"
	"github.com/jwtguard/jwtguard/internal/strictjson"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// maxAnswer caps the endpoint's answer.
const maxAnswer = 64 << 10

// maxNumericDate bounds an answer's exp: year 9999.
const maxNumericDate = 253402300799

// Client is an RFC 7662 introspection client. It implements
// [jwtguard.Introspector] and is safe for concurrent use. Build it with
// [New].
type Client struct {
	endpoint string
	auth     ClientAuth
	http     *http.Client
	timeout  time.Duration
	jwts     bool
	posTTL   time.Duration
	negTTL   time.Duration
	now      func() time.Time
	active   *cache.Map[[]byte]   // active answers; nil: not cached
	inactive *cache.Map[struct{}] // inactive tokens; nil: not cached

	slots     chan struct{} // one element per request in flight
	queueWait time.Duration

	mu       sync.Mutex
	inflight map[string]*call // one request per token at a time
}

var _ jwtguard.Introspector = (*Client)(nil)

// call is a request in flight, shared by concurrent lookups of one token.
type call struct {
	done   chan struct{}
	active bool
	answer []byte
	err    error
}

// New returns a client for the introspection endpoint that authenticates
// with auth. endpoint must be an https URL without user info (plain http
// only for localhost or a literal loopback address, or with
// [WithInsecureHTTP]); auth must not be nil. Every problem is reported,
// each naming the option (or argument) to fix.
func New(endpoint string, auth ClientAuth, opts ...Option) (*Client, error) {
	cfg := defaults()
	var errs []error
	for i, o := range opts {
		if o == nil {
			errs = append(errs, fmt.Errorf("option %d is nil", i))
			continue
		}
		if err := o.apply(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, cfg.validate()...)
	if err := checkEndpoint(endpoint, cfg.insecure); err != nil {
		errs = append(errs, fmt.Errorf("endpoint: %w", err))
	}
	if auth == nil {
		errs = append(errs, errors.New("auth: nil ClientAuth (use ClientSecretBasic or PrivateKeyJWT)"))
	}
	if len(errs) > 0 {
		for i, err := range errs {
			errs[i] = fmt.Errorf("introspect: %w", err)
		}
		return nil, errors.Join(errs...)
	}
	hc := &http.Client{}
	if cfg.httpClient != nil {
		*hc = *cfg.httpClient
	}
	// A redirect would send the token and our credentials elsewhere.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{
		endpoint: endpoint, auth: auth, http: hc, timeout: cfg.timeout, jwts: cfg.jwts,
		posTTL: cfg.posTTL, negTTL: cfg.negTTL, now: cfg.now,
		inflight: map[string]*call{},
		slots:    make(chan struct{}, cfg.concurrent), queueWait: cfg.queueWait,
	}
	if cfg.size > 0 && cfg.posTTL > 0 {
		c.active = cache.New[[]byte](cfg.size, 0) // whole keys hashed: tokens are attacker-chosen
	}
	if cfg.size > 0 && cfg.negTTL > 0 {
		c.inactive = cache.New[struct{}](cfg.size, 0)
	}
	return c, nil
}

// checkEndpoint accepts https, and plain http for localhost and literal
// loopback addresses or when insecure.
func checkEndpoint(raw string, insecure bool) error {
	if raw == "" {
		return errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL: %w", err)
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	if u.User != nil {
		return errors.New("URL must not carry credentials")
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if !insecure && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("plain http is only allowed for localhost and loopback addresses (use https, or WithInsecureHTTP to allow %q)", u.Host)
		}
	default:
		return fmt.Errorf("scheme %q is not https", u.Scheme)
	}
	return nil
}

// Introspect reports whether token is active, asking the endpoint unless a
// cached answer is fresh. For an active token it returns the answer's JSON
// object (a copy the caller may keep). jwt is true for a JWT that already
// passed local verification: without [WithJWTs] it is active with no
// answer and no request. An empty token is inactive without a request.
// Errors wrap [jwtguard.ErrIntrospectionUnavailable] (among them [ErrBusy]
// when no request slot frees in time) and never contain the token.
func (c *Client) Introspect(ctx context.Context, token string, jwt bool) (active bool, answer []byte, err error) {
	if jwt && !c.jwts {
		return true, nil, nil
	}
	if token == "" {
		return false, nil, nil
	}
	now := c.now()
	if c.active != nil {
		if a, ok := c.active.Get(token, now); ok {
			return true, bytes.Clone(a), nil
		}
	}
	if c.inactive != nil {
		if _, ok := c.inactive.Get(token, now); ok {
			return false, nil, nil
		}
	}
	c.mu.Lock()
	if cl, ok := c.inflight[token]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			return cl.active, bytes.Clone(cl.answer), cl.err
		case <-ctx.Done():
			return false, nil, unavailable("waiting for the answer: %v", context.Cause(ctx))
		}
	}
	cl := &call{done: make(chan struct{})}
	// Clone: token may be a slice of a larger string (a whole Cookie header).
	key := strings.Clone(token)
	c.inflight[key] = cl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.inflight, key)
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.active, cl.answer, cl.err = c.lookup(ctx, token, now)
	return cl.active, bytes.Clone(cl.answer), cl.err
}

// lookup asks the endpoint, once it has a request slot, and caches the
// answer.
func (c *Client) lookup(ctx context.Context, token string, now time.Time) (bool, []byte, error) {
	if err := c.acquire(ctx); err != nil {
		return false, nil, err
	}
	defer func() { <-c.slots }()
	// The shared request does not die with the first caller's context; it
	// has its own timeout.
	active, answer, err := c.ask(context.WithoutCancel(ctx), token)
	if err != nil {
		return false, nil, err
	}
	switch {
	case active && c.active != nil:
		ttl := c.posTTL
		if raw, ok := strictjson.Member(answer, "exp"); ok {
			exp, ok := numericDate(raw)
			if !ok {
				ttl = 0 // the verifier will refuse it; nothing bounds the entry
			} else {
				ttl = min(ttl, exp.Sub(now))
			}
		}
		if ttl > 0 {
			c.active.Put(token, answer, now.Add(ttl))
		}
	case !active && c.inactive != nil:
		c.inactive.Put(token, struct{}{}, now.Add(c.negTTL))
	}
	return active, answer, nil
}

// numericDate decodes an exp member as the verifier does: a non-negative
// number up to year 9999, written without an exponent.
func numericDate(raw []byte) (time.Time, bool) {
	f, err := strictjson.Number(raw)
	if err != nil || bytes.ContainsAny(raw, "eE") || f < 0 || f > maxNumericDate || math.IsNaN(f) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", jwtguard.ErrIntrospectionUnavailable, fmt.Sprintf(format, args...))
}

// ask sends one introspection request and checks the answer's form.
func (c *Client) ask(ctx context.Context, token string) (bool, []byte, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	hdr := http.Header{}
	if err := c.auth.Apply(c.endpoint, form, hdr); err != nil {
		return false, nil, unavailable("client authentication: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return false, nil, unavailable("%v", err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// The trace context of the request (traceparent, with the global
	// propagator: none until the application sets one) goes to the
	// introspection endpoint, which is the application's own authorization
	// server (README, "Traces").
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := c.http.Do(req)
	if err != nil {
		// The *url.Error names the endpoint, never the body (the token).
		return false, nil, unavailable("%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return false, nil, unavailable("the endpoint refused our client credentials (status %d)", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return false, nil, unavailable("status %d", resp.StatusCode)
	case err != nil:
		return false, nil, unavailable("reading the answer: %v", err)
	case len(body) > maxAnswer:
		return false, nil, unavailable("answer larger than %d bytes", maxAnswer)
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return false, nil, unavailable("answer is %q, not JSON", truncate(ct))
	}
	if err := strictjson.Object(body, 0, nil); err != nil {
		return false, nil, unavailable("answer is not a valid JSON object")
	}
	raw, ok := strictjson.Member(body, "active")
	if !ok {
		return false, nil, unavailable(`answer has no "active" member`)
	}
	active, err := strictjson.Bool(raw)
	if err != nil {
		return false, nil, unavailable(`"active" is not a boolean`)
	}
	if !active {
		return false, nil, nil
	}
	return true, body, nil
}

// truncate shortens a server-chosen string for an error message.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
