// Package tlstest serves HTTPS for real host names ("acme.eu.auth0.com",
// "www.googleapis.com") from one local httptest server, so tests can fetch
// a provider's real URLs without a network: the server's certificate names
// the hosts and comes from a certificate authority made for it, and
// [Server.Client] trusts that authority and dials the local server for
// those hosts.
//
// jwtguardtest's issuer stands in for a provider with it, and the profile
// tests serve provider fixtures with it. The package does not import the
// root jwtguard package.
package tlstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"
)

// Server is a TLS server on a loopback address that answers for Hosts.
type Server struct {
	srv    *httptest.Server
	hosts  []string
	client *http.Client
}

// NewServer starts a TLS server for h whose certificate is valid for hosts
// (DNS names or IP addresses, without scheme or port). Close it when done.
func NewServer(h http.Handler, hosts ...string) (*Server, error) {
	if len(hosts) == 0 {
		return nil, fmt.Errorf("tlstest: no host")
	}
	for _, host := range hosts {
		if err := CheckHost(host); err != nil {
			return nil, fmt.Errorf("tlstest: %w", err)
		}
	}
	cert, roots, err := certificate(hosts)
	if err != nil {
		return nil, err
	}
	s := &Server{hosts: slices.Clone(hosts), srv: httptest.NewUnstartedServer(h)}
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.StartTLS()
	addr := s.srv.Listener.Addr().String()
	var d net.Dialer
	s.client = &http.Client{Transport: &http.Transport{
		// Each host dials the local server; TLS still checks the
		// certificate against the host name of the URL.
		DialContext: func(ctx context.Context, network, hostPort string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(hostPort)
			if err != nil {
				host = hostPort
			}
			if !slices.Contains(s.hosts, host) {
				return nil, fmt.Errorf("%s is not served by the local TLS server (it answers for %s)", host, strings.Join(s.hosts, ", "))
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
	}}
	return s, nil
}

// CheckHost reports whether host is a DNS name or an IP address, without
// scheme, port or path.
func CheckHost(host string) error {
	if host == "" || (strings.ContainsAny(host, "/:@?#[] ") && net.ParseIP(host) == nil) {
		return fmt.Errorf("%q is not a host name (want e.g. \"www.googleapis.com\": no scheme, port or path)", host)
	}
	return nil
}

// Hosts are the host names the server answers for.
func (s *Server) Hosts() []string { return slices.Clone(s.hosts) }

// Client returns the client that reaches the server at its hosts' https
// URLs (any port): it trusts the server's certificate authority only, and
// refuses to dial any other host.
func (s *Server) Client() *http.Client { return s.client }

// Close stops the server and closes the client's idle connections.
func (s *Server) Close() {
	s.client.CloseIdleConnections()
	s.srv.Close()
}

// certificate makes a certificate authority and a server certificate it
// signs for hosts, valid from an hour ago for a week.
func certificate(hosts []string) (tls.Certificate, *x509.CertPool, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jwtguard test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, roots, nil
}
