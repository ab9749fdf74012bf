package backchannel_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/backchannel"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
	"github.com/jwtguard/jwtguard/nethttp"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The identity provider POSTs a logout token when the user's session ends
// there; from then on the session's access tokens are refused.
func Example() {
	idp, err := jwtguardtest.StartIssuer() // stands in for Keycloak, Auth0, Okta...
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()

	store, err := memory.New() // redisstore.New to share logouts between instances
	if err != nil {
		log.Fatal(err)
	}
	v, err := jwtguard.New(jwtguard.Trust(idp.Entry()), jwtguard.WithAlgorithms("RS256"), jwtguard.WithRevocation(store))
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil { // keys load in the background
		log.Fatal(err)
	}
	logout, err := backchannel.Handler(backchannel.Config{
		Verifier:  v,
		Revoker:   store,
		Audiences: []string{"my-web-app"}, // the client ID the provider addresses logout tokens to
		Logger:    discard(),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /backchannel-logout", logout) // not behind the middleware
	mux.Handle("/api/", nethttp.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})))

	access := idp.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "session-1"})
	call := func() int {
		req := httptest.NewRequest(http.MethodGet, "/api/x", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code
	}
	fmt.Println("before:", call())

	form := url.Values{"logout_token": {idp.LogoutToken(jwtguardtest.Claims{"aud": "my-web-app", "sid": "session-1", "sub": "alice"})}}
	req := httptest.NewRequest(http.MethodPost, "/backchannel-logout", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println("logout:", rec.Code, rec.Header().Get("Cache-Control"))
	fmt.Println("after:", call())
	// Output:
	// before: 200
	// logout: 200 no-store
	// after: 401
}
