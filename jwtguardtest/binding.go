package jwtguardtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"testing"
	"time"
)

// NewClientCertificate returns a self-signed TLS client certificate (ECDSA
// P-256, valid for a day) for testing certificate-bound tokens (RFC 8705
// allows self-signed client certificates). Its Leaf is set: mint tokens
// bound to it with [WithCertificateBinding], and present it in a request
// with r.TLS = &tls.ConnectionState{PeerCertificates:
// []*x509.Certificate{cert.Leaf}}, or through an http.Client's TLS
// configuration.
func NewClientCertificate(t testing.TB, commonName string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// CertificateThumbprint returns the base64url SHA-256 thumbprint of cert
// (the value of cnf["x5t#S256"], RFC 8705 §3.1).
func CertificateThumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// WithCertificateBinding binds the minted token to the client certificate
// cert: its cnf claim gets "x5t#S256" (RFC 8705). The token is then
// accepted only from a request that presents cert.
func WithCertificateBinding(cert *x509.Certificate) MintOption {
	return mintOption(func(m *mint) {
		if m.cnf == nil {
			m.cnf = map[string]any{}
		}
		m.cnf["x5t#S256"] = CertificateThumbprint(cert)
	})
}
