package jwtguard_test

// DPoP cases of issue 18 not covered by dpop_test.go: the replay cache
// records a proof only after everything else verified, and the origin
// taken from the Host header (dpop.Config.InsecureTrustHostHeader).

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// countingReplay is a dpop.ReplayCache that counts the calls of Use.
type countingReplay struct {
	inner dpop.ReplayCache
	uses  atomic.Int64
}

var _ dpop.ReplayCache = (*countingReplay)(nil)

func (c *countingReplay) Use(ctx context.Context, jkt, jti string, until time.Time) error {
	c.uses.Add(1)
	return c.inner.Use(ctx, jkt, jti, until)
}

// tamperSignature changes one character in the middle of a JWS's
// signature (not the last one, whose low bits may be padding).
func tamperSignature(t *testing.T, jws string) string {
	t.Helper()
	i := strings.LastIndexByte(jws, '.')
	sig := []byte(jws[i+1:])
	if len(sig) < 8 {
		t.Fatalf("no signature to tamper with in %q", jws)
	}
	m := len(sig) / 2
	if sig[m] == 'A' {
		sig[m] = 'B'
	} else {
		sig[m] = 'A'
	}
	return jws[:i+1] + string(sig)
}

// TestDPoPProofRecordedLast (issue 18: "a proof's jti is recorded only
// after the token and its binding verify, so forged proofs cost nothing
// to store"): well-formed proofs sent with a token that does not verify,
// or that do not match the token, the key or the request, never reach the
// replay cache; a good request records its proof exactly once.
func TestDPoPProofRecordedLast(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	other := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(jwtguardtest.Claims{"sub": "alice"}, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	bound2 := idp.Mint(jwtguardtest.Claims{"sub": "bob"}, jwtguardtest.WithDPoPBinding(key.Thumbprint())) // same key
	now := time.Now()
	expired := idp.Mint(jwtguardtest.Claims{"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(-2 * time.Hour).Unix()},
		jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	tampered := tamperSignature(t, bound)
	const target = "/orders/42"
	url := dpopOrigin + target
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			replay := &countingReplay{inner: dpop.NewMemoryReplayCache(0, 0, time.Minute)}
			opts := []jwtguard.Option{miQuiet()}
			if cached {
				opts = append(opts, jwtguard.WithCache(100, time.Minute))
			}
			v := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Required, Replay: replay}, opts...)
			send := func(token, proof string) (*jwtguard.Claims, error) {
				r := dpopRequest("GET", target)
				r.Header.Set("Authorization", "DPoP "+token)
				r.Header.Set("DPoP", proof)
				return v.Authenticate(r)
			}
			if cached { // the token is served from the cache below
				c, err := send(bound, key.Proof("GET", url, bound, nil, nil))
				miWant(t, c, err)
				replay.uses.Store(0)
			}
			for _, c := range []struct {
				name         string
				token, proof string
				want         error
			}{
				{"expired token", expired, key.Proof("GET", url, expired, nil, nil), jwtguard.ErrTokenExpired},
				{"token with a tampered signature", tampered, key.Proof("GET", url, tampered, nil, nil), jwtguard.ErrInvalidSignature},
				{"proof signed by another key than cnf.jkt", bound, other.Proof("GET", url, bound, nil, nil), jwtguard.ErrProofOfPossession},
				{"proof for another token (ath)", bound, key.Proof("GET", url, bound2, nil, nil), dpop.ErrInvalidProof},
				{"proof for another URL", bound, key.Proof("GET", dpopOrigin+"/orders/43", bound, nil, nil), dpop.ErrInvalidProof},
				{"proof for another method", bound, key.Proof("POST", url, bound, nil, nil), dpop.ErrInvalidProof},
			} {
				before := replay.uses.Load()
				_, err := send(c.token, c.proof)
				if err == nil || !errors.Is(err, c.want) {
					t.Errorf("%s: %v, want %v", c.name, err, c.want)
				}
				if n := replay.uses.Load() - before; n != 0 {
					t.Errorf("%s: the replay cache was asked %d times (%v); a refused proof must not be recorded", c.name, n, err)
				}
			}
			if n := replay.uses.Load(); n != 0 {
				t.Fatalf("refused requests asked the replay cache %d times, want 0", n)
			}
			good := key.Proof("GET", url, bound, nil, nil)
			c, err := send(bound, good)
			miWant(t, c, err)
			if n := replay.uses.Load(); n != 1 {
				t.Fatalf("a good request asked the replay cache %d times, want 1", n)
			}
			// The wrapped cache still judges: the same proof again is a replay.
			_, err = send(bound, good)
			if !errors.Is(err, dpop.ErrInvalidProof) || !errors.Is(err, dpop.ErrReplay) {
				t.Fatalf("replayed proof: %v", err)
			}
		})
	}
}

// TestDPoPInsecureTrustHostHeader: with dpop.Config.InsecureTrustHostHeader
// and no Origins, the origin a proof's htu must name is built from the
// request's Host header and its TLS state (https with TLS, http without);
// a proof for another host or scheme is refused. Without the option (and
// without Origins or a trusted proxy's origin) New fails naming Origins.
func TestDPoPInsecureTrustHostHeader(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	// No Origins: idp.Verifier fails the test if New refuses the config.
	v := idp.Verifier(t, jwtguard.WithDPoP(dpop.Config{Mode: dpop.Required, InsecureTrustHostHeader: true}), miQuiet())
	const host = "svc.internal.example"
	for _, c := range []struct {
		name   string
		target string // the URL the request is built from (https: r.TLS set)
		host   string // the Host header, when not the target's
		htu    string
		want   error
	}{
		{"https request, https proof", "https://" + host + "/path?q=1", "", "https://" + host + "/path", nil},
		{"http request, http proof", "http://" + host + "/path", "", "http://" + host + "/path", nil},
		{"https request, Host with the default port", "https://" + host + "/path", host + ":443", "https://" + host + "/path", nil},
		{"http request, Host with a port", "http://" + host + ":8080/path", "", "http://" + host + ":8080/path", nil},
		{"https request, Host in upper case", "https://" + host + "/path", strings.ToUpper(host), "https://" + host + "/path", nil},
		{"https request, proof for another host", "https://" + host + "/path", "", "https://other.example/path", dpop.ErrInvalidProof},
		{"http request, proof for another host", "http://" + host + "/path", "", "http://other.example/path", dpop.ErrInvalidProof},
		{"another Host header than the proof's", "https://" + host + "/path", "other.example", "https://" + host + "/path", dpop.ErrInvalidProof},
		{"https request, http proof", "https://" + host + "/path", "", "http://" + host + "/path", dpop.ErrInvalidProof},
		{"http request, https proof", "http://" + host + "/path", "", "https://" + host + "/path", dpop.ErrInvalidProof},
		{"proof for another port", "http://" + host + ":8080/path", "", "http://" + host + ":8081/path", dpop.ErrInvalidProof},
		{"proof for another path", "https://" + host + "/path", "", "https://" + host + "/other", dpop.ErrInvalidProof},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.target, nil)
			if (r.TLS != nil) != strings.HasPrefix(c.target, "https:") {
				t.Fatalf("httptest.NewRequest(%q): TLS %v", c.target, r.TLS != nil)
			}
			r.RequestURI = r.URL.RequestURI() // origin-form, as a server receives it
			if c.host != "" {
				r.Host = c.host
			}
			r.Header.Set("Authorization", "DPoP "+bound)
			r.Header.Set("DPoP", key.Proof("GET", c.htu, bound, nil, nil))
			cl, err := v.Authenticate(r)
			miWant(t, cl, err, wantList(c.want)...)
		})
	}

	// Without the option, Origins is required, and the error says so.
	for _, cfg := range []dpop.Config{{Mode: dpop.Required}, {Mode: dpop.Allowed}} {
		nv, err := jwtguard.New(jwtguard.Trust(idp.Entry()), jwtguard.WithAlgorithms(jwtguardtest.Algorithms...), jwtguard.WithDPoP(cfg))
		if err == nil {
			nv.Close()
			t.Fatalf("New accepted DPoP mode %v without Origins or InsecureTrustHostHeader", cfg.Mode)
		}
		if !strings.Contains(err.Error(), "Origins") || !strings.Contains(err.Error(), "WithDPoP") {
			t.Fatalf("New's error %q does not name WithDPoP's Origins", err)
		}
	}
}
