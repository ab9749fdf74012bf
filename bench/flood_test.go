package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// floodInterval is the verifier's minimum refresh interval and unknown-kid
// gap in the flood benchmark: short, so one run spans several intervals and the rate limit
// is exercised, not just the first fetch.
const floodInterval = 100 * time.Millisecond

// floodTokens returns n tokens like valid, each naming a random kid the
// JWKS does not hold (the signature is never checked: no key matches).
func floodTokens(tb testing.TB, valid string, n int) []string {
	parts := strings.SplitN(valid, ".", 3)
	out := make([]string, n)
	kid := make([]byte, 8)
	for i := range out {
		if _, err := rand.Read(kid); err != nil {
			tb.Fatal(err)
		}
		h := `{"alg":"RS256","kid":"` + hex.EncodeToString(kid) + `","typ":"JWT"}`
		out[i] = base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + parts[1] + "." + parts[2]
	}
	return out
}

// BenchmarkJWKSFlood measures valid RS256 verifications (b.RunParallel)
// alone and while 10,000 requests with random unknown kids arrive
// concurrently from 32 goroutines. It reports the JWKS fetches the flood
// caused and the refresh intervals the run spanned: the rate limit allows
// at most one fetch per interval.
func BenchmarkJWKSFlood(b *testing.B) {
	iss, err := jwtguardtest.StartIssuer()
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	valid := iss.Mint(jwtguardtest.Claims{"exp": time.Now().Add(24 * time.Hour).Unix(),
		"roles": []string{"admin", "reader"}, "tenant_id": "acme"})
	v, err := jwtguard.New(jwtguard.WithIssuer(iss.URL(), jwtguard.Discovery()), jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{MinRefresh: floodInterval, MaxRefresh: time.Hour, UnknownKidGap: floodInterval}))
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		b.Fatal(err)
	}
	flood := floodTokens(b, valid, 10_000)
	ctx := context.Background()
	b.Run("unknown-kid request alone", func(b *testing.B) {
		hits0 := iss.JWKSHits()
		start, cpuStart := time.Now(), cpuTime()
		b.ReportAllocs()
		var i atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				tok := flood[int(i.Add(1))%len(flood)]
				if _, err := v.Verify(ctx, tok); !errors.Is(err, jwtguard.ErrKeyNotFound) {
					b.Errorf("unknown-kid token: got %v, want ErrKeyNotFound", err)
					return
				}
			}
		})
		reportCPU(b, cpuStart)
		fetches := iss.JWKSHits() - hits0
		intervals := math.Ceil(float64(time.Since(start)) / float64(floodInterval))
		b.ReportMetric(float64(fetches), "jwks-fetches")
		b.ReportMetric(intervals, "refresh-intervals")
		if float64(fetches) > intervals {
			b.Errorf("%d JWKS fetches in %.0f refresh intervals", fetches, intervals)
		}
	})
	for _, withFlood := range []bool{false, true} {
		name := "valid only"
		if withFlood {
			name = "valid during 10k unknown-kid flood"
		}
		b.Run(name, func(b *testing.B) {
			var wg sync.WaitGroup
			var floodErr error
			var errOnce sync.Once
			hits0 := iss.JWKSHits()
			start, cpuStart := time.Now(), cpuTime()
			b.ReportAllocs()
			b.ResetTimer()
			if withFlood {
				const workers = 32
				per := len(flood) / workers
				for w := range workers {
					wg.Go(func() {
						for _, tok := range flood[w*per : (w+1)*per] {
							if _, err := v.Verify(ctx, tok); !errors.Is(err, jwtguard.ErrKeyNotFound) {
								errOnce.Do(func() { floodErr = err })
							}
						}
					})
				}
			}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Verify(ctx, valid); err != nil {
						b.Error(err)
						return
					}
				}
			})
			wg.Wait() // the flood is part of the measured time
			b.StopTimer()
			reportCPU(b, cpuStart)
			if floodErr != nil {
				b.Fatalf("unknown-kid token: got %v, want ErrKeyNotFound", floodErr)
			}
			fetches := iss.JWKSHits() - hits0
			intervals := math.Ceil(float64(time.Since(start)) / float64(floodInterval))
			b.ReportMetric(float64(fetches), "jwks-fetches")
			b.ReportMetric(intervals, "refresh-intervals")
			if float64(fetches) > intervals {
				b.Errorf("%d JWKS fetches in %.0f refresh intervals", fetches, intervals)
			}
		})
	}
}
