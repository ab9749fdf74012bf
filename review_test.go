package jwtguard_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jwtguard/jwtguard"
)

// TestReviewManyRequiredClaims: every name given to WithRequiredClaims is
// enforced, however many there are. parseClaims tracks presence in a 64-bit
// mask; a 65th required claim used to be silently not required.
func TestReviewManyRequiredClaims(t *testing.T) {
	t.Parallel()
	for _, n := range []int{63, 64, 65, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			names := make([]string, n)
			claims := goodClaims()
			for i := range names {
				names[i] = fmt.Sprintf("c%d", i)
				claims[names[i]] = i
			}
			last := names[n-1]
			v := staticVerifier(t, jwtguard.WithRequiredClaims(names...))
			ctx := context.Background()
			if _, err := v.Verify(ctx, mint(t, "RS256", claims, tokenOpts{})); err != nil {
				t.Fatalf("all %d required claims present: %v", n, err)
			}
			delete(claims, last)
			_, err := v.Verify(ctx, mint(t, "RS256", claims, tokenOpts{}))
			checkErr(t, err, jwtguard.ErrMissingClaim)
		})
	}
}
