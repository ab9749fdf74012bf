// Package memory is an in-process revocation store for jwtguard: a bounded,
// sharded denylist of jti values and session IDs (sid), per-subject and
// per-issuer "revoked before" times, and revoked signing keys. It
// implements [jwtguard.RevocationStore] and [jwtguard.Revoker].
//
//	store, err := memory.New()
//	if err != nil { ... }
//	v, err := jwtguard.New(..., jwtguard.WithRevocation(store))
//
// Entries are scoped by issuer: jti and sub are unique only per issuer
// (RFC 7519 §4.1.2, §4.1.7), so a revocation recorded for one issuer never
// revokes a token of another issuer that happens to carry the same jti or
// sub.
//
// Lifetimes: a jti entry is kept until the token's exp plus the grace
// ([WithGrace], default 5 min); a subject entry until its "before" time plus
// the maximum token lifetime ([WithMaxTokenLifetime], default 24 h), the
// skew ([WithSkew], default 30 s) and the grace. jwtguard's New compares the
// store's [Store.Grace] and [Store.Skew] with the verifier's leeway and
// refuses a store whose grace or skew is below it: the grace, because an
// entry dropped before exp plus the leeway would un-revoke a token the
// verifier still accepts; the skew, because the verifier accepts an iat up
// to the leeway in the future.
//
// A session entry ([Store.RevokeSession], a back-channel logout) is kept
// until the until it was given plus the grace, or the maximum token
// lifetime plus the grace when until is zero; an issuer entry
// ([Store.RevokeIssuer]) as long as a subject entry; a key entry
// ([Store.RevokeKey]) until its until, or as long as the store lives.
//
// Key revocations and key refreshes ([Store.RefreshKeys]) are not answered
// by IsRevoked: every verifier built with the store subscribes to it
// ([Store.Subscribe]), loads the revoked keys ([Store.RevokedKeys]) and
// refuses the tokens verified with them itself, from the call's return on.
// Verifiers in one process that share a store share these too; to reach
// other processes use the Redis store.
//
// Bound: at most [WithMaxEntries] unexpired entries (default 1,000,000).
// Expired entries are purged as the store is written. When the store is
// full, a revocation fails with [ErrFull] rather than evicting an entry,
// since evicting would silently un-revoke a token.
//
// Revocations are lost when the process exits and are not shared between
// instances: the Redis store in github.com/jwtguard/jwtguard/redis takes the
// same options and shares them.
package memory
