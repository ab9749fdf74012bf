package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/admin"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type fixture struct {
	idp, ops *jwtguardtest.Issuer
	store    *memory.Store
	api      *jwtguard.Verifier // the API's verifier, sharing the store
	h        http.Handler
	operator string // an operator's token
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{idp: jwtguardtest.NewIssuer(t), ops: jwtguardtest.NewIssuer(t)}
	var err error
	if f.store, err = memory.New(); err != nil {
		t.Fatal(err)
	}
	e := f.idp.Entry()
	e.Aliases = []string{"idp-alias"}
	f.api = f.idp.VerifierFor(t, e, jwtguard.WithRevocation(f.store), jwtguard.WithCache(100, time.Minute),
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: 10 * time.Millisecond}))
	opsV := f.ops.Verifier(t)
	f.h, err = admin.Handler(admin.Config{Store: f.store, Verifier: opsV, Authorize: jwtguard.RequireAnyRole("jwtguard-admin"), Issuers: f.api, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	f.operator = f.ops.Mint(jwtguardtest.Claims{"sub": "oncall", "roles": []string{"jwtguard-admin"}})
	return f
}

func (f *fixture) call(t *testing.T, token, path string, form url.Values) (int, map[string]string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	var body map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body
}

func (f *fixture) refused(t *testing.T, tok string) error {
	t.Helper()
	_, err := f.api.Verify(context.Background(), tok)
	return err
}

// TestAuthRequired: the handler cannot be built without a verifier and a
// policy, and refuses requests without a token (401), with a token of an
// issuer it does not trust — the provider whose keys it acts on (401) —
// and with an operator token the policy denies (403).
func TestAuthRequired(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, cfg := range map[string]admin.Config{
		"no store":     {Verifier: f.api, Authorize: jwtguard.RequireAnyRole("x")},
		"no verifier":  {Store: f.store, Authorize: jwtguard.RequireAnyRole("x")},
		"no authorize": {Store: f.store, Verifier: f.api},
	} {
		if h, err := admin.Handler(cfg); err == nil || h != nil {
			t.Errorf("%s: Handler = %v, %v", name, h, err)
		}
	}
	form := url.Values{"issuer": {f.idp.URL()}}
	for name, tc := range map[string]struct {
		token string
		want  int
	}{
		"no token":                  {"", http.StatusUnauthorized},
		"the provider's token":      {f.idp.Mint(jwtguardtest.Claims{"roles": []string{"jwtguard-admin"}}), http.StatusUnauthorized},
		"operator without the role": {f.ops.Mint(jwtguardtest.Claims{"roles": []string{"viewer"}}), http.StatusForbidden},
	} {
		if code, _ := f.call(t, tc.token, "/revoke-issuer", form); code != tc.want {
			t.Errorf("%s: %d, want %d", name, code, tc.want)
		}
	}
	if code, _ := f.call(t, "", "/nonexistent", form); code != http.StatusUnauthorized {
		t.Errorf("unknown route without a token: %d, want 401", code)
	}
}

// TestRevokeKeyCall: revoke-key by thumbprint and by kid reaches the
// API's verifier through the store; an alias names the issuer; bad calls
// are 400 and change nothing.
func TestRevokeKeyCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rs := f.idp.Mint(nil, jwtguardtest.WithAlg("RS256"))
	es := f.idp.Mint(nil, jwtguardtest.WithAlg("ES256"))
	for _, bad := range []url.Values{
		{"issuer": {"https://unknown.example.com/"}, "thumbprint": {f.idp.KeyThumbprint("RS256")}},
		{"issuer": {f.idp.URL()}},
		{"issuer": {f.idp.URL()}, "thumbprint": {"not-a-thumbprint"}},
		{"issuer": {f.idp.URL()}, "thumbprint": {f.idp.KeyThumbprint("RS256")}, "kid": {"k"}},
		{"issuer": {f.idp.URL()}, "thumbprint": {f.idp.KeyThumbprint("RS256")}, "until": {"tomorrow"}},
		{"thumbprint": {f.idp.KeyThumbprint("RS256")}},
	} {
		if code, body := f.call(t, f.operator, "/revoke-key", bad); code != http.StatusBadRequest || body["error"] != "invalid_request" {
			t.Errorf("%v: %d %v", bad, code, body)
		}
	}
	if err := f.refused(t, rs); err != nil {
		t.Fatalf("a bad call revoked something: %v", err)
	}
	code, body := f.call(t, f.operator, "/revoke-key", url.Values{"issuer": {"idp-alias"}, "thumbprint": {f.idp.KeyThumbprint("RS256")}})
	if code != http.StatusOK || body["issuer"] != f.idp.URL() {
		t.Fatalf("revoke-key: %d %v", code, body)
	}
	if err := f.refused(t, rs); !errors.Is(err, jwtguard.ErrTokenRevoked) {
		t.Errorf("RS256 token after revoke-key: %v", err)
	}
	if err := f.refused(t, es); err != nil {
		t.Errorf("ES256 token: %v", err)
	}
	if code, body := f.call(t, f.operator, "/revoke-key", url.Values{"issuer": {f.idp.URL()}, "kid": {f.idp.KeyID("ES256")}, "until": {time.Now().Add(time.Hour).Format(time.RFC3339)}}); code != http.StatusOK {
		t.Fatalf("revoke-key by kid: %d %v", code, body)
	}
	if err := f.refused(t, es); !errors.Is(err, jwtguard.ErrTokenRevoked) {
		t.Errorf("ES256 token after revoke-key by kid: %v", err)
	}
}

// TestOtherCalls: refresh-keys, revoke-issuer, revoke-session and
// revoke-subject.
func TestOtherCalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	old := f.idp.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s1"})
	if err := f.refused(t, old); err != nil {
		t.Fatal(err)
	}
	if err := f.idp.Rotate(); err != nil {
		t.Fatal(err)
	}
	f.idp.RetireOldKeys()
	if code, body := f.call(t, f.operator, "/refresh-keys", url.Values{"issuer": {f.idp.URL()}}); code != http.StatusOK {
		t.Fatalf("refresh-keys: %d %v", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !errors.Is(f.refused(t, old), jwtguard.ErrKeyNotFound) {
		if time.Now().After(deadline) {
			t.Fatalf("the withdrawn key still verifies after refresh-keys: %v", f.refused(t, old))
		}
		time.Sleep(10 * time.Millisecond)
	}

	s1 := f.idp.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "s1"})
	bob := f.idp.Mint(jwtguardtest.Claims{"sub": "bob"})
	carol := f.idp.Mint(jwtguardtest.Claims{"sub": "carol"})
	if code, body := f.call(t, f.operator, "/revoke-session", url.Values{"issuer": {f.idp.URL()}, "sid": {"s1"}}); code != http.StatusOK {
		t.Fatalf("revoke-session: %d %v", code, body)
	}
	if code, body := f.call(t, f.operator, "/revoke-subject", url.Values{"issuer": {f.idp.URL()}, "sub": {"bob"}}); code != http.StatusOK {
		t.Fatalf("revoke-subject: %d %v", code, body)
	}
	if !errors.Is(f.refused(t, s1), jwtguard.ErrTokenRevoked) || !errors.Is(f.refused(t, bob), jwtguard.ErrTokenRevoked) || f.refused(t, carol) != nil {
		t.Error("revoke-session / revoke-subject did not take effect as expected")
	}
	if code, body := f.call(t, f.operator, "/revoke-session", url.Values{"issuer": {f.idp.URL()}}); code != http.StatusBadRequest {
		t.Errorf("revoke-session without sid: %d %v", code, body)
	}
	if code, body := f.call(t, f.operator, "/revoke-issuer", url.Values{"issuer": {f.idp.URL()}}); code != http.StatusOK || body["before"] == "" {
		t.Fatalf("revoke-issuer: %d %v", code, body)
	}
	if !errors.Is(f.refused(t, carol), jwtguard.ErrTokenRevoked) {
		t.Error("revoke-issuer did not revoke carol's token")
	}
}

// TestThumbprint: Thumbprint of a JWK (public or private form) and
// SecretThumbprint of an HMAC secret name the keys as the verifier does.
func TestThumbprint(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(idp.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		want[idp.KeyThumbprint(alg)] = true
	}
	for _, k := range set.Keys {
		tp, err := admin.Thumbprint(k)
		if err != nil || !want[tp] {
			t.Errorf("Thumbprint(%s) = %q, %v", k, tp, err)
		}
	}
	if got := admin.SecretThumbprint(idp.HMACSecret()); got != idp.KeyThumbprint("HS256") {
		t.Errorf("SecretThumbprint = %q, want %q", got, idp.KeyThumbprint("HS256"))
	}
	// RFC 7638 §3.1's example key.
	rfc := `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	if tp, err := admin.Thumbprint([]byte(rfc)); err != nil || tp != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Errorf("RFC 7638 example: %q, %v", tp, err)
	}
	if _, err := admin.Thumbprint([]byte(`{"kty":"RSA"}`)); err == nil {
		t.Error("an invalid JWK gave a thumbprint")
	}
}
