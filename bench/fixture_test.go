package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// algs are the algorithms every implementation is measured on.
var algs = []string{"HS256", "RS256", "ES256", "EdDSA"}

// fixture is shared by every benchmark: one test identity provider (its JWKS
// serves the asymmetric keys to jwtguard), and for each algorithm one token,
// the key that verifies it, and tokens every implementation must refuse.
type fixture struct {
	iss     *jwtguardtest.Issuer
	issuer  string
	aud     string
	secret  []byte
	keys    map[string]crypto.PublicKey // alg -> public key (HS256: nil)
	tokens  map[string]string           // alg -> valid token
	expired map[string]string
	badAud  map[string]string
	badIss  map[string]string
	badSig  map[string]string
}

var fx *fixture

func TestMain(m *testing.M) {
	iss, err := jwtguardtest.StartIssuer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fx = newFixture(iss)
	code := m.Run()
	iss.Close()
	os.Exit(code)
}

func newFixture(iss *jwtguardtest.Issuer) *fixture {
	f := &fixture{
		iss: iss, issuer: iss.URL(), aud: jwtguardtest.DefaultAudience, secret: iss.HMACSecret(),
		keys: map[string]crypto.PublicKey{}, tokens: map[string]string{}, expired: map[string]string{},
		badAud: map[string]string{}, badIss: map[string]string{}, badSig: map[string]string{},
	}
	now := time.Now()
	// The same claim set for every algorithm and library: iss, aud, sub,
	// exp, iat, roles, tenant_id. exp is a day ahead so that a long run
	// never sees it expire.
	claims := jwtguardtest.Claims{
		"exp":       now.Add(24 * time.Hour).Unix(),
		"roles":     []string{"admin", "reader"},
		"tenant_id": "acme",
	}
	with := func(k string, v any) jwtguardtest.Claims {
		c := jwtguardtest.Claims{}
		for kk, vv := range claims {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	for _, alg := range algs {
		o := jwtguardtest.WithAlg(alg)
		f.tokens[alg] = iss.Mint(claims, o)
		f.expired[alg] = iss.Mint(with("exp", now.Add(-time.Hour).Unix()), o)
		f.badAud[alg] = iss.Mint(with("aud", "https://other.example.test"), o)
		f.badIss[alg] = iss.Mint(with("iss", "https://evil.example.test"), o)
		t := []byte(iss.Mint(claims, o))
		i := len(t) - 6 // flip a signature character that is not the last
		if t[i] == 'A' {
			t[i] = 'B'
		} else {
			t[i] = 'A'
		}
		f.badSig[alg] = string(t)
		if alg != "HS256" {
			f.keys[alg] = iss.PublicKey(alg)
		}
	}
	return f
}

// rsaKey, ecKey and edKey return the typed public keys.
func (f *fixture) rsaKey() *rsa.PublicKey   { return f.keys["RS256"].(*rsa.PublicKey) }
func (f *fixture) ecKey() *ecdsa.PublicKey  { return f.keys["ES256"].(*ecdsa.PublicKey) }
func (f *fixture) edKey() ed25519.PublicKey { return f.keys["EdDSA"].(ed25519.PublicKey) }
func (f *fixture) verifyKey(alg string) any {
	if alg == "HS256" {
		return f.secret
	}
	return f.keys[alg]
}

// verifyFunc verifies one token: nil means accepted.
type verifyFunc func(tok string) error

// impl is one implementation under test. Exactly one of verify or handler is
// set: verify-level implementations take a token string, middleware-level
// ones an HTTP request carrying "Authorization: Bearer <token>".
type impl struct {
	name string
	kind string // "floor", "peer" or "jwtguard"
	// build returns the implementation for alg, or (nil, nil) when the
	// library cannot do alg.
	verify  func(tb testing.TB, alg string) verifyFunc
	handler func(tb testing.TB, alg string) http.Handler
}

// ok is the final handler behind every middleware.
var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

// recorder is a minimal, reusable http.ResponseWriter.
type recorder struct {
	h    http.Header
	code int
}

func (w *recorder) Header() http.Header         { return w.h }
func (w *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) reset() {
	clear(w.h)
	w.code = 0
}

func newRequest(tok string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "http://api.example.test/resource", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// serve runs h on a request with tok and returns the status.
func serve(h http.Handler, tok string) int {
	w := &recorder{h: http.Header{}}
	h.ServeHTTP(w, newRequest(tok))
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// cpuTime returns the CPU time (user + system) the process has used. The
// benchmarks report CPU ns/op beside wall-clock ns/op: on a machine shared
// with other work, wall time measures the neighbours as much as the code,
// CPU time much less so. It includes the garbage collector's work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the cpu-ns/op metric for a loop that started at start.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
