package jwks

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeResolver resolves every name to ip (A records; AAAA queries get no
// answer) through an in-memory DNS server.
func fakeResolver(ip net.IP) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		client, server := net.Pipe() // not a PacketConn: the resolver uses TCP framing
		go serveDNS(server, ip)
		return client, nil
	}}
}

func serveDNS(conn net.Conn, ip net.IP) {
	defer conn.Close()
	for {
		var n [2]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(conn, q); err != nil || len(q) < 17 {
			return
		}
		i := 12 // the question name: labels up to a zero byte
		for i < len(q) && q[i] != 0 {
			i += int(q[i]) + 1
		}
		if i+5 > len(q) {
			return
		}
		qtype := binary.BigEndian.Uint16(q[i+1:])
		resp := append([]byte(nil), q[:i+5]...)
		resp[2], resp[3] = 0x81, 0x80 // response, RD, RA, NOERROR
		binary.BigEndian.PutUint16(resp[6:], 0)
		binary.BigEndian.PutUint16(resp[8:], 0)
		binary.BigEndian.PutUint16(resp[10:], 0)
		if qtype == 1 {
			binary.BigEndian.PutUint16(resp[6:], 1)
			resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
			resp = append(resp, ip.To4()...)
		}
		if _, err := conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(resp))), resp...)); err != nil {
			return
		}
	}
}

// Item 6 with the default client: a *.localhost name that resolves to a
// non-loopback address is refused before any connection, by the dialer's
// check on the address actually dialed; one that resolves to 127.0.0.1
// works.
func TestItem6LocalhostNameResolvedElsewhereRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	u := "http://foo.localhost:" + port + "/jwks.json"

	cfg := Config{resolver: fakeResolver(net.ParseIP("127.0.0.1"))}
	s := start(t, cfg, u)
	mustReady(t, s)

	// 192.0.2.1 (TEST-NET-1) would never answer: a refusal must come from
	// the check, before connecting, so it is immediate.
	cfg = Config{resolver: fakeResolver(net.ParseIP("192.0.2.1")), FetchTimeout: 30 * time.Second}
	s = start(t, cfg, u)
	waitFor(t, "the first fetch", func() bool { return s.LastError() != nil })
	if err := s.LastError(); !errors.Is(err, ErrPlainHTTP) || !strings.Contains(err.Error(), "192.0.2.1") {
		t.Fatalf("LastError = %v, want a refusal to dial 192.0.2.1", err)
	}
	if _, err := s.Current(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Current = %v", err)
	}
}

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:80": true, "127.8.9.10:1": true, "[::1]:443": true, "[::ffff:127.0.0.1]:80": true,
		"192.0.2.1:80": false, "10.0.0.1:80": false, "[::]:80": false, "0.0.0.0:80": false, "[fe80::1]:80": false,
		"localhost:80": false, "foo.localhost:80": false, "": false,
	} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v", addr, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url      string
		insecure bool
		wantErr  string // "" = accepted
	}{
		{url: "https://idp.example.com/jwks.json"},
		{url: "https://127.0.0.1/jwks.json"},
		{url: "http://127.0.0.1:8080/jwks.json"},
		{url: "http://127.1.2.3/jwks.json"},
		{url: "http://[::1]:8080/jwks.json"},
		{url: "http://localhost:8080/jwks.json"},
		{url: "http://LOCALHOST./jwks.json"},
		{url: "http://idp.localhost/jwks.json"},
		{url: "http://idp.example.com/jwks.json", insecure: true},
		{url: "http://idp.example.com/jwks.json", wantErr: "InsecureHTTP"},
		{url: "http://192.0.2.1/jwks.json", wantErr: "loopback"},
		{url: "http://localhost.example.com/jwks.json", wantErr: "loopback"},
		{url: "http://[::]/jwks.json", wantErr: "loopback"},
		{url: "ftp://idp.example.com/jwks.json", wantErr: "https"},
		{url: "file:///etc/jwks.json", wantErr: "no host"},
		{url: "https://user:pass@idp.example.com/jwks.json", wantErr: "credentials"},
		{url: "https:///jwks.json", wantErr: "no host"},
		{url: "https://idp.example.com/%zz", wantErr: "invalid URL"},
	}
	for _, c := range cases {
		_, err := CheckURL(c.url, c.insecure)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("CheckURL(%q, %v) = %v", c.url, c.insecure, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("CheckURL(%q, %v) = %v, want an error mentioning %q", c.url, c.insecure, err, c.wantErr)
		}
	}
}

// The caller's client is copied, never modified.
func TestCallerClientNotModified(t *testing.T) {
	t.Parallel()
	tr := &http.Transport{}
	c := &http.Client{Transport: tr, Timeout: time.Minute}
	s := start(t, Config{Client: c}, "http://127.0.0.1:1/jwks.json")
	s.Close()
	if c.Transport != tr || c.CheckRedirect != nil || c.Timeout != time.Minute || tr.DialContext != nil || tr.Proxy != nil {
		t.Fatal("the caller's client or transport was modified")
	}
}
