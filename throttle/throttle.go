package throttle

import (
	"context"
	"net/http"
	"net/netip"
	"time"
)

// Defaults of [Config] (a zero field means its default) and of
// [NewMemoryStore].
const (
	// DefaultFailures is how many failed authentications a client may
	// make per [DefaultWindow]: generous, so that the users of one NAT
	// address who mistype nothing never meet it, while a client guessing
	// or replaying tokens gets 100 tries a minute instead of thousands a
	// second.
	DefaultFailures = 100
	// DefaultWindow is the window of [DefaultFailures].
	DefaultWindow = time.Minute
	// DefaultIPv4PrefixLen groups IPv4 clients: /32, one address each.
	DefaultIPv4PrefixLen = 32
	// DefaultIPv6PrefixLen groups IPv6 clients by /64, the smallest
	// prefix a site is assigned: one host can choose any of 2^64
	// addresses of its own /64.
	DefaultIPv6PrefixLen = 64
	// DefaultNewcomers is how many clients with failures below the limit
	// a [MemoryStore] tracks.
	DefaultNewcomers = 1 << 16
	// DefaultOffenders is how many clients that went over the limit a
	// [MemoryStore] tracks.
	DefaultOffenders = 1 << 14
)

// Config turns on the throttling of failed authentications
// (jwtguard.WithThrottling). The zero Config is the default throttling:
// 100 failures per minute per client address (IPv4 /32, IPv6 /64) in a
// [MemoryStore] of the default size.
type Config struct {
	// Failures is how many failed authentications a client may make per
	// Window (default [DefaultFailures]). It is a token bucket: a client
	// starts with Failures tries, each failure uses one, and one comes
	// back every Window/Failures; a client with less than one left is
	// throttled until it has one again.
	Failures int
	// Window is the period of Failures (default [DefaultWindow], at most
	// 24 h).
	Window time.Duration

	// IPv4PrefixLen and IPv6PrefixLen say how client addresses are
	// grouped into one client (defaults [DefaultIPv4PrefixLen] and
	// [DefaultIPv6PrefixLen]; 1-32 and 1-128): one bucket per prefix of
	// that length. A shorter prefix throttles a whole network as one
	// client.
	IPv4PrefixLen int
	IPv6PrefixLen int

	// Key, when set, names the client of a request instead of its
	// address: an API key's ID, a tenant, a header your own gateway
	// sets. It must be cheap (it runs for every request with a token)
	// and must not trust what a client can choose freely — a client that
	// sends a new key with every request is never throttled. A request
	// for which it returns "" is never throttled. It applies to
	// Verifier.Authenticate; Verifier.VerifyCredential, which has no
	// request, keys on Credential.ClientAddr.
	Key func(r *http.Request) string

	// Store keeps the counts: a [MemoryStore] of the default size when
	// nil; redisstore.NewThrottleStore for a fleet that shares them.
	Store Store
}

// AddrKey returns the client key of addr under c's prefix lengths: the
// address itself for a full-length prefix ("192.0.2.1"), the prefix
// otherwise ("2001:db8:1:2::/64"); "" for the zero Addr (a Unix socket),
// which is never throttled. An IPv4-mapped IPv6 address counts as IPv4;
// a zone is dropped; a length of 0 or less means the default.
func (c Config) AddrKey(addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	addr = addr.Unmap().WithZone("")
	bits := c.IPv6PrefixLen
	if addr.Is4() {
		bits = c.IPv4PrefixLen
		if bits <= 0 {
			bits = DefaultIPv4PrefixLen
		}
	} else if bits <= 0 {
		bits = DefaultIPv6PrefixLen
	}
	// Appended to a stack buffer: one allocation, on the path of every
	// request with a token.
	var buf [64]byte
	if bits >= addr.BitLen() {
		return string(addr.AppendTo(buf[:0]))
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return string(addr.AppendTo(buf[:0]))
	}
	return string(p.AppendTo(buf[:0]))
}

// Limit is how many failures a client may make per window: a token
// bucket holding at most Failures tokens, refilled at Failures per
// Window.
type Limit struct {
	Failures int
	Window   time.Duration
}

// Store keeps each client's failed authentications. The verifier calls
// Throttled on the path of every request that carries a token, before any
// signature work, and Failed after a request failed in a way that counts.
// Implementations must be safe for concurrent use.
type Store interface {
	// Throttled reports whether the client key is throttled at now — it
	// has less than one try left — and for how long (the Retry-After). It
	// runs for every request and must answer from memory: no I/O.
	Throttled(key string, now time.Time) (retryAfter time.Duration, throttled bool)
	// Failed records a failed authentication of key at now under limit.
	// It must not wait on I/O: a store with a remote backend counts
	// asynchronously.
	Failed(ctx context.Context, key string, now time.Time, limit Limit)
}
