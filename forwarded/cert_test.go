package forwarded

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestClientCertificate(t *testing.T) {
	client := newCert(t, "client")
	other := newCert(t, "other")
	proxy := newCert(t, "proxy")
	a, b := client.Raw, other.Raw

	const (
		nginx   = "X-Client-Cert"
		envoy   = "X-Forwarded-Client-Cert"
		traefik = "X-Forwarded-Tls-Client-Cert"
	)
	formats := map[string]CertFormat{nginx: EscapedPEM, envoy: XFCC, traefik: Base64DER}
	trusts := map[string]*Trust{}
	for h, f := range formats {
		trusts[h] = mustNew(t, Config{Proxies: testProxies, ClientCertHeader: h, ClientCertFormat: f})
	}
	b64 := base64.StdEncoding.EncodeToString

	tests := []struct {
		name    string
		header  string // configured header (and format)
		remote  string
		tls     *x509.Certificate // the connection's own certificate
		lines   []string          // values of the configured header
		want    *x509.Certificate
		wantErr error
		errHas  string
	}{
		// nginx
		{name: "nginx", header: nginx, remote: "10.0.0.1:80", lines: []string{nginxValue(a)}, want: client},
		{name: "nginx, lower-case escapes and raw base64", header: nginx, remote: "10.0.0.1:80", lines: []string{strings.ReplaceAll(url.PathEscape(pemOf(a)), "%0A", "%0a")}, want: client},
		{name: "nginx, no certificate", header: nginx, remote: "10.0.0.1:80", lines: []string{""}},
		{name: "nginx, header absent", header: nginx, remote: "10.0.0.1:80"},
		{name: "trusted proxy: its own TLS certificate is not the client's", header: nginx, remote: "10.0.0.1:80", tls: proxy},
		{name: "trusted proxy: the header wins over the TLS certificate", header: nginx, remote: "10.0.0.1:80", tls: proxy, lines: []string{nginxValue(a)}, want: client},
		{name: "untrusted peer: header ignored", header: nginx, remote: "203.0.113.9:80", lines: []string{nginxValue(a)}, wantErr: ErrUntrustedPeer, errHas: `X-Client-Cert from "203.0.113.9:80"`},
		{name: "untrusted peer: its TLS certificate, header ignored", header: nginx, remote: "203.0.113.9:80", tls: other, lines: []string{nginxValue(a)}, want: other, wantErr: ErrUntrustedPeer},
		{name: "untrusted peer: its TLS certificate", header: nginx, remote: "203.0.113.9:80", tls: other, want: other},
		{name: "nginx garbage", header: nginx, remote: "10.0.0.1:80", lines: []string{"garbage"}, wantErr: ErrInvalidHeader, errHas: "no BEGIN CERTIFICATE"},
		{name: "nginx dash", header: nginx, remote: "10.0.0.1:80", lines: []string{"-"}, wantErr: ErrInvalidHeader},
		{name: "nginx bad escape", header: nginx, remote: "10.0.0.1:80", lines: []string{"%zz" + nginxValue(a)}, wantErr: ErrInvalidHeader, errHas: "percent-encoding"},
		{name: "nginx two lines", header: nginx, remote: "10.0.0.1:80", lines: []string{nginxValue(b), nginxValue(a)}, wantErr: ErrInvalidHeader, errHas: "sent 2 times"},
		{name: "nginx two certificates", header: nginx, remote: "10.0.0.1:80", lines: []string{escapeAll(pemOf(a) + pemOf(b))}, wantErr: ErrInvalidHeader, errHas: "more than one PEM block"},
		{name: "nginx junk before", header: nginx, remote: "10.0.0.1:80", lines: []string{escapeAll("junk\n" + pemOf(a))}, wantErr: ErrInvalidHeader},
		{name: "nginx PEM of a key", header: nginx, remote: "10.0.0.1:80", lines: []string{escapeAll(strings.ReplaceAll(pemOf(a), "CERTIFICATE", "PRIVATE KEY"))}, wantErr: ErrInvalidHeader},
		{name: "nginx PEM of garbage DER", header: nginx, remote: "10.0.0.1:80", lines: []string{nginxValue([]byte("not DER"))}, wantErr: ErrInvalidHeader, errHas: "not an X.509 certificate"},
		{name: "header too long", header: nginx, remote: "10.0.0.1:80", lines: []string{strings.Repeat("A", 65<<10)}, wantErr: ErrInvalidHeader, errHas: "longer than"},

		// Traefik
		{name: "traefik", header: traefik, remote: "10.0.0.1:80", lines: []string{traefikValue(a)}, want: client},
		{name: "traefik chain: the first is the client's", header: traefik, remote: "10.0.0.1:80", lines: []string{traefikValue(a, b)}, want: client},
		{name: "traefik chain escaped as a whole", header: traefik, remote: "10.0.0.1:80", lines: []string{url.QueryEscape(b64(a) + "," + b64(b))}, want: client},
		{name: "plain base64 (HAProxy)", header: traefik, remote: "10.0.0.1:80", lines: []string{b64(a)}, want: client},
		{name: "traefik no certificate", header: traefik, remote: "10.0.0.1:80", lines: []string{""}},
		{name: "traefik garbage", header: traefik, remote: "10.0.0.1:80", lines: []string{"!!!"}, wantErr: ErrInvalidHeader, errHas: "bad base64"},
		{name: "traefik PEM armor", header: traefik, remote: "10.0.0.1:80", lines: []string{escapeAll(pemOf(a))}, wantErr: ErrInvalidHeader},
		{name: "traefik not a certificate", header: traefik, remote: "10.0.0.1:80", lines: []string{b64([]byte("hello"))}, wantErr: ErrInvalidHeader},
		{name: "traefik untrusted", header: traefik, remote: "[2001:db8:2::1]:80", lines: []string{traefikValue(a)}, wantErr: ErrUntrustedPeer},

		// Envoy
		{name: "envoy", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(a)}, want: client},
		{name: "envoy without Hash", header: envoy, remote: "10.0.0.1:80", lines: []string{`Cert="` + escapeAll(pemOf(a)) + `"`}, want: client},
		{name: "envoy upper-case hex", header: envoy, remote: "10.0.0.1:80", lines: []string{`Hash=` + strings.ToUpper(hashHex(a)) + `;Cert="` + escapeAll(pemOf(a)) + `"`}, want: client},
		{name: "envoy unquoted Cert, lower-case keys", header: envoy, remote: "10.0.0.1:80", lines: []string{`hash=` + hashHex(a) + `;cert=` + escapeAll(pemOf(a))}, want: client},
		{name: "envoy with quoted Subject holding commas", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(a) + `;Subject="CN=client,O=Example\, Inc.;x=\"y\""`}, want: client},
		{name: "envoy with Chain", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(a) + `;Chain="` + escapeAll(pemOf(a)+pemOf(b)) + `"`}, want: client},
		{name: "envoy: element injected left of the proxy's", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(b) + "," + xfccElement(a)}, want: client},
		{name: "envoy: injected line before the proxy's", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(b), xfccElement(a)}, want: client},
		{name: "envoy: unclosed quote left of the proxy's element", header: envoy, remote: "10.0.0.1:80", lines: []string{`Subject="x,` + xfccElement(a)}, want: client},
		{name: "envoy Hash mismatch", header: envoy, remote: "10.0.0.1:80", lines: []string{`Hash=` + hashHex(b) + `;Cert="` + escapeAll(pemOf(a)) + `"`}, wantErr: ErrInvalidHeader, errHas: "Hash is not the SHA-256 of Cert"},
		{name: "envoy Hash not hex", header: envoy, remote: "10.0.0.1:80", lines: []string{`Hash=xyz;Cert="` + escapeAll(pemOf(a)) + `"`}, wantErr: ErrInvalidHeader, errHas: "not a hex SHA-256"},
		{name: "envoy Hash only", header: envoy, remote: "10.0.0.1:80", lines: []string{"By=spiffe://x;Hash=" + hashHex(a)}, wantErr: ErrInvalidHeader, errHas: "cert: true"},
		{name: "envoy: injected element with Cert, proxy's with Hash only", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(b) + ",Hash=" + hashHex(a)}, wantErr: ErrInvalidHeader, errHas: "no Cert"},
		{name: "envoy URI refused", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(a) + ";URI=spiffe://client"}, wantErr: ErrInvalidHeader, errHas: "URI="},
		{name: "envoy SAN-forged element refused", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(a) + ";DNS=x," + xfccElement(b)}, wantErr: ErrInvalidHeader, errHas: "DNS="},
		{name: "envoy duplicate Cert", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(a) + `;Cert="` + escapeAll(pemOf(b)) + `"`}, wantErr: ErrInvalidHeader, errHas: "Cert twice"},
		{name: "envoy trailing comma", header: envoy, remote: "10.0.0.1:80", lines: []string{xfccElement(a) + ","}, wantErr: ErrInvalidHeader, errHas: "empty"},
		{name: "envoy unclosed quote in the last element", header: envoy, remote: "10.0.0.1:80", lines: []string{`Hash=00;Cert="abc`}, wantErr: ErrInvalidHeader},
		{name: "envoy garbage", header: envoy, remote: "10.0.0.1:80", lines: []string{"garbage"}, wantErr: ErrInvalidHeader},
		{name: "envoy Cert garbage", header: envoy, remote: "10.0.0.1:80", lines: []string{`Cert="garbage"`}, wantErr: ErrInvalidHeader},
		{name: "envoy empty", header: envoy, remote: "10.0.0.1:80", lines: []string{" "}},
		{name: "envoy untrusted", header: envoy, remote: "192.0.2.8:80", lines: []string{xfccElement(a)}, wantErr: ErrUntrustedPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.remote)
			for _, v := range tt.lines {
				r.Header.Add(tt.header, v)
			}
			if tt.tls != nil {
				r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{tt.tls}}
			}
			got, err := trusts[tt.header].ClientCertificate(r)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.errHas != "" && !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not contain %q", err, tt.errHas)
			}
			if got != tt.want && (got == nil || tt.want == nil || !got.Equal(tt.want)) {
				t.Errorf("certificate = %v, want %v", subject(got), subject(tt.want))
			}
		})
	}
}

// Without a configured header, the connection's certificate is the one.
func TestClientCertificateDirect(t *testing.T) {
	c := newCert(t, "direct")
	tr := mustNew(t, Config{Proxies: testProxies, ClientAddress: true})
	r := request("10.0.0.1:80", "X-Client-Cert", nginxValue(newCert(t, "forged").Raw))
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c}}
	got, err := tr.ClientCertificate(r)
	if err != nil || got != c {
		t.Fatalf("ClientCertificate = %v, %v", subject(got), err)
	}
	r.TLS = &tls.ConnectionState{}
	if got, err := tr.ClientCertificate(r); got != nil || err != nil {
		t.Fatalf("ClientCertificate = %v, %v", subject(got), err)
	}
}

func subject(c *x509.Certificate) string {
	if c == nil {
		return "<nil>"
	}
	return c.Subject.CommonName
}
