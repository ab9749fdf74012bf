package forwarded

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets feed the parsers of untrusted input: the address walk
// (X-Forwarded-For and Forwarded), the origin, and the three certificate
// formats. Each asserts invariants beyond "no panic".

// fuzzPeers are the peers a fuzz input picks from: trusted (plain and
// IPv4-mapped), untrusted, and no IP address at all.
var fuzzPeers = []string{"10.0.0.1:80", "[::ffff:10.0.0.1]:80", "[2001:db8:1::1]:80", "203.0.113.9:80", "@"}

// fuzzClient turns a number into an address: IPv4 or IPv6, sometimes
// trusted (10.x, 2001:db8:1::/48).
func fuzzClient(n uint32) netip.Addr {
	if n&1 == 0 {
		return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	}
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(n >> 24), 0, 0, 0, 0, 0, 0, byte(n >> 16), byte(n >> 8), 0, byte(n)})
}

// refWalk is an independent, plain statement of the rule for lists
// without quotes: split everything, walk from the right while the address
// in hand is trusted, stop at what is not an address or after 32 entries.
func refWalk(tr *Trust, peer netip.Addr, lines []string, maxLen int, node func(string) (netip.Addr, bool)) netip.Addr {
	var all []string
	for _, l := range lines {
		all = append(all, strings.Split(l, ",")...)
	}
	client := peer
	for i, n := len(all)-1, 1; i >= 0 && tr.trusted(client); i, n = i-1, n+1 {
		if n > 32 || len(all[i]) > maxLen {
			break
		}
		e := strings.Trim(all[i], " \t")
		if e == "" {
			continue
		}
		a, ok := node(e)
		if !ok {
			break
		}
		client = a
	}
	return client
}

// refXFFNode parses an entry without the package's code.
func refXFFNode(e string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(e); err == nil {
		return a.Unmap(), a.Zone() == ""
	}
	if ap, err := netip.ParseAddrPort(e); err == nil {
		return ap.Addr().Unmap(), ap.Addr().Zone() == ""
	}
	if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
		a, err := netip.ParseAddr(e[1 : len(e)-1])
		return a, err == nil && a.Is6() && a.Zone() == ""
	}
	return netip.Addr{}, false
}

func FuzzXForwardedFor(f *testing.F) {
	seeds := [][2]string{
		{"", "203.0.113.9"},
		{"1.1.1.1, 6.6.6.6", "203.0.113.9, 10.0.0.2"},
		{"10.0.0.3", "10.0.0.2"},
		{"unknown", "10.0.0.2"},
		{`"6.6.6.6`, "[2001:db8::1]:4711, ::ffff:10.0.0.2"},
		{"", " , ,203.0.113.9:4711,,"},
		{"fe80::1%eth0", "_hidden"},
		{strings.Repeat("10.0.0.2,", 40), ""},
	}
	for i, s := range seeds {
		f.Add(s[0], s[1], uint8(i), uint32(0xcb007109))
	}
	tr := mustNew(f, Config{Proxies: testProxies, ClientAddress: true})
	f.Fuzz(func(t *testing.T, attacker, line string, peerSel uint8, n uint32) {
		remote := fuzzPeers[int(peerSel)%len(fuzzPeers)]
		r := request(remote, "X-Forwarded-For", attacker, "X-Forwarded-For", line)
		peer := peerAddr(r)
		got := tr.ClientAddr(r)
		if !tr.trusted(peer) && got != peer {
			t.Fatalf("untrusted peer %s: ClientAddr = %v", remote, got)
		}
		if got.IsValid() && (got.Zone() != "" || got.Is4In6()) {
			t.Fatalf("ClientAddr = %v: zone or mapped", got)
		}
		if !strings.Contains(attacker+line, `"`) {
			if want := refWalk(tr, peer, []string{attacker, line}, maxXFFEntry, refXFFNode); got != want {
				t.Fatalf("ClientAddr = %v, reference %v", got, want)
			}
		}

		// Whatever the client wrote to the left, a client that is not a
		// trusted proxy gets its real address, appended by the proxies.
		client := fuzzClient(n)
		if tr.trusted(client) {
			return
		}
		real := client.String() + ", 10.0.0.2"
		for _, lines := range [][]string{{attacker + "," + real}, {attacker, real}} {
			r := request("10.0.0.1:80")
			for _, l := range lines {
				r.Header.Add("X-Forwarded-For", l)
			}
			if got := tr.ClientAddr(r); got != client {
				t.Fatalf("client %v behind %q: ClientAddr = %v", client, lines, got)
			}
		}
	})
}

// refForwardedNode parses a for= node without the package's code.
func refForwardedNode(v string) (netip.Addr, bool) {
	if strings.HasPrefix(v, "[") {
		host, port, ok := strings.Cut(v[1:], "]")
		a, err := netip.ParseAddr(host)
		return a.Unmap(), ok && err == nil && a.Is6() && a.Zone() == "" && refPort(port)
	}
	host, port, _ := strings.Cut(v, ":")
	if strings.Contains(v, ":") {
		port = ":" + port
	}
	a, err := netip.ParseAddr(host)
	return a, err == nil && a.Is4() && refPort(port)
}

func refPort(p string) bool {
	if p == "" {
		return true
	}
	if !strings.HasPrefix(p, ":") || len(p) < 2 || len(p) > 64 {
		return false
	}
	p = p[1:]
	if p[0] == '_' {
		return len(p) > 1 && strings.Trim(p[1:], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == ""
	}
	_, err := strconv.ParseUint(p, 10, 32)
	return err == nil && len(p) <= 5 && p[0] != '+'
}

func FuzzForwarded(f *testing.F) {
	seeds := [][2]string{
		{"", "for=203.0.113.9;proto=https;host=api.example.com"},
		{"for=6.6.6.6;host=evil.example", `for="[2001:db8:cafe::17]:4711";proto=https;host="api.example.com:8443", for=10.0.0.2`},
		{`for="6.6.6.6`, "for=unknown;proto=https;host=api.example.com"},
		{"for=10.0.0.3;proto=https;host=api.example.com", "for=10.0.0.2;by=10.0.0.1"},
		{`x="a,b"`, `for="_hidden";For=1.2.3.4`},
		{"", `for="203.0.113.9:_p";proto=HTTPS;host=API.example.com:443`},
	}
	for i, s := range seeds {
		f.Add(s[0], s[1], uint8(i), uint32(0xcb007109))
	}
	tr := mustNew(f, Config{Proxies: testProxies, Headers: RFC7239, ClientAddress: true, Origin: true})
	f.Fuzz(func(t *testing.T, attacker, line string, peerSel uint8, n uint32) {
		remote := fuzzPeers[int(peerSel)%len(fuzzPeers)]
		r := request(remote, "Forwarded", attacker, "Forwarded", line)
		peer := peerAddr(r)
		got := tr.ClientAddr(r)
		origin, ok := tr.Origin(r)
		if !tr.trusted(peer) && (got != peer || ok) {
			t.Fatalf("untrusted peer %s: ClientAddr = %v, Origin = %q", remote, got, origin)
		}
		if got.IsValid() && (got.Zone() != "" || got.Is4In6()) {
			t.Fatalf("ClientAddr = %v: zone or mapped", got)
		}
		if ok {
			u, err := url.Parse(origin)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
				u.Path != "" || u.RawQuery != "" || u.Fragment != "" || origin != strings.ToLower(origin) || u.Scheme+"://"+u.Host != origin {
				t.Fatalf("Origin = %q is not a normalized origin", origin)
			}
		}
		// Lists of simple elements (for= only, no quotes) against the
		// reference walk.
		simple := func(s string) bool {
			for _, e := range strings.Split(s, ",") {
				e = strings.Trim(e, " \t")
				if e != "" && (!strings.HasPrefix(strings.ToLower(e), "for=") || strings.ContainsAny(e[4:], "\"; \t=")) {
					return false
				}
			}
			return true
		}
		if simple(attacker) && simple(line) {
			node := func(e string) (netip.Addr, bool) { return refForwardedNode(e[4:]) }
			if want := refWalk(tr, peer, []string{attacker, line}, maxForwardedElement, node); got != want {
				t.Fatalf("ClientAddr = %v, reference %v", got, want)
			}
		}

		// Whatever the client wrote to the left, the proxies' elements
		// decide the address and the origin.
		client := fuzzClient(n)
		if tr.trusted(client) {
			return
		}
		node := client.String()
		if client.Is6() {
			node = `"[` + node + `]:4711"`
		}
		real := "for=" + node + ";proto=https;host=api.example.com, for=10.0.0.2;proto=http;host=backend.internal"
		for _, lines := range [][]string{{attacker + "," + real}, {attacker, real}} {
			r := request("10.0.0.1:80")
			for _, l := range lines {
				r.Header.Add("Forwarded", l)
			}
			if got := tr.ClientAddr(r); got != client {
				t.Fatalf("client %v behind %q: ClientAddr = %v", client, lines, got)
			}
			if o, ok := tr.Origin(r); o != "https://api.example.com" || !ok {
				t.Fatalf("behind %q: Origin = %q, %v", lines, o, ok)
			}
		}
	})
}

// certTrust is a Trust reading header h in format f from 10.0.0.0/8.
func certTrust(t testing.TB, f CertFormat) *Trust {
	return mustNew(t, Config{Proxies: testProxies, ClientCertHeader: "X-Cert", ClientCertFormat: f})
}

// checkCertResult asserts what every format promises: an error wraps
// ErrInvalidHeader and comes without a certificate; a certificate is what
// x509.ParseCertificate makes of its DER.
func checkCertResult(t *testing.T, c *x509.Certificate, err error) {
	t.Helper()
	if err != nil {
		if c != nil || !errors.Is(err, ErrInvalidHeader) {
			t.Fatalf("certificate %v with error %v", c != nil, err)
		}
		return
	}
	if c != nil {
		again, err := x509.ParseCertificate(c.Raw)
		if err != nil || !again.Equal(c) {
			t.Fatalf("returned certificate does not re-parse: %v", err)
		}
	}
}

// sameAsDER asserts that decoding a proxy's encoding of der gives exactly
// x509.ParseCertificate(der): the certificate when it parses, an error when
// it does not.
func sameAsDER(t *testing.T, der []byte, c *x509.Certificate, err error) {
	t.Helper()
	want, werr := x509.ParseCertificate(der)
	switch {
	case werr != nil && err == nil:
		t.Fatalf("accepted DER that x509.ParseCertificate refuses (%v)", werr)
	case werr == nil && err != nil:
		t.Fatalf("refused a valid certificate: %v", err)
	case werr == nil && (c == nil || !bytes.Equal(c.Raw, der) || !c.Equal(want)):
		t.Fatal("certificate differs from x509.ParseCertificate's")
	}
}

func fuzzDERSeeds(f *testing.F) [][]byte {
	c := newCert(f, "fuzz")
	return [][]byte{c.Raw, c.Raw[:len(c.Raw)-1], append(append([]byte{}, c.Raw...), 0), {0x30, 0x03, 0x02, 0x01, 0x01}, nil}
}

func FuzzEscapedPEM(f *testing.F) {
	for i, der := range fuzzDERSeeds(f) {
		f.Add(nginxValue(der), der)
		f.Add(url.PathEscape(pemOf(der)), der)
		f.Add([]string{"", "-", "garbage", "%", "%0A-----BEGIN CERTIFICATE-----%0A%0A-----END CERTIFICATE-----"}[i], der)
	}
	tr := certTrust(f, EscapedPEM)
	f.Fuzz(func(t *testing.T, value string, der []byte) {
		c, err := tr.ClientCertificate(request("10.0.0.1:80", "X-Cert", value))
		checkCertResult(t, c, err)
		if c != nil {
			// The same certificate as an independent decoding.
			s, _ := url.PathUnescape(strings.Trim(value, " \t"))
			block, _ := pem.Decode([]byte(s))
			if block == nil || !bytes.Equal(block.Bytes, c.Raw) {
				t.Fatal("certificate differs from the PEM block's DER")
			}
		}
		c, err = tr.ClientCertificate(request("10.0.0.1:80", "X-Cert", nginxValue(der)))
		sameAsDER(t, der, c, err)
	})
}

func FuzzBase64DER(f *testing.F) {
	for i, der := range fuzzDERSeeds(f) {
		f.Add(traefikValue(der, der), der)
		f.Add(base64.StdEncoding.EncodeToString(der), der)
		f.Add([]string{"", "!!", "%2", "QUJD,", " , "}[i], der)
	}
	tr := certTrust(f, Base64DER)
	f.Fuzz(func(t *testing.T, value string, der []byte) {
		c, err := tr.ClientCertificate(request("10.0.0.1:80", "X-Cert", value))
		checkCertResult(t, c, err)
		if c != nil {
			s, _ := url.PathUnescape(strings.Trim(value, " \t"))
			first, _, _ := strings.Cut(s, ",")
			raw, err := base64.StdEncoding.DecodeString(strings.Trim(first, " \t"))
			if err != nil || !bytes.Equal(raw, c.Raw) {
				t.Fatal("certificate differs from the first base64 DER")
			}
		}
		b64 := base64.StdEncoding.EncodeToString(der)
		for _, v := range []string{traefikValue(der), traefikValue(der, []byte("chain")), url.QueryEscape(b64 + "," + b64), b64} {
			c, err := tr.ClientCertificate(request("10.0.0.1:80", "X-Cert", v))
			if len(der) == 0 {
				if c != nil {
					t.Fatal("a certificate from an empty DER")
				}
				continue
			}
			sameAsDER(t, der, c, err)
		}
	})
}

func FuzzXFCC(f *testing.F) {
	for i, der := range fuzzDERSeeds(f) {
		f.Add(xfccElement(der), der, uint8(i))
		f.Add(`By=x;Subject="a,`, der, uint8(i+1))
		f.Add([]string{"URI=spiffe://x", `Cert="`, "Hash=00", ",,", `a="\"`}[i], der, uint8(i+2))
	}
	tr := certTrust(f, XFCC)
	f.Fuzz(func(t *testing.T, attacker string, der []byte, mode uint8) {
		c, err := tr.ClientCertificate(request("10.0.0.1:80", "X-Cert", attacker))
		checkCertResult(t, c, err)

		// The proxy's element after whatever the client wrote: only the
		// proxy's element decides, and Hash must match Cert.
		var hash string
		switch mode % 3 {
		case 0:
			hash = "Hash=" + hashHex(der) + ";"
		case 1: // no Hash
		case 2:
			h := []byte(hashHex(der))
			h[0] ^= 1 // '0'..'9','a'..'f' stay hex
			hash = "Hash=" + string(h) + ";"
		}
		elem := "By=spiffe://cluster.local/ns/edge/sa/envoy;" + hash + `Cert="` + escapeAll(pemOf(der)) + `"`
		for _, lines := range [][]string{{attacker + "," + elem}, {attacker, elem}} {
			r := request("10.0.0.1:80")
			for _, l := range lines {
				r.Header.Add("X-Cert", l)
			}
			c, err := tr.ClientCertificate(r)
			checkCertResult(t, c, err)
			if unquotedSANKey(attacker) != "" {
				if err == nil {
					t.Fatal("URI= or DNS= accepted")
				}
				continue
			}
			if mode%3 == 2 {
				if err == nil {
					t.Fatal("Hash mismatch accepted")
				}
				continue
			}
			sameAsDER(t, der, c, err)
		}
	})
}
