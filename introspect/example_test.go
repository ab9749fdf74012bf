package introspect_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/jwtguard/jwtguard/introspect"
)

// A client for an authorization server's introspection endpoint,
// authenticating with client_secret_basic. Plug it into the verifier, which
// sends it opaque tokens and maps an active answer's members to claims.
func ExampleNew() {
	// A stand-in for the authorization server's endpoint.
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if id != "orders-api" || secret != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostFormValue("token") == "2YotnFZFEjr1zCsicMWpAA" {
			fmt.Fprint(w, `{"active":true,"sub":"alice","scope":"orders:read","exp":4102444800}`)
			return
		}
		fmt.Fprint(w, `{"active":false}`)
	}))
	defer as.Close()

	// as.URL is http on 127.0.0.1: allowed for loopback. Anywhere else the
	// endpoint must be https.
	client, err := introspect.New(as.URL+"/introspect", introspect.ClientSecretBasic("orders-api", "s3cret"))
	if err != nil {
		log.Fatal(err)
	}
	for _, token := range []string{"2YotnFZFEjr1zCsicMWpAA", "junk"} {
		active, answer, err := client.Introspect(context.Background(), token, false)
		if err != nil {
			log.Fatal(err) // wraps jwtguard.ErrIntrospectionUnavailable: fail closed (503)
		}
		fmt.Printf("active=%v answer=%s\n", active, answer)
	}
	// Output:
	// active=true answer={"active":true,"sub":"alice","scope":"orders:read","exp":4102444800}
	// active=false answer=
}
