package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/internal/revoke"
	"github.com/redis/go-redis/v9"
)

// DPoPReplayCache is a [dpop.ReplayCache] in Redis, so that every instance
// of a service refuses a DPoP proof used at any of them (RFC 9449 §11.1).
// Create one with [NewDPoPReplayCache] and give it to the verifier as
// dpop.Config.Replay. It is safe for concurrent use.
//
// Each proof costs one entry in Redis until its until time (about 150
// bytes, see the package documentation), plus one quota counter per key
// and window. It has no capacity of its own: Redis's maxmemory is the
// bound, and Redis must be configured never to evict (maxmemory-policy
// noeviction) — then a full Redis refuses new proofs (503) rather than
// forget one.
type DPoPReplayCache struct {
	client  redis.UniversalClient
	where   string // the server(s), for error messages
	prefix  string
	timeout time.Duration
	now     func() time.Time
	perKey  int
	window  time.Duration
}

var _ dpop.ReplayCache = (*DPoPReplayCache)(nil)

// errNilDPoP is returned by the methods of a nil *DPoPReplayCache.
var errNilDPoP = errors.New("redisstore: nil *DPoPReplayCache (use redisstore.NewDPoPReplayCache)")

// NewDPoPReplayCache returns a DPoP replay cache using client. It takes
// [WithKeyPrefix], [WithTimeout], [WithClock] and [WithProofQuota]. Like
// [New], it does not contact Redis, fails naming the option when one is
// invalid, given twice or meant for New only, and never returns a nil
// cache without an error.
func NewDPoPReplayCache(client redis.UniversalClient, opts ...Option) (*DPoPReplayCache, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	c := config{Settings: revoke.Defaults(), prefix: DefaultKeyPrefix, timeout: DefaultTimeout,
		perKey: dpop.DefaultProofsPerKey, window: dpop.DefaultProofLifetime}
	if err := c.apply(opts, "NewDPoPReplayCache"); err != nil {
		return nil, err
	}
	return &DPoPReplayCache{client: client, where: where(client), prefix: c.prefix, timeout: c.timeout,
		now: c.Now, perKey: c.perKey, window: c.window}, nil
}

// useScript records a proof, atomically. KEYS[1] is the proof's key,
// KEYS[2] its DPoP key's quota counter; ARGV[1] the proof's lifetime, ARGV[2]
// the quota and ARGV[3] the quota window (milliseconds). It answers 1 for
// a replay, 2 past the quota (the proof is not recorded), 0 when recorded.
// The first write is INCR: when Redis refuses writes (maxmemory reached
// with noeviction) the script fails there and writes nothing, while a
// replay is still found. The PTTL check repairs a counter left without a
// lifetime (which would block its key for good).
var useScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 1
end
local n = redis.call('INCR', KEYS[2])
if n == 1 or redis.call('PTTL', KEYS[2]) < 0 then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
if n > tonumber(ARGV[2]) then
  return 2
end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 1
end
return 0`)

// Use implements [dpop.ReplayCache] in one round trip (EVALSHA, and EVAL
// when Redis does not know the script yet): it answers an error wrapping
// dpop.ErrReplay when the key's jti is recorded, one wrapping
// dpop.ErrKeyQuota past the key's quota (the proof is then not recorded),
// and otherwise records the proof until until, by the store's clock
// (rounded up to the millisecond, at least 1 ms). Any other error means
// the proof could not be checked or recorded (Redis down, slow beyond the
// timeout, or refusing writes because it is full): the verifier answers
// 503.
func (c *DPoPReplayCache) Use(ctx context.Context, jkt, jti string, until time.Time) error {
	if c == nil {
		return errNilDPoP
	}
	ttl := max(until.Sub(c.now()), time.Millisecond)
	ms := (ttl + time.Millisecond - 1) / time.Millisecond // never shorter than asked
	proof, quota := c.keys(jkt, jti)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	n, err := useScript.Run(ctx, c.client, []string{proof, quota}, int64(ms), c.perKey, c.window.Milliseconds()).Int()
	if err != nil {
		return failure(ctx, c.where, c.timeout, err)
	}
	switch n {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("redisstore: %w", dpop.ErrReplay)
	case 2:
		return fmt.Errorf("redisstore: %w: %d proofs in %s", dpop.ErrKeyQuota, c.perKey, c.window)
	}
	return fmt.Errorf("redisstore: the DPoP replay script answered %d", n)
}

// keys returns the Redis keys of a proof and of its key's quota counter:
//
//	<prefix>dpop:{<h(jkt)>}<h(jti)>
//	<prefix>dpopq:{<h(jkt)>}
//
// where h is the first 16 bytes of SHA-256, base64url-encoded (22
// characters), so attacker-chosen strings never make long keys. The braces
// are a Redis Cluster hash tag: the script's two keys are in one slot.
func (c *DPoPReplayCache) keys(jkt, jti string) (proof, quota string) {
	tag := "{" + shortHash(jkt) + "}"
	return c.prefix + "dpop:" + tag + shortHash(jti), c.prefix + "dpopq:" + tag
}

// shortHash is the first 16 bytes of SHA-256 of s, base64url-encoded.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}
