// Package redisstore is a Redis-backed revocation store for jwtguard, so
// that several instances of a service agree on logouts. It implements
// [jwtguard.RevocationStore] and [jwtguard.Revoker] over any go-redis v9
// [redis.UniversalClient] (single node, Sentinel failover or Cluster). It
// takes the same options as the in-process store in
// github.com/jwtguard/jwtguard/memory, and decides alike.
//
// Data model (all keys start with the prefix, default "jwtguard:"; iss is
// the token's issuer, "" for tokens without one, and len(iss) its length
// in bytes, in decimal):
//
//	<prefix>jti:<len(iss)>:<iss>:<jti>  "1", expiring at the token's exp +
//	                                    grace (SET ... PX <remaining lifetime>)
//	<prefix>sub:<len(iss)>:<iss>:<sub>  "revoked before" as Unix microseconds,
//	                                    only ever raised (a Lua script),
//	                                    expiring max token lifetime + skew +
//	                                    grace after that time
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
// A check costs one round trip (a pipeline of EXISTS and GET), unless the
// optional local cache ([WithLocalCache]) answers. Revocations are
// published on <prefix>revocations so that every Store with a local cache
// drops its cached answer at once; the messages name the same
// issuer-scoped entries ("j:<len(iss)>:<iss>:<jti>",
// "s:<len(iss)>:<iss>:<sub>"); any other message flushes the whole cache.
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
package redisstore
