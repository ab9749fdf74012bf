// Package throttle configures the throttling of failed authentications
// for a jwtguard verifier (jwtguard.WithThrottling): a client that fails
// more than [Config.Failures] times per [Config.Window] — bad, forged,
// expired or revoked tokens — gets 429 Too Many Requests with Retry-After
// for its further requests, before any signature work. Valid tokens of
// other clients are never slowed.
//
//	v, err := jwtguard.New(
//		// ... issuer, audience, algorithms ...
//		jwtguard.WithCache(100_000, 5*time.Minute), // throttled clients keep their cached tokens
//		jwtguard.WithThrottling(throttle.Config{}), // 100 failures a minute per client
//	)
//
// Throttling is off unless asked for: behind a load balancer or a reverse
// proxy that is not listed in jwtguard.WithTrustedProxies every client
// arrives from the proxy's address, and one attacker would get everyone a
// 429.
//
// # Which refusals count
//
// The verifier decides, from one list (README, "Throttling failed
// authentication"): the 401s for bad, forged, expired, revoked or inactive
// tokens and unproven bindings count. A request without a token
// (ErrNoToken: the first step of OAuth and MCP discovery), a malformed
// request (400), a DPoP nonce challenge, a cross-origin cookie (403), a
// policy denial (403), an outage (503) and a 429 itself never count, and a
// request without a token is never throttled either.
//
// # The client
//
// A client is its address, as the verifier's trusted proxies give it
// (forwarded.Trust.ClientAddr: the peer's address without
// WithTrustedProxies), grouped by prefix: each IPv4 address on its own,
// IPv6 by /64 ([Config.IPv4PrefixLen], [Config.IPv6PrefixLen]). Or your
// own [Config.Key] function.
//
// The price of keying on addresses is NAT: every user behind one address
// is one client. When an attacker behind it is throttled, so are they —
// except for tokens already in the verifier's verified-token cache
// (jwtguard.WithCache), which cost nothing to check and pass as usual.
// A user who signs in anew while the address is throttled waits out the
// Retry-After. The default limit (100 failures a minute) is generous for
// this reason.
//
// # Stores
//
// A [Store] keeps the counts. [MemoryStore] (the default) counts in
// process, with a bounded memory and an eviction policy that keeps an
// offender throttled through a flood of distinct addresses (see
// [MemoryStore]). redisstore.NewThrottleStore shares the counts across a
// fleet through Redis, without a Redis round trip on the path of clients
// that are not throttled. The token bucket is golang.org/x/time/rate's
// in process and GCRA (github.com/go-redis/redis_rate) in Redis.
package throttle
