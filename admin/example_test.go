package admin_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/admin"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
)

// An operator revokes a provider's leaked signing key; every verifier that
// shares the store refuses the key's tokens from the next request on.
func Example() {
	idp, _ := jwtguardtest.StartIssuer() // the provider whose key leaked
	defer idp.Close()
	ops, _ := jwtguardtest.StartIssuer() // the operators' own identity provider
	defer ops.Close()
	store, err := memory.New() // redisstore.New: every instance
	if err != nil {
		log.Fatal(err)
	}
	api, err := jwtguard.New(jwtguard.Trust(idp.Entry()), jwtguard.WithAlgorithms("RS256"), jwtguard.WithRevocation(store))
	if err != nil {
		log.Fatal(err)
	}
	defer api.Close()
	opsV, err := jwtguard.New(jwtguard.Trust(ops.Entry()), jwtguard.WithAlgorithms("RS256"))
	if err != nil {
		log.Fatal(err)
	}
	defer opsV.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if api.Ready(ctx) != nil || opsV.Ready(ctx) != nil {
		log.Fatal("keys not loaded")
	}
	h, err := admin.Handler(admin.Config{
		Store:     store,
		Verifier:  opsV,
		Authorize: jwtguard.RequireAnyRole("jwtguard-admin"),
		Issuers:   api,
		Logger:    discard(),
	})
	if err != nil {
		log.Fatal(err)
	}

	leaked := idp.Mint(nil) // signed with the key that leaked
	_, err = api.Verify(ctx, leaked)
	fmt.Println("before:", err)

	form := url.Values{"issuer": {idp.URL()}, "thumbprint": {idp.KeyThumbprint("RS256")}}
	req := httptest.NewRequest(http.MethodPost, "/revoke-key", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+ops.Mint(jwtguardtest.Claims{"sub": "oncall", "roles": []string{"jwtguard-admin"}}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println("revoke-key:", rec.Code)

	_, err = api.Verify(ctx, leaked)
	fmt.Println("after:", err != nil)
	// Output:
	// before: <nil>
	// revoke-key: 200
	// after: true
}
