// Package redisstore keeps what several instances of a jwtguard service
// must agree on in Redis: revocations ([Store]) — of tokens, subjects,
// sessions (back-channel logout), whole issuers and signing keys — so that
// a logout or a key revocation made at one instance is honoured by all;
// used DPoP proofs ([DPoPReplayCache]), so that a proof accepted by one
// instance is refused as a replay by all; and failed authentications per
// client ([ThrottleStore]), so that a client throttled at one instance is
// throttled at all. All work over any go-redis v9
// [redis.UniversalClient] (single node, Sentinel failover or Cluster).
//
// [Store] implements [jwtguard.RevocationStore] and [jwtguard.Revoker]; it
// takes the same options as the in-process store in
// github.com/jwtguard/jwtguard/memory, and decides alike.
// [DPoPReplayCache] implements dpop.ReplayCache, as
// dpop.MemoryReplayCache does for one instance.
//
// Data model (all keys start with the prefix, default "jwtguard:" — the
// throttle counts after redis_rate's own "rate:"; iss is
// the canonical issuer of the token — the ID of the configured issuer
// entry that accepted it, [jwtguard.Claims.Entry], the same for every
// alias of the entry; "" for a token without one — and len(iss) its length
// in bytes, in decimal; h(s) is the first 16 bytes of SHA-256(s),
// base64url-encoded, 22 characters):
//
//	<prefix>jti:<len(iss)>:<iss>:<jti>  "1", expiring at the token's exp +
//	                                    grace (SET ... PX <remaining lifetime>)
//	<prefix>sub:<len(iss)>:<iss>:<sub>  "revoked before" as Unix microseconds,
//	                                    only ever raised (a Lua script),
//	                                    expiring max token lifetime + skew +
//	                                    grace after that time
//	<prefix>sid:<len(iss)>:<iss>:<sid>  "1": a revoked session (back-channel
//	                                    logout), expiring at the until given
//	                                    + grace (max token lifetime + grace
//	                                    for a zero until), only ever extended
//	<prefix>iss:<len(iss)>:<iss>:       "revoked before" of the whole issuer
//	                                    (RevokeIssuer), as a subject entry
//	<prefix>keys                        a hash of key revocations: field
//	                                    <len(iss)>:<iss>:<key> (key: an RFC
//	                                    7638 thumbprint or kid:<kid>), value
//	                                    its until in Unix microseconds, 0 for
//	                                    none; expired fields are dropped by
//	                                    the next RevokeKey. It has no TTL
//	                                    (it is small: one field per revoked
//	                                    key)
//	<prefix>dpop:{<h(jkt)>}<h(jti)>     "1": a used DPoP proof of the key with
//	                                    thumbprint jkt, expiring at the
//	                                    proof's until time (PX computed by the
//	                                    cache's clock, rounded up)
//	<prefix>dpopq:{<h(jkt)>}            the key's proofs in the current quota
//	                                    window (INCR), expiring one window
//	                                    after its first proof
//	rate:<prefix>throttle:<client>      a client's failed authentications:
//	                                    GCRA's theoretical arrival time
//	                                    (redis_rate, which adds "rate:"),
//	                                    expiring when its bucket is full
//	                                    again; <client> is the throttle key
//	                                    ("192.0.2.7", "2001:db8::/64"), or
//	                                    "#" and h(key) for a key over 64
//	                                    bytes or with a space, a control
//	                                    character or '#'
//	<prefix>throttled (channel)         "<ms> <client>": a client throttled
//	                                    for ms milliseconds
//
// Entries are scoped by issuer because jti and sub are unique only per
// issuer (RFC 7519 §4.1.2, §4.1.7): a revocation recorded for one issuer
// never revokes a token of another issuer with the same jti or sub. The
// issuer is length-prefixed so that no issuer and value pair reads as
// another whatever characters they hold (an issuer URL contains ':').
//
// Key change: before issuer scoping the keys were <prefix>jti:<jti> and
// <prefix>sub:<sub>. Those keys are no longer read: revocations recorded by
// an earlier version are not honoured by this one (they expire on their
// own), and instances of both versions sharing one prefix do not see each
// other's revocations. Upgrade every instance that shares a prefix
// together, and, for a revocation that must survive the upgrade, record it
// again after the upgrade.
//
// Subject revocations tolerate issuer clock skew ([WithSkew], default
// 30 s): RevokeSubject(ctx, iss, sub, before) revokes the tokens whose iat
// is before before + skew, since the verifier accepts an iat up to its
// leeway in the future. This also refuses a fresh login made within the
// skew after a "log out everywhere". jwtguard's New refuses a store whose
// [Store.Grace] or [Store.Skew] is below the verifier's leeway.
//
// A check costs one round trip (a pipeline of one EXISTS or GET per entry
// the token can have: jti, subject, session, issuer), unless the optional
// local cache ([WithLocalCache]) answers. Revocations are published on
// <prefix>revocations so that every Store with a local cache drops its
// cached answer at once, and every subscriber ([Store.Subscribe]: the
// verifiers) learns of them; the messages name the same issuer-scoped
// entries ("j:<len(iss)>:<iss>:<jti>", "s:<len(iss)>:<iss>:<sub>",
// "e:<len(iss)>:<iss>:<sid>", "i:<len(iss)>:<iss>:"), and two more carry
// the key events: "k:<until µs>:<len(iss)>:<iss>:<key>" (RevokeKey) and
// "r:<len(iss)>:<iss>:" (RefreshKeys); any other message flushes the
// whole cache (so an older version's cache stays correct).
//
// Key revocations and refreshes reach every instance through the
// channel: each verifier built with a Store subscribes at New (starting
// the Store's subscription, with or without the local cache), loads the
// revoked keys ([Store.RevokedKeys], one HGETALL, again after every
// reconnection) and refuses the revoked keys' tokens itself, on every
// request and cache hit; until the first load succeeds it refuses tokens
// with 503 (fail-closed). Measured on a loopback redis-server (2 cores,
// -race): a key revocation on one instance refuses the key's tokens on
// another after 1–1.5 ms at the median, under 5 ms at p99; a back-channel
// logout, under 1 ms at the median and 3–8 ms at p99 (TestContinuousDelays;
// README.md). A refresh request missed while an instance's subscription
// is down is lost: that instance refreshes on its schedule.
//
// Staleness bound with the local cache: a revocation made through any Store
// on the same Redis is honoured by the other instances as soon as its
// pub/sub message arrives, and by the Store that made it as soon as the
// call returns. If the message is lost (connection dropped, network
// partition, or a key written to Redis by other means), a cached "not
// revoked" answer is reused for at most the cache TTL. While the
// subscription is down the cache is flushed and not used, so every check
// goes to Redis. Without the local cache there is no staleness: every check
// reads Redis.
//
// Failure: when Redis cannot answer, IsRevoked returns an error and the
// verifier fails closed (503, [jwtguard.ErrRevocationUnavailable]). Give the
// client short timeouts so that a request does not hang on an unreachable
// Redis: e.g. DialTimeout and ReadTimeout of a few hundred milliseconds,
// ContextTimeoutEnabled: true, and few retries (MaxRetries, DialerRetries).
// [WithTimeout] bounds each call through its context.
//
// Durability: revocations live as long as Redis keeps its data. Enable AOF
// or RDB persistence (or a replica with Sentinel) so that a Redis restart
// does not forget revocations.
//
// Instances that share a prefix should share settings too: the grace, skew
// and max token lifetime of the Store that records an entry decide its
// lifetime in Redis.
//
// Eviction: the Redis instance must never evict these keys. Every one of
// them has a lifetime, so the volatile-* maxmemory policies may evict them
// as readily as the allkeys-* ones — and an evicted revocation lets a
// revoked token through, an evicted proof lets a replay through. Set
// maxmemory-policy noeviction (the Redis default; some managed services
// default to volatile-lru) and a maxmemory, on a Redis of its own if other
// data there needs eviction. A Redis that reaches maxmemory then
// refuses writes: a revocation fails with an error, and
// [DPoPReplayCache.Use] fails for new proofs, which the verifier answers
// with 503 — it refuses rather than forgets — while replays of recorded
// proofs are still found.
//
// # DPoP replay cache
//
// [NewDPoPReplayCache] returns a cache to set as dpop.Config.Replay on
// every instance:
//
//	replay, err := redisstore.NewDPoPReplayCache(client,
//		redisstore.WithKeyPrefix("myapi:"))
//	...
//	jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: origins, Replay: replay})
//
// The verifier records a proof's jti only after the token, its binding and
// the proof verified, so forged proofs cost nothing to store. Use is one
// round trip: a Lua script (EVALSHA, EVAL when Redis does not know it yet)
// that, atomically, answers dpop.ErrReplay when the proof's key exists;
// counts the proof against its DPoP key's quota ([WithProofQuota],
// default dpop.DefaultProofsPerKey proofs per dpop.DefaultProofLifetime)
// and answers dpop.ErrKeyQuota past it (429, nothing recorded); and
// otherwise records the proof (SET NX PX) until its until time — the
// proof lifetime plus the leeway after its iat — never earlier. The jkt
// and jti are hashed, so an attacker's jti never makes a long key; the
// braces are a Cluster hash tag that puts a key's proofs and counter in
// one slot (a prefix with braces puts every key in one slot).
//
// Memory: about 150 bytes of Redis memory per recorded proof, measured
// with the default prefix (60-byte keys) as the growth of used_memory over
// 100,000 proofs on Redis 7.0 (jemalloc), hash tables included;
// MEMORY USAGE reports 104 bytes for one key (TestDPoPMemoryPerEntry
// measures it and checks 200 at most). The cache has no capacity of its
// own: Redis's maxmemory is its bound (100 MB hold about 650,000 proofs).
// One DPoP key records at most its quota of proofs per window, and a proof
// lives the proof lifetime plus the leeway: with the defaults (4,096 a
// minute, proofs living 90 s) at most 3 × 4,096 proofs of one key are
// alive at once, under 2 MB, so one stolen token and key cannot fill
// Redis for everyone.
//
// Failure: when Redis cannot answer within the timeout ([WithTimeout]),
// Use returns an error that is neither a replay nor the quota, and the
// verifier answers 503 ([jwtguard.ErrRevocationUnavailable]): a proof
// that cannot be recorded is not accepted. Proofs live at most minutes, so
// persistence matters less than for revocations, but a Redis restart
// without it, or a failover that loses the last unreplicated writes,
// forgets the proofs recorded just before: those could be replayed until
// their until time.
//
// # Throttle store
//
// [NewThrottleStore] returns a throttle.Store to set as
// throttle.Config.Store on every instance (jwtguard.WithThrottling):
//
//	counts, err := redisstore.NewThrottleStore(client,
//		redisstore.WithKeyPrefix("myapi:"))
//	...
//	jwtguard.WithThrottling(throttle.Config{Store: counts})
//
// No request waits on Redis. A failed authentication is queued (4,096 at
// most; beyond, failures are dropped, counted by [ThrottleStore.Dropped]
// and logged) and one goroutine counts them: GCRA in one round trip per
// client and batch (github.com/go-redis/redis_rate, a Lua script using
// the Redis server's clock, so instances need no synchronised clocks).
// When a client has less than one try left, the verdict and its
// Retry-After go into a local table (16,384 clients) and out on the
// channel, and every instance holds it within a pub/sub delivery: the
// request path asks only the local table. A client gets its limit plus
// the failures in flight during one round trip; an instance whose
// subscription was down learns a verdict from the next failure it counts.
//
// Keys start with "rate:" (redis_rate's own prefix) before the prefix:
// give an ACL user of Redis the key pattern rate:<prefix>* too.
//
// Memory: about 190 bytes of Redis memory per client key (measured as the
// growth of used_memory over 20,000 clients on Redis 7.0;
// TestThrottleMemoryPerClient checks 250 at most). A client's key lives as
// long as its bucket takes to fill again: Window/Failures per failure it
// holds (0.6 s with the defaults, rounded up to whole seconds), at most
// Window. So the keys alive at once are about the failures counted per
// second times Window/Failures, whatever the number of clients: with the
// defaults, 10,000 failures a second from as many addresses keep about
// 10,000 keys (under 2 MB). Unlike revocations and proofs, evicted counts
// only forget failures: any maxmemory-policy is safe for these keys.
//
// Failure: when Redis is down or slower than [WithTimeout], failures are
// not counted (logged to slog.Default() at most once a minute) and no
// client is throttled anew; verdicts already held run out as they would.
// Throttling never fails a request closed.
package redisstore
