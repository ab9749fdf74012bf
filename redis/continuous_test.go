package redisstore_test

// Continuous access on a real redis-server (issue 20): revocation by
// session, issuer and key in the Redis store; the events every instance
// receives; a back-channel logout, a key revocation and an on-demand key
// refresh made on instance A and seen by instance B; and the measured
// delays from the call on A to the refusal on B (TestContinuousDelays,
// whose figures README.md quotes).

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/backchannel"
	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	redisstore "github.com/jwtguard/jwtguard/redis"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

const tp = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" // RFC 7638 §3.1

// TestSessionAndIssuerEntries: RevokeSession and RevokeIssuer write the
// documented keys with their lifetimes, and IsRevoked answers them (with
// and without the local cache, revoked through this Store or another).
func TestSessionAndIssuerEntries(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr)
	ctx := context.Background()
	t0 := time.Now()
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			prefix := fmt.Sprintf("sess%v:", cached)
			s := modeStore(t, client, prefix, cached, redisstore.WithMaxTokenLifetime(time.Hour))
			other := newStore(t, newClient(t, srv.Addr), redisstore.WithKeyPrefix(prefix), redisstore.WithMaxTokenLifetime(time.Hour))
			s1 := &jwtguard.Claims{Issuer: issuer, Subject: "alice", SessionID: "s1", IssuedAt: t0.Add(-time.Minute)}
			noSID := &jwtguard.Claims{Issuer: issuer, Subject: "alice", IssuedAt: t0.Add(-time.Minute)}
			later := &jwtguard.Claims{Issuer: issuer, Subject: "bob", IssuedAt: t0.Add(time.Minute)}
			for _, c := range []*jwtguard.Claims{s1, noSID, later} {
				if ok, err := s.IsRevoked(ctx, c); ok || err != nil {
					t.Fatalf("before: %v, %v", ok, err)
				}
			}
			if err := other.RevokeSession(ctx, issuer, "s1", time.Time{}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "session revoked", func() bool { ok, _ := s.IsRevoked(ctx, s1); return ok })
			if ok, _ := s.IsRevoked(ctx, noSID); ok {
				t.Error("a token without sid was revoked by the session")
			}
			key := prefix + "sid:26:" + issuer + ":s1"
			if ttl := client.PTTL(ctx, key).Val(); ttl < time.Hour || ttl > time.Hour+5*time.Minute {
				t.Errorf("%s PTTL = %s, want the max token lifetime + grace", key, ttl)
			}
			// A shorter until never shortens it.
			if err := other.RevokeSession(ctx, issuer, "s1", time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if ttl := client.PTTL(ctx, key).Val(); ttl < time.Hour {
				t.Errorf("a shorter until shortened the session entry to %s", ttl)
			}
			if err := other.RevokeIssuer(ctx, issuer, t0); err != nil {
				t.Fatal(err)
			}
			eventually(t, "issuer revoked", func() bool { ok, _ := s.IsRevoked(ctx, noSID); return ok })
			if ok, _ := s.IsRevoked(ctx, later); ok {
				t.Error("a token issued after the issuer revocation (beyond the skew) was revoked")
			}
			if v := client.Get(ctx, prefix+"iss:26:"+issuer+":").Val(); v != fmt.Sprint(t0.UnixMicro()) {
				t.Errorf("issuer entry holds %q", v)
			}
		})
	}
}

// TestKeyRevocationsAndEvents: RevokeKey validates, records in the hash
// (never shortening, dropping expired revocations), RevokedKeys lists
// those in force, and every Store subscribed on the Redis receives the
// events of every other — and "resync" after its subscription returns.
func TestKeyRevocationsAndEvents(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()
	a := newStore(t, newClient(t, srv.Addr))
	b := newStore(t, newClient(t, srv.Addr))
	type ev struct{ kind, issuer, value string }
	var mu sync.Mutex
	var got []ev
	var keyUntil time.Time
	stop := b.Subscribe(func(kind, iss, value string, until time.Time) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev{kind, iss, value})
		if kind == "key" && value == "kid:k1" && until.After(keyUntil) {
			keyUntil = until // a shorter until is published too; verifiers keep the longer
		}
	})
	defer stop()
	seen := func(kind, value string) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(got, ev{kind, issuer, value}) || (kind == "resync" && slices.ContainsFunc(got, func(e ev) bool { return e.kind == "resync" }))
	}
	eventually(t, "first resync", func() bool { return seen("resync", "") })

	if err := a.RevokeKey(ctx, issuer, "nope", time.Time{}); err == nil {
		t.Error("RevokeKey with an invalid name succeeded")
	}
	until := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.RevokeKey(ctx, issuer, tp, time.Time{}))
	must(a.RevokeKey(ctx, issuer, "kid:k1", until))
	must(a.RevokeKey(ctx, issuer, "kid:k1", until.Add(-time.Minute))) // does not shorten
	must(a.RefreshKeys(ctx, issuer))
	must(a.RevokeToken(ctx, issuer, "j1", time.Now().Add(time.Hour)))
	must(a.RevokeSubject(ctx, issuer, "alice", time.Now()))
	must(a.RevokeSession(ctx, issuer, "s1", time.Time{}))
	must(a.RevokeIssuer(ctx, issuer, time.Now()))
	for _, e := range []ev{{"key", issuer, tp}, {"key", issuer, "kid:k1"}, {"refresh", issuer, ""}, {"token", issuer, "j1"},
		{"subject", issuer, "alice"}, {"session", issuer, "s1"}, {"issuer", issuer, ""}} {
		eventually(t, "event "+e.kind+" "+e.value, func() bool { return seen(e.kind, e.value) })
	}
	mu.Lock()
	if !keyUntil.Equal(until) {
		t.Errorf("key event until %s, want %s", keyUntil, until)
	}
	mu.Unlock()
	list := map[string]time.Time{}
	must(b.RevokedKeys(ctx, func(iss, key string, u time.Time) { list[key] = u }))
	if len(list) != 2 || !list[tp].IsZero() || !list["kid:k1"].Equal(until) {
		t.Errorf("RevokedKeys = %v", list)
	}
	// An expired revocation is dropped at the next RevokeKey.
	client := newClient(t, srv.Addr)
	must(client.HSet(ctx, "jwtguard:keys", "26:"+issuer+":kid:old", time.Now().Add(-time.Second).UnixMicro()).Err())
	must(a.RevokeKey(ctx, issuer, "kid:k2", time.Time{}))
	if client.HExists(ctx, "jwtguard:keys", "26:"+issuer+":kid:old").Val() {
		t.Error("an expired key revocation was not dropped")
	}
	// A restart of Redis: the subscription comes back and says resync.
	mu.Lock()
	got = nil
	mu.Unlock()
	srv.Restart(t)
	eventually(t, "resync after a restart", func() bool { return seen("resync", "") })
}

// instance is one service instance: a verifier with its own Redis client
// and store, and its HTTP handler.
type instance struct {
	store *redisstore.Store
	v     *jwtguard.Verifier
	do    func(tok string) (int, string)
}

func newInstance(t *testing.T, addr string, entry jwtguard.Issuer, iss *jwtguardtest.Issuer, cached bool, opts ...jwtguard.Option) *instance {
	t.Helper()
	sopts := []redisstore.Option{}
	if cached {
		sopts = append(sopts, redisstore.WithLocalCache(time.Second, 10000))
	}
	in := &instance{store: newStore(t, newClient(t, addr), sopts...)}
	if cached {
		eventually(t, "subscription", in.store.Subscribed)
	}
	in.v = iss.VerifierFor(t, entry, append([]jwtguard.Option{jwtguard.WithRevocation(in.store), jwtguard.WithCache(10000, time.Minute)}, opts...)...)
	in.do = func(tok string) (int, string) {
		_, err := in.v.Verify(context.Background(), tok)
		if err != nil {
			return jwtguard.AsError(err).Status, err.Error()
		}
		return http.StatusOK, ""
	}
	return in
}

// TestBackChannelLogoutTwoInstances (issue 20 acceptance): a logout token
// received by instance A's back-channel handler refuses the session's next
// request on instance B, which shares the redis-server — with and without
// B's local cache, whose answer for the session was cached "not revoked".
func TestBackChannelLogoutTwoInstances(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	iss := jwtguardtest.NewIssuer(t)
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("B cache=%v", cached), func(t *testing.T) {
			a := newInstance(t, srv.Addr, iss.Entry(), iss, false)
			b := newInstance(t, srv.Addr, iss.Entry(), iss, cached)
			logout, err := backchannel.Handler(backchannel.Config{Verifier: a.v, Revoker: a.store, Audiences: []string{"web-app"}, Logger: discardLog()})
			if err != nil {
				t.Fatal(err)
			}
			sid := fmt.Sprintf("sess-%v", cached)
			access := iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": sid})
			other := iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": sid + "-other"})
			for _, tok := range []string{access, access, other} {
				if code, why := b.do(tok); code != http.StatusOK {
					t.Fatalf("B before the logout: %d %s", code, why)
				}
			}
			if rec := postLogout(logout, iss.LogoutToken(jwtguardtest.Claims{"aud": "web-app", "sid": sid, "sub": "alice"})); rec.Code != http.StatusOK {
				t.Fatalf("logout on A: %d %s", rec.Code, rec.Body)
			}
			if cached {
				eventually(t, "B refuses the session", func() bool { code, _ := b.do(access); return code == http.StatusUnauthorized })
			} else if code, why := b.do(access); code != http.StatusUnauthorized || !strings.Contains(why, "revoked") {
				t.Fatalf("B's next request after the logout on A: %d %s", code, why)
			}
			if code, why := b.do(other); code != http.StatusOK {
				t.Errorf("another session on B: %d %s", code, why)
			}
		})
	}
}

func postLogout(h http.Handler, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/backchannel-logout", strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestKeyRevocationAndRefreshTwoInstances (issue 20 acceptance): a key
// revoked through instance A's store, and an on-demand refresh requested
// there after the provider withdrew a key, are seen by instance B: its
// verified-token cache hits of the key's tokens are refused.
func TestKeyRevocationAndRefreshTwoInstances(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	fast := jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: 10 * time.Millisecond, MinRefresh: time.Hour, MaxRefresh: time.Hour})
	a := newInstance(t, srv.Addr, iss.Entry(), iss, false, fast)
	b := newInstance(t, srv.Addr, iss.Entry(), iss, true, fast)
	es := iss.Mint(nil, jwtguardtest.WithAlg("ES256"))
	rs := iss.Mint(nil, jwtguardtest.WithAlg("RS256"))
	for _, tok := range []string{es, es, rs, rs} {
		if code, why := b.do(tok); code != http.StatusOK {
			t.Fatalf("B before: %d %s", code, why)
		}
	}
	if err := a.store.RevokeKey(ctx, iss.URL(), iss.KeyThumbprint("ES256"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B refuses the revoked key's token", func() bool { code, _ := b.do(es); return code == http.StatusUnauthorized })
	if code, why := b.do(rs); code != http.StatusOK {
		t.Errorf("B, another key: %d %s", code, why)
	}

	// The provider withdraws the RS256 key; A asks every instance to
	// refresh.
	if err := iss.Rotate(); err != nil {
		t.Fatal(err)
	}
	iss.RetireOldKeys()
	if code, _ := b.do(rs); code != http.StatusOK {
		t.Fatal("B refused the withdrawn key's token before any refresh (the test needs the cached set)")
	}
	if err := a.store.RefreshKeys(ctx, iss.URL()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B refuses the withdrawn key's token after the refresh", func() bool {
		_, err := b.v.Verify(ctx, rs)
		return errors.Is(err, jwtguard.ErrKeyNotFound)
	})
	if code, why := b.do(iss.Mint(nil)); code != http.StatusOK {
		t.Errorf("B, the new key: %d %s", code, why)
	}
}

// TestContinuousDelays measures, on a real redis-server, the delay from a
// call on instance A to the refusal of the affected token on instance B:
// a back-channel logout (the logout token handled by A's handler) and a
// key revocation (RevokeKey through A's store), 200 trials each, B with
// and without its local cache, B's verified-token cache warm. It fails
// when a p99 exceeds 1 s, and logs p50, p99 and max (go test -v -run
// TestContinuousDelays ./redis/ prints them; README.md quotes a run).
func TestContinuousDelays(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	const trials = 200

	// Key revocation needs a fresh key per trial: a static set of Ed25519
	// keys with kids, cheap to make.
	set := jwk.NewSet()
	privs := make([]ed25519.PrivateKey, 2*trials) // one per trial of each round
	tps := make([]string, 2*trials)
	for i := range privs {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		privs[i] = priv
		k, err := jwk.FromRaw(pub)
		if err != nil {
			t.Fatal(err)
		}
		_ = k.Set(jwk.KeyIDKey, fmt.Sprintf("k%d", i))
		_ = set.AddKey(k)
		tp, err := k.Thumbprint(crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		tps[i] = base64.RawURLEncoding.EncodeToString(tp)
	}
	const staticIss = "https://static.example.com/"
	static := jwtguard.Issuer{ID: staticIss, Keys: jwtguard.StaticKeys(set), Audiences: []string{jwtguardtest.DefaultAudience}}
	both := []jwtguard.Issuer{iss.Entry(), static}

	for round, cached := range []bool{false, true} {
		a := newInstanceMulti(t, srv.Addr, both, iss, false)
		b := newInstanceMulti(t, srv.Addr, both, iss, cached)
		logout, err := backchannel.Handler(backchannel.Config{Verifier: a.v, Revoker: a.store, Audiences: []string{"web-app"}, Logger: discardLog()})
		if err != nil {
			t.Fatal(err)
		}
		// waitRefused polls B (every 200 µs) until it refuses tok.
		waitRefused := func(tok string, start time.Time) time.Duration {
			for {
				if _, err := b.v.Verify(ctx, tok); errors.Is(err, jwtguard.ErrTokenRevoked) {
					return time.Since(start)
				} else if err != nil {
					t.Fatalf("B refused for another reason: %v", err)
				}
				if time.Since(start) > 5*time.Second {
					t.Fatal("B did not refuse within 5 s")
				}
				time.Sleep(200 * time.Microsecond)
			}
		}
		var logoutD, keyD, watchD []time.Duration
		for i := range trials {
			sid := fmt.Sprintf("m%v-%d", cached, i)
			access := iss.Mint(jwtguardtest.Claims{"sub": "u" + sid, "sid": sid})
			var c *jwtguard.Claims
			for range 2 {
				if c, err = b.v.Verify(ctx, access); err != nil { // warm: verified-token cache, local cache
					t.Fatal(err)
				}
			}
			watched := b.v.Watch(ctx, c) // a stream open on B
			lt := iss.LogoutToken(jwtguardtest.Claims{"aud": "web-app", "sid": sid})
			start := time.Now()
			ended := make(chan time.Duration, 1)
			go func() { <-watched.Done(); ended <- time.Since(start) }()
			if rec := postLogout(logout, lt); rec.Code != http.StatusOK {
				t.Fatalf("logout: %d %s", rec.Code, rec.Body)
			}
			logoutD = append(logoutD, waitRefused(access, start))
			select {
			case d := <-ended:
				watchD = append(watchD, d)
			case <-time.After(5 * time.Second):
				t.Fatal("the watched stream on B did not end within 5 s")
			}
			if !errors.Is(context.Cause(watched), jwtguard.ErrTokenRevoked) {
				t.Fatalf("watch cause %v", context.Cause(watched))
			}

			ki := round*trials + i
			tok := mintEd(t, staticIss, privs[ki], fmt.Sprintf("k%d", ki))
			for range 2 {
				if _, err := b.v.Verify(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			start = time.Now()
			if err := a.store.RevokeKey(ctx, staticIss, tps[ki], time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			keyD = append(keyD, waitRefused(tok, start))
		}
		for name, d := range map[string][]time.Duration{"back-channel logout on A → refusal on B": logoutD,
			"back-channel logout on A → watched stream on B ends": watchD, "key revocation on A → refusal on B": keyD} {
			p50, p99, worst := percentiles(d)
			t.Logf("%s (B local cache %v, %d trials): p50 %s, p99 %s, max %s", name, cached, len(d), p50, p99, worst)
			if p99 > time.Second {
				t.Errorf("%s: p99 %s exceeds 1 s", name, p99)
			}
		}
	}
}

func newInstanceMulti(t *testing.T, addr string, entries []jwtguard.Issuer, iss *jwtguardtest.Issuer, cached bool) *instance {
	t.Helper()
	return newInstance(t, addr, entries[0], iss, cached, jwtguard.Trust(entries[1:]...))
}

// mintEd signs a token for iss with an Ed25519 key.
func mintEd(t *testing.T, iss string, key ed25519.PrivateKey, kid string) string {
	t.Helper()
	now := time.Now()
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","typ":"JWT","kid":"` + kid + `"}`))
	p := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"iss":%q,"aud":%q,"sub":"u","iat":%d,"exp":%d}`, iss, jwtguardtest.DefaultAudience, now.Unix(), now.Add(time.Hour).Unix()))
	sig := ed25519.Sign(key, []byte(h+"."+p))
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func percentiles(d []time.Duration) (p50, p99, worst time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99), s[len(s)-1]
}
