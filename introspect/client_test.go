package introspect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/strictjson"
	"github.com/jwtguard/jwtguard/introspect"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

const (
	testClient = "resource-server"
	testSecret = "s3cret:with/odd chars"
)

// issuerClient returns a test issuer with its introspection endpoint
// enabled and a Client for it.
func issuerClient(t *testing.T, auth introspect.ClientAuth, opts ...introspect.Option) (*jwtguardtest.Issuer, *introspect.Client) {
	t.Helper()
	return clientOf(t, jwtguardtest.NewIssuer(t), auth, opts...)
}

// clientOf enables the introspection endpoint of iss and returns iss with a
// Client for it.
func clientOf(t *testing.T, iss *jwtguardtest.Issuer, auth introspect.ClientAuth, opts ...introspect.Option) (*jwtguardtest.Issuer, *introspect.Client) {
	t.Helper()
	endpoint := iss.EnableIntrospection(testClient, testSecret)
	if auth == nil {
		auth = introspect.ClientSecretBasic(testClient, testSecret)
	}
	c, err := introspect.New(endpoint, auth, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return iss, c
}

// member returns the string member name of a JSON object answer.
func member(t *testing.T, answer []byte, name string) string {
	t.Helper()
	raw, ok := strictjson.Member(answer, name)
	if !ok {
		return ""
	}
	s, err := strictjson.String(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func TestIntrospectActive(t *testing.T) {
	t.Parallel()
	iss, c := issuerClient(t, nil)
	tok := iss.MintOpaque(jwtguardtest.Claims{"sub": "alice", "scope": "orders:read", "jti": "o-1"})
	ctx := context.Background()
	active, answer, err := c.Introspect(ctx, tok, false)
	if err != nil || !active {
		t.Fatalf("Introspect: %v %v", active, err)
	}
	if member(t, answer, "sub") != "alice" || member(t, answer, "scope") != "orders:read" || member(t, answer, "token_type") != "Bearer" {
		t.Fatalf("answer %s", answer)
	}
	hits := iss.IntrospectionHits()
	answer[0] = 'X' // the caller owns its copy
	active, again, err := c.Introspect(ctx, tok, false)
	if err != nil || !active || again[0] != '{' {
		t.Fatalf("second Introspect: %v %s %v", active, again, err)
	}
	if iss.IntrospectionHits() != hits {
		t.Fatal("an active answer was not cached")
	}
}

func TestIntrospectInactive(t *testing.T) {
	t.Parallel()
	iss, c := issuerClient(t, nil)
	revoked := iss.MintOpaque(nil)
	iss.Deactivate(revoked)
	cases := []struct{ name, tok string }{
		{"deactivated", revoked},
		{"never issued", "opaque-never-issued"},
		{"expired at the server", iss.MintOpaque(jwtguardtest.Claims{"exp": time.Now().Add(-time.Minute).Unix()})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			active, answer, err := c.Introspect(context.Background(), tc.tok, false)
			if err != nil || active || answer != nil {
				t.Fatalf("got %v %s %v, want inactive", active, answer, err)
			}
			hits := iss.IntrospectionHits()
			if active, _, err := c.Introspect(context.Background(), tc.tok, false); err != nil || active {
				t.Fatalf("second call: %v %v", active, err)
			}
			if iss.IntrospectionHits() != hits {
				t.Fatal("an inactive answer was not cached")
			}
		})
	}
	// An empty token is inactive without a request.
	hits := iss.IntrospectionHits()
	if active, _, err := c.Introspect(context.Background(), "", false); active || err != nil || iss.IntrospectionHits() != hits {
		t.Fatalf("empty token: %v %v", active, err)
	}
}

// TestIntrospectCacheBounds: a deactivation at the server is seen once the
// positive TTL has passed, never later than the answer's exp, an inactive
// answer is reused for the negative TTL, and WithCache sets both. The
// issuer mints and judges exp on the client's clock: on the real clock it
// would find the short-lived token expired whenever the test runs slower
// than its 3 s lifetime.
func TestIntrospectCacheBounds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		opts     []introspect.Option
		positive time.Duration
		negative time.Duration
	}{
		{"defaults", nil, 30 * time.Second, 10 * time.Second},
		{"WithCache", []introspect.Option{introspect.WithCache(5*time.Second, 2*time.Second, 100)}, 5 * time.Second, 2 * time.Second},
		{"cache off", []introspect.Option{introspect.WithCache(0, 0, 0)}, 0, 0},
		{"size zero", []introspect.Option{introspect.WithCache(time.Minute, time.Minute, 0)}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := jwtguardtest.NewClock(time.Now())
			iss, c := clientOf(t, jwtguardtest.NewIssuer(t, jwtguardtest.WithIssuerClock(clk.Now)), nil, append(tc.opts, introspect.WithClock(clk.Now))...)
			ctx := context.Background()
			check := func(tok string, want bool, what string) {
				t.Helper()
				active, _, err := c.Introspect(ctx, tok, false)
				if err != nil || active != want {
					t.Fatalf("%s: active %v err %v, want %v", what, active, err, want)
				}
			}

			tok := iss.MintOpaque(nil)
			check(tok, true, "fresh token")
			iss.Deactivate(tok)
			if tc.positive > 0 {
				clk.Advance(tc.positive - time.Millisecond)
				check(tok, true, "within the positive TTL")
				clk.Advance(time.Millisecond)
			}
			check(tok, false, "after the positive TTL")

			exp := time.Unix(clk.Now().Add(3*time.Second).Unix(), 0)
			short := iss.MintOpaque(jwtguardtest.Claims{"exp": exp.Unix()})
			check(short, true, "short-lived token")
			iss.Deactivate(short)
			clk.Advance(exp.Sub(clk.Now()))
			check(short, false, "past the answer's exp")

			hits := iss.IntrospectionHits()
			check("unknown-token", false, "unknown token")
			if tc.negative > 0 {
				clk.Advance(tc.negative - time.Millisecond)
				check("unknown-token", false, "within the negative TTL")
				if iss.IntrospectionHits() != hits+1 {
					t.Fatal("the inactive answer was not reused")
				}
				clk.Advance(time.Millisecond)
			}
			check("unknown-token", false, "after the negative TTL")
			if iss.IntrospectionHits() != hits+2 {
				t.Fatalf("%d requests, want 2: the inactive answer was reused too long", iss.IntrospectionHits()-hits)
			}
		})
	}
}

func TestIntrospectJWTs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		opts     []introspect.Option
		requests int64
	}{
		{"without WithJWTs: no request", nil, 0},
		{"WithJWTs", []introspect.Option{introspect.WithJWTs()}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss, c := issuerClient(t, nil, tc.opts...)
			revoked := iss.Mint(jwtguardtest.Claims{"jti": "j-2"})
			iss.Deactivate(revoked)
			before := iss.IntrospectionHits()
			active, _, err := c.Introspect(context.Background(), revoked, true)
			if err != nil || active != (tc.requests == 0) {
				t.Fatalf("deactivated JWT: %v %v", active, err)
			}
			if got := iss.IntrospectionHits() - before; got != tc.requests {
				t.Fatalf("%d requests, want %d", got, tc.requests)
			}
		})
	}
	// A minimal answer is enough for a JWT (RFC 7662 §2.2); without exp it
	// is cached for the positive TTL.
	endpoint, hits := cannedEndpoint(t, http.StatusOK, "application/json", `{"active":true}`)
	clk := jwtguardtest.NewClock(time.Now())
	c, err := introspect.New(endpoint, introspect.ClientSecretBasic(testClient, "pw"), introspect.WithJWTs(), introspect.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{1, 1, 2} {
		if i == 2 {
			clk.Advance(30 * time.Second)
		}
		if active, answer, err := c.Introspect(context.Background(), "a.b.c", true); err != nil || !active || string(answer) != `{"active":true}` {
			t.Fatalf("minimal answer: %v %s %v", active, answer, err)
		}
		if hits.Load() != want {
			t.Fatalf("call %d: %d requests, want %d", i, hits.Load(), want)
		}
	}
}

// cannedEndpoint answers every request that authenticates as testClient/pw
// with status, content type and body; it counts requests.
func cannedEndpoint(t *testing.T, status int, ctype, body string) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if u, p, _ := r.BasicAuth(); u != testClient || p != "pw" || r.PostFormValue("token") == "" {
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

func TestIntrospectRequest(t *testing.T) {
	t.Parallel()
	got := make(chan *http.Request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got <- r
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":false}`))
	}))
	defer srv.Close()
	c, err := introspect.New(srv.URL+"/introspect?realm=a", introspect.ClientSecretBasic("c", "s"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Introspect(context.Background(), "tok+en/=", false); err != nil {
		t.Fatal(err)
	}
	r := <-got
	checks := []struct{ what, got, want string }{
		{"method", r.Method, http.MethodPost},
		{"path", r.URL.Path, "/introspect"},
		{"query", r.URL.RawQuery, "realm=a"},
		{"content type", r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"},
		{"accept", r.Header.Get("Accept"), "application/json"},
		{"token", r.PostForm.Get("token"), "tok+en/="},
		{"token_type_hint", r.PostForm.Get("token_type_hint"), "access_token"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: %q, want %q", ch.what, ch.got, ch.want)
		}
	}
}

// TestIntrospectTraceContext: with a propagator set (otel.SetTextMapPropagator),
// the request's trace context reaches the introspection endpoint as
// traceparent; with none (the default) no trace header is sent. Not
// parallel: it sets the global propagator.
func TestIntrospectTraceContext(t *testing.T) {
	seen := make(chan http.Header, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":false}`))
	}))
	defer srv.Close()
	c, err := introspect.New(srv.URL, introspect.ClientSecretBasic("c", "s"))
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:  trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	// The global propagator cannot be put back to its unset state once
	// set (otel refuses its own delegate), so each step sets the one it
	// needs: an empty composite is what an application that sets none has.
	old := otel.GetTextMapPropagator()
	t.Cleanup(func() { otel.SetTextMapPropagator(old) })
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	if _, _, err := c.Introspect(ctx, "t1", false); err != nil {
		t.Fatal(err)
	}
	if h := <-seen; h.Get("traceparent") != "" {
		t.Fatalf("traceparent %q sent with no propagator set", h.Get("traceparent"))
	}
	otel.SetTextMapPropagator(propagation.TraceContext{})
	if _, _, err := c.Introspect(ctx, "t2", false); err != nil {
		t.Fatal(err)
	}
	if got, want := (<-seen).Get("traceparent"), "00-0102030405060708090a0b0c0d0e0f10-0102030405060708-01"; got != want {
		t.Fatalf("traceparent %q, want %q", got, want)
	}
}

func TestIntrospectAnswers(t *testing.T) {
	t.Parallel()
	exp := time.Now().Add(time.Hour).Unix()
	good := fmt.Sprintf(`{"active":true,"sub":"u1","exp":%d}`, exp)
	cases := []struct {
		name   string
		status int
		ctype  string
		body   string
		active bool
		cached bool   // a second call makes no request
		err    string // "": no error
	}{
		{"active", 200, "application/json", good, true, true, ""},
		{"active, charset", 200, "application/json; charset=utf-8", good, true, true, ""},
		{"active, +json", 200, "application/token-introspection+json", good, true, true, ""},
		{"active, fractional exp", 200, "application/json", fmt.Sprintf(`{"active":true,"exp":%d.5}`, exp), true, true, ""},
		{"active without exp", 200, "application/json", `{"active":true}`, true, true, ""},
		{"active, exp past", 200, "application/json", `{"active":true,"exp":1000}`, true, false, ""},
		{"active, exp as string", 200, "application/json", fmt.Sprintf(`{"active":true,"exp":"%d"}`, exp), true, false, ""},
		{"active, exp with exponent", 200, "application/json", `{"active":true,"exp":1.9e9}`, true, false, ""},
		{"active, exp negative", 200, "application/json", `{"active":true,"exp":-1}`, true, false, ""},
		{"active, exp past year 9999", 200, "application/json", `{"active":true,"exp":253402300800}`, true, false, ""},
		{"inactive", 200, "application/json", `{"active":false}`, false, true, ""},
		{"inactive with junk", 200, "application/json", `{"active":false,"exp":"soon"}`, false, true, ""},
		{"not JSON", 200, "application/json", `active=true`, false, false, "not a valid JSON object"},
		{"HTML", 200, "text/html", `<html>login</html>`, false, false, "not JSON"},
		{"no content type", 200, "", good, false, false, "not JSON"},
		{"bad content type", 200, "application/json; =", good, false, false, "not JSON"},
		{"array", 200, "application/json", `[{"active":true}]`, false, false, "not a valid JSON object"},
		{"no active", 200, "application/json", `{"sub":"u1"}`, false, false, `no "active"`},
		{"active as string", 200, "application/json", `{"active":"true"}`, false, false, "not a boolean"},
		{"active as number", 200, "application/json", `{"active":1}`, false, false, "not a boolean"},
		{"nested active only", 200, "application/json", `{"x":{"active":true}}`, false, false, `no "active"`},
		{"duplicate active", 200, "application/json", `{"active":false,"active":true}`, false, false, "not a valid JSON object"},
		{"escaped duplicate", 200, "application/json", `{"active":false,"\u0061ctive":true}`, false, false, "not a valid JSON object"},
		{"trailing data", 200, "application/json", good + `{}`, false, false, "not a valid JSON object"},
		{"invalid UTF-8", 200, "application/json", "{\"active\":true,\"sub\":\"\xff\"}", false, false, "not a valid JSON object"},
		{"too large", 200, "application/json", `{"active":true,"pad":"` + strings.Repeat("x", 64<<10) + `"}`, false, false, "larger than 65536"},
		{"largest accepted", 200, "application/json", `{"active":true,"pad":"` + strings.Repeat("x", 64<<10-24) + `"}`, true, true, ""},
		{"status 500", 500, "application/json", `{"active":true}`, false, false, "status 500"},
		{"status 400", 400, "application/json", `{"error":"invalid_request"}`, false, false, "status 400"},
		{"status 403", 403, "application/json", `{"active":true}`, false, false, "client credentials"},
		{"status 204", 204, "", ``, false, false, "status 204"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			endpoint, hits := cannedEndpoint(t, tc.status, tc.ctype, tc.body)
			c, err := introspect.New(endpoint, introspect.ClientSecretBasic(testClient, "pw"))
			if err != nil {
				t.Fatal(err)
			}
			const tok = "opaque-token-value"
			for range 2 {
				active, answer, err := c.Introspect(context.Background(), tok, false)
				if tc.err != "" {
					if !errors.Is(err, jwtguard.ErrIntrospectionUnavailable) || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("err %v, want ErrIntrospectionUnavailable saying %q", err, tc.err)
					}
					if active || answer != nil {
						t.Fatal("an error came with an active answer")
					}
					if strings.Contains(err.Error(), tok) {
						t.Fatal("error echoes the token")
					}
					continue
				}
				if err != nil || active != tc.active {
					t.Fatalf("got %v %v, want active %v", active, err, tc.active)
				}
				if active && string(answer) != tc.body {
					t.Fatalf("answer %s, want the body", answer)
				}
			}
			want := int64(2)
			if tc.cached {
				want = 1
			}
			if hits.Load() != want {
				t.Fatalf("%d requests for two calls, want %d", hits.Load(), want)
			}
		})
	}
}

// TestIntrospectEndpointFailures: every failure wraps
// ErrIntrospectionUnavailable, says what failed without the token, and is
// not cached.
func TestIntrospectEndpointFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		auth   introspect.ClientAuth
		opts   []introspect.Option
		fault  func(w http.ResponseWriter, r *http.Request) bool
		detail string
	}{
		{"wrong secret", introspect.ClientSecretBasic(testClient, "wrong"), nil, nil, "client credentials"},
		{"unknown client", introspect.ClientSecretBasic("someone", testSecret), nil, nil, "client credentials"},
		{"client auth fails", failingAuth{}, nil, nil, "client authentication: no key"},
		{"endpoint 500", nil, nil, func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}, "status 500"},
		{"endpoint hangs up", nil, nil, func(w http.ResponseWriter, r *http.Request) bool {
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			c.Close()
			return true
		}, "EOF"},
		{"redirect is not followed", nil, nil, func(w http.ResponseWriter, r *http.Request) bool {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
			return true
		}, "status 307"},
		{"redirect is not followed with a custom client", nil, []introspect.Option{introspect.WithHTTPClient(&http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return nil },
		})}, func(w http.ResponseWriter, r *http.Request) bool {
			http.Redirect(w, r, "/introspect-elsewhere", http.StatusPermanentRedirect)
			return true
		}, "status 308"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss, c := issuerClient(t, tc.auth, tc.opts...)
			tok := iss.MintOpaque(nil)
			iss.SetIntrospectionFault(tc.fault)
			for range 2 {
				active, _, err := c.Introspect(context.Background(), tok, false)
				if !errors.Is(err, jwtguard.ErrIntrospectionUnavailable) || active {
					t.Fatalf("got %v %v, want ErrIntrospectionUnavailable", active, err)
				}
				if !strings.Contains(err.Error(), tc.detail) {
					t.Fatalf("error %q does not say %q", err, tc.detail)
				}
				if strings.Contains(err.Error(), tok) {
					t.Fatalf("error echoes the token: %q", err)
				}
			}
			if tc.auth == nil || tc.detail == "client credentials" {
				if hits := iss.IntrospectionHits(); hits != 2 {
					t.Fatalf("%d requests for two calls, want 2 (errors are not cached)", hits)
				}
			}
		})
	}
	t.Run("endpoint gone", func(t *testing.T) {
		t.Parallel()
		iss, c := issuerClient(t, nil)
		tok := iss.MintOpaque(nil)
		iss.Close()
		if _, _, err := c.Introspect(context.Background(), tok, false); !errors.Is(err, jwtguard.ErrIntrospectionUnavailable) {
			t.Fatalf("endpoint down: %v", err)
		}
	})
	// The timeout runs on a testing/synctest clock against an in-memory
	// endpoint: over a socket, a loaded machine can spend the 50 ms before
	// the request reaches the endpoint, and then the endpoint counts fewer
	// requests than the client sent.
	t.Run("endpoint slower than the timeout", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			const timeout = 50 * time.Millisecond
			var hits atomic.Int64
			slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				select { // hang until the client gives up
				case <-r.Context().Done():
				case <-time.After(300 * time.Millisecond):
				}
			})
			c, err := introspect.New("https://as.test/introspect", introspect.ClientSecretBasic(testClient, testSecret),
				introspect.WithHTTPClient(&http.Client{Transport: memTransport{Handler: slow}}), introspect.WithTimeout(timeout))
			if err != nil {
				t.Fatal(err)
			}
			const tok = "opaque-token-of-a-slow-endpoint"
			for i := range 2 {
				start := time.Now()
				active, _, err := c.Introspect(context.Background(), tok, false)
				if !errors.Is(err, jwtguard.ErrIntrospectionUnavailable) || active {
					t.Fatalf("got %v %v, want ErrIntrospectionUnavailable", active, err)
				}
				if !strings.Contains(err.Error(), "deadline exceeded") {
					t.Fatalf("error %q does not say %q", err, "deadline exceeded")
				}
				if strings.Contains(err.Error(), tok) {
					t.Fatalf("error echoes the token: %q", err)
				}
				if d := time.Since(start); d != timeout {
					t.Fatalf("call %d returned after %s, want the timeout, %s", i, d, timeout)
				}
			}
			if n := hits.Load(); n != 2 {
				t.Fatalf("%d requests for two calls, want 2 (errors are not cached)", n)
			}
		})
	})
}

type failingAuth struct{}

func (failingAuth) Apply(string, url.Values, http.Header) error { return errors.New("no key") }

func errorsIsUnavailable(err error) bool { return errors.Is(err, jwtguard.ErrIntrospectionUnavailable) }
