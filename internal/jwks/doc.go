// Package jwks keeps a remote JSON Web Key Set fresh: a JWKS URL, or OpenID
// Connect discovery for an issuer, fetched over HTTPS with bounded time and
// size, refreshed in the background, shared by concurrent callers, and
// never replaced by a broken or empty set. It imports nothing from
// jwtguard's root package; the root maps [ErrUnavailable] to its own
// sentinel.
//
// # Formats
//
// A key set is a JSON Web Key Set (RFC 7517 §5), including SPIFFE trust
// bundles, whose "use": "jwt-svid" keys are signature keys, or Google's
// legacy X.509 map ({"<kid>": "<PEM certificate>"}, Firebase's documented
// key URL), whose certificates' public keys are used with the member names
// as kids.
//
// # Refresh and unknown kids (rotation)
//
// The first fetch starts in [New] (it counts as a fetch for the gap below).
// After a success the background loop refreshes after the response's
// Cache-Control max-age (DefaultRefresh without one), clamped to
// [MinRefresh, MaxRefresh]. After a failure it retries with exponential
// backoff: 250 ms, doubling, capped at MinRefresh.
//
// A token whose kid the current set lacks may name a key the provider just
// published. [Source.RefreshUnknownKid] handles it so that a new kid is
// accepted within seconds while a flood of random kids costs at most one
// fetch per UnknownKidGap:
//
//   - if the set holds the kid by now (a fetch ended after the caller
//     looked), the caller is done at once;
//   - if a fetch is in flight, the caller waits for it and is done if the
//     new set holds the kid (concurrent tokens of a rotation share one
//     fetch);
//   - otherwise, if no fetch is in flight and the last fetch attempt (of any
//     cause, the initial load included) started at least UnknownKidGap ago,
//     the caller starts a fetch;
//   - otherwise ONE deferred fetch is scheduled for the end of the gap (or
//     for the end of the fetch in flight, whichever is later), shared by
//     every caller until it starts.
//
// So the caller holds (waits) until a fetch that started after its call
// has ended — that fetch sees a key published before the token arrived —
// bounded by its context and by UnknownKidGap+FetchTimeout; then the caller
// re-checks the kid, and if it is still unknown the token is refused. A kid
// published right after start-up is accepted by the deferred fetch at most
// UnknownKidGap (default 5 s) after the initial load, with two fetches in
// all; a flood of random kids causes at most one fetch per gap.
//
// [Source.Refresh] is the operator's "fetch now" (a leaked key withdrawn by
// the provider must stop verifying at once): it does not wait out
// UnknownKidGap, but still keeps one fetch in flight — a caller arriving
// while a fetch is in flight waits for the one deferred fetch, which then
// starts as soon as that fetch ends, so every caller sees a set fetched
// after its call.
//
// # Keys unavailable
//
// [Source.Current] never waits. Until a set has loaded, or when the set is
// older than MaxStale, it returns an error wrapping [ErrUnavailable] (with
// the last fetch error) at once; such a request also starts a fetch if none
// started in the last second, so service returns with the first request
// after the provider does. A fetch that fails keeps the last good set
// (stale-if-error up to MaxStale).
//
// # Close
//
// After [Source.Close] nothing is fetched: no background refresh, no
// unknown-kid or deferred fetch, no kick. Close cancels a fetch in flight,
// releases held callers and waits for every goroutine of the source to end.
// Keys already loaded stay usable.
//
// # Plain HTTP and loopback
//
// URLs must be https. Plain http is allowed only when InsecureHTTP is set,
// or for a loopback host: a literal loopback IP, "localhost" or a
// *.localhost name. A name is never trusted as loopback by itself: plain
// http requests go through a transport whose dialer refuses to connect to
// any address that is not a loopback IP (checked on the address actually
// dialed, after name resolution, and again on the connection's remote
// address), and which uses no proxy. A caller-supplied client can be guarded
// this way only when its Transport is an *http.Transport without a Proxy;
// with any other client plain http needs InsecureHTTP. Redirects stay on
// the same host and never go from https to http; a discovery document
// fetched over https must name an https jwks_uri.
//
// # Logging
//
// Key-source failures are logged on Config.Log: at Error while no set is
// usable or when the discovery document names another issuer (with both
// values), at Warn while a last good set is served. Lines with the same
// message and values are rate-limited to one a minute, and one Info line
// says when the source recovers.
package jwks
