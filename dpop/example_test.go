package dpop_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/dpop"
)

// The replay cache a verifier uses by default: a proof's jti is accepted
// once per key, a key has a quota of proofs per window, and a full cache
// refuses rather than forgets.
func ExampleNewMemoryReplayCache() {
	cache := dpop.NewMemoryReplayCache(1000, 2, time.Minute)
	ctx := context.Background()
	until := time.Now().Add(90 * time.Second)
	fmt.Println(cache.Use(ctx, "key-a", "jti-1", until))
	fmt.Println(errors.Is(cache.Use(ctx, "key-a", "jti-1", until), dpop.ErrReplay))
	fmt.Println(cache.Use(ctx, "key-b", "jti-1", until)) // another key's proof
	fmt.Println(cache.Use(ctx, "key-a", "jti-2", until))
	fmt.Println(errors.Is(cache.Use(ctx, "key-a", "jti-3", until), dpop.ErrKeyQuota))
	// Output:
	// <nil>
	// true
	// <nil>
	// <nil>
	// true
}

func ExampleMode() {
	for _, m := range []dpop.Mode{dpop.Inherit, dpop.Disabled, dpop.Allowed, dpop.Required} {
		fmt.Println(m)
	}
	// Output:
	// inherit
	// disabled
	// allowed
	// required
}
