package forwarded

import (
	"net/http"
	"net/netip"
	"strings"
)

// Bounds of the walk (see the package documentation).
const (
	maxHops             = 32      // list elements read, empty ones included
	maxXFFEntry         = 256     // bytes of one X-Forwarded-For entry
	maxForwardedElement = 1 << 10 // bytes of one Forwarded element
)

// ClientAddr returns the client's address: with [Config.ClientAddress], the
// right-most hop of X-Forwarded-For (or of Forwarded's for=, with
// [RFC7239]) that is not a trusted proxy, starting from the peer; otherwise,
// or when the peer is not a trusted proxy, the peer's own address. The walk
// stops at an entry that is not an address (unknown, obfuscated, garbage)
// or after 32 entries, and then returns the last address it reached, which
// is a trusted proxy's: never an address the client could choose. The
// result is unmapped (::ffff:192.0.2.1 is 192.0.2.1) and has no zone; it is
// the zero [netip.Addr] when r.RemoteAddr holds no IP address (a Unix
// socket).
func (t *Trust) ClientAddr(r *http.Request) netip.Addr {
	if t == nil || !t.clientAddress {
		return peerAddr(r)
	}
	a, _ := t.walk(r)
	return a
}

// fwdElement is what a Forwarded element (RFC 7239 §4) says.
type fwdElement struct {
	forNode, proto, host string
	hasFor, hasProto     bool
	hasHost, hasBy       bool
}

// walk reads the configured header family from the right, starting at the
// peer, while the address in hand is a trusted proxy. It returns the client
// address and, with RFC7239, the element that named it (written by a
// trusted proxy; nil when the walk ended on a malformed element, or after
// maxHops, or read no element).
func (t *Trust) walk(r *http.Request) (netip.Addr, *fwdElement) {
	client := peerAddr(r)
	if !t.trusted(client) {
		return client, nil
	}
	if t.headers == RFC7239 {
		var last *fwdElement
		for raw, ok := range elements(r.Header.Values("Forwarded"), maxForwardedElement, maxHops) {
			if !ok {
				return client, nil
			}
			if raw == "" {
				continue
			}
			e, ok := parseForwardedElement(raw)
			if !ok {
				return client, nil
			}
			last = &e
			a, ok := parseForwardedNode(e.forNode)
			if !e.hasFor || !ok {
				return client, last
			}
			client = a
			if !t.trusted(a) {
				break
			}
		}
		return client, last
	}
	for raw, ok := range elements(r.Header.Values("X-Forwarded-For"), maxXFFEntry, maxHops) {
		if !ok {
			break
		}
		if raw == "" {
			continue
		}
		a, ok := parseXFFNode(raw)
		if !ok {
			break
		}
		client = a
		if !t.trusted(a) {
			break
		}
	}
	return client, nil
}

// parseForwardedElement reads one Forwarded element. A parameter given
// twice makes it malformed (RFC 7239 §4); unknown parameters are ignored.
func parseForwardedElement(s string) (fwdElement, bool) {
	var e fwdElement
	ok := pairs(s, func(k, v string) bool {
		var seen *bool
		switch strings.ToLower(k) {
		case "for":
			seen, e.forNode = &e.hasFor, v
		case "proto":
			seen, e.proto = &e.hasProto, v
		case "host":
			seen, e.host = &e.hasHost, v
		case "by":
			seen = &e.hasBy
		default:
			return true
		}
		if *seen {
			return false
		}
		*seen = true
		return true
	})
	return e, ok
}

// parseForwardedNode reads a node of Forwarded's for= (RFC 7239 §6): an
// IPv4 address or a bracketed IPv6 address, with an optional port. unknown
// and obfuscated identifiers are not addresses. An unbracketed IPv6 address
// is refused as RFC 7239 says: with a port it would read as another
// address.
func parseForwardedNode(v string) (netip.Addr, bool) {
	var a netip.Addr
	var port string
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		var err error
		if a, err = netip.ParseAddr(v[1:end]); err != nil || !a.Is6() {
			return netip.Addr{}, false
		}
		port = v[end+1:]
	} else {
		host := v
		if i := strings.IndexByte(v, ':'); i >= 0 {
			host, port = v[:i], v[i:]
		}
		var err error
		if a, err = netip.ParseAddr(host); err != nil || !a.Is4() {
			return netip.Addr{}, false
		}
	}
	if a.Zone() != "" || !validNodePort(port) {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// validNodePort reports whether p is "" or ":" followed by a port or an
// obfuscated port (RFC 7239 §6.1, §6.3).
func validNodePort(p string) bool {
	if p == "" {
		return true
	}
	if len(p) < 2 || p[0] != ':' || len(p) > 64 {
		return false
	}
	p = p[1:]
	if p[0] == '_' {
		for i := 1; i < len(p); i++ {
			if c := p[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
				return false
			}
		}
		return len(p) > 1
	}
	return len(p) <= 5 && allDigits(p)
}

// parseXFFNode reads an X-Forwarded-For entry: an IP address, or one with
// a port ("192.0.2.1:4711", "[2001:db8::1]:4711", which some proxies
// write), or a bracketed IPv6 address. Anything else ("unknown", garbage)
// is not an address.
func parseXFFNode(v string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(v)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(v); err2 == nil {
			a, err = ap.Addr(), nil
		} else if len(v) > 2 && v[0] == '[' && v[len(v)-1] == ']' {
			if a, err = netip.ParseAddr(v[1 : len(v)-1]); err == nil && !a.Is6() {
				return netip.Addr{}, false
			}
		}
	}
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
