package jwtguard

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// b64 maps a base64url character to its value, or 0xff.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

var errBase64 = errors.New("not canonical unpadded base64url")

// decodedLen returns the decoded size of an unpadded base64url string, or -1
// if no such string has that length.
func decodedLen(n int) int {
	if n%4 == 1 {
		return -1
	}
	return n/4*3 + [4]int{0, 0, 1, 2}[n%4]
}

// appendBase64 decodes s (RFC 7515 §2: base64url, no padding, no
// whitespace, unused trailing bits zero) and appends it to dst.
func appendBase64(dst []byte, s string) ([]byte, error) {
	n := len(s)
	if decodedLen(n) < 0 {
		return dst, errBase64
	}
	i := 0
	for ; i+4 <= n; i += 4 {
		a, b, c, d := b64[s[i]], b64[s[i+1]], b64[s[i+2]], b64[s[i+3]]
		if a|b|c|d == 0xff {
			return dst, errBase64
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch n - i {
	case 2:
		a, b := b64[s[i]], b64[s[i+1]]
		if a|b == 0xff || b&0x0f != 0 {
			return dst, errBase64
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := b64[s[i]], b64[s[i+1]], b64[s[i+2]]
		if a|b|c == 0xff || c&0x03 != 0 {
			return dst, errBase64
		}
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		dst = append(dst, byte(v>>10), byte(v>>2))
	}
	return dst, nil
}

// header holds the JOSE header members jwtguard acts on.
type header struct {
	alg string
	kid string
	typ string
}

// maxHeaderMembers bounds the number of header members: real headers carry
// fewer than ten, and thousands of distinct names would cost duplicate
// detection time on every request.
const maxHeaderMembers = 32

// maxHeaderDepth bounds JSON nesting in the header.
const maxHeaderDepth = 8

// decodeHeader base64url-decodes the header part and parses it. The decoded
// JSON lives in one exact-size allocation that is never written again, so
// kid and typ can be read from it without copies (see [viewString]).
func decodeHeader(hs string) (header, error) {
	n := decodedLen(len(hs))
	if n < 0 {
		return header{}, fmt.Errorf("%w: header: %v", ErrMalformedToken, errBase64)
	}
	data, err := appendBase64(make([]byte, 0, n), hs)
	if err != nil {
		return header{}, fmt.Errorf("%w: header: %v", ErrMalformedToken, err)
	}
	return parseHeader(data)
}

// viewString returns the Go string of a JSON string value. Without escapes
// it is a view into raw, not a copy: raw must never be modified afterwards.
func viewString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", strictjson.ErrType
	}
	if len(raw) == 2 {
		return "", nil
	}
	if bytes.IndexByte(raw, '\\') >= 0 {
		return strictjson.String(raw)
	}
	return unsafe.String(&raw[1], len(raw)-2), nil
}

// internAlg returns the canonical name for a JSON string holding a
// supported algorithm without allocating; other values are copied.
func internAlg(raw []byte) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		if a, ok := supportedAlgs[string(raw[1:len(raw)-1])]; ok {
			return a.name, nil
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
	return viewString(raw)
}

// parseHeader checks the decoded JOSE header (RFC 7515 §4). Unknown
// members are ignored; keys offered by the token (jwk, jku, x5u, x5c) are
// never used. data must not be modified after the call: kid and typ may
// point into it.
func parseHeader(data []byte) (header, error) {
	var h header
	var hasAlg bool
	members := 0
	err := strictjson.Object(data, maxHeaderDepth, func(key, val []byte) error {
		if members++; members > maxHeaderMembers {
			return fmt.Errorf("%w: header has more than %d members", ErrMalformedToken, maxHeaderMembers)
		}
		var err error
		switch string(key) {
		case "alg":
			hasAlg = true
			h.alg, err = internAlg(val)
			if err != nil {
				return fmt.Errorf("%w: alg is not a string", ErrMalformedToken)
			}
		case "kid":
			h.kid, err = viewString(val)
			if err != nil {
				return fmt.Errorf("%w: kid is not a string", ErrMalformedToken)
			}
		case "typ":
			h.typ, err = internTyp(val)
			if err != nil {
				return fmt.Errorf("%w: typ is not a string", ErrMalformedToken)
			}
		case "cty":
			cty, err := strictjson.String(val)
			if err != nil {
				return fmt.Errorf("%w: cty is not a string", ErrMalformedToken)
			}
			if strings.EqualFold(strings.TrimPrefix(strings.ToLower(cty), "application/"), "jwt") {
				return fmt.Errorf("%w: nested JWTs (cty JWT) are not accepted", ErrMalformedToken)
			}
		case "crit":
			// RFC 7515 §4.1.11: the recipient must understand every listed
			// extension. jwtguard implements none, so any crit is refused.
			return fmt.Errorf("%w: critical header extensions are not supported", ErrMalformedToken)
		case "b64":
			// RFC 7797 unencoded payloads are refused.
			if b, err := strictjson.Bool(val); err != nil || !b {
				return fmt.Errorf("%w: b64 header is not supported", ErrMalformedToken)
			}
		case "enc", "zip", "epk", "apu", "apv", "p2s", "p2c", "iv", "tag":
			return fmt.Errorf("%w: JWE or compressed tokens are not accepted", ErrMalformedToken)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrMalformedToken) {
			return h, err
		}
		return h, fmt.Errorf("%w: header is not a valid JSON object (%v)", ErrMalformedToken, err)
	}
	if !hasAlg || h.alg == "" {
		return h, fmt.Errorf("%w: header has no alg", ErrMalformedToken)
	}
	return h, nil
}

// stringBytes returns a read-only view of s as a byte slice, without
// copying. Callers must never write to it.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// splitToken splits a compact JWS into its three parts without allocating.
func splitToken(token string) (h, p, s string, ok bool) {
	i := strings.IndexByte(token, '.')
	if i < 0 {
		return
	}
	j := strings.IndexByte(token[i+1:], '.')
	if j < 0 {
		return
	}
	j += i + 1
	if strings.IndexByte(token[j+1:], '.') >= 0 {
		return
	}
	return token[:i], token[i+1 : j], token[j+1:], true
}
