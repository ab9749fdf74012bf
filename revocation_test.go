package jwtguard_test

// Root behaviour of revocation: RevokeClaims, and the verifier asking its
// store (issuer-scoped entries, cache hits, introspected tokens). The memory
// store itself is tested in memory/ (store_test.go: expiry, bounds,
// concurrency, benchmarks; verifier_test.go: logout and logout-everywhere
// through nethttp), the Redis store in redis/, and New's checks of a store
// (nil typed store, grace and skew below the leeway) in options_test.go.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/memory"
)

// revocationCall is one call a recordingRevoker saw.
type revocationCall struct {
	issuer, jti string
	exp         time.Time
}

// recordingRevoker records RevokeToken calls and fails with err.
type recordingRevoker struct {
	mu    sync.Mutex
	calls []revocationCall
	err   error
}

func (r *recordingRevoker) RevokeToken(_ context.Context, issuer, jti string, exp time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, revocationCall{issuer, jti, exp})
	return r.err
}

func (r *recordingRevoker) RevokeSubject(context.Context, string, string, time.Time) error {
	return errors.New("recordingRevoker: RevokeSubject not expected")
}

func (r *recordingRevoker) RevokeSession(context.Context, string, string, time.Time) error {
	return errors.New("recordingRevoker: RevokeSession not expected")
}

func (r *recordingRevoker) RevokeIssuer(context.Context, string, time.Time) error {
	return errors.New("recordingRevoker: RevokeIssuer not expected")
}

func (r *recordingRevoker) RevokeKey(context.Context, string, string, time.Time) error {
	return errors.New("recordingRevoker: RevokeKey not expected")
}

// staticIntrospector answers every opaque token active with answer, and
// every JWT active without a request.
type staticIntrospector struct{ answer string }

func (s staticIntrospector) Introspect(_ context.Context, _ string, jwt bool) (bool, []byte, error) {
	if jwt {
		return true, nil, nil
	}
	return true, []byte(s.answer), nil
}

// revocationStore returns a memory store on the static verifier's clock.
func revocationStore(t *testing.T) *memory.Store {
	t.Helper()
	s, err := memory.New(memory.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRevokeClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := staticVerifier(t)
	exp := testNow.Add(5 * time.Minute)
	withJTIToken := mint(t, "HS256", with(map[string]any{"jti": "j-1"}), tokenOpts{})
	verified, err := v.Verify(ctx, withJTIToken)
	checkErr(t, err, nil)
	noJTI, err := v.Verify(ctx, good(t, "HS256"))
	checkErr(t, err, nil)

	// Issue 12 item 13: RevokeClaims on an opaque token accepted through
	// introspection used to return nil and do nothing. The verifier now
	// asks the store about introspected tokens too, so revoking one works.
	store := revocationStore(t)
	iv := mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: testIssHMAC, Audiences: []string{testAud}}),
		jwtguard.WithAlgorithms("HS256"), jwtguard.WithClock(fixedClock), jwtguard.WithRevocation(store),
		jwtguard.WithIntrospection(staticIntrospector{answer: `{"active":true,"iss":"` + testIssHMAC + `","aud":"` + testAud +
			`","sub":"user-1","jti":"o-1","exp":` + itoa(exp.Unix()) + `}`}))
	introspected, err := iv.Verify(ctx, "opaque-token")
	checkErr(t, err, nil)
	if introspected.ID != "o-1" {
		t.Fatalf("introspected claims %+v", introspected)
	}

	cases := []struct {
		name string
		c    *jwtguard.Claims
		err  string // substring of the error; "" = success
		want []revocationCall
	}{
		{"verified token", verified, "", []revocationCall{{testIssHMAC, "j-1", exp}}},
		{"hand-built claims", &jwtguard.Claims{Issuer: "https://x.example", ID: "h-1", ExpiresAt: exp}, "", []revocationCall{{"https://x.example", "h-1", exp}}},
		{"token without iss", &jwtguard.Claims{ID: "h-2", ExpiresAt: exp}, "", []revocationCall{{"", "h-2", exp}}},
		{"nil claims", nil, "no claims", nil},
		{"no jti", noJTI, "no jti", nil},
		{"introspected opaque token", introspected, "", []revocationCall{{testIssHMAC, "o-1", exp}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := &recordingRevoker{}
			err := jwtguard.RevokeClaims(ctx, r, c.c)
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("err %v, want one saying %q", err, c.err)
			}
			if len(r.calls) != len(c.want) {
				t.Fatalf("RevokeToken calls %+v, want %+v", r.calls, c.want)
			}
			for i := range c.want {
				if r.calls[i].issuer != c.want[i].issuer || r.calls[i].jti != c.want[i].jti || !r.calls[i].exp.Equal(c.want[i].exp) {
					t.Fatalf("RevokeToken%+v, want %+v", r.calls[i], c.want[i])
				}
			}
		})
	}
	// The store's error is returned.
	failing := &recordingRevoker{err: errors.New("store down")}
	if err := jwtguard.RevokeClaims(ctx, failing, verified); err == nil || !strings.Contains(err.Error(), "store down") {
		t.Fatalf("RevokeClaims with a failing store: %v", err)
	}
	// With the verifier's own store, the revoked opaque token is refused
	// on its next use.
	if err := jwtguard.RevokeClaims(ctx, store, introspected); err != nil {
		t.Fatal(err)
	}
	_, err = iv.Verify(ctx, "opaque-token")
	checkErr(t, err, jwtguard.ErrTokenRevoked)
}

// TestRevocationScopedByIssuer (issue 12 item 12): jti and sub are unique
// only per issuer, so with two issuers in one verifier, revoking one
// issuer's token (or subject) never revokes the other's token that carries
// the same jti (or sub). The verified-token cache does not hide a
// revocation.
func TestRevocationScopedByIssuer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, cached := range []bool{false, true} {
		name := "uncached"
		if cached {
			name = "cached"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store := revocationStore(t)
			opts := []jwtguard.Option{jwtguard.WithRevocation(store)}
			if cached {
				opts = append(opts, jwtguard.WithCache(100, time.Minute))
			}
			v := staticVerifier(t, opts...)
			claims := with(map[string]any{"jti": "same-jti", "sub": "alice", "iat": testNow.Add(-time.Minute).Unix()})
			// Same jti and sub, two issuers: testIssHMAC (HS256) and testIss
			// (ES256).
			hsTok := mint(t, "HS256", claims, tokenOpts{})
			esTok := mint(t, "ES256", claims, tokenOpts{})
			hs, err := v.Verify(ctx, hsTok)
			checkErr(t, err, nil)
			es, err := v.Verify(ctx, esTok)
			checkErr(t, err, nil)
			if hs.Issuer == es.Issuer || hs.ID != es.ID || hs.Subject != es.Subject {
				t.Fatalf("fixture: issuers %q %q, jti %q %q", hs.Issuer, es.Issuer, hs.ID, es.ID)
			}

			// Logout of the HMAC issuer's token.
			if err := jwtguard.RevokeClaims(ctx, store, hs); err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(ctx, hsTok)
			checkErr(t, err, jwtguard.ErrTokenRevoked)
			_, err = v.Verify(ctx, esTok)
			checkErr(t, err, nil)

			// Logout everywhere of the other issuer's alice.
			es2Tok := mint(t, "ES256", with(map[string]any{"jti": "other-jti", "sub": "alice", "iat": testNow.Add(-time.Minute).Unix()}), tokenOpts{})
			hs2Tok := mint(t, "HS256", with(map[string]any{"jti": "other-jti", "sub": "alice", "iat": testNow.Add(-time.Minute).Unix()}), tokenOpts{})
			for _, tok := range []string{es2Tok, hs2Tok} {
				_, err := v.Verify(ctx, tok)
				checkErr(t, err, nil)
			}
			if err := store.RevokeSubject(ctx, es.Issuer, "alice", testNow); err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{esTok, es2Tok} {
				_, err := v.Verify(ctx, tok)
				checkErr(t, err, jwtguard.ErrTokenRevoked)
			}
			_, err = v.Verify(ctx, hs2Tok)
			checkErr(t, err, nil)

			e := jwtguard.AsError(func() error { _, err := v.Verify(ctx, hsTok); return err }())
			if e.Status != 401 || e.Code != "invalid_token" || e.Description != "token revoked" {
				t.Fatalf("revoked: %d %q %q", e.Status, e.Code, e.Description)
			}
		})
	}
}

// countingRevocationStore counts IsRevoked calls and revokes everything.
type countingRevocationStore struct {
	mu sync.Mutex
	n  int
}

func (s *countingRevocationStore) IsRevoked(context.Context, *jwtguard.Claims) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return true, nil
}

func (s *countingRevocationStore) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// TestRevocationAndIntrospection: with an introspector configured, the
// store is asked about JWTs verified locally and about opaque tokens alike
// (so RevokeClaims ends both, documented on RevokeClaims).
func TestRevocationAndIntrospection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &countingRevocationStore{}
	k := testKeys()
	answer := `{"active":true,"iss":"` + testIssHMAC + `","aud":"` + testAud + `","sub":"user-1","jti":"o-1","exp":` +
		itoa(testNow.Add(5*time.Minute).Unix()) + `}`
	v := mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: testIssHMAC, Keys: jwtguard.HMAC(k.secret), Audiences: []string{testAud}}),
		jwtguard.WithAlgorithms("HS256"), jwtguard.WithClock(fixedClock), jwtguard.WithRevocation(store),
		jwtguard.WithIntrospection(staticIntrospector{answer: answer}))
	_, err := v.Verify(ctx, mint(t, "HS256", with(map[string]any{"jti": "j-1"}), tokenOpts{}))
	checkErr(t, err, jwtguard.ErrTokenRevoked)
	if store.calls() != 1 {
		t.Fatalf("store asked %d times for a JWT, want 1", store.calls())
	}
	_, err = v.Verify(ctx, "opaque-token")
	checkErr(t, err, jwtguard.ErrTokenRevoked)
	if store.calls() != 2 {
		t.Fatalf("store asked %d times after an opaque token, want 2", store.calls())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
