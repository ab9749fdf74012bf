package jwtguard_test

// Root integration of token introspection: the verifier with introspect.New
// as its Introspector. The introspect package tests the client itself
// (request form, client authentication, answer shapes, caching, shared
// requests, limits); these tests pin what the verifier decides: the claims
// of an active answer are judged by the issuer entry (exp, nbf, iat, aud,
// iss, required claims, clients), JWTs are verified locally before any
// request, and an outage is a 503 of its own.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/introspect"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
)

const (
	introClient = "resource-server"
	introSecret = "s3cret:with/odd chars"
)

// introClientFor returns an introspection client for endpoint.
func introClientFor(t *testing.T, endpoint string, auth introspect.ClientAuth, opts ...introspect.Option) *introspect.Client {
	t.Helper()
	if auth == nil {
		auth = introspect.ClientSecretBasic(introClient, introSecret)
	}
	c, err := introspect.New(endpoint, auth, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// introVerifier returns a verifier for iss (entry e, or iss.Entry() when
// e.ID is "") with introspection at its endpoint, enabled for the test
// client.
func introVerifier(t *testing.T, iss *jwtguardtest.Issuer, e jwtguard.Issuer, auth introspect.ClientAuth, iopts []introspect.Option, extra ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	endpoint := iss.EnableIntrospection(introClient, introSecret)
	if e.ID == "" {
		e = iss.Entry()
	}
	c := introClientFor(t, endpoint, auth, iopts...)
	return iss.VerifierFor(t, e, append([]jwtguard.Option{jwtguard.WithIntrospection(c)}, extra...)...)
}

func TestIntrospectionOpaqueActive(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	e := iss.Entry()
	e.Claims = jwtguard.ClaimMap{Roles: []string{"realm_access.roles"}, Permissions: []string{"permissions"}}
	v := introVerifier(t, iss, e, nil, nil)
	tok := iss.MintOpaque(jwtguardtest.Claims{"sub": "alice", "scope": "orders:read orders:write", "jti": "o-1",
		"realm_access": map[string]any{"roles": []string{"admin"}}, "permissions": []string{"delete:orders"}, "tenant_id": "acme"})
	c, err := v.Verify(context.Background(), tok)
	checkErr(t, err, nil)
	if c.Subject != "alice" || c.ID != "o-1" || c.Issuer != iss.URL() || c.Tenant != "acme" ||
		!reflect.DeepEqual(c.Scopes, []string{"orders:read", "orders:write"}) ||
		!reflect.DeepEqual(c.Roles, []string{"admin"}) || !reflect.DeepEqual(c.Permissions, []string{"delete:orders"}) ||
		!reflect.DeepEqual(c.Audience, []string{jwtguardtest.DefaultAudience}) {
		t.Fatalf("claims %+v", c)
	}
	if v, ok := c.Get("client_id"); ok {
		t.Fatalf("unexpected client_id %v", v)
	}
	if tt, _ := c.Get("token_type"); tt != "Bearer" {
		t.Fatalf("token_type %v: the answer's members are not reachable", tt)
	}
	// A caller that edits its claims does not change what the next request
	// sees.
	c.Subject, c.Roles[0] = "edited", "edited"
	c2, err := v.Verify(context.Background(), tok)
	checkErr(t, err, nil)
	if c2.Subject != "alice" || c2.Roles[0] != "admin" {
		t.Fatalf("second Verify: %+v", c2)
	}
	// A JWT goes through local verification only (no introspect.WithJWTs).
	hits := iss.IntrospectionHits()
	_, err = v.Verify(context.Background(), iss.Mint(nil))
	checkErr(t, err, nil)
	if iss.IntrospectionHits() != hits {
		t.Fatal("a JWT was introspected without introspect.WithJWTs")
	}
}

func TestIntrospectionInactive(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := introVerifier(t, iss, jwtguard.Issuer{}, nil, nil)
	revoked := iss.MintOpaque(nil)
	iss.Deactivate(revoked)
	cases := []struct{ name, tok string }{
		{"deactivated", revoked},
		{"unknown", "opaque-never-issued"},
		{"expired at the server", iss.MintOpaque(jwtguardtest.Claims{"exp": time.Now().Add(-time.Minute).Unix()})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(context.Background(), tc.tok)
			checkErr(t, err, jwtguard.ErrTokenInactive)
			e := jwtguard.AsError(err)
			if e.Status != http.StatusUnauthorized || e.Code != "invalid_token" {
				t.Fatalf("%d %s, want 401 invalid_token", e.Status, e.Code)
			}
			rec := httptest.NewRecorder()
			v.WriteError(rec, err)
			if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="jwtguard-test", error="invalid_token", error_description="token is not active"` {
				t.Fatalf("WWW-Authenticate %q", got)
			}
			if strings.Contains(err.Error(), tc.tok) || strings.Contains(rec.Body.String(), tc.tok) {
				t.Fatal("the error echoes the token")
			}
		})
	}
}

// TestIntrospectionExpiredButCachedActive: the client may hold an active
// answer (its cache runs on its own clock); the verifier still checks the
// answer's exp on its clock, with its leeway. The authorization server and
// the client share a clock that stays put, so neither the server's exp
// check nor the client's cache expiry depends on how long the test takes.
func TestIntrospectionExpiredButCachedActive(t *testing.T) {
	t.Parallel()
	start := time.Now()
	asClk, clk := jwtguardtest.NewClock(start), jwtguardtest.NewClock(start)
	iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithIssuerClock(asClk.Now))
	v := introVerifier(t, iss, jwtguard.Issuer{}, nil, []introspect.Option{introspect.WithClock(asClk.Now)}, jwtguard.WithClock(clk.Now))
	tok := iss.MintOpaque(jwtguardtest.Claims{"exp": start.Add(20 * time.Second).Unix()})
	_, err := v.Verify(context.Background(), tok)
	checkErr(t, err, nil)
	hits := iss.IntrospectionHits()
	clk.Advance(20*time.Second + 30*time.Second) // exp + the default leeway
	_, err = v.Verify(context.Background(), tok)
	checkErr(t, err, jwtguard.ErrTokenExpired)
	if iss.IntrospectionHits() != hits {
		t.Fatal("the answer was not taken from the client's cache: the test does not show the verifier's own exp check")
	}
}

// cannedEndpoint answers every introspection request from the test client
// (password "pw") with status, content type and body.
func cannedEndpoint(t *testing.T, status int, ctype, body string) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if u, p, _ := r.BasicAuth(); u != introClient || p != "pw" || r.PostFormValue("token") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

// TestIntrospectionAnswersJudged: the introspect client no longer judges
// claims; the verifier does, with the issuer entry the answer's iss names
// (or the only entry).
func TestIntrospectionAnswersJudged(t *testing.T) {
	t.Parallel()
	const as = "https://as.example.test"
	aud := jwtguardtest.DefaultAudience
	now := time.Now()
	exp := now.Add(time.Hour).Unix()
	answer := func(members string) string {
		return `{"active":true` + members + `}`
	}
	good := func(extra string) string {
		return answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"sub":"u1","jti":"j1","client_id":"web","exp":%d%s`, as, aud, exp, extra))
	}
	cases := []struct {
		name  string
		ctype string
		body  string
		want  error
		claim string // Error.Claim
	}{
		{"active", "application/json", good(""), nil, ""},
		{"active, charset", "application/json; charset=utf-8", good(`,"scope":"a b"`), nil, ""},
		{"active, no iss: the only entry", "application/json", answer(fmt.Sprintf(`,"aud":%q,"jti":"j1","client_id":"web","exp":%d`, aud, exp)), nil, ""},
		{"inactive", "application/json", `{"active":false}`, jwtguard.ErrTokenInactive, ""},
		{"inactive with junk", "application/json", `{"active":false,"exp":"soon"}`, jwtguard.ErrTokenInactive, ""},
		{"not JSON", "application/json", `active=true`, jwtguard.ErrIntrospectionUnavailable, ""},
		{"HTML", "text/html", `<html>login</html>`, jwtguard.ErrIntrospectionUnavailable, ""},
		{"duplicate member", "application/json", good(`,"sub":"u2"`), jwtguard.ErrIntrospectionUnavailable, ""},
		{"active without exp", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"jti":"j1","client_id":"web"`, as, aud)), jwtguard.ErrMissingClaim, "exp"},
		{"exp as string", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"exp":"%d"`, as, aud, exp)), jwtguard.ErrInvalidClaim, "exp"},
		{"exp with exponent", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"exp":1.9e9`, as, aud)), jwtguard.ErrInvalidClaim, "exp"},
		{"expired but active", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"jti":"j1","client_id":"web","exp":%d`, as, aud, now.Add(-time.Hour).Unix())), jwtguard.ErrTokenExpired, ""},
		{"not yet valid", "application/json", good(fmt.Sprintf(`,"nbf":%d`, now.Add(time.Hour).Unix())), jwtguard.ErrTokenNotYetValid, ""},
		{"issued in the future", "application/json", good(fmt.Sprintf(`,"iat":%d`, now.Add(time.Hour).Unix())), jwtguard.ErrTokenIssuedInFuture, ""},
		{"sub as number", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"sub":5,"exp":%d`, as, aud, exp)), jwtguard.ErrInvalidClaim, "sub"},
		{"wrong audience", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":"https://other.test","jti":"j1","client_id":"web","exp":%d`, as, exp)), jwtguard.ErrInvalidAudience, ""},
		{"no audience", "application/json", answer(fmt.Sprintf(`,"iss":%q,"jti":"j1","client_id":"web","exp":%d`, as, exp)), jwtguard.ErrInvalidAudience, "aud"},
		{"empty audience array", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":[],"jti":"j1","client_id":"web","exp":%d`, as, exp)), jwtguard.ErrInvalidAudience, "aud"},
		{"wrong issuer", "application/json", answer(fmt.Sprintf(`,"iss":"https://evil.test","aud":%q,"jti":"j1","client_id":"web","exp":%d`, aud, exp)), jwtguard.ErrInvalidIssuer, ""},
		{"required claim missing", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"client_id":"web","exp":%d`, as, aud, exp)), jwtguard.ErrMissingClaim, "jti"},
		{"required jti empty", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"jti":"","client_id":"web","exp":%d`, as, aud, exp)), jwtguard.ErrMissingClaim, "jti"},
		{"client not allowed", "application/json", answer(fmt.Sprintf(`,"iss":%q,"aud":%q,"jti":"j1","client_id":"evil","exp":%d`, as, aud, exp)), jwtguard.ErrInvalidClaim, "azp"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			endpoint, hits := cannedEndpoint(t, http.StatusOK, tc.ctype, tc.body)
			// Introspection only: the entry has no key source.
			v := mustNew(t,
				jwtguard.Trust(jwtguard.Issuer{ID: as, Audiences: []string{aud}, RequiredClaims: []string{"jti"}, Clients: []string{"web"}}),
				jwtguard.WithAlgorithms("ES256"),
				jwtguard.WithIntrospection(introClientFor(t, endpoint, introspect.ClientSecretBasic(introClient, "pw"))))
			c, err := v.Verify(context.Background(), "opaque-token-value")
			if hits.Load() != 1 {
				t.Fatalf("%d requests to the endpoint, want 1", hits.Load())
			}
			if tc.want == nil {
				checkErr(t, err, nil)
				if c.ID != "j1" || c.ClientID != "web" {
					t.Fatalf("claims %+v", c)
				}
				return
			}
			checkErr(t, err, tc.want)
			e := jwtguard.AsError(err)
			if e.Claim != tc.claim {
				t.Fatalf("Claim %q, want %q (%v)", e.Claim, tc.claim, err)
			}
			if strings.Contains(err.Error(), "opaque-token-value") || strings.Contains(e.Description, "opaque-token-value") {
				t.Fatal("error echoes the token")
			}
		})
	}
}

// TestIntrospectionEntryByIssuer: with several entries, an answer is judged
// by the entry its iss names; an answer without iss names none.
func TestIntrospectionEntryByIssuer(t *testing.T) {
	t.Parallel()
	const a, b = "https://a.example.test", "https://b.example.test"
	exp := time.Now().Add(time.Hour).Unix()
	cases := []struct {
		name, body string
		want       error
	}{
		{"a with a's audience", fmt.Sprintf(`{"active":true,"iss":%q,"aud":"aud-a","exp":%d}`, a, exp), nil},
		{"b with b's audience", fmt.Sprintf(`{"active":true,"iss":%q,"aud":"aud-b","exp":%d}`, b, exp), nil},
		{"a with b's audience", fmt.Sprintf(`{"active":true,"iss":%q,"aud":"aud-b","exp":%d}`, a, exp), jwtguard.ErrInvalidAudience},
		{"no iss, two entries", fmt.Sprintf(`{"active":true,"aud":"aud-a","exp":%d}`, exp), jwtguard.ErrInvalidIssuer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			endpoint, _ := cannedEndpoint(t, http.StatusOK, "application/json", tc.body)
			v := mustNew(t,
				jwtguard.Trust(jwtguard.Issuer{ID: a, Audiences: []string{"aud-a"}}, jwtguard.Issuer{ID: b, Audiences: []string{"aud-b"}}),
				jwtguard.WithAlgorithms("ES256"),
				jwtguard.WithIntrospection(introClientFor(t, endpoint, introspect.ClientSecretBasic(introClient, "pw"))))
			_, err := v.Verify(context.Background(), "opaque")
			checkErr(t, err, tc.want)
		})
	}
}

// TestIntrospectionJWTs: with introspect.WithJWTs, a JWT is verified
// locally first; only a JWT that passes reaches the endpoint, which can
// then report it inactive. A minimal {"active":true} answer suffices for a
// verified JWT, even with required claims the answer does not repeat.
func TestIntrospectionJWTs(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	e := iss.Entry()
	e.RequiredClaims = []string{"jti"}
	v := introVerifier(t, iss, e, nil, []introspect.Option{introspect.WithJWTs()})
	ctx := context.Background()

	tok := iss.Mint(jwtguardtest.Claims{"jti": "j-1"})
	before := iss.IntrospectionHits()
	_, err := v.Verify(ctx, tok)
	checkErr(t, err, nil)
	if iss.IntrospectionHits() != before+1 {
		t.Fatal("the JWT was not introspected")
	}
	revoked := iss.Mint(jwtguardtest.Claims{"jti": "j-2"})
	iss.Deactivate(revoked)
	_, err = v.Verify(ctx, revoked)
	checkErr(t, err, jwtguard.ErrTokenInactive)

	// Forged or invalid JWTs fail locally, before any introspection.
	stranger := jwtguardtest.NewIssuer(t)
	forged := []struct {
		name string
		tok  string
		want error
	}{
		{"tampered signature", iss.TamperedSignature(), jwtguard.ErrInvalidSignature},
		{"alg none", iss.Mint(nil, jwtguardtest.WithHeader("alg", "none")), jwtguard.ErrAlgorithmNotAllowed},
		{"attacker's key, issuer's kid", iss.Mint(nil, jwtguardtest.WithSigningKey(testKeys().attackerRSA)), jwtguard.ErrInvalidSignature},
		{"untrusted issuer", stranger.Mint(nil), jwtguard.ErrInvalidIssuer},
		{"wrong audience", iss.Mint(jwtguardtest.Claims{"jti": "x", "aud": "https://other-service.example.test"}), jwtguard.ErrInvalidAudience},
		{"expired", iss.Mint(jwtguardtest.Claims{"jti": "x", "exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix()}), jwtguard.ErrTokenExpired},
		{"required jti missing", iss.Mint(nil), jwtguard.ErrMissingClaim},
		{"required jti empty", iss.Mint(jwtguardtest.Claims{"jti": ""}), jwtguard.ErrMissingClaim},
	}
	for _, f := range forged {
		before := iss.IntrospectionHits()
		_, err := v.Verify(ctx, f.tok)
		checkErr(t, err, f.want)
		if iss.IntrospectionHits() != before {
			t.Fatalf("%s: the JWT reached the endpoint", f.name)
		}
	}

	// A minimal answer.
	var mu sync.Mutex
	active := true
	iss.SetIntrospectionFault(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"active":%t}`, active)
		return true
	})
	_, err = v.Verify(ctx, iss.Mint(jwtguardtest.Claims{"jti": "a"}))
	checkErr(t, err, nil)
	mu.Lock()
	active = false
	mu.Unlock()
	_, err = v.Verify(ctx, iss.Mint(jwtguardtest.Claims{"jti": "b"}))
	checkErr(t, err, jwtguard.ErrTokenInactive)
}

// TestIntrospectionOutage: when the endpoint cannot answer, the verifier
// fails closed with 503 + Retry-After and ErrIntrospectionUnavailable (not
// ErrRevocationUnavailable, and not opened by the revocation store's
// fail-open setting); the detail is in the error, never in the response,
// and never the token.
func TestIntrospectionOutage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		auth   introspect.ClientAuth
		iopts  []introspect.Option
		fault  func(w http.ResponseWriter, r *http.Request) bool
		closed bool
		detail string
	}{
		{name: "wrong secret", auth: introspect.ClientSecretBasic(introClient, "wrong"), detail: "client credentials"},
		{name: "unknown client", auth: introspect.ClientSecretBasic("someone", introSecret), detail: "client credentials"},
		{name: "endpoint 500", fault: func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}, detail: "status 500"},
		{name: "endpoint hangs up", fault: func(w http.ResponseWriter, r *http.Request) bool {
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic("no hijacker")
			}
			c, _, _ := hj.Hijack()
			c.Close()
			return true
		}, detail: "EOF"},
		{name: "redirect is not followed", fault: func(w http.ResponseWriter, r *http.Request) bool {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
			return true
		}, detail: "status 307"},
		{name: "endpoint slower than the timeout", iopts: []introspect.Option{introspect.WithTimeout(50 * time.Millisecond)},
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				return true
			}, detail: "deadline"},
		{name: "endpoint gone", closed: true, detail: "connect"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Each case has its own issuer: faults are per issuer.
			iss := jwtguardtest.NewIssuer(t)
			tok := iss.MintOpaque(nil)
			store, err := memory.New()
			if err != nil {
				t.Fatal(err)
			}
			v := introVerifier(t, iss, jwtguard.Issuer{}, tc.auth, tc.iopts,
				jwtguard.WithRevocation(store), jwtguard.WithInsecureRevocationFailOpen())
			iss.SetIntrospectionFault(tc.fault)
			if tc.closed {
				iss.Close()
			}
			_, err = v.Verify(context.Background(), tok)
			checkErr(t, err, jwtguard.ErrIntrospectionUnavailable)
			if errors.Is(err, jwtguard.ErrRevocationUnavailable) {
				t.Fatal("an introspection outage reported as a revocation outage")
			}
			e := jwtguard.AsError(err)
			if e.Status != http.StatusServiceUnavailable || e.RetryAfter <= 0 {
				t.Fatalf("status %d retry %s", e.Status, e.RetryAfter)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("error %q does not say %q", err, tc.detail)
			}
			rec := httptest.NewRecorder()
			v.WriteError(rec, err)
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" || rec.Header().Get("WWW-Authenticate") != "" {
				t.Fatalf("response %d, Retry-After %q, WWW-Authenticate %q", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("WWW-Authenticate"))
			}
			body := rec.Body.String()
			if !strings.Contains(body, `"error":"temporarily_unavailable"`) || strings.Contains(body, tc.detail) {
				t.Fatalf("body %s", body)
			}
			for _, s := range []string{err.Error(), e.Description, body} {
				if strings.Contains(s, tok) || strings.Contains(s, introSecret) {
					t.Fatalf("the token or the client secret leaks: %q", s)
				}
			}
		})
	}
}

// TestIntrospectionBusy: when every request slot of the client is taken,
// a new token is refused with a 503 at once (issue 12 item 15), through
// the verifier.
func TestIntrospectionBusy(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	release := make(chan struct{})
	iss.SetIntrospectionFault(func(w http.ResponseWriter, r *http.Request) bool {
		<-release
		return false
	})
	v := introVerifier(t, iss, jwtguard.Issuer{}, nil, []introspect.Option{introspect.WithLimits(1, 0)})
	first := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), iss.MintOpaque(nil))
		first <- err
	}()
	for iss.IntrospectionHits() == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := v.Verify(context.Background(), iss.MintOpaque(nil))
	close(release)
	checkErr(t, err, jwtguard.ErrIntrospectionUnavailable)
	if e := jwtguard.AsError(err); e.Status != http.StatusServiceUnavailable || e.RetryAfter <= 0 {
		t.Fatalf("busy: %d %s", e.Status, e.RetryAfter)
	}
	if err := <-first; err != nil {
		t.Fatalf("the request holding the slot: %v", err)
	}
}

// fakeIntrospector answers as told.
type fakeIntrospector struct {
	active bool
	answer []byte
	err    error
}

func (f fakeIntrospector) Introspect(context.Context, string, bool) (bool, []byte, error) {
	return f.active, f.answer, f.err
}

// TestIntrospectorErrorsClassified: whatever an Introspector returns, the
// verifier answers from the error table: a plain error (which would be a
// 500 elsewhere) and an active answer without claims are introspection
// outages (503), never a pass.
func TestIntrospectorErrorsClassified(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   fakeIntrospector
		want error
	}{
		{"plain error", fakeIntrospector{err: errors.New("socket closed")}, jwtguard.ErrIntrospectionUnavailable},
		{"wrapped sentinel", fakeIntrospector{err: fmt.Errorf("busy: %w", jwtguard.ErrIntrospectionUnavailable)}, jwtguard.ErrIntrospectionUnavailable},
		{"active without claims", fakeIntrospector{active: true}, jwtguard.ErrIntrospectionUnavailable},
		{"inactive", fakeIntrospector{}, jwtguard.ErrTokenInactive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: "https://as.example.test", Audiences: []string{"api"}}),
				jwtguard.WithAlgorithms("ES256"), jwtguard.WithIntrospection(tc.in))
			_, err := v.Verify(context.Background(), "opaque")
			checkErr(t, err, tc.want)
			if e := jwtguard.AsError(err); e.Status == http.StatusInternalServerError {
				t.Fatalf("500 for %v", err)
			}
		})
	}
}

// TestIntrospectionNeedsAnEntry: introspection answers are judged by an
// issuer entry, so a verifier with WithIntrospection and no entry (which
// would refuse every token) is refused by New, naming the fix; an entry
// without keys is enough.
func TestIntrospectionNeedsAnEntry(t *testing.T) {
	t.Parallel()
	in := fakeIntrospector{active: true, answer: []byte(`{"active":true,"iss":"https://as.example.test","aud":"api","exp":9999999999}`)}
	v, err := jwtguard.New(jwtguard.WithIntrospection(in), jwtguard.WithAudience("api"), jwtguard.WithAlgorithms("ES256"))
	if err == nil {
		v.Close()
		t.Fatal("New accepted WithIntrospection without an issuer entry")
	}
	for _, want := range []string{"WithIntrospection", "Trust(jwtguard.Issuer{"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	v = mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: "https://as.example.test"}), jwtguard.WithIntrospection(in),
		jwtguard.WithAudience("api"), jwtguard.WithAlgorithms("ES256"))
	c, err := v.Verify(context.Background(), "opaque")
	checkErr(t, err, nil)
	if c.Issuer != "https://as.example.test" {
		t.Fatalf("claims %+v", c)
	}
}
