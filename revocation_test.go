package jwtguard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestMemoryStoreIsRevoked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name   string
		setup  func(s *jwtguard.MemoryStore) error
		later  time.Duration // clock advance before the check
		claims jwtguard.Claims
		want   bool
	}{
		{"empty store", nil, 0, jwtguard.Claims{ID: "a", Subject: "u"}, false},
		{"jti revoked", func(s *jwtguard.MemoryStore) error {
			return s.RevokeToken(ctx, "a", t0.Add(time.Hour))
		}, 0, jwtguard.Claims{ID: "a", Subject: "u"}, true},
		{"other jti", func(s *jwtguard.MemoryStore) error {
			return s.RevokeToken(ctx, "a", t0.Add(time.Hour))
		}, 0, jwtguard.Claims{ID: "b", Subject: "u"}, false},
		{"jti entry kept through the leeway after exp", func(s *jwtguard.MemoryStore) error {
			return s.RevokeToken(ctx, "a", t0.Add(time.Hour))
		}, time.Hour + jwtguard.MaxLeeway - time.Second, jwtguard.Claims{ID: "a"}, true},
		{"jti entry gone after exp + grace", func(s *jwtguard.MemoryStore) error {
			return s.RevokeToken(ctx, "a", t0.Add(time.Hour))
		}, time.Hour + jwtguard.MaxLeeway, jwtguard.Claims{ID: "a"}, false},
		{"revoking an already expired token is a no-op", func(s *jwtguard.MemoryStore) error {
			return s.RevokeToken(ctx, "a", t0.Add(-time.Hour))
		}, 0, jwtguard.Claims{ID: "a"}, false},
		{"subject: token issued before", func(s *jwtguard.MemoryStore) error {
			return s.RevokeSubject(ctx, "u", t0)
		}, 0, jwtguard.Claims{ID: "a", Subject: "u", IssuedAt: t0.Add(-time.Second)}, true},
		{"subject: token issued after", func(s *jwtguard.MemoryStore) error {
			return s.RevokeSubject(ctx, "u", t0)
		}, 0, jwtguard.Claims{ID: "a", Subject: "u", IssuedAt: t0.Add(time.Second)}, false},
		{"subject: token issued at the instant", func(s *jwtguard.MemoryStore) error {
			return s.RevokeSubject(ctx, "u", t0)
		}, 0, jwtguard.Claims{Subject: "u", IssuedAt: t0}, false},
		{"subject: token without iat", func(s *jwtguard.MemoryStore) error {
			return s.RevokeSubject(ctx, "u", t0)
		}, 0, jwtguard.Claims{Subject: "u"}, true},
		{"subject: other subject", func(s *jwtguard.MemoryStore) error {
			return s.RevokeSubject(ctx, "u", t0)
		}, 0, jwtguard.Claims{Subject: "v", IssuedAt: t0.Add(-time.Hour)}, false},
		{"subject: an earlier time does not shorten a revocation", func(s *jwtguard.MemoryStore) error {
			if err := s.RevokeSubject(ctx, "u", t0); err != nil {
				return err
			}
			return s.RevokeSubject(ctx, "u", t0.Add(-time.Hour))
		}, 0, jwtguard.Claims{Subject: "u", IssuedAt: t0.Add(-time.Minute)}, true},
		{"subject: a later time extends it", func(s *jwtguard.MemoryStore) error {
			if err := s.RevokeSubject(ctx, "u", t0.Add(-time.Hour)); err != nil {
				return err
			}
			return s.RevokeSubject(ctx, "u", t0)
		}, 0, jwtguard.Claims{Subject: "u", IssuedAt: t0.Add(-time.Minute)}, true},
		{"subject entry kept for MaxTokenLifetime", func(s *jwtguard.MemoryStore) error {
			return s.RevokeSubject(ctx, "u", t0)
		}, 2 * time.Hour, jwtguard.Claims{Subject: "u", IssuedAt: t0.Add(-time.Minute)}, true},
		{"subject entry gone after MaxTokenLifetime + grace", func(s *jwtguard.MemoryStore) error {
			return s.RevokeSubject(ctx, "u", t0)
		}, 3*time.Hour + jwtguard.RevocationGrace, jwtguard.Claims{Subject: "u", IssuedAt: t0.Add(-time.Minute)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clk := jwtguardtest.NewClock(t0)
			s := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{Clock: clk.Now, MaxTokenLifetime: 3 * time.Hour})
			if c.setup != nil {
				if err := c.setup(s); err != nil {
					t.Fatal(err)
				}
			}
			clk.Advance(c.later)
			got, err := s.IsRevoked(ctx, &c.claims)
			if err != nil || got != c.want {
				t.Fatalf("IsRevoked = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestMemoryStoreBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{})
	if err := s.RevokeToken(ctx, "", time.Now().Add(time.Hour)); err == nil {
		t.Error("RevokeToken accepted an empty jti")
	}
	if err := s.RevokeSubject(ctx, "", time.Now()); err == nil {
		t.Error("RevokeSubject accepted an empty subject")
	}
	if err := jwtguard.RevokeClaims(ctx, s, &jwtguard.Claims{Subject: "u"}); err == nil {
		t.Error("RevokeClaims accepted claims without jti")
	}
	if err := jwtguard.RevokeClaims(ctx, s, &jwtguard.Claims{ID: "x", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.IsRevoked(ctx, &jwtguard.Claims{ID: "x"}); !got {
		t.Error("RevokeClaims did not revoke the jti")
	}
}

func TestMemoryStoreBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := jwtguardtest.NewClock(t0)
	const max = 64
	s := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{MaxEntries: max, Clock: clk.Now})
	var full error
	n := 0
	for i := range 10 * max {
		err := s.RevokeToken(ctx, fmt.Sprintf("jti-%d", i), t0.Add(time.Minute))
		if err != nil {
			full = err
			continue
		}
		n++
	}
	if !errors.Is(full, jwtguard.ErrRevocationStoreFull) {
		t.Fatalf("no ErrRevocationStoreFull after %d revocations (err %v)", 10*max, full)
	}
	if s.Len() > max || s.Len() != n {
		t.Fatalf("store holds %d entries (%d accepted), bound %d", s.Len(), n, max)
	}
	// Every accepted revocation is still honoured: nothing was evicted.
	revoked := 0
	for i := range 10 * max {
		if ok, _ := s.IsRevoked(ctx, &jwtguard.Claims{ID: fmt.Sprintf("jti-%d", i)}); ok {
			revoked++
		}
	}
	if revoked != n {
		t.Fatalf("%d of %d accepted revocations are honoured", revoked, n)
	}
	// Once the tokens expire their entries are purged on the next writes
	// and the store accepts revocations again.
	clk.Advance(time.Minute + jwtguard.RevocationGrace)
	for i := range max / 2 {
		if err := s.RevokeToken(ctx, fmt.Sprintf("new-%d", i), clk.Now().Add(time.Minute)); err != nil {
			t.Fatalf("revocation %d after expiry: %v", i, err)
		}
	}
	if s.Len() > max {
		t.Fatalf("store holds %d entries after expiry, bound %d", s.Len(), max)
	}
}

func TestMemoryStoreRepeatedExtensionStaysBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := jwtguardtest.NewClock(t0)
	s := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{MaxEntries: 64, Clock: clk.Now})
	for i := range 10_000 {
		// The same subject logged out everywhere again and again.
		if err := s.RevokeSubject(ctx, "u", t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
	ok, _ := s.IsRevoked(ctx, &jwtguard.Claims{Subject: "u", IssuedAt: t0.Add(9 * time.Second)})
	if !ok {
		t.Fatal("the latest RevokeSubject is not honoured")
	}
}

func TestMemoryStoreConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{MaxEntries: 1 << 14})
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 500 {
				jti := fmt.Sprintf("w%d-%d", w, i)
				if err := s.RevokeToken(ctx, jti, exp); err != nil {
					t.Error(err)
					return
				}
				if ok, err := s.IsRevoked(ctx, &jwtguard.Claims{ID: jti}); !ok || err != nil {
					t.Errorf("%s not revoked right after RevokeToken", jti)
					return
				}
				if i%50 == 0 {
					_ = s.RevokeSubject(ctx, fmt.Sprintf("user-%d", w), time.Now())
				}
			}
		})
	}
	wg.Wait()
	if s.Len() != 8*500+8 {
		t.Fatalf("Len = %d, want %d", s.Len(), 8*500+8)
	}
}

// TestRevocationThroughVerifier runs the store behind a verifier and the
// net/http middleware: 401 "token revoked" after logout and after
// logout-everywhere; other tokens unaffected; the verified-token cache does
// not hide a revocation.
func TestRevocationThroughVerifier(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	store := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{})
	v := iss.Verifier(t, jwtguard.WithRevocation(store), jwtguard.WithCache(100, time.Minute))
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
	now := time.Now()
	alice1 := iss.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "a1", "iat": now.Add(-2 * time.Second).Unix()})
	alice2 := iss.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "a2", "iat": now.Add(-2 * time.Second).Unix()})
	bob := iss.Mint(jwtguardtest.Claims{"sub": "bob", "jti": "b1"})
	noJTI := iss.Mint(jwtguardtest.Claims{"sub": "carol"})
	for _, tok := range []string{alice1, alice2, bob, noJTI} {
		if code, _ := do(tok); code != http.StatusNoContent {
			t.Fatalf("before any revocation: status %d", code)
		}
	}
	// Logout: revoke alice1 by jti (the cache holds it verified).
	c, err := v.Verify(context.Background(), alice1)
	if err != nil {
		t.Fatal(err)
	}
	if err := jwtguard.RevokeClaims(context.Background(), store, c); err != nil {
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
	if err := store.RevokeSubject(context.Background(), "alice", now); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(alice2); code != http.StatusUnauthorized {
		t.Fatalf("after RevokeSubject: %d", code)
	}
	fresh := iss.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "a3", "iat": float64(now.Add(time.Second).UnixMilli()) / 1000})
	if code, _ := do(fresh); code != http.StatusNoContent {
		t.Fatalf("token issued after RevokeSubject: %d", code)
	}
	if code, _ := do(bob); code != http.StatusNoContent {
		t.Fatalf("bob: %d", code)
	}
	// A token without jti is accepted (documented) and still revocable by
	// subject; WithRequiredClaims("jti") refuses it.
	if code, _ := do(noJTI); code != http.StatusNoContent {
		t.Fatalf("token without jti: %d", code)
	}
	if err := store.RevokeSubject(context.Background(), "carol", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(noJTI); code != http.StatusUnauthorized {
		t.Fatalf("token without jti after RevokeSubject: %d", code)
	}
	strict := iss.Verifier(t, jwtguard.WithRevocation(store), jwtguard.WithRequiredClaims("jti"))
	if _, err := strict.Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"sub": "dave"})); !errors.Is(err, jwtguard.ErrMissingClaim) {
		t.Fatalf("WithRequiredClaims(jti): err %v, want ErrMissingClaim", err)
	}
}

// BenchmarkMemoryStoreIsRevoked measures one lookup (jti + subject) in a
// store holding 100 000 entries.
func BenchmarkMemoryStoreIsRevoked(b *testing.B) {
	ctx := context.Background()
	s := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{})
	exp := time.Now().Add(time.Hour)
	for i := range 100_000 {
		_ = s.RevokeToken(ctx, fmt.Sprintf("jti-%d", i), exp)
	}
	_ = s.RevokeSubject(ctx, "someone-else", time.Now())
	c := &jwtguard.Claims{ID: "not-revoked", Subject: "user-1", IssuedAt: time.Now()}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _ := s.IsRevoked(ctx, c); ok {
				b.Fatal("revoked")
			}
		}
	})
}

// BenchmarkMemoryStoreRevokeToken measures recording a revocation.
func BenchmarkMemoryStoreRevokeToken(b *testing.B) {
	ctx := context.Background()
	s := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{MaxEntries: 10_000_000})
	exp := time.Now().Add(time.Hour)
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("jti-%d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = s.RevokeToken(ctx, keys[i&(len(keys)-1)], exp)
		i++
	}
}

// BenchmarkVerifyRevocationMemory measures Verify with the memory store,
// cold (signature checked every time) and warm (verified-token cache).
func BenchmarkVerifyRevocationMemory(b *testing.B) {
	iss := jwtguardtest.NewIssuer(b)
	store := jwtguard.NewMemoryStore(jwtguard.MemoryOptions{})
	ctx := context.Background()
	for i := range 10_000 {
		_ = store.RevokeToken(ctx, fmt.Sprintf("jti-%d", i), time.Now().Add(time.Hour))
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
