package jwtguard_test

// BenchmarkRejection measures what each class of invalid token costs to
// refuse, next to the cost of accepting a valid token. Malformed tokens
// must be refused before any signature work, so they should cost a small
// fraction of a valid RS256 verification:
//
//	go test -run '^$' -bench BenchmarkRejection -benchmem .

import (
	"context"
	"testing"
)

func BenchmarkRejection(b *testing.B) {
	v := fuzzVerifier(b)
	ctx := context.Background()
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA", "HS256"} {
		tok := fuzzMint(b, alg, fuzzHeaderJSON(alg), fuzzClaimsJSON(""))
		b.Run("valid-"+alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, rc := range rejectionClasses(b) {
		b.Run(rc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, rc.tok); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
