package memory_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/memory"
)

// tp is an RFC 7638 thumbprint (RFC 7638 §3.1's example).
const tp = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

// TestRevokeSessionAndIssuer (issue 20): a session revocation refuses every
// token of that issuer carrying the sid, whenever issued, and no token
// without sid or of another issuer; an issuer-wide revocation refuses the
// tokens issued before its time (with the skew, and those without iat),
// not later ones; both entries expire.
func TestRevokeSessionAndIssuer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := t0
	s := newStore(t, memory.WithClock(func() time.Time { return now }), memory.WithMaxTokenLifetime(time.Hour))
	const other = "https://other.example.com/"
	if err := s.RevokeSession(ctx, iss, "sess-1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    jwtguard.Claims
		want bool
	}{
		{"same sid", jwtguard.Claims{Issuer: iss, Subject: "alice", SessionID: "sess-1", IssuedAt: t0.Add(-time.Minute)}, true},
		{"same sid, issued later", jwtguard.Claims{Issuer: iss, Subject: "alice", SessionID: "sess-1", IssuedAt: t0.Add(time.Minute)}, true},
		{"other sid", jwtguard.Claims{Issuer: iss, Subject: "alice", SessionID: "sess-2"}, false},
		{"no sid", jwtguard.Claims{Issuer: iss, Subject: "alice", IssuedAt: t0.Add(-time.Minute)}, false},
		{"other issuer", jwtguard.Claims{Issuer: other, Subject: "alice", SessionID: "sess-1"}, false},
	} {
		if got, err := s.IsRevoked(ctx, &tc.c); err != nil || got != tc.want {
			t.Errorf("session: %s: IsRevoked = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// The zero until keeps the entry for the max token lifetime plus the
	// grace (5 min).
	now = t0.Add(time.Hour + 4*time.Minute)
	if got, _ := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, SessionID: "sess-1"}); !got {
		t.Error("session entry gone before lifetime + grace")
	}
	now = t0.Add(time.Hour + 6*time.Minute)
	if got, _ := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, SessionID: "sess-1"}); got {
		t.Error("session entry still there after lifetime + grace")
	}

	now = t0
	if err := s.RevokeIssuer(ctx, iss, t0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    jwtguard.Claims
		want bool
	}{
		{"issued before", jwtguard.Claims{Issuer: iss, Subject: "bob", IssuedAt: t0.Add(-time.Hour)}, true},
		{"issued within the skew after", jwtguard.Claims{Issuer: iss, Subject: "bob", IssuedAt: t0.Add(20 * time.Second)}, true},
		{"no iat", jwtguard.Claims{Issuer: iss}, true},
		{"issued after the skew", jwtguard.Claims{Issuer: iss, Subject: "bob", IssuedAt: t0.Add(time.Minute)}, false},
		{"other issuer", jwtguard.Claims{Issuer: other, Subject: "bob", IssuedAt: t0.Add(-time.Hour)}, false},
	} {
		if got, err := s.IsRevoked(ctx, &tc.c); err != nil || got != tc.want {
			t.Errorf("issuer: %s: IsRevoked = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// An earlier time does not shorten it.
	if err := s.RevokeIssuer(ctx, iss, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.IsRevoked(ctx, &jwtguard.Claims{Issuer: iss, IssuedAt: t0.Add(-time.Minute)}); !got {
		t.Error("an earlier RevokeIssuer shortened the revocation")
	}
	if err := s.RevokeSession(ctx, iss, "", time.Time{}); err == nil {
		t.Error("RevokeSession with an empty sid succeeded")
	}
}

// TestRevokeKeyAndEvents: RevokeKey validates the key name, keeps the
// revocation until its until (zero: forever) and never shortens it;
// RevokedKeys lists those in force; every Revoke method and RefreshKeys
// reach the subscribers, which stop receiving after stop.
func TestRevokeKeyAndEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := t0
	s := newStore(t, memory.WithClock(func() time.Time { return now }))
	type ev struct {
		kind, issuer, value string
		until               time.Time
	}
	var mu sync.Mutex
	var got []ev
	stop := s.Subscribe(func(kind, issuer, value string, until time.Time) {
		mu.Lock()
		got = append(got, ev{kind, issuer, value, until})
		mu.Unlock()
	})
	for _, bad := range []string{"", "kid:", "not a thumbprint", tp + "A"} {
		if err := s.RevokeKey(ctx, iss, bad, time.Time{}); err == nil {
			t.Errorf("RevokeKey(%q) succeeded", bad)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.RevokeKey(ctx, iss, tp, time.Time{}))
	must(s.RevokeKey(ctx, iss, "kid:k1", t0.Add(time.Hour)))
	must(s.RevokeKey(ctx, iss, "kid:k1", t0.Add(time.Minute))) // does not shorten
	must(s.RevokeKey(ctx, iss, "kid:old", t0.Add(-time.Minute)))
	must(s.RefreshKeys(ctx, iss))
	must(s.RevokeToken(ctx, iss, "j1", t0.Add(time.Hour)))
	must(s.RevokeSubject(ctx, iss, "alice", t0))
	must(s.RevokeSession(ctx, iss, "sess", time.Time{}))
	must(s.RevokeIssuer(ctx, iss, t0))
	stop()
	must(s.RevokeToken(ctx, iss, "j2", t0.Add(time.Hour)))

	list := map[string]time.Time{}
	must(s.RevokedKeys(ctx, func(issuer, key string, until time.Time) {
		if issuer != iss {
			t.Errorf("RevokedKeys: issuer %q", issuer)
		}
		list[key] = until
	}))
	if len(list) != 2 || !list[tp].IsZero() || !list["kid:k1"].Equal(t0.Add(time.Hour)) {
		t.Errorf("RevokedKeys = %v", list)
	}
	now = t0.Add(2 * time.Hour)
	clear(list)
	must(s.RevokedKeys(ctx, func(_, key string, until time.Time) { list[key] = until }))
	if len(list) != 1 || !list[tp].IsZero() {
		t.Errorf("RevokedKeys after kid:k1 expired = %v", list)
	}

	mu.Lock()
	defer mu.Unlock()
	var kinds []string
	for _, e := range got {
		kinds = append(kinds, e.kind+":"+e.value)
	}
	want := []string{"key:" + tp, "key:kid:k1", "key:kid:k1", "refresh:", "token:j1", "subject:alice", "session:sess", "issuer:"}
	if !slices.Equal(kinds, want) {
		t.Errorf("events = %v\nwant     %v", kinds, want)
	}
}

// TestFullRefusesNewKinds: sessions, issuers and keys count against the
// bound like jti and subject entries.
func TestFullRefusesNewKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, memory.WithMaxEntries(1), memory.WithClock(func() time.Time { return t0 }))
	if err := s.RevokeSession(ctx, iss, "s1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"RevokeSession": s.RevokeSession(ctx, iss, "s2", time.Time{}),
		"RevokeIssuer":  s.RevokeIssuer(ctx, iss, t0),
		"RevokeKey":     s.RevokeKey(ctx, iss, tp, time.Time{}),
	} {
		if !errors.Is(err, memory.ErrFull) {
			t.Errorf("%s on a full store: %v, want ErrFull", name, err)
		}
	}
}
