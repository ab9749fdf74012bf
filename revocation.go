package jwtguard

import (
	"context"
	"errors"
	"time"
)

// RevocationStore is asked, after the signature and every claim check pass,
// whether a token has been revoked. Configure one with [WithRevocation].
//
// The contract:
//
//   - IsRevoked is called for every accepted token, including hits of the
//     verified-token cache ([WithCache]), so a revocation takes effect on the
//     next request. It must be safe for concurrent use and fast: it sits on
//     the request path.
//   - It reports true when the token is revoked: by its jti (a denylist entry
//     that lives at least until the token expires); by its subject (every
//     token of c.Subject issued before a point in time — "log out
//     everywhere", token versioning); by its session (every token whose
//     c.SessionID was revoked — a back-channel logout); or issuer-wide
//     (every token of the issuer issued before a point in time — "everyone
//     signs in again"). Subject and issuer-wide revocations compare c's iat
//     with the store's clock-skew tolerance, and revoke a token without
//     iat. c is read-only.
//   - It returns an error only when it cannot answer (backend down, timeout).
//     The verifier then fails closed: 503 with Retry-After, wrapping
//     [ErrRevocationUnavailable], unless [WithInsecureRevocationFailOpen] is
//     set. It must honour ctx cancellation.
//   - Tokens without jti are accepted and passed to the store, which can
//     still revoke them through their subject, but not one by one: a
//     logout cannot end such a token ([RevokeClaims] reports an error).
//     To require a jti on every token, list it in the issuer's
//     RequiredClaims; a token without it (or with "jti": "") is then
//     refused with 401 [ErrMissingClaim] before the store is asked.
//   - Entries are scoped by issuer: jti and sub are unique only per issuer
//     (RFC 7519 §4.1.2, §4.1.7). The issuer is the canonical one,
//     [Claims.Entry], so that every alias of an entry shares its
//     revocations.
//   - A store that reports Grace() (how long past exp an entry is kept) and
//     Skew() (the clock-skew tolerance of subject revocations) must keep
//     both at least as long as the verifier's leeway; New checks it.
//   - Tokens without sid are not ended by a session revocation: a
//     back-channel logout that names only a session leaves them alone. The
//     subject revocation covers them (a logout token without sid revokes
//     the subject).
//
// Key revocations ([Revoker].RevokeKey) are not asked of IsRevoked: the
// verifier checks the key that verified each token itself, in memory, on
// every request (verified-token cache hits included). A store feeds it
// through two optional methods, which New detects, as it detects Grace
// and Skew:
//
//	RevokedKeys(ctx context.Context, fn func(issuer, key string, until time.Time)) error
//	Subscribe(fn func(kind, issuer, value string, until time.Time)) (stop func())
//
// RevokedKeys calls fn for every key revocation in force (key as given to
// RevokeKey; a zero until never expires). Subscribe calls fn, until stop
// is called, for every change made through any store that shares this
// one's data: kind "key" (value: the key, until: its until), "refresh"
// (fetch issuer's keys now, see the stores' RefreshKeys), "resync" (events
// may have been missed: load RevokedKeys again), and "token", "subject",
// "session" and "issuer" for the revocations IsRevoked answers (the
// verifier re-checks its watched requests at once, see [Verifier.Watch]).
// fn must not block. The memory and Redis stores implement both; with
// either, a key revocation reaches every verifier that shares the store
// (Redis: every instance) within a second.
//
// The memory package keeps revocations in one process; the redis package
// shares them between instances.
type RevocationStore interface {
	IsRevoked(ctx context.Context, c *Claims) (bool, error)
}

// Revoker records revocations. The memory and Redis stores implement it next
// to [RevocationStore], so logout handlers can be written against either
// (a custom Revoker implements every method; one that cannot record a kind
// returns an error).
// Entries are scoped by issuer: jti and sub are unique only per issuer
// (RFC 7519 §4.1.2, §4.1.7), so one issuer's token can never revoke
// another issuer's tokens. issuer is the canonical issuer of the tokens
// ([Claims.Entry]: the entry's ID, the same for every alias, so a
// revocation under "accounts.google.com" also ends the tokens that say
// "https://accounts.google.com"); [Verifier.CanonicalIssuer] gives it for
// an iss when no token is at hand. Stores look tokens up by
// [Claims.Entry] too.
type Revoker interface {
	// RevokeToken revokes the token of issuer with this jti until exp (its
	// expiry claim) plus the store's grace; the entry is then dropped.
	RevokeToken(ctx context.Context, issuer, jti string, exp time.Time) error
	// RevokeSubject revokes every token of issuer's subject sub issued
	// before before (by iat, with the store's clock-skew tolerance; a token
	// without iat is revoked too).
	RevokeSubject(ctx context.Context, issuer, sub string, before time.Time) error
	// RevokeSession revokes every token of issuer whose sid
	// ([Claims.SessionID]) is sid, whenever it was issued (a session ended
	// at the identity provider issues no new tokens), until until plus the
	// store's grace; the zero until means the store's maximum token
	// lifetime from now. Tokens without sid are not affected.
	RevokeSession(ctx context.Context, issuer, sid string, until time.Time) error
	// RevokeIssuer revokes every token of issuer issued before before (by
	// iat, with the store's clock-skew tolerance; a token without iat is
	// revoked too): everyone signs in again. A later call with an earlier
	// time does not shorten it.
	RevokeIssuer(ctx context.Context, issuer string, before time.Time) error
	// RevokeKey refuses every token of issuer verified with one of its
	// keys, named by key: the key's RFC 7638 JWK SHA-256 thumbprint,
	// base64url without padding (what names a key whatever its kid — a kid
	// can be absent, reused or forged), or "kid:" followed by a kid, which
	// names the keys that the issuer's key set publishes with that kid.
	// The revocation holds until until (the zero time: until the store
	// forgets it); the verifiers that share the store apply it at once.
	RevokeKey(ctx context.Context, issuer, key string, until time.Time) error
}

// RevokeClaims revokes the token described by c (by its issuer and jti,
// until its exp) in r. It is the usual body of a logout handler. It fails
// when the token has no jti. Opaque tokens accepted through introspection
// are revoked too when their answer carries a jti: the verifier asks the
// revocation store about them as about JWTs (revoking them at the
// authorization server, RFC 7009, also ends them for other services).
func RevokeClaims(ctx context.Context, r Revoker, c *Claims) error {
	switch {
	case c == nil:
		return errors.New("jwtguard: RevokeClaims: no claims")
	case c.ID == "":
		return errors.New("jwtguard: RevokeClaims: the token has no jti (require it with the issuer's RequiredClaims)")
	}
	return r.RevokeToken(ctx, c.Entry(), c.ID, c.ExpiresAt)
}
