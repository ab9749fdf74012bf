package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/throttle"
)

// maxThrottleWindow bounds throttle.Config.Window.
const maxThrottleWindow = 24 * time.Hour

// Which refusals count as failed authentications for WithThrottling: one
// list of each, and every sentinel of the error table is in exactly one
// (TestThrottleClassifiesEverySentinel), so that a new failure class is
// decided when it is added. README.md ("Throttling failed authentication")
// repeats both lists.
var (
	// countedFailures: the token the client presented is bad, forged,
	// expired, revoked or inactive, or its binding is not proven — what a
	// client guessing, forging or replaying tokens gets.
	countedFailures = []error{
		ErrTokenTooLarge, ErrMalformedToken, ErrAlgorithmNotAllowed,
		ErrKeyNotFound, ErrInvalidSignature, ErrInvalidTokenType,
		ErrInvalidClaim, ErrMissingClaim, ErrTokenExpired,
		ErrTokenNotYetValid, ErrTokenIssuedInFuture, ErrInvalidIssuer,
		ErrInvalidAudience, ErrTokenRevoked, ErrTokenInactive,
		ErrProofOfPossession, dpop.ErrInvalidProof,
	}
	// uncountedRefusals never count.
	uncountedRefusals = []error{
		// The first step of OAuth and MCP discovery: a client learns
		// where to get a token. Never throttled either.
		ErrNoToken,
		// A malformed request (two Authorization headers, a Bearer
		// without a token, differing duplicate cookies): refused before
		// any token is judged, so it costs nothing and guesses nothing,
		// and it is often not the client's doing — a proxy duplicating a
		// header, a cookie planted from a sibling subdomain — which
		// counting would turn into a 429 for everyone behind the address.
		ErrInvalidRequest,
		// Made by a third-party page through its visitors' browsers:
		// counting it would let any web page throttle its visitors.
		ErrCrossOrigin,
		// A valid token that a policy denies (403).
		ErrForbidden,
		// Our outages (503), not the client's failures.
		ErrRevocationUnavailable, ErrIntrospectionUnavailable, ErrKeysUnavailable,
		// Counting refusals would keep a client throttled for good; a
		// DPoP key's quota (the other 429) is the replay cache's.
		ErrThrottled,
		// The routine first step of a DPoP client when the server uses
		// nonces (RFC 9449 §8); step-up challenges (RFC 9470) join this
		// list when they land.
		dpop.ErrUseNonce,
	}
)

// countsAsFailure reports whether err is a failed authentication for
// throttling (countedFailures).
func countsAsFailure(err error) bool {
	return slices.Contains(countedFailures, classOf(err).err)
}

// throttling is WithThrottling's configuration, checked, with defaults.
type throttling struct {
	cfg   throttle.Config
	limit throttle.Limit
	store throttle.Store
}

// newThrottling checks c, naming the field at fault, and fills in the
// defaults.
func newThrottling(c throttle.Config) (*throttling, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, optErr("WithThrottling", format, args...))
	}
	if c.Failures < 0 {
		bad("Config.Failures is %d; it must be at least 1 (0 means the default, %d)", c.Failures, throttle.DefaultFailures)
	}
	if c.Window < 0 || c.Window > maxThrottleWindow {
		bad("Config.Window is %s; it must be in (0, %s] (0 means the default, %s)", c.Window, maxThrottleWindow, throttle.DefaultWindow)
	}
	if c.IPv4PrefixLen < 0 || c.IPv4PrefixLen > 32 {
		bad("Config.IPv4PrefixLen is %d; it must be in [1, 32] (0 means the default, %d)", c.IPv4PrefixLen, throttle.DefaultIPv4PrefixLen)
	}
	if c.IPv6PrefixLen < 0 || c.IPv6PrefixLen > 128 {
		bad("Config.IPv6PrefixLen is %d; it must be in [1, 128] (0 means the default, %d)", c.IPv6PrefixLen, throttle.DefaultIPv6PrefixLen)
	}
	if c.Store != nil && isNilPointer(c.Store) {
		bad("Config.Store is a nil %T (check the error of the store's constructor before using it)", c.Store)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	t := &throttling{cfg: c, store: c.Store}
	t.limit = throttle.Limit{Failures: c.Failures, Window: c.Window}
	if t.limit.Failures == 0 {
		t.limit.Failures = throttle.DefaultFailures
	}
	if t.limit.Window == 0 {
		t.limit.Window = throttle.DefaultWindow
	}
	if t.store == nil {
		t.store = throttle.NewMemoryStore(0, 0)
	}
	return t, nil
}

// authenticateThrottled ends Authenticate when throttling is on: it
// names the client — Config.Key, or its address from the trusted proxies
// — and verifies behind the throttle.
func (v *Verifier) authenticateThrottled(ctx context.Context, r *http.Request, cred *Credential, vr *verification) (*Claims, error) {
	cred.ClientAddr = v.proxies.ClientAddr(r)
	var key string
	if v.throttle.cfg.Key != nil {
		key = v.throttle.cfg.Key(r)
	} else {
		key = v.throttle.cfg.AddrKey(cred.ClientAddr)
	}
	return v.verifyThrottled(ctx, key, cred, vr)
}

// verifyThrottled verifies cred behind the throttle: a throttled client
// is refused before any signature work, unless its token is in the
// verified-token cache; a failure that counts is recorded. key "" is
// never throttled.
func (v *Verifier) verifyThrottled(ctx context.Context, key string, cred *Credential, vr *verification) (*Claims, error) {
	if key == "" {
		return v.verifyCredential(ctx, cred.Token, cred, vr)
	}
	if wait, throttled := v.throttle.store.Throttled(key, v.now()); throttled && !v.cachedToken(cred.Token) {
		vr.token = cred.Token
		return nil, v.finish(ctx, vr, nil, v.refuseThrottled(ctx, key, wait, cred))
	}
	c, err := v.verifyCredential(ctx, cred.Token, cred, vr)
	if err != nil && countsAsFailure(err) {
		v.throttle.store.Failed(ctx, key, v.now(), v.throttle.limit)
	}
	return c, err
}

// refuseThrottled is the one place where a request is refused because
// its client is throttled: 429 with the store's Retry-After, the token
// unverified. (Telemetry counts throttled requests here.)
func (v *Verifier) refuseThrottled(ctx context.Context, key string, wait time.Duration, cred *Credential) *Error {
	e := newError(ErrThrottled, "")
	e.RetryAfter = max(wait, time.Second)
	l := v.throttle.limit
	e.Detail = fmt.Sprintf("client %s used up its %d failed authentications per %s (WithThrottling: Failures, Window); its requests are refused before any signature work for %s, except tokens in the verified-token cache (WithCache)",
		shown(key), l.Failures, l.Window, wait.Round(time.Millisecond))
	return v.reject(ctx, e, nil, cred.Token)
}

// cachedToken reports whether token is in the verified-token cache,
// without touching the cache: a throttled client's cached token costs no
// signature work and passes (verify checks it as for anyone).
func (v *Verifier) cachedToken(token string) bool {
	return v.cache != nil && v.cache.Peek(token, v.now())
}
