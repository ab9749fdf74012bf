// Package jwks fetches and refreshes remote JSON Web Key Sets.
package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Config holds the settings of a remote key source.
type Config struct {
	Client         *http.Client
	FetchTimeout   time.Duration
	MaxBody        int64
	MinRefresh     time.Duration
	MaxRefresh     time.Duration
	DefaultRefresh time.Duration
	UnknownKidGap  time.Duration
	MaxStale       time.Duration
	InsecureHTTP   bool
	Now            func() time.Time
	Log            *slog.Logger
}

// ErrUnavailable is wrapped by every error saying no usable key set exists.
var ErrUnavailable = errors.New("verification keys unavailable")

func (c Config) withDefaults() Config {
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 10 * time.Second
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 1 << 20
	}
	if c.MinRefresh <= 0 {
		c.MinRefresh = time.Minute
	}
	if c.MaxRefresh <= 0 {
		c.MaxRefresh = time.Hour
	}
	if c.DefaultRefresh <= 0 {
		c.DefaultRefresh = 15 * time.Minute
	}
	if c.UnknownKidGap <= 0 {
		c.UnknownKidGap = 5 * time.Second
	}
	if c.MaxStale <= 0 {
		c.MaxStale = 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// CheckURL enforces HTTPS, except for loopback hosts or when plain
// HTTP was explicitly allowed.
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
		if !insecureHTTP && !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("plain http is only allowed for loopback hosts (use https, or WithInsecureHTTP to allow %q)", u.Host)
		}
	default:
		return nil, fmt.Errorf("scheme %q is not https", u.Scheme)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New starts a source for the JWKS at jwksURL.
func New(cfg Config, jwksURL string) (*Source, error) {
	if _, err := CheckURL(jwksURL, cfg.InsecureHTTP); err != nil {
		return nil, err
	}
	return newSource(cfg, jwksURL, "", ""), nil
}

// NewDiscovery starts a source using OIDC discovery for issuer.
func NewDiscovery(cfg Config, issuer string) (*Source, error) {
	if _, err := CheckURL(issuer, cfg.InsecureHTTP); err != nil {
		return nil, err
	}
	return newSource(cfg, "", strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", issuer), nil
}

// Source keeps a JWKS fetched over HTTP fresh.
type Source struct {
	cfg          Config
	client       *http.Client
	jwksURL      string
	discoveryURL string
	issuer       string

	set       atomic.Pointer[jose.KeySet]
	fetchedAt atomic.Int64

	mu          sync.Mutex
	inflight    chan struct{}
	lastAttempt time.Time
	lastErr     error
	discovered  string
	nextRefresh time.Duration

	readyOnce sync.Once
	readyCh   chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newSource(cfg Config, jwksURL, discoveryURL, issuer string) *Source {
	cfg = cfg.withDefaults()
	rs := &Source{
		cfg: cfg, client: newRemoteClient(cfg.Client, cfg.InsecureHTTP), jwksURL: jwksURL, discoveryURL: discoveryURL, issuer: issuer,
		readyCh: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go rs.loop()
	return rs
}

// Current returns the key set.
func (rs *Source) Current() (*jose.KeySet, error) {
	ks := rs.set.Load()
	if ks == nil {
		rs.kick()
		rs.mu.Lock()
		last := rs.lastErr
		rs.mu.Unlock()
		if last != nil {
			return nil, fmt.Errorf("%w: key set not loaded yet (last fetch: %v)", ErrUnavailable, last)
		}
		return nil, fmt.Errorf("%w: key set not loaded yet", ErrUnavailable)
	}
	if age := rs.cfg.Now().Sub(time.Unix(0, rs.fetchedAt.Load())); rs.cfg.MaxStale > 0 && age > rs.cfg.MaxStale {
		rs.kick()
		return nil, fmt.Errorf("%w: cached key set is %s old, beyond the maximum staleness", ErrUnavailable, age.Round(time.Second))
	}
	return ks, nil
}

// LastError returns the last fetch error.
func (rs *Source) LastError() error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.lastErr
}

// Ready waits for the first key set.
func (rs *Source) Ready(ctx context.Context) error {
	select {
	case <-rs.readyCh:
		return nil
	case <-ctx.Done():
		rs.mu.Lock()
		last := rs.lastErr
		rs.mu.Unlock()
		if last != nil {
			return fmt.Errorf("%w: %v (last fetch: %v)", ErrUnavailable, ctx.Err(), last)
		}
		return fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
	}
}

// Close stops the source.
func (rs *Source) Close() {
	rs.closeOnce.Do(func() { close(rs.stop) })
	<-rs.done
}

// RefreshUnknownKid refreshes for an unknown kid.
func (rs *Source) RefreshUnknownKid(ctx context.Context) {
	rs.refresh(ctx, rs.cfg.MinRefresh)
}

func (rs *Source) refresh(ctx context.Context, minGap time.Duration) {
	rs.mu.Lock()
	ch := rs.inflight
	if ch == nil {
		if ch = rs.startLocked(minGap); ch == nil {
			rs.mu.Unlock()
			return
		}
	}
	rs.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-rs.stop:
	}
}

const unavailableKickGap = time.Second

func (rs *Source) kick() {
	select {
	case <-rs.stop:
		return
	default:
	}
	rs.mu.Lock()
	if rs.inflight == nil {
		rs.startLocked(unavailableKickGap)
	}
	rs.mu.Unlock()
}

func (rs *Source) startLocked(minGap time.Duration) chan struct{} {
	if minGap > 0 && !rs.lastAttempt.IsZero() && rs.cfg.Now().Sub(rs.lastAttempt) < minGap {
		return nil
	}
	ch := make(chan struct{})
	rs.inflight = ch
	rs.lastAttempt = rs.cfg.Now()
	go rs.fetchAndStore(ch)
	return ch
}

type fetchResult struct {
	next time.Duration
	err  error
}

func (rs *Source) fetchAndStore(ch chan struct{}) {
	res := rs.fetchOnce()
	rs.mu.Lock()
	rs.inflight = nil
	rs.lastErr = res.err
	rs.mu.Unlock()
	close(ch)
}

func (rs *Source) loop() {
	defer close(rs.done)
	backoff := 250 * time.Millisecond
	var wait time.Duration
	for {
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-rs.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		select {
		case <-rs.stop:
			return
		default:
		}
		rs.refresh(context.Background(), 0)
		rs.mu.Lock()
		err := rs.lastErr
		next := rs.nextRefresh
		rs.mu.Unlock()
		if err != nil {
			wait = backoff
			backoff *= 2
			if limit := max(rs.cfg.MinRefresh, 250*time.Millisecond); backoff > limit {
				backoff = limit
			}
			continue
		}
		backoff = 250 * time.Millisecond
		wait = next
	}
}

func (rs *Source) fetchOnce() fetchResult {
	ctx, cancel := context.WithTimeout(context.Background(), rs.cfg.FetchTimeout)
	defer cancel()
	jwksURL := rs.jwksURL
	if rs.discoveryURL != "" {
		rs.mu.Lock()
		jwksURL = rs.discovered
		rs.mu.Unlock()
		if jwksURL == "" {
			u, err := rs.discover(ctx)
			if err != nil {
				rs.cfg.Log.Warn("jwtguard: OIDC discovery failed", slog.String("url", rs.discoveryURL), slog.String("error", err.Error()))
				return fetchResult{err: err}
			}
			jwksURL = u
		}
	}
	body, maxAge, err := rs.get(ctx, jwksURL, "application/jwk-set+json, application/json")
	if err == nil {
		var set jwk.Set
		set, err = jwk.Parse(body, jwk.WithIgnoreParseError(true))
		if err == nil {
			var keys []*jose.Key
			keys, err = jose.KeysFromSet(set, true, rs.cfg.Log)
			if err == nil {
				rs.install(keys)
				next := rs.cfg.DefaultRefresh
				if maxAge > 0 {
					next = maxAge
				}
				next = min(max(next, rs.cfg.MinRefresh), rs.cfg.MaxRefresh)
				rs.mu.Lock()
				rs.nextRefresh = next
				rs.mu.Unlock()
				return fetchResult{next: next}
			}
		} else {
			err = fmt.Errorf("invalid JWKS: %w", err)
		}
	}
	if rs.discoveryURL != "" {
		rs.mu.Lock()
		rs.discovered = ""
		rs.mu.Unlock()
	}
	rs.cfg.Log.Warn("jwtguard: JWKS fetch failed; keeping the last good key set",
		slog.String("url", jwksURL), slog.String("error", err.Error()))
	return fetchResult{err: err}
}

func (rs *Source) install(keys []*jose.Key) {
	old := rs.set.Load()
	if old == nil || !jose.SameKeys(old.Keys(), keys) {
		rs.set.Store(jose.NewKeySet(keys, false))
		if old != nil {
			rs.cfg.Log.Info("jwtguard: key set changed", slog.Int("keys", len(keys)))
		}
	}
	rs.fetchedAt.Store(rs.cfg.Now().UnixNano())
	rs.readyOnce.Do(func() { close(rs.readyCh) })
}

type discoveryDoc struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

func (rs *Source) discover(ctx context.Context) (string, error) {
	body, _, err := rs.get(ctx, rs.discoveryURL, "application/json")
	if err != nil {
		return "", err
	}
	var doc discoveryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("invalid discovery document: %w", err)
	}
	if doc.Issuer != rs.issuer {
		return "", fmt.Errorf("discovery document issuer %q does not equal the configured issuer %q", jose.Truncate(doc.Issuer), rs.issuer)
	}
	if doc.JWKSURI == "" {
		return "", errors.New("discovery document has no jwks_uri")
	}
	if _, err := CheckURL(doc.JWKSURI, rs.cfg.InsecureHTTP); err != nil {
		return "", fmt.Errorf("discovery jwks_uri: %w", err)
	}
	rs.mu.Lock()
	rs.discovered = doc.JWKSURI
	rs.mu.Unlock()
	return doc.JWKSURI, nil
}

func (rs *Source) get(ctx context.Context, u, accept string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", accept)
	resp, err := rs.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, 0, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && strings.HasPrefix(mt, "text/html") {
			return nil, 0, fmt.Errorf("GET %s: got an HTML page, not JSON", u)
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, rs.cfg.MaxBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > rs.cfg.MaxBody {
		return nil, 0, fmt.Errorf("GET %s: body larger than %d bytes", u, rs.cfg.MaxBody)
	}
	return body, maxAge(resp.Header.Get("Cache-Control")), nil
}

func maxAge(cc string) time.Duration {
	for _, part := range strings.Split(cc, ",") {
		part = strings.TrimSpace(strings.ToLower(part))
		if v, ok := strings.CutPrefix(part, "max-age="); ok {
			n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
			if err == nil && n > 0 && n < 1<<31 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}

func newRemoteClient(base *http.Client, insecureHTTP bool) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.Timeout = 0
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		prev := via[len(via)-1].URL
		if req.URL.Host != prev.Host {
			return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
		}
		if prev.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("redirect from https to http refused")
		}
		if _, err := CheckURL(req.URL.String(), insecureHTTP); err != nil {
			return err
		}
		return nil
	}
	return c
}
