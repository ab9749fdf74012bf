// Package memhttp serves HTTP requests in memory, for tests: no socket,
// so a testing/synctest bubble's clock advances while a handler blocks (on
// the request's context, or on a channel made in the bubble), which a
// loopback connection would prevent.
package memhttp

import (
	"net/http"
	"net/http/httptest"
)

// Transport is an http.RoundTripper that serves every request with
// Handler. Like a real transport it answers the context's error, without
// a response, when the request's context has ended before or while the
// handler ran.
type Transport struct{ Handler http.Handler }

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.Handler.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = r
	return res, nil
}
