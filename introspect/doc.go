// Package introspect is an OAuth 2.0 Token Introspection client (RFC 7662)
// for jwtguard. A [*Client] implements [jwtguard.Introspector]: the verifier
// hands it opaque tokens (and, with [WithJWTs], JWTs that already passed
// local verification) and the client asks the authorization server whether
// each one is active.
//
// # Client authentication
//
// RFC 7662 §2.1 requires the protected resource to authenticate to the
// introspection endpoint, so that the endpoint does not become a token
// scanning oracle for anyone. [New] therefore refuses a nil [ClientAuth].
// Two methods are built in: [ClientSecretBasic] (HTTP Basic with the
// client_id and secret form-encoded first, RFC 6749 §2.3.1) and
// [PrivateKeyJWT] (a signed client assertion, RFC 7523 §2.2). Implement
// [ClientAuth] for anything else (mTLS client authentication needs only
// [WithHTTPClient] and a ClientAuth that adds nothing).
//
// # Requests and answers
//
// Each introspection is one POST of token and token_type_hint=access_token
// to the endpoint, which must be https (plain http only for a literal
// loopback address or localhost, or with [WithInsecureHTTP]). Redirects are
// never followed: a redirect would send the token and our credentials
// elsewhere. An answer is accepted only with status 200, a JSON Content-Type
// and a body of at most 64 KiB that is exactly one JSON object without
// duplicate member names whose "active" member is a JSON boolean. The client
// does not judge the other members of an active answer: the verifier maps
// them to claims and checks exp, aud and iss.
//
// # Fail closed
//
// Every failure is an error wrapping [jwtguard.ErrIntrospectionUnavailable]
// (the verifier answers 503 with Retry-After): the endpoint is down, slow
// (more than [WithTimeout], default 10 s), redirects, answers with another
// status (401 and 403 mean our client credentials were refused), or answers
// anything but the JSON above. No error ever makes a token active, and
// errors are never cached. Errors and the client's messages never contain
// the token.
//
// # Cache
//
// Answers are cached ([WithCache]): an active one for 30 s by default and
// never past the answer's own exp (an active answer whose exp is not a valid
// NumericDate is not cached), an inactive one for 10 s. A token revoked at
// the authorization server is therefore refused within the positive TTL.
// Active and inactive answers are kept in two separate caches of at most
// 10 000 entries each (evicting an arbitrary entry when full), so a flood of
// junk tokens can evict only other junk, never the answer of a good token.
// Concurrent lookups of one token share one request.
//
// # Bounds against floods
//
// An opaque token cannot be checked locally, so every distinct junk string
// an attacker sends would cost one POST to the authorization server. The
// client bounds this amplification: at most 16 requests are in flight at a
// time ([WithLimits]); a lookup that finds no free slot waits at most 100 ms
// (and never longer than its context allows) and then fails with [ErrBusy],
// which wraps [jwtguard.ErrIntrospectionUnavailable]. Cached answers do not
// need a slot, so a token whose answer is cached keeps working during a
// flood (a token first seen, or whose answer expired, during the flood
// competes for a slot like the junk), and repeated junk costs nothing while
// its inactive answer is cached. The rate
// of new distinct tokens is bounded by the same limit: at most 16 per round
// trip of the endpoint. A per-client rate limit belongs in front of the
// verifier (its throttling), which knows who the client is.
//
// Defaults: positive TTL 30 s, negative TTL 10 s, 10 000 cached answers of
// each kind, 10 s per request, 16 requests in flight, 100 ms queue wait,
// answers up to 64 KiB.
package introspect
