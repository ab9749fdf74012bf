package jwtguard

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/dpop"
)

// Sentinel errors, one per failure class. Every error returned by
// [Verifier.Verify], [Verifier.Authenticate] and [Authorize] is an *[Error]
// that wraps exactly one of them, so callers match with errors.Is. The
// HTTP status, challenge and error code of each class come from one table
// (errorTable below); [WriteError] and [AsError] read it.
var (
	// ErrNoToken means the request carried no credentials at all
	// (RFC 6750 §3.1: 401 with a challenge that carries no error code).
	ErrNoToken = errors.New("jwtguard: no token")
	// ErrInvalidRequest means the request itself is malformed: two
	// Authorization headers, a credential sent two ways (header and
	// cookie), a header that is not a valid Bearer credential
	// (400 invalid_request).
	ErrInvalidRequest = errors.New("jwtguard: invalid request")
	// ErrCrossOrigin means a token was taken from a cookie on an unsafe
	// cross-origin request, which would allow CSRF (403).
	ErrCrossOrigin = errors.New("jwtguard: cookie credentials on a cross-origin request")
	// ErrTokenTooLarge means the token exceeds the size cap.
	ErrTokenTooLarge = errors.New("jwtguard: token too large")
	// ErrMalformedToken means the token is not a well-formed compact JWS:
	// wrong number of parts, non-canonical base64url, invalid or duplicate
	// JSON, JWE, unsupported critical headers, b64:false.
	ErrMalformedToken = errors.New("jwtguard: malformed token")
	// ErrAlgorithmNotAllowed means the header's alg is "none", is not in the
	// allowlist (the verifier's or the issuer's), or does not fit the key.
	ErrAlgorithmNotAllowed = errors.New("jwtguard: algorithm not allowed")
	// ErrKeyNotFound means no key of the issuer matches the token's kid and
	// alg, even after a refresh of the issuer's key set.
	ErrKeyNotFound = errors.New("jwtguard: no matching key")
	// ErrInvalidSignature means the signature does not verify.
	ErrInvalidSignature = errors.New("jwtguard: invalid signature")
	// ErrInvalidTokenType means the token is of the wrong kind for this
	// issuer: its typ header or its token-use claim is not an accepted one
	// (an ID token where an access token is meant).
	ErrInvalidTokenType = errors.New("jwtguard: invalid token type")
	// ErrInvalidClaim means a claim has the wrong JSON type or an
	// out-of-range value (exp as a string, aud as a number, ...), or a
	// calling client (azp, client_id) that the issuer entry does not allow.
	ErrInvalidClaim = errors.New("jwtguard: invalid claim")
	// ErrMissingClaim means a required claim (exp, or one of the issuer's
	// RequiredClaims) is absent, or present only as "", null, false or [].
	ErrMissingClaim = errors.New("jwtguard: missing required claim")
	// ErrTokenExpired means exp is in the past (beyond the leeway).
	ErrTokenExpired = errors.New("jwtguard: token expired")
	// ErrTokenNotYetValid means nbf is in the future (beyond the leeway).
	ErrTokenNotYetValid = errors.New("jwtguard: token not yet valid")
	// ErrTokenIssuedInFuture means iat is in the future (beyond the leeway).
	ErrTokenIssuedInFuture = errors.New("jwtguard: token issued in the future")
	// ErrInvalidIssuer means iss is missing or names no trusted issuer.
	ErrInvalidIssuer = errors.New("jwtguard: invalid issuer")
	// ErrInvalidAudience means aud is missing or contains no accepted
	// audience.
	ErrInvalidAudience = errors.New("jwtguard: invalid audience")
	// ErrTokenRevoked means the revocation store reports the token revoked.
	ErrTokenRevoked = errors.New("jwtguard: token revoked")
	// ErrTokenInactive means the introspection endpoint answered that the
	// token is not active (RFC 7662 §2.2): expired, revoked, or never
	// issued.
	ErrTokenInactive = errors.New("jwtguard: token not active")
	// ErrRevocationUnavailable means the revocation store could not answer
	// and the verifier fails closed (503).
	ErrRevocationUnavailable = errors.New("jwtguard: revocation check unavailable")
	// ErrIntrospectionUnavailable means the token introspection endpoint
	// (RFC 7662) could not answer: down, slow, too busy, refusing our client
	// credentials or answering nonsense. The verifier fails closed (503).
	ErrIntrospectionUnavailable = errors.New("jwtguard: introspection unavailable")
	// ErrKeysUnavailable means the issuer's key set is not loaded yet, could
	// not be fetched, or is older than the maximum staleness. It is a
	// server-side problem: 503 with Retry-After.
	ErrKeysUnavailable = errors.New("jwtguard: verification keys unavailable")
	// ErrForbidden means the token is valid but a policy denied the request
	// (403 insufficient_scope).
	ErrForbidden = errors.New("jwtguard: forbidden")
	// ErrProofOfPossession means the token is sender-constrained — its
	// cnf claim binds it to a DPoP key (RFC 9449) or a client certificate
	// (RFC 8705) — and the request did not prove possession of it: no or
	// another certificate, no DPoP proof, a bound token presented as a
	// plain bearer token, a cnf member this verifier cannot check, or
	// [Verifier.Verify], which has no request to check.
	ErrProofOfPossession = errors.New("jwtguard: sender-constrained token without proof of possession")
	// ErrThrottled means the client sent too much (429 with
	// Retry-After): it failed authentication too often ([WithThrottling]),
	// or a DPoP key used its quota of proofs.
	ErrThrottled = errors.New("jwtguard: too many requests")
)

// Error codes: RFC 6750 §3.1, and RFC 9449's for DPoP. RFC 9470's
// insufficient_user_authentication becomes a row of the same table when
// step-up lands.
const (
	codeInvalidRequest    = "invalid_request"
	codeInvalidToken      = "invalid_token"
	codeInsufficientScope = "insufficient_scope"
	codeInvalidDPoPProof  = "invalid_dpop_proof" // RFC 9449 §7.1
	codeUseDPoPNonce      = "use_dpop_nonce"     // RFC 9449 §9
)

// unverifiedDesc is what a client is told of every failure that depends
// on the issuer before a signature is proven: an issuer no entry has, an
// unknown kid, a bad signature, an algorithm or a size the token's entry
// refuses. One text for all, so that nobody can tell a trusted issuer
// (a customer's tenant) from a stranger by the answer; the Go error and
// the logs say which it was ([Error].Detail).
const unverifiedDesc = "token could not be verified"

// retryAfter is the Retry-After sent with 503 answers.
const retryAfter = 5 * time.Second

// errorClass is one row of the error table: everything an HTTP answer to a
// failure class needs.
//
// The table is shaped for the features planned next, each a row or a field
// and no new path: a 429 for failed-auth throttling is a row with retry set
// (its RetryAfter comes from the limiter); RFC 9470's
// insufficient_user_authentication is a 401 row with that code; DPoP
// (RFC 9449) rows carry scheme "DPoP" and the codes invalid_dpop_proof and
// use_dpop_nonce, and a verifier that accepts both schemes answers a 401
// with one challenge per scheme (the DPoP one with algs=), the error code
// on the challenge of the row's scheme.
type errorClass struct {
	err    error
	status int
	// scheme is the authentication scheme whose challenge carries the
	// error code: "" means Bearer (RFC 6750), the only scheme today.
	scheme string
	// code is the RFC 6750 error code, "" where the challenge must carry
	// none (no credentials sent, RFC 6750 §3.1) or the failure is not the
	// client's token.
	code string
	// body is the JSON body's "error" when code is "".
	body string
	// challenge sends WWW-Authenticate (every 401, and 400/403 with a code).
	challenge bool
	// retry sends Retry-After.
	retry bool
	// desc is the standard description.
	desc string
	// reason names the class in telemetry and audit events: a fixed,
	// bounded set (metric attribute jwtguard.reason).
	reason string
}

// errorTable is the single source of truth for statuses, challenges and
// codes. Tests find every exported sentinel by reading the package source
// and require a row for each.
var errorTable = []errorClass{
	{err: ErrNoToken, reason: "no_token", status: http.StatusUnauthorized, body: "unauthorized", challenge: true, desc: "no bearer token in the request"},
	{err: ErrInvalidRequest, reason: "invalid_request", status: http.StatusBadRequest, code: codeInvalidRequest, challenge: true, desc: "the request is malformed"},
	{err: ErrCrossOrigin, reason: "cross_origin", status: http.StatusForbidden, body: "cross_origin_request", desc: "cookie credentials are not accepted on cross-origin unsafe requests"},
	{err: ErrTokenTooLarge, reason: "token_too_large", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "token is larger than the size limit"},
	{err: ErrMalformedToken, reason: "malformed_token", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "token is malformed"},
	{err: ErrAlgorithmNotAllowed, reason: "algorithm_not_allowed", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "signing algorithm is not allowed"},
	{err: ErrKeyNotFound, reason: "key_not_found", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: unverifiedDesc},
	{err: ErrInvalidSignature, reason: "invalid_signature", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: unverifiedDesc},
	{err: ErrInvalidTokenType, reason: "invalid_token_type", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "token type is not accepted"},
	{err: ErrInvalidClaim, reason: "invalid_claim", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "a claim has an invalid type or value"},
	{err: ErrMissingClaim, reason: "missing_claim", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "a required claim is missing"},
	{err: ErrTokenExpired, reason: "token_expired", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "token is expired"},
	{err: ErrTokenNotYetValid, reason: "token_not_yet_valid", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "token is not valid yet"},
	{err: ErrTokenIssuedInFuture, reason: "token_issued_in_future", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "token is issued in the future"},
	{err: ErrInvalidIssuer, reason: "invalid_issuer", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "issuer is not accepted"},
	{err: ErrInvalidAudience, reason: "invalid_audience", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "audience is not accepted"},
	{err: ErrTokenRevoked, reason: "token_revoked", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "token revoked"},
	{err: ErrTokenInactive, reason: "token_inactive", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "token is not active"},
	{err: ErrRevocationUnavailable, reason: "revocation_unavailable", status: http.StatusServiceUnavailable, body: "temporarily_unavailable", retry: true, desc: "revocation status cannot be checked; try again later"},
	{err: ErrIntrospectionUnavailable, reason: "introspection_unavailable", status: http.StatusServiceUnavailable, body: "temporarily_unavailable", retry: true, desc: "the token cannot be introspected now; try again later"},
	{err: ErrKeysUnavailable, reason: "keys_unavailable", status: http.StatusServiceUnavailable, body: "temporarily_unavailable", retry: true, desc: "verification keys are not available; try again later"},
	{err: ErrForbidden, reason: "forbidden", status: http.StatusForbidden, code: codeInsufficientScope, challenge: true, desc: "access denied"},
	{err: ErrProofOfPossession, reason: "proof_of_possession", status: http.StatusUnauthorized, code: codeInvalidToken, challenge: true, desc: "the token is bound to a key or certificate the request does not prove"},
	{err: dpop.ErrInvalidProof, reason: "invalid_dpop_proof", status: http.StatusUnauthorized, scheme: "DPoP", code: codeInvalidDPoPProof, challenge: true, desc: "the DPoP proof is invalid"},
	{err: dpop.ErrUseNonce, reason: "use_dpop_nonce", status: http.StatusUnauthorized, scheme: "DPoP", code: codeUseDPoPNonce, challenge: true, desc: "a DPoP proof with the server's nonce is required"},
	{err: ErrThrottled, reason: "throttled", status: http.StatusTooManyRequests, body: "too_many_requests", retry: true, desc: "too many requests; try again later"},
}

// serverError is the class of an error that wraps no sentinel: a bug or a
// custom extractor's or store's plain error. It is the one fallback of
// every path: 500, no challenge.
var serverError = errorClass{status: http.StatusInternalServerError, body: "server_error", desc: "internal error", reason: "server_error"}

// classOf returns the table row of the sentinel err wraps.
func classOf(err error) *errorClass {
	for i := range errorTable {
		if errors.Is(err, errorTable[i].err) {
			return &errorTable[i]
		}
	}
	return &serverError
}

// Error is the error type returned by jwtguard. It carries what an HTTP
// response needs (RFC 6750 §3): the status, the error code and a
// description that a developer can act on. It never contains the token.
//
// It has two audiences. What a client may see is what [WriteError] sends:
// Status, Code, Description, Claim, Scope and RetryAfter. Error() and
// Detail are for the operator — logs, wrapped Go errors — and carry
// values taken from the token (its iss, aud, alg, kid, typ), bounded and
// escaped but chosen by whoever sent it. Adapters, interceptors and error
// handlers must never send Error() to a client (as a gRPC status message,
// or in a body that an SDK fills with err.Error()): they send
// Description, as WriteError does.
type Error struct {
	// Status is the HTTP status code for the response.
	Status int
	// Code is the RFC 6750 error code (invalid_request, invalid_token,
	// insufficient_scope) or "" when the challenge must carry none (no
	// credentials sent) or the failure is the server's.
	Code string
	// Description is a short, human-readable explanation. It never contains
	// the token or attacker-controlled header or claim values.
	Description string
	// Claim names the claim a claim error is about ("exp", "aud", a
	// required claim's name), or "".
	Claim string
	// Scope lists the scopes that would have been sufficient, for
	// insufficient_scope responses (RFC 6750 §3).
	Scope []string
	// RetryAfter, when positive, is sent as a Retry-After header (503).
	RetryAfter time.Duration
	// Err is the sentinel (possibly wrapped with internal detail, which is
	// logged but never sent) this error belongs to.
	Err error
	// auth, set by a verifier with DPoP, says which challenges a 401
	// carries (RFC 9449 §7.1) and holds a fresh DPoP nonce.
	auth *authSchemes
	// Detail is for the operator, never sent to the client: the values
	// seen in the token (its iss, aud, alg, kid, typ — bounded and
	// escaped, as they come from whoever sent it) beside the configured
	// ones, and the setting that would change the outcome. Error()
	// includes it, so log.Print(err) shows it — and so Error() must not
	// reach a client either; WriteError sends Description.
	Detail string
}

// Error implements the error interface: the sentinel's text (with any
// internal detail it was wrapped with), then the description when it adds
// to it, then the operator's Detail. It is for logs and Go callers, not
// for clients: it carries values from the token (see [Error]).
func (e *Error) Error() string {
	msg := e.message()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// message is Error without Detail.
func (e *Error) message() string {
	if e.Err == nil {
		return "jwtguard: " + e.Description
	}
	msg := e.Err.Error()
	std := classOf(e.Err).desc
	switch e.Description {
	case "", std:
		return msg
	case std + ": " + e.Claim:
		// A claim error with the standard description: the sentinel's text
		// already says it ("missing required claim"), so only the claim
		// is added.
		if e.Claim != "" {
			return msg + ": " + e.Claim
		}
	}
	return msg + ": " + e.Description
}

// Unwrap returns the wrapped sentinel so errors.Is works.
func (e *Error) Unwrap() error { return e.Err }

// newError builds an *Error for err (a sentinel or an error wrapping one)
// from its table row. desc "" means the row's standard description.
func newError(err error, desc string) *Error {
	cl := classOf(err)
	if desc == "" {
		desc = cl.desc
	}
	e := &Error{Status: cl.status, Code: cl.code, Description: desc, Err: err}
	if cl.retry {
		e.RetryAfter = retryAfter
	}
	return e
}

// unverified is the *Error of a failure before a signature is proven: the
// client sees the one generic description, the operator the detail.
func unverified(sentinel error, detail string) *Error {
	e := newError(sentinel, unverifiedDesc)
	e.Detail = detail
	return e
}

// claimError is an *Error about one claim, whose name travels as a field.
func claimError(sentinel error, claim, desc string) *Error {
	e := newError(sentinel, "")
	e.Claim = claim
	if desc != "" {
		e.Description = claim + " " + desc
	} else {
		e.Description = e.Description + ": " + claim
	}
	return e
}

// AsError converts any error into an *Error: an *Error in the chain is
// returned as is; an error wrapping a sentinel gets its table row; anything
// else is a 500 (the one fallback, see the package documentation).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return newError(err, "")
}

// challenge builds the WWW-Authenticate value for e (RFC 6750 §3): one
// challenge of the row's scheme, or — from a verifier with DPoP — one per
// accepted scheme (Bearer, then DPoP with algs=, RFC 9449 §7.1), the error
// code on the challenge it concerns.
func (e *Error) challenge(realm string) string {
	var b strings.Builder
	scheme := classOf(e).scheme
	if a := e.auth; a != nil && (a.bearer || a.dpopAlgs != "") {
		onDPoP := scheme == "DPoP" || a.onDPoP || !a.bearer
		if a.bearer {
			e.writeChallenge(&b, "Bearer", realm, !onDPoP, "")
		}
		if a.dpopAlgs != "" {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			e.writeChallenge(&b, "DPoP", realm, onDPoP, a.dpopAlgs)
		}
		return b.String()
	}
	if scheme == "" {
		scheme = "Bearer"
	}
	e.writeChallenge(&b, scheme, realm, true, "")
	return b.String()
}

// writeChallenge writes one challenge: the scheme, realm, the error code
// with its description and scope (when withError), and algs.
func (e *Error) writeChallenge(b *strings.Builder, scheme, realm string, withError bool, algs string) {
	b.WriteString(scheme)
	sep := " "
	if realm != "" {
		b.WriteString(sep + `realm="` + quoteSafe(realm) + `"`)
		sep = ", "
	}
	if withError && e.Code != "" {
		b.WriteString(sep + `error="` + e.Code + `"`)
		sep = ", "
		if e.Description != "" {
			b.WriteString(sep + `error_description="` + quoteSafe(e.Description) + `"`)
		}
		if len(e.Scope) > 0 {
			b.WriteString(sep + `scope="` + quoteSafe(strings.Join(e.Scope, " ")) + `"`)
		}
	}
	if algs != "" {
		b.WriteString(sep + `algs="` + quoteSafe(algs) + `"`)
	}
}

// quoteSafe keeps only the characters RFC 6750 §3 allows inside quoted
// attribute values (%x20-21 / %x23-5B / %x5D-7E), so no value can break
// out of the header.
func quoteSafe(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' {
			b = append(b, c)
		}
	}
	return string(b)
}

// errorBody is the JSON body of an error response.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Claim       string `json:"claim,omitempty"`
	Scope       string `json:"scope,omitempty"`
}

// WriteError writes the response for err, from the error table: status,
// WWW-Authenticate (every 401; 400 and 403 with an error code), Retry-After
// (503), Cache-Control: no-store and a JSON body {"error":...,
// "error_description":...}. realm may be empty. An error that wraps no
// sentinel is answered 500 server_error.
func WriteError(w http.ResponseWriter, realm string, err error) {
	e := AsError(err)
	cl := classOf(e)
	status := e.Status
	if status < 100 || status > 999 {
		// A hand-built *Error without a valid status is a server bug.
		status, cl = http.StatusInternalServerError, &serverError
	}
	h := w.Header()
	if cl.challenge || status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", e.challenge(realm))
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.auth != nil && e.auth.nonce != "" {
		h.Set("DPoP-Nonce", e.auth.nonce)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	body := errorBody{Error: e.Code, Description: e.Description, Claim: e.Claim}
	if body.Error == "" || status == http.StatusInternalServerError {
		body.Error = cl.body
	}
	if len(e.Scope) > 0 {
		body.Scope = strings.Join(e.Scope, " ")
	}
	_ = json.NewEncoder(w).Encode(body)
}
