package jose

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// ErrMalformed is wrapped by every header and encoding error. Messages
// describe the problem, never the token.
var ErrMalformed = errors.New("malformed token")

// Header holds the JOSE header members jwtguard acts on.
type Header struct {
	Alg string // a supported algorithm's interned name, or a copy of another value
	Kid string // may point into the decoded header bytes (see ParseHeader)
	Typ string // interned for common values, else may point into the decoded bytes
}

// MaxHeaderMembers bounds the number of header members: real headers carry
// fewer than ten, and thousands of distinct names would cost duplicate
// detection time on every request.
const MaxHeaderMembers = 32

// MaxHeaderDepth bounds JSON nesting in the header.
const MaxHeaderDepth = 8

// DecodeHeader base64url-decodes the header part and parses it with
// [ParseHeader]. The decoded JSON lives in one exact-size allocation that is
// never written again, so Kid and Typ can be read from it without copies.
func DecodeHeader(hs string) (Header, error) {
	n := DecodedLen(len(hs))
	if n < 0 {
		return Header{}, fmt.Errorf("%w: header: %v", ErrMalformed, ErrBase64)
	}
	data, err := AppendBase64(make([]byte, 0, n), hs)
	if err != nil {
		return Header{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	return ParseHeader(data)
}

// internAlg returns the canonical name for a JSON string holding a
// supported algorithm without allocating; other values are copied.
func internAlg(raw []byte) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		if a, ok := algs[string(raw[1:len(raw)-1])]; ok {
			return a.Name, nil
		}
	}
	return strictjson.String(raw)
}

// internTyp returns common typ values without allocating.
func internTyp(raw []byte) (string, error) {
	switch string(raw) {
	case `"JWT"`:
		return "JWT", nil
	case `"at+jwt"`:
		return "at+jwt", nil
	case `"application/at+jwt"`:
		return "application/at+jwt", nil
	}
	return ViewString(raw)
}

// ParseHeader checks a decoded JOSE header (RFC 7515 §4): one strict JSON
// object (no duplicate members, valid UTF-8, depth at most
// [MaxHeaderDepth], at most [MaxHeaderMembers] members) with a non-empty
// string alg. It refuses crit (no extension is understood), b64 other than
// true (RFC 7797), cty JWT (nested tokens) and JWE or compression members.
// Unknown members are ignored; keys offered by the token (jwk, jku, x5u,
// x5c) are never used. data must not be modified after the call: Kid and
// Typ may point into it. Every error wraps [ErrMalformed].
func ParseHeader(data []byte) (Header, error) {
	var h Header
	var hasAlg bool
	members := 0
	err := strictjson.Object(data, MaxHeaderDepth, func(key, val []byte) error {
		if members++; members > MaxHeaderMembers {
			return fmt.Errorf("%w: header has more than %d members", ErrMalformed, MaxHeaderMembers)
		}
		var err error
		switch string(key) {
		case "alg":
			hasAlg = true
			h.Alg, err = internAlg(val)
			if err != nil {
				return fmt.Errorf("%w: alg is not a string", ErrMalformed)
			}
		case "kid":
			h.Kid, err = ViewString(val)
			if err != nil {
				return fmt.Errorf("%w: kid is not a string", ErrMalformed)
			}
		case "typ":
			h.Typ, err = internTyp(val)
			if err != nil {
				return fmt.Errorf("%w: typ is not a string", ErrMalformed)
			}
		case "cty":
			cty, err := strictjson.String(val)
			if err != nil {
				return fmt.Errorf("%w: cty is not a string", ErrMalformed)
			}
			if strings.EqualFold(strings.TrimPrefix(strings.ToLower(cty), "application/"), "jwt") {
				return fmt.Errorf("%w: nested JWTs (cty JWT) are not accepted", ErrMalformed)
			}
		case "crit":
			// RFC 7515 §4.1.11: the recipient must understand every listed
			// extension. jwtguard implements none, so any crit is refused.
			return fmt.Errorf("%w: critical header extensions are not supported", ErrMalformed)
		case "b64":
			// RFC 7797 unencoded payloads are refused.
			if b, err := strictjson.Bool(val); err != nil || !b {
				return fmt.Errorf("%w: b64 header is not supported", ErrMalformed)
			}
		case "enc", "zip", "epk", "apu", "apv", "p2s", "p2c", "iv", "tag":
			return fmt.Errorf("%w: JWE or compressed tokens are not accepted", ErrMalformed)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrMalformed) {
			return h, err
		}
		return h, fmt.Errorf("%w: header is not a valid JSON object (%v)", ErrMalformed, err)
	}
	if !hasAlg || h.Alg == "" {
		return h, fmt.Errorf("%w: header has no alg", ErrMalformed)
	}
	return h, nil
}
