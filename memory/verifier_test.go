package memory_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
	"github.com/jwtguard/jwtguard/nethttp"
)

// TestThroughVerifier runs the store behind a verifier and the net/http
// middleware: 401 "token revoked" after logout and after logout-everywhere
// (including a token minted by an issuer whose clock runs ahead); other
// tokens unaffected; the verified-token cache does not hide a revocation.
func TestThroughVerifier(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := jwtguardtest.NewClock(time.Now())
	iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithIssuerClock(clk.Now))
	store := newStore(t, memory.WithClock(clk.Now))
	v := iss.Verifier(t, jwtguard.WithRevocation(store), jwtguard.WithCache(100, time.Minute), jwtguard.WithClock(clk.Now))
	h := nethttp.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	do := func(tok string) (int, string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Header().Get("WWW-Authenticate")
	}
	now := clk.Now()
	alice1 := iss.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "a1", "iat": now.Add(-2 * time.Second).Unix()})
	alice2 := iss.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "a2", "iat": now.Add(-2 * time.Second).Unix()})
	// Minted by an identity provider whose clock runs 10 s ahead.
	ahead := iss.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "a3", "iat": now.Add(10 * time.Second).Unix()})
	bob := iss.Mint(jwtguardtest.Claims{"sub": "bob", "jti": "b1"})
	noJTI := iss.Mint(jwtguardtest.Claims{"sub": "carol"})
	for _, tok := range []string{alice1, alice2, ahead, bob, noJTI} {
		if code, _ := do(tok); code != http.StatusNoContent {
			t.Fatalf("before any revocation: status %d", code)
		}
	}
	// Logout: revoke alice1 by jti (the cache holds it verified).
	c, err := v.Verify(ctx, alice1)
	if err != nil {
		t.Fatal(err)
	}
	if err := jwtguard.RevokeClaims(ctx, store, c); err != nil {
		t.Fatal(err)
	}
	code, chal := do(alice1)
	if code != http.StatusUnauthorized || !strings.Contains(chal, `error_description="token revoked"`) {
		t.Fatalf("revoked token: %d %q", code, chal)
	}
	if code, _ := do(alice2); code != http.StatusNoContent {
		t.Fatalf("alice's other token: %d", code)
	}
	// Logout everywhere for alice.
	if err := store.RevokeSubject(ctx, c.Issuer, "alice", now); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{alice2, ahead} {
		if code, _ := do(tok); code != http.StatusUnauthorized {
			t.Fatalf("after RevokeSubject: %d", code)
		}
	}
	// A fresh login within the skew after logout-all is refused too (the
	// documented price); one after it is accepted.
	within := iss.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "a4", "iat": now.Add(time.Second).Unix()})
	if code, _ := do(within); code != http.StatusUnauthorized {
		t.Fatalf("token issued within the skew after RevokeSubject: %d", code)
	}
	clk.Advance(store.Skew() + time.Second)
	fresh := iss.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "a5", "iat": clk.Now().Unix()})
	if code, _ := do(fresh); code != http.StatusNoContent {
		t.Fatalf("token issued after RevokeSubject + skew: %d", code)
	}
	if code, _ := do(bob); code != http.StatusNoContent {
		t.Fatalf("bob: %d", code)
	}
	// A token without jti is accepted and still revocable by subject.
	if code, _ := do(noJTI); code != http.StatusNoContent {
		t.Fatalf("token without jti: %d", code)
	}
	if err := store.RevokeSubject(ctx, c.Issuer, "carol", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(noJTI); code != http.StatusUnauthorized {
		t.Fatalf("token without jti after RevokeSubject: %d", code)
	}
	entry := iss.Entry()
	entry.RequiredClaims = []string{"jti"}
	strict := iss.VerifierFor(t, entry, jwtguard.WithRevocation(store), jwtguard.WithClock(clk.Now))
	if _, err := strict.Verify(ctx, iss.Mint(jwtguardtest.Claims{"sub": "dave"})); !errors.Is(err, jwtguard.ErrMissingClaim) {
		t.Fatalf("WithRequiredClaims(jti): err %v, want ErrMissingClaim", err)
	}
}

// BenchmarkVerify measures Verify with the store, cold (signature checked
// every time) and warm (verified-token cache).
func BenchmarkVerify(b *testing.B) {
	iss := jwtguardtest.NewIssuer(b)
	store := newStore(b)
	ctx := context.Background()
	for i := range 10_000 {
		_ = store.RevokeToken(ctx, iss.URL(), fmt.Sprintf("jti-%d", i), time.Now().Add(time.Hour))
	}
	tok := iss.Mint(jwtguardtest.Claims{"jti": "live-token"}, jwtguardtest.WithAlg("ES256"))
	for _, bc := range []struct {
		name string
		opts []jwtguard.Option
	}{
		{"none/cold", nil},
		{"memory/cold", []jwtguard.Option{jwtguard.WithRevocation(store)}},
		{"none/warm", []jwtguard.Option{jwtguard.WithCache(1000, time.Minute)}},
		{"memory/warm", []jwtguard.Option{jwtguard.WithRevocation(store), jwtguard.WithCache(1000, time.Minute)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := iss.Verifier(b, bc.opts...)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
