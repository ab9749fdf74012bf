package jwtguard

import (
	"net/http"
	"strings"
)

// Source tells where an extractor found the token.
type Source uint8

// Token sources.
const (
	SourceNone Source = iota
	SourceHeader
	SourceCookie
	SourceQuery
)

// Extractor takes the raw token out of a request. It returns "" and no error
// when the request carries no token of its kind, and an error wrapping
// [ErrInvalidRequest] when the request is malformed (RFC 6750 §3.1).
type Extractor interface {
	Extract(r *http.Request) (token string, src Source, err error)
}

// ExtractorFunc adapts a function to [Extractor].
type ExtractorFunc func(r *http.Request) (string, Source, error)

// Extract calls f(r).
func (f ExtractorFunc) Extract(r *http.Request) (string, Source, error) { return f(r) }

// FromAuthHeader reads "Authorization: Bearer <token>" (RFC 6750 §2.1). The
// scheme is case-insensitive; the token must match the b64token syntax. Two
// Authorization headers, or a Bearer header with no or a malformed token,
// give 400 invalid_request. A header with another scheme (Basic, ...) counts
// as no token.
func FromAuthHeader() Extractor { return FromHeader("Authorization", "Bearer") }

// FromHeader reads a token from header name. With a scheme ("Bearer"), the
// value must be "<scheme> <token>"; with scheme "", the whole value is the
// token.
func FromHeader(name, scheme string) Extractor {
	name = http.CanonicalHeaderKey(name)
	return ExtractorFunc(func(r *http.Request) (string, Source, error) {
		vals := r.Header[name]
		if len(vals) == 0 {
			return "", SourceNone, nil
		}
		if len(vals) > 1 {
			return "", SourceNone, newError(ErrInvalidRequest, "more than one "+name+" header")
		}
		v := vals[0]
		if scheme != "" {
			sp := strings.IndexByte(v, ' ')
			if sp < 0 {
				if strings.EqualFold(v, scheme) {
					return "", SourceNone, newError(ErrInvalidRequest, name+" header has the "+scheme+" scheme but no token")
				}
				return "", SourceNone, nil // another scheme
			}
			if !strings.EqualFold(v[:sp], scheme) {
				return "", SourceNone, nil
			}
			v = strings.TrimLeft(v[sp+1:], " ")
			if v == "" {
				return "", SourceNone, newError(ErrInvalidRequest, name+" header has the "+scheme+" scheme but no token")
			}
		}
		if !isB64Token(v) {
			return "", SourceNone, newError(ErrInvalidRequest, name+" header value is not a valid bearer token (RFC 6750 b64token syntax)")
		}
		return v, SourceHeader, nil
	})
}

// isB64Token checks RFC 6750 §2.1: 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// FromCookie reads the token from the cookie name. Keep such cookies
// HttpOnly, Secure and SameSite. Tokens from cookies are accepted on unsafe
// methods only when the request passes cross-origin protection (see
// [WithTrustedOrigins] and [WithoutCrossOriginProtection]).
func FromCookie(name string) Extractor {
	return ExtractorFunc(func(r *http.Request) (string, Source, error) {
		c, err := r.Cookie(name)
		if err != nil || c.Value == "" {
			return "", SourceNone, nil
		}
		if !isB64Token(c.Value) {
			return "", SourceNone, newError(ErrInvalidRequest, "cookie "+name+" does not hold a valid token")
		}
		return c.Value, SourceCookie, nil
	})
}

// FromQuery reads the token from the URL query parameter name. Discouraged
// (RFC 6750 §2.3): URLs end up in logs, browser history and Referer
// headers. Use it only where headers cannot be set (e.g. WebSocket
// handshakes from browsers).
func FromQuery(name string) Extractor {
	return ExtractorFunc(func(r *http.Request) (string, Source, error) {
		vals := r.URL.Query()[name]
		if len(vals) == 0 || (len(vals) == 1 && vals[0] == "") {
			return "", SourceNone, nil
		}
		if len(vals) > 1 {
			return "", SourceNone, newError(ErrInvalidRequest, "query parameter "+name+" given more than once")
		}
		if !isB64Token(vals[0]) {
			return "", SourceNone, newError(ErrInvalidRequest, "query parameter "+name+" does not hold a valid token")
		}
		return vals[0], SourceQuery, nil
	})
}

// FromFirst tries each extractor in order and returns the first token found.
// A malformed request reported by any extractor stops the search.
func FromFirst(extractors ...Extractor) Extractor {
	return ExtractorFunc(func(r *http.Request) (string, Source, error) {
		for _, e := range extractors {
			tok, src, err := e.Extract(r)
			if err != nil {
				return "", SourceNone, err
			}
			if tok != "" {
				return tok, src, nil
			}
		}
		return "", SourceNone, nil
	})
}
