package tlstest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestServer(t *testing.T) {
	t.Parallel()
	s, err := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Host+r.URL.Path)
	}), "acme.eu.auth0.com", "www.googleapis.com", "127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)

	for _, tc := range []struct {
		url, body, err string
	}{
		{url: "https://acme.eu.auth0.com/.well-known/jwks.json", body: "acme.eu.auth0.com/.well-known/jwks.json"},
		{url: "https://www.googleapis.com:8443/oauth2/v3/certs", body: "www.googleapis.com:8443/oauth2/v3/certs"},
		{url: "https://127.0.0.2/keys", body: "127.0.0.2/keys"},
		{url: "https://evil.example.com/keys", err: "evil.example.com is not served by the local TLS server (it answers for acme.eu.auth0.com, www.googleapis.com, 127.0.0.2)"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			resp, err := s.Client().Get(tc.url)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tc.body {
				t.Fatalf("body %q, want %q", b, tc.body)
			}
		})
	}

	// The certificate is checked: another client does not trust it.
	if _, err := http.Get(s.srv.URL); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("default client: %v, want a certificate error", err)
	}
}

func TestNewServerRefusesBadHosts(t *testing.T) {
	t.Parallel()
	for _, hosts := range [][]string{nil, {""}, {"https://acme.example"}, {"acme.example:443"}, {"acme.example/x"}} {
		if s, err := NewServer(http.NotFoundHandler(), hosts...); err == nil {
			s.Close()
			t.Errorf("NewServer(%q) accepted", hosts)
		}
	}
}
