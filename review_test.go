package jwtguard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/memory"
)

// TestReviewManyRequiredClaims: every path in an issuer's RequiredClaims is
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
			v := staticVerifierFor(t, func(is *jwtguard.Issuer) { is.RequiredClaims = names })
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

// TestReviewRevokeFarFutureToken: a token whose exp lies beyond what
// time.Time.UnixNano can represent (after 2262, e.g. the common "never
// expires" 9999-12-31T23:59:59Z) must stay revoked once revoked. The
// memory store kept expiries as UnixNano, which overflowed to a negative
// value: RevokeClaims reported success and the token was still accepted.
func TestReviewRevokeFarFutureToken(t *testing.T) {
	t.Parallel()
	for _, exp := range []int64{4102444800, 9223372037, 32503680000, 253402300799} {
		t.Run(fmt.Sprint(exp), func(t *testing.T) {
			t.Parallel()
			store := must(memory.New(memory.WithClock(fixedClock)))
			v := staticVerifier(t, jwtguard.WithRevocation(store))
			ctx := context.Background()
			tok := mint(t, "ES256", with(map[string]any{"exp": exp, "jti": "j-far"}), tokenOpts{})
			c, err := v.Verify(ctx, tok)
			if err != nil {
				t.Fatalf("before revocation: %v", err)
			}
			if err := jwtguard.RevokeClaims(ctx, store, c); err != nil {
				t.Fatalf("RevokeClaims: %v", err)
			}
			_, err = v.Verify(ctx, tok)
			checkErr(t, err, jwtguard.ErrTokenRevoked)

			// Logout everywhere with a far-future cut-off revokes too.
			subStore := must(memory.New(memory.WithClock(fixedClock)))
			vs := staticVerifier(t, jwtguard.WithRevocation(subStore))
			if err := subStore.RevokeSubject(ctx, c.Issuer, c.Subject, time.Unix(exp, 0)); err != nil {
				t.Fatalf("RevokeSubject: %v", err)
			}
			_, err = vs.Verify(ctx, tok)
			checkErr(t, err, jwtguard.ErrTokenRevoked)
		})
	}
}
