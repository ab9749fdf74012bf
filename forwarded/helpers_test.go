package forwarded

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testProxies is the trusted-proxy list of most tests.
var testProxies = []string{"10.0.0.0/8", "192.0.2.7", "2001:db8:1::/48"}

func mustNew(t testing.TB, c Config) *Trust {
	t.Helper()
	tr, err := New(c)
	if err != nil {
		t.Fatalf("New(%+v): %v", c, err)
	}
	return tr
}

// request builds a request from peer remote with the header lines given as
// name, value pairs (a name may repeat: Add, not Set).
func request(remote string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://svc.internal/orders", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// newCert returns a fresh self-signed client certificate named cn.
func newCert(t testing.TB, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Example, Inc."}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pemOf(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// escapeAll percent-encodes every byte but RFC 3986's unreserved ones, as
// nginx's $ssl_client_escaped_cert and Envoy's Cert do.
func escapeAll(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

// nginxValue is $ssl_client_escaped_cert of der.
func nginxValue(der []byte) string { return escapeAll(pemOf(der)) }

// traefikValue is X-Forwarded-Tls-Client-Cert of a chain: each
// certificate's base64 DER, URL-escaped, joined by commas.
func traefikValue(ders ...[]byte) string {
	var parts []string
	for _, d := range ders {
		parts = append(parts, escapeAll(base64.StdEncoding.EncodeToString(d)))
	}
	return strings.Join(parts, ",")
}

func hashHex(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// xfccElement is the element Envoy adds with cert: true.
func xfccElement(der []byte) string {
	return "By=spiffe://cluster.local/ns/edge/sa/envoy;Hash=" + hashHex(der) + `;Cert="` + escapeAll(pemOf(der)) + `"`
}
