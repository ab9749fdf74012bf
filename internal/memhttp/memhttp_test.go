package memhttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/jwtguard/jwtguard/internal/memhttp"
)

func TestTransport(t *testing.T) {
	c := &http.Client{Transport: memhttp.Transport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			<-r.Context().Done()
			return
		}
		io.WriteString(w, "ok "+r.URL.Path)
	})}}
	res, err := c.Get("https://keys.example/a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(b) != "ok /a" || res.Request == nil {
		t.Fatalf("%d %q %v", res.StatusCode, b, res.Request)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://keys.example/a", nil)
	if _, err := c.Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "https://keys.example/block", nil)
	go cancel()
	if _, err := c.Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("context ended while the handler ran: %v", err)
	}
}
