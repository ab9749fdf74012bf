package jwks

// Behaviours pinned by the root's jwks_test.go, tested on Source directly.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

func rsaKey(t testing.TB, kid string, bits int) testKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, alg: "RS256", priv: k}
}

// fastRefresh makes background refreshes frequent, for real-HTTP tests.
var fastRefresh = Config{MinRefresh: 20 * time.Millisecond, MaxRefresh: 50 * time.Millisecond}

// A bad response never makes keys usable at start, and never replaces a
// good set mid-run; nothing it offers is ever in the set.
func TestBadResponses(t *testing.T) {
	t.Parallel()
	goodKey := newEdKey(t, "good")
	good := jwksJSON(t, []testKey{goodKey}, nil)
	atk := rsaKey(t, "attacker", 2048)
	attacker, attackerURL := newServer(t, serveBody(jwksJSON(t, []testKey{atk}, nil)))
	huge := append([]byte(`{"keys":[`), bytes.Repeat([]byte(" "), 5<<20)...)
	huge = append(huge, []byte(`]}`)...)
	hugeValid := append(append([]byte{}, good...), bytes.Repeat([]byte(" "), 5<<20)...)
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Error(w, http.StatusText(code), code) }
	}
	secret := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte("s"), 32))
	cases := []struct {
		name  string
		serve http.HandlerFunc
		kid   string // a kid the bad response offers, never to be found
	}{
		{name: "500", serve: status(500)},
		{name: "503", serve: status(503)},
		{name: "404", serve: status(404)},
		{name: "html-page", serve: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(`<!doctype html><html><body>{"keys":[]}</body></html>`))
		}},
		{name: "html-labelled-json", serve: serveBody([]byte("<html><body>oops</body></html>"))},
		{name: "truncated-json", serve: serveBody(good[:len(good)/2])},
		{name: "empty-set", serve: serveBody([]byte(`{"keys":[]}`))},
		{name: "empty-object", serve: serveBody([]byte(`{}`))},
		{name: "null", serve: serveBody([]byte(`null`))},
		{name: "empty-body", serve: serveBody(nil)},
		{name: "5MiB-body", serve: serveBody(huge)},
		{name: "5MiB-valid-set-padded", serve: serveBody(hugeValid)},
		{name: "redirect-to-other-host", serve: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, attackerURL, http.StatusFound)
		}, kid: "attacker"},
		{name: "only-use-enc-keys", serve: serveBody(jwksJSON(t, []testKey{atk}, map[string]any{"use": "enc"})), kid: "attacker"},
		{name: "only-key-ops-encrypt", serve: serveBody(jwksJSON(t, []testKey{atk}, map[string]any{"key_ops": []string{"encrypt"}})), kid: "attacker"},
		{name: "symmetric-key", serve: serveBody([]byte(`{"keys":[{"kty":"oct","kid":"hs","alg":"HS256","k":"` + secret + `"}]}`)), kid: "hs"},
		{name: "weak-rsa-1024", serve: serveBody(jwksJSON(t, []testKey{rsaKey(t, "weak", 1024)}, nil)), kid: "weak"},
		{name: "key-alg-mismatch", serve: serveBody(jwksJSON(t, []testKey{{kid: "attacker", alg: "ES256", priv: atk.priv}}, nil)), kid: "attacker"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			t.Run("at-start", func(t *testing.T) {
				e, u := newServer(t, tc.serve)
				s := start(t, fastRefresh, u)
				waitFor(t, "a few fetch attempts", func() bool { return e.hits.Load() >= 2 })
				if _, err := s.Current(); !errors.Is(err, ErrUnavailable) {
					t.Fatalf("Current = %v, want ErrUnavailable", err)
				}
			})
			t.Run("mid-run", func(t *testing.T) {
				e, u := newServer(t, serveBody(good))
				s := start(t, fastRefresh, u)
				mustReady(t, s)
				before, _ := s.Current()
				e.Set(tc.serve)
				hits := e.hits.Load()
				waitFor(t, "refreshes against the bad response", func() bool { return e.hits.Load() >= hits+3 })
				ks, err := s.Current()
				if err != nil || ks != before || !ks.HasKid("good") {
					t.Fatalf("Current = %v, %v: the good set was replaced", ks, err)
				}
				if tc.kid != "" && ks.HasKid(tc.kid) {
					t.Fatalf("the bad response's key %q is in the set", tc.kid)
				}
				if s.LastError() == nil {
					t.Fatal("LastError is nil after failed refreshes")
				}
			})
		})
	}
	t.Cleanup(func() {
		if n := attacker.hits.Load(); n != 0 {
			t.Errorf("redirect to another host was followed %d times", n)
		}
	})
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	body := jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)
	t.Run("same-host-followed", func(t *testing.T) {
		t.Parallel()
		_, u := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/moved.json" {
				serveBody(body)(w, r)
				return
			}
			http.Redirect(w, r, "/moved.json", http.StatusMovedPermanently)
		})
		s := start(t, Config{}, u)
		mustReady(t, s)
	})
	t.Run("https-to-http-refused", func(t *testing.T) {
		t.Parallel()
		var plainHits atomic.Int64
		var srv *httptest.Server
		srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil {
				plainHits.Add(1)
			}
			http.Redirect(w, r, "http://"+srv.Listener.Addr().String()+"/jwks.json", http.StatusFound)
		}))
		t.Cleanup(srv.Close)
		s := start(t, Config{Client: srv.Client()}, srv.URL+"/jwks.json")
		waitFor(t, "the first fetch", func() bool { return s.LastError() != nil })
		if err := s.LastError(); !strings.Contains(err.Error(), "https to http") {
			t.Fatalf("LastError = %v", err)
		}
	})
	t.Run("redirect-loop-bounded", func(t *testing.T) {
		t.Parallel()
		e, u := newServer(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path, http.StatusFound) })
		s := start(t, Config{}, u)
		waitFor(t, "the first fetch", func() bool { return s.LastError() != nil })
		if n := e.hits.Load(); n > 4 || !strings.Contains(s.LastError().Error(), "redirects") {
			t.Fatalf("%d requests, LastError %v", n, s.LastError())
		}
	})
}

func TestKeyHygiene(t *testing.T) {
	t.Parallel()
	t.Run("private-key-published", func(t *testing.T) {
		t.Parallel()
		leaked := rsaKey(t, "leaked", 2048)
		priv, _ := jwk.FromRaw(leaked.priv)
		_ = priv.Set(jwk.KeyIDKey, "leaked")
		_ = priv.Set(jwk.AlgorithmKey, "RS256")
		set := jwk.NewSet()
		_ = set.AddKey(priv)
		body, _ := json.Marshal(set)
		if !bytes.Contains(body, []byte(`"d":`)) {
			t.Fatal("test JWKS does not hold the private exponent")
		}
		logs := &logBuffer{}
		_, u := newServer(t, serveBody(body))
		s := start(t, Config{Log: logs.Logger()}, u)
		mustReady(t, s)
		ks, _ := s.Current()
		want := mustPublicKey(t, leaked)
		if !ks.HasKid("leaked") || !ks.Keys()[0].Equal(want) {
			t.Fatal("the published private key was not reduced to its public part")
		}
		if !strings.Contains(logs.String(), "private key") {
			t.Fatalf("no warning about the published private key; log:\n%s", logs.String())
		}
		d := base64.RawURLEncoding.EncodeToString(leaked.priv.(*rsa.PrivateKey).D.Bytes())
		if strings.Contains(logs.String(), d) {
			t.Fatal("the private exponent was logged")
		}
	})
	t.Run("use-enc-next-to-sig", func(t *testing.T) {
		t.Parallel()
		var keys []json.RawMessage
		for _, part := range [][]byte{
			jwksJSON(t, []testKey{newEdKey(t, "sig")}, map[string]any{"use": "sig"}),
			jwksJSON(t, []testKey{newEdKey(t, "enc")}, map[string]any{"use": "enc"}),
		} {
			var s struct{ Keys []json.RawMessage }
			_ = json.Unmarshal(part, &s)
			keys = append(keys, s.Keys...)
		}
		body, _ := json.Marshal(map[string]any{"keys": keys})
		_, u := newServer(t, serveBody(body))
		s := start(t, Config{}, u)
		mustReady(t, s)
		if !hasKid(s, "sig") || hasKid(s, "enc") {
			t.Fatal("want the sig key only")
		}
	})
	t.Run("duplicate-kids", func(t *testing.T) {
		t.Parallel()
		_, u := newServer(t, serveBody(jwksJSON(t, []testKey{newEdKey(t, "dup"), newEdKey(t, "dup")}, nil)))
		s := start(t, Config{}, u)
		mustReady(t, s)
		ks, _ := s.Current()
		if len(ks.Keys()) != 2 {
			t.Fatalf("%d keys, want both published keys under the same kid", len(ks.Keys()))
		}
	})
}

func mustPublicKey(t *testing.T, k testKey) *jose.Key {
	t.Helper()
	set := jwksJSON(t, []testKey{k}, nil)
	parsed, err := jwk.Parse(set)
	if err != nil {
		t.Fatal(err)
	}
	return keyFromSet(t, parsed)
}

// Cache-Control max-age sets the background refresh, clamped to
// [MinRefresh, MaxRefresh]; without it DefaultRefresh applies.
func TestCacheControl(t *testing.T) {
	cases := []struct {
		name     string
		cc       string
		min, max time.Duration
		want     time.Duration
	}{
		{"within-bounds", "public, max-age=120", time.Minute, time.Hour, 2 * time.Minute},
		{"above-max", "max-age=7200", time.Minute, time.Hour, time.Hour},
		{"below-min", "max-age=1", time.Minute, time.Hour, time.Minute},
		{"no-store-default", "no-store", time.Minute, time.Hour, 15 * time.Minute},
		{"absent-default", "", time.Minute, time.Hour, 15 * time.Minute},
		{"default-clamped-to-max", "", time.Minute, 5 * time.Minute, 5 * time.Minute},
		{"quoted", `max-age="300"`, time.Minute, time.Hour, 5 * time.Minute},
		{"invalid", "max-age=-5", time.Minute, time.Hour, 15 * time.Minute},
		{"huge", "max-age=99999999999", time.Minute, time.Hour, 15 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := &endpoint{serve: serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil), "Cache-Control", tc.cc)}
				cfg := memConfig(e, nil)
				cfg.MinRefresh, cfg.MaxRefresh = tc.min, tc.max
				s := start(t, cfg, memJWKS)
				mustReady(t, s)
				time.Sleep(3 * tc.want)
				times := e.Times()
				if len(times) < 3 {
					t.Fatalf("%d fetches in %s", len(times), 3*tc.want)
				}
				for i := 1; i < len(times); i++ {
					if d := times[i].Sub(times[i-1]); d != tc.want {
						t.Fatalf("refresh %d after %s, want %s", i, d, tc.want)
					}
				}
			})
		})
	}
}

// Real HTTP: max-age is honoured: the refresh comes no sooner than a second
// after the fetch of a max-age=1 response (not MinRefresh, 10 ms, after
// it). The endpoint's own arrival times are compared, not a sleep of the
// test (a test descheduled for its sleep could see the refresh early).
func TestCacheControlRealHTTP(t *testing.T) {
	t.Parallel()
	e, u := newServer(t, serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil), "Cache-Control", "max-age=1"))
	s := start(t, Config{MinRefresh: 10 * time.Millisecond}, u)
	mustReady(t, s)
	waitFor(t, "the scheduled refresh", func() bool { return e.hits.Load() >= 2 })
	times := e.Times()
	if d := times[1].Sub(times[0]); d < time.Second {
		t.Fatalf("refresh %s after the fetch of a max-age=1 response, want at least 1s", d)
	}
}

// Stale-if-error: the last good set serves up to MaxStale, then Current
// says unavailable; the provider's return restores service.
func TestStaleIfError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		good := serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil))
		e := &endpoint{serve: good}
		cfg := memConfig(e, nil)
		cfg.MaxStale = 10 * time.Minute
		cfg.DefaultRefresh = time.Minute
		s := start(t, cfg, memJWKS)
		mustReady(t, s)
		e.Set(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) })
		time.Sleep(9 * time.Minute)
		if !hasKid(s, "a") {
			t.Fatal("the last good set was dropped within MaxStale")
		}
		time.Sleep(2 * time.Minute)
		_, err := s.Current()
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "503") {
			t.Fatalf("Current beyond MaxStale = %v, want ErrUnavailable naming the last error", err)
		}
		e.Set(good)
		time.Sleep(time.Minute)
		if !hasKid(s, "a") {
			t.Fatal("service not restored")
		}
	})
}

// A hanging provider: each fetch ends at FetchTimeout, 50 concurrent
// unknown kids cost the fetch they join plus at most one deferred fetch and
// are released within gap+FetchTimeout, and known keys keep working.
func TestSlowIdP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &endpoint{serve: serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil))}
		cfg := memConfig(e, nil)
		cfg.FetchTimeout = 2 * time.Second
		s := start(t, cfg, memJWKS)
		mustReady(t, s)
		e.Set(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		time.Sleep(10 * time.Second)
		hits := e.hits.Load()
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				t0 := time.Now()
				s.RefreshUnknownKid(context.Background(), "new")
				if d := time.Since(t0); d > DefaultUnknownKidGap+cfg.FetchTimeout {
					t.Errorf("held %s", d)
				}
			})
		}
		wg.Wait()
		if n := e.hits.Load() - hits; n != 2 {
			t.Fatalf("%d fetches for 50 concurrent unknown kids, want 2 (one started, one deferred to the end of the gap)", n)
		}
		if err := s.LastError(); err == nil || !strings.Contains(err.Error(), "deadline") {
			t.Fatalf("LastError = %v", err)
		}
		if !hasKid(s, "a") {
			t.Fatal("known key lost while the provider hangs")
		}
		// A caller's context bounds the hold too.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		s.RefreshUnknownKid(ctx, "new")
		if d := time.Since(t0); d != 100*time.Millisecond {
			t.Fatalf("held %s with a 100ms context", d)
		}
	})
}

func TestBodyCap(t *testing.T) {
	t.Parallel()
	body := jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)
	_, u := newServer(t, serveBody(body))
	s := start(t, Config{MaxBody: int64(len(body) - 1)}, u)
	waitFor(t, "the first fetch", func() bool { return s.LastError() != nil })
	if !strings.Contains(s.LastError().Error(), "larger than") {
		t.Fatalf("LastError = %v", s.LastError())
	}
	s2 := start(t, Config{MaxBody: int64(len(body))}, u)
	mustReady(t, s2)
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	body := jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)
	var srv *httptest.Server
	var discHits, oldHits atomic.Int64
	var moved atomic.Bool
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/realm/.well-known/openid-configuration":
			discHits.Add(1)
			uri := srv.URL + "/old/jwks"
			if moved.Load() {
				uri = srv.URL + "/new/jwks"
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL + "/realm", "jwks_uri": uri})
		case "/old/jwks":
			oldHits.Add(1)
			if moved.Load() {
				http.NotFound(w, r)
				return
			}
			serveBody(body)(w, r)
		case "/new/jwks":
			serveBody(body)(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	s, err := NewDiscovery(fastRefresh, srv.URL+"/realm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	mustReady(t, s)
	waitFor(t, "refreshes reusing the discovered jwks_uri", func() bool { return oldHits.Load() >= 3 })
	if n := discHits.Load(); n != 1 {
		t.Fatalf("discovery ran %d times while the jwks_uri worked", n)
	}
	// The jwks_uri moves: a failed JWKS fetch runs discovery again.
	moved.Store(true)
	waitFor(t, "rediscovery", func() bool { return discHits.Load() >= 2 && s.LastError() == nil })
	if !hasKid(s, "a") {
		t.Fatal("keys lost across the move")
	}
	// A trailing slash on the configured issuer is not doubled in the URL,
	// and must then be in the document too.
	s2, err := NewDiscovery(Config{}, srv.URL+"/realm/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s2.Close)
	waitFor(t, "the first fetch", func() bool { return s2.LastError() != nil })
	if !strings.Contains(s2.LastError().Error(), "does not equal the configured issuer") {
		t.Fatalf("LastError = %v", s2.LastError())
	}
}

// Concurrent readers during fast rotation (run with -race): the stable key
// is always there, and the set is only ever replaced whole.
func TestConcurrentRotation(t *testing.T) {
	t.Parallel()
	stable := newEdKey(t, "stable")
	bodies := make([][]byte, 4)
	for i := range bodies {
		bodies[i] = jwksJSON(t, []testKey{stable, newEdKey(t, fmt.Sprint("r", i))}, nil)
	}
	var gen atomic.Int64
	e, u := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		serveBody(bodies[gen.Add(1)%int64(len(bodies))])(w, r)
	})
	s := start(t, Config{MinRefresh: time.Millisecond, MaxRefresh: 2 * time.Millisecond, UnknownKidGap: time.Millisecond}, u)
	mustReady(t, s)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 50 {
				ks, err := s.Current()
				if err != nil || !ks.HasKid("stable") || len(ks.Keys()) != 2 {
					t.Errorf("Current = %v, %v", ks, err)
					return
				}
				s.RefreshUnknownKid(context.Background(), "new")
			}
		})
	}
	wg.Wait()
	t.Logf("%d fetches", e.hits.Load())
}

// keyFromSet returns the one key of a parsed set, converted for comparison.
func keyFromSet(t *testing.T, set jwk.Set) *jose.Key {
	t.Helper()
	keys, err := jose.KeysFromSet(set, true, nil)
	if err != nil || len(keys) != 1 {
		t.Fatalf("KeysFromSet = %v, %v", keys, err)
	}
	return keys[0]
}
