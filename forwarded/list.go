package forwarded

import (
	"iter"
	"strings"
)

// Reading comma-separated header lists from the right. Proxies append to
// the right of what the client sent, so the right-most elements are theirs;
// reading right to left keeps the client's part (unbalanced quotes, huge
// lists) from changing how those elements are read.

// lastElement finds the last element of the comma-separated list s: it
// returns the index of the comma before it (-1 when the element is all of
// s). Quoted strings (RFC 9110 §5.6.4) are honoured: a comma inside one
// does not separate, and a quote inside one is escaped when an odd number
// of backslashes precede it. ok is false when a quoted string is not
// closed or the element is longer than maxLen; at most maxLen+1 bytes are
// examined.
func lastElement(s string, maxLen int) (comma int, ok bool) {
	stop := max(0, len(s)-maxLen-1)
	inQuote := false
	for i := len(s) - 1; i >= stop; i-- {
		switch s[i] {
		case '"':
			if !inQuote {
				inQuote = true
				continue
			}
			n := 0
			for j := i - 1; j >= stop && s[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				inQuote = false
			}
		case ',':
			if !inQuote {
				return i, len(s)-i-1 <= maxLen
			}
		}
	}
	if inQuote || len(s) > maxLen {
		return 0, false
	}
	return -1, true
}

// elements yields the elements of the list formed by lines (several header
// lines are one list, in order), right to left, trimmed of optional white
// space; empty elements are yielded too, so that they count. The last
// element yielded has ok false when the list cannot be read any further (an
// unclosed quoted string, an element longer than maxLen, more than maxCount
// elements): the reader must stop there.
func elements(lines []string, maxLen, maxCount int) iter.Seq2[string, bool] {
	return func(yield func(elem string, ok bool) bool) {
		n := 0
		for i := len(lines) - 1; i >= 0; i-- {
			s := lines[i]
			for {
				comma, ok := lastElement(s, maxLen)
				if n++; !ok || n > maxCount {
					yield("", false)
					return
				}
				if !yield(trimOWS(s[comma+1:]), true) {
					return
				}
				if comma < 0 {
					break
				}
				s = s[:comma]
			}
		}
	}
}

// trimOWS trims optional white space (spaces and tabs, RFC 9110 §5.6.3).
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}

// pairs splits an element into its semicolon-separated key=value pairs and
// calls fn for each with the key and the value, unquoted when it is a quoted
// string. Empty pairs are skipped. An unquoted value may hold anything but a
// quote or white space: Envoy writes URIs unquoted, and proxies write
// Forwarded's for="[2001:db8::1]" without the quotes RFC 7239 asks for
// (harmless: only elements written by trusted proxies are read). It
// returns false when the element is malformed or fn returns false.
func pairs(elem string, fn func(key, value string) bool) bool {
	for elem != "" {
		end := pairEnd(elem)
		if end < 0 {
			return false
		}
		pair := trimOWS(elem[:end])
		if end < len(elem) {
			elem = elem[end+1:]
		} else {
			elem = ""
		}
		if pair == "" {
			continue
		}
		eq := strings.IndexByte(pair, '=')
		if eq <= 0 || !isToken(pair[:eq]) {
			return false
		}
		key, value := pair[:eq], pair[eq+1:]
		if strings.HasPrefix(value, `"`) {
			v, ok := unquote(value)
			if !ok {
				return false
			}
			value = v
		} else if strings.ContainsAny(value, "\" \t") {
			return false
		}
		if !fn(key, value) {
			return false
		}
	}
	return true
}

// pairEnd returns the index of the first semicolon of elem outside a quoted
// string (len(elem) when there is none), or -1 when a quoted string is not
// closed.
func pairEnd(elem string) int {
	inQuote := false
	for i := 0; i < len(elem); i++ {
		switch c := elem[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ';' && !inQuote:
			return i
		}
	}
	if inQuote {
		return -1
	}
	return len(elem)
}

// unquote reads s as exactly one quoted string (RFC 9110 §5.6.4) and
// returns its content with quoted pairs resolved.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	s = s[1 : len(s)-1]
	if !strings.ContainsAny(s, `"\`) {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return "", false
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
