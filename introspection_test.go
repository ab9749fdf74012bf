package jwtguard_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

const (
	introClient = "resource-server"
	introSecret = "s3cret:with/odd chars"
)

// introVerifier returns a verifier for iss with introspection at its
// endpoint (enabled with the test client).
func introVerifier(t *testing.T, iss *jwtguardtest.Issuer, auth jwtguard.ClientAuth, extra ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	endpoint := iss.EnableIntrospection(introClient, introSecret)
	if auth == nil {
		auth = jwtguard.ClientSecretBasic(introClient, introSecret)
	}
	return iss.Verifier(t, append([]jwtguard.Option{jwtguard.WithIntrospection(endpoint, auth)}, extra...)...)
}

func TestIntrospectionOpaqueActive(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := introVerifier(t, iss, nil)
	tok := iss.MintOpaque(jwtguardtest.Claims{"sub": "alice", "scope": "orders:read orders:write", "roles": []string{"admin"}, "jti": "o-1"})
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "alice" || !c.HasScope("orders:write") || !c.HasRole("admin") || c.ID != "o-1" || c.Issuer != iss.URL() {
		t.Fatalf("claims %+v", c)
	}
	if v, ok := c.Get("client_id"); ok {
		t.Fatalf("unexpected client_id %v", v)
	}
	if tt, _ := c.Get("token_type"); tt != "Bearer" {
		t.Fatalf("token_type %v: the answer's members are not reachable", tt)
	}
	hits := iss.IntrospectionHits()
	c.Subject = "edited"
	c2, err := v.Verify(context.Background(), tok)
	if err != nil || c2.Subject != "alice" {
		t.Fatalf("second Verify: %v %v", c2, err)
	}
	if iss.IntrospectionHits() != hits {
		t.Fatal("an active answer was not cached")
	}
	// A JWT still goes through local verification only.
	if _, err := v.Verify(context.Background(), iss.Mint(nil)); err != nil {
		t.Fatal(err)
	}
	if iss.IntrospectionHits() != hits {
		t.Fatal("a JWT was introspected without IntrospectJWTs")
	}
}

func TestIntrospectionInactive(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := introVerifier(t, iss, nil)
	revoked := iss.MintOpaque(nil)
	iss.Deactivate(revoked)
	cases := []struct{ name, tok string }{
		{"deactivated", revoked},
		{"unknown", "opaque-never-issued"},
		{"expired at the server", iss.MintOpaque(jwtguardtest.Claims{"exp": time.Now().Add(-time.Minute).Unix()})},
	}
	for _, tc := range cases {
		_, err := v.Verify(context.Background(), tc.tok)
		if !errors.Is(err, jwtguard.ErrTokenInactive) {
			t.Fatalf("%s: err %v, want ErrTokenInactive", tc.name, err)
		}
		e := jwtguard.AsError(err)
		if e.Status != http.StatusUnauthorized || e.Code != jwtguard.CodeInvalidToken {
			t.Fatalf("%s: %d %s", tc.name, e.Status, e.Code)
		}
		if strings.Contains(err.Error(), tc.tok) {
			t.Fatalf("%s: error echoes the token", tc.name)
		}
	}
	hits := iss.IntrospectionHits()
	if _, err := v.Verify(context.Background(), revoked); !errors.Is(err, jwtguard.ErrTokenInactive) {
		t.Fatal(err)
	}
	if iss.IntrospectionHits() != hits {
		t.Fatal("an inactive answer was not cached")
	}
}

// TestIntrospectionCacheBounds: a deactivation at the server is seen once
// the positive TTL has passed, and never after the token's exp.
func TestIntrospectionCacheBounds(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	clk := jwtguardtest.NewClock(time.Now())
	v := introVerifier(t, iss, nil, jwtguard.WithClock(clk.Now))
	tok := iss.MintOpaque(nil)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	iss.Deactivate(tok)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("within the TTL the cached answer is used: %v", err)
	}
	clk.Advance(jwtguard.DefaultIntrospectionTTL)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, jwtguard.ErrTokenInactive) {
		t.Fatalf("after the TTL: %v, want ErrTokenInactive", err)
	}

	// A token expiring in 10 s is cached no longer than that, and its exp
	// is checked locally too.
	short := iss.MintOpaque(jwtguardtest.Claims{"exp": clk.Now().Add(10 * time.Second).Unix()})
	if _, err := v.Verify(context.Background(), short); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10*time.Second + jwtguard.DefaultLeeway)
	if _, err := v.Verify(context.Background(), short); !errors.Is(err, jwtguard.ErrTokenExpired) {
		t.Fatalf("past exp: %v, want ErrTokenExpired", err)
	}
}

func TestIntrospectionJWTActiveCheck(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	endpoint := iss.EnableIntrospection(introClient, introSecret)
	vj := iss.Verifier(t, jwtguard.WithIntrospection(endpoint, jwtguard.ClientSecretBasic(introClient, introSecret), jwtguard.IntrospectJWTs()))
	tok := iss.Mint(jwtguardtest.Claims{"jti": "j-1"})
	before := iss.IntrospectionHits()
	if _, err := vj.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if iss.IntrospectionHits() != before+1 {
		t.Fatal("the JWT was not introspected")
	}
	revoked := iss.Mint(jwtguardtest.Claims{"jti": "j-2"})
	iss.Deactivate(revoked)
	if _, err := vj.Verify(context.Background(), revoked); !errors.Is(err, jwtguard.ErrTokenInactive) {
		t.Fatalf("deactivated JWT: %v", err)
	}
	// A forged JWT fails locally, before any introspection.
	before = iss.IntrospectionHits()
	if _, err := vj.Verify(context.Background(), iss.TamperedSignature()); !errors.Is(err, jwtguard.ErrInvalidSignature) {
		t.Fatalf("tampered: %v", err)
	}
	if iss.IntrospectionHits() != before {
		t.Fatal("a forged JWT reached the endpoint")
	}
}

func TestIntrospectionEndpointFailures(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	tok := iss.MintOpaque(nil)
	cases := []struct {
		name   string
		auth   jwtguard.ClientAuth
		fault  func(w http.ResponseWriter, r *http.Request) bool
		detail string
	}{
		{"wrong secret", jwtguard.ClientSecretBasic(introClient, "wrong"), nil, "client credentials"},
		{"unknown client", jwtguard.ClientSecretBasic("someone", introSecret), nil, "client credentials"},
		{"endpoint 500", nil, func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}, "status 500"},
		{"endpoint hangs up", nil, func(w http.ResponseWriter, r *http.Request) bool {
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic("no hijacker")
			}
			c, _, _ := hj.Hijack()
			c.Close()
			return true
		}, "EOF"},
		{"redirect is not followed", nil, func(w http.ResponseWriter, r *http.Request) bool {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
			return true
		}, "status 307"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each case has its own issuer: faults are per issuer.
			iss := jwtguardtest.NewIssuer(t)
			tok := iss.MintOpaque(nil)
			v := introVerifier(t, iss, tc.auth, jwtguard.WithInsecureRevocationFailOpen())
			iss.SetIntrospectionFault(tc.fault)
			_, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, jwtguard.ErrRevocationUnavailable) {
				t.Fatalf("err %v, want ErrRevocationUnavailable (fail closed even with fail-open revocation)", err)
			}
			e := jwtguard.AsError(err)
			if e.Status != http.StatusServiceUnavailable || e.RetryAfter <= 0 {
				t.Fatalf("status %d retry %s", e.Status, e.RetryAfter)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("error %q does not say %q", err, tc.detail)
			}
			if strings.Contains(err.Error(), tok) || strings.Contains(e.Description, "introspection:") {
				t.Fatalf("error leaks: %q / %q", err, e.Description)
			}
		})
	}
	// Endpoint gone entirely.
	endpoint := iss.EnableIntrospection(introClient, introSecret)
	v := iss.Verifier(t, jwtguard.WithIntrospection(endpoint, jwtguard.ClientSecretBasic(introClient, introSecret)))
	iss.Close()
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, jwtguard.ErrRevocationUnavailable) {
		t.Fatalf("endpoint down: %v", err)
	}
}

// cannedEndpoint answers every introspection request with status, content
// type and body.
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

func TestIntrospectionResponses(t *testing.T) {
	t.Parallel()
	const as = "https://as.example.test"
	exp := time.Now().Add(time.Hour).Unix()
	good := func(extra string) string {
		return fmt.Sprintf(`{"active":true,"iss":%q,"aud":%q,"sub":"u1","exp":%d%s}`, as, jwtguardtest.DefaultAudience, exp, extra)
	}
	cases := []struct {
		name  string
		ctype string
		body  string
		want  error
	}{
		{"active", "application/json", good(""), nil},
		{"active, charset", "application/json; charset=utf-8", good(`,"scope":"a b"`), nil},
		{"active, no iss", "application/json", fmt.Sprintf(`{"active":true,"aud":%q,"exp":%d}`, jwtguardtest.DefaultAudience, exp), nil},
		{"inactive", "application/json", `{"active":false}`, jwtguard.ErrTokenInactive},
		{"inactive with junk", "application/json", `{"active":false,"exp":"soon"}`, jwtguard.ErrTokenInactive},
		{"not JSON", "application/json", `active=true`, jwtguard.ErrRevocationUnavailable},
		{"HTML", "text/html", `<html>login</html>`, jwtguard.ErrRevocationUnavailable},
		{"array", "application/json", `[{"active":true}]`, jwtguard.ErrRevocationUnavailable},
		{"no active", "application/json", `{"sub":"u1"}`, jwtguard.ErrRevocationUnavailable},
		{"active as string", "application/json", `{"active":"true"}`, jwtguard.ErrRevocationUnavailable},
		{"duplicate active", "application/json", `{"active":false,"active":true}`, jwtguard.ErrRevocationUnavailable},
		{"trailing data", "application/json", good("") + `{}`, jwtguard.ErrRevocationUnavailable},
		{"too large", "application/json", good(`,"pad":"` + strings.Repeat("x", 70<<10) + `"`), jwtguard.ErrRevocationUnavailable},
		{"active without exp", "application/json", fmt.Sprintf(`{"active":true,"aud":%q}`, jwtguardtest.DefaultAudience), jwtguard.ErrMissingClaim},
		{"exp as string", "application/json", fmt.Sprintf(`{"active":true,"aud":%q,"exp":"%d"}`, jwtguardtest.DefaultAudience, exp), jwtguard.ErrInvalidClaim},
		{"expired but active", "application/json", fmt.Sprintf(`{"active":true,"aud":%q,"exp":%d}`, jwtguardtest.DefaultAudience, time.Now().Add(-time.Hour).Unix()), jwtguard.ErrTokenExpired},
		{"wrong audience", "application/json", fmt.Sprintf(`{"active":true,"aud":"https://other.test","exp":%d}`, exp), jwtguard.ErrInvalidAudience},
		{"no audience", "application/json", fmt.Sprintf(`{"active":true,"exp":%d}`, exp), jwtguard.ErrInvalidAudience},
		{"wrong issuer", "application/json", fmt.Sprintf(`{"active":true,"iss":"https://evil.test","aud":%q,"exp":%d}`, jwtguardtest.DefaultAudience, exp), jwtguard.ErrInvalidIssuer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			endpoint, _ := cannedEndpoint(t, http.StatusOK, tc.ctype, tc.body)
			// Introspection only: no local key source is needed.
			v, err := jwtguard.New(
				jwtguard.WithIntrospection(endpoint, jwtguard.ClientSecretBasic(introClient, "pw")),
				jwtguard.WithIssuer(as), jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("ES256"))
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			c, err := v.Verify(context.Background(), "opaque-token-value")
			if tc.want == nil {
				if err != nil || c.Subject == "" && c.Issuer == "" && len(c.Audience) == 0 {
					t.Fatalf("Verify: %v %v", c, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "opaque-token-value") {
				t.Fatal("error echoes the token")
			}
		})
	}
}

func TestIntrospectionPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss.AllowClientKey("pkjwt-client", key.Public(), "ES256")
	tok := iss.MintOpaque(jwtguardtest.Claims{"sub": "bob"})
	for _, tc := range []struct {
		name string
		key  *ecdsa.PrivateKey
		want error
	}{
		{"registered key", key, nil},
		{"unregistered key", other, jwtguard.ErrRevocationUnavailable},
	} {
		auth, err := jwtguard.PrivateKeyJWT("pkjwt-client", tc.key, "ES256", "k1")
		if err != nil {
			t.Fatal(err)
		}
		v := introVerifier(t, iss, auth)
		c, err := v.Verify(context.Background(), tok)
		if !errors.Is(err, tc.want) || (tc.want == nil && c.Subject != "bob") {
			t.Fatalf("%s: %v %v", tc.name, c, err)
		}
	}
	if _, err := jwtguard.PrivateKeyJWT("c", key, "RS256", ""); err == nil {
		t.Fatal("PrivateKeyJWT accepted an EC key for RS256")
	}
}

func TestWithIntrospectionValidation(t *testing.T) {
	t.Parallel()
	auth := jwtguard.ClientSecretBasic("c", "s")
	base := []jwtguard.Option{jwtguard.WithIssuer("https://as.test"), jwtguard.WithAudience("a"), jwtguard.WithAlgorithms("ES256")}
	cases := []struct {
		name string
		opt  jwtguard.Option
		ok   bool
	}{
		{"https", jwtguard.WithIntrospection("https://as.test/introspect", auth), true},
		{"loopback http", jwtguard.WithIntrospection("http://127.0.0.1:9/introspect", auth), true},
		{"plain http", jwtguard.WithIntrospection("http://as.test/introspect", auth), false},
		{"credentials in URL", jwtguard.WithIntrospection("https://u:p@as.test/introspect", auth), false},
		{"empty", jwtguard.WithIntrospection("", auth), false},
		{"nil auth", jwtguard.WithIntrospection("https://as.test/introspect", nil), false},
		{"bad TTL", jwtguard.WithIntrospection("https://as.test/introspect", auth, jwtguard.IntrospectionCache(-1, 0, 1)), false},
		{"bad timeout", jwtguard.WithIntrospection("https://as.test/introspect", auth, jwtguard.IntrospectionTimeout(0)), false},
		{"cache off", jwtguard.WithIntrospection("https://as.test/introspect", auth, jwtguard.IntrospectionCache(0, 0, 0)), true},
	}
	for _, tc := range cases {
		v, err := jwtguard.New(append(base, tc.opt)...)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
		if err != nil && !strings.Contains(err.Error(), "WithIntrospection") {
			t.Errorf("%s: error does not name the option: %v", tc.name, err)
		}
		if v != nil {
			v.Close()
		}
	}
	// Plain http is allowed with WithInsecureHTTP, wherever it appears.
	v, err := jwtguard.New(append(base, jwtguard.WithInsecureHTTP(), jwtguard.WithIntrospection("http://as.test/introspect", auth))...)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
}

// TestIntrospectionSharedRequest: concurrent requests with the same new
// opaque token cause one call to the endpoint, not one each.
func TestIntrospectionSharedRequest(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var hits atomic.Int64
	exp := time.Now().Add(time.Hour).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"active":true,"sub":"u","aud":%q,"exp":%d}`, jwtguardtest.DefaultAudience, exp)
	}))
	defer srv.Close()
	v, err := jwtguard.New(jwtguard.WithIntrospection(srv.URL, jwtguard.ClientSecretBasic("c", "s")),
		jwtguard.WithoutIssuerCheck(), jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("ES256"))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := v.Verify(context.Background(), "shared-opaque-token")
			errs <- err
		}()
	}
	for hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// Give the other callers time to pile up behind the first request (a
	// shorter wait can only hide a failure, never cause one).
	time.Sleep(50 * time.Millisecond)
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := hits.Load(); got != 1 {
		t.Fatalf("%d endpoint calls for one token, want 1", got)
	}
}

// TestIntrospectionJWTMinimalAnswer: with IntrospectJWTs, a locally verified
// JWT needs only {"active":true} from the endpoint (RFC 7662 §2.2), even
// when WithRequiredClaims names claims the answer does not repeat.
func TestIntrospectionJWTMinimalAnswer(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	endpoint := iss.EnableIntrospection(introClient, introSecret)
	active := true
	var mu sync.Mutex
	iss.SetIntrospectionFault(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if active {
			_, _ = w.Write([]byte(`{"active":true}`))
		} else {
			_, _ = w.Write([]byte(`{"active":false}`))
		}
		return true
	})
	v := iss.Verifier(t, jwtguard.WithIntrospection(endpoint, jwtguard.ClientSecretBasic(introClient, introSecret), jwtguard.IntrospectJWTs()),
		jwtguard.WithRequiredClaims("jti"))
	if _, err := v.Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"jti": "a"})); err != nil {
		t.Fatalf("minimal active answer: %v", err)
	}
	mu.Lock()
	active = false
	mu.Unlock()
	if _, err := v.Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"jti": "b"})); !errors.Is(err, jwtguard.ErrTokenInactive) {
		t.Fatalf("minimal inactive answer: %v, want ErrTokenInactive", err)
	}
}
