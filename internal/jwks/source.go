package jwks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
)

// Source keeps the JWKS of one provider fresh (see the package
// documentation for the refresh, unknown-kid and Close rules). Its methods
// are safe for concurrent use.
type Source struct {
	cfg          Config
	client       *http.Client
	otherHost    *http.Client // for a discovered jwks_uri on another host; nil: client
	jwksURL      string       // fixed URL; "" with discovery
	discoveryURL string       // set for OIDC discovery
	issuer       string       // expected issuer of the discovery document
	log          *slog.Logger
	limit        *limiter

	set       atomic.Pointer[jose.KeySet]
	fetchedAt atomic.Int64 // unix nanos (cfg.Now) of the last successful fetch

	ctx    context.Context // cancelled by Close: ends a fetch in flight
	cancel context.CancelFunc

	mu          sync.Mutex
	inflight    chan struct{} // closed when the fetch in flight ends
	deferred    chan struct{} // the pending deferred fetch, closed when it ends
	deferTimer  *time.Timer   // starts the deferred fetch at the end of the gap
	deferDue    bool          // the gap has passed: start it when the fetch in flight ends
	lastAttempt time.Time     // start of the last fetch, of any cause
	lastErr     error
	discovered  string // jwks_uri from discovery
	nextRefresh time.Duration
	failing     bool // the last fetch failed (a recovery is logged)
	closed      bool
	fetchCtx    context.Context // the context of the latest fetch request (its span), when observed
	sameFails   int             // consecutive failures with the same error text
	failed      chan struct{}   // closed (and replaced) at every failed fetch

	fetches   sync.WaitGroup
	readyOnce sync.Once
	readyCh   chan struct{}
	stop      chan struct{}
	done      chan struct{}
}

// New checks jwksURL (see [CheckURL]) and starts a source for the JWKS
// there: the first fetch starts at once, in the background.
func New(cfg Config, jwksURL string) (*Source, error) {
	u, err := CheckURL(jwksURL, cfg.InsecureHTTP)
	if err != nil {
		return nil, err
	}
	return newSource(cfg, u, u.String(), "", "")
}

// NewDiscovery checks issuer (see [CheckURL]) and starts a source that
// finds the JWKS through OpenID Connect discovery at issuer +
// "/.well-known/openid-configuration" (a trailing slash of issuer is not
// doubled). The document's issuer must equal issuer exactly; a document
// fetched over https must name an https jwks_uri.
func NewDiscovery(cfg Config, issuer string) (*Source, error) {
	u, err := CheckURL(issuer, cfg.InsecureHTTP)
	if err != nil {
		return nil, err
	}
	return newSource(cfg, u, "", strings.TrimSuffix(issuer, "/")+discoveryPath, issuer)
}

func newSource(cfg Config, u *url.URL, jwksURL, discoveryURL, issuer string) (*Source, error) {
	cfg = cfg.withDefaults()
	client, guarded := newClient(cfg)
	if u.Scheme == "http" && !guarded {
		return nil, fmt.Errorf("%s: %w", u.Redacted(), errUnguarded)
	}
	var otherHost *http.Client
	if discoveryURL != "" && cfg.OtherHostClient != nil {
		oc := cfg
		oc.Client = cfg.OtherHostClient
		otherHost, _ = newClient(oc)
	}
	lim := &limiter{now: cfg.Now, last: make(map[string]time.Time)}
	s := &Source{
		cfg: cfg, client: client, otherHost: otherHost, jwksURL: jwksURL, discoveryURL: discoveryURL, issuer: issuer,
		log: slog.New(limitedHandler{Handler: cfg.Log.Handler(), l: lim}), limit: lim,
		readyCh: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}), failed: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	first := s.startLocked(nil) // the initial load counts as a fetch for the gaps
	s.mu.Unlock()
	go s.loop(first)
	return s, nil
}

// Current returns the usable key set. It never waits: before the first
// successful fetch, or when the set is older than MaxStale, it returns an
// error wrapping [ErrUnavailable] with the last fetch error, and starts a
// fetch unless one started less than a second ago.
func (s *Source) Current() (*jose.KeySet, error) { return s.CurrentAt(s.cfg.Now()) }

// CurrentAt is [Source.Current] for a caller that already read the clock
// (Config.Now) at now: it spares the hot path a second clock read.
func (s *Source) CurrentAt(now time.Time) (*jose.KeySet, error) {
	ks := s.set.Load()
	if ks == nil {
		s.kick()
		return nil, s.unavailable("key set not loaded yet")
	}
	// fetchedAt is kept in Unix nanoseconds; so is now compared (cheaper
	// than time.Time's monotonic-clock Sub on every verification).
	if age := time.Duration(now.UnixNano() - s.fetchedAt.Load()); age > s.cfg.MaxStale {
		s.kick()
		return nil, s.unavailable(fmt.Sprintf("cached key set is %s old, beyond the maximum staleness", age.Round(time.Second)))
	}
	return ks, nil
}

// FetchContext returns the context of the latest fetch request, which
// carries its span when Config.Observe made one; nil before the first.
func (s *Source) FetchContext() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetchCtx
}

// FetchedAt returns the time (Config.Now) of the last successful fetch, or
// the zero time before the first.
func (s *Source) FetchedAt() time.Time {
	if ns := s.fetchedAt.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// age is the time since the last successful fetch.
func (s *Source) age() time.Duration {
	return s.cfg.Now().Sub(time.Unix(0, s.fetchedAt.Load()))
}

// usable reports whether Current would return a set, without side effects.
func (s *Source) usable() bool {
	return s.set.Load() != nil && s.age() <= s.cfg.MaxStale
}

// unavailable returns an ErrUnavailable error with the last fetch error.
func (s *Source) unavailable(why string) error {
	if last := s.LastError(); last != nil {
		return fmt.Errorf("%w: %s (last fetch: %v)", ErrUnavailable, why, last)
	}
	return fmt.Errorf("%w: %s", ErrUnavailable, why)
}

// LastError returns the error of the last fetch, or nil if it succeeded or
// none has ended yet.
func (s *Source) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Ready blocks until a key set has loaded, ctx ends or the source is
// closed; then it returns an error wrapping [ErrUnavailable] with the last
// fetch error. It also returns, without waiting for ctx, once
// [GiveUpAfter] fetches in a row have failed with the same error of a
// kind that waiting does not fix (see [Permanent]).
func (s *Source) Ready(ctx context.Context) error {
	select {
	case <-s.readyCh:
		return nil
	default:
	}
	for {
		s.mu.Lock()
		failed, n, last := s.failed, s.sameFails, s.lastErr
		s.mu.Unlock()
		if n >= GiveUpAfter && Permanent(last) {
			return fmt.Errorf("%w: %v (%d fetches in a row; waiting will not fix it)", ErrUnavailable, last, n)
		}
		select {
		case <-s.readyCh:
			return nil
		case <-s.stop:
			return s.unavailable("key source closed")
		case <-ctx.Done():
			return s.unavailable(ctx.Err().Error())
		case <-failed:
		}
	}
}

// GiveUpAfter is how many identical failures of a permanent kind make
// Ready give up.
const GiveUpAfter = 3

// Permanent reports whether a fetch error is one that waiting does not
// fix: the discovery document names another issuer, or the provider's
// TLS certificate does not verify (unknown authority, wrong host name,
// expired or otherwise invalid). Name-resolution failures, refused
// connections, timeouts and HTTP error statuses may be temporary while a
// cluster starts, so they are not.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var mismatch *issuerMismatchError
	var unknownCA x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &mismatch) || errors.As(err, &unknownCA) || errors.As(err, &host) ||
		errors.As(err, &invalid) || errors.As(err, &verify)
}

// Close stops the source: no fetch starts afterwards, a fetch in flight is
// cancelled, callers held by [Source.RefreshUnknownKid] are released, and
// Close returns once every goroutine of the source has ended. Keys already
// loaded stay usable. Close may be called more than once.
func (s *Source) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		if s.deferTimer != nil {
			s.deferTimer.Stop()
			s.deferTimer = nil
		}
		if s.deferred != nil {
			close(s.deferred)
			s.deferred, s.deferDue = nil, false
		}
		close(s.stop)
		s.cancel()
	}
	s.mu.Unlock()
	<-s.done
	s.fetches.Wait()
}

// RefreshUnknownKid is called when a token names a kid the current set
// lacks. It waits until a fetch that may know kid has ended:
//
//   - if the set holds kid by now (a fetch ended after the caller looked),
//     it returns at once;
//   - if a fetch is in flight (it started before this call), it waits for
//     it and returns if the set then holds kid;
//   - then it waits for a fetch that starts after the call: it starts one if
//     none is in flight and the last attempt is at least UnknownKidGap old,
//     or joins the one deferred fetch, scheduled for the end of the gap (or
//     for the end of the fetch in flight, whichever is later) and shared by
//     every caller until it starts.
//
// The whole wait is bounded by ctx and by UnknownKidGap+FetchTimeout. The
// caller re-checks the kid in [Source.Current] afterwards. After Close it
// returns at once.
func (s *Source) RefreshUnknownKid(ctx context.Context, kid string) {
	t := time.NewTimer(s.cfg.UnknownKidGap + s.cfg.FetchTimeout)
	defer t.Stop()
	wait := func(ch chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-ctx.Done():
		case <-s.stop:
		case <-t.C:
		}
		return false
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if ks := s.set.Load(); ks != nil && ks.HasKid(kid) {
		// The caller looked at an older set: a fetch that ended since
		// loaded kid. Another fetch would hold it for the gap for nothing.
		s.mu.Unlock()
		return
	}
	if ch := s.inflight; ch != nil && s.deferred == nil {
		s.mu.Unlock()
		if !wait(ch) {
			return
		}
		if ks := s.set.Load(); ks != nil && ks.HasKid(kid) {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
	}
	ch := s.freshFetchLocked()
	s.mu.Unlock()
	wait(ch)
}

// freshFetchLocked returns the done channel of a fetch that starts now or
// later: a new one if the gap allows it, else the shared deferred one.
// s.mu is held and the source is open.
func (s *Source) freshFetchLocked() chan struct{} {
	if s.deferred != nil {
		return s.deferred
	}
	wait := s.lastAttempt.Add(s.cfg.UnknownKidGap).Sub(s.cfg.Now())
	if s.inflight == nil && wait <= 0 {
		return s.startLocked(nil)
	}
	ch := make(chan struct{})
	s.deferred = ch
	if wait > 0 {
		s.deferTimer = time.AfterFunc(wait, func() { s.runDeferred(ch) })
	} else {
		s.deferDue = true // starts when the fetch in flight ends
	}
	return s.deferred
}

// runDeferred starts the deferred fetch ch at the end of the gap, or marks
// it due when the fetch in flight ends.
func (s *Source) runDeferred(ch chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deferred != ch { // Close or Refresh took it
		return
	}
	s.deferTimer = nil
	s.deferDue = true
	if s.inflight == nil {
		s.startDeferredLocked()
	}
}

// startDeferredLocked starts the due deferred fetch. s.mu is held and no
// fetch is in flight.
func (s *Source) startDeferredLocked() {
	ch := s.deferred
	s.deferred, s.deferDue = nil, false
	s.startLocked(ch)
}

// errClosed is Refresh's answer after Close.
var errClosed = errors.New("key source closed")

// Refresh fetches the key set now, on an operator's request (a key the
// provider has withdrawn must stop verifying at once): unlike
// [Source.RefreshUnknownKid] it does not wait out UnknownKidGap. There is
// still at most one fetch in flight. A fetch that started before the call
// may have read the set before the withdrawal, so Refresh waits for a
// fetch that starts after the call: it starts one when none is in flight
// (a deferred fetch waiting for the end of the gap starts now), or else
// makes the deferred fetch due when the fetch in flight ends, shared by
// every caller until it starts. It returns that fetch's error (nil when it
// loaded a set; a failed fetch keeps the last good set), ctx's error, or
// an error after Close.
func (s *Source) Refresh(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	var ch chan struct{}
	switch {
	case s.inflight == nil && s.deferred != nil:
		// The deferred fetch waits for the end of the gap: start it now.
		if s.deferTimer != nil {
			s.deferTimer.Stop()
			s.deferTimer = nil
		}
		ch = s.deferred
		s.startDeferredLocked()
	case s.inflight == nil:
		ch = s.startLocked(nil)
	default:
		if s.deferred == nil {
			s.deferred = make(chan struct{})
		} else if s.deferTimer != nil {
			s.deferTimer.Stop()
			s.deferTimer = nil
		}
		s.deferDue = true // starts when the fetch in flight ends
		ch = s.deferred
	}
	s.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stop:
		return errClosed
	}
	return s.LastError()
}

// kick starts a fetch in the background for a request that found no usable
// set, unless one is in flight, one started less than a second ago, or the
// source is closed. It never waits.
func (s *Source) kick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.inflight != nil || s.cfg.Now().Sub(s.lastAttempt) < unavailableKickGap {
		return
	}
	s.startLocked(nil)
}

// startLocked starts a fetch that closes ch (a new channel if nil) when it
// ends, and returns ch; nil once closed. s.mu is held and no fetch is in
// flight.
func (s *Source) startLocked(ch chan struct{}) chan struct{} {
	if s.closed {
		return nil
	}
	if ch == nil {
		ch = make(chan struct{})
	}
	s.inflight = ch
	s.lastAttempt = s.cfg.Now()
	s.fetches.Add(1)
	go s.fetchAndStore(ch)
	return ch
}

func (s *Source) fetchAndStore(ch chan struct{}) {
	defer s.fetches.Done()
	err := s.fetchOnce()
	s.mu.Lock()
	s.inflight = nil
	switch {
	case err == nil:
		s.sameFails = 0
	case s.lastErr != nil && s.lastErr.Error() == err.Error():
		s.sameFails++
	default:
		s.sameFails = 1
	}
	s.lastErr = err
	if err != nil {
		close(s.failed)
		s.failed = make(chan struct{})
	}
	recovered := err == nil && s.failing
	s.failing = err != nil
	if s.deferDue && !s.closed {
		s.startDeferredLocked()
	}
	s.mu.Unlock()
	if err != nil {
		s.logFailure(err)
	} else if recovered {
		s.limit.reset()
		s.log.Info("jwtguard: key source recovered", slog.String("source", s.name()))
	}
	close(ch)
}

// loop waits for the initial fetch ch, then refreshes on schedule until
// Close. After a failure it retries with
// exponential backoff, starting at 250 ms and never slower than MinRefresh.
func (s *Source) loop(ch chan struct{}) {
	defer close(s.done)
	backoff := initialBackoff
	for {
		if ch == nil {
			s.mu.Lock()
			if ch = s.inflight; ch == nil {
				ch = s.startLocked(nil)
			}
			s.mu.Unlock()
			if ch == nil {
				return
			}
		}
		select {
		case <-ch:
		case <-s.stop:
			return
		}
		ch = nil
		s.mu.Lock()
		err, next := s.lastErr, s.nextRefresh
		s.mu.Unlock()
		wait := next
		if err != nil {
			wait = backoff
			backoff = min(2*backoff, max(s.cfg.MinRefresh, initialBackoff))
		} else {
			backoff = initialBackoff
		}
		t := time.NewTimer(wait)
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// name identifies the source in log lines.
// Name is the URL the source starts from: the JWKS URL, or the discovery
// document's.
func (s *Source) Name() string { return s.name() }

// Loaded returns the last key set loaded, whatever its age, or nil.
func (s *Source) Loaded() *jose.KeySet { return s.set.Load() }

func (s *Source) name() string {
	if s.discoveryURL != "" {
		return s.discoveryURL
	}
	return s.jwksURL
}

// logFailure reports a failed fetch to the operator (rate-limited by the
// handler): at Error while no usable set exists or for an issuer mismatch,
// else at Warn.
func (s *Source) logFailure(err error) {
	select {
	case <-s.stop:
		return // closed: a fetch cancelled by Close is no failure to report
	default:
	}
	var mismatch *issuerMismatchError
	if errors.As(err, &mismatch) {
		s.log.Error("jwtguard: OIDC discovery document names another issuer; keys are not loaded from it",
			slog.String("source", s.name()),
			slog.String("document_issuer", mismatch.got), slog.String("configured_issuer", mismatch.want))
		return
	}
	if !s.usable() {
		s.log.Error("jwtguard: key source failed; no usable key set", slog.String("source", s.name()), slog.String("error", err.Error()))
		return
	}
	s.log.Warn("jwtguard: key source failed; keeping the last good key set", slog.String("source", s.name()), slog.String("error", err.Error()))
}
