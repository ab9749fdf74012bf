package jwks

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestRefresh: an operator's refresh fetches at once, inside the unknown-kid
// gap, and a key withdrawn by the provider is gone afterwards; concurrent
// refreshes share fetches (never two in flight), and a refresh called while
// a fetch is in flight waits for a fetch that starts after the call.
func TestRefresh(t *testing.T) {
	t.Parallel()
	leaked, next := newEdKey(t, "leaked"), newEdKey(t, "next")
	// In a synctest bubble with an in-memory transport: synctest.Wait, not
	// a sleep, says when the refreshes have queued behind the fetch in
	// flight, whatever the machine's load.
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		body := jwksJSON(t, []testKey{leaked}, nil)
		inflight, maxInflight := 0, 0
		hold := make(chan struct{})
		close(hold)
		e := &endpoint{serve: func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inflight++
			maxInflight = max(maxInflight, inflight)
			b, h := body, hold
			mu.Unlock()
			<-h
			serveBody(b)(w, r)
			mu.Lock()
			inflight--
			mu.Unlock()
		}}
		cfg := memConfig(e, nil)
		cfg.UnknownKidGap, cfg.MinRefresh, cfg.MaxRefresh = time.Hour, time.Hour, time.Hour
		s := start(t, cfg, memJWKS)
		defer s.Close()
		mustReady(t, s)
		if !hasKid(s, "leaked") {
			t.Fatal("leaked key not loaded")
		}

		// The provider withdraws the key. The unknown-kid gap (1 h) would
		// hold a RefreshUnknownKid back; Refresh fetches now.
		mu.Lock()
		body = jwksJSON(t, []testKey{next}, nil)
		mu.Unlock()
		before := e.hits.Load()
		if err := s.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := e.hits.Load() - before; got != 1 {
			t.Errorf("Refresh made %d fetches, want 1", got)
		}
		if hasKid(s, "leaked") || !hasKid(s, "next") {
			t.Error("after Refresh the withdrawn key is still in the set, or the new one missing")
		}

		// A refresh while a fetch (which read the old set) is in flight
		// waits for a later fetch.
		mu.Lock()
		hold = make(chan struct{})
		h := hold
		mu.Unlock()
		first := make(chan error, 1)
		go func() { first <- s.Refresh(context.Background()) }()
		synctest.Wait() // the first fetch is in the handler, held
		mu.Lock()
		if inflight != 1 {
			t.Fatalf("%d fetches in flight, want the first refresh's", inflight)
		}
		body = jwksJSON(t, []testKey{leaked}, nil) // seen only by a fetch after the call
		hold = make(chan struct{})
		close(hold)
		mu.Unlock()
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		before = e.hits.Load()
		for range 10 {
			wg.Go(func() { errs <- s.Refresh(context.Background()) })
		}
		synctest.Wait() // all ten queued behind the fetch in flight
		close(h)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if err := <-first; err != nil {
			t.Error(err)
		}
		if !hasKid(s, "leaked") {
			t.Error("the refreshes queued behind a fetch in flight did not wait for a fetch after their call")
		}
		if got := e.hits.Load() - before; got != 1 {
			t.Errorf("10 refreshes queued behind the fetch in flight made %d more fetches, want 1 (one after their calls, shared)", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if maxInflight != 1 {
			t.Errorf("%d fetches in flight at once, want 1", maxInflight)
		}
	})
}

// TestRefreshAfterClose: Refresh fetches nothing after Close and returns an
// error; a cancelled context returns at once.
func TestRefreshAfterClose(t *testing.T) {
	t.Parallel()
	e, u := newServer(t, serveBody(jwksJSON(t, []testKey{newEdKey(t, "k")}, nil)))
	s := start(t, Config{}, u)
	mustReady(t, s)
	s.Close()
	n := e.hits.Load()
	if err := s.Refresh(context.Background()); err == nil {
		t.Error("Refresh after Close returned nil")
	}
	if e.hits.Load() != n {
		t.Error("Refresh fetched after Close")
	}
}
