package forwarded

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxCertHeader bounds a client-certificate header, all lines together.
const maxCertHeader = 64 << 10

// ClientCertificate returns the client's TLS certificate:
//
//   - from a trusted proxy, with [Config.ClientCertHeader] set: the
//     certificate in that header, nil when the header is absent or empty.
//     The connection's own certificate, if any, is the proxy's and is not
//     returned. A malformed, ambiguous or inconsistent header gives an error
//     wrapping [ErrInvalidHeader] and no certificate.
//   - otherwise: the connection's own, r.TLS.PeerCertificates[0], or nil. If
//     the request carries the configured header anyway, it is ignored and
//     the error wraps [ErrUntrustedPeer]: the certificate returned beside it
//     is still the right one, and the error is for the operator's log (a
//     forged header, or a proxy missing from Config.Proxies). A caller that
//     refuses the request on any error only fails closed.
func (t *Trust) ClientCertificate(r *http.Request) (*x509.Certificate, error) {
	var own *x509.Certificate
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		own = r.TLS.PeerCertificates[0]
	}
	if t == nil || t.certHeader == "" {
		return own, nil
	}
	values := r.Header.Values(t.certHeader)
	if !t.trusted(peerAddr(r)) {
		if len(values) > 0 {
			return own, fmt.Errorf("%w: %s from %q", ErrUntrustedPeer, t.certHeader, r.RemoteAddr)
		}
		return own, nil
	}
	if len(values) == 0 {
		return nil, nil
	}
	cert, err := t.parseCertHeader(values)
	if err != nil {
		return nil, fmt.Errorf("%w: %s (%v) from %q: %v", ErrInvalidHeader, t.certHeader, t.certFormat, r.RemoteAddr, err)
	}
	return cert, nil
}

// parseCertHeader reads the header's lines in the configured format; a nil
// certificate and no error mean the proxy forwarded none.
func (t *Trust) parseCertHeader(values []string) (*x509.Certificate, error) {
	n := 0
	for _, v := range values {
		n += len(v)
	}
	if n > maxCertHeader {
		return nil, fmt.Errorf("longer than %d bytes", maxCertHeader)
	}
	if t.certFormat == XFCC {
		// Several lines are one list (RFC 9110 §5.3).
		return parseXFCC(strings.Join(values, ","))
	}
	if len(values) > 1 {
		return nil, fmt.Errorf("sent %d times; the proxy must set it once", len(values))
	}
	if t.certFormat == EscapedPEM {
		return parseEscapedPEM(values[0])
	}
	return parseBase64DER(values[0])
}

// parseEscapedPEM reads nginx's $ssl_client_escaped_cert: one certificate
// in URL-encoded PEM; "" is no certificate.
func parseEscapedPEM(v string) (*x509.Certificate, error) {
	v = trimOWS(v)
	if v == "" {
		return nil, nil
	}
	s, err := url.PathUnescape(v)
	if err != nil {
		return nil, errors.New("not URL-encoded PEM: bad percent-encoding")
	}
	return parsePEM(s)
}

// parsePEM reads exactly one PEM CERTIFICATE block, with nothing but white
// space around it.
func parsePEM(s string) (*x509.Certificate, error) {
	b := bytes.TrimSpace([]byte(s))
	if !bytes.HasPrefix(b, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, errors.New("not a PEM certificate: no BEGIN CERTIFICATE line at the start")
	}
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" || len(block.Headers) > 0 {
		return nil, errors.New("not a PEM certificate: malformed block")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("more than one PEM block, or data after the certificate")
	}
	return parseDER(block.Bytes)
}

func parseDER(der []byte) (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("not an X.509 certificate: %v", err)
	}
	return cert, nil
}

// parseBase64DER reads Traefik's X-Forwarded-Tls-Client-Cert (URL-encoded
// base64 DER, the chain's certificates separated by commas, the client's
// first) or a plain base64 DER; "" is no certificate.
func parseBase64DER(v string) (*x509.Certificate, error) {
	v = trimOWS(v)
	if v == "" {
		return nil, nil
	}
	// PathUnescape, not QueryUnescape: a plain base64 '+' stays '+'
	// (Traefik escapes it as %2B).
	s, err := url.PathUnescape(v)
	if err != nil {
		return nil, errors.New("not base64 DER: bad percent-encoding")
	}
	first, _, _ := strings.Cut(s, ",")
	der, err := base64.StdEncoding.DecodeString(trimOWS(first))
	if err != nil {
		return nil, errors.New("not base64 DER: bad base64")
	}
	return parseDER(der)
}

// parseXFCC reads Envoy's x-forwarded-client-cert: the right-most element,
// added by the trusted proxy, must carry Cert; its Hash, when present, must
// be the SHA-256 of the certificate's DER. "" is no certificate.
func parseXFCC(v string) (*x509.Certificate, error) {
	if trimOWS(v) == "" {
		return nil, nil
	}
	if k := unquotedSANKey(v); k != "" {
		return nil, fmt.Errorf("carries %s=, which Envoy writes unquoted from the client's certificate, so a certificate could forge an element; set only cert: true in set_current_client_cert_details", k)
	}
	comma, ok := lastElement(v, maxCertHeader)
	if !ok {
		return nil, errors.New("malformed: unclosed quoted string")
	}
	elem := trimOWS(v[comma+1:])
	if elem == "" {
		return nil, errors.New("malformed: the last element is empty")
	}
	var hash, cert string
	var hasHash, hasCert, hasChain bool
	dup := ""
	ok = pairs(elem, func(k, val string) bool {
		var seen *bool
		switch strings.ToLower(k) {
		case "hash":
			seen, hash = &hasHash, val
		case "cert":
			seen, cert = &hasCert, val
		case "chain":
			seen = &hasChain
		default:
			return true // By, Subject and keys Envoy may add later
		}
		if *seen {
			dup = k
			return false
		}
		*seen = true
		return true
	})
	switch {
	case dup != "":
		return nil, fmt.Errorf("the last element has %s twice", dup)
	case !ok:
		return nil, errors.New("malformed: the last element is not a list of key=value pairs")
	case !hasCert || cert == "":
		return nil, errors.New("the last element has no Cert (only Hash/Chain/By/Subject); enable it in Envoy: forward_client_cert_details: SANITIZE_SET with set_current_client_cert_details: {cert: true}")
	}
	pemText, err := url.PathUnescape(cert)
	if err != nil {
		return nil, errors.New("Cert is not URL-encoded PEM: bad percent-encoding")
	}
	c, err := parsePEM(pemText)
	if err != nil {
		return nil, fmt.Errorf("Cert: %v", err)
	}
	if hasHash {
		want, err := hex.DecodeString(hash)
		if err != nil || len(want) != sha256.Size {
			return nil, errors.New("Hash is not a hex SHA-256 digest")
		}
		got := sha256.Sum256(c.Raw)
		if subtle.ConstantTimeCompare(got[:], want) != 1 {
			return nil, errors.New("Hash is not the SHA-256 of Cert")
		}
	}
	return c, nil
}

// unquotedSANKey returns "URI" or "DNS" when v holds such a key at the
// start of a pair or element, looked for without regard to quoting (so a
// match inside a quoted string counts too: refusing then is only safe).
func unquotedSANKey(v string) string {
	for i := 0; i+4 <= len(v); i++ {
		if i > 0 && !strings.ContainsRune(",; \t", rune(v[i-1])) {
			continue
		}
		switch k := v[i : i+4]; {
		case strings.EqualFold(k, "uri="):
			return "URI"
		case strings.EqualFold(k, "dns="):
			return "DNS"
		}
	}
	return ""
}
