package dpopjwt

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
)

// Request is what a proof must match besides its signature.
type Request struct {
	Method string
	// Origins are the acceptable origins of htu ("https://api.example.com",
	// normalized with NormalizeOrigin) and Path the request's path
	// (normalized with NormalizePath): htu must be one origin followed by
	// the path.
	Origins []string
	Path    string
	// AccessToken is the token the proof accompanies: ath must be its
	// hash. "" for a proof without token (never the case at a resource
	// server, RFC 9449 §7).
	AccessToken string
	// AccessTokenHash, when not nil, is the SHA-256 of AccessToken,
	// computed before (the verified-token cache keeps it with the token).
	AccessTokenHash *[32]byte
	Now             time.Time
	// Window is how old a proof may be (by iat); Leeway how far in the
	// future its iat may lie (clock skew).
	Window, Leeway time.Duration
}

// Check judges the proof's claims against the request (RFC 9449 §4.3 steps
// 8, 9, 11, 12): htm equals the method, htu the request URI (both sides
// normalized, query and fragment ignored), iat within the window, ath the
// hash of the access token. The nonce (step 10) is [Nonces.Check]'s, the
// jti (replay) the caller's.
func (p *Proof) Check(r *Request) error {
	if p.HTM != r.Method {
		return perr("htm %s is not the request method %s", quote(p.HTM), r.Method)
	}
	// The common case costs no parsing: htu is already an origin followed
	// by the request's path, and that path is one NormalizeURI leaves as
	// it is (FuzzHTUMatch holds the two ways to the same verdict).
	matched := len(p.HTU) <= maxURI && plainPath(r.Path) && matchOrigin(p.HTU, r.Origins, r.Path)
	if !matched {
		htu, ok := NormalizeURI(p.HTU)
		if !ok {
			return perr("htu %s is not an absolute http(s) URI", quote(p.HTU))
		}
		matched = matchOrigin(htu, r.Origins, r.Path)
	}
	if !matched {
		return perr("htu %s is not this request's URI (path %s on %s)", quote(p.HTU), quote(r.Path), strings.Join(r.Origins, " or "))
	}
	if p.IAT.After(r.Now.Add(r.Leeway)) {
		return perr("iat %s is %s in the future (leeway %s)", p.IAT.UTC().Format(time.RFC3339), p.IAT.Sub(r.Now).Round(time.Second), r.Leeway)
	}
	if r.Now.Sub(p.IAT) > r.Window {
		return perr("iat %s is %s old, beyond the proof lifetime %s", p.IAT.UTC().Format(time.RFC3339), r.Now.Sub(p.IAT).Round(time.Second), r.Window)
	}
	if r.AccessToken != "" {
		if p.ATH == "" {
			return perr("ath is missing (the hash of the access token)")
		}
		var sum [32]byte
		if r.AccessTokenHash != nil {
			sum = *r.AccessTokenHash
		} else {
			sum = sha256.Sum256(jose.StringBytes(r.AccessToken))
		}
		var want [43]byte
		base64.RawURLEncoding.Encode(want[:], sum[:])
		if subtle.ConstantTimeCompare(want[:], jose.StringBytes(p.ATH)) != 1 {
			return perr("ath is not the hash of the access token presented")
		}
	}
	return nil
}

// matchOrigin reports whether htu is one of origins followed by path.
func matchOrigin(htu string, origins []string, path string) bool {
	for _, o := range origins {
		if len(htu) == len(o)+len(path) && strings.HasPrefix(htu, o) && htu[len(o):] == path {
			return true
		}
	}
	return false
}

// maxURI bounds the htu and request URIs compared.
const maxURI = 4096

// plainPath reports whether p is a path that normalization leaves as it
// is, and that url.Parse gives back unchanged from EscapedPath: it begins
// with "/", has no dot segment (no "/." at all), no percent-encoding, and
// only unreserved characters, "/" and the sub-delimiters and ":" and "@"
// that paths never escape.
func plainPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !plainByte[c] || (c == '.' && p[i-1] == '/') {
			return false
		}
	}
	return true
}

// plainByte is plainPath's character set.
var plainByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = unreserved(byte(c))
	}
	for _, c := range []byte("/$&+,:;=@") {
		t[c] = true
	}
	return t
}()

// NormalizeOrigin returns the comparable form of an origin
// ("HTTPS://API.Example.com:443" → "https://api.example.com"): scheme and
// host of an absolute http(s) URI without path, query or fragment.
func NormalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", false
	}
	n, ok := NormalizeURI(s)
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(n, "/"), true
}

// NormalizePath returns the comparable form of a request target as an
// HTTP server receives it (r.RequestURI: "/path?query", or an absolute
// URI): its path, normalized as NormalizeURI does, without the query.
func NormalizePath(requestURI string) (string, bool) {
	if requestURI == "" || requestURI[0] != '/' {
		u, err := url.Parse(requestURI)
		if err != nil || u.Host == "" {
			return "", false
		}
		requestURI = u.EscapedPath()
	}
	if i := strings.IndexByte(requestURI, '?'); i >= 0 {
		requestURI = requestURI[:i]
	}
	return normalizePath(requestURI)
}

// NormalizeURI returns the comparable form of an absolute http(s) URI, for
// htu: syntax- and scheme-based normalization (RFC 3986 §6.2.2, §6.2.3) —
// lower-case scheme and host, the default port dropped, percent-encodings
// of unreserved characters decoded and the others in upper case, dot
// segments removed, an empty path as "/" — without query and fragment. ok
// is false for anything else (a relative reference, another scheme,
// userinfo, an invalid escape).
func NormalizeURI(s string) (string, bool) {
	if len(s) > maxURI {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	host = strings.TrimSuffix(host, ":") // an empty port
	path, ok := normalizePath(u.EscapedPath())
	if !ok {
		return "", false
	}
	return scheme + "://" + host + path, true
}

// normalizePath normalizes percent-encoding and removes dot segments.
func normalizePath(p string) (string, bool) {
	if plainPath(p) {
		return p, true // nothing to normalize
	}
	return normalizeEscapes(p)
}

// normalizeEscapes is normalizePath without its shortcut.
func normalizeEscapes(p string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return "", false
		}
		v := unhex(p[i+1])<<4 | unhex(p[i+2])
		if unreserved(v) {
			b.WriteByte(v)
		} else {
			b.WriteByte('%')
			b.WriteByte(upper(p[i+1]))
			b.WriteByte(upper(p[i+2]))
		}
		i += 2
	}
	out := removeDotSegments(b.String())
	if out == "" {
		out = "/"
	}
	return out, true
}

// removeDotSegments is the algorithm of RFC 3986 §5.2.4.
func removeDotSegments(in string) string {
	out := make([]byte, 0, len(in))
	dropLast := func() {
		if i := strings.LastIndexByte(string(out), '/'); i >= 0 {
			out = out[:i]
		} else {
			out = out[:0]
		}
	}
	for len(in) > 0 {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			dropLast()
		case in == "/..":
			in = "/"
			dropLast()
		case in == "." || in == "..":
			in = ""
		default:
			i := strings.IndexByte(in[1:], '/')
			if i < 0 {
				out, in = append(out, in...), ""
			} else {
				out, in = append(out, in[:i+1]...), in[i+1:]
			}
		}
	}
	return string(out)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// unreserved is RFC 3986 §2.3.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// Nonces issues and checks server-provided DPoP nonces (RFC 9449 §8, §9)
// without shared state: a nonce is a time window's index with an HMAC of
// it under a configured secret, so every instance that knows the secret
// issues and accepts the same nonces. A nonce is accepted during its
// window and the next one: it lives between one and two lifetimes.
type Nonces struct {
	key      []byte
	lifetime time.Duration
}

// NewNonces returns the nonces of secret (at least 32 bytes) rotating every
// lifetime.
func NewNonces(secret []byte, lifetime time.Duration) (*Nonces, error) {
	if len(secret) < 32 {
		return nil, errors.New("the nonce secret must have at least 32 bytes")
	}
	if lifetime < time.Second {
		return nil, errors.New("the nonce lifetime must be at least a second")
	}
	return &Nonces{key: slices.Clone(secret), lifetime: lifetime}, nil
}

func (n *Nonces) window(now time.Time) uint64 {
	return uint64(now.UnixNano() / int64(n.lifetime))
}

func (n *Nonces) mac(w uint64) []byte {
	h := hmac.New(sha256.New, n.key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], w)
	h.Write([]byte("jwtguard DPoP nonce\x00"))
	h.Write(b[:])
	return h.Sum(nil)[:16]
}

// Issue returns the nonce of the current window.
func (n *Nonces) Issue(now time.Time) string {
	w := n.window(now)
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], w)
	copy(b[8:], n.mac(w))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Check reports whether nonce is one this server issued in the current
// or the previous window.
func (n *Nonces) Check(nonce string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 24 {
		return false
	}
	w := binary.BigEndian.Uint64(b[:8])
	cur := n.window(now)
	if w != cur && w+1 != cur {
		return false
	}
	return hmac.Equal(b[8:], n.mac(w))
}
