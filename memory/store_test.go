package memory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const iss = "https://login.example.com/"

func newStore(t testing.TB, opts ...memory.Option) *memory.Store {
	t.Helper()
	s, err := memory.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []memory.Option
		want string // error substring; "" for success
	}{
		{"defaults", nil, ""},
		{"all", []memory.Option{memory.WithMaxEntries(10), memory.WithMaxTokenLifetime(time.Hour),
			memory.WithGrace(0), memory.WithSkew(0), memory.WithClock(time.Now)}, ""},
		{"max entries 0", []memory.Option{memory.WithMaxEntries(0)}, "WithMaxEntries"},
		{"lifetime 0", []memory.Option{memory.WithMaxTokenLifetime(0)}, "WithMaxTokenLifetime"},
		{"negative grace", []memory.Option{memory.WithGrace(-time.Second)}, "WithGrace"},
		{"negative skew", []memory.Option{memory.WithSkew(-time.Second)}, "WithSkew"},
		{"huge grace", []memory.Option{memory.WithGrace(1 << 62)}, "WithGrace"},
		{"nil clock", []memory.Option{memory.WithClock(nil)}, "WithClock"},
		{"nil option", []memory.Option{nil}, "nil Option"},
		{"max entries twice", []memory.Option{memory.WithMaxEntries(1), memory.WithMaxEntries(2)}, "WithMaxEntries given twice"},
		{"lifetime twice", []memory.Option{memory.WithMaxTokenLifetime(time.Hour), memory.WithMaxTokenLifetime(time.Hour)}, "WithMaxTokenLifetime given twice"},
		{"grace twice", []memory.Option{memory.WithGrace(time.Minute), memory.WithGrace(time.Minute)}, "WithGrace given twice"},
		{"skew twice", []memory.Option{memory.WithSkew(time.Minute), memory.WithSkew(time.Minute)}, "WithSkew given twice"},
		{"clock twice", []memory.Option{memory.WithClock(time.Now), memory.WithClock(time.Now)}, "WithClock given twice"},
	} {
		s, err := memory.New(tc.opts...)
		switch {
		case tc.want == "" && (err != nil || s == nil):
			t.Errorf("%s: New = %v, %v", tc.name, s, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || s != nil):
			t.Errorf("%s: New = %v, %v; want an error naming %s", tc.name, s, err, tc.want)
		}
	}
}

func TestGraceAndSkew(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	if s.Grace() != 5*time.Minute || s.Skew() != 30*time.Second {
		t.Errorf("defaults: Grace %s, Skew %s; want 5m0s, 30s", s.Grace(), s.Skew())
	}
	s = newStore(t, memory.WithGrace(time.Minute), memory.WithSkew(2*time.Minute))
	if s.Grace() != time.Minute || s.Skew() != 2*time.Minute {
		t.Errorf("set: Grace %s, Skew %s", s.Grace(), s.Skew())
	}
}

// TestNilStore: a nil *Store answers with errors, never a panic and never
// "not revoked" without an error.
func TestNilStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var s *memory.Store
	if ok, err := s.IsRevoked(ctx, &jwtguard.Claims{ID: "j"}); ok || err == nil {
		t.Errorf("IsRevoked = %v, %v; want an error", ok, err)
	}
	if err := s.RevokeToken(ctx, iss, "j", t0); err == nil {
		t.Error("RevokeToken succeeded")
	}
	if err := s.RevokeSubject(ctx, iss, "u", t0); err == nil {
		t.Error("RevokeSubject succeeded")
	}
	for name, err := range map[string]error{
		"RevokeSession": s.RevokeSession(ctx, iss, "s", t0),
		"RevokeIssuer":  s.RevokeIssuer(ctx, iss, t0),
		"RevokeKey":     s.RevokeKey(ctx, iss, "kid:k", t0),
		"RefreshKeys":   s.RefreshKeys(ctx, iss),
		"RevokedKeys":   s.RevokedKeys(ctx, func(string, string, time.Time) {}),
	} {
		if err == nil {
			t.Errorf("%s on a nil store succeeded", name)
		}
	}
	s.Subscribe(func(string, string, string, time.Time) {})() // no panic
	if s.Len() != 0 || s.Grace() != 0 || s.Skew() != 0 {
		t.Error("Len, Grace or Skew of a nil store is not zero")
	}
	if ok, err := newStore(t).IsRevoked(ctx, nil); ok || err == nil {
		t.Errorf("IsRevoked(nil) = %v, %v; want an error", ok, err)
	}
}

func TestIsRevoked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name   string
		setup  func(s *memory.Store) error
		later  time.Duration // clock advance before the check
		claims jwtguard.Claims
		want   bool
	}{
		{"empty store", nil, 0, jwtguard.Claims{Issuer: iss, ID: "a", Subject: "u"}, false},
		{"jti revoked", func(s *memory.Store) error {
			return s.RevokeToken(ctx, iss, "a", t0.Add(time.Hour))
		}, 0, jwtguard.Claims{Issuer: iss, ID: "a", Subject: "u"}, true},
		{"other jti", func(s *memory.Store) error {
			return s.RevokeToken(ctx, iss, "a", t0.Add(time.Hour))
		}, 0, jwtguard.Claims{Issuer: iss, ID: "b", Subject: "u"}, false},
		{"jti of a token without iss", func(s *memory.Store) error {
			return s.RevokeToken(ctx, "", "a", t0.Add(time.Hour))
		}, 0, jwtguard.Claims{ID: "a"}, true},
		{"jti entry kept through the grace after exp", func(s *memory.Store) error {
			return s.RevokeToken(ctx, iss, "a", t0.Add(time.Hour))
		}, time.Hour + 5*time.Minute - time.Second, jwtguard.Claims{Issuer: iss, ID: "a"}, true},
		{"jti entry gone after exp + grace", func(s *memory.Store) error {
			return s.RevokeToken(ctx, iss, "a", t0.Add(time.Hour))
		}, time.Hour + 5*time.Minute, jwtguard.Claims{Issuer: iss, ID: "a"}, false},
		{"revoking an already expired token is a no-op", func(s *memory.Store) error {
			return s.RevokeToken(ctx, iss, "a", t0.Add(-time.Hour))
		}, 0, jwtguard.Claims{Issuer: iss, ID: "a"}, false},
		{"subject: token issued before", func(s *memory.Store) error {
			return s.RevokeSubject(ctx, iss, "u", t0)
		}, 0, jwtguard.Claims{Issuer: iss, ID: "a", Subject: "u", IssuedAt: t0.Add(-time.Second)}, true},
		{"subject: token issued after the skew", func(s *memory.Store) error {
			return s.RevokeSubject(ctx, iss, "u", t0)
		}, 0, jwtguard.Claims{Issuer: iss, ID: "a", Subject: "u", IssuedAt: t0.Add(30 * time.Second)}, false},
		{"subject: token without iat", func(s *memory.Store) error {
			return s.RevokeSubject(ctx, iss, "u", t0)
		}, 0, jwtguard.Claims{Issuer: iss, Subject: "u"}, true},
		{"subject: other subject", func(s *memory.Store) error {
			return s.RevokeSubject(ctx, iss, "u", t0)
		}, 0, jwtguard.Claims{Issuer: iss, Subject: "v", IssuedAt: t0.Add(-time.Hour)}, false},
		{"subject: an earlier time does not shorten a revocation", func(s *memory.Store) error {
			if err := s.RevokeSubject(ctx, iss, "u", t0); err != nil {
				return err
			}
			return s.RevokeSubject(ctx, iss, "u", t0.Add(-time.Hour))
		}, 0, jwtguard.Claims{Issuer: iss, Subject: "u", IssuedAt: t0.Add(-time.Minute)}, true},
		{"subject: a later time extends it", func(s *memory.Store) error {
			if err := s.RevokeSubject(ctx, iss, "u", t0.Add(-time.Hour)); err != nil {
				return err
			}
			return s.RevokeSubject(ctx, iss, "u", t0)
		}, 0, jwtguard.Claims{Issuer: iss, Subject: "u", IssuedAt: t0.Add(-time.Minute)}, true},
		{"subject entry kept for MaxTokenLifetime", func(s *memory.Store) error {
			return s.RevokeSubject(ctx, iss, "u", t0)
		}, 2 * time.Hour, jwtguard.Claims{Issuer: iss, Subject: "u", IssuedAt: t0.Add(-time.Minute)}, true},
		{"subject entry kept through MaxTokenLifetime + skew + grace", func(s *memory.Store) error {
			return s.RevokeSubject(ctx, iss, "u", t0)
		}, 3*time.Hour + 30*time.Second + 5*time.Minute - time.Second, jwtguard.Claims{Issuer: iss, Subject: "u", IssuedAt: t0.Add(29 * time.Second)}, true},
		{"subject entry gone after MaxTokenLifetime + skew + grace", func(s *memory.Store) error {
			return s.RevokeSubject(ctx, iss, "u", t0)
		}, 3*time.Hour + 30*time.Second + 5*time.Minute, jwtguard.Claims{Issuer: iss, Subject: "u", IssuedAt: t0.Add(-time.Minute)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clk := jwtguardtest.NewClock(t0)
			s := newStore(t, memory.WithClock(clk.Now), memory.WithMaxTokenLifetime(3*time.Hour))
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

// TestIssuerScoped (issue 12 item 12): jti and sub are unique only per
// issuer, so a revocation recorded for issuer B never revokes issuer A's
// token with the same jti or sub — including issuer and value pairs that
// would read alike if simply concatenated.
func TestIssuerScoped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const a, b = "https://a.example.com", "https://b.example.com"
	s := newStore(t, memory.WithClock(jwtguardtest.NewClock(t0).Now))
	if err := s.RevokeToken(ctx, b, "jti-1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSubject(ctx, b, "alice", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "x:", "y", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    jwtguard.Claims
		want bool
	}{
		{jwtguard.Claims{Issuer: b, ID: "jti-1"}, true},
		{jwtguard.Claims{Issuer: a, ID: "jti-1"}, false},
		{jwtguard.Claims{ID: "jti-1"}, false},
		{jwtguard.Claims{Issuer: b, Subject: "alice", IssuedAt: t0.Add(-time.Minute)}, true},
		{jwtguard.Claims{Issuer: a, Subject: "alice", IssuedAt: t0.Add(-time.Minute)}, false},
		{jwtguard.Claims{Subject: "alice"}, false},
		{jwtguard.Claims{Issuer: "x:", ID: "y"}, true},
		{jwtguard.Claims{Issuer: "x", ID: ":y"}, false},
		{jwtguard.Claims{Issuer: "", ID: "x::y"}, false},
	} {
		if got, err := s.IsRevoked(ctx, &tc.c); got != tc.want || err != nil {
			t.Errorf("iss %q jti %q sub %q: IsRevoked = %v, %v; want %v", tc.c.Issuer, tc.c.ID, tc.c.Subject, got, err, tc.want)
		}
	}
}

// TestRevokeSubjectIssuerSkew (issue 12 item 10): the verifier accepts an
// iat up to its leeway in the future, so a token minted just before "log
// out everywhere" by an identity provider whose clock runs ahead carries
// an iat after the revocation time; it must be revoked. The price,
// documented: a fresh login within the skew after the revocation is
// refused too.
func TestRevokeSubjectIssuerSkew(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		skew time.Duration // 0: default (30 s)
		iat  time.Duration // relative to the revocation time
		want bool
	}{
		{"default skew, IdP clock 10 s ahead", 0, 10 * time.Second, true},
		{"default skew, IdP clock 29 s ahead", 0, 29 * time.Second, true},
		{"default skew, issued after the skew", 0, 30 * time.Second, false},
		{"skew 2 min, IdP clock 90 s ahead", 2 * time.Minute, 90 * time.Second, true},
		{"skew 2 min, issued after the skew", 2 * time.Minute, 2 * time.Minute, false},
		{"skew 0, issued at the instant", -1, 0, false},
		{"skew 0, issued just before", -1, -time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []memory.Option{memory.WithClock(jwtguardtest.NewClock(t0).Now)}
			switch {
			case tc.skew > 0:
				opts = append(opts, memory.WithSkew(tc.skew))
			case tc.skew < 0:
				opts = append(opts, memory.WithSkew(0))
			}
			s := newStore(t, opts...)
			if err := s.RevokeSubject(ctx, iss, "alice", t0); err != nil {
				t.Fatal(err)
			}
			c := &jwtguard.Claims{Issuer: iss, Subject: "alice", IssuedAt: t0.Add(tc.iat)}
			if got, err := s.IsRevoked(ctx, c); got != tc.want || err != nil {
				t.Fatalf("IsRevoked = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestFarFutureExpiry: a token whose exp lies beyond what UnixNano can
// represent (after 2262, e.g. 9999-12-31) stays revoked, by jti and by a
// far-future subject cut-off.
func TestFarFutureExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, exp := range []int64{4102444800, 9223372037, 32503680000, 253402300799} {
		s := newStore(t, memory.WithClock(jwtguardtest.NewClock(t0).Now))
		if err := s.RevokeToken(ctx, iss, "j-far", time.Unix(exp, 0)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeSubject(ctx, iss, "far", time.Unix(exp, 0)); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, ID: "j-far"}); !ok {
			t.Errorf("exp %d: jti not revoked", exp)
		}
		if ok, _ := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, Subject: "far", IssuedAt: t0}); !ok {
			t.Errorf("exp %d: subject not revoked", exp)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.RevokeToken(ctx, iss, "", time.Now().Add(time.Hour)); err == nil {
		t.Error("RevokeToken accepted an empty jti")
	}
	if err := s.RevokeSubject(ctx, iss, "", time.Now()); err == nil {
		t.Error("RevokeSubject accepted an empty subject")
	}
	if err := jwtguard.RevokeClaims(ctx, s, &jwtguard.Claims{Issuer: iss, Subject: "u"}); err == nil {
		t.Error("RevokeClaims accepted claims without jti")
	}
	if err := jwtguard.RevokeClaims(ctx, s, &jwtguard.Claims{Issuer: iss, ID: "x", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, ID: "x"}); !got {
		t.Error("RevokeClaims did not revoke the jti")
	}
}

func TestBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := jwtguardtest.NewClock(t0)
	const max = 64
	s := newStore(t, memory.WithMaxEntries(max), memory.WithClock(clk.Now))
	var full error
	n := 0
	for i := range 10 * max {
		err := s.RevokeToken(ctx, iss, fmt.Sprintf("jti-%d", i), t0.Add(time.Minute))
		if err != nil {
			full = err
			continue
		}
		n++
	}
	if !errors.Is(full, memory.ErrFull) {
		t.Fatalf("no ErrFull after %d revocations (err %v)", 10*max, full)
	}
	if s.Len() > max || s.Len() != n {
		t.Fatalf("store holds %d entries (%d accepted), bound %d", s.Len(), n, max)
	}
	// Every accepted revocation is still honoured: nothing was evicted.
	revoked := 0
	for i := range 10 * max {
		if ok, _ := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, ID: fmt.Sprintf("jti-%d", i)}); ok {
			revoked++
		}
	}
	if revoked != n {
		t.Fatalf("%d of %d accepted revocations are honoured", revoked, n)
	}
	// Subject entries count against the same bound.
	if err := s.RevokeSubject(ctx, iss, "u", t0); !errors.Is(err, memory.ErrFull) {
		t.Fatalf("RevokeSubject on a full store: %v, want ErrFull", err)
	}
	// Once the tokens expire their entries are purged on the next writes
	// and the store accepts revocations again.
	clk.Advance(time.Minute + s.Grace())
	for i := range max / 2 {
		if err := s.RevokeToken(ctx, iss, fmt.Sprintf("new-%d", i), clk.Now().Add(time.Minute)); err != nil {
			t.Fatalf("revocation %d after expiry: %v", i, err)
		}
	}
	if s.Len() > max {
		t.Fatalf("store holds %d entries after expiry, bound %d", s.Len(), max)
	}
}

func TestRepeatedExtensionStaysBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, memory.WithMaxEntries(64), memory.WithClock(jwtguardtest.NewClock(t0).Now), memory.WithSkew(0))
	for i := range 10_000 {
		// The same subject logged out everywhere again and again.
		if err := s.RevokeSubject(ctx, iss, "u", t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
	ok, _ := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, Subject: "u", IssuedAt: t0.Add(9 * time.Second)})
	if !ok {
		t.Fatal("the latest RevokeSubject is not honoured")
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, memory.WithMaxEntries(1<<14))
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 500 {
				jti := fmt.Sprintf("w%d-%d", w, i)
				if err := s.RevokeToken(ctx, iss, jti, exp); err != nil {
					t.Error(err)
					return
				}
				if ok, err := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, ID: jti}); !ok || err != nil {
					t.Errorf("%s not revoked right after RevokeToken", jti)
					return
				}
				if i%50 == 0 {
					_ = s.RevokeSubject(ctx, iss, fmt.Sprintf("user-%d", w), time.Now())
				}
			}
		})
	}
	wg.Wait()
	if s.Len() != 8*500+8 {
		t.Fatalf("Len = %d, want %d", s.Len(), 8*500+8)
	}
}

// BenchmarkIsRevoked measures one lookup (jti + subject) in a store
// holding 100 000 entries.
func BenchmarkIsRevoked(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	exp := time.Now().Add(time.Hour)
	for i := range 100_000 {
		_ = s.RevokeToken(ctx, iss, fmt.Sprintf("jti-%d", i), exp)
	}
	_ = s.RevokeSubject(ctx, iss, "someone-else", time.Now())
	c := &jwtguard.Claims{Issuer: iss, ID: "not-revoked", Subject: "user-1", IssuedAt: time.Now()}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _ := s.IsRevoked(ctx, c); ok {
				b.Fatal("revoked")
			}
		}
	})
}

// BenchmarkRevokeToken measures recording a revocation.
func BenchmarkRevokeToken(b *testing.B) {
	ctx := context.Background()
	s := newStore(b, memory.WithMaxEntries(10_000_000))
	exp := time.Now().Add(time.Hour)
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("jti-%d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = s.RevokeToken(ctx, iss, keys[i&(len(keys)-1)], exp)
		i++
	}
}
