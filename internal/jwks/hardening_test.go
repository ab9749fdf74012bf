package jwks

// Tests named after the hardening items of the JWKS client (issue 12).
// Time-based ones run in testing/synctest bubbles with an in-memory
// transport; each area also has a test over real loopback HTTP.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Item 4: a kid published on the JWKS is accepted within 10 s, even right
// after start-up, with at most 2 fetches in all.
func TestItem4NewKidAcceptedWithinSeconds(t *testing.T) {
	for _, after := range []time.Duration{0, time.Second, 4900 * time.Millisecond, 5 * time.Second, 30 * time.Second, 10 * time.Minute} {
		t.Run(fmt.Sprintf("published-%s-after-start", after), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := newEdKey(t, "a"), newEdKey(t, "b")
				e := &endpoint{serve: serveBody(jwksJSON(t, []testKey{a}, nil))}
				s := start(t, memConfig(e, nil), memJWKS)
				mustReady(t, s)
				time.Sleep(after)
				e.Set(serveBody(jwksJSON(t, []testKey{a, b}, nil)))
				published := time.Now()
				// What the root does for a token with an unknown kid.
				if !hasKid(s, "b") {
					s.RefreshUnknownKid(context.Background(), "b")
				}
				if !hasKid(s, "b") {
					t.Fatalf("kid b published %s after start-up: still unknown after the unknown-kid refresh (%d fetches)", after, e.hits.Load())
				}
				if d := time.Since(published); d > 10*time.Second {
					t.Fatalf("kid b accepted %s after publication, want ≤ 10s", d)
				}
				if n := e.hits.Load(); n > 2 {
					t.Fatalf("%d JWKS fetches, want at most 2 (initial load + one)", n)
				}
			})
		})
	}
}

// Item 4: tokens of a rotation arriving together share one fetch.
func TestItem4ConcurrentNewKidShareOneFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newEdKey(t, "a"), newEdKey(t, "b")
		e := &endpoint{serve: serveBody(jwksJSON(t, []testKey{a}, nil))}
		s := start(t, memConfig(e, nil), memJWKS)
		mustReady(t, s)
		time.Sleep(time.Minute)
		e.Set(serveBody(jwksJSON(t, []testKey{a, b}, nil)))
		t0 := time.Now()
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if !hasKid(s, "b") {
					s.RefreshUnknownKid(context.Background(), "b")
				}
				if !hasKid(s, "b") {
					t.Error("new kid still unknown")
				}
			})
		}
		wg.Wait()
		if n := e.hits.Load(); n != 2 {
			t.Fatalf("%d fetches, want 2 (initial + one shared)", n)
		}
		if d := time.Since(t0); d != 0 {
			t.Fatalf("held %s, want no wait beyond the fetch itself", d)
		}
	})
}

// Item 4: a token that found its kid missing just before a fetch loaded
// it, and asks for a refresh just after that fetch ended, is not held for
// another fetch (before, it waited the whole gap for a deferred fetch: the
// 50 tokens above sometimes cost 3 fetches).
func TestItem4KidLoadedBetweenLookAndRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newEdKey(t, "a"), newEdKey(t, "b")
		e := &endpoint{serve: serveBody(jwksJSON(t, []testKey{a}, nil))}
		s := start(t, memConfig(e, nil), memJWKS)
		mustReady(t, s)
		time.Sleep(time.Minute)
		e.Set(serveBody(jwksJSON(t, []testKey{a, b}, nil)))
		if hasKid(s, "b") { // the late token's look
			t.Fatal("kid b known before any refresh")
		}
		s.RefreshUnknownKid(context.Background(), "b") // an earlier token's refresh loads b
		t0 := time.Now()
		s.RefreshUnknownKid(context.Background(), "b") // the late token's refresh
		if d := time.Since(t0); d != 0 {
			t.Fatalf("held %s although the set already holds the kid", d)
		}
		if !hasKid(s, "b") {
			t.Fatal("kid b unknown")
		}
		synctest.Wait()
		if n := e.hits.Load(); n != 2 {
			t.Fatalf("%d fetches, want 2 (initial + one)", n)
		}
	})
}

// Item 4: a flood of 10,000 random kids over 30 s costs at most one fetch
// per UnknownKidGap, every request is released within gap+FetchTimeout, and
// all share the fetches.
func TestItem4UnknownKidFloodOneFetchPerGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &endpoint{serve: serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil))}
		cfg := memConfig(e, nil)
		s := start(t, cfg, memJWKS)
		mustReady(t, s)
		const gap, fetchTimeout = 5 * time.Second, 10 * time.Second // the defaults
		var wg sync.WaitGroup
		var maxHold atomic.Int64
		begin := time.Now()
		for i := range 10_000 {
			wg.Go(func() {
				kid := fmt.Sprintf("random-%d", i)
				t0 := time.Now()
				s.RefreshUnknownKid(context.Background(), kid)
				if d := int64(time.Since(t0)); d > maxHold.Load() {
					maxHold.Store(d)
				}
				if hasKid(s, kid) {
					t.Error("a random kid was found")
				}
			})
			time.Sleep(3 * time.Millisecond)
		}
		wg.Wait()
		elapsed := time.Since(begin)
		times := e.Times()
		if allowed := int(elapsed/gap) + 1; len(times)-1 > allowed {
			t.Fatalf("%d fetches for 10,000 unknown kids over %s, want at most %d (one per %s)", len(times)-1, elapsed, allowed, gap)
		}
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); d < gap {
				t.Fatalf("fetches %d and %d only %s apart, want ≥ %s", i-1, i, d, gap)
			}
		}
		if d := time.Duration(maxHold.Load()); d > gap+fetchTimeout {
			t.Fatalf("a request was held %s, want ≤ %s", d, gap+fetchTimeout)
		}
		t.Logf("%d fetches over %s; longest hold %s", len(times)-1, elapsed, time.Duration(maxHold.Load()))
	})
}

// Item 4 over real HTTP: rotation with a short gap.
func TestItem4RotationRealHTTP(t *testing.T) {
	t.Parallel()
	a, b := newEdKey(t, "a"), newEdKey(t, "b")
	e, u := newServer(t, serveBody(jwksJSON(t, []testKey{a}, nil)))
	s := start(t, Config{UnknownKidGap: 300 * time.Millisecond, FetchTimeout: 5 * time.Second}, u)
	mustReady(t, s)
	e.Set(serveBody(jwksJSON(t, []testKey{a, b}, nil)))
	published := time.Now()
	if !hasKid(s, "b") {
		s.RefreshUnknownKid(context.Background(), "b")
	}
	if !hasKid(s, "b") {
		t.Fatalf("new kid still unknown after the unknown-kid refresh (%d fetches)", e.hits.Load())
	}
	if d := time.Since(published); d > 5*time.Second {
		t.Fatalf("new kid accepted after %s", d)
	}
	if n := e.hits.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// A second unknown kid right after: held for one deferred fetch, not more.
	s.RefreshUnknownKid(context.Background(), "new")
	if n := e.hits.Load(); n != 3 {
		t.Fatalf("%d fetches after a second unknown kid, want 3", n)
	}
}

// Item 5: after Close nothing fetches — no unknown-kid fetch, no kick, no
// deferred fetch, no background refresh — and requests held for a
// deferred fetch are released.
func TestItem5NothingFetchedAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &endpoint{serve: serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil), "Cache-Control", "max-age=60")}
		s, err := New(memConfig(e, nil), memJWKS)
		if err != nil {
			t.Fatal(err)
		}
		mustReady(t, s)
		held := make(chan struct{})
		go func() { // inside the gap: waits for a deferred fetch
			s.RefreshUnknownKid(context.Background(), "new")
			close(held)
		}()
		synctest.Wait()
		s.Close()
		select {
		case <-s.done: // Close returned after the loop ended
		default:
			t.Fatal("Close returned before the background loop ended")
		}
		<-held
		hits := e.hits.Load()
		time.Sleep(2 * time.Minute) // past every gap and the refresh interval
		s.RefreshUnknownKid(context.Background(), "new")
		if _, err := s.Current(); err != nil {
			t.Fatalf("Current after Close: %v (the loaded keys keep working)", err)
		}
		time.Sleep(24 * time.Hour)
		if n := e.hits.Load() - hits; n != 0 {
			t.Fatalf("%d fetches after Close", n)
		}

		// A source that never loaded: Current would kick a fetch.
		down := &endpoint{serve: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) }}
		s2, err := New(memConfig(down, nil), memJWKS)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		s2.Close()
		hits = down.hits.Load()
		time.Sleep(2 * time.Minute)
		if _, err := s2.Current(); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Current = %v, want ErrUnavailable", err)
		}
		s2.RefreshUnknownKid(context.Background(), "new")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s2.Ready(ctx); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Ready after Close = %v, want ErrUnavailable", err)
		}
		time.Sleep(time.Hour)
		if n := down.hits.Load() - hits; n != 0 {
			t.Fatalf("%d fetches after Close of a never-loaded source", n)
		}
		s2.Close() // idempotent
	})
}

// Item 3: a source whose keys never loaded fails fast, retries in the
// background with exponential backoff (250 ms doubling, capped at
// MinRefresh), lets requests kick at most one fetch per second, and
// recovers on the first request after the provider is back.
func TestItem3FailFastWhenNeverLoaded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &endpoint{serve: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "maintenance", 503) }}
		s := start(t, memConfig(e, nil), memJWKS)
		synctest.Wait() // the first load has failed
		t0 := time.Now()
		_, err := s.Current()
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "503") {
			t.Fatalf("Current = %v, want ErrUnavailable naming the last fetch error", err)
		}
		if d := time.Since(t0); d != 0 {
			t.Fatalf("Current waited %s", d)
		}
		if err := s.LastError(); err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("LastError = %v", err)
		}

		time.Sleep(5 * time.Minute) // no traffic: background retries only
		times := e.Times()
		want := 250 * time.Millisecond
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); d != want {
				t.Fatalf("retry %d after %s, want %s (times %v)", i, d, want, times)
			}
			want = min(2*want, time.Minute)
		}
		if len(times) < 12 {
			t.Fatalf("%d attempts in 5 minutes", len(times))
		}

		// Traffic every 10 ms for 10 s: at most one kicked fetch per second.
		hits := e.hits.Load()
		for range 1000 {
			if _, err := s.Current(); !errors.Is(err, ErrUnavailable) {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if n := e.hits.Load() - hits; n < 9 || n > 11 {
			t.Fatalf("%d fetches in 10 s of traffic, want about 10 (one kick per second)", n)
		}

		// The provider comes back: the next request restores service within a second.
		e.Set(serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)))
		time.Sleep(time.Second)
		_, _ = s.Current()
		synctest.Wait()
		if !hasKid(s, "a") {
			t.Fatal("service not restored by the first request after the provider came back")
		}
	})
}

// Item 3 over real HTTP: nothing listens.
func TestItem3UnreachableAtStartRealHTTP(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	u := dead.URL + "/jwks.json"
	dead.Close()
	s := start(t, Config{}, u)
	waitFor(t, "the first failed load", func() bool { return s.LastError() != nil })
	if _, err := s.Current(); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Current = %v, want ErrUnavailable naming the connection error", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Ready(ctx); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Ready = %v", err)
	}
}

// fakeConn is one end of a pipe that claims to be connected to addr.
type fakeConn struct {
	net.Conn
	addr net.Addr
}

func (c fakeConn) RemoteAddr() net.Addr { return c.addr }

// foreignDialer dials nothing: every connection reaches an in-memory HTTP
// server that serves body and claims to be at ip (a non-loopback address,
// as a *.localhost name resolved by a hostile resolver).
func foreignDialer(ip string, body []byte, dials *atomic.Int64) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			br := bufio.NewReader(server)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				_ = req.Body.Close()
				if _, err := server.Write([]byte(resp)); err != nil {
					return
				}
			}
		}()
		return fakeConn{client, &net.TCPAddr{IP: net.ParseIP(ip), Port: 80}}, nil
	}
}

// Item 6: *.localhost is not loopback by name: the address actually
// dialed decides.
func TestItem6LocalhostNameMustDialLoopback(t *testing.T) {
	t.Parallel()
	body := jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)
	var dials atomic.Int64
	tr := &http.Transport{DialContext: foreignDialer("192.0.2.10", body, &dials)}
	s, err := New(Config{Client: &http.Client{Transport: tr}}, "http://foo.localhost/jwks.json")
	if err != nil {
		t.Fatal(err) // a *.localhost name is allowed: the dial check decides
	}
	t.Cleanup(s.Close)
	// Wait for the first fetch to end (a fixed wait could end first on a
	// loaded machine, with no error yet to check).
	waitFor(t, "the first fetch", func() bool { return s.LastError() != nil || hasKid(s, "a") })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Ready(ctx); err == nil {
		t.Fatal("keys loaded over plain http from a non-loopback address reached through a *.localhost name")
	}
	if err := s.LastError(); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("LastError = %v, want a refusal naming loopback", err)
	}
	if dials.Load() == 0 {
		t.Fatal("the test dialer was not used")
	}

	// The same dialer over https is fine (TLS would authenticate the host).
	if _, err := CheckURL("https://foo.localhost/jwks.json", false); err != nil {
		t.Fatal(err)
	}
}

// Item 6 over real HTTP: loopback addresses, by IP or by the name
// localhost, are accepted with the default client.
func TestItem6LoopbackAcceptedRealHTTP(t *testing.T) {
	t.Parallel()
	body := jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)
	for _, network := range []string{"tcp4", "tcp6"} {
		l, err := net.Listen(network, map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network])
		if err != nil {
			t.Logf("%s loopback unavailable: %v", network, err)
			continue
		}
		srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: serveBody(body)}}
		srv.Start()
		t.Cleanup(srv.Close)
		urls := []string{srv.URL + "/jwks.json"}
		if network == "tcp4" {
			urls = append(urls, "http://localhost:"+fmt.Sprint(l.Addr().(*net.TCPAddr).Port)+"/jwks.json")
		}
		for _, u := range urls {
			s := start(t, Config{}, u)
			mustReady(t, s)
			if !hasKid(s, "a") {
				t.Fatalf("%s: key not loaded", u)
			}
		}
	}
}

// Item 6: a client whose transport cannot be guarded needs InsecureHTTP for
// plain http, even to loopback.
func TestItem6UnguardableClientNeedsInsecureHTTP(t *testing.T) {
	t.Parallel()
	custom := &http.Client{Transport: memTransport{Handler: http.NotFoundHandler()}}
	proxied := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(mustURL(t, "http://proxy.example:3128"))}}
	for name, c := range map[string]*http.Client{"custom RoundTripper": custom, "proxy": proxied} {
		for _, u := range []string{"http://127.0.0.1:1/jwks.json", "http://localhost:1/jwks.json"} {
			if s, err := New(Config{Client: c}, u); err == nil {
				s.Close()
				t.Errorf("%s, %s: New accepted plain http without InsecureHTTP", name, u)
			} else if !strings.Contains(err.Error(), "InsecureHTTP") {
				t.Errorf("%s, %s: error %q does not name InsecureHTTP", name, u, err)
			}
			s, err := New(Config{Client: c, InsecureHTTP: true}, u)
			if err != nil {
				t.Errorf("%s, %s, InsecureHTTP: %v", name, u, err)
				continue
			}
			s.Close()
		}
		// https needs no guard.
		s, err := New(Config{Client: c}, "https://127.0.0.1:1/jwks.json")
		if err != nil {
			t.Errorf("%s, https: %v", name, err)
			continue
		}
		s.Close()
	}
}

// Item 7: an https discovery document whose jwks_uri is plain http is
// refused, even on loopback, with an error naming jwks_uri.
func TestItem7HTTPSDiscoveryRefusesHTTPJWKSURI(t *testing.T) {
	t.Parallel()
	plain, plainURL := newServer(t, serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)))
	var disc *httptest.Server
	disc = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": disc.URL, "jwks_uri": plainURL})
	}))
	t.Cleanup(disc.Close)
	for _, insecure := range []bool{false, true} {
		s, err := NewDiscovery(Config{Client: disc.Client(), InsecureHTTP: insecure}, disc.URL)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the first fetch", func() bool { return s.LastError() != nil })
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = s.Ready(ctx)
		s.Close()
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "jwks_uri") {
			t.Fatalf("InsecureHTTP=%v: Ready = %v, want ErrUnavailable naming jwks_uri", insecure, err)
		}
	}
	if n := plain.hits.Load(); n != 0 {
		t.Fatalf("the plain-http jwks_uri was fetched %d times", n)
	}
}

// The discovery issuer must equal the configured one exactly; a mismatch
// (here a trailing slash) is logged at Error with both values, at most once
// a minute.
func TestDiscoveryIssuerMismatchLoggedAtError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const issuer = "https://idp.test"
		mux := http.NewServeMux()
		mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer + "/", "jwks_uri": memJWKS})
		})
		mux.HandleFunc("/jwks.json", serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil)))
		logs := &logBuffer{}
		cfg := memConfig(mux, logs.Logger())
		cfg.MinRefresh = time.Second // retries every second once backed off
		s, err := NewDiscovery(cfg, issuer)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		time.Sleep(5*time.Minute + time.Second)
		if _, err := s.Current(); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Current = %v, want ErrUnavailable", err)
		}
		lines := logs.Lines("issuer")
		if len(lines) == 0 {
			t.Fatalf("issuer mismatch not logged; log:\n%s", logs.String())
		}
		for _, l := range lines {
			if !strings.Contains(l, "level=ERROR") {
				t.Fatalf("issuer mismatch logged below Error: %s", l)
			}
			fields := strings.Fields(l)
			if !slices.Contains(fields, "document_issuer="+issuer+"/") || !slices.Contains(fields, "configured_issuer="+issuer) {
				t.Fatalf("issuer mismatch line lacks one of the values: %s", l)
			}
		}
		if len(lines) > 6 {
			t.Fatalf("%d log lines for the same mismatch in 5 minutes, want at most one a minute:\n%s", len(lines), strings.Join(lines, "\n"))
		}
	})
}

// Key-source failures are logged at most once a minute per error text,
// plus one line when the source recovers.
func TestFailureLogsRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		good := serveBody(jwksJSON(t, []testKey{newEdKey(t, "a")}, nil), "Cache-Control", "max-age=1")
		e := &endpoint{serve: good}
		logs := &logBuffer{}
		cfg := memConfig(e, logs.Logger())
		cfg.MinRefresh = time.Second
		s := start(t, cfg, memJWKS)
		mustReady(t, s)
		e.Set(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) })
		time.Sleep(10 * time.Minute)
		failures := e.hits.Load() - 1
		lines := logs.Lines("503")
		if failures < 100 {
			t.Fatalf("only %d failed fetches", failures)
		}
		if len(lines) > 11 {
			t.Fatalf("%d log lines for %d identical failures in 10 minutes, want at most one a minute", len(lines), failures)
		}
		if len(lines) == 0 {
			t.Fatal("failures not logged")
		}
		e.Set(good)
		time.Sleep(5 * time.Second)
		if n := len(logs.Lines("recovered")); n != 1 {
			t.Fatalf("%d recovery lines, want 1; log:\n%s", n, logs.String())
		}
	})
}
