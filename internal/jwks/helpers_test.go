package jwks

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/internal/memhttp"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// testKey is a signing key with its kid.
type testKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

func newEdKey(t testing.TB, kid string) testKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, alg: "EdDSA", priv: priv}
}

// jwksJSON publishes the public parts of keys; extra members are merged
// into every key (e.g. "use": "enc").
func jwksJSON(t testing.TB, keys []testKey, extra map[string]any) []byte {
	t.Helper()
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := jwk.FromRaw(k.priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		_ = pub.Set(jwk.KeyIDKey, k.kid)
		_ = pub.Set(jwk.AlgorithmKey, k.alg)
		for name, v := range extra {
			_ = pub.Set(name, v)
		}
		_ = set.AddKey(pub)
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serveBody answers 200 with body and the given headers (k, v pairs).
func serveBody(body []byte, hdr ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		_, _ = w.Write(body)
	}
}

// endpoint is a JWKS or discovery endpoint whose answer the test controls
// and whose hits it counts (with their times).
type endpoint struct {
	hits  atomic.Int64
	mu    sync.Mutex
	serve http.HandlerFunc
	times []time.Time
}

func (e *endpoint) Set(serve http.HandlerFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.serve = serve
}

func (e *endpoint) Times() []time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Time(nil), e.times...)
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.hits.Add(1)
	e.mu.Lock()
	e.times = append(e.times, time.Now())
	h := e.serve
	e.mu.Unlock()
	h(w, r)
}

// newServer starts a real HTTP server (loopback) for the endpoint.
func newServer(t *testing.T, serve http.HandlerFunc) (*endpoint, string) {
	t.Helper()
	e := &endpoint{serve: serve}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv.URL + "/jwks.json"
}

// memTransport serves requests in memory through a handler (no sockets,
// so synctest bubbles advance their clocks while handlers block).
type memTransport = memhttp.Transport

// memConfig is a Config whose client serves every request from e in
// memory; use https URLs with it.
func memConfig(e http.Handler, log *slog.Logger) Config {
	return Config{Client: &http.Client{Transport: memTransport{Handler: e}}, Log: log}
}

const memJWKS = "https://idp.test/jwks.json"

// logBuffer collects log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Lines returns the log lines containing every one of the words.
func (l *logBuffer) Lines(words ...string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		ok := line != ""
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// start makes a source and closes it at the end of the test.
func start(t *testing.T, cfg Config, jwksURL string) *Source {
	t.Helper()
	s, err := New(cfg, jwksURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func mustReady(t *testing.T, s *Source) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

// hasKid reports whether the current set holds kid.
func hasKid(s *Source, kid string) bool {
	ks, err := s.Current()
	return err == nil && ks.HasKid(kid)
}

// waitFor polls cond (real time) until it holds, failing after a generous
// deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
