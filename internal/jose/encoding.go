package jose

import (
	"bytes"
	"errors"
	"slices"
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

// ErrBase64 is returned by [AppendBase64] for input that is not canonical
// unpadded base64url.
var ErrBase64 = errors.New("not canonical unpadded base64url")

// DecodedLen returns the decoded size of an unpadded base64url string of n
// characters, or -1 if no such string has that length.
func DecodedLen(n int) int {
	if n%4 == 1 {
		return -1
	}
	return n/4*3 + [4]int{0, 0, 1, 2}[n%4]
}

// AppendBase64 decodes s (RFC 7515 §2: base64url, no padding, no
// whitespace, unused trailing bits zero) and appends it to dst. On error it
// returns [ErrBase64] and dst with an unspecified part of s appended.
func AppendBase64(dst []byte, s string) ([]byte, error) {
	n := len(s)
	m := DecodedLen(n)
	if m < 0 {
		return dst, ErrBase64
	}
	// One allocation at most, not one per doubling; the appends below then
	// only store (measured faster than indexed stores, whose bounds checks
	// stay).
	dst = slices.Grow(dst, m)
	i := 0
	for ; i+8 <= n; i += 8 { // eight characters, six bytes a step
		w := s[i : i+8]
		a, b, c, d := b64[w[0]], b64[w[1]], b64[w[2]], b64[w[3]]
		e, f, g, h := b64[w[4]], b64[w[5]], b64[w[6]], b64[w[7]]
		if a|b|c|d|e|f|g|h == 0xff {
			return dst, ErrBase64
		}
		v := uint64(a)<<42 | uint64(b)<<36 | uint64(c)<<30 | uint64(d)<<24 | uint64(e)<<18 | uint64(f)<<12 | uint64(g)<<6 | uint64(h)
		dst = append(dst, byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	for ; i+4 <= n; i += 4 {
		a, b, c, d := b64[s[i]], b64[s[i+1]], b64[s[i+2]], b64[s[i+3]]
		if a|b|c|d == 0xff {
			return dst, ErrBase64
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch n - i {
	case 2:
		a, b := b64[s[i]], b64[s[i+1]]
		if a|b == 0xff || b&0x0f != 0 {
			return dst, ErrBase64
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := b64[s[i]], b64[s[i+1]], b64[s[i+2]]
		if a|b|c == 0xff || c&0x03 != 0 {
			return dst, ErrBase64
		}
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		dst = append(dst, byte(v>>10), byte(v>>2))
	}
	return dst, nil
}

// Split splits a compact JWS into its three parts without allocating. ok is
// false unless the token has exactly two dots.
func Split(token string) (h, p, s string, ok bool) {
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

// ViewString returns the Go string of a JSON string value. Without escapes
// it is a view into raw, not a copy: raw must never be modified afterwards.
// A value that is not a JSON string gives strictjson.ErrType.
func ViewString(raw []byte) (string, error) {
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

// StringBytes returns a read-only view of s as a byte slice, without
// copying. Callers must never write to it.
func StringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Truncate shortens attacker-controlled strings (kids, issuers) before they
// are logged or put into error messages.
func Truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
