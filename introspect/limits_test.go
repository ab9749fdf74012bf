package introspect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/introspect"
)

// floodEndpoint answers "good-token" active at once and holds every other
// request until release is closed (then answers inactive) or the request's
// context ends. It records the most requests it ever had in flight. It is
// served in memory (memTransport), inside a testing/synctest bubble.
type floodEndpoint struct {
	release  chan struct{}
	hits     atomic.Int64
	inflight atomic.Int64
	mu       sync.Mutex
	max      int64
}

func (f *floodEndpoint) open() {
	select {
	case <-f.release:
	default:
		close(f.release)
	}
}

func (f *floodEndpoint) peak() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.max
}

func (f *floodEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	w.Header().Set("Content-Type", "application/json")
	if r.PostFormValue("token") == "good-token" {
		fmt.Fprintf(w, `{"active":true,"sub":"alice","exp":%d}`, time.Now().Add(time.Hour).Unix())
		return
	}
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	f.mu.Lock()
	f.max = max(f.max, n)
	f.mu.Unlock()
	select {
	case <-f.release:
	case <-r.Context().Done():
	}
	_, _ = w.Write([]byte(`{"active":false}`))
}

// TestIntrospectionAmplificationBounded (issue 12 item 15): a flood of
// distinct junk opaque tokens against a slow endpoint costs at most 16
// concurrent requests by default; the callers beyond that wait the queue
// wait (100 ms) and fail closed with ErrBusy (so
// ErrIntrospectionUnavailable, 503); a good token answered before keeps
// answering from the cache during the flood, without waiting.
//
// Time is synctest's and the endpoint is in memory: on the real clock a
// loaded machine could take longer than the queue wait to get the first
// 16 requests to the endpoint or to answer from the cache.
func TestIntrospectionAmplificationBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const (
			junk       = 200
			concurrent = 16 // the default
			queueWait  = 100 * time.Millisecond
		)
		ep := &floodEndpoint{release: make(chan struct{})}
		defer ep.open()
		c, err := introspect.New("https://as.test/introspect", introspect.ClientSecretBasic("c", "s"),
			introspect.WithHTTPClient(&http.Client{Transport: memTransport{Handler: ep}}))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if active, _, err := c.Introspect(ctx, "good-token", false); !active || err != nil {
			t.Fatalf("warming the good token: %v %v", active, err)
		}

		type result struct {
			token   string
			active  bool
			err     error
			elapsed time.Duration
		}
		results := make(chan result, junk)
		for i := range junk {
			go func() {
				tok := fmt.Sprintf("junk-%03d-opaque", i)
				start := time.Now()
				active, _, err := c.Introspect(ctx, tok, false)
				results <- result{tok, active, err, time.Since(start)}
			}()
		}

		// Every caller beyond the limit gives up after the queue wait while
		// the endpoint still holds the first requests.
		deadline := time.After(5 * time.Second)
		for busy := 0; busy < junk-concurrent; {
			select {
			case r := <-results:
				if !errors.Is(r.err, introspect.ErrBusy) || !errors.Is(r.err, jwtguard.ErrIntrospectionUnavailable) || r.active {
					t.Fatalf("%s during the flood: active %v err %v, want ErrBusy", r.token, r.active, r.err)
				}
				if strings.Contains(r.err.Error(), r.token) {
					t.Fatalf("error echoes the token: %v", r.err)
				}
				if r.elapsed != queueWait {
					t.Fatalf("%s gave up after %s, want the queue wait, %s", r.token, r.elapsed, queueWait)
				}
				busy++
			case <-deadline:
				t.Fatalf("no bound: the endpoint has %d requests in flight (peak %d), want at most %d", ep.inflight.Load(), ep.peak(), concurrent)
			}
			if p := ep.peak(); p > concurrent {
				t.Fatalf("the endpoint saw %d concurrent requests, want at most %d", p, concurrent)
			}
		}

		// The good token answers from the cache although every slot is
		// taken (the endpoint holds them all, so no request could have
		// answered it), at once.
		synctest.Wait()
		if n := ep.inflight.Load(); n != concurrent {
			t.Fatalf("%d requests in flight, want %d", n, concurrent)
		}
		start := time.Now()
		active, answer, err := c.Introspect(ctx, "good-token", false)
		if !active || err != nil || !strings.Contains(string(answer), `"alice"`) {
			t.Fatalf("good token during the flood: %v %s %v", active, answer, err)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("good token took %s during the flood, want no wait", d)
		}

		ep.open()
		for range concurrent {
			if r := <-results; r.err != nil || r.active {
				t.Fatalf("%s after the flood: %v %v, want inactive", r.token, r.active, r.err)
			}
		}
		if got, want := ep.hits.Load(), int64(1+concurrent); got != want {
			t.Fatalf("%d requests, want %d (the good token once, then one per slot)", got, want)
		}
		if p := ep.peak(); p > concurrent {
			t.Fatalf("peak %d concurrent requests, want at most %d", p, concurrent)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestWithLimits: with two slots and an endpoint taking 1 s, a third
// lookup gets a slot when one frees within its queue wait, and otherwise
// fails with ErrBusy when the queue wait or its context ends, whichever is
// first. Time is synctest's.
func TestWithLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		queueWait time.Duration
		ctxWait   time.Duration // 0: no deadline
		wantErr   bool
		wantAfter time.Duration // when the third lookup returns
	}{
		{"slot frees within the queue wait", 1500 * time.Millisecond, 0, false, 2 * time.Second},
		{"queue wait ends first", 500 * time.Millisecond, 0, true, 500 * time.Millisecond},
		{"no queue wait", 0, 0, true, 0},
		{"context ends first", 1500 * time.Millisecond, 300 * time.Millisecond, true, 300 * time.Millisecond},
		{"queue wait ends before the context", 200 * time.Millisecond, 300 * time.Millisecond, true, 200 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var inflight, peak atomic.Int64
				rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					n := inflight.Add(1)
					defer inflight.Add(-1)
					if n > peak.Load() {
						peak.Store(n)
					}
					time.Sleep(time.Second) // the endpoint's latency
					return &http.Response{
						StatusCode: http.StatusOK, Request: r,
						Header: http.Header{"Content-Type": {"application/json"}},
						Body:   io.NopCloser(strings.NewReader(`{"active":false}`)),
					}, nil
				})
				c, err := introspect.New("https://as.test/introspect", introspect.ClientSecretBasic("c", "s"),
					introspect.WithHTTPClient(&http.Client{Transport: rt}), introspect.WithLimits(2, tc.queueWait))
				if err != nil {
					t.Fatal(err)
				}
				var first sync.WaitGroup
				for i := range 2 {
					first.Go(func() {
						if _, _, err := c.Introspect(context.Background(), fmt.Sprint("first-", i), false); err != nil {
							t.Errorf("lookup %d: %v", i, err)
						}
					})
				}
				synctest.Wait() // both hold a slot
				ctx := context.Background()
				if tc.ctxWait > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.ctxWait)
					defer cancel()
				}
				start := time.Now()
				_, _, err = c.Introspect(ctx, "third", false)
				if elapsed := time.Since(start); elapsed != tc.wantAfter {
					t.Errorf("third lookup returned after %s, want %s", elapsed, tc.wantAfter)
				}
				if tc.wantErr != (err != nil) || (err != nil && !errors.Is(err, introspect.ErrBusy)) {
					t.Errorf("third lookup: %v, want ErrBusy: %v", err, tc.wantErr)
				}
				if tc.ctxWait > 0 && tc.ctxWait < tc.queueWait && !strings.Contains(fmt.Sprint(err), "deadline exceeded") {
					t.Errorf("error %v does not say the context ended", err)
				}
				first.Wait()
				if p := peak.Load(); p > 2 {
					t.Errorf("peak %d requests in flight, want at most 2", p)
				}
			})
		})
	}
}
