package jwtguard_test

// Operator diagnostics (issue 17 §1): every refusal tells the operator why,
// with the values — in the Go error and the log line — and never the
// client; likely misconfigurations reach slog.Default() without
// WithLogger; Ready does not wait out failures that waiting will not fix.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// logRecords parses JSON log lines.
func logRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		recs = append(recs, m)
	}
	return recs
}

// TestRefusalsSayWhy: one row per mistake a new user makes. The Go error
// (and so log.Print(err)) and the rejection log line carry the values
// seen and expected and the hint; the response carries none of them.
func TestRefusalsSayWhy(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	iss := idp.URL()
	type mistake struct {
		name     string
		issuerID string // the configured issuer (default: iss)
		extra    []jwtguard.Option
		req      func() *http.Request
		sentinel error
		inError  []string // in err.Error() and in the log line's reason
		logAttrs []string // attributes the log line carries
		secret   []string // values that must not reach the response
	}
	bearer := func(tok string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			return r
		}
	}
	mistakes := []mistake{
		{
			name:     "issuer configured with a trailing slash",
			issuerID: iss + "/",
			req:      bearer(idp.Mint(nil)),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "` + iss + `"`, `configured: "` + iss + `/"`, "trailing slash"},
			logAttrs: []string{"alg", "kid", "iss", "sub"},
			secret:   []string{iss, "trailing"},
		},
		{
			name:     "Keycloak token without the audience mapper",
			req:      bearer(idp.Mint(jwtguardtest.Claims{"aud": "account"})),
			sentinel: jwtguard.ErrInvalidAudience,
			inError:  []string{`aud ["account"]`, `"` + jwtguardtest.DefaultAudience + `"`, "Issuer.Audiences or WithAudience"},
			logAttrs: []string{"alg", "kid", "iss", "sub", "entry"},
			secret:   []string{"account", jwtguardtest.DefaultAudience},
		},
		{
			name:     "algorithm not allowed",
			req:      bearer(idp.Mint(nil, jwtguardtest.WithAlg("HS256"))),
			sentinel: jwtguard.ErrAlgorithmNotAllowed,
			inError:  []string{`alg "HS256"`, "WithAlgorithms (", "RS256"},
			logAttrs: []string{"alg", "kid", "iss", "sub"},
			secret:   []string{"HS256"},
		},
		{
			name:     "unknown kid",
			extra:    []jwtguard.Option{jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: 10 * time.Millisecond})},
			req:      bearer(idp.Mint(nil, jwtguardtest.WithHeader("kid", "rotated-away"))),
			sentinel: jwtguard.ErrKeyNotFound,
			inError:  []string{`kid "rotated-away"`, "key(s) from", "fetched"},
			logAttrs: []string{"alg", "kid", "iss", "sub"},
			secret:   []string{"rotated-away"},
		},
		{
			name:     "an ID token where access tokens are expected",
			extra:    nil,
			req:      bearer(idp.Mint(nil, jwtguardtest.WithHeader("typ", "JWT"))),
			sentinel: jwtguard.ErrInvalidTokenType,
			inError:  []string{`typ header "jwt"`, `"at+jwt"`, "Issuer.TokenTypes"},
			logAttrs: []string{"alg", "iss", "sub"},
			secret:   []string{"at+jwt"},
		},
		{
			name:     "expired token",
			req:      bearer(idp.Expired()),
			sentinel: jwtguard.ErrTokenExpired,
			inError:  []string{"exp ", "ago of this host's clock", "WithLeeway"},
			logAttrs: []string{"alg", "iss", "sub"},
			secret:   []string{"ago", "WithLeeway"},
		},
		{
			name:  "cookie token on a cross-origin POST",
			extra: []jwtguard.Option{jwtguard.WithExtractor(jwtguard.FromCookie("session"))},
			req: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", nil)
				r.AddCookie(&http.Cookie{Name: "session", Value: idp.Mint(nil)})
				r.Header.Set("Sec-Fetch-Site", "cross-site")
				r.Header.Set("Origin", "https://evil.example")
				return r
			},
			sentinel: jwtguard.ErrCrossOrigin,
			inError:  []string{`Origin "https://evil.example"`, "WithTrustedOrigins"},
			logAttrs: []string{"alg", "kid"},
			secret:   []string{"evil.example", "WithTrustedOrigins"},
		},
	}
	for _, m := range mistakes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			entry := idp.Entry()
			entry.ID = cmpOr(m.issuerID, iss)
			entry.Keys = jwtguard.JWKS(idp.JWKSURL()) // Discovery would refuse the trailing slash at Ready
			if m.sentinel == jwtguard.ErrInvalidTokenType {
				entry.TokenTypes = []string{"at+jwt"}
			}
			opts := append([]jwtguard.Option{jwtguard.Trust(entry), jwtguard.WithAlgorithms("RS256"), jwtguard.WithRealm("api"),
				jwtguard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil)))}, m.extra...)
			v := mustNew(t, opts...)
			if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			_, err := v.Authenticate(m.req())
			miWant(t, nil, err, m.sentinel)
			for _, want := range m.inError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Go error %q does not say %q", err, want)
				}
			}
			// The log line: the reason with the values, and the token's
			// header and claims fields.
			var line map[string]any
			for _, rec := range logRecords(t, logs.String()) {
				if rec["msg"] == "jwtguard: token rejected" {
					line = rec
				}
			}
			if line == nil {
				t.Fatalf("no rejection logged: %s", logs.String())
			}
			for _, want := range m.inError {
				if !strings.Contains(fmt.Sprint(line["reason"]), want) {
					t.Errorf("log reason %q does not say %q", line["reason"], want)
				}
			}
			for _, a := range m.logAttrs {
				if _, ok := line[a]; !ok {
					t.Errorf("log line has no %s: %v", a, line)
				}
			}
			// The response: the row's generic description, none of it.
			rec := httptest.NewRecorder()
			v.WriteError(rec, err)
			resp := rec.Header().Get("WWW-Authenticate") + " " + rec.Body.String()
			for _, s := range m.secret {
				if strings.Contains(resp, s) {
					t.Errorf("the response tells the client %q: %s", s, resp)
				}
			}
			if strings.Contains(resp, jwtguard.AsError(err).Detail) {
				t.Error("the response carries the Detail")
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestMisconfigurationReachesDefaultLog: without WithLogger, a near miss of
// the configured issuer, and validly signed tokens refused for the same
// reason 10 times in a row, reach slog.Default() once a minute; an
// attacker's random issuers do not. Not parallel: it captures
// slog.Default().
func TestMisconfigurationReachesDefaultLog(t *testing.T) {
	var out syncBuffer
	captureDefaultLog(t, &out)
	idp := jwtguardtest.NewIssuer(t)
	clock := jwtguardtest.NewClock(time.Now())
	entry := idp.Entry()
	entry.ID = idp.URL() + "/" // the trailing-slash mistake, with JWKS(url): New and Ready pass
	entry.Keys = jwtguard.JWKS(idp.JWKSURL())
	slash := mustNew(t, jwtguard.Trust(entry), jwtguard.WithAlgorithms("RS256"), jwtguard.WithClock(clock.Now))
	if err := jwtguardtest.ReadyWithin(slash, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	reports := func() []map[string]any {
		var rs []map[string]any
		for _, r := range logRecords(t, out.String()) {
			if r["level"] == "WARN" && strings.Contains(fmt.Sprint(r["msg"]), "configuration") {
				rs = append(rs, r)
			}
		}
		return rs
	}
	ctx := context.Background()
	// A flood of random issuers is not a misconfiguration.
	for i := range 100 {
		_, _ = slash.Verify(ctx, idp.Mint(jwtguardtest.Claims{"iss": fmt.Sprintf("https://random-%d.example", i)}))
	}
	if n := len(reports()); n != 0 {
		t.Fatalf("random issuers reported as a misconfiguration: %v", reports())
	}
	// The near miss: reported once, with the hint, then rate-limited.
	for range 5 {
		_, _ = slash.Verify(ctx, idp.Mint(nil))
	}
	rs := reports()
	if len(rs) != 1 || !strings.Contains(fmt.Sprint(rs[0]["error"]), "trailing slash") {
		t.Fatalf("near miss: %d reports %v", len(rs), rs)
	}
	clock.Advance(time.Minute)
	_, _ = slash.Verify(ctx, idp.Mint(nil))
	if n := len(reports()); n != 2 {
		t.Fatalf("a minute later: %d reports, want 2", n)
	}

	// Validly signed tokens all refused for one reason: the tenth in a
	// row is reported; an acceptance restarts the count.
	out.Reset()
	aud := idp.Verifier(t)
	wrong := func(n int) {
		for range n {
			_, _ = aud.Verify(ctx, idp.Mint(jwtguardtest.Claims{"aud": "account"}))
		}
	}
	wrong(9)
	if _, err := aud.Verify(ctx, idp.Mint(nil)); err != nil {
		t.Fatal(err)
	}
	wrong(9)
	if n := len(reports()); n != 0 {
		t.Fatalf("9 refusals in a row reported: %v", reports())
	}
	wrong(1)
	rs = reports()
	if len(rs) != 1 || !strings.Contains(fmt.Sprint(rs[0]["error"]), `aud ["account"]`) || rs[0]["refused_in_a_row"] != float64(10) {
		t.Fatalf("streak: %v", rs)
	}
}

// TestReadyGivesUpOnPermanentFailures: a discovery document naming another
// issuer and a certificate that does not verify end Ready early; a 404
// is waited out until the context ends.
func TestReadyGivesUpOnPermanentFailures(t *testing.T) {
	t.Parallel()
	mismatch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"issuer":"https://another.example","jwks_uri":"https://another.example/keys"}`)
	}))
	t.Cleanup(mismatch.Close)
	badTLS := httptest.NewTLSServer(http.NotFoundHandler()) // its certificate is unknown to the verifier
	t.Cleanup(badTLS.Close)
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	for _, c := range []struct {
		name      string
		id        string
		keys      *jwtguard.KeySource
		permanent bool
		want      string
	}{
		{"discovery names another issuer", mismatch.URL, jwtguard.Discovery(), true, "another.example"},
		{"TLS certificate does not verify", badTLS.URL, jwtguard.JWKS(badTLS.URL + "/keys"), true, "certificate"},
		{"404 may be temporary", notFound.URL, jwtguard.JWKS(notFound.URL + "/keys"), false, "status 404"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: c.id, Keys: c.keys, Audiences: []string{"api"}}), jwtguard.WithAlgorithms("RS256"), miQuiet())
			wait := 3 * time.Second
			if c.permanent {
				wait = time.Minute // far longer than three fetches take
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			err := v.Ready(ctx)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Ready: %v, want it to say %q", err, c.want)
			}
			gaveUp := strings.Contains(err.Error(), "waiting will not fix it")
			if gaveUp != c.permanent || (c.permanent && ctx.Err() != nil) {
				t.Fatalf("Ready gave up %v (context ended: %v), want %v: %v", gaveUp, ctx.Err(), c.permanent, err)
			}
		})
	}
}
