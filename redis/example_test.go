package redisstore_test

import (
	"log"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/forwarded"
	redisstore "github.com/jwtguard/jwtguard/redis"
	"github.com/jwtguard/jwtguard/throttle"
	"github.com/redis/go-redis/v9"
)

// Several instances of a service share revocations through one Redis; the
// local cache answers most checks without a round trip and is invalidated
// through pub/sub (staleness bound: its TTL, here 1 s).
func ExampleNew() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		DialTimeout:           300 * time.Millisecond,
		ReadTimeout:           300 * time.Millisecond,
		WriteTimeout:          300 * time.Millisecond,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		DialerRetries:         1,
	})
	// A verifier with jwtguard.WithLeeway above 30 s needs
	// redisstore.WithSkew of at least that leeway: jwtguard.New refuses a
	// store whose skew or grace is below it.
	store, err := redisstore.New(client,
		redisstore.WithKeyPrefix("myapi:"),
		redisstore.WithLocalCache(time.Second, 100_000))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://login.example.com/",
			jwtguard.JWKS("https://login.example.com/.well-known/jwks.json")),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithRevocation(store),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
}

// Several instances of a service accepting DPoP share the record of used
// proofs: a proof accepted by one is refused as a replay by all. Redis
// must not evict (maxmemory-policy noeviction); see the package
// documentation. (Not run: it needs a Redis.)
func ExampleNewDPoPReplayCache() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		DialTimeout:           300 * time.Millisecond,
		ReadTimeout:           300 * time.Millisecond,
		WriteTimeout:          300 * time.Millisecond,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		DialerRetries:         1,
	})
	replay, err := redisstore.NewDPoPReplayCache(client,
		redisstore.WithKeyPrefix("myapi:"),
		// The default quota: 4,096 proofs per key and minute.
		redisstore.WithProofQuota(dpop.DefaultProofsPerKey, dpop.DefaultProofLifetime))
	if err != nil {
		log.Fatal(err)
	}
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://login.example.com/",
			jwtguard.JWKS("https://login.example.com/.well-known/jwks.json")),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("ES256"),
		jwtguard.WithDPoP(dpop.Config{
			Mode:    dpop.Allowed,
			Origins: []string{"https://api.example.com"},
			Replay:  replay,
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
}

// A fleet of instances throttles failed authentications together: a
// client that fails at one instance is throttled at all, and no request
// waits on Redis (failures are counted in the background, verdicts held
// in memory). Behind a proxy, WithTrustedProxies gives each client its
// own address. (Not run: it needs a Redis.)
func ExampleNewThrottleStore() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		DialTimeout:           300 * time.Millisecond,
		ReadTimeout:           300 * time.Millisecond,
		WriteTimeout:          300 * time.Millisecond,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		DialerRetries:         1,
	})
	counts, err := redisstore.NewThrottleStore(client, redisstore.WithKeyPrefix("myapi:"))
	if err != nil {
		log.Fatal(err)
	}
	defer counts.Close()
	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://login.example.com/",
			jwtguard.JWKS("https://login.example.com/.well-known/jwks.json")),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("ES256"),
		jwtguard.WithCache(100_000, 5*time.Minute),
		jwtguard.WithTrustedProxies(forwarded.Config{Proxies: []string{"10.0.0.0/8"}, ClientAddress: true}),
		jwtguard.WithThrottling(throttle.Config{Store: counts}), // 100 failures a minute per client
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
}
