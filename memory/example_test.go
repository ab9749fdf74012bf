package memory_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/memory"
)

// A logout revokes one token by its jti; "log out everywhere" revokes every
// token of the subject issued before now. Entries are scoped by issuer: the
// same jti from another issuer is a different token.
func Example() {
	ctx := context.Background()
	store, err := memory.New()
	if err != nil {
		log.Fatal(err)
	}
	// v, err := jwtguard.New(..., jwtguard.WithRevocation(store))

	now := time.Now()
	const iss = "https://login.example.com/"
	token := &jwtguard.Claims{Issuer: iss, ID: "jti-1", Subject: "alice", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(10 * time.Minute)}
	other := &jwtguard.Claims{Issuer: iss, ID: "jti-2", Subject: "alice", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(10 * time.Minute)}
	elsewhere := &jwtguard.Claims{Issuer: "https://ci.example.com/", ID: "jti-1", Subject: "alice", IssuedAt: now.Add(-time.Minute)}

	_ = jwtguard.RevokeClaims(ctx, store, token) // POST /logout
	r1, _ := store.IsRevoked(ctx, token)
	r2, _ := store.IsRevoked(ctx, other)
	r3, _ := store.IsRevoked(ctx, elsewhere)
	fmt.Println("after logout:", r1, r2, r3)

	_ = store.RevokeSubject(ctx, iss, "alice", now) // POST /logout-all
	r2, _ = store.IsRevoked(ctx, other)
	r3, _ = store.IsRevoked(ctx, elsewhere)
	fmt.Println("after logout-all:", r2, r3)
	// Output:
	// after logout: true false false
	// after logout-all: true false
}

// Options: a smaller bound, and a skew and grace matching a verifier
// configured with jwtguard.WithLeeway(2*time.Minute) (jwtguard's New refuses
// a store whose grace or skew is below the verifier's leeway).
func ExampleNew() {
	store, err := memory.New(
		memory.WithMaxEntries(100_000),
		memory.WithMaxTokenLifetime(time.Hour),
		memory.WithSkew(2*time.Minute),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(store.Grace(), store.Skew())

	_, err = memory.New(memory.WithSkew(time.Minute), memory.WithSkew(2*time.Minute))
	fmt.Println(err)
	// Output:
	// 5m0s 2m0s
	// memory: WithSkew given twice
}
