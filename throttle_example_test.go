package jwtguard_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/forwarded"
	"github.com/jwtguard/jwtguard/throttle"
)

// Throttling failed authentications: a client (here, with a limit of 3
// failures a minute) that sends bad tokens is refused with 429 before any
// signature work, except for tokens in the verified-token cache; other
// clients are not slowed.
func ExampleWithThrottling() {
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://auth.example.com", jwtguard.HMAC(exampleSecret)),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithClock(func() time.Time { return exampleNow }),
		jwtguard.WithCache(10_000, 5*time.Minute),
		jwtguard.WithThrottling(throttle.Config{Failures: 3, Window: time.Minute}),
		// Behind a proxy, list it so that each client has its own address:
		// jwtguard.WithTrustedProxies(forwarded.Config{Proxies: ..., ClientAddress: true}),
	)
	if err != nil {
		panic(err)
	}
	defer v.Close()
	valid := exampleToken("HS256", map[string]any{"iss": "https://auth.example.com", "aud": "https://api.example.com", "sub": "alice"})
	expired := exampleToken("HS256", map[string]any{"iss": "https://auth.example.com", "aud": "https://api.example.com", "exp": exampleNow.Add(-time.Hour).Unix()})
	send := func(from, token string) {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		r.RemoteAddr = from
		r.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		if _, err := v.Authenticate(r); err != nil {
			v.WriteError(rec, err)
		}
		if ra := rec.Header().Get("Retry-After"); ra != "" {
			fmt.Println(from, rec.Code, "Retry-After:", ra)
			return
		}
		fmt.Println(from, rec.Code)
	}
	send("192.0.2.7:4711", valid) // verified, now cached
	for range 4 {
		send("192.0.2.7:4711", expired)
	}
	send("192.0.2.7:4711", valid)   // cached: passes
	send("198.51.100.9:443", valid) // another client
	// Output:
	// 192.0.2.7:4711 200
	// 192.0.2.7:4711 401
	// 192.0.2.7:4711 401
	// 192.0.2.7:4711 401
	// 192.0.2.7:4711 429 Retry-After: 20
	// 192.0.2.7:4711 200
	// 198.51.100.9:443 200
}

// The usual setup behind a proxy, with the token cache that spares the
// users who share an attacker's address (README, "Throttling failed
// authentication"). (Not run: it fetches keys.)
func ExampleWithThrottling_behindAProxy() {
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://login.example.com/", jwtguard.Discovery()),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithTrustedProxies(forwarded.Config{
			Proxies:       []string{"10.0.0.0/8"}, // the load balancers, as the service sees them
			ClientAddress: true,                   // they append to X-Forwarded-For
		}),
		jwtguard.WithCache(100_000, 5*time.Minute), // a throttled client's cached tokens still pass
		jwtguard.WithThrottling(throttle.Config{
			Failures: 100, // per Window and client (the default)
			Window:   time.Minute,
			// IPv4PrefixLen: 32, IPv6PrefixLen: 64 (the defaults)
			// Store: redisstore.NewThrottleStore(...) to share the counts across instances
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
}
