package jwtguard_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
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

// syncBuffer is a bytes.Buffer safe for concurrent writers (background key
// refreshes log too).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secretParts returns the strings that must never appear in logs or
// responses for tok: the token itself and its signature and payload
// segments when they are long enough to be recognisable.
func secretParts(tok string) []string {
	parts := []string{tok}
	segs := strings.Split(tok, ".")
	if len(segs) >= 3 {
		for _, s := range []string{segs[1], segs[len(segs)-1]} {
			if len(s) >= 16 {
				parts = append(parts, s)
			}
		}
	}
	return parts
}

func assertNoSecrets(t *testing.T, where, text string, toks []string) {
	t.Helper()
	for _, tok := range toks {
		for _, s := range secretParts(tok) {
			if strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Fatalf("%s contains a token part (%d bytes) at offset %d", where, len(s), i)
			}
		}
	}
}

// failingStore fails every revocation lookup.
type failingStore struct{}

func (failingStore) IsRevoked(context.Context, *jwtguard.Claims) (bool, error) {
	return false, errors.New("store unreachable")
}

// TestLogsAndResponsesNeverContainToken runs every failure path it can
// through Verify, Authenticate and nethttp.Middleware with a Debug-level
// JSON logger, and checks that no log line, response body or response
// header carries the token, its payload or its signature.
func TestLogsAndResponsesNeverContainToken(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	k := testKeys()
	at := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	claimsJSON := string(mustJSON(claimsFor("HS256", goodClaims())))
	hs := func(hseg, pseg string) string { return signRaw(t, "HS256", nil, k.secret, hseg, pseg) }
	h, p, _ := segments(good(t, "HS256"))

	atJWT := tokenOpts{hdr: map[string]any{"typ": "at+jwt"}}
	bad := []string{
		mint(t, "HS256", with(map[string]any{"exp": at(-time.Hour)}), tokenOpts{}),
		mint(t, "RS256", with(map[string]any{"aud": "https://other.test"}), tokenOpts{}),
		mint(t, "ES256", with(map[string]any{"iss": "https://evil.test"}), tokenOpts{}),
		mint(t, "EdDSA", with(map[string]any{"nbf": at(time.Hour)}), tokenOpts{}),
		mint(t, "PS256", with(map[string]any{"iat": at(time.Hour)}), tokenOpts{}),
		mint(t, "HS256", with(map[string]any{"exp": nil}), tokenOpts{}),
		mint(t, "HS256", with(map[string]any{"exp": "tomorrow"}), tokenOpts{}),
		mint(t, "HS256", with(map[string]any{"aud": 5}), tokenOpts{}),
		mint(t, "HS256", goodClaims(), tokenOpts{secret: make([]byte, 32)}),                               // bad signature
		mint(t, "HS256", goodClaims(), tokenOpts{secret: k.rsaPEM}),                                       // RSA public key as secret
		mint(t, "RS256", goodClaims(), tokenOpts{signer: k.attackerRSA}),                                  // foreign key
		mint(t, "RS256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "unknown-kid"}}),              // unknown kid
		mint(t, "ES256", goodClaims(), tokenOpts{hdr: map[string]any{"kid": "rsa"}}),                      // key/alg mismatch
		mint(t, "HS256", goodClaims(), tokenOpts{keepIss: true}),                                          // HS256 to the public-key issuer
		mint(t, "HS256", with(map[string]any{"iss": nil, "sub": "spiffe://example.test/x"}), tokenOpts{}), // no iss
		mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"alg": "none"}}),                     // alg none
		mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"alg": "HS1"}}),                      // not allowed
		mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"crit": []string{"x"}, "x": 1}}),     // crit
		mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"b64": false}}),                      // b64
		mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"jku": "https://evil.test/jwks"}}),   // ignored; refused for its missing typ
		mint(t, "HS256", goodClaims(), tokenOpts{hdr: map[string]any{"typ": "JWT"}}),                      // wrong typ for at+jwt
		hs(b64([]byte(`{"alg":"HS256","alg":"HS256"}`)), p),                                               // duplicate header member
		hs(h, b64([]byte(claimsJSON[:len(claimsJSON)-1]+`,"sub":"x"}`))),                                  // duplicate claim
		hs(h, p+"="), // non-canonical base64
		hs(h, b64([]byte(claimsJSON[:len(claimsJSON)-1]+",\"n\":\"\xff\"}"))),                                // invalid UTF-8
		mint(t, "HS256", with(map[string]any{"pad": strings.Repeat("p", defaultMaxTokenSize)}), tokenOpts{}), // too large
		mint(t, "HS256", with(map[string]any{"pad": strings.Repeat("p", 2000)}), atJWT),                      // too large for the entry
		mint(t, "HS256", with(map[string]any{"jti": ""}), atJWT),                                             // required claim empty
		mint(t, "HS256", with(map[string]any{"jti": "j-2", "token_use": "id"}), atJWT),                       // wrong token use
		mint(t, "HS256", with(map[string]any{"jti": "j-3", "azp": "other-client"}), atJWT),                   // client not allowed
		h + "." + p + ".c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl." + p + ".c2lnbmF0dXJlc2lnbmF0dXJl",             // JWE shape
		good(t, "HS256") + ".extra-part-xxxxxxxxxxxxxxxx",
	}
	// Verifiers covering more paths: at+jwt required (with a size cap, a
	// required jti, a token use and allowed clients), revocation failing,
	// revoked, and a remote key source.
	main := staticVerifierFor(t, func(is *jwtguard.Issuer) {
		is.TokenTypes = []string{"at+jwt"}
		if is.ID == testIssHMAC {
			is.MaxTokenSize = 2048
			is.RequiredClaims = []string{"jti"}
			is.TokenUseClaim, is.TokenUses = "token_use", []string{"access", ""}
			is.Clients = []string{"client-1"}
		}
	}, jwtguard.WithLogger(logger), jwtguard.WithAuditLog(logger, slog.LevelInfo, "sub", "aud", "jti", "exp", "iat", "nbf", "client", "sid", "tenant", "scope"))
	// Audit events (issue 19) share the log: every claim they may carry,
	// on accepted and refused tokens alike, never a token part.
	audit := jwtguard.WithAuditLog(logger, slog.LevelInfo)
	revoked := staticVerifier(t, jwtguard.WithLogger(logger), jwtguard.WithRevocation(&fakeStore{revoked: true}), audit)
	storeDown := staticVerifier(t, jwtguard.WithLogger(logger), jwtguard.WithRevocation(failingStore{}), audit)
	iss := jwtguardtest.NewIssuer(t)
	remote := iss.Verifier(t, jwtguard.WithLogger(logger), audit)
	remoteBad := []string{
		iss.Expired(), iss.WrongAudience(), iss.TamperedSignature(),
		iss.Mint(nil, jwtguardtest.WithHeader("kid", "rotated-away")),
		iss.Mint(nil, jwtguardtest.WithAlg("HS256")),
		iss.Mint(nil, jwtguardtest.WithAlg("ES256"), jwtguardtest.WithSigningKey(k.attackerEC)),
	}
	valid := good(t, "HS256")
	validJTI := mint(t, "HS256", with(map[string]any{"jti": "j-1"}), tokenOpts{})

	// The main verifier's HMAC entry accepts a token meeting every rule, so
	// the refusals below come from the rules, not from a broken setup.
	if _, err := main.Verify(context.Background(), mint(t, "HS256", with(map[string]any{"jti": "j-4", "azp": "client-1", "token_use": "access"}), atJWT)); err != nil {
		t.Fatalf("main verifier refuses a good token: %v", err)
	}

	type target struct {
		v    *jwtguard.Verifier
		toks []string
	}
	targets := []target{
		{main, append(bad, valid)}, // valid lacks typ at+jwt
		{revoked, []string{validJTI}},
		{storeDown, []string{validJTI}},
		{remote, remoteBad},
	}
	var all []string
	rejections := 0
	for _, tg := range targets {
		all = append(all, tg.toks...)
		handler := nethttp.Middleware(tg.v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Error("a bad token reached the handler")
		}))
		for _, tok := range tg.toks {
			// Verify directly.
			if _, err := tg.v.Verify(context.Background(), tok); err == nil {
				t.Fatalf("token %d accepted", len(all))
			} else {
				rejections++
				assertNoSecrets(t, "Verify error", err.Error(), []string{tok})
			}
			// Through the middleware, as header, cookie and both.
			for _, setup := range []func(r *http.Request){
				func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) },
				func(r *http.Request) { r.Header.Set("Authorization", "bearer "+tok) },
			} {
				r := httptest.NewRequest(http.MethodGet, "/api", nil)
				setup(r)
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, r)
				if rec.Code < 400 {
					t.Fatalf("status %d for a bad token", rec.Code)
				}
				if rec.Code != http.StatusBadRequest { // 400s are refused before Verify
					rejections++
				}
				assertNoSecrets(t, "response body", rec.Body.String(), []string{tok})
				for name, vals := range rec.Header() {
					assertNoSecrets(t, "response header "+name, strings.Join(vals, "\n"), []string{tok})
				}
			}
		}
	}

	// Malformed requests carrying a (valid) token: two headers, invalid
	// characters, cross-site cookie.
	cookieV := staticVerifier(t, jwtguard.WithLogger(logger), audit, jwtguard.WithExtractor(
		jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie("at"), jwtguard.FromQuery("access_token"))))
	handler := nethttp.Middleware(cookieV)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a refused request reached the handler")
	}))
	reqs := []func() *http.Request{
		func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Add("Authorization", "Bearer "+valid)
			r.Header.Add("Authorization", "Bearer "+valid)
			return r
		},
		func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+valid+" "+valid)
			return r
		},
		func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer \""+valid+"\"")
			return r
		},
		func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.AddCookie(&http.Cookie{Name: "at", Value: valid})
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		},
		func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/?access_token="+valid+"&access_token="+valid, nil)
		},
		func() *http.Request { // a token sent two ways
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+valid)
			r.AddCookie(&http.Cookie{Name: "at", Value: valid})
			return r
		},
		func() *http.Request { // two cookies of the name with different values
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: "at", Value: valid})
			r.AddCookie(&http.Cookie{Name: "at", Value: validJTI})
			return r
		},
		func() *http.Request { // a cookie that is not a token
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: "at", Value: valid + "!"})
			return r
		},
	}
	all = append(all, valid, validJTI)
	for i, mk := range reqs {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, mk())
		if rec.Code < 400 {
			t.Fatalf("request %d: status %d", i, rec.Code)
		}
		assertNoSecrets(t, "response body", rec.Body.String(), []string{valid})
		for name, vals := range rec.Header() {
			assertNoSecrets(t, "response header "+name, strings.Join(vals, "\n"), []string{valid})
		}
	}

	out := logs.String()
	lines := strings.Count(out, "\n")
	// Every rejection by Verify is logged; the check below is meaningless
	// if nothing was.
	if lines < rejections {
		t.Fatalf("only %d log lines for %d rejections", lines, rejections)
	}
	if !strings.Contains(out, `"reason"`) || !strings.Contains(out, `"alg"`) || !strings.Contains(out, `"iss"`) {
		t.Fatalf("rejection logs lack reason/alg/iss: %.500s", out)
	}
	if !strings.Contains(out, `"msg":"jwtguard: authentication","outcome":"accepted"`) || !strings.Contains(out, `"outcome":"refused"`) {
		t.Fatalf("no audit events for accepted and refused tokens: %.500s", out)
	}
	for i, line := range strings.Split(out, "\n") {
		assertNoSecrets(t, fmt.Sprintf("log line %d", i+1), line, all)
	}
}

// captureDefaultLog sends slog.Default() (and the log package, which
// slog.SetDefault redirects) to w until the test ends. Tests using it must
// not be parallel.
func captureDefaultLog(t *testing.T, w io.Writer) {
	t.Helper()
	old, oldW, oldF := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() {
		slog.SetDefault(old)
		log.SetOutput(oldW)
		log.SetFlags(oldF)
	})
}

// TestDefaultLoggerNeverContainsToken: without WithLogger, key-source
// failures go to slog.Default() (issue 12 item 18: a misconfiguration is
// never silent) while per-request rejections are not logged; neither that
// log nor the responses carry a token. Not parallel: it replaces
// slog.Default.
func TestDefaultLoggerNeverContainsToken(t *testing.T) {
	var logs syncBuffer
	captureDefaultLog(t, &logs)
	iss := jwtguardtest.NewIssuer(t)
	aud := jwtguard.WithAudience(jwtguardtest.DefaultAudience)
	algs := jwtguard.WithAlgorithms(jwtguardtest.Algorithms...)
	// The discovery document names iss.URL(), not iss.URL()+"/": no key
	// set ever loads.
	mismatch := mustNew(t, jwtguard.WithIssuer(iss.URL()+"/", jwtguard.Discovery()), aud, algs)
	// Keys load, then the identity provider goes down; unknown kids make
	// the verifier try to refresh.
	flaky := mustNew(t, jwtguard.WithIssuer(iss.URL(), jwtguard.Discovery()), aud, algs,
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: time.Millisecond}))
	if err := jwtguardtest.ReadyWithin(flaky, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := mismatch.Ready(ctx); err == nil {
		t.Fatal("a discovery document naming another issuer was accepted")
	}
	iss.Down(true)

	toks := []string{
		iss.Mint(jwtguardtest.Claims{"iss": iss.URL() + "/"}),
		iss.Mint(nil, jwtguardtest.WithHeader("kid", "unknown-kid-0123456789abcdef")),
		iss.Mint(nil, jwtguardtest.WithHeader("kid", "unknown-kid-fedcba9876543210")),
		iss.TamperedSignature(),
		iss.Expired(),
		iss.WrongAudience(),
	}
	for _, v := range []*jwtguard.Verifier{mismatch, flaky} {
		handler := nethttp.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Error("a bad token reached the handler")
		}))
		for _, tok := range toks {
			if _, err := v.Verify(context.Background(), tok); err == nil {
				t.Fatal("token accepted")
			} else {
				assertNoSecrets(t, "Verify error", err.Error(), toks)
			}
			r := httptest.NewRequest(http.MethodGet, "/api", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, r)
			if rec.Code < 400 {
				t.Fatalf("status %d for a bad token", rec.Code)
			}
			assertNoSecrets(t, "response body", rec.Body.String(), toks)
			for name, vals := range rec.Header() {
				assertNoSecrets(t, "response header "+name, strings.Join(vals, "\n"), toks)
			}
		}
	}
	// The key-source failures reach the default logger (asynchronously for
	// background loads).
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), `"level":"ERROR"`) && !strings.Contains(logs.String(), `"level":"WARN"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no key-source failure reached slog.Default(): %q", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := logs.String()
	if strings.Contains(out, "token rejected") {
		t.Fatalf("rejections are logged without WithLogger: %.300s", out)
	}
	for i, line := range strings.Split(out, "\n") {
		assertNoSecrets(t, fmt.Sprintf("default log line %d", i+1), line, toks)
	}
}

// Reset empties the buffer.
func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}
