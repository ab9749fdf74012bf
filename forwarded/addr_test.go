package forwarded

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddrXForwardedFor(t *testing.T) {
	tr := mustNew(t, Config{Proxies: testProxies, ClientAddress: true})
	const xff = "X-Forwarded-For"
	many := strings.Repeat("10.0.0.2, ", 40)
	tests := []struct {
		name   string
		remote string
		header []string
		want   string // "" = the zero Addr
	}{
		{"direct client", "203.0.113.9:5555", nil, "203.0.113.9"},
		{"spoofed header from an untrusted peer is ignored", "203.0.113.9:5555", []string{xff, "198.51.100.1"}, "203.0.113.9"},
		{"trusted proxy without header: the proxy", "10.0.0.1:80", nil, "10.0.0.1"},
		{"one proxy", "10.0.0.1:80", []string{xff, "203.0.113.9"}, "203.0.113.9"},
		{"client prepends fake addresses", "10.0.0.1:80", []string{xff, "1.1.1.1, 6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"client prepends a trusted-looking address", "10.0.0.1:80", []string{xff, "10.9.9.9, 203.0.113.9"}, "203.0.113.9"},
		{"two proxies", "10.0.0.1:80", []string{xff, "6.6.6.6, 203.0.113.9, 10.0.0.2"}, "203.0.113.9"},
		{"several lines are one list, in order", "10.0.0.1:80", []string{xff, "6.6.6.6, 203.0.113.9", xff, "10.0.0.2"}, "203.0.113.9"},
		{"client's own line first", "10.0.0.1:80", []string{xff, "6.6.6.6", xff, "203.0.113.9, 10.0.0.2"}, "203.0.113.9"},
		{"every hop trusted: the left-most", "10.0.0.1:80", []string{xff, "10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"unknown stops the walk at the last trusted hop", "10.0.0.1:80", []string{xff, "6.6.6.6, unknown, 10.0.0.2"}, "10.0.0.2"},
		{"garbage right-most: the peer", "10.0.0.1:80", []string{xff, "6.6.6.6, not-an-ip"}, "10.0.0.1"},
		{"obfuscated identifier", "10.0.0.1:80", []string{xff, "6.6.6.6, _hidden"}, "10.0.0.1"},
		{"zone is not an address", "10.0.0.1:80", []string{xff, "6.6.6.6, fe80::1%eth0"}, "10.0.0.1"},
		{"quoted entry is not an address", "10.0.0.1:80", []string{xff, `6.6.6.6, "203.0.113.9"`}, "10.0.0.1"},
		{"unclosed quote on the client's side", "10.0.0.1:80", []string{xff, `"6.6.6.6, 203.0.113.9`}, "203.0.113.9"},
		{"mapped peer matches an IPv4 prefix", "[::ffff:10.0.0.1]:80", []string{xff, "203.0.113.9"}, "203.0.113.9"},
		{"mapped entries are unmapped", "10.0.0.1:80", []string{xff, "::ffff:203.0.113.9, ::ffff:10.0.0.2"}, "203.0.113.9"},
		{"IPv6 entries", "[2001:db8:1::1]:80", []string{xff, "2001:db8:99::1, 2001:db8:1::2"}, "2001:db8:99::1"},
		{"bracketed IPv6 with port", "10.0.0.1:80", []string{xff, "[2001:db8:99::1]:4711"}, "2001:db8:99::1"},
		{"bracketed IPv6", "10.0.0.1:80", []string{xff, "[2001:db8:99::1]"}, "2001:db8:99::1"},
		{"bracketed IPv4 is not an address", "10.0.0.1:80", []string{xff, "[203.0.113.9]"}, "10.0.0.1"},
		{"IPv4 with port", "10.0.0.1:80", []string{xff, "203.0.113.9:4711"}, "203.0.113.9"},
		{"empty elements and white space", "10.0.0.1:80", []string{xff, " ,\t203.0.113.9 ,, "}, "203.0.113.9"},
		{"empty line", "10.0.0.1:80", []string{xff, "203.0.113.9", xff, ""}, "203.0.113.9"},
		{"at most 32 hops: the last trusted one read", "10.0.0.1:80", []string{xff, "6.6.6.6, " + many}, "10.0.0.2"},
		{"an over-long entry stops the walk", "10.0.0.1:80", []string{xff, "6.6.6.6, " + strings.Repeat(" ", 300) + "10.0.0.2"}, "10.0.0.1"},
		{"a huge client part does not hide the proxy's entries", "10.0.0.1:80", []string{xff, strings.Repeat("6.6.6.6,", 100000) + "203.0.113.9"}, "203.0.113.9"},
		{"Forwarded is not read with XForwarded", "10.0.0.1:80", []string{"Forwarded", "for=203.0.113.9"}, "10.0.0.1"},
		{"peer without port", "10.0.0.1", []string{xff, "203.0.113.9"}, "203.0.113.9"},
		{"Unix socket peer", "@", []string{xff, "203.0.113.9"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tr.ClientAddr(request(tt.remote, tt.header...))
			var want netip.Addr
			if tt.want != "" {
				want = netip.MustParseAddr(tt.want)
			}
			if got != want {
				t.Errorf("ClientAddr = %v, want %v", got, want)
			}
		})
	}
}

func TestClientAddrForwarded(t *testing.T) {
	tr := mustNew(t, Config{Proxies: testProxies, Headers: RFC7239, ClientAddress: true})
	const fwd = "Forwarded"
	tests := []struct {
		name   string
		remote string
		header []string
		want   string
	}{
		{"spoofed header from an untrusted peer is ignored", "203.0.113.9:5555", []string{fwd, "for=198.51.100.1"}, "203.0.113.9"},
		{"one proxy", "10.0.0.1:80", []string{fwd, "for=203.0.113.9;proto=https;host=api.example.com"}, "203.0.113.9"},
		{"keys are case-insensitive", "10.0.0.1:80", []string{fwd, "For=203.0.113.9"}, "203.0.113.9"},
		{"quoted IPv6 with port (RFC 7239 §7.4)", "10.0.0.1:80", []string{fwd, `for="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"unquoted bracketed IPv6", "10.0.0.1:80", []string{fwd, `for=[2001:db8:cafe::17]`}, "2001:db8:cafe::17"},
		{"quoted IPv4 with port", "10.0.0.1:80", []string{fwd, `for="203.0.113.9:4711"`}, "203.0.113.9"},
		{"obfuscated port", "10.0.0.1:80", []string{fwd, `for="203.0.113.9:_p1"`}, "203.0.113.9"},
		{"client prepends elements", "10.0.0.1:80", []string{fwd, "for=6.6.6.6, for=1.1.1.1, for=203.0.113.9"}, "203.0.113.9"},
		{"two proxies", "10.0.0.1:80", []string{fwd, "for=6.6.6.6, for=203.0.113.9;by=10.0.0.2, for=10.0.0.2;by=10.0.0.1"}, "203.0.113.9"},
		{"several lines", "10.0.0.1:80", []string{fwd, "for=6.6.6.6", fwd, "for=203.0.113.9, for=10.0.0.2"}, "203.0.113.9"},
		{"every hop trusted: the left-most", "10.0.0.1:80", []string{fwd, "for=10.0.0.3, for=10.0.0.2"}, "10.0.0.3"},
		{"unknown stops at the last trusted hop", "10.0.0.1:80", []string{fwd, "for=6.6.6.6, for=unknown, for=10.0.0.2"}, "10.0.0.2"},
		{"obfuscated node stops", "10.0.0.1:80", []string{fwd, `for=6.6.6.6, for="_hidden"`}, "10.0.0.1"},
		{"no for= stops", "10.0.0.1:80", []string{fwd, "for=6.6.6.6, proto=https"}, "10.0.0.1"},
		{"unbracketed IPv6 is refused (RFC 7239 §6)", "10.0.0.1:80", []string{fwd, `for="2001:db8::1"`}, "10.0.0.1"},
		{"duplicate for= is malformed", "10.0.0.1:80", []string{fwd, "for=6.6.6.6;for=203.0.113.9"}, "10.0.0.1"},
		{"malformed pair", "10.0.0.1:80", []string{fwd, "for"}, "10.0.0.1"},
		{"unclosed quote in the client's line", "10.0.0.1:80", []string{fwd, `for="6.6.6.6`, fwd, "for=203.0.113.9"}, "203.0.113.9"},
		{"unclosed quote left in the same line", "10.0.0.1:80", []string{fwd, `for="6.6.6.6, for=203.0.113.9`}, "203.0.113.9"},
		{"quoted comma in the client's part", "10.0.0.1:80", []string{fwd, `for=1.1.1.1;x="a,b", for=203.0.113.9`}, "203.0.113.9"},
		{"X-Forwarded-For is not read with RFC7239", "10.0.0.1:80", []string{"X-Forwarded-For", "203.0.113.9"}, "10.0.0.1"},
		{"mixing: only Forwarded counts", "10.0.0.1:80", []string{"X-Forwarded-For", "6.6.6.6", fwd, "for=203.0.113.9"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tr.ClientAddr(request(tt.remote, tt.header...))
			if want := netip.MustParseAddr(tt.want); got != want {
				t.Errorf("ClientAddr = %v, want %v", got, want)
			}
		})
	}
}

// Without Config.ClientAddress the address is the peer's, whatever the
// headers say.
func TestClientAddrOff(t *testing.T) {
	tr := mustNew(t, Config{Proxies: testProxies})
	r := request("10.0.0.1:80", "X-Forwarded-For", "203.0.113.9", "Forwarded", "for=203.0.113.9")
	if got := tr.ClientAddr(r); got != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("ClientAddr = %v", got)
	}
}

func TestLastElement(t *testing.T) {
	tests := []struct {
		s     string
		max   int
		comma int
		ok    bool
	}{
		{"a", 10, -1, true},
		{"a,b", 10, 1, true},
		{`a,"b,c"`, 10, 1, true},
		{`a,"b\",c"`, 10, 1, true},
		{`a,"b\\",c`, 10, 7, true},
		{`a,x="b\\\"c,d"`, 20, 1, true},
		{`"b`, 10, 0, false},
		{`b"`, 10, 0, false},
		{"a,bbbbbbbbbbb", 10, 0, false},
		{"a,bbbbbbbbbb", 10, 1, true},
		{"bbbbbbbbbbb", 10, 0, false},
		{"", 10, -1, true},
	}
	for _, tt := range tests {
		comma, ok := lastElement(tt.s, tt.max)
		if comma != tt.comma || ok != tt.ok {
			t.Errorf("lastElement(%q, %d) = %d, %v; want %d, %v", tt.s, tt.max, comma, ok, tt.comma, tt.ok)
		}
	}
}

func TestPairs(t *testing.T) {
	tests := []struct {
		elem string
		want string // "k=v|k=v", or "!" for malformed
	}{
		{"for=1.2.3.4;proto=https", "for=1.2.3.4|proto=https"},
		{" for=1.2.3.4 ; ;by=x ", "for=1.2.3.4|by=x"},
		{`Subject="CN=a\,b;c=\"d\"";URI=spiffe://x/y`, `Subject=CN=a,b;c="d"|URI=spiffe://x/y`},
		{`k=`, "k="},
		{`k="a"b`, "!"},
		{`k="a`, "!"},
		{`k=a"b`, "!"},
		{`k=a b`, "!"},
		{`=v`, "!"},
		{`k`, "!"},
		{`k k=v`, "!"},
		{`k="a\"`, "!"},
	}
	for _, tt := range tests {
		var got []string
		ok := pairs(tt.elem, func(k, v string) bool {
			got = append(got, k+"="+v)
			return true
		})
		s := strings.Join(got, "|")
		if !ok {
			s = "!"
		}
		if s != tt.want {
			t.Errorf("pairs(%q) = %q, want %q", tt.elem, s, tt.want)
		}
	}
}
