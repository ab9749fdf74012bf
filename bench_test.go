package jwtguard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/nethttp"
)

// benchAlgs are the algorithms measured per algorithm.
var benchAlgs = []string{"HS256", "RS256", "ES256", "EdDSA"}

// benchToken is a typical access token: a few roles, scopes and a tenant.
func benchToken(b *testing.B, alg string) string {
	return mint(b, alg, with(map[string]any{
		"jti": "0f8fad5b-d9cb-469f-a165-70867728950e", "roles": []string{"admin", "user"},
		"scope": "orders:read orders:write", "tenant_id": "acme",
	}), tokenOpts{hdr: map[string]any{"typ": "JWT"}})
}

func benchVerify(b *testing.B, alg string, opts ...jwtguard.Option) {
	v := staticVerifier(b, opts...)
	tok := benchToken(b, alg)
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures a full verification (no cache) per algorithm.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) { benchVerify(b, alg) })
	}
}

// BenchmarkVerifyCached measures a repeated token with WithCache: the
// signature is skipped, exp/nbf are rechecked.
func BenchmarkVerifyCached(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) { benchVerify(b, alg, jwtguard.WithCache(1024, time.Minute)) })
	}
}

// BenchmarkMiddleware measures one request through nethttp.Middleware with
// an httptest recorder (ES256, no cache, then cached).
func BenchmarkMiddleware(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []jwtguard.Option
	}{
		{"ES256", nil},
		{"ES256-cached", []jwtguard.Option{jwtguard.WithCache(1024, time.Minute)}},
		{"HS256", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			alg := bc.name[:5]
			v := staticVerifier(b, bc.opts...)
			h := nethttp.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := jwtguard.FromContext(r.Context()); !ok {
					b.Error("no claims in context")
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			r := httptest.NewRequest(http.MethodGet, "/orders", nil)
			r.Header.Set("Authorization", "Bearer "+benchToken(b, alg))
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusNoContent {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
