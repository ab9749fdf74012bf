package introspect_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwtguard/jwtguard/introspect"
)

// TestIntrospectSharedRequest: concurrent lookups of one new token cause
// one request, not one each, and every caller gets the answer. It runs in a
// testing/synctest bubble with an in-memory endpoint, so synctest.Wait
// proves every caller is waiting before the answer comes (a sleep on the
// real clock could release the answer before a slow caller asked, and that
// caller would then find it cached).
func TestIntrospectSharedRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var hits atomic.Int64
		exp := time.Now().Add(time.Hour).Unix()
		endpoint := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			<-release
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"active":true,"sub":"u","exp":%d}`, exp)
		})
		c, err := introspect.New("https://as.test/introspect", introspect.ClientSecretBasic("c", "s"),
			introspect.WithHTTPClient(&http.Client{Transport: memTransport{Handler: endpoint}}))
		if err != nil {
			t.Fatal(err)
		}
		const n = 10
		type result struct {
			active bool
			sub    string
			err    error
		}
		results := make(chan result, n)
		for range n {
			go func() {
				active, answer, err := c.Introspect(context.Background(), "shared-opaque-token", false)
				results <- result{active, member(t, answer, "sub"), err}
			}()
		}
		// Every caller is blocked: one in the request, the others waiting
		// for its answer.
		synctest.Wait()
		if got := hits.Load(); got != 1 {
			t.Fatalf("%d requests in flight for one token, want 1", got)
		}
		close(release)
		for range n {
			if r := <-results; r.err != nil || !r.active || r.sub != "u" {
				t.Fatalf("%+v", r)
			}
		}
		if got := hits.Load(); got != 1 {
			t.Fatalf("%d requests for one token, want 1", got)
		}
	})
}

// TestIntrospectWaiterContext: a caller waiting for another caller's request
// gives up when its own context ends; the request goes on for the others.
func TestIntrospectWaiterContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":false}`))
	}))
	defer srv.Close()
	c, err := introspect.New(srv.URL, introspect.ClientSecretBasic("c", "s"))
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	firstCtx, cancelFirst := context.WithCancel(context.Background())
	go func() {
		_, _, err := c.Introspect(firstCtx, "tok", false)
		first <- err
	}()
	for hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := c.Introspect(ctx, "tok", false); err == nil || !errorsIsUnavailable(err) {
		t.Fatalf("waiter past its deadline: %v", err)
	}
	cancelFirst() // the first caller's request is not cancelled with it
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first caller: %v", err)
	}
	if active, _, err := c.Introspect(context.Background(), "tok", false); err != nil || active || hits.Load() != 1 {
		t.Fatalf("cached inactive answer: %v %v, %d requests", active, err, hits.Load())
	}
}
