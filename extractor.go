package jwtguard

import (
	"crypto/x509"
	"net/http"
	"net/netip"
	"strings"
)

// Credential is what an [Extractor] found in a request.
type Credential struct {
	// Token is the raw token, "" when the request carries none of this
	// extractor's kind.
	Token string
	// Scheme is the authentication scheme the token came with ("Bearer";
	// later "DPoP"), canonical case.
	Scheme string
	// Source says where the token was: "header", "cookie" or "query" (a
	// custom extractor may name its own). A token from "cookie" on an
	// unsafe method must pass cross-origin protection.
	Source string

	// The request's evidence for sender-constrained tokens. Authenticate
	// fills these from the *http.Request; a caller without one (a gRPC
	// interceptor) fills them itself for [Verifier.VerifyCredential].

	// ClientCertificate is the request's TLS client certificate (the
	// first of r.TLS.PeerCertificates), for certificate-bound tokens
	// (RFC 8705 §3); nil when the client presented none.
	ClientCertificate *x509.Certificate
	// DPoPProof is the value of the request's DPoP header (RFC 9449 §4),
	// which a DPoP-scheme credential needs; "" when it has none. A
	// request with several DPoP headers is refused by Authenticate; a
	// caller of VerifyCredential refuses it itself.
	DPoPProof string
	// Method is the request's method, for the proof's htm.
	Method string
	// RequestURI is the request target as the client sent it (like
	// http.Request.RequestURI: "/orders/42?x=1", before any prefix was
	// stripped); its path, on one of the verifier's origins, must be the
	// proof's htu. A gRPC caller gives "/package.Service/Method".
	RequestURI string
	// Origin is the request's external origin ("https://api.example.com")
	// when it comes from a trusted source (a trusted proxy's forwarded
	// headers), beside the configured origins; "" for none.
	Origin string

	// ClientAddr is the client's address, the key of [WithThrottling]
	// (grouped by the throttle.Config prefix lengths). Authenticate fills
	// it, with throttling on, from the trusted proxies
	// ([WithTrustedProxies]; the peer's address without them); a caller
	// of VerifyCredential gives its peer's address. The zero Addr is never
	// throttled.
	ClientAddr netip.Addr
}

// Extractor takes the credential out of a request. It returns a zero
// Credential and no error when the request carries no token of its kind,
// and an error wrapping [ErrInvalidRequest] when the request is malformed
// (RFC 6750 §3.1). Any other error is a server error (500).
type Extractor interface {
	Extract(r *http.Request) (Credential, error)
}

type extractorFunc func(r *http.Request) (Credential, error)

func (f extractorFunc) Extract(r *http.Request) (Credential, error) { return f(r) }

func invalidRequest(desc string) error { return newError(ErrInvalidRequest, desc) }

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
	credScheme := scheme
	switch {
	case credScheme == "" || strings.EqualFold(credScheme, "Bearer"):
		credScheme = "Bearer"
	case strings.EqualFold(credScheme, "DPoP"):
		credScheme = "DPoP"
	}
	return extractorFunc(func(r *http.Request) (Credential, error) {
		vals := r.Header[name]
		if len(vals) == 0 {
			return Credential{}, nil
		}
		if len(vals) > 1 {
			return Credential{}, invalidRequest("more than one " + name + " header")
		}
		v := vals[0]
		if scheme != "" {
			sp := strings.IndexByte(v, ' ')
			if sp < 0 {
				if strings.EqualFold(v, scheme) {
					return Credential{}, invalidRequest(name + " header has the " + scheme + " scheme but no token")
				}
				return Credential{}, nil // another scheme
			}
			if !strings.EqualFold(v[:sp], scheme) {
				return Credential{}, nil
			}
			v = strings.TrimLeft(v[sp+1:], " ")
			if v == "" {
				return Credential{}, invalidRequest(name + " header has the " + scheme + " scheme but no token")
			}
		}
		if !isB64Token(v) {
			return Credential{}, invalidRequest(name + " header value is not a valid bearer token (RFC 6750 b64token syntax)")
		}
		return Credential{Token: v, Scheme: credScheme, Source: "header"}, nil
	})
}

// b64TokenByte is b64token's character set before the padding (1 for
// letters, digits and "-._~+/"): a table, because every request's token
// is scanned byte by byte.
var b64TokenByte = func() (t [256]uint8) {
	for c := range 256 {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", byte(c)) >= 0 {
			t[c] = 1
		}
	}
	return t
}()

// isB64Token checks RFC 6750 §2.1: 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 { // eight bytes a step: one test, not eight
		w := s[i : i+8]
		t := &b64TokenByte
		if t[w[0]]&t[w[1]]&t[w[2]]&t[w[3]]&t[w[4]]&t[w[5]]&t[w[6]]&t[w[7]] == 0 {
			break
		}
	}
	for i < len(s) && b64TokenByte[s[i]] != 0 {
		i++
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
// HttpOnly, Secure and SameSite, and name them with the "__Host-" prefix
// (RFC 6265bis), which a sibling subdomain cannot set. Tokens from cookies
// are accepted on unsafe methods only when the request passes cross-origin
// protection (see [WithTrustedOrigins]).
//
// Several cookies of that name with different values (a cookie planted from
// a sibling subdomain beside the user's: "cookie tossing") give 400
// invalid_request rather than letting the first one win; identical
// duplicates are accepted.
func FromCookie(name string) Extractor {
	return extractorFunc(func(r *http.Request) (Credential, error) {
		token := ""
		for _, c := range r.CookiesNamed(name) {
			switch {
			case c.Value == "" || c.Value == token:
			case token != "":
				return Credential{}, invalidRequest("several " + name + " cookies with different values")
			default:
				token = c.Value
			}
		}
		if token == "" {
			return Credential{}, nil
		}
		if !isB64Token(token) {
			return Credential{}, invalidRequest("cookie " + name + " does not hold a valid token")
		}
		return Credential{Token: token, Scheme: "Bearer", Source: "cookie"}, nil
	})
}

// FromQuery reads the token from the URL query parameter name. Discouraged
// (RFC 6750 §2.3): URLs end up in logs, browser history and Referer
// headers. Use it only where headers cannot be set (e.g. WebSocket
// handshakes from browsers).
func FromQuery(name string) Extractor {
	return extractorFunc(func(r *http.Request) (Credential, error) {
		vals := r.URL.Query()[name]
		if len(vals) == 0 || (len(vals) == 1 && vals[0] == "") {
			return Credential{}, nil
		}
		if len(vals) > 1 {
			return Credential{}, invalidRequest("query parameter " + name + " given more than once")
		}
		if !isB64Token(vals[0]) {
			return Credential{}, invalidRequest("query parameter " + name + " does not hold a valid token")
		}
		return Credential{Token: vals[0], Scheme: "Bearer", Source: "query"}, nil
	})
}

// FromOneOf accepts a token from any of the extractors, but from only one:
// a request carrying credentials two ways (a header and a cookie) is
// invalid_request (RFC 6750 §2: "clients MUST NOT use more than one
// method"). A malformed request reported by any extractor stops the search.
func FromOneOf(extractors ...Extractor) Extractor {
	return extractorFunc(func(r *http.Request) (Credential, error) {
		var found Credential
		for _, e := range extractors {
			cred, err := e.Extract(r)
			if err != nil {
				return Credential{}, err
			}
			if cred.Token == "" {
				continue
			}
			if found.Token != "" {
				return Credential{}, invalidRequest("credentials sent more than one way")
			}
			found = cred
		}
		return found, nil
	})
}
