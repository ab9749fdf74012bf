package jwtguard

// This file is an internal test: it reads errorTable, the one source of
// truth for statuses and challenges, and checks that everything else
// (AsError, WriteError, Error(), the verifier) derives from it. It cannot
// import jwtguardtest (that would be an import cycle), so it builds its own
// HMAC tokens.

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// errtSentinel is an exported Err* variable found in the package source.
type errtSentinel struct {
	name string // ErrTokenExpired
	text string // the errors.New argument
}

// errtSource parses the package's non-test sources once.
// errtClassPackages are the sub-packages whose "jwtguard: " sentinels are
// failure classes of the verifier's error table (the protocol packages
// keep their own sentinels, so the root does not export one per code).
var errtClassPackages = []string{"dpop"}

func errtSource(t *testing.T) []*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range errtClassPackages {
		sub, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, sub...)
	}
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "jwtguard" || slices.Contains(errtClassPackages, f.Name.Name) {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatal("no package source found")
	}
	return files
}

// errtSentinels returns every exported package-level variable whose name
// starts with Err, with the text it is created with. A sentinel that is not
// built with errors.New("literal") fails the test: the table test matches
// sentinels by that text.
func errtSentinels(t *testing.T, files []*ast.File) []errtSentinel {
	t.Helper()
	var out []errtSentinel
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !n.IsExported() || !strings.HasPrefix(n.Name, "Err") {
						continue
					}
					s := errtSentinel{name: n.Name}
					if i < len(vs.Values) {
						if call, ok := vs.Values[i].(*ast.CallExpr); ok && len(call.Args) == 1 {
							if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								s.text, _ = strconv.Unquote(lit.Value)
							}
						}
					}
					if s.text == "" {
						t.Errorf("%s is not declared as errors.New(\"literal\")", n.Name)
					}
					if f.Name.Name != "jwtguard" {
						if !strings.HasPrefix(s.text, "jwtguard: ") {
							continue // a sub-package's own error, not a failure class
						}
						s.name = f.Name.Name + "." + s.name
					}
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// errtRowNames returns the sentinel named by the err field of every row of
// the errorTable literal, in order.
func errtRowNames(t *testing.T, files []*ast.File) []string {
	t.Helper()
	var rows []string
	found := false
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "errorTable" || len(vs.Values) != 1 {
				return true
			}
			found = true
			lit, ok := vs.Values[0].(*ast.CompositeLit)
			if !ok {
				t.Fatal("errorTable is not a composite literal")
			}
			for _, elt := range lit.Elts {
				row, ok := elt.(*ast.CompositeLit)
				if !ok {
					t.Fatalf("errorTable element %T is not a literal", elt)
				}
				name := ""
				for _, kv := range row.Elts {
					kv, ok := kv.(*ast.KeyValueExpr)
					if !ok {
						t.Fatal("errorTable rows must use keyed fields")
					}
					if k, _ := kv.Key.(*ast.Ident); k != nil && k.Name == "err" {
						switch v := kv.Value.(type) {
						case *ast.Ident:
							name = v.Name
						case *ast.SelectorExpr:
							if pkg, ok := v.X.(*ast.Ident); ok {
								name = pkg.Name + "." + v.Sel.Name
							}
						}
					}
				}
				rows = append(rows, name)
			}
			return false
		})
	}
	if !found {
		t.Fatal("no errorTable declaration in the package source")
	}
	return rows
}

// TestEveryExportedSentinelHasARow reads the package source (no hand-kept
// list): every exported Err* variable has exactly one row in errorTable,
// the rows hold nothing else, and no sentinel answers 500.
func TestEveryExportedSentinelHasARow(t *testing.T) {
	t.Parallel()
	files := errtSource(t)
	sentinels := errtSentinels(t, files)
	rows := errtRowNames(t, files)
	if len(sentinels) < 20 {
		t.Fatalf("found only %d exported sentinels: the source reader is broken", len(sentinels))
	}
	if len(rows) != len(errorTable) {
		t.Fatalf("the source shows %d rows, errorTable has %d", len(rows), len(errorTable))
	}
	texts := map[string]string{}
	for _, s := range sentinels {
		if other, dup := texts[s.text]; dup {
			t.Errorf("%s and %s have the same text %q", s.name, other, s.text)
		}
		texts[s.text] = s.name
		if n := slices.Index(rows, s.name); n < 0 {
			t.Errorf("%s has no row in errorTable", s.name)
		} else if slices.Index(rows[n+1:], s.name) >= 0 {
			t.Errorf("%s has more than one row in errorTable", s.name)
		}
	}
	for i, name := range rows {
		if !slices.ContainsFunc(sentinels, func(s errtSentinel) bool { return s.name == name }) {
			t.Errorf("errorTable row %d is for %q, not an exported Err* sentinel", i, name)
		}
	}
	// The runtime rows are the same sentinels: match them by their text.
	for i, row := range errorTable {
		name, ok := texts[row.err.Error()]
		if !ok {
			t.Errorf("errorTable row %d (%v) matches no exported sentinel", i, row.err)
			continue
		}
		if name != rows[i] {
			t.Errorf("errorTable row %d: source says %s, runtime value is %s", i, rows[i], name)
		}
		if row.status == http.StatusInternalServerError || row.status < 400 || row.status > 599 {
			t.Errorf("%s: status %d; no sentinel may answer 500 (or a non-error status)", name, row.status)
		}
		if row.desc == "" {
			t.Errorf("%s: no description", name)
		}
		if row.reason == "" || strings.ContainsAny(row.reason, " -.") || slices.ContainsFunc(errorTable[:i], func(o errorClass) bool { return o.reason == row.reason }) {
			t.Errorf("%s: reason %q is empty, not snake_case, or not unique (it is a metric attribute value)", name, row.reason)
		}
		if row.code == "" && row.body == "" {
			t.Errorf("%s: neither an error code nor a body error", name)
		}
		if row.status == http.StatusUnauthorized && !row.challenge {
			t.Errorf("%s: 401 without a challenge (RFC 9110 §15.5.2)", name)
		}
		if row.status == http.StatusServiceUnavailable && !row.retry {
			t.Errorf("%s: 503 without Retry-After", name)
		}
	}
}

// TestAsErrorAndWriteErrorFollowTheTable: for every row, the bare sentinel,
// a wrapped sentinel and the verifier's own *Error are answered exactly as
// the row says.
func TestAsErrorAndWriteErrorFollowTheTable(t *testing.T) {
	t.Parallel()
	for _, row := range errorTable {
		t.Run(row.err.Error(), func(t *testing.T) {
			t.Parallel()
			for _, err := range []error{row.err, fmt.Errorf("context: %w", row.err), newError(row.err, "")} {
				e := AsError(err)
				if e.Status != row.status || e.Code != row.code || e.Description != row.desc || !errors.Is(e, row.err) {
					t.Fatalf("AsError(%v) = %d %q %q, want %d %q %q", err, e.Status, e.Code, e.Description, row.status, row.code, row.desc)
				}
				if (e.RetryAfter > 0) != row.retry {
					t.Fatalf("AsError(%v).RetryAfter = %s, row retry %v", err, e.RetryAfter, row.retry)
				}
				rec := httptest.NewRecorder()
				WriteError(rec, "api", err)
				if rec.Code != row.status {
					t.Fatalf("WriteError status %d, want %d", rec.Code, row.status)
				}
				chal := rec.Header().Get("WWW-Authenticate")
				if (chal != "") != row.challenge {
					t.Fatalf("WWW-Authenticate %q, row challenge %v", chal, row.challenge)
				}
				if row.challenge {
					want := cmp.Or(row.scheme, "Bearer") + ` realm="api"`
					if row.code != "" {
						want += `, error="` + row.code + `", error_description="` + row.desc + `"`
					}
					if chal != want {
						t.Fatalf("WWW-Authenticate\n got %q\nwant %q", chal, want)
					}
				}
				if got := rec.Header().Get("Retry-After"); (got != "") != row.retry || (row.retry && got != "5") {
					t.Fatalf("Retry-After %q, row retry %v", got, row.retry)
				}
				var body map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatal(err)
				}
				wantErr := row.code
				if wantErr == "" {
					wantErr = row.body
				}
				if body["error"] != wantErr || body["error_description"] != row.desc {
					t.Fatalf("body %s, want error %q description %q", rec.Body.String(), wantErr, row.desc)
				}
			}
		})
	}
}

// TestNoTokenCarriesNoErrorCode: RFC 6750 §3.1 — a request without
// credentials gets a challenge without an error code.
func TestNoTokenCarriesNoErrorCode(t *testing.T) {
	t.Parallel()
	v := errtVerifier(t, WithRealm("api"))
	_, err := v.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	if !errors.Is(err, ErrNoToken) {
		t.Fatalf("err %v, want ErrNoToken", err)
	}
	rec := httptest.NewRecorder()
	v.WriteError(rec, err)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d", rec.Code)
	}
	if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="api"` {
		t.Fatalf("WWW-Authenticate %q carries more than the realm", got)
	}
	if e := AsError(err); e.Code != "" {
		t.Fatalf("Code %q for a request without credentials", e.Code)
	}
}

// errtPlainExtractor is a custom extractor whose error wraps no sentinel.
type errtPlainExtractor struct{}

func (errtPlainExtractor) Extract(*http.Request) (Credential, error) {
	return Credential{}, errors.New("session backend down: password=hunter2")
}

// TestUnknownErrorIs500Everywhere: an error wrapping no sentinel is a
// server error in AsError, WriteError and Authenticate alike, and its text
// never reaches the response.
func TestUnknownErrorIs500Everywhere(t *testing.T) {
	t.Parallel()
	plain := errors.New("database exploded: password=hunter2")
	check := func(t *testing.T, err error) {
		t.Helper()
		e := AsError(err)
		if e.Status != http.StatusInternalServerError || e.Code != "" || e.Description != "internal error" || e.RetryAfter != 0 {
			t.Fatalf("AsError = %d %q %q %s, want 500 internal error", e.Status, e.Code, e.Description, e.RetryAfter)
		}
		rec := httptest.NewRecorder()
		WriteError(rec, "api", err)
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("WriteError status %d, want 500", rec.Code)
		}
		if h := rec.Header().Get("WWW-Authenticate"); h != "" {
			t.Fatalf("500 with a challenge %q", h)
		}
		if rec.Header().Get("Retry-After") != "" {
			t.Fatal("500 with Retry-After")
		}
		if b := rec.Body.String(); strings.Contains(b, "hunter2") || !strings.Contains(b, `"error":"server_error"`) {
			t.Fatalf("body %s", b)
		}
	}
	t.Run("AsError and WriteError", func(t *testing.T) { check(t, plain) })
	t.Run("wrapped", func(t *testing.T) { check(t, fmt.Errorf("handler: %w", plain)) })
	t.Run("joined", func(t *testing.T) { check(t, errors.Join(errors.New("a"), errors.New("b"))) })
	t.Run("custom extractor through Authenticate", func(t *testing.T) {
		v := errtVerifier(t, WithExtractor(errtPlainExtractor{}))
		_, err := v.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
		if err == nil {
			t.Fatal("Authenticate accepted a failing extractor")
		}
		check(t, err)
	})
	// The one documented exception: a policy's plain error is a denial.
	t.Run("policy plain error is 403", func(t *testing.T) {
		err := Authorize(&Claims{}, func(*Claims) error { return plain })
		if e := AsError(err); e.Status != http.StatusForbidden || e.Code != codeInsufficientScope || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("Authorize with a plain policy error: %d %q %v", e.Status, e.Code, err)
		}
	})
}

// TestErrorSaysEachThingOnce: Error() is the sentinel's text, then what
// the description adds, never the same thing twice ("token expired: token
// is expired"); a claim error names its claim once, in Claim and in the
// text.
func TestErrorSaysEachThingOnce(t *testing.T) {
	t.Parallel()
	for _, row := range errorTable {
		if got := newError(row.err, "").Error(); got != row.err.Error() {
			t.Errorf("standard %v: Error() = %q, want %q", row.err, got, row.err.Error())
		}
	}
	cases := []struct {
		name  string
		e     *Error
		want  string
		claim string
	}{
		{"expired", newError(ErrTokenExpired, ""), "jwtguard: token expired", ""},
		{"own description", newError(ErrForbidden, "weekdays only"), "jwtguard: forbidden: weekdays only", ""},
		{"missing exp", claimError(ErrMissingClaim, "exp", ""), "jwtguard: missing required claim: exp", "exp"},
		{"required path", claimError(ErrMissingClaim, "realm_access.roles", ""), "jwtguard: missing required claim: realm_access.roles", "realm_access.roles"},
		{"aud missing", claimError(ErrInvalidAudience, "aud", "is missing"), "jwtguard: invalid audience: aud is missing", "aud"},
		{"exp type", claimError(ErrInvalidClaim, "exp", "must be a number (NumericDate)"), "jwtguard: invalid claim: exp must be a number (NumericDate)", "exp"},
		{"no sentinel", &Error{Description: "x"}, "jwtguard: x", ""},
		{"no token", &Error{Err: ErrNoToken}, "jwtguard: no token", ""},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%s: Error() = %q, want %q", c.name, got, c.want)
		}
		if c.e.Claim != c.claim {
			t.Errorf("%s: Claim = %q, want %q", c.name, c.e.Claim, c.claim)
		}
		if c.e.Err != nil && (!errors.Is(c.e, c.e.Err) || errors.Unwrap(c.e) != c.e.Err) {
			t.Errorf("%s: Unwrap", c.name)
		}
	}
}

// TestClaimTravelsInTheField: the verifier's claim errors carry the claim's
// name in Error.Claim and in the JSON body's "claim", so no caller has to
// parse the text.
func TestClaimTravelsInTheField(t *testing.T) {
	t.Parallel()
	v := errtVerifier(t)
	v2 := errtVerifier(t, errtEntry(func(is *Issuer) { is.RequiredClaims = []string{"[https://example.com/tenant]"} }))
	now := time.Now()
	cases := []struct {
		name     string
		v        *Verifier
		claims   map[string]any
		sentinel error
		claim    string
	}{
		{"missing exp", v, map[string]any{"exp": nil}, ErrMissingClaim, "exp"},
		{"exp as string", v, map[string]any{"exp": "soon"}, ErrInvalidClaim, "exp"},
		{"aud as number", v, map[string]any{"aud": 5}, ErrInvalidClaim, "aud"},
		{"aud missing", v, map[string]any{"aud": nil}, ErrInvalidAudience, "aud"},
		{"aud empty array", v, map[string]any{"aud": []string{}}, ErrInvalidAudience, "aud"},
		{"required claim", v2, nil, ErrMissingClaim, "[https://example.com/tenant]"},
		{"required claim empty", v2, map[string]any{"https://example.com/tenant": ""}, ErrMissingClaim, "[https://example.com/tenant]"},
		{"expired (not a claim error)", v, map[string]any{"exp": now.Add(-time.Hour).Unix()}, ErrTokenExpired, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.v.Verify(context.Background(), errtMint(t, now, c.claims))
			if !errors.Is(err, c.sentinel) {
				t.Fatalf("err %v, want %v", err, c.sentinel)
			}
			var e *Error
			if !errors.As(err, &e) || e.Claim != c.claim {
				t.Fatalf("Claim = %q, want %q (err %v)", e.Claim, c.claim, err)
			}
			if c.claim != "" && errtWordCount(err.Error(), c.claim) != 1 {
				t.Fatalf("Error() %q does not name %q exactly once", err, c.claim)
			}
			rec := httptest.NewRecorder()
			v.WriteError(rec, err)
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body["claim"] != c.claim {
				t.Fatalf("body claim %q, want %q (%s)", body["claim"], c.claim, rec.Body.String())
			}
		})
	}
}

// TestWriteError pins whole responses: challenges, bodies, quoting.
func TestWriteError(t *testing.T) {
	t.Parallel()
	policyErr := func(p Policy) error { return Authorize(&Claims{}, p) }
	cases := []struct {
		name       string
		realm      string
		err        error
		status     int
		challenge  string // exact WWW-Authenticate; "" = absent
		retryAfter string // exact Retry-After; "" = absent
		body       map[string]string
	}{
		{
			name: "no token", realm: "api", err: Authorize(nil),
			status: 401, challenge: `Bearer realm="api"`,
			body: map[string]string{"error": "unauthorized", "error_description": "this route requires a bearer token"},
		},
		{
			name: "no token, bare sentinel", realm: "api", err: ErrNoToken,
			status: 401, challenge: `Bearer realm="api"`,
			body: map[string]string{"error": "unauthorized", "error_description": "no bearer token in the request"},
		},
		{
			name: "no token, no realm", err: ErrNoToken,
			status: 401, challenge: `Bearer`,
			body: map[string]string{"error": "unauthorized", "error_description": "no bearer token in the request"},
		},
		{
			name: "invalid token", realm: "api", err: &Error{Status: 401, Code: "invalid_token", Description: "token is expired", Err: ErrTokenExpired},
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="token is expired"`,
			body: map[string]string{"error": "invalid_token", "error_description": "token is expired"},
		},
		{
			name: "invalid token, no realm", err: &Error{Status: 401, Code: "invalid_token", Description: "signature is invalid", Err: ErrInvalidSignature},
			status: 401, challenge: `Bearer error="invalid_token", error_description="signature is invalid"`,
			body: map[string]string{"error": "invalid_token", "error_description": "signature is invalid"},
		},
		{
			name: "invalid request", realm: "api", err: &Error{Status: 400, Code: "invalid_request", Description: "more than one Authorization header", Err: ErrInvalidRequest},
			status: 400, challenge: `Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`,
			body: map[string]string{"error": "invalid_request", "error_description": "more than one Authorization header"},
		},
		{
			name: "insufficient scope with scope", realm: "api", err: policyErr(RequireAllScopes("orders:read", "orders:write")),
			status: 403, challenge: `Bearer realm="api", error="insufficient_scope", error_description="requires scope orders:read orders:write", scope="orders:read orders:write"`,
			body: map[string]string{"error": "insufficient_scope", "error_description": "requires scope orders:read orders:write", "scope": "orders:read orders:write"},
		},
		{
			name: "insufficient scope by role", realm: "api", err: policyErr(RequireAnyRole("admin")),
			status: 403, challenge: `Bearer realm="api", error="insufficient_scope", error_description="requires role admin"`,
			body: map[string]string{"error": "insufficient_scope", "error_description": "requires role admin"},
		},
		{
			name: "cross origin", realm: "api", err: &Error{Status: 403, Description: "cookie credentials are not accepted on cross-origin unsafe requests", Err: ErrCrossOrigin},
			status: 403,
			body:   map[string]string{"error": "cross_origin_request", "error_description": "cookie credentials are not accepted on cross-origin unsafe requests"},
		},
		{
			name: "keys unavailable", realm: "api", err: ErrKeysUnavailable,
			status: 503, retryAfter: "5",
			body: map[string]string{"error": "temporarily_unavailable"},
		},
		{
			name: "revocation unavailable", realm: "api", err: fmt.Errorf("redis down: %w", ErrRevocationUnavailable),
			status: 503, retryAfter: "5",
			body: map[string]string{"error": "temporarily_unavailable"},
		},
		{
			name: "introspection unavailable", realm: "api", err: fmt.Errorf("endpoint down: %w", ErrIntrospectionUnavailable),
			status: 503, retryAfter: "5",
			body: map[string]string{"error": "temporarily_unavailable"},
		},
		{
			name: "token inactive", realm: "api", err: ErrTokenInactive,
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="token is not active"`,
			body: map[string]string{"error": "invalid_token", "error_description": "token is not active"},
		},
		{
			name: "Retry-After rounds up", err: &Error{Status: 503, RetryAfter: 1500 * time.Millisecond, Description: "later", Err: ErrKeysUnavailable},
			status: 503, retryAfter: "2",
			body: map[string]string{"error": "temporarily_unavailable", "error_description": "later"},
		},
		{
			name: "wrapped sentinel", realm: "api", err: fmt.Errorf("context: %w", ErrTokenExpired),
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="token is expired"`,
			body: map[string]string{"error": "invalid_token", "error_description": "token is expired"},
		},
		{
			name: "foreign error", realm: "api", err: errors.New("database exploded: password=hunter2"),
			status: 500,
			body:   map[string]string{"error": "server_error", "error_description": "internal error"},
		},
		{
			name: "quoteSafe on realm and description", realm: "a\"b\\c\x01d\x7fé",
			err:    &Error{Status: 401, Code: "invalid_token", Description: "x\"y\\z\r\nSet-Cookie: a=b", Err: ErrMalformedToken},
			status: 401, challenge: `Bearer realm="abcd", error="invalid_token", error_description="xyzSet-Cookie: a=b"`,
			body: map[string]string{"error": "invalid_token", "error_description": "x\"y\\z\r\nSet-Cookie: a=b"},
		},
		{
			name: "quoteSafe on scope", realm: "api", err: policyErr(RequireAllScopes(`a"b`)),
			status: 403, challenge: `Bearer realm="api", error="insufficient_scope", error_description="requires scope ab", scope="ab"`,
			body: map[string]string{"error": "insufficient_scope", "error_description": `requires scope a"b`, "scope": `a"b`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			WriteError(rec, c.realm, c.err)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d", rec.Code, c.status)
			}
			h := rec.Header()
			if got := h.Get("WWW-Authenticate"); got != c.challenge {
				t.Fatalf("WWW-Authenticate\n got %q\nwant %q", got, c.challenge)
			}
			if got := h.Get("Retry-After"); got != c.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, c.retryAfter)
			}
			if got := h.Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Fatalf("Content-Type %q", got)
			}
			if got := h.Get("Cache-Control"); got != "no-store" {
				t.Fatalf("Cache-Control %q, want no-store", got)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Fatalf("X-Content-Type-Options %q, want nosniff", got)
			}
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			for k, want := range c.body {
				if body[k] != want {
					t.Fatalf("body[%q] = %q, want %q (body %s)", k, body[k], want, rec.Body.String())
				}
			}
			if _, ok := c.body["scope"]; !ok && body["scope"] != "" {
				t.Fatalf("unexpected scope in body: %s", rec.Body.String())
			}
			if body["error_description"] == "" {
				t.Fatalf("no error_description: %s", rec.Body.String())
			}
		})
	}
}

func TestVerifierWriteErrorUsesRealm(t *testing.T) {
	t.Parallel()
	v := errtVerifier(t, WithRealm("orders"))
	rec := httptest.NewRecorder()
	v.WriteError(rec, ErrNoToken)
	if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="orders"` {
		t.Fatalf("WWW-Authenticate %q", got)
	}
}

func TestAsError(t *testing.T) {
	t.Parallel()
	own := &Error{Status: 418, Err: ErrForbidden}
	cases := []struct {
		name     string
		err      error
		status   int
		code     string
		sentinel error
		same     bool // AsError returns the *Error in the chain itself
	}{
		{"own error", own, 418, "", ErrForbidden, true},
		{"wrapped own error", fmt.Errorf("handler: %w", own), 418, "", ErrForbidden, true},
		{"bare sentinel", ErrTokenExpired, 401, "invalid_token", ErrTokenExpired, false},
		{"wrapped sentinel", fmt.Errorf("x: %w", ErrInvalidAudience), 401, "invalid_token", ErrInvalidAudience, false},
		{"invalid request", ErrInvalidRequest, 400, "invalid_request", ErrInvalidRequest, false},
		{"forbidden", ErrForbidden, 403, "insufficient_scope", ErrForbidden, false},
		{"cross origin", ErrCrossOrigin, 403, "", ErrCrossOrigin, false},
		{"no token", ErrNoToken, 401, "", ErrNoToken, false},
		{"keys", ErrKeysUnavailable, 503, "", ErrKeysUnavailable, false},
		{"introspection", ErrIntrospectionUnavailable, 503, "", ErrIntrospectionUnavailable, false},
		{"token inactive (was 500)", ErrTokenInactive, 401, "invalid_token", ErrTokenInactive, false},
		{"foreign", errors.New("boom"), 500, "", nil, false},
		{"joined foreign", errors.Join(errors.New("a"), errors.New("b")), 500, "", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := AsError(c.err)
			if e == nil {
				t.Fatal("AsError returned nil")
			}
			if e.Status != c.status || e.Code != c.code {
				t.Fatalf("status %d code %q, want %d %q", e.Status, e.Code, c.status, c.code)
			}
			if c.same && e != own {
				t.Fatal("AsError did not return the *Error from the chain")
			}
			if c.sentinel != nil && !errors.Is(e, c.sentinel) {
				t.Fatalf("AsError(%v) does not match %v", c.err, c.sentinel)
			}
			if !c.same && !errors.Is(e, c.err) {
				t.Fatal("the original error is lost")
			}
			if c.status == 503 && e.RetryAfter <= 0 {
				t.Fatal("503 without RetryAfter")
			}
			if !c.same && e.Description == "" {
				t.Fatalf("AsError(%v) has no description for the response body", c.err)
			}
			if c.status == 500 && e.Description != "internal error" {
				t.Fatalf("foreign error description %q leaks details", e.Description)
			}
		})
	}
}

// TestWriteErrorWithoutStatus: a hand-built *Error with no status is a
// server bug and becomes a 500, never a panic.
func TestWriteErrorWithoutStatus(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	WriteError(rec, "", &Error{Err: ErrForbidden, Code: "insufficient_scope"})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if h := rec.Header().Get("WWW-Authenticate"); h != "" {
		t.Fatalf("500 with a challenge %q", h)
	}
}

// errtWordCount counts the space-separated words of s that are word (a
// trailing colon ignored).
func errtWordCount(s, word string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		if strings.TrimSuffix(w, ":") == word {
			n++
		}
	}
	return n
}

// Fixtures: an HMAC issuer, built without jwtguardtest.

const (
	errtIss = "https://errors.example.test"
	errtAud = "https://api.example.test"
)

var errtSecret = []byte("0123456789abcdef0123456789abcdef")

// errtEntry is an Option-building helper: the test issuer entry, changed
// by edit.
func errtEntry(edit func(*Issuer)) Option {
	is := Issuer{ID: errtIss, Keys: HMAC(errtSecret), Audiences: []string{errtAud}}
	edit(&is)
	return Trust(is)
}

// errtVerifier returns a verifier for the test issuer (extra may replace
// the entry with errtEntry).
func errtVerifier(t *testing.T, extra ...Option) *Verifier {
	t.Helper()
	opts := []Option{WithAlgorithms("HS256")}
	hasEntry := false
	for _, o := range extra {
		cfg := &config{}
		if o.apply(cfg) == nil && len(cfg.issuers) > 0 {
			hasEntry = true
		}
	}
	if !hasEntry {
		opts = append(opts, errtEntry(func(*Issuer) {}))
	}
	v, err := New(append(opts, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// errtMint signs an HS256 token whose claims are the defaults (iss, aud,
// sub, exp) with over merged in (a nil value removes a claim).
func errtMint(t *testing.T, now time.Time, over map[string]any) string {
	t.Helper()
	claims := map[string]any{"iss": errtIss, "aud": errtAud, "sub": "user-1", "exp": now.Add(5 * time.Minute).Unix()}
	for k, v := range over {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	input := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc(payload)
	mac := hmac.New(sha256.New, errtSecret)
	mac.Write([]byte(input))
	return input + "." + enc(mac.Sum(nil))
}
