package bench

import (
	"net/http"
	"testing"
)

// verifyImpls are measured on a token string.
var verifyImpls = []impl{
	{name: "floor: crypto only", kind: "floor", verify: floorCrypto},
	{name: "floor: minimal verifier", kind: "floor", verify: floorMinimal},
	{name: "golang-jwt/jwt v5", kind: "peer", verify: golangJWT},
	{name: "lestrrat-go/jwx v2 jwt.Parse", kind: "peer", verify: jwxParse},
	{name: "auth0/go-jwt-middleware v2 validator", kind: "peer", verify: auth0Verify},
	{name: "auth0/go-jwt-middleware v3 validator", kind: "peer", verify: auth0V3Verify},
	{name: "go-chi/jwtauth v5 VerifyToken", kind: "peer", verify: jwtauthVerify},
	{name: "jwtguard Verify cold", kind: "jwtguard", verify: jwtguardVerify("cold")},
	{name: "jwtguard Verify warm", kind: "jwtguard", verify: jwtguardVerify("warm")},
	{name: "jwtguard Verify warm+revocation", kind: "jwtguard", verify: jwtguardVerify("warm+revocation")},
}

// middlewareImpls are measured on an HTTP request through the library's
// own middleware (a handler that answers 200 behind it).
var middlewareImpls = []impl{
	// The routers alone, so adapter overhead can be told from router cost.
	{name: "baseline: net/http, no auth", kind: "baseline", handler: func(testing.TB, string) http.Handler { return ok }},
	{name: "baseline: echo, no auth", kind: "baseline", handler: echoBare},
	{name: "baseline: gin, no auth", kind: "baseline", handler: ginBare},
	{name: "auth0/go-jwt-middleware v2 CheckJWT", kind: "peer", handler: auth0Middleware},
	{name: "auth0/go-jwt-middleware v3 CheckJWT", kind: "peer", handler: auth0V3Middleware},
	{name: "go-chi/jwtauth v5 Verifier+Authenticator", kind: "peer", handler: jwtauthMiddleware},
	{name: "labstack/echo-jwt v4 (echo)", kind: "peer", handler: echoJWT},
	{name: "appleboy/gin-jwt v2 (gin)", kind: "peer", handler: ginJWT},
	{name: "jwtguard nethttp", kind: "jwtguard", handler: jwtguardNetHTTP("cold")},
	{name: "jwtguard echo (jwtecho)", kind: "jwtguard", handler: jwtguardEcho("cold")},
	{name: "jwtguard gin (jwtgin)", kind: "jwtguard", handler: jwtguardGin("cold")},
	// Over the warm (cached) verifier the signature check is gone, so the
	// adapter's own cost stands out from the noise of the crypto.
	{name: "jwtguard nethttp, warm", kind: "jwtguard", handler: jwtguardNetHTTP("warm")},
	{name: "jwtguard echo (jwtecho), warm", kind: "jwtguard", handler: jwtguardEcho("warm")},
	{name: "jwtguard gin (jwtgin), warm", kind: "jwtguard", handler: jwtguardGin("warm")},
}

// TestImplementations proves every benchmarked implementation accepts the
// valid token and refuses expired, wrong-audience, wrong-issuer and
// tampered ones, so no benchmark measures a fast failure.
func TestImplementations(t *testing.T) {
	for _, alg := range algs {
		for _, im := range append(append([]impl{}, verifyImpls...), middlewareImpls...) {
			t.Run(alg+"/"+im.name, func(t *testing.T) {
				run := func(tok string) bool {
					if im.verify != nil {
						return im.verify(t, alg)(tok) == nil
					}
					return serve(im.handler(t, alg), tok) == http.StatusOK
				}
				for i := 0; i < 2; i++ { // twice: the second may be a cache hit
					if !run(fx.tokens[alg]) {
						t.Fatalf("valid %s token refused", alg)
					}
				}
				if im.kind == "baseline" || im.name == "floor: crypto only" {
					return // it looks at no token at all
				}
				for name, bad := range map[string]string{"expired": fx.expired[alg], "wrong aud": fx.badAud[alg],
					"wrong iss": fx.badIss[alg], "tampered": fx.badSig[alg]} {
					if run(bad) {
						t.Errorf("%s token accepted", name)
					}
				}
			})
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, alg := range algs {
		for _, im := range verifyImpls {
			b.Run(alg+"/"+im.name, func(b *testing.B) {
				f, tok := im.verify(b, alg), fx.tokens[alg]
				b.ReportAllocs()
				start := cpuTime()
				for b.Loop() {
					if err := f(tok); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, start)
			})
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	for _, alg := range algs {
		for _, im := range verifyImpls {
			b.Run(alg+"/"+im.name, func(b *testing.B) {
				f, tok := im.verify(b, alg), fx.tokens[alg]
				b.ReportAllocs()
				start := cpuTime()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := f(tok); err != nil {
							b.Error(err)
							return
						}
					}
				})
				reportCPU(b, start)
			})
		}
	}
}

func BenchmarkMiddleware(b *testing.B) {
	for _, alg := range algs {
		for _, im := range middlewareImpls {
			b.Run(alg+"/"+im.name, func(b *testing.B) {
				h := im.handler(b, alg)
				r, w := newRequest(fx.tokens[alg]), &recorder{h: http.Header{}}
				b.ReportAllocs()
				start := cpuTime()
				for b.Loop() {
					w.reset()
					h.ServeHTTP(w, r)
					if w.code != 0 && w.code != http.StatusOK {
						b.Fatalf("status %d", w.code)
					}
				}
				reportCPU(b, start)
			})
		}
	}
}

func BenchmarkMiddlewareParallel(b *testing.B) {
	for _, alg := range algs {
		for _, im := range middlewareImpls {
			b.Run(alg+"/"+im.name, func(b *testing.B) {
				h := im.handler(b, alg)
				b.ReportAllocs()
				start := cpuTime()
				defer reportCPU(b, start)
				b.RunParallel(func(pb *testing.PB) {
					r, w := newRequest(fx.tokens[alg]), &recorder{h: http.Header{}}
					for pb.Next() {
						w.reset()
						h.ServeHTTP(w, r)
						if w.code != 0 && w.code != http.StatusOK {
							b.Errorf("status %d", w.code)
							return
						}
					}
				})
			})
		}
	}
}
