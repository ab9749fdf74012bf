package forwarded_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"math/big"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/jwtguard/jwtguard/forwarded"
)

// The client address behind a load balancer (10.0.0.0/8) that appends to
// X-Forwarded-For: the right-most address that is not a trusted proxy.
// Whatever a client writes to the left is never taken, and a client that
// bypasses the proxy cannot forge the header at all.
func ExampleTrust_ClientAddr() {
	trust, err := forwarded.New(forwarded.Config{
		Proxies:       []string{"10.0.0.0/8"},
		ClientAddress: true,
	})
	if err != nil {
		log.Fatal(err)
	}

	// The client sent "X-Forwarded-For: 198.51.100.1" itself; the proxy
	// appended the address it saw.
	r := httptest.NewRequest("GET", "/orders", nil)
	r.RemoteAddr = "10.0.0.1:41234"
	r.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.9")
	fmt.Println(trust.ClientAddr(r))

	// The same header sent straight to the service: ignored.
	r.RemoteAddr = "203.0.113.50:5555"
	fmt.Println(trust.ClientAddr(r))
	// Output:
	// 203.0.113.9
	// 203.0.113.50
}

// The external origin for DPoP's htu, as a trusted proxy forwards it.
func ExampleTrust_Origin() {
	trust, err := forwarded.New(forwarded.Config{
		Proxies: []string{"10.0.0.0/8"},
		Origin:  true,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://orders.internal:8080/orders", nil)
	r.RemoteAddr = "10.0.0.1:41234"
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "api.example.com:443")
	fmt.Println(trust.Origin(r))
	// Output:
	// https://api.example.com true
}

// The client certificate forwarded by nginx, which terminates TLS:
//
//	proxy_set_header X-Client-Cert $ssl_client_escaped_cert;
func ExampleTrust_ClientCertificate() {
	trust, err := forwarded.New(forwarded.Config{
		Proxies:          []string{"10.0.0.0/8"},
		ClientCertHeader: "X-Client-Cert",
		ClientCertFormat: forwarded.EscapedPEM,
	})
	if err != nil {
		log.Fatal(err)
	}
	der := selfSigned("orders-client")
	escaped := url.PathEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))

	r := httptest.NewRequest("GET", "/orders", nil)
	r.RemoteAddr = "10.0.0.1:41234"
	r.Header.Set("X-Client-Cert", escaped)
	cert, err := trust.ClientCertificate(r)
	fmt.Println(cert.Subject.CommonName, err)

	// From a peer that is not a trusted proxy the header is ignored; the
	// error is for the operator's log.
	r.RemoteAddr = "203.0.113.50:5555"
	cert, err = trust.ClientCertificate(r)
	fmt.Println(cert == nil, errors.Is(err, forwarded.ErrUntrustedPeer))
	// Output:
	// orders-client <nil>
	// true true
}

// New names every field that is wrong.
func ExampleNew() {
	_, err := forwarded.New(forwarded.Config{
		Proxies:          []string{"10.0.0.1/8"},
		ClientCertHeader: "X-Forwarded-Client-Cert",
	})
	fmt.Println(err)
	// Output:
	// forwarded: Config.Proxies[0] "10.0.0.1/8": host bits are set; write 10.0.0.0/8
	// forwarded: Config.ClientCertHeader "X-Forwarded-Client-Cert" needs Config.ClientCertFormat (EscapedPEM, XFCC or Base64DER)
}

func selfSigned(cn string) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return der
}
