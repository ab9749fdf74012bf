package jwtguard

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, one per failure class. Every error returned by
// [Verifier.Verify], [Verifier.Authenticate] and the policies is an *[Error]
// that wraps exactly one of them, so callers can match with errors.Is.
var (
	// ErrNoToken means the request carried no credentials at all
	// (RFC 6750 §3.1: 401 with a bare challenge).
	ErrNoToken = errors.New("jwtguard: no token")
	// ErrInvalidRequest means the request itself is malformed, e.g. two
	// Authorization headers or a header that is not a valid Bearer
	// credential (400 invalid_request).
	ErrInvalidRequest = errors.New("jwtguard: invalid request")
	// ErrCrossOrigin means a token was taken from a cookie on an unsafe
	// cross-origin request, which would allow CSRF (403).
	ErrCrossOrigin = errors.New("jwtguard: cookie credentials on a cross-origin request")
	// ErrTokenTooLarge means the token exceeds the configured size cap.
	ErrTokenTooLarge = errors.New("jwtguard: token too large")
	// ErrMalformedToken means the token is not a well-formed compact JWS:
	// wrong number of parts, non-canonical base64url, invalid or duplicate
	// JSON, JWE, unsupported critical headers, b64:false.
	ErrMalformedToken = errors.New("jwtguard: malformed token")
	// ErrAlgorithmNotAllowed means the header's alg is "none", is not in the
	// configured allowlist, or does not fit the key.
	ErrAlgorithmNotAllowed = errors.New("jwtguard: algorithm not allowed")
	// ErrKeyNotFound means no configured key matches the token's kid and alg.
	ErrKeyNotFound = errors.New("jwtguard: no matching key")
	// ErrInvalidSignature means the signature does not verify.
	ErrInvalidSignature = errors.New("jwtguard: invalid signature")
	// ErrInvalidTokenType means the typ header is not the configured one.
	ErrInvalidTokenType = errors.New("jwtguard: invalid token type")
	// ErrInvalidClaim means a claim has the wrong JSON type or an
	// out-of-range value (exp as a string, aud as a number, ...).
	ErrInvalidClaim = errors.New("jwtguard: invalid claim")
	// ErrMissingClaim means a required claim (exp, or one named by
	// WithRequiredClaims) is absent.
	ErrMissingClaim = errors.New("jwtguard: missing required claim")
	// ErrTokenExpired means exp is in the past (beyond the leeway).
	ErrTokenExpired = errors.New("jwtguard: token expired")
	// ErrTokenNotYetValid means nbf is in the future (beyond the leeway).
	ErrTokenNotYetValid = errors.New("jwtguard: token not yet valid")
	// ErrTokenIssuedInFuture means iat is in the future (beyond the leeway).
	ErrTokenIssuedInFuture = errors.New("jwtguard: token issued in the future")
	// ErrInvalidIssuer means iss is missing or not a configured issuer.
	ErrInvalidIssuer = errors.New("jwtguard: invalid issuer")
	// ErrInvalidAudience means aud is missing or contains no configured
	// audience.
	ErrInvalidAudience = errors.New("jwtguard: invalid audience")
	// ErrTokenRevoked means the revocation store reports the token revoked.
	ErrTokenRevoked = errors.New("jwtguard: token revoked")
	// ErrRevocationUnavailable means the revocation store could not answer
	// and the verifier fails closed (503).
	ErrRevocationUnavailable = errors.New("jwtguard: revocation check unavailable")
	// ErrIntrospectionUnavailable means the token introspection endpoint
	// (RFC 7662) could not answer: down, slow, too busy, refusing our client
	// credentials or answering nonsense. The verifier fails closed (503).
	ErrIntrospectionUnavailable = errors.New("jwtguard: introspection unavailable")
	// ErrKeysUnavailable means no usable key set is loaded yet (or the
	// cached one is older than the maximum staleness). It is a server-side
	// problem: 503 with Retry-After.
	ErrKeysUnavailable = errors.New("jwtguard: verification keys unavailable")
	// ErrForbidden means the token is valid but a policy denied the request
	// (403 insufficient_scope).
	ErrForbidden = errors.New("jwtguard: forbidden")
)

// RFC 6750 §3.1 error codes.
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
)

// Error is the error type returned by jwtguard. It carries what an HTTP
// response needs (RFC 6750 §3): the status, the error code and a description
// that a developer can act on. It never contains the token.
type Error struct {
	// Status is the HTTP status code for the response.
	Status int
	// Code is the RFC 6750 error code (invalid_request, invalid_token,
	// insufficient_scope) or "" when the challenge must carry none
	// (no credentials sent) or the failure is the server's.
	Code string
	// Description is a short, human-readable explanation. It never contains
	// the token or attacker-controlled header or claim values.
	Description string
	// Scope lists the scopes that would have been sufficient, for
	// insufficient_scope responses.
	Scope []string
	// RetryAfter, when positive, is sent as a Retry-After header (503).
	RetryAfter time.Duration
	// Err is the sentinel (possibly wrapped with more context) this error
	// belongs to.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Description == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Description
}

// Unwrap returns the wrapped sentinel so errors.Is works.
func (e *Error) Unwrap() error { return e.Err }

// newError builds an *Error for the sentinel with its standard status.
func newError(sentinel error, desc string) *Error {
	e := &Error{Err: sentinel, Description: desc}
	switch sentinel {
	case ErrNoToken:
		e.Status = http.StatusUnauthorized
	case ErrInvalidRequest:
		e.Status, e.Code = http.StatusBadRequest, CodeInvalidRequest
	case ErrCrossOrigin:
		e.Status = http.StatusForbidden
	case ErrForbidden:
		e.Status, e.Code = http.StatusForbidden, CodeInsufficientScope
	case ErrKeysUnavailable, ErrRevocationUnavailable:
		e.Status = http.StatusServiceUnavailable
		e.RetryAfter = 5 * time.Second
	default:
		e.Status, e.Code = http.StatusUnauthorized, CodeInvalidToken
	}
	return e
}

// AsError converts any error into an *Error: an *Error in the chain is
// returned as is; anything else becomes a 500-free 401 invalid_token only if
// it wraps a known sentinel, or a 500 otherwise.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	for _, s := range []error{ErrNoToken, ErrInvalidRequest, ErrCrossOrigin, ErrTokenTooLarge, ErrMalformedToken,
		ErrAlgorithmNotAllowed, ErrKeyNotFound, ErrInvalidSignature, ErrInvalidTokenType, ErrInvalidClaim,
		ErrMissingClaim, ErrTokenExpired, ErrTokenNotYetValid, ErrTokenIssuedInFuture, ErrInvalidIssuer,
		ErrInvalidAudience, ErrTokenRevoked, ErrRevocationUnavailable, ErrKeysUnavailable, ErrForbidden} {
		if errors.Is(err, s) {
			e := newError(s, sentinelDesc[s])
			e.Err = err
			return e
		}
	}
	return &Error{Status: http.StatusInternalServerError, Description: "internal error", Err: err}
}

// challenge builds the WWW-Authenticate value for e (RFC 6750 §3).
func (e *Error) challenge(realm string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	if realm != "" {
		b.WriteString(sep + `realm="` + quoteSafe(realm) + `"`)
		sep = ", "
	}
	if e.Code != "" {
		b.WriteString(sep + `error="` + e.Code + `"`)
		sep = ", "
		if e.Description != "" {
			b.WriteString(sep + `error_description="` + quoteSafe(e.Description) + `"`)
		}
		if len(e.Scope) > 0 {
			b.WriteString(sep + `scope="` + quoteSafe(strings.Join(e.Scope, " ")) + `"`)
		}
	}
	return b.String()
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
	Scope       string `json:"scope,omitempty"`
}

// WriteError writes the RFC 6750 response for err: status, WWW-Authenticate
// (for 401 and 403), Retry-After (for 503), Cache-Control: no-store and a
// JSON body {"error":..., "error_description":...}. realm may be empty.
func WriteError(w http.ResponseWriter, realm string, err error) {
	e := AsError(err)
	if e.Status < 100 || e.Status > 999 {
		// A hand-built *Error without a valid status is a server bug.
		cp := *e
		cp.Status, cp.Code = http.StatusInternalServerError, ""
		e = &cp
	}
	h := w.Header()
	if e.Status == http.StatusUnauthorized || (e.Code != "" && (e.Status == http.StatusForbidden || e.Status == http.StatusBadRequest)) {
		h.Set("WWW-Authenticate", e.challenge(realm))
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	body := errorBody{Error: e.Code, Description: e.Description}
	if body.Error == "" {
		switch {
		case errors.Is(e, ErrNoToken):
			body.Error = "unauthorized"
			if body.Description == "" {
				body.Description = "no bearer token in the request"
			}
		case errors.Is(e, ErrCrossOrigin):
			body.Error = "cross_origin_request"
		case e.Status == http.StatusServiceUnavailable:
			body.Error = "temporarily_unavailable"
		default:
			body.Error = "server_error"
		}
	}
	if len(e.Scope) > 0 {
		body.Scope = strings.Join(e.Scope, " ")
	}
	_ = json.NewEncoder(w).Encode(body)
}
