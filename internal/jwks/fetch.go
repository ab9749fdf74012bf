package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
)

// fetchOnce runs discovery if needed, fetches the JWKS and installs it if it
// holds at least one usable key. A failure leaves the current set alone.
func (s *Source) fetchOnce() error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.FetchTimeout)
	defer cancel()
	jwksURL := s.jwksURL
	if s.discoveryURL != "" {
		s.mu.Lock()
		jwksURL = s.discovered
		s.mu.Unlock()
		if jwksURL == "" {
			u, err := s.discover(ctx)
			if err != nil {
				return err
			}
			jwksURL = u
		}
	}
	err := s.fetchJWKS(ctx, jwksURL)
	if err != nil && s.discoveryURL != "" {
		// Run discovery again next time: the jwks_uri may have moved.
		s.mu.Lock()
		s.discovered = ""
		s.mu.Unlock()
	}
	return err
}

func (s *Source) fetchJWKS(ctx context.Context, jwksURL string) (err error) {
	ctx, done := s.observe(ctx, "jwks", jwksURL)
	defer func() { done(err) }()
	body, maxAge, err := s.get(ctx, s.clientFor(jwksURL), jwksURL, acceptJWKS)
	if err != nil {
		return err
	}
	keys, err := parseKeys(body, s.log)
	if err != nil {
		return fmt.Errorf("JWKS from %s: %w", jwksURL, err)
	}
	s.install(keys)
	next := s.cfg.DefaultRefresh
	if maxAge > 0 {
		next = maxAge
	}
	s.mu.Lock()
	s.nextRefresh = min(max(next, s.cfg.MinRefresh), s.cfg.MaxRefresh)
	s.mu.Unlock()
	return nil
}

// install replaces the key set if its content changed and marks it fresh.
func (s *Source) install(keys []*jose.Key) {
	old := s.set.Load()
	if old == nil || !jose.SameKeys(old.Keys(), keys) {
		s.set.Store(jose.NewKeySet(keys, false))
		if old != nil {
			s.log.Info("jwtguard: key set changed", slog.String("source", s.name()), slog.Int("keys", len(keys)))
		}
	}
	s.fetchedAt.Store(s.cfg.Now().UnixNano())
	s.readyOnce.Do(func() { close(s.readyCh) })
}

// issuerMismatchError says the discovery document names another issuer.
type issuerMismatchError struct{ got, want string }

func (e *issuerMismatchError) Error() string {
	return fmt.Sprintf("discovery document issuer %q does not equal the configured issuer %q", e.got, e.want)
}

// discoveryDoc holds the OpenID Provider Metadata fields jwtguard uses.
type discoveryDoc struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// discover fetches the discovery document and returns its checked jwks_uri.
func (s *Source) discover(ctx context.Context) (_ string, err error) {
	ctx, done := s.observe(ctx, "discovery", s.discoveryURL)
	defer func() { done(err) }()
	body, _, err := s.get(ctx, s.client, s.discoveryURL, "application/json")
	if err != nil {
		return "", fmt.Errorf("OIDC discovery: %w", err)
	}
	var doc discoveryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("invalid discovery document at %s: %w", s.discoveryURL, err)
	}
	if doc.Issuer != s.issuer {
		return "", &issuerMismatchError{got: jose.Truncate(doc.Issuer), want: s.issuer}
	}
	if doc.JWKSURI == "" {
		return "", errors.New("discovery document has no jwks_uri")
	}
	u, err := CheckURL(doc.JWKSURI, s.cfg.InsecureHTTP)
	if err != nil {
		return "", fmt.Errorf("discovery jwks_uri: %w", err)
	}
	if strings.HasPrefix(s.discoveryURL, "https:") && u.Scheme != "https" {
		return "", fmt.Errorf("discovery jwks_uri %q is not https although the discovery document came over https", jose.Truncate(doc.JWKSURI))
	}
	s.mu.Lock()
	s.discovered = u.String()
	s.mu.Unlock()
	return u.String(), nil
}

// observe starts the observation of one fetch request (Config.Observe)
// and remembers its context for the requests that wait for it.
func (s *Source) observe(ctx context.Context, kind, u string) (context.Context, func(error)) {
	if s.cfg.Observe == nil {
		return ctx, func(error) {}
	}
	ctx, done := s.cfg.Observe(ctx, kind, u)
	s.mu.Lock()
	s.fetchCtx = ctx
	s.mu.Unlock()
	return ctx, done
}

// clientFor returns the client that fetches jwksURL: the source's own,
// except for a discovered jwks_uri on another host than the discovery
// document when an OtherHostClient is configured.
func (s *Source) clientFor(jwksURL string) *http.Client {
	if s.otherHost == nil {
		return s.client
	}
	ju, err1 := url.Parse(jwksURL)
	du, err2 := url.Parse(s.discoveryURL)
	if err1 == nil && err2 == nil && strings.EqualFold(ju.Host, du.Host) {
		return s.client
	}
	return s.otherHost
}

// get fetches u with client, the body capped at MaxBody. It refuses
// statuses other than 200 and HTML pages, and returns the Cache-Control
// max-age (0 if none).
func (s *Source) get(ctx context.Context, client *http.Client, u, accept string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", accept)
	if s.cfg.Inject != nil {
		s.cfg.Inject(ctx, req.Header)
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is said below, once
		}
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, errorBodyDrainLimit))
		return nil, 0, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && strings.HasPrefix(mt, "text/html") {
			return nil, 0, fmt.Errorf("GET %s: got an HTML page, not JSON", u)
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > s.cfg.MaxBody {
		return nil, 0, fmt.Errorf("GET %s: body larger than %d bytes", u, s.cfg.MaxBody)
	}
	return body, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge extracts max-age from a Cache-Control value; an absent or invalid
// one gives 0 (then DefaultRefresh applies).
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
