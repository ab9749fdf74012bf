package introspect_test

import (
	"net/http"
	"net/http/httptest"
)

// memTransport serves requests in memory with a handler: no socket, so a
// testing/synctest bubble's clock advances while the handler blocks (on the
// request's context, or on a channel made in the bubble). It answers the
// context's error once the context has ended, as a real transport does.
type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = r
	return res, nil
}
