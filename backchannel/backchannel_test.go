package backchannel_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/backchannel"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
)

const clientID = "my-web-app"

type fixture struct {
	iss   *jwtguardtest.Issuer
	store *memory.Store
	v     *jwtguard.Verifier
	h     http.Handler
}

func newFixture(t *testing.T, cfg backchannel.Config) *fixture {
	t.Helper()
	f := &fixture{iss: jwtguardtest.NewIssuer(t)}
	var err error
	if f.store, err = memory.New(); err != nil {
		t.Fatal(err)
	}
	f.v = f.iss.Verifier(t, jwtguard.WithRevocation(f.store), jwtguard.WithCache(100, time.Minute))
	cfg.Verifier, cfg.Audiences = f.v, []string{clientID}
	if cfg.Revoker == nil {
		cfg.Revoker = f.store
	}
	if cfg.Logger == nil {
		cfg.Logger = discard()
	}
	if f.h, err = backchannel.Handler(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

// post sends a back-channel logout request with form as its body.
func (f *fixture) post(form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/backchannel-logout", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func (f *fixture) logout(claims jwtguardtest.Claims, opts ...jwtguardtest.MintOption) *httptest.ResponseRecorder {
	if _, ok := claims["aud"]; !ok {
		claims["aud"] = clientID
	}
	return f.post(url.Values{"logout_token": {f.iss.LogoutToken(claims, opts...)}})
}

// accepted reports whether the access token passes (twice: the second
// call is a cache hit).
func (f *fixture) accepted(t *testing.T, tok string) bool {
	t.Helper()
	_, err1 := f.v.Verify(context.Background(), tok)
	_, err2 := f.v.Verify(context.Background(), tok)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("cache hit disagrees: %v / %v", err1, err2)
	}
	if err1 != nil && !errors.Is(err1, jwtguard.ErrTokenRevoked) {
		t.Fatalf("refused for another reason: %v", err1)
	}
	return err1 == nil
}

func answer(t *testing.T, rec *httptest.ResponseRecorder) (code, desc string) {
	t.Helper()
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if rec.Code == http.StatusOK {
		return "", ""
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if rec.Code == http.StatusBadRequest {
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("400 body %q: %v", rec.Body, err)
		}
	}
	return body.Error, body.Description
}

// TestLogoutBySession: a logout token with sid answers 200 and revokes the
// session: its access tokens are refused (cache hits too); tokens of other
// sessions and tokens without sid are not (the subject revocation of a
// sid-less logout covers those, TestLogoutBySubject).
func TestLogoutBySession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backchannel.Config{})
	s1 := f.iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s1"})
	s2 := f.iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s2"})
	noSID := f.iss.Mint(jwtguardtest.Claims{"sub": "alice"})
	for _, tok := range []string{s1, s2, noSID} {
		if !f.accepted(t, tok) {
			t.Fatal("refused before the logout")
		}
	}
	rec := f.logout(jwtguardtest.Claims{"sid": "s1", "sub": "alice"})
	if rec.Code != http.StatusOK {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body)
	}
	answer(t, rec)
	if f.accepted(t, s1) {
		t.Error("the session's token is still accepted")
	}
	if !f.accepted(t, s2) || !f.accepted(t, noSID) {
		t.Error("another session's token, or one without sid, was revoked")
	}
}

// TestLogoutBySubject: a logout token without sid revokes the subject's
// tokens issued before its iat (with the store's skew); AlsoRevokeSubject
// does it for a logout with sid too.
func TestLogoutBySubject(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backchannel.Config{})
	alice := f.iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s1"})
	bob := f.iss.Mint(jwtguardtest.Claims{"sub": "bob"})
	if rec := f.logout(jwtguardtest.Claims{"sub": "alice"}); rec.Code != http.StatusOK {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body)
	}
	if f.accepted(t, alice) || !f.accepted(t, bob) {
		t.Error("subject logout: alice's token accepted, or bob's refused")
	}

	g := newFixture(t, backchannel.Config{AlsoRevokeSubject: true})
	noSID := g.iss.Mint(jwtguardtest.Claims{"sub": "alice"})
	if rec := g.logout(jwtguardtest.Claims{"sub": "alice", "sid": "s1"}); rec.Code != http.StatusOK {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body)
	}
	if g.accepted(t, noSID) {
		t.Error("AlsoRevokeSubject: the sid-less token is still accepted")
	}
}

// TestLogoutRefused: every invalid logout token (and request) is 400
// invalid_request with no-store, and revokes nothing; a replayed token is
// refused the second time.
func TestLogoutRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backchannel.Config{})
	now := time.Now()
	victim := f.iss.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s1"})
	good := jwtguardtest.Claims{"sid": "s1", "sub": "alice"}
	with := func(extra jwtguardtest.Claims) jwtguardtest.Claims {
		c := jwtguardtest.Claims{"sid": "s1", "sub": "alice"}
		for k, x := range extra {
			c[k] = x
		}
		return c
	}
	for _, tc := range []struct {
		name string
		rec  *httptest.ResponseRecorder
	}{
		{"missing events", f.logout(with(jwtguardtest.Claims{"events": nil}))},
		{"with nonce", f.logout(with(jwtguardtest.Claims{"nonce": "abc"}))},
		{"wrong audience", f.logout(with(jwtguardtest.Claims{"aud": jwtguardtest.DefaultAudience}))},
		{"wrong issuer", f.logout(with(jwtguardtest.Claims{"iss": "https://other-issuer.example.test"}))},
		{"expired", f.logout(with(jwtguardtest.Claims{"iat": now.Add(-4 * time.Minute).Unix(), "exp": now.Add(-2 * time.Minute).Unix()}))},
		{"neither sid nor sub", f.logout(jwtguardtest.Claims{})},
		{"typ at+jwt", f.logout(good, jwtguardtest.WithHeader("typ", "at+jwt"))},
		{"no logout_token", f.post(url.Values{"other": {"x"}})},
		{"two logout_tokens", f.post(url.Values{"logout_token": {f.iss.LogoutToken(with(jwtguardtest.Claims{"aud": clientID})), "x"}})},
		{"an access token", f.post(url.Values{"logout_token": {victim}})},
		{"garbage", f.post(url.Values{"logout_token": {"not.a.jwt"}})},
	} {
		if tc.rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tc.name, tc.rec.Code)
			continue
		}
		if code, desc := answer(t, tc.rec); code != "invalid_request" || desc == "" {
			t.Errorf("%s: error %q %q", tc.name, code, desc)
		}
	}
	if !f.accepted(t, victim) {
		t.Fatal("a refused logout revoked the session")
	}

	// Replay: the first use logs out, the same token again is refused.
	tok := f.iss.LogoutToken(jwtguardtest.Claims{"aud": clientID, "sid": "s9"})
	if rec := f.post(url.Values{"logout_token": {tok}}); rec.Code != http.StatusOK {
		t.Fatalf("first use: %d %s", rec.Code, rec.Body)
	}
	rec := f.post(url.Values{"logout_token": {tok}})
	if code, desc := answer(t, rec); rec.Code != http.StatusBadRequest || code != "invalid_request" || !strings.Contains(desc, "replayed") {
		t.Errorf("replay: %d %q %q", rec.Code, code, desc)
	}
}

// TestRequestShape: the method, content type and body size rules.
func TestRequestShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backchannel.Config{})
	tok := f.iss.LogoutToken(jwtguardtest.Claims{"aud": clientID, "sid": "s1"})
	req := httptest.NewRequest(http.MethodGet, "/?logout_token="+tok, nil)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	for name, ct := range map[string]string{"json": "application/json", "none": "", "multipart": "multipart/form-data; boundary=x"} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("logout_token="+tok))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("content type %s: %d", name, rec.Code)
		}
	}
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("logout_token="+tok+"&pad="+strings.Repeat("a", 70<<10)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec = httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if _, desc := answer(t, rec); rec.Code != http.StatusBadRequest || !strings.Contains(desc, "exceeds") {
		t.Errorf("oversized body: %d %q", rec.Code, desc)
	}
	// A charset parameter and unknown parameters are fine.
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("state=x&logout_token="+tok))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	rec = httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("with charset and another parameter: %d %s", rec.Code, rec.Body)
	}
}

// flakyRevoker fails session revocations while down.
type flakyRevoker struct {
	*memory.Store
	down atomic.Bool
}

func (r *flakyRevoker) RevokeSession(ctx context.Context, iss, sid string, until time.Time) error {
	if r.down.Load() {
		return errors.New("store down")
	}
	return r.Store.RevokeSession(ctx, iss, sid, until)
}

// TestStoreDown: a logout the store cannot record is a 400
// temporarily_unavailable (§2.8: a failed logout is a 400), and the same
// token can be sent again once the store is back (the jti is recorded
// only after the revocation).
func TestStoreDown(t *testing.T) {
	t.Parallel()
	store, _ := memory.New()
	r := &flakyRevoker{Store: store}
	r.down.Store(true)
	f := newFixture(t, backchannel.Config{Revoker: r})
	tok := f.iss.LogoutToken(jwtguardtest.Claims{"aud": clientID, "sid": "s1"})
	rec := f.post(url.Values{"logout_token": {tok}})
	if code, _ := answer(t, rec); rec.Code != http.StatusBadRequest || code != "temporarily_unavailable" {
		t.Errorf("store down: %d %q", rec.Code, code)
	}
	r.down.Store(false)
	if rec := f.post(url.Values{"logout_token": {tok}}); rec.Code != http.StatusOK {
		t.Errorf("the same token after the store is back: %d %s", rec.Code, rec.Body)
	}
	if ok, _ := store.IsRevoked(context.Background(), &jwtguard.Claims{Issuer: f.iss.URL(), SessionID: "s1"}); !ok {
		t.Error("session not revoked after the retry")
	}
}

func TestHandlerConfig(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	store, _ := memory.New()
	for name, cfg := range map[string]backchannel.Config{
		"no verifier":    {Revoker: store, Audiences: []string{clientID}},
		"no revoker":     {Verifier: v, Audiences: []string{clientID}},
		"no audiences":   {Verifier: v, Revoker: store},
		"empty audience": {Verifier: v, Revoker: store, Audiences: []string{""}},
	} {
		if h, err := backchannel.Handler(cfg); err == nil || h != nil {
			t.Errorf("%s: Handler = %v, %v", name, h, err)
		}
	}
}

// FuzzHandler: whatever the body, the handler never panics and never
// answers 200 (no logout token can be forged), and every answer is
// no-store.
func FuzzHandler(f *testing.F) {
	iss, err := jwtguardtest.StartIssuer()
	if err != nil {
		f.Fatal(err)
	}
	defer iss.Close()
	store, _ := memory.New()
	v, err := jwtguard.New(jwtguard.Trust(iss.Entry()), jwtguard.WithAlgorithms(jwtguardtest.Algorithms...), jwtguard.WithRevocation(store))
	if err != nil {
		f.Fatal(err)
	}
	defer v.Close()
	h, err := backchannel.Handler(backchannel.Config{Verifier: v, Revoker: store, Audiences: []string{clientID}, Logger: discard()})
	if err != nil {
		f.Fatal(err)
	}
	tok := iss.LogoutToken(jwtguardtest.Claims{"aud": clientID, "sid": "s"})
	f.Add("logout_token=" + tok[:len(tok)-4] + "AAAA")
	f.Add("logout_token=a.b.c&logout_token=d")
	f.Add("logout_token=%zz")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("body %q: %d, Cache-Control %q", body, rec.Code, rec.Header().Get("Cache-Control"))
		}
	})
}
