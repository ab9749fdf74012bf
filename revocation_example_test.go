package jwtguard_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
)

// A logout handler revokes the token it was called with by its issuer and
// jti: the same token is refused from then on, while the user's other
// tokens, and tokens of another issuer that happen to carry the same jti,
// are not. "Log out everywhere" revokes every token of the subject issued
// before now (see the memory package's example).
func ExampleRevokeClaims() {
	ctx := context.Background()
	idp, err := jwtguardtest.StartIssuer()
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()

	store, err := memory.New()
	if err != nil {
		log.Fatal(err)
	}
	v, err := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithRevocation(store),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
		log.Fatal(err)
	}

	session := idp.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "jti-1"})
	other := idp.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "jti-2"})

	// POST /logout, behind the middleware: the claims come from the context.
	claims, err := v.Verify(ctx, session)
	if err != nil {
		log.Fatal(err)
	}
	if err := jwtguard.RevokeClaims(ctx, store, claims); err != nil {
		log.Fatal(err)
	}

	_, err = v.Verify(ctx, session)
	fmt.Println("logged-out token revoked:", errors.Is(err, jwtguard.ErrTokenRevoked))
	_, err = v.Verify(ctx, other)
	fmt.Println("other token accepted:", err == nil)
	revoked, _ := store.IsRevoked(ctx, &jwtguard.Claims{Issuer: "https://another-issuer.example", ID: "jti-1"})
	fmt.Println("same jti, other issuer revoked:", revoked)

	// A token without jti cannot be revoked one by one.
	noJTI, _ := v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"sub": "bob"}))
	fmt.Println("without jti:", jwtguard.RevokeClaims(ctx, store, noJTI) != nil)
	// Output:
	// logged-out token revoked: true
	// other token accepted: true
	// same jti, other issuer revoked: false
	// without jti: true
}
