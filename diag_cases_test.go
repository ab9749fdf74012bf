package jwtguard_test

// Operator diagnostics, the cases TestRefusalsSayWhy leaves out (issue 17
// §1): issuer and audience near misses by letter case and scheme, values
// from the token bounded and escaped, the capped list of configured
// issuers, templates listed as written and a resolver's tenants never, a
// token-use mismatch, the claims of a cross-origin refusal in its log
// line, and near misses of an audience reported to the operator's log,
// rate-limited and not forgeable by the token's sender. Each refusal is
// checked on both sides: the values and the hint are in err.Error() and
// in the rejection log line, and in neither the response body nor its
// WWW-Authenticate challenge.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// diagCase is one refusal whose diagnostics are checked.
type diagCase struct {
	name string
	// trust returns the verifier's options beside WithAlgorithms, WithRealm
	// and WithLogger (Trust, WithIssuerResolver, an extractor...).
	trust func(idp *jwtguardtest.Issuer) []jwtguard.Option
	// before, when set, runs on the verifier before the refusal (e.g. a
	// resolved tenant proven by one accepted token).
	before   func(t *testing.T, idp *jwtguardtest.Issuer, v *jwtguard.Verifier)
	req      func(idp *jwtguardtest.Issuer) *http.Request
	sentinel error
	inError  []string          // in err.Error() and in the rejection log line's reason
	never    []string          // in neither err.Error() nor the log, raw or as the log escapes it
	rawNever []string          // not as such (raw bytes) in err.Error() or the log
	logAttrs map[string]string // attributes of the rejection log line, by value
	secret   []string          // never in the response (besides inError and the Detail)
}

// diagIssuer is the issuer ID the near-miss cases configure; its tokens are
// signed by the test issuer's keys.
const diagIssuer = "https://idp.example.com/realms/a"

// bearerOf is a request with tok in the Authorization header.
func bearerOf(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// trustAs trusts idp's keys under the issuer ID id.
func trustAs(id string) func(idp *jwtguardtest.Issuer) []jwtguard.Option {
	return func(idp *jwtguardtest.Issuer) []jwtguard.Option {
		e := idp.Entry()
		e.ID = id
		e.Keys = jwtguard.JWKS(idp.JWKSURL())
		return []jwtguard.Option{jwtguard.Trust(e)}
	}
}

// minted is a request with a token of idp with claims.
func minted(claims jwtguardtest.Claims) func(idp *jwtguardtest.Issuer) *http.Request {
	return func(idp *jwtguardtest.Issuer) *http.Request { return bearerOf(idp.Mint(claims)) }
}

// inText is s as a slog.TextHandler writes it inside a quoted value.
func inText(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// textAttr is the attribute key=value as slog.TextHandler writes it.
func textAttr(key, value string) string {
	var b bytes.Buffer
	drop := func(_ []string, a slog.Attr) slog.Attr {
		switch a.Key {
		case slog.TimeKey, slog.LevelKey, slog.MessageKey:
			return slog.Attr{}
		}
		return a
	}
	slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: drop})).Info("", key, value)
	return strings.TrimSpace(b.String())
}

// runDiagCases checks each case on both sides.
func runDiagCases(t *testing.T, cases []diagCase) {
	t.Helper()
	idp := jwtguardtest.NewIssuer(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			opts := append([]jwtguard.Option{jwtguard.WithAlgorithms("RS256"), jwtguard.WithRealm("api"),
				jwtguard.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}, c.trust(idp)...)
			v := mustNew(t, opts...)
			if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if c.before != nil {
				c.before(t, idp, v)
			}
			_, err := v.Authenticate(c.req(idp))
			miWant(t, nil, err, c.sentinel)
			checkDiagnostics(t, v, &logs, err, c)
		})
	}
}

// checkDiagnostics checks the Go error, the log and the response of the
// refusal err.
func checkDiagnostics(t *testing.T, v *jwtguard.Verifier, logs *syncBuffer, err error, c diagCase) {
	t.Helper()
	msg := err.Error()
	for _, want := range c.inError {
		if !strings.Contains(msg, want) {
			t.Errorf("Go error %q does not say %q", msg, want)
		}
	}
	out := logs.String()
	for _, s := range c.never {
		if strings.Contains(msg, s) {
			t.Errorf("Go error %q says %q", msg, s)
		}
		if strings.Contains(out, s) || strings.Contains(out, inText(s)) {
			t.Errorf("the log says %q: %s", s, out)
		}
	}
	for _, s := range c.rawNever {
		if strings.Contains(msg, s) {
			t.Errorf("Go error %q holds %q", msg, s)
		}
		if strings.Contains(out, s) {
			t.Errorf("the log holds %q: %q", s, out)
		}
	}
	// Nothing from the token reaches an operator unescaped: no control
	// character in the error; every log line is one record.
	if strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' }) {
		t.Errorf("Go error %q holds a control character", msg)
	}
	var line string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(l, "time=") {
			t.Errorf("a log line does not start a record (forged or split): %q", l)
		}
		if strings.Contains(l, `msg="jwtguard: token rejected"`) {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no rejection logged: %s", out)
	}
	for _, want := range c.inError {
		if !strings.Contains(line, inText(want)) {
			t.Errorf("log line %s does not say %q", line, want)
		}
	}
	for k, val := range c.logAttrs {
		if !strings.Contains(line, " "+textAttr(k, val)) {
			t.Errorf("log line %s has no %s", line, textAttr(k, val))
		}
	}
	// The response: what WriteError sends, body and challenge.
	rec := httptest.NewRecorder()
	v.WriteError(rec, err)
	resp := rec.Header().Get("WWW-Authenticate") + "\n" + rec.Body.String()
	for _, s := range append(append([]string{jwtguard.AsError(err).Detail, "hint", "differ only"}, c.inError...), c.secret...) {
		if strings.Contains(resp, s) {
			t.Errorf("the response tells the client %q: %s", s, resp)
		}
	}
}

// TestIssuerNearMissHints: an iss that differs from the configured issuer
// only by letter case, the scheme, or all of scheme, case and a trailing
// slash says so (the trailing slash alone is TestRefusalsSayWhy's).
func TestIssuerNearMissHints(t *testing.T) {
	t.Parallel()
	row := func(name, iss, hint string) diagCase {
		return diagCase{
			name:     name,
			trust:    trustAs(diagIssuer),
			req:      minted(jwtguardtest.Claims{"iss": iss}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError: []string{
				`iss "` + iss + `" is not a configured issuer`,
				`configured: "` + diagIssuer + `"`,
				`(hint: "` + iss + `" and the configured "` + diagIssuer + `": ` + hint + `)`,
			},
			logAttrs: map[string]string{"iss": iss, "sub": jwtguardtest.DefaultSubject},
			secret:   []string{iss, diagIssuer, "idp.example.com"},
		}
	}
	runDiagCases(t, []diagCase{
		row("letter case", "HTTPS://IDP.example.com/realms/a", "they differ only by letter case"),
		row("letter case in the path", "https://idp.example.com/realms/A", "they differ only by letter case"),
		row("scheme", "http://idp.example.com/realms/a", "they differ only by the scheme"),
		row("no scheme", "idp.example.com/realms/a", "they differ only by the scheme"),
		row("scheme, case and slash", "HTTP://IDP.example.com/realms/a/", "they differ only by the scheme, letter case or a trailing slash"),
		{
			name:     "no near miss, no hint",
			trust:    trustAs(diagIssuer),
			req:      minted(jwtguardtest.Claims{"iss": "https://idp.example.com/realms/b"}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "https://idp.example.com/realms/b"`, `configured: "` + diagIssuer + `"`},
			never:    []string{"hint", "differ only"},
			secret:   []string{"realms/b", diagIssuer},
		},
	})
}

// TestAudienceNearMissHints: an aud that differs from an accepted audience
// only by a trailing slash, letter case or the scheme names both and says
// how they differ.
func TestAudienceNearMissHints(t *testing.T) {
	t.Parallel()
	const want = jwtguardtest.DefaultAudience // https://api.example.test
	row := func(name string, aud any, near, hint string) diagCase {
		return diagCase{
			name:     name,
			trust:    trustAs(diagIssuer),
			req:      minted(jwtguardtest.Claims{"iss": diagIssuer, "aud": aud}),
			sentinel: jwtguard.ErrInvalidAudience,
			inError: []string{
				`"` + near + `"`,
				`holds none of the audiences issuer "` + diagIssuer + `" accepts ("` + want + `"; Issuer.Audiences or WithAudience)`,
				`(hint: "` + near + `" and the accepted "` + want + `": ` + hint + `)`,
			},
			logAttrs: map[string]string{"iss": diagIssuer, "sub": jwtguardtest.DefaultSubject},
			secret:   []string{near, want, "Audiences"},
		}
	}
	runDiagCases(t, []diagCase{
		row("trailing slash", want+"/", want+"/", "they differ only by a trailing slash"),
		row("letter case", "HTTPS://API.example.test", "HTTPS://API.example.test", "they differ only by letter case"),
		row("scheme", "http://api.example.test", "http://api.example.test", "they differ only by the scheme"),
		row("one of several", []string{"account", "http://api.example.test"}, "http://api.example.test", "they differ only by the scheme"),
	})
}

// TestTokenValuesBoundedAndEscaped: an iss or aud of 300 bytes is shown
// cut (…), never whole; control characters, quotes and newlines are shown
// escaped, so a token cannot forge a log line or a terminal sequence.
func TestTokenValuesBoundedAndEscaped(t *testing.T) {
	t.Parallel()
	long := "https://" + strings.Repeat("a", 279) + ".example/TAIL" // 300 bytes
	if len(long) != 300 {
		t.Fatalf("long is %d bytes", len(long))
	}
	forged := "https://x.example/\n" + `time=1999-01-01T00:00:00Z level=ERROR msg="forged" ` + "\r\x1b[31m\"q\"\u2028\x00end"
	forgedShown := strconv.QuoteToASCII(forged)
	wide := strings.Repeat("é", 150) // 300 bytes of 2-byte runes
	runDiagCases(t, []diagCase{
		{
			name:     "iss of 300 bytes",
			trust:    trustAs(diagIssuer),
			req:      minted(jwtguardtest.Claims{"iss": long}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "` + long[:96] + `"… is not a configured issuer`},
			never:    []string{long, "TAIL", long[:97]},
			logAttrs: map[string]string{"iss": long[:64] + "…"},
			secret:   []string{long[:20]},
		},
		{
			name:     "iss with control characters, quotes and a newline",
			trust:    trustAs(diagIssuer),
			req:      minted(jwtguardtest.Claims{"iss": forged}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss ` + forgedShown + ` is not a configured issuer`, `\n`, `\x1b[31m`, `\"q\"`, `\u2028`, `\x00end`},
			rawNever: []string{"\n" + "time=1999", "\r", "\x1b", "\u2028", "\x00", `level=ERROR msg="forged"`, `"q"`},
			logAttrs: map[string]string{"iss": forged[:64] + "…"},
			secret:   []string{"x.example", "forged"},
		},
		{
			name:     "iss of multibyte runes cut at a rune boundary",
			trust:    trustAs(diagIssuer),
			req:      minted(jwtguardtest.Claims{"iss": wide}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "` + strings.Repeat(`\u00e9`, 48) + `"… is not`},
			never:    []string{`\xc3`, wide[:97]},
		},
		{
			name:     "aud of 300 bytes and aud with a newline",
			trust:    trustAs(diagIssuer),
			req:      minted(jwtguardtest.Claims{"iss": diagIssuer, "aud": []string{long, forged}}),
			sentinel: jwtguard.ErrInvalidAudience,
			inError:  []string{`aud ["` + long[:96] + `"…, ` + forgedShown + `]`, `accepts ("` + jwtguardtest.DefaultAudience + `"`},
			never:    []string{long, "TAIL"},
			rawNever: []string{"\n" + "time=1999", "\x1b", "\u2028", `level=ERROR msg="forged"`},
			logAttrs: map[string]string{"iss": diagIssuer},
			secret:   []string{long[:20], "forged", jwtguardtest.DefaultAudience},
		},
	})
}

// TestConfiguredIssuersCapped: with more configured issuers than the list
// shows (8), the refusal names the first 8 and says how many more there
// are.
func TestConfiguredIssuersCapped(t *testing.T) {
	t.Parallel()
	ids := make([]string, 11)
	for i := range ids {
		ids[i] = fmt.Sprintf("https://idp-%02d.example", i)
	}
	listed := `configured: "` + strings.Join(ids[:8], `", "`) + `", … (3 more)`
	aliased := `configured: "` + strings.Join(ids[:8], `", "`) + `", … (5 more)`
	runDiagCases(t, []diagCase{
		{
			name: "11 issuer entries",
			trust: func(idp *jwtguardtest.Issuer) []jwtguard.Option {
				var entries []jwtguard.Issuer
				for _, id := range ids {
					e := idp.Entry()
					e.ID, e.Keys = id, jwtguard.JWKS(idp.JWKSURL())
					entries = append(entries, e)
				}
				return []jwtguard.Option{jwtguard.Trust(entries...)}
			},
			req:      minted(jwtguardtest.Claims{"iss": "https://stranger.example"}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "https://stranger.example"`, listed},
			never:    []string{ids[8], ids[9], ids[10]},
			secret:   []string{ids[0], "more"},
		},
		{
			name: "one entry with 12 aliases and a subject space",
			trust: func(idp *jwtguardtest.Issuer) []jwtguard.Option {
				e := idp.Entry()
				e.ID, e.Aliases, e.Keys = ids[0], ids[1:], jwtguard.JWKS(idp.JWKSURL())
				e.SubjectPrefix = "spiffe://example.org/"
				e2 := idp.Entry()
				e2.ID, e2.Keys = "https://idp-11.example", jwtguard.JWKS(idp.JWKSURL())
				return []jwtguard.Option{jwtguard.Trust(e, e2)}
			},
			req:      minted(jwtguardtest.Claims{"iss": "https://stranger.example"}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{aliased},
			never:    []string{ids[8], ids[10], "idp-11"},
			secret:   []string{ids[0], "more"},
		},
	})
}

// TestTemplatesAndTenantsNeverListed: a template issuer is listed as
// written, never its expansions (a customer list), and a near miss of an
// expansion gives no hint naming it; an issuer resolver's tenants,
// allowlisted or proven, are never listed either.
func TestTemplatesAndTenantsNeverListed(t *testing.T) {
	t.Parallel()
	const tmpl = "https://idp.example.com/{tenant}"
	template := func(idp *jwtguardtest.Issuer) []jwtguard.Option {
		e := idp.Entry()
		e.ID, e.Tenants, e.Keys = tmpl, []string{"acme", "globex"}, jwtguard.JWKS(idp.JWKSURL())
		return []jwtguard.Option{jwtguard.Trust(e)}
	}
	const tenantA, tenantB = "https://tenant-a.example", "https://tenant-b.example"
	resolver := func(idp *jwtguardtest.Issuer) []jwtguard.Option {
		static := idp.Entry()
		static.ID, static.Keys = diagIssuer, jwtguard.JWKS(idp.JWKSURL())
		resolve := func(_ context.Context, iss string) (jwtguard.Issuer, bool) {
			if iss != tenantA && iss != tenantB {
				return jwtguard.Issuer{}, false
			}
			return jwtguard.Issuer{ID: iss, Keys: jwtguard.JWKS(idp.JWKSURL()), Audiences: []string{jwtguardtest.DefaultAudience}}, true
		}
		return []jwtguard.Option{jwtguard.Trust(static), jwtguard.WithIssuerResolver(resolve, 8)}
	}
	proveA := func(t *testing.T, idp *jwtguardtest.Issuer, v *jwtguard.Verifier) {
		t.Helper()
		c, err := v.Verify(context.Background(), idp.Mint(jwtguardtest.Claims{"iss": tenantA}))
		miWant(t, c, err)
	}
	runDiagCases(t, []diagCase{
		{
			name:     "template, an unknown issuer",
			trust:    template,
			req:      minted(jwtguardtest.Claims{"iss": "https://stranger.example"}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "https://stranger.example"`, `configured: "` + tmpl + `"`},
			never:    []string{"acme", "globex"},
			secret:   []string{tmpl, "stranger"},
		},
		{
			name:     "template, a near miss of an expansion",
			trust:    template,
			req:      minted(jwtguardtest.Claims{"iss": "https://idp.example.com/acme/"}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "https://idp.example.com/acme/"`, `configured: "` + tmpl + `"`},
			never:    []string{`"https://idp.example.com/acme"`, "globex", "hint"},
			secret:   []string{tmpl, "acme"},
		},
		{
			name:     "resolver, an unknown issuer",
			trust:    resolver,
			before:   proveA,
			req:      minted(jwtguardtest.Claims{"iss": "https://stranger.example"}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "https://stranger.example"`, `configured: "` + diagIssuer + `"`, "issuer resolver"},
			never:    []string{"tenant-a", "tenant-b"},
			secret:   []string{diagIssuer, "stranger", "resolver"},
		},
		{
			name:     "resolver, a near miss of a proven tenant",
			trust:    resolver,
			before:   proveA,
			req:      minted(jwtguardtest.Claims{"iss": tenantA + "/"}),
			sentinel: jwtguard.ErrInvalidIssuer,
			inError:  []string{`iss "` + tenantA + `/"`, `configured: "` + diagIssuer + `"`},
			never:    []string{`"` + tenantA + `"`, "tenant-b", "hint"},
			secret:   []string{diagIssuer, "tenant-a", "resolver"},
		},
	})
}

// TestTokenUseMismatchSaysWhy: a token-use claim (Cognito's token_use)
// with another value, or none, names the value seen and the ones wanted.
func TestTokenUseMismatchSaysWhy(t *testing.T) {
	t.Parallel()
	cognito := func(idp *jwtguardtest.Issuer) []jwtguard.Option {
		e := idp.Entry()
		e.ID, e.Keys = diagIssuer, jwtguard.JWKS(idp.JWKSURL())
		e.TokenUseClaim, e.TokenUses = "token_use", []string{"access"}
		return []jwtguard.Option{jwtguard.Trust(e)}
	}
	runDiagCases(t, []diagCase{
		{
			name:     "an ID token",
			trust:    cognito,
			req:      minted(jwtguardtest.Claims{"iss": diagIssuer, "token_use": "id"}),
			sentinel: jwtguard.ErrInvalidTokenType,
			inError:  []string{`claim token_use is "id", not one of the Issuer.TokenUses of issuer "` + diagIssuer + `" ("access")`},
			logAttrs: map[string]string{"iss": diagIssuer, "sub": jwtguardtest.DefaultSubject},
			secret:   []string{`"id"`, `"access"`, "TokenUses", diagIssuer},
		},
		{
			name:     "no token_use",
			trust:    cognito,
			req:      minted(jwtguardtest.Claims{"iss": diagIssuer}),
			sentinel: jwtguard.ErrInvalidTokenType,
			inError:  []string{`claim token_use is missing; issuer "` + diagIssuer + `" accepts "access" (Issuer.TokenUses)`},
			logAttrs: map[string]string{"iss": diagIssuer, "sub": jwtguardtest.DefaultSubject},
			secret:   []string{`"access"`, "TokenUses", diagIssuer},
		},
		{
			name:     "a token_use of 300 bytes",
			trust:    cognito,
			req:      minted(jwtguardtest.Claims{"iss": diagIssuer, "token_use": strings.Repeat("x", 299) + "\n"}),
			sentinel: jwtguard.ErrInvalidTokenType,
			inError:  []string{`claim token_use is "` + strings.Repeat("x", 96) + `"…, not one of`, `("access")`},
			never:    []string{strings.Repeat("x", 97)},
			secret:   []string{"xxxx", `"access"`},
		},
	})
}

// TestCrossOriginRefusalLogsClaims: the log line of a cookie token refused
// for a cross-origin request carries the token's iss and sub (read for the
// log only) beside its alg and kid, and the Go error the request's Origin
// and the option.
func TestCrossOriginRefusalLogsClaims(t *testing.T) {
	t.Parallel()
	cookie := func(idp *jwtguardtest.Issuer) []jwtguard.Option {
		return append(trustAs(diagIssuer)(idp), jwtguard.WithExtractor(jwtguard.FromCookie("session")))
	}
	crossOrigin := func(claims jwtguardtest.Claims, site string) func(idp *jwtguardtest.Issuer) *http.Request {
		return func(idp *jwtguardtest.Issuer) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.AddCookie(&http.Cookie{Name: "session", Value: idp.Mint(claims)})
			r.Header.Set("Origin", "https://evil.example")
			if site != "" {
				r.Header.Set("Sec-Fetch-Site", site)
			}
			return r
		}
	}
	runDiagCases(t, []diagCase{
		{
			name:     "Sec-Fetch-Site cross-site",
			trust:    cookie,
			req:      crossOrigin(jwtguardtest.Claims{"iss": diagIssuer, "sub": "alice"}, "cross-site"),
			sentinel: jwtguard.ErrCrossOrigin,
			inError:  []string{`cross-origin POST request (Origin "https://evil.example", Sec-Fetch-Site "cross-site")`, "WithTrustedOrigins"},
			logAttrs: map[string]string{"iss": diagIssuer, "sub": "alice", "alg": "RS256"},
			secret:   []string{"evil.example", "alice", diagIssuer, "WithTrustedOrigins"},
		},
		{
			name:     "Origin only",
			trust:    cookie,
			req:      crossOrigin(jwtguardtest.Claims{"iss": diagIssuer, "sub": "bob"}, ""),
			sentinel: jwtguard.ErrCrossOrigin,
			inError:  []string{`Origin "https://evil.example"`, "WithTrustedOrigins"},
			logAttrs: map[string]string{"iss": diagIssuer, "sub": "bob", "alg": "RS256"},
			secret:   []string{"evil.example", "bob", diagIssuer},
		},
	})
}

// nearMissReports returns the near-miss reports among JSON log lines.
func nearMissReports(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rs []map[string]any
	for _, r := range logRecords(t, out) {
		if r["level"] == "WARN" && strings.Contains(fmt.Sprint(r["msg"]), "near miss") {
			rs = append(rs, r)
		}
	}
	return rs
}

// TestAudienceNearMissReported: a validly signed token refused for a near
// miss of the accepted audience reaches the operator's log at Warn with
// the hint: slog.Default() without WithLogger, the WithLogger logger with
// it (and then not slog.Default()). The same near miss is reported once a
// minute; another near miss has its own report. Not parallel: it captures
// slog.Default().
func TestAudienceNearMissReported(t *testing.T) {
	var def syncBuffer
	captureDefaultLog(t, &def)
	idp := jwtguardtest.NewIssuer(t)
	ctx := context.Background()
	slash := func() string {
		return idp.Mint(jwtguardtest.Claims{"aud": jwtguardtest.DefaultAudience + "/"})
	}
	run := func(t *testing.T, v *jwtguard.Verifier, clock *jwtguardtest.Clock, out *syncBuffer) {
		t.Helper()
		reports := func() []map[string]any { return nearMissReports(t, out.String()) }
		for range 3 {
			_, err := v.Verify(ctx, slash())
			miWant(t, nil, err, jwtguard.ErrInvalidAudience)
		}
		rs := reports()
		if len(rs) != 1 {
			t.Fatalf("3 near misses: %d reports, want 1: %s", len(rs), out.String())
		}
		for _, want := range []string{`aud ["` + jwtguardtest.DefaultAudience + `/"]`, `the accepted "` + jwtguardtest.DefaultAudience + `"`, "they differ only by a trailing slash"} {
			if !strings.Contains(fmt.Sprint(rs[0]["error"]), want) {
				t.Errorf("the report %v does not say %q", rs[0], want)
			}
		}
		clock.Advance(59 * time.Second)
		_, _ = v.Verify(ctx, slash())
		if n := len(reports()); n != 1 {
			t.Fatalf("59 s later: %d reports, want 1", n)
		}
		// Another near miss (letter case) is reported on its own.
		_, _ = v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"aud": strings.ToUpper(jwtguardtest.DefaultAudience)}))
		if rs := reports(); len(rs) != 2 || !strings.Contains(fmt.Sprint(rs[1]["error"]), "letter case") {
			t.Fatalf("a case near miss: %v", rs)
		}
		// An accepted token between keeps the refusals from being a streak.
		if _, err := v.Verify(ctx, idp.Mint(nil)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		_, _ = v.Verify(ctx, slash())
		if n := len(reports()); n != 3 {
			t.Fatalf("a minute after the first: %d reports, want 3", n)
		}
	}
	t.Run("slog.Default without WithLogger", func(t *testing.T) {
		clock := jwtguardtest.NewClock(time.Now())
		v := idp.Verifier(t, jwtguard.WithClock(clock.Now))
		run(t, v, clock, &def)
	})
	t.Run("the WithLogger logger", func(t *testing.T) {
		before := def.String()
		var own syncBuffer
		clock := jwtguardtest.NewClock(time.Now())
		v := idp.Verifier(t, jwtguard.WithClock(clock.Now), jwtguard.WithLogger(slog.New(slog.NewJSONHandler(&own, nil))))
		run(t, v, clock, &own)
		if after := def.String(); after != before {
			t.Errorf("with WithLogger, slog.Default() got %s", strings.TrimPrefix(after, before))
		}
	})
}

// TestNearMissReportNotForgeable: the near-miss report is keyed by the
// configured value and the kind of difference, not by what the token
// says: an iss that merely holds the text of a hint is no near miss, and
// near misses that differ in what they hold (the scheme can be anything)
// make one report a minute, not one each.
func TestNearMissReportNotForgeable(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	var out syncBuffer
	clock := jwtguardtest.NewClock(time.Now())
	e := idp.Entry()
	e.ID, e.Keys = diagIssuer, jwtguard.JWKS(idp.JWKSURL())
	v := mustNew(t, jwtguard.Trust(e), jwtguard.WithAlgorithms("RS256"), jwtguard.WithClock(clock.Now),
		jwtguard.WithLogger(slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	ctx := context.Background()
	for i := range 50 {
		_, err := v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"iss": fmt.Sprintf("(hint: %d", i)}))
		miWant(t, nil, err, jwtguard.ErrInvalidIssuer)
	}
	if rs := nearMissReports(t, out.String()); len(rs) != 0 {
		t.Fatalf("issuers holding a hint's text reported as near misses: %d reports, first %v", len(rs), rs[0])
	}
	for i := range 50 {
		_, err := v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"iss": fmt.Sprintf("x and the %d://idp.example.com/realms/a", i)}))
		miWant(t, nil, err, jwtguard.ErrInvalidIssuer)
		if i == 0 && !strings.Contains(err.Error(), "hint") {
			t.Fatalf("not a near miss: %v", err)
		}
	}
	if rs := nearMissReports(t, out.String()); len(rs) != 1 {
		t.Fatalf("50 scheme near misses: %d reports, want 1", len(rs))
	}
}
