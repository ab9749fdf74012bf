package forwarded

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// Origin returns the origin the client called, "https://api.example.com",
// as the trusted proxy saw it: with [Config.Origin], from a trusted peer,
// X-Forwarded-Proto and X-Forwarded-Host — each exactly one value, so a
// list is not believed — or, with [RFC7239], the proto= and host= of the
// Forwarded element that names the client (the one where
// [Trust.ClientAddr]'s walk ends, always written by a trusted proxy). It
// reports false when Config.Origin is not set, the peer is not a trusted
// proxy, either value is missing, or they are not a scheme (http or https)
// and a host[:port]. The origin is normalized (RFC 3986 §6.2.2, §6.2.3):
// scheme and host in lower case, the scheme's default port removed.
func (t *Trust) Origin(r *http.Request) (string, bool) {
	if t == nil || !t.origin {
		return "", false
	}
	if t.headers == RFC7239 {
		_, e := t.walk(r)
		if e == nil || !e.hasProto || !e.hasHost {
			return "", false
		}
		return makeOrigin(e.proto, e.host)
	}
	if !t.trusted(peerAddr(r)) {
		return "", false
	}
	proto, ok1 := single(r.Header.Values("X-Forwarded-Proto"))
	host, ok2 := single(r.Header.Values("X-Forwarded-Host"))
	if !ok1 || !ok2 {
		return "", false
	}
	return makeOrigin(proto, host)
}

// single returns the one value of a header that must not be a list.
func single(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	v := trimOWS(values[0])
	return v, v != "" && !strings.ContainsRune(v, ',')
}

// maxHost bounds a host[:port]: a 253-byte name and a port.
const maxHost = 253 + 6

// makeOrigin joins a scheme and a host[:port] (RFC 9110 §7.2) into a
// normalized origin.
func makeOrigin(proto, host string) (string, bool) {
	scheme := strings.ToLower(proto)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	if host == "" || len(host) > maxHost {
		return "", false
	}
	var name, port string
	if host[0] == '[' {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", false
		}
		a, err := netip.ParseAddr(host[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		name = strings.ToLower(host[:end+1])
		if rest := host[end+1:]; rest != "" {
			if rest[0] != ':' {
				return "", false
			}
			port = rest[1:]
		}
	} else {
		name = host
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			name, port = host[:i], host[i+1:]
		}
		if !validRegName(name) {
			return "", false
		}
		name = strings.ToLower(name)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if !allDigits(port) || len(port) > 5 || err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", false
		}
		if scheme == "https" && n == 443 || scheme == "http" && n == 80 {
			port = ""
		}
	}
	if port != "" {
		name += ":" + port
	}
	return scheme + "://" + name, true
}

// validRegName reports whether s is a host name or IPv4 address: letters,
// digits, '-', '.' and '_', at most 253 bytes, not starting or ending with a
// dot. Percent-encoding and the other characters RFC 3986 allows in a
// reg-name are refused: no proxy writes them for a real host.
func validRegName(s string) bool {
	if s == "" || len(s) > 253 || s[0] == '.' || s[len(s)-1] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '.' && c != '_' {
			return false
		}
	}
	return true
}
