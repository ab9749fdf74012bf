package forwarded

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Config says which reverse proxies are trusted and what they forward.
// The zero Config trusts nobody.
type Config struct {
	// Proxies are the trusted proxies' addresses: IP addresses or CIDR
	// prefixes ("10.0.0.0/8", "192.0.2.7", "::1", "fd00::/8"). A forwarded
	// header is believed only when the request's immediate peer
	// (r.RemoteAddr) is one of them; an empty list trusts nobody. List only
	// proxies: a client inside a listed range can choose its own address.
	// A prefix with host bits set ("10.0.0.1/8"), a zone, an IPv4-mapped
	// prefix (write the IPv4 form) and a /0 are refused.
	Proxies []string

	// Headers is the header family the proxies write: [XForwarded] (the
	// zero value) or [RFC7239]. The other family is never read.
	Headers Headers

	// ClientAddress says the proxies append their peer's address to
	// X-Forwarded-For (or a for= element to Forwarded), so
	// [Trust.ClientAddr] reads the client address from it: the right-most
	// hop that is not a trusted proxy. Without it ClientAddr is the peer's
	// address. Set it only when every trusted proxy appends: one that
	// passes the header on untouched (nginx does unless told
	// "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") lets
	// clients choose their address.
	ClientAddress bool

	// Origin says the proxies set the scheme and host the client called —
	// X-Forwarded-Proto and X-Forwarded-Host, or proto= and host= in their
	// Forwarded element — replacing whatever the client sent, so
	// [Trust.Origin] believes them from a trusted proxy. jwtguard uses the
	// origin for DPoP's htu.
	Origin bool

	// ClientCertHeader is the header in which a TLS-terminating proxy puts
	// the client's certificate ("X-Client-Cert",
	// "X-Forwarded-Client-Cert", "X-Forwarded-Tls-Client-Cert"). The
	// proxy must set it, replacing any the client sent, and omit it (or
	// leave it empty) when the client presented no certificate.
	ClientCertHeader string
	// ClientCertFormat is how the proxy encodes the certificate in
	// ClientCertHeader: [EscapedPEM] (nginx), [XFCC] (Envoy) or
	// [Base64DER] (Traefik, HAProxy). Set both fields or neither.
	ClientCertFormat CertFormat
}

// Headers is the header family trusted proxies write.
type Headers int

const (
	// XForwarded is X-Forwarded-For, X-Forwarded-Proto and
	// X-Forwarded-Host: the de facto headers of nginx, Envoy, Traefik,
	// HAProxy, Caddy and cloud load balancers.
	XForwarded Headers = iota
	// RFC7239 is the standard Forwarded header (RFC 7239): for=, proto=,
	// host= in one element per proxy.
	RFC7239
)

// String returns the header names of h.
func (h Headers) String() string {
	switch h {
	case XForwarded:
		return "X-Forwarded-For/-Proto/-Host"
	case RFC7239:
		return "Forwarded (RFC 7239)"
	}
	return fmt.Sprintf("Headers(%d)", int(h))
}

// CertFormat is how a proxy encodes the client certificate in
// [Config.ClientCertHeader].
type CertFormat int

const (
	// EscapedPEM is the URL-encoded (percent-encoded) PEM of one
	// certificate: nginx's $ssl_client_escaped_cert
	// ("proxy_set_header X-Client-Cert $ssl_client_escaped_cert;"). An
	// empty value means no certificate.
	EscapedPEM CertFormat = iota + 1
	// XFCC is Envoy's x-forwarded-client-cert: comma-separated elements,
	// one per proxy, each a semicolon-separated list of key=value pairs.
	// The right-most element, the trusted proxy's, is read: its Cert
	// (URL-encoded PEM) is the certificate, and its Hash (hex SHA-256 of
	// the DER), when present, must match. Configure Envoy with
	// forward_client_cert_details: SANITIZE_SET and
	// set_current_client_cert_details: {cert: true}; a header carrying URI=
	// or DNS= is refused, because Envoy writes those values unquoted from
	// the client's certificate, which could then forge an element.
	XFCC
	// Base64DER is the base64 (standard alphabet) DER of the certificate,
	// optionally URL-encoded, optionally followed by the rest of the chain
	// after commas (the first is the client's): Traefik's
	// X-Forwarded-Tls-Client-Cert (passtlsclientcert middleware with
	// pem: true), HAProxy's %[ssl_c_der,base64]. An empty value means no
	// certificate.
	Base64DER
)

// String returns the name of f.
func (f CertFormat) String() string {
	switch f {
	case EscapedPEM:
		return "EscapedPEM"
	case XFCC:
		return "XFCC"
	case Base64DER:
		return "Base64DER"
	}
	return fmt.Sprintf("CertFormat(%d)", int(f))
}

// Errors of [Trust.ClientCertificate], matchable with errors.Is.
var (
	// ErrUntrustedPeer: the request carries the client-certificate header
	// but its peer is not a trusted proxy, so the header was ignored. It is
	// not a failure of the request: the certificate returned beside it is
	// the connection's own (or nil). Log it: it is either a client forging
	// the header or a proxy missing from Config.Proxies.
	ErrUntrustedPeer = errors.New("forwarded: header ignored: the peer is not a trusted proxy")
	// ErrInvalidHeader: a trusted proxy sent a client-certificate header
	// that is malformed, ambiguous or inconsistent; no certificate is
	// returned.
	ErrInvalidHeader = errors.New("forwarded: invalid client certificate header from a trusted proxy")
)

// Trust is a checked [Config], ready for use. Its methods are safe for
// concurrent use. A nil *Trust trusts nobody: ClientAddr is the peer's
// address, ClientCertificate the connection's own, Origin is not known.
type Trust struct {
	prefixes      []netip.Prefix
	headers       Headers
	clientAddress bool
	origin        bool
	certHeader    string // canonical
	certFormat    CertFormat
}

// New checks c and returns the [Trust] it describes. The error names every
// field that is invalid, missing or contradicted by another.
func New(c Config) (*Trust, error) {
	t := &Trust{
		headers:       c.Headers,
		clientAddress: c.ClientAddress,
		origin:        c.Origin,
		certFormat:    c.ClientCertFormat,
	}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("forwarded: "+format, args...))
	}
	for i, s := range c.Proxies {
		p, err := parseProxy(s)
		if err != nil {
			fail("Config.Proxies[%d] %q: %v", i, s, err)
			continue
		}
		t.prefixes = append(t.prefixes, p)
	}
	if c.Headers != XForwarded && c.Headers != RFC7239 {
		fail("Config.Headers: unknown value %d (XForwarded or RFC7239)", int(c.Headers))
	}
	noProxies := len(c.Proxies) == 0
	if c.ClientAddress && noProxies {
		fail("Config.ClientAddress needs Config.Proxies: with no trusted proxy, the client address is the peer's")
	}
	if c.Origin && noProxies {
		fail("Config.Origin needs Config.Proxies: forwarded origin headers are believed only from trusted proxies")
	}
	switch {
	case c.ClientCertHeader == "" && c.ClientCertFormat != 0:
		fail("Config.ClientCertFormat %v needs Config.ClientCertHeader", c.ClientCertFormat)
	case c.ClientCertHeader != "" && c.ClientCertFormat == 0:
		fail("Config.ClientCertHeader %q needs Config.ClientCertFormat (EscapedPEM, XFCC or Base64DER)", c.ClientCertHeader)
	}
	if c.ClientCertFormat != 0 && c.ClientCertFormat != EscapedPEM && c.ClientCertFormat != XFCC && c.ClientCertFormat != Base64DER {
		fail("Config.ClientCertFormat: unknown value %d (EscapedPEM, XFCC or Base64DER)", int(c.ClientCertFormat))
	}
	if c.ClientCertHeader != "" {
		if !isToken(c.ClientCertHeader) {
			fail("Config.ClientCertHeader %q is not a valid header name", c.ClientCertHeader)
		}
		if noProxies {
			fail("Config.ClientCertHeader needs Config.Proxies: the header is believed only from trusted proxies")
		}
		t.certHeader = http.CanonicalHeaderKey(c.ClientCertHeader)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// parseProxy reads one entry of Config.Proxies.
func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, errors.New("not an IP address or CIDR prefix")
		}
		switch {
		case p.Addr().Is4In6():
			return netip.Prefix{}, errors.New("an IPv4-mapped IPv6 prefix; write the IPv4 prefix (mapped peers match it)")
		case p.Bits() == 0:
			return netip.Prefix{}, errors.New("trusts every address, so anyone could forge forwarded headers")
		case p.Masked() != p:
			return netip.Prefix{}, fmt.Errorf("host bits are set; write %s", p.Masked())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, errors.New("not an IP address or CIDR prefix")
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errors.New("an address with a zone; write it without")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// isToken reports whether s is an RFC 9110 token (a valid header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// trusted reports whether a (unmapped, without zone) is a trusted proxy.
func (t *Trust) trusted(a netip.Addr) bool {
	if t == nil || !a.IsValid() {
		return false
	}
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the address of the request's immediate peer, unmapped and
// without zone; the zero Addr when r.RemoteAddr holds no IP address (a
// Unix socket).
func peerAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

// FromTrustedProxy reports whether the request's immediate peer
// (r.RemoteAddr) is a trusted proxy.
func (t *Trust) FromTrustedProxy(r *http.Request) bool {
	return t.trusted(peerAddr(r))
}
