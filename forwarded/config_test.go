package forwarded

import (
	"net/netip"
	"strings"
	"testing"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want []string // substrings of the error; none: valid
	}{
		{"zero config", Config{}, nil},
		{"proxies only", Config{Proxies: testProxies}, nil},
		{"everything", Config{Proxies: testProxies, Headers: RFC7239, ClientAddress: true, Origin: true, ClientCertHeader: "x-client-cert", ClientCertFormat: EscapedPEM}, nil},
		{"mapped address", Config{Proxies: []string{"::ffff:10.0.0.1"}}, nil},
		{"bad address", Config{Proxies: []string{"10.0.0.1", "10.0.0.300"}}, []string{`Config.Proxies[1] "10.0.0.300"`}},
		{"bad prefix", Config{Proxies: []string{"10.0.0.0/33"}}, []string{`Config.Proxies[0]`, "not an IP address or CIDR prefix"}},
		{"host bits", Config{Proxies: []string{"10.0.0.1/8"}}, []string{"host bits are set; write 10.0.0.0/8"}},
		{"everyone v4", Config{Proxies: []string{"0.0.0.0/0"}}, []string{"trusts every address"}},
		{"everyone v6", Config{Proxies: []string{"::/0"}}, []string{"trusts every address"}},
		{"mapped prefix", Config{Proxies: []string{"::ffff:10.0.0.0/104"}}, []string{"IPv4-mapped"}},
		{"zone", Config{Proxies: []string{"fe80::1%eth0"}}, []string{"zone"}},
		{"hostname", Config{Proxies: []string{"proxy.internal"}}, []string{"not an IP address"}},
		{"unknown headers", Config{Proxies: testProxies, Headers: 7}, []string{"Config.Headers"}},
		{"client address alone", Config{ClientAddress: true}, []string{"Config.ClientAddress needs Config.Proxies"}},
		{"origin alone", Config{Origin: true}, []string{"Config.Origin needs Config.Proxies"}},
		{"cert header alone", Config{ClientCertHeader: "X-Client-Cert", ClientCertFormat: EscapedPEM}, []string{"Config.ClientCertHeader needs Config.Proxies"}},
		{"header without format", Config{Proxies: testProxies, ClientCertHeader: "X-Client-Cert"}, []string{"needs Config.ClientCertFormat"}},
		{"format without header", Config{Proxies: testProxies, ClientCertFormat: XFCC}, []string{"Config.ClientCertFormat XFCC needs Config.ClientCertHeader"}},
		{"unknown format", Config{Proxies: testProxies, ClientCertHeader: "X", ClientCertFormat: 9}, []string{"Config.ClientCertFormat: unknown value 9"}},
		{"bad header name", Config{Proxies: testProxies, ClientCertHeader: "X Client Cert", ClientCertFormat: XFCC}, []string{"not a valid header name"}},
		{"all at once", Config{Proxies: []string{"nope"}, Headers: 3, ClientCertFormat: Base64DER}, []string{"Config.Proxies[0]", "Config.Headers", "Config.ClientCertFormat Base64DER needs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := New(tt.c)
			if len(tt.want) == 0 {
				if err != nil || tr == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New accepted %+v", tt.c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestFromTrustedProxy(t *testing.T) {
	tr := mustNew(t, Config{Proxies: append(testProxies, "::ffff:172.16.0.9")})
	tests := []struct {
		remote string
		want   bool
	}{
		{"10.1.2.3:443", true},
		{"10.1.2.3", true}, // no port
		{"[::ffff:10.1.2.3]:443", true},
		{"192.0.2.7:1", true},
		{"192.0.2.8:1", false},
		{"172.16.0.9:80", true}, // listed as a mapped address
		{"[2001:db8:1::5]:80", true},
		{"[2001:db8:2::5]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"203.0.113.9:80", false},
		{"@", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := tr.FromTrustedProxy(request(tt.remote)); got != tt.want {
			t.Errorf("FromTrustedProxy(%q) = %v, want %v", tt.remote, got, tt.want)
		}
	}
}

// A nil *Trust, and the zero Config, trust nobody.
func TestNilTrust(t *testing.T) {
	zero := mustNew(t, Config{})
	for _, tr := range []*Trust{nil, zero} {
		r := request("10.0.0.1:80", "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "api.example.com", "X-Client-Cert", "x")
		if tr.FromTrustedProxy(r) {
			t.Error("FromTrustedProxy")
		}
		if got := tr.ClientAddr(r); got != netip.MustParseAddr("10.0.0.1") {
			t.Errorf("ClientAddr = %v", got)
		}
		if o, ok := tr.Origin(r); ok {
			t.Errorf("Origin = %q", o)
		}
		if c, err := tr.ClientCertificate(r); c != nil || err != nil {
			t.Errorf("ClientCertificate = %v, %v", c, err)
		}
	}
}

func TestStrings(t *testing.T) {
	for v, want := range map[interface{ String() string }]string{
		XForwarded: "X-Forwarded-For/-Proto/-Host", RFC7239: "Forwarded (RFC 7239)", Headers(5): "Headers(5)",
		EscapedPEM: "EscapedPEM", XFCC: "XFCC", Base64DER: "Base64DER", CertFormat(0): "CertFormat(0)",
	} {
		if got := v.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
