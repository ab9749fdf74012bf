package forwarded

import "testing"

func TestOriginXForwarded(t *testing.T) {
	tr := mustNew(t, Config{Proxies: testProxies, Origin: true})
	const (
		xfp = "X-Forwarded-Proto"
		xfh = "X-Forwarded-Host"
	)
	tests := []struct {
		name   string
		remote string
		header []string
		want   string // "" = not known
	}{
		{"trusted proxy", "10.0.0.1:80", []string{xfp, "https", xfh, "api.example.com"}, "https://api.example.com"},
		{"untrusted peer", "203.0.113.9:80", []string{xfp, "https", xfh, "api.example.com"}, ""},
		{"normalized", "10.0.0.1:80", []string{xfp, "HTTPS", xfh, "API.Example.COM:443"}, "https://api.example.com"},
		{"http default port", "10.0.0.1:80", []string{xfp, "http", xfh, "api.example.com:80"}, "http://api.example.com"},
		{"other port kept", "10.0.0.1:80", []string{xfp, "https", xfh, "api.example.com:8443"}, "https://api.example.com:8443"},
		{"IPv6 host", "10.0.0.1:80", []string{xfp, "https", xfh, "[2001:DB8::1]:8443"}, "https://[2001:db8::1]:8443"},
		{"IPv4 host", "10.0.0.1:80", []string{xfp, "https", xfh, "192.0.2.10"}, "https://192.0.2.10"},
		{"white space", "10.0.0.1:80", []string{xfp, " https ", xfh, "\tapi.example.com "}, "https://api.example.com"},
		{"no host", "10.0.0.1:80", []string{xfp, "https"}, ""},
		{"no proto", "10.0.0.1:80", []string{xfh, "api.example.com"}, ""},
		{"appended proto list", "10.0.0.1:80", []string{xfp, "http, https", xfh, "api.example.com"}, ""},
		{"appended host list", "10.0.0.1:80", []string{xfp, "https", xfh, "evil.example, api.example.com"}, ""},
		{"two host lines", "10.0.0.1:80", []string{xfp, "https", xfh, "evil.example", xfh, "api.example.com"}, ""},
		{"other scheme", "10.0.0.1:80", []string{xfp, "ftp", xfh, "api.example.com"}, ""},
		{"path in host", "10.0.0.1:80", []string{xfp, "https", xfh, "api.example.com/evil"}, ""},
		{"userinfo in host", "10.0.0.1:80", []string{xfp, "https", xfh, "user@api.example.com"}, ""},
		{"percent in host", "10.0.0.1:80", []string{xfp, "https", xfh, "api%2eexample.com"}, ""},
		{"bad port", "10.0.0.1:80", []string{xfp, "https", xfh, "api.example.com:99999"}, ""},
		{"port zero", "10.0.0.1:80", []string{xfp, "https", xfh, "api.example.com:0"}, ""},
		{"leading zero port", "10.0.0.1:80", []string{xfp, "https", xfh, "api.example.com:0443"}, ""},
		{"empty port removed (RFC 3986 §6.2.3)", "10.0.0.1:80", []string{xfp, "https", xfh, "api.example.com:"}, "https://api.example.com"},
		{"IPv6 zone", "10.0.0.1:80", []string{xfp, "https", xfh, "[fe80::1%25eth0]"}, ""},
		{"unbracketed IPv6", "10.0.0.1:80", []string{xfp, "https", xfh, "2001:db8::1"}, ""},
		{"Forwarded is not read with XForwarded", "10.0.0.1:80", []string{"Forwarded", "proto=https;host=api.example.com"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tr.Origin(request(tt.remote, tt.header...))
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Origin = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestOriginForwarded(t *testing.T) {
	tr := mustNew(t, Config{Proxies: testProxies, Headers: RFC7239, Origin: true})
	const fwd = "Forwarded"
	tests := []struct {
		name   string
		remote string
		header []string
		want   string
	}{
		{"one proxy", "10.0.0.1:80", []string{fwd, "for=203.0.113.9;proto=https;host=api.example.com"}, "https://api.example.com"},
		{"untrusted peer", "203.0.113.9:80", []string{fwd, "for=203.0.113.9;proto=https;host=api.example.com"}, ""},
		{"quoted host", "10.0.0.1:80", []string{fwd, `for=203.0.113.9;proto=https;host="[2001:db8::1]:8443"`}, "https://[2001:db8::1]:8443"},
		{"the element naming the client, not the inner hop's",
			"10.0.0.1:80", []string{fwd, "for=203.0.113.9;proto=https;host=api.example.com, for=10.0.0.2;proto=http;host=backend.internal"}, "https://api.example.com"},
		{"client-injected element left of the proxy's",
			"10.0.0.1:80", []string{fwd, "for=6.6.6.6;proto=http;host=evil.example, for=203.0.113.9;proto=https;host=api.example.com"}, "https://api.example.com"},
		{"client hidden by a trusted proxy: its element",
			"10.0.0.1:80", []string{fwd, "for=unknown;proto=https;host=api.example.com"}, "https://api.example.com"},
		{"every hop trusted: the left-most element",
			"10.0.0.1:80", []string{fwd, "for=10.0.0.3;proto=https;host=api.example.com, for=10.0.0.2;proto=http;host=backend"}, "https://api.example.com"},
		{"no host", "10.0.0.1:80", []string{fwd, "for=203.0.113.9;proto=https"}, ""},
		{"no proto", "10.0.0.1:80", []string{fwd, "for=203.0.113.9;host=api.example.com"}, ""},
		{"duplicate host", "10.0.0.1:80", []string{fwd, "for=203.0.113.9;proto=https;host=a.example;host=b.example"}, ""},
		{"malformed element", "10.0.0.1:80", []string{fwd, `for=203.0.113.9;proto=https;host="api.example.com`}, ""},
		{"X-Forwarded-* not read with RFC7239", "10.0.0.1:80", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "api.example.com"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tr.Origin(request(tt.remote, tt.header...))
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Origin = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// Without Config.Origin nothing is believed.
func TestOriginOff(t *testing.T) {
	tr := mustNew(t, Config{Proxies: testProxies, ClientAddress: true})
	if o, ok := tr.Origin(request("10.0.0.1:80", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "api.example.com")); ok {
		t.Errorf("Origin = %q", o)
	}
}
