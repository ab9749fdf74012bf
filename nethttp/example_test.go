package nethttp_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

// exampleSecret is the HMAC secret of the examples (at least 32 bytes).
// Real services usually verify with their identity provider's keys:
// jwtguard.WithIssuer(issuerURL, jwtguard.Discovery()).
var exampleSecret = []byte("example-secret-of-at-least-32-bytes!")

var exampleNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// exampleToken signs an HS256 token for sub with roles, valid for an hour
// at exampleNow.
func exampleToken(sub string, roles ...string) string {
	claims := fmt.Sprintf(`{"iss":"https://auth.example.com","aud":"https://api.example.com","sub":%q,"exp":%d,"roles":%s}`,
		sub, exampleNow.Add(time.Hour).Unix(), jsonStrings(roles))
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(claims))
	sig, err := jwtguardtest.Sign("HS256", nil, exampleSecret, []byte(input))
	if err != nil {
		panic(err)
	}
	return input + "." + enc.EncodeToString(sig)
}

func jsonStrings(s []string) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf("%q", v)
	}
	return out + "]"
}

func exampleVerifier() *jwtguard.Verifier {
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://auth.example.com", jwtguard.HMAC(exampleSecret)),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithRealm("orders"),
		jwtguard.WithClock(func() time.Time { return exampleNow }),
	)
	if err != nil {
		panic(err)
	}
	return v
}

// do sends one request to h and prints the status, the challenge and the
// body.
func do(h http.Handler, method, path, token string) {
	r := httptest.NewRequest(method, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Printf("%s %s -> %d", method, path, rec.Code)
	if c := rec.Header().Get("WWW-Authenticate"); c != "" {
		fmt.Printf(" [%s]", c)
	}
	fmt.Printf(" %s", rec.Body.String())
}

func ExampleMiddleware() {
	v := exampleVerifier()
	defer v.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s\n", c.Subject)
	})
	// Every route of mux requires a valid token.
	h := nethttp.Middleware(v)(mux)

	do(h, "GET", "/me", exampleToken("alice"))
	do(h, "GET", "/me", "")
	do(h, "GET", "/me", "not-a-jwt")
	// Output:
	// GET /me -> 200 hello alice
	// GET /me -> 401 [Bearer realm="orders"] {"error":"unauthorized","error_description":"no bearer token in the request"}
	// GET /me -> 401 [Bearer realm="orders", error="invalid_token", error_description="token is malformed"] {"error":"invalid_token","error_description":"token is malformed"}
}

func ExampleRequire() {
	v := exampleVerifier()
	defer v.Close()

	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "admin area")
	})
	mux := http.NewServeMux()
	mux.Handle("GET /admin", nethttp.Require(jwtguard.RequireAnyRole("admin"))(admin))
	h := nethttp.Middleware(v)(mux)

	do(h, "GET", "/admin", exampleToken("alice", "admin"))
	do(h, "GET", "/admin", exampleToken("bob", "user"))
	// Output:
	// GET /admin -> 200 admin area
	// GET /admin -> 403 [Bearer realm="orders", error="insufficient_scope", error_description="requires role admin"] {"error":"insufficient_scope","error_description":"requires role admin"}
}
