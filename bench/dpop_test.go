package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	jwtmiddlewarev3 "github.com/auth0/go-jwt-middleware/v3"
	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

// DPoP (issue 18): one request presenting the fixture's RS256 token bound
// to an ES256 key (cnf.jkt) with a fresh proof, through jwtguard and
// through auth0/go-jwt-middleware v3, the one peer with DPoP; beside it,
// the two costs the budget adds up — a cold RS256 Verify and one ES256
// signature check — and the bearer request. Budget: a DPoP request with
// the token cold ≤ cold Verify + ES256 check + 3 µs; with the verified-token
// cache the token is served warm and only the proof is verified.
//
// Each proof is signed before the timer starts and used once (jwtguard
// records every jti in its replay cache and refuses a second use), so a
// run signs b.N proofs, and one more that warms the verifier.

const (
	dpopOrigin = "https://api.example.com"
	dpopTarget = "/orders/42"
)

// dpopFixture is the DPoP client: its key and the token bound to it.
type dpopFixture struct {
	key   *jwtguardtest.DPoPKey
	pub   *ecdsa.PublicKey
	token string // RS256, the fixture's claims plus cnf.jkt
	// The Authorization header values: "DPoP <token>", "Bearer <the
	// fixture's unbound RS256 token>".
	authorization, bearer string
	// One proof's signing input and signature, for the bare ES256 check.
	msg, sig []byte
}

var dpopFx = sync.OnceValue(func() *dpopFixture {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	key, err := jwtguardtest.NewDPoPKeyFrom(priv, "ES256", nil)
	if err != nil {
		panic(err)
	}
	f := &dpopFixture{key: key, pub: &priv.PublicKey}
	f.token = fx.iss.Mint(jwtguardtest.Claims{
		"exp":       time.Now().Add(24 * time.Hour).Unix(),
		"roles":     []string{"admin", "reader"},
		"tenant_id": "acme",
	}, jwtguardtest.WithAlg("RS256"), jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	f.authorization, f.bearer = "DPoP "+f.token, "Bearer "+fx.tokens["RS256"]
	proof := key.Proof(http.MethodGet, dpopOrigin+dpopTarget, f.token, nil, nil)
	i := strings.LastIndexByte(proof, '.')
	f.msg = []byte(proof[:i])
	if f.sig, err = base64.RawURLEncoding.DecodeString(proof[i+1:]); err != nil {
		panic(err)
	}
	return f
})

// dpopRequest is a GET to dpopOrigin+dpopTarget as a server receives it
// (TLS set, origin-form request URI), carrying the bound token with a
// fresh proof, or — bearer — the fixture's unbound RS256 token.
func dpopRequest(bearer bool) *http.Request {
	r := httptest.NewRequest(http.MethodGet, dpopOrigin+dpopTarget, nil)
	r.RequestURI = dpopTarget
	f := dpopFx()
	if bearer {
		r.Header.Set("Authorization", f.bearer)
		return r
	}
	r.Header.Set("Authorization", f.authorization)
	r.Header.Set("DPoP", dpopProof())
	return r
}

// dpopProof returns a fresh proof for the fixture's request and token.
func dpopProof() string {
	f := dpopFx()
	return f.key.Proof(http.MethodGet, dpopOrigin+dpopTarget, f.token, nil, nil)
}

// dpopProofs returns n fresh proofs, signed on every core.
func dpopProofs(n int) []string {
	proofs := make([]string, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				proofs[i] = dpopProof()
			}
		})
	}
	wg.Wait()
	return proofs
}

// requestFunc handles one request: nil means accepted.
type requestFunc func(r *http.Request) error

// dpopImpl is one row of the DPoP table.
type dpopImpl struct {
	name   string
	bearer bool // the requests carry the unbound token as Bearer (no proof)
	build  func(tb testing.TB) requestFunc
}

var dpopImpls = []dpopImpl{
	// The budget's parts.
	{name: "component: jwtguard Verify cold (RS256 token)", bearer: true, build: func(tb testing.TB) requestFunc {
		v, tok, ctx := verifier(tb, "cold", "RS256"), fx.tokens["RS256"], context.Background()
		return func(*http.Request) error { _, err := v.Verify(ctx, tok); return err }
	}},
	{name: "component: ES256 signature check (ecdsa.Verify)", bearer: true, build: func(testing.TB) requestFunc {
		f := dpopFx()
		return func(*http.Request) error {
			d := sha256.Sum256(f.msg)
			if !ecdsa.Verify(f.pub, d[:], new(big.Int).SetBytes(f.sig[:32]), new(big.Int).SetBytes(f.sig[32:])) {
				return errors.New("bad ES256 signature")
			}
			return nil
		}
	}},
	{name: "jwtguard Authenticate bearer, cold", bearer: true, build: dpopJWTGuard(false, false)},
	{name: "jwtguard Authenticate bearer, warm", bearer: true, build: dpopJWTGuard(true, false)},
	{name: "jwtguard Authenticate DPoP, token cold", build: dpopJWTGuard(false, false)},
	{name: "jwtguard Authenticate DPoP, token warm", build: dpopJWTGuard(true, false)},
	{name: "jwtguard nethttp DPoP, token cold", build: dpopJWTGuard(false, true)},
	{name: "jwtguard nethttp DPoP, token warm", build: dpopJWTGuard(true, true)},
	{name: "auth0/go-jwt-middleware v3 CheckJWT bearer", bearer: true, build: auth0V3DPoP},
	{name: "auth0/go-jwt-middleware v3 CheckJWT DPoP", build: auth0V3DPoP},
}

// dpopJWTGuard is a fresh verifier (a fresh replay cache) with DPoP
// allowed, the memory replay cache, and — warm — the verified-token
// cache; through Authenticate, or through the nethttp middleware.
func dpopJWTGuard(warm, middleware bool) func(testing.TB) requestFunc {
	return func(tb testing.TB) requestFunc {
		opts := []jwtguard.Option{jwtguard.WithDPoP(dpop.Config{Mode: dpop.Allowed, Origins: []string{dpopOrigin},
			// Room for every proof of the run, and no per-key quota in the way.
			Replay: dpop.NewMemoryReplayCache(1<<22, 1<<30, time.Minute)})}
		if warm {
			opts = append(opts, jwtguard.WithCache(10_000, time.Minute))
		}
		v := newVerifier(tb, "RS256", opts...)
		tb.Cleanup(func() { _ = v.Close() })
		if middleware {
			return handlerFunc(nethttp.Middleware(v)(ok))
		}
		return func(r *http.Request) error { _, err := v.Authenticate(r); return err }
	}
}

// auth0V3DPoP is auth0/go-jwt-middleware v3's CheckJWT in its default
// DPoP mode (DPoPAllowed: bearer tokens, and DPoP-bound tokens with a
// proof), on the RS256 validator of the peer tables. Its proof checks
// (RFC 9449 §4.3): typ, an asymmetric alg, the header's jwk verifying the
// signature (jwx v3; the key parsed on every request), jti and iat
// present, htm and htu equal to the request's, ath equal to the token's
// hash, cnf.jkt equal to the key's thumbprint, iat within 300 s back and
// 30 s ahead. It keeps no record of used jti (no replay check).
func auth0V3DPoP(tb testing.TB) requestFunc {
	m, err := jwtmiddlewarev3.New(jwtmiddlewarev3.WithValidator(auth0V3Validator(tb, "RS256")),
		jwtmiddlewarev3.WithDPoPMode(jwtmiddlewarev3.DPoPAllowed))
	if err != nil {
		tb.Fatal(err)
	}
	return handlerFunc(m.CheckJWT(ok))
}

// handlerFunc serves r with h and turns a status other than 200 into an
// error.
func handlerFunc(h http.Handler) requestFunc {
	w := &recorder{h: http.Header{}}
	return func(r *http.Request) error {
		w.reset()
		h.ServeHTTP(w, r)
		if w.code != 0 && w.code != http.StatusOK {
			return fmt.Errorf("status %d (WWW-Authenticate: %s)", w.code, w.h.Get("WWW-Authenticate"))
		}
		return nil
	}
}

// TestDPoPImplementations proves every DPoP row accepts its request and
// that the DPoP rows refuse a replayed proof (jwtguard), a proof for
// another URL, and a proof signed by another key, so no row measures a
// fast failure.
func TestDPoPImplementations(t *testing.T) {
	other, err := jwtguardtest.NewDPoPKeyFrom(mustECKey(t), "ES256", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range dpopImpls {
		t.Run(im.name, func(t *testing.T) {
			f := im.build(t)
			for range 2 {
				if err := f(dpopRequest(im.bearer)); err != nil {
					t.Fatalf("valid request refused: %v", err)
				}
			}
			if im.bearer {
				return
			}
			d := dpopFx()
			replayed := dpopRequest(false)
			if err := f(replayed); err != nil {
				t.Fatal(err)
			}
			wrongURL := dpopRequest(false)
			wrongURL.Header.Set("DPoP", d.key.Proof(http.MethodGet, dpopOrigin+"/orders/43", d.token, nil, nil))
			wrongKey := dpopRequest(false)
			wrongKey.Header.Set("DPoP", other.Proof(http.MethodGet, dpopOrigin+dpopTarget, d.token, nil, nil))
			bad := map[string]*http.Request{"proof for another URL": wrongURL, "proof by another key": wrongKey}
			if strings.HasPrefix(im.name, "jwtguard") {
				bad["replayed proof"] = replayed
			}
			for name, r := range bad {
				if f(r) == nil {
					t.Errorf("%s accepted", name)
				}
			}
		})
	}
}

func mustECKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// BenchmarkDPoP measures every row of dpopImpls. A DPoP row serves one
// request b.N times, its DPoP header set to the next of b.N proofs signed
// before the timer: the request itself stays in the processor's cache, as
// one just read from the socket is, and the collector has b.N strings to
// mark rather than b.N requests.
func BenchmarkDPoP(b *testing.B) {
	for _, im := range dpopImpls {
		b.Run(im.name, func(b *testing.B) {
			f := im.build(b)
			r := dpopRequest(im.bearer)
			if err := f(r); err != nil { // warms caches and the verifier
				b.Fatal(err)
			}
			var proofs []string
			var slot []string // r's DPoP header values
			if !im.bearer {
				proofs, slot = dpopProofs(b.N), r.Header["Dpop"]
			}
			runtime.GC() // the signing's garbage is not the loop's
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				if slot != nil {
					slot[0] = proofs[i]
				}
				if err := f(r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportCPU(b, start)
		})
	}
}
