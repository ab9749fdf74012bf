// Package strictjson is a small, allocation-light JSON reader for untrusted
// JOSE headers and JWT claim sets.
//
// It is stricter than encoding/json in the ways that matter for security
// tokens (RFC 8725 §3.11, RFC 7515 §5.2): duplicate member names are an error
// at every nesting level (compared after unescaping, so "iss" and "\u0069ss"
// collide), member names are matched exactly (encoding/json matches them
// case-insensitively), invalid UTF-8 is an error, nesting depth is capped, and
// anything after the top-level value is an error.
package strictjson

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Errors returned by the reader. They describe the class of problem only,
// never the input.
var (
	ErrSyntax    = errors.New("invalid JSON")
	ErrDuplicate = errors.New("duplicate JSON member name")
	ErrDepth     = errors.New("JSON nested too deeply")
	ErrNotObject = errors.New("JSON value is not an object")
	ErrType      = errors.New("JSON value has the wrong type")
)

// DefaultMaxDepth is the nesting limit used when a caller passes 0.
const DefaultMaxDepth = 32

// Object validates data as exactly one JSON object and calls fn for each of
// its top-level members with the unescaped member name and the raw bytes of
// the member's value. Nested values are validated with the same rules before
// fn sees them. fn may be nil. The key slice passed to fn is only valid for
// the duration of the call.
func Object(data []byte, maxDepth int, fn func(key, value []byte) error) error {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	p := parser{data: data, maxDepth: maxDepth}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '{' {
		if p.pos < len(p.data) {
			// A valid non-object value is still not acceptable.
			return ErrNotObject
		}
		return ErrSyntax
	}
	if err := p.object(0, fn); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return fmt.Errorf("%w: trailing data after object", ErrSyntax)
	}
	return nil
}

// Valid reports whether data is one well-formed JSON value under the same
// strict rules as Object (no duplicate names, valid UTF-8, depth capped).
func Valid(data []byte, maxDepth int) error {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	p := parser{data: data, maxDepth: maxDepth}
	p.skipSpace()
	if err := p.value(0); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return fmt.Errorf("%w: trailing data", ErrSyntax)
	}
	return nil
}

type parser struct {
	data     []byte
	pos      int
	maxDepth int
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// keySet detects duplicate member names in one object. Small objects use a
// fixed array of slices into the input; names with escapes are unescaped
// into fresh memory, which is rare in real tokens.
type keySet struct {
	small [16][]byte
	n     int
	big   map[string]struct{}
}

func (k *keySet) add(key []byte) bool {
	if k.big != nil {
		if _, dup := k.big[string(key)]; dup {
			return false
		}
		k.big[string(key)] = struct{}{}
		return true
	}
	for i := 0; i < k.n; i++ {
		if bytes.Equal(k.small[i], key) {
			return false
		}
	}
	if k.n < len(k.small) {
		k.small[k.n] = key
		k.n++
		return true
	}
	k.big = make(map[string]struct{}, 2*len(k.small))
	for i := 0; i < k.n; i++ {
		k.big[string(k.small[i])] = struct{}{}
	}
	k.big[string(key)] = struct{}{}
	return true
}

func (p *parser) object(depth int, fn func(key, value []byte) error) error {
	if depth >= p.maxDepth {
		return ErrDepth
	}
	p.pos++ // '{'
	var keys keySet
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return fmt.Errorf("%w: expected member name", ErrSyntax)
		}
		start := p.pos
		escaped, err := p.str()
		if err != nil {
			return err
		}
		key := p.data[start+1 : p.pos-1]
		if escaped {
			key, err = unescape(p.data[start:p.pos])
			if err != nil {
				return err
			}
		}
		if !keys.add(key) {
			return ErrDuplicate
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return fmt.Errorf("%w: expected ':'", ErrSyntax)
		}
		p.pos++
		p.skipSpace()
		vstart := p.pos
		if err := p.value(depth + 1); err != nil {
			return err
		}
		if fn != nil {
			if err := fn(key, p.data[vstart:p.pos]); err != nil {
				return err
			}
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return fmt.Errorf("%w: unterminated object", ErrSyntax)
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return nil
		default:
			return fmt.Errorf("%w: expected ',' or '}'", ErrSyntax)
		}
	}
}

func (p *parser) array(depth int) error {
	if depth >= p.maxDepth {
		return ErrDepth
	}
	p.pos++ // '['
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return fmt.Errorf("%w: unterminated array", ErrSyntax)
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return fmt.Errorf("%w: expected ',' or ']'", ErrSyntax)
		}
	}
}

func (p *parser) value(depth int) error {
	if p.pos >= len(p.data) {
		return fmt.Errorf("%w: unexpected end", ErrSyntax)
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth, nil)
	case c == '[':
		return p.array(depth)
	case c == '"':
		_, err := p.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	default:
		return fmt.Errorf("%w: unexpected character", ErrSyntax)
	}
}

func (p *parser) literal(lit string) error {
	if len(p.data)-p.pos < len(lit) || string(p.data[p.pos:p.pos+len(lit)]) != lit {
		return fmt.Errorf("%w: bad literal", ErrSyntax)
	}
	p.pos += len(lit)
	return nil
}

// number accepts exactly the RFC 8259 number grammar.
func (p *parser) number() error {
	d := p.data
	i := p.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return fmt.Errorf("%w: bad number", ErrSyntax)
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return fmt.Errorf("%w: bad number", ErrSyntax)
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return fmt.Errorf("%w: bad number", ErrSyntax)
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	p.pos = i
	return nil
}

// str scans a string starting at the opening quote, validating escapes and
// UTF-8. It reports whether the string contains escapes.
func (p *parser) str() (escaped bool, err error) {
	d := p.data
	i := p.pos + 1
	for i < len(d) {
		for i < len(d) && plainByte[d[i]] { // the common run of plain ASCII
			i++
		}
		if i == len(d) {
			break
		}
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return false, fmt.Errorf("%w: bad escape", ErrSyntax)
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return false, fmt.Errorf("%w: bad escape", ErrSyntax)
				}
				for _, h := range d[i+2 : i+6] {
					if !isHex(h) {
						return false, fmt.Errorf("%w: bad escape", ErrSyntax)
					}
				}
				i += 6
			default:
				return false, fmt.Errorf("%w: bad escape", ErrSyntax)
			}
		case c < 0x20:
			return false, fmt.Errorf("%w: control character in string", ErrSyntax)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size <= 1 {
				return false, fmt.Errorf("%w: invalid UTF-8", ErrSyntax)
			}
			i += size
		}
	}
	return false, fmt.Errorf("%w: unterminated string", ErrSyntax)
}

// plainByte is the ASCII a string holds as it is: no quote, backslash or
// control character.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// unescape decodes a validated JSON string literal (with quotes). Lone
// surrogates become U+FFFD, as in encoding/json.
func unescape(lit []byte) ([]byte, error) {
	s := lit[1 : len(lit)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch s[i+1] {
		case '"', '\\', '/':
			out = append(out, s[i+1])
			i += 2
		case 'b':
			out = append(out, '\b')
			i += 2
		case 'f':
			out = append(out, '\f')
			i += 2
		case 'n':
			out = append(out, '\n')
			i += 2
		case 'r':
			out = append(out, '\r')
			i += 2
		case 't':
			out = append(out, '\t')
			i += 2
		case 'u':
			r := hexVal(s[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 := hexVal(s[i+2 : i+6])
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, fmt.Errorf("%w: bad escape", ErrSyntax)
		}
	}
	return out, nil
}

// String decodes raw, which must be one JSON string value (as passed to an
// Object callback), into a Go string.
func String(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", ErrType
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	b, err := unescape(raw)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Number decodes raw, which must be one JSON number value, into a finite
// float64.
func Number(raw []byte) (float64, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, ErrType
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%w: number out of range", ErrType)
	}
	return f, nil
}

// Bool decodes raw, which must be JSON true or false.
func Bool(raw []byte) (bool, error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, ErrType
}

// IsNull reports whether raw is the JSON literal null.
func IsNull(raw []byte) bool { return string(raw) == "null" }

// Strings decodes raw, which must be a JSON array whose elements are all
// strings. An empty array gives a nil slice and no error.
func Strings(raw []byte) ([]string, error) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, ErrType
	}
	var out []string
	p := parser{data: raw, pos: 1, maxDepth: DefaultMaxDepth}
	p.skipSpace()
	if p.pos < len(raw) && raw[p.pos] == ']' {
		return nil, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(raw) || raw[p.pos] != '"' {
			return nil, ErrType
		}
		start := p.pos
		if _, err := p.str(); err != nil {
			return nil, err
		}
		s, err := String(raw[start:p.pos])
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = make([]string, 0, 4)
		}
		out = append(out, s)
		p.skipSpace()
		if p.pos >= len(raw) {
			return nil, ErrSyntax
		}
		switch raw[p.pos] {
		case ',':
			p.pos++
		case ']':
			return out, nil
		default:
			return nil, ErrSyntax
		}
	}
}

// StringOrStrings decodes raw as either one JSON string (giving a
// one-element slice) or an array of strings.
func StringOrStrings(raw []byte) ([]string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		s, err := String(raw)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	return Strings(raw)
}

// Member returns the raw value of the member named key in obj, which must be
// a JSON object already validated by Object or Valid.
func Member(obj []byte, key string) ([]byte, bool) {
	var found []byte
	errStop := errors.New("stop")
	err := Object(obj, 0, func(k, v []byte) error {
		if string(k) == key {
			found = v
			return errStop
		}
		return nil
	})
	if found != nil && err == errStop {
		return found, true
	}
	return nil, false
}
