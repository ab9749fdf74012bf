package jwtguard_test

// WithTrustedProxies (issue 18): the one trusted-proxy configuration,
// used for a TLS-terminating proxy's client certificate and for DPoP's
// external origin.

import (
	"encoding/pem"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/forwarded"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

func TestTrustedProxyClientCertificate(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	cert := jwtguardtest.NewClientCertificate(t, "client")
	bound := idp.Mint(nil, jwtguardtest.WithCertificateBinding(cert.Leaf))
	v := idp.Verifier(t, jwtguard.WithTrustedProxies(forwarded.Config{
		Proxies: []string{"10.0.0.0/8"}, ClientCertHeader: "X-Client-Cert", ClientCertFormat: forwarded.EscapedPEM,
	}))
	escaped := url.PathEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Leaf.Raw})))
	for _, c := range []struct {
		name string
		peer string
		hdr  string
		want error
	}{
		{"from the trusted proxy", "10.1.2.3:4711", escaped, nil},
		{"the same header from a client", "203.0.113.9:4711", escaped, jwtguard.ErrProofOfPossession},
		{"the proxy forwards no certificate", "10.1.2.3:4711", "", jwtguard.ErrProofOfPossession},
		{"a malformed header from the proxy", "10.1.2.3:4711", "garbage%zz", jwtguard.ErrProofOfPossession},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			r.Header.Set("Authorization", "Bearer "+bound)
			if c.hdr != "" {
				r.Header.Set("X-Client-Cert", c.hdr)
			}
			cl, err := v.Authenticate(r)
			miWant(t, cl, err, wantList(c.want)...)
		})
	}
}

func TestTrustedProxyDPoPOrigin(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	v := idp.Verifier(t,
		jwtguard.WithTrustedProxies(forwarded.Config{Proxies: []string{"10.0.0.0/8"}, Origin: true}),
		jwtguard.WithDPoP(dpop.Config{Mode: dpop.Required})) // no Origins: the proxy's forwarded origin
	for _, c := range []struct {
		name string
		peer string
		want error
	}{
		{"origin forwarded by the trusted proxy", "10.1.2.3:4711", nil},
		{"the same headers from a client", "203.0.113.9:4711", dpop.ErrInvalidProof},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://backend:8080/orders", nil)
			r.RequestURI = "/orders"
			r.RemoteAddr = c.peer
			r.Header.Set("X-Forwarded-Proto", "https")
			r.Header.Set("X-Forwarded-Host", "api.example.com")
			r.Header.Set("Authorization", "DPoP "+bound)
			r.Header.Set("DPoP", key.Proof("GET", "https://api.example.com/orders", bound, nil, nil))
			cl, err := v.Authenticate(r)
			miWant(t, cl, err, wantList(c.want)...)
		})
	}
	// Without Origins, New needs the proxy's origin (or the Host header by
	// name).
	_, err := jwtguard.New(jwtguard.Trust(idp.Entry()), jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithTrustedProxies(forwarded.Config{Proxies: []string{"10.0.0.0/8"}}),
		jwtguard.WithDPoP(dpop.Config{Mode: dpop.Required}))
	if err == nil || !strings.Contains(err.Error(), "no Origins") {
		t.Fatalf("New: %v", err)
	}
	_, err = jwtguard.New(jwtguard.Trust(idp.Entry()), jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithTrustedProxies(forwarded.Config{Proxies: []string{"10.0.0.1/8"}}))
	if err == nil || !strings.Contains(err.Error(), "WithTrustedProxies") || !strings.Contains(err.Error(), "Proxies") {
		t.Fatalf("New with a bad prefix: %v", err)
	}
}

// TestTrustedProxyCertificateHeaderReportedOnce: any client can send the
// certificate header; the operator hears of it once a minute, not once a
// request.
func TestTrustedProxyCertificateHeaderReportedOnce(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	var logs syncBuffer
	v := idp.Verifier(t, jwtguard.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		jwtguard.WithTrustedProxies(forwarded.Config{Proxies: []string{"10.0.0.0/8"}, ClientCertHeader: "X-Client-Cert", ClientCertFormat: forwarded.EscapedPEM}))
	for range 5 {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "203.0.113.9:4711" // not a trusted proxy
		r.Header.Set("Authorization", "Bearer "+idp.Mint(nil))
		r.Header.Set("X-Client-Cert", "anything")
		if _, err := v.Authenticate(r); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "client certificate header not used"); n != 1 {
		t.Fatalf("%d reports for 5 requests, want 1:\n%s", n, logs.String())
	}
}
