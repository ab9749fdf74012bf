package jwtguard_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard"
)

// A logout revokes one token by its jti; "log out everywhere" revokes every
// token of the subject issued before now.
func ExampleMemoryStore() {
	ctx := context.Background()
	store := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{})
	// v, err := jwtguard.New(..., jwtguard.WithRevocation(store))

	now := time.Now()
	token := &jwtguard.Claims{ID: "jti-1", Subject: "alice", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(10 * time.Minute)}
	other := &jwtguard.Claims{ID: "jti-2", Subject: "alice", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(10 * time.Minute)}

	_ = jwtguard.RevokeClaims(ctx, store, token) // POST /logout
	r1, _ := store.IsRevoked(ctx, token)
	r2, _ := store.IsRevoked(ctx, other)
	fmt.Println("after logout:", r1, r2)

	_ = store.RevokeSubject(ctx, "alice", now) // POST /logout-all
	r2, _ = store.IsRevoked(ctx, other)
	fmt.Println("after logout-all:", r2)
	// Output:
	// after logout: true false
	// after logout-all: true
}
