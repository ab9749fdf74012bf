package jwtguard_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// BenchmarkDPoP measures a DPoP request (issue 18's budget): an RS256
// token with an ES256 proof and the memory replay cache, the token cold
// (every request verifies it) and warm (WithCache: only the proof is
// verified), beside the bearer request and an ES256 proof alone. Proofs
// are signed before the timer starts, one per iteration (each jti is
// used once).
func BenchmarkDPoP(b *testing.B) {
	idp := jwtguardtest.NewIssuer(b)
	key := jwtguardtest.NewDPoPKey(b, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	const target = "/orders/42"
	for _, bc := range []struct {
		name  string
		cache bool
		dpop  bool
	}{
		{"bearer_cold", false, false},
		{"bearer_warm", true, false},
		{"dpop_cold", false, true},
		{"dpop_warm", true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{dpopOrigin},
				Replay: dpop.NewMemoryReplayCache(1<<22, 1<<30, time.Minute)})}
			if bc.cache {
				opts = append(opts, jwtguard.WithCache(1024, time.Minute))
			}
			v := idp.Verifier(b, opts...)
			tok := bound
			if !bc.dpop {
				tok = idp.Mint(nil)
			}
			reqs := make([]*http.Request, b.N+1)
			for i := range reqs {
				r := dpopRequest(http.MethodGet, target)
				if bc.dpop {
					r.Header.Set("Authorization", "DPoP "+tok)
					r.Header.Set("DPoP", key.Proof(http.MethodGet, dpopOrigin+target, tok, nil, nil))
				} else {
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				reqs[i] = r
			}
			if _, err := v.Authenticate(reqs[b.N]); err != nil { // warms the cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := v.Authenticate(reqs[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
