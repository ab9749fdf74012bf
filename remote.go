package jwtguard

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

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// remoteConfig holds the settings shared by remote key sources.
type remoteConfig struct {
	client       *http.Client
	fetchTimeout time.Duration
	maxBody      int64
	minRefresh   time.Duration // also the minimum gap between unknown-kid refreshes
	maxRefresh   time.Duration
	defRefresh   time.Duration // used when the response has no usable Cache-Control
	maxStale     time.Duration
	insecureHTTP bool
	now          func() time.Time
	log          *slog.Logger
}

// checkRemoteURL enforces HTTPS, except for loopback hosts or when plain
// HTTP was explicitly allowed.
func checkRemoteURL(raw string, insecureHTTP bool) (*url.URL, error) {
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

// remoteKeySource checks the URL and starts a remote key source: the JWKS
// at jwksURL or, when jwksURL is "", OpenID Connect discovery for issuer.
func (c *config) remoteKeySource(jwksURL, issuer string) (*remoteSource, error) {
	if jwksURL != "" {
		if _, err := checkRemoteURL(jwksURL, c.insecureHTTP); err != nil {
			return nil, err
		}
		return newRemoteSource(c.remoteConfig(), jwksURL, "", ""), nil
	}
	u, err := discoveryURL(issuer, c.insecureHTTP)
	if err != nil {
		return nil, err
	}
	return newRemoteSource(c.remoteConfig(), "", u, issuer), nil
}

// remoteSource keeps a JWKS fetched over HTTP fresh. It fetches in the
// background, never blocks New, shares one fetch among concurrent callers,
// rate-limits fetches caused by unknown kids, keeps the last good set when a
// fetch fails (up to maxStale) and never replaces a good set with a broken or
// empty one.
type remoteSource struct {
	cfg          remoteConfig
	jwksURL      string // fixed URL, or discovered
	discoveryURL string // set for OIDC discovery
	issuer       string // expected issuer of the discovery document

	set       atomic.Pointer[keySet]
	fetchedAt atomic.Int64 // unix nanos of the last successful fetch

	mu          sync.Mutex
	inflight    chan struct{}
	lastAttempt time.Time
	lastErr     error
	discovered  string // jwks_uri from discovery
	nextRefresh time.Duration

	readyOnce sync.Once
	readyCh   chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newRemoteSource(cfg remoteConfig, jwksURL, discoveryURL, issuer string) *remoteSource {
	rs := &remoteSource{
		cfg: cfg, jwksURL: jwksURL, discoveryURL: discoveryURL, issuer: issuer,
		readyCh: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go rs.loop()
	return rs
}

func (rs *remoteSource) current() (*keySet, error) {
	ks := rs.set.Load()
	if ks == nil {
		rs.kick()
		rs.mu.Lock()
		last := rs.lastErr
		rs.mu.Unlock()
		if last != nil {
			return nil, fmt.Errorf("%w: key set not loaded yet (last fetch: %v)", ErrKeysUnavailable, last)
		}
		return nil, fmt.Errorf("%w: key set not loaded yet", ErrKeysUnavailable)
	}
	if age := rs.cfg.now().Sub(time.Unix(0, rs.fetchedAt.Load())); rs.cfg.maxStale > 0 && age > rs.cfg.maxStale {
		rs.kick()
		return nil, fmt.Errorf("%w: cached key set is %s old, beyond the maximum staleness", ErrKeysUnavailable, age.Round(time.Second))
	}
	return ks, nil
}

func (rs *remoteSource) ready(ctx context.Context) error {
	select {
	case <-rs.readyCh:
		return nil
	case <-ctx.Done():
		rs.mu.Lock()
		last := rs.lastErr
		rs.mu.Unlock()
		if last != nil {
			return fmt.Errorf("%w: %v (last fetch: %v)", ErrKeysUnavailable, ctx.Err(), last)
		}
		return fmt.Errorf("%w: %v", ErrKeysUnavailable, ctx.Err())
	}
}

func (rs *remoteSource) close() {
	rs.closeOnce.Do(func() { close(rs.stop) })
	<-rs.done
}

func (rs *remoteSource) refreshUnknownKid(ctx context.Context) {
	rs.refresh(ctx, rs.cfg.minRefresh)
}

// refresh starts a fetch unless one is in flight (then it joins it) or one
// started less than minGap ago (then it returns at once). It waits for the
// fetch or for ctx.
func (rs *remoteSource) refresh(ctx context.Context, minGap time.Duration) {
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

// unavailableKickGap is the shortest gap between fetches started by
// requests that found no usable key set: while the provider is down, traffic
// causes at most one fetch per second, and the first request after it comes
// back up starts the fetch that restores service (instead of waiting for the
// background backoff, which grows to the minimum refresh interval).
const unavailableKickGap = time.Second

// kick starts a fetch in the background, unless one is in flight, one
// started less than unavailableKickGap ago, or the source is closed. It
// never waits.
func (rs *remoteSource) kick() {
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

// startLocked starts a fetch unless one started less than minGap ago; it
// returns the fetch's done channel, or nil. rs.mu is held and no fetch is in
// flight.
func (rs *remoteSource) startLocked(minGap time.Duration) chan struct{} {
	if minGap > 0 && !rs.lastAttempt.IsZero() && rs.cfg.now().Sub(rs.lastAttempt) < minGap {
		return nil
	}
	ch := make(chan struct{})
	rs.inflight = ch
	rs.lastAttempt = rs.cfg.now()
	go rs.fetchAndStore(ch)
	return ch
}

// nextRefresh is computed by each fetch and read by the loop.
type fetchResult struct {
	next time.Duration
	err  error
}

func (rs *remoteSource) fetchAndStore(ch chan struct{}) {
	res := rs.fetchOnce()
	rs.mu.Lock()
	rs.inflight = nil
	rs.lastErr = res.err
	rs.mu.Unlock()
	close(ch)
}

// loop refreshes on schedule until close. After a failure it retries with
// exponential backoff, starting at 250 ms and never slower than minRefresh.
func (rs *remoteSource) loop() {
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
			if limit := max(rs.cfg.minRefresh, 250*time.Millisecond); backoff > limit {
				backoff = limit
			}
			continue
		}
		backoff = 250 * time.Millisecond
		wait = next
	}
}

// fetchOnce runs discovery if needed, fetches the JWKS and installs it.
func (rs *remoteSource) fetchOnce() fetchResult {
	ctx, cancel := context.WithTimeout(context.Background(), rs.cfg.fetchTimeout)
	defer cancel()
	jwksURL := rs.jwksURL
	if rs.discoveryURL != "" {
		rs.mu.Lock()
		jwksURL = rs.discovered
		rs.mu.Unlock()
		if jwksURL == "" {
			u, err := rs.discover(ctx)
			if err != nil {
				rs.cfg.log.Warn("jwtguard: OIDC discovery failed", slog.String("url", rs.discoveryURL), slog.String("error", err.Error()))
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
			var keys []*verifyKey
			keys, err = keysFromSet(set, true, rs.cfg.log)
			if err == nil {
				rs.install(keys)
				next := rs.cfg.defRefresh
				if maxAge > 0 {
					next = maxAge
				}
				next = min(max(next, rs.cfg.minRefresh), rs.cfg.maxRefresh)
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
		// Run discovery again next time: the jwks_uri may have moved.
		rs.mu.Lock()
		rs.discovered = ""
		rs.mu.Unlock()
	}
	rs.cfg.log.Warn("jwtguard: JWKS fetch failed; keeping the last good key set",
		slog.String("url", jwksURL), slog.String("error", err.Error()))
	return fetchResult{err: err}
}

// install replaces the key set if its content changed and marks it fresh.
func (rs *remoteSource) install(keys []*verifyKey) {
	old := rs.set.Load()
	if old == nil || !sameKeys(old.all, keys) {
		rs.set.Store(newKeySet(keys))
		if old != nil {
			rs.cfg.log.Info("jwtguard: key set changed", slog.Int("keys", len(keys)))
		}
	}
	rs.fetchedAt.Store(rs.cfg.now().UnixNano())
	rs.readyOnce.Do(func() { close(rs.readyCh) })
}

func sameKeys(a, b []*verifyKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.kid != y.kid || x.alg != y.alg {
			return false
		}
		switch {
		case x.rsa != nil:
			if y.rsa == nil || !x.rsa.Equal(y.rsa) {
				return false
			}
		case x.ec != nil:
			if y.ec == nil || !x.ec.Equal(y.ec) {
				return false
			}
		case x.ed != nil:
			if y.ed == nil || !x.ed.Equal(y.ed) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// discoveryDoc holds the OpenID Provider Metadata fields jwtguard uses.
type discoveryDoc struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

func (rs *remoteSource) discover(ctx context.Context) (string, error) {
	body, _, err := rs.get(ctx, rs.discoveryURL, "application/json")
	if err != nil {
		return "", err
	}
	var doc discoveryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("invalid discovery document: %w", err)
	}
	if doc.Issuer != rs.issuer {
		return "", fmt.Errorf("discovery document issuer %q does not equal the configured issuer %q", truncate(doc.Issuer), rs.issuer)
	}
	if doc.JWKSURI == "" {
		return "", errors.New("discovery document has no jwks_uri")
	}
	if _, err := checkRemoteURL(doc.JWKSURI, rs.cfg.insecureHTTP); err != nil {
		return "", fmt.Errorf("discovery jwks_uri: %w", err)
	}
	rs.mu.Lock()
	rs.discovered = doc.JWKSURI
	rs.mu.Unlock()
	return doc.JWKSURI, nil
}

// get fetches u with the body capped at maxBody. It returns the Cache-Control
// max-age (0 if none).
func (rs *remoteSource) get(ctx context.Context, u, accept string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", accept)
	resp, err := rs.cfg.client.Do(req)
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, rs.cfg.maxBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > rs.cfg.maxBody {
		return nil, 0, fmt.Errorf("GET %s: body larger than %d bytes", u, rs.cfg.maxBody)
	}
	return body, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge extracts max-age from a Cache-Control value; no-store/no-cache give 0.
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

// newRemoteClient returns the HTTP client used for JWKS and discovery: the
// user's transport (or the default one), redirects only to the same host and
// never from https to http.
func newRemoteClient(base *http.Client, insecureHTTP bool) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.Timeout = 0 // each fetch has its own context deadline
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
		if _, err := checkRemoteURL(req.URL.String(), insecureHTTP); err != nil {
			return err
		}
		return nil
	}
	return c
}
