package jwtguard_test

// DPoP (issue 18, RFC 9449): proofs checked as §4.3 says, modes per
// issuer, replay cache, nonces, both challenges.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

const dpopOrigin = "https://api.example.com"

// dpopRequest builds a request to dpopOrigin+target as the server
// receives it.
func dpopRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, dpopOrigin+target, nil)
	r.RequestURI = target // as a server sees it (origin-form)
	return r
}

func dpopVerifier(t *testing.T, idp *jwtguardtest.Issuer, c dpop.Config, opts ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	if c.Origins == nil {
		c.Origins = []string{dpopOrigin}
	}
	return idp.Verifier(t, append([]jwtguard.Option{jwtguard.WithDPoP(c)}, opts...)...)
}

func TestDPoP(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	other := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	bound2 := idp.Mint(jwtguardtest.Claims{"sub": "bob"}, jwtguardtest.WithDPoPBinding(key.Thumbprint())) // same key
	plain := idp.Mint(nil)
	url := dpopOrigin + "/orders/42"
	for _, cached := range []bool{false, true} {
		var opts []jwtguard.Option
		if cached {
			opts = append(opts, jwtguard.WithCache(100, time.Minute))
		}
		allowed := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed}, opts...)
		required := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Required}, opts...)
		replayed := key.Proof("GET", url, bound, nil, nil)
		cases := []struct {
			name   string
			v      *jwtguard.Verifier
			scheme string
			token  string
			proofs []string
			want   error
		}{
			{"DPoP-bound with its proof", allowed, "DPoP", bound, []string{key.Proof("GET", url+"?q=1", bound, nil, nil)}, nil},
			{"required: DPoP-bound with its proof", required, "DPoP", bound, []string{key.Proof("GET", url, bound, nil, nil)}, nil},
			{"first use", allowed, "DPoP", bound, []string{replayed}, nil},
			{"replayed proof", allowed, "DPoP", bound, []string{replayed}, dpop.ErrInvalidProof},
			{"bearer token, bearer scheme", allowed, "Bearer", plain, nil, nil},
			{"required: bearer token refused", required, "Bearer", plain, nil, jwtguard.ErrProofOfPossession},
			{"DPoP-bound sent as Bearer", allowed, "Bearer", bound, nil, jwtguard.ErrProofOfPossession},
			{"DPoP-bound sent as Bearer with a proof", allowed, "Bearer", bound, []string{key.Proof("GET", url, bound, nil, nil)}, jwtguard.ErrProofOfPossession},
			{"no proof", allowed, "DPoP", bound, nil, dpop.ErrInvalidProof},
			{"two DPoP headers", allowed, "DPoP", bound, []string{key.Proof("GET", url, bound, nil, nil), key.Proof("GET", url, bound, nil, nil)}, dpop.ErrInvalidProof},
			{"proof for another method", allowed, "DPoP", bound, []string{key.Proof("POST", url, bound, nil, nil)}, dpop.ErrInvalidProof},
			{"proof for another URL", allowed, "DPoP", bound, []string{key.Proof("GET", dpopOrigin+"/orders/43", bound, nil, nil)}, dpop.ErrInvalidProof},
			{"proof for another origin", allowed, "DPoP", bound, []string{key.Proof("GET", "https://evil.example/orders/42", bound, nil, nil)}, dpop.ErrInvalidProof},
			{"proof for another token", allowed, "DPoP", bound, []string{key.Proof("GET", url, plain, nil, nil)}, dpop.ErrInvalidProof},
			{"second token bound to the key, its proof", allowed, "DPoP", bound2, []string{key.Proof("GET", url, bound2, nil, nil)}, nil},
			// Cached: each token's hash is kept with it; the other's does not do.
			{"proof for the other token bound to the key", allowed, "DPoP", bound2, []string{key.Proof("GET", url, bound, nil, nil)}, dpop.ErrInvalidProof},
			{"proof for the first token again", allowed, "DPoP", bound, []string{key.Proof("GET", url, bound2, nil, nil)}, dpop.ErrInvalidProof},
			{"proof without ath", allowed, "DPoP", bound, []string{key.Proof("GET", url, bound, jwtguardtest.Claims{"ath": nil}, nil)}, dpop.ErrInvalidProof},
			{"iat too old", allowed, "DPoP", bound, []string{key.Proof("GET", url, bound, jwtguardtest.Claims{"iat": time.Now().Add(-2 * time.Minute).Unix()}, nil)}, dpop.ErrInvalidProof},
			{"iat in the future", allowed, "DPoP", bound, []string{key.Proof("GET", url, bound, jwtguardtest.Claims{"iat": time.Now().Add(2 * time.Minute).Unix()}, nil)}, dpop.ErrInvalidProof},
			{"alg none", allowed, "DPoP", bound, []string{noneProof(key.Proof("GET", url, bound, nil, nil))}, dpop.ErrInvalidProof},
			{"HMAC proof", allowed, "DPoP", bound, []string{key.Proof("GET", url, bound, nil, map[string]any{"alg": "HS256"})}, dpop.ErrInvalidProof},
			{"typ JWT", allowed, "DPoP", bound, []string{key.Proof("GET", url, bound, nil, map[string]any{"typ": "JWT"})}, dpop.ErrInvalidProof},
			{"proof key is not cnf.jkt", allowed, "DPoP", bound, []string{other.Proof("GET", url, bound, nil, nil)}, jwtguard.ErrProofOfPossession},
			{"unbound token, DPoP scheme", allowed, "DPoP", plain, []string{key.Proof("GET", url, plain, nil, nil)}, jwtguard.ErrProofOfPossession},
			{"malformed proof", allowed, "DPoP", bound, []string{"not.a.proof"}, dpop.ErrInvalidProof},
			{"oversized proof", allowed, "DPoP", bound, []string{strings.Repeat("a", 9000)}, dpop.ErrInvalidProof},
			{"expired token with a good proof", allowed, "DPoP", idp.Expired(), []string{key.Proof("GET", url, idp.Expired(), nil, nil)}, jwtguard.ErrTokenExpired},
		}
		for _, c := range cases {
			name := c.name
			if cached {
				name += ", cached"
			}
			t.Run(name, func(t *testing.T) {
				r := dpopRequest("GET", "/orders/42?q=1")
				r.Header.Set("Authorization", c.scheme+" "+c.token)
				for _, p := range c.proofs {
					r.Header.Add("DPoP", p)
				}
				cl, err := c.v.Authenticate(r)
				miWant(t, cl, err, wantList(c.want)...)
				if c.want == nil {
					return
				}
				je := jwtguard.AsError(err)
				if je.Detail == "" {
					t.Fatalf("no Detail for the operator: %v", err)
				}
				t.Log(err)
				rec := httptest.NewRecorder()
				c.v.WriteError(rec, err)
				chal := rec.Header().Get("WWW-Authenticate")
				if !strings.Contains(chal, `DPoP realm="jwtguard-test"`) || !strings.Contains(chal, `algs="`) {
					t.Fatalf("no DPoP challenge: %q", chal)
				}
				if hasBearer := strings.HasPrefix(chal, "Bearer"); hasBearer != (c.v == allowed) {
					t.Fatalf("Bearer challenge %v in mode %v: %q", hasBearer, c.v == allowed, chal)
				}
				switch {
				case errors.Is(err, dpop.ErrInvalidProof):
					if !strings.Contains(chal, `DPoP realm="jwtguard-test", error="invalid_dpop_proof"`) {
						t.Fatalf("the error is not on the DPoP challenge: %q", chal)
					}
				case errors.Is(err, jwtguard.ErrProofOfPossession):
					if !strings.Contains(chal, `DPoP realm="jwtguard-test", error="invalid_token"`) {
						t.Fatalf("a binding failure is not on the DPoP challenge: %q", chal)
					}
				}
				if strings.Contains(rec.Body.String(), c.token) || strings.Contains(chal, c.token) {
					t.Fatal("the token is in the response")
				}
			})
		}
		// No token at all: both challenges, no error code.
		rec := httptest.NewRecorder()
		nethttp.Middleware(allowed)(http.NotFoundHandler()).ServeHTTP(rec, dpopRequest("GET", "/"))
		if got, want := rec.Header().Get("WWW-Authenticate"), `Bearer realm="jwtguard-test", DPoP realm="jwtguard-test", algs="ES256 ES384 ES512 EdDSA PS256 RS256"`; got != want {
			t.Fatalf("no token: WWW-Authenticate %q, want %q", got, want)
		}
	}
}

// noneProof relabels a proof as alg none with an empty signature.
func noneProof(p string) string {
	parts := strings.Split(p, ".")
	return b64json(map[string]any{"typ": "dpop+jwt", "alg": "none"}) + "." + parts[1] + "."
}

// TestDPoPBehindStripPrefix: htu is checked against the request URI as
// the client sent it, not r.URL.Path, which http.StripPrefix (chi's Mount,
// Echo groups) rewrites.
func TestDPoPBehindStripPrefix(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	v := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Required})
	h := http.StripPrefix("/api", nethttp.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok ", r.URL.Path)
	})))
	r := dpopRequest("GET", "/api/orders")
	key.Authorize(r, bound)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 || rec.Body.String() != "ok /orders" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// TestDPoPNonces (RFC 9449 §8, §9): with a nonce secret, a proof without
// the server's nonce gets 401 use_dpop_nonce and a fresh nonce in
// DPoP-Nonce; the retry with it passes. A second instance with the same
// secret accepts the nonce; one with another secret does not.
func TestDPoPNonces(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	secret := []byte(strings.Repeat("n", 32))
	a := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed, NonceSecret: secret})
	b := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed, NonceSecret: secret})
	stranger := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed, NonceSecret: []byte(strings.Repeat("x", 32))})
	send := func(v *jwtguard.Verifier, nonce any) (*jwtguard.Claims, error, http.Header) {
		r := dpopRequest("GET", "/r")
		r.Header.Set("Authorization", "DPoP "+bound)
		r.Header.Set("DPoP", key.Proof("GET", dpopOrigin+"/r", bound, jwtguardtest.Claims{"nonce": nonce}, nil))
		cl, err := v.Authenticate(r)
		rec := httptest.NewRecorder()
		if err != nil {
			v.WriteError(rec, err)
		}
		return cl, err, rec.Header()
	}
	_, err, h := send(a, nil)
	miWant(t, nil, err, dpop.ErrUseNonce)
	nonce := h.Get("DPoP-Nonce")
	if nonce == "" || !strings.Contains(h.Get("WWW-Authenticate"), `DPoP realm="jwtguard-test", error="use_dpop_nonce"`) {
		t.Fatalf("use_dpop_nonce answer: %v", h)
	}
	for _, bad := range []string{"stale-or-forged", nonce[:len(nonce)-2] + "AA"} {
		_, err, h = send(a, bad)
		miWant(t, nil, err, dpop.ErrUseNonce)
		if h.Get("DPoP-Nonce") == "" {
			t.Fatal("no fresh nonce")
		}
	}
	for _, v := range []*jwtguard.Verifier{a, b} {
		cl, err, _ := send(v, nonce)
		miWant(t, cl, err)
	}
	_, err, _ = send(stranger, nonce)
	miWant(t, nil, err, dpop.ErrUseNonce)
}

// TestDPoPModesPerIssuer: one verifier, two issuers: one requires DPoP,
// the other takes bearer tokens only.
func TestDPoPModesPerIssuer(t *testing.T) {
	t.Parallel()
	a, b := jwtguardtest.NewIssuer(t), jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	ea, eb := a.Entry(), b.Entry()
	ea.DPoP, eb.DPoP = dpop.Required, dpop.Disabled
	v := mustNew(t, jwtguard.Trust(ea, eb), jwtguard.WithAlgorithms(jwtguardtest.Algorithms...),
		jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{dpopOrigin}}), miQuiet())
	for _, iss := range []*jwtguardtest.Issuer{a, b} {
		if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		_ = iss
	}
	send := func(tok string, dpopScheme bool) error {
		r := dpopRequest("GET", "/r")
		if dpopScheme {
			key.Authorize(r, tok)
			r.RequestURI = "/r"
		} else {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		_, err := v.Authenticate(r)
		return err
	}
	boundA, boundB := a.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint())), b.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"A: DPoP", send(boundA, true), nil},
		{"A: bearer refused", send(a.Mint(nil), false), jwtguard.ErrProofOfPossession},
		{"B: bearer", send(b.Mint(nil), false), nil},
		{"B: DPoP refused", send(boundB, true), jwtguard.ErrProofOfPossession},
		{"B: DPoP-bound as bearer refused", send(boundB, false), jwtguard.ErrProofOfPossession},
	} {
		if (c.want == nil) != (c.err == nil) || (c.want != nil && !errors.Is(c.err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
}

// TestDPoPQuotaAndFullCache: one key past its quota gets 429; a full
// replay cache refuses (503) rather than forget a proof.
func TestDPoPQuotaAndFullCache(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	send := func(v *jwtguard.Verifier) error {
		r := dpopRequest("GET", "/r")
		key.Authorize(r, bound)
		r.RequestURI = "/r"
		_, err := v.Authenticate(r)
		return err
	}
	quota := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed, Replay: dpop.NewMemoryReplayCache(1000, 3, time.Minute)})
	for i := range 3 {
		if err := send(quota); err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
	}
	err := send(quota)
	miWant(t, nil, err, jwtguard.ErrThrottled)
	if je := jwtguard.AsError(err); je.Status != http.StatusTooManyRequests || je.RetryAfter <= 0 {
		t.Fatalf("quota: %d, Retry-After %s", je.Status, je.RetryAfter)
	}
	full := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed, Replay: dpop.NewMemoryReplayCache(16, 1000, time.Minute)})
	if err := send(full); err != nil {
		t.Fatal(err)
	}
	err = send(full)
	miWant(t, nil, err, jwtguard.ErrRevocationUnavailable)
	if je := jwtguard.AsError(err); je.Status != http.StatusServiceUnavailable {
		t.Fatalf("full cache: %d", je.Status)
	}
}

// TestDPoPVerifyCredential: a caller without an *http.Request (gRPC)
// passes the evidence itself.
func TestDPoPVerifyCredential(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	v := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Required})
	cred := jwtguard.Credential{Token: bound, Scheme: "DPoP", Method: "POST", RequestURI: "/orders.v1.Orders/Get",
		DPoPProof: key.Proof("POST", dpopOrigin+"/orders.v1.Orders/Get", bound, nil, nil)}
	cl, err := v.VerifyCredential(context.Background(), cred)
	miWant(t, cl, err)
	_, err = v.VerifyCredential(context.Background(), cred)
	miWant(t, nil, err, dpop.ErrInvalidProof) // replayed
	_, err = v.Verify(context.Background(), bound)
	miWant(t, nil, err, jwtguard.ErrProofOfPossession)
}

// TestDPoPConfigErrors: New names the setting that is missing or wrong.
func TestDPoPConfigErrors(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	entry := idp.Entry()
	required := entry
	required.DPoP = dpop.Required
	for _, c := range []struct {
		name string
		opts []jwtguard.Option
		want string
	}{
		{"no mode", []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Origins: []string{dpopOrigin}})}, "Mode is not set"},
		{"no origins", []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed})}, "no Origins"},
		{"an origin with a path", []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{dpopOrigin + "/api"}})}, "not an http(s) origin"},
		{"HMAC algorithm", []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{dpopOrigin}, Algorithms: []string{"HS256"}})}, "symmetric"},
		{"unknown algorithm", []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{dpopOrigin}, Algorithms: []string{"none"}})}, "not supported"},
		{"short nonce secret", []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{dpopOrigin}, NonceSecret: []byte("short")})}, "32 bytes"},
		{"proof lifetime too long", []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{dpopOrigin}, ProofLifetime: time.Hour})}, "ProofLifetime"},
		{"an issuer's mode without WithDPoP", nil, "needs WithDPoP"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := append([]jwtguard.Option{jwtguard.WithAlgorithms("RS256")}, c.opts...)
			if c.opts == nil {
				opts = append(opts, jwtguard.Trust(required))
			} else {
				opts = append(opts, jwtguard.Trust(entry))
			}
			v, err := jwtguard.New(opts...)
			if err == nil {
				v.Close()
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// b64json is the base64url JSON encoding of v.
func b64json(v any) string { return b64(mustJSON(v)) }
