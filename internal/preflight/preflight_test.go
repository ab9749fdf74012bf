package preflight

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestIs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		method  string
		headers map[string]string
		want    bool
	}{
		{"preflight", http.MethodOptions, map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}, true},
		{"preflight with request headers", http.MethodOptions, map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "DELETE",
			"Access-Control-Request-Headers": "authorization"}, true},
		{"OPTIONS without Access-Control-Request-Method", http.MethodOptions, map[string]string{"Origin": "https://app.example"}, false},
		{"OPTIONS without Origin", http.MethodOptions, map[string]string{"Access-Control-Request-Method": "GET"}, false},
		{"plain OPTIONS", http.MethodOptions, nil, false},
		{"GET with preflight headers", http.MethodGet, map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}, false},
		{"POST with Origin", http.MethodPost, map[string]string{"Origin": "https://app.example"}, false},
	} {
		r := httptest.NewRequest(tc.method, "/api/orders", nil)
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		if got := Is(r); got != tc.want {
			t.Errorf("%s: Is = %v, want %v", tc.name, got, tc.want)
		}
	}
}
