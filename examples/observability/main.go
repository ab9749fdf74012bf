// Command observability shows what an operator sees of jwtguard: a
// protected API and, beside it, GET /metrics in the Prometheus text format,
// fed by the OpenTelemetry SDK with its Prometheus exporter. It is a module
// of its own (the library depends on the OpenTelemetry API only, never on
// the SDK or an exporter), so run it from its directory:
//
//	cd examples/observability
//	go run .          # serve on 127.0.0.1:8085 and print curl commands
//	go run . -check   # make the requests, scrape /metrics and check every count; exit 0 only if all are as expected
//
// The verifier reports to an SDK meter provider whose reader is the
// Prometheus exporter (jwtguard.WithTelemetry), keeps verified tokens in
// memory (jwtguard.WithCache), and throttles failed authentications
// (jwtguard.WithThrottling): 3 failures a minute per client address, so a
// few bad tokens are enough to see a 429. Every request of the check comes
// from 127.0.0.1, one client: once it is throttled, its new tokens are
// refused too, but a token already in the cache still passes.
//
// -check then reads /metrics over HTTP and compares the counts with the
// requests it made: decisions by outcome and reason, the duration
// histogram, cache hits and misses, key fetches and the key set's age. It
// also checks that every query of grafana-dashboard.json (the PromQL of
// README.md, "Observability") names only metrics and labels the exporter
// served. Import that file into Grafana (Dashboards → New → Import) with a
// Prometheus data source that scrapes /metrics.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/examples/internal/demo"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
	"github.com/jwtguard/jwtguard/telemetry"
	"github.com/jwtguard/jwtguard/throttle"
)

// failures is the example's throttling limit per client and minute
// (the default, 100, would take a long check to reach).
const failures = 3

func main() { demo.Main("127.0.0.1:8085", run) }

func run(addr string, check bool) error {
	// 1. An identity provider (in a real service: your provider's issuer URL).
	idp, err := jwtguardtest.StartIssuer()
	if err != nil {
		return err
	}
	defer idp.Close()

	// 2. The metrics pipeline: an OpenTelemetry SDK meter provider whose
	//    reader is the Prometheus exporter, registered in the registry that
	//    /metrics serves. The translation strategy is the exporter's
	//    default, named so that the metric names README.md's PromQL uses
	//    (jwtguard_verifications_total, ...) do not change with it.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
	)
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(context.Background())

	// 3. The verifier, reporting to that meter provider (a TracerProvider
	//    goes beside it for spans), with the token cache and throttling.
	v, err := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256", "ES256"),
		jwtguard.WithRealm("observability"),
		jwtguard.WithTelemetry(telemetry.Config{MeterProvider: mp}),
		jwtguard.WithCache(10_000, 5*time.Minute), // a throttled client's cached tokens still pass
		jwtguard.WithThrottling(throttle.Config{
			Failures: failures, // per Window and client address (default 100)
			Window:   time.Minute,
		}),
	)
	if err != nil {
		return err
	}
	defer v.Close()

	// New never waits for the network: the keys load in the background.
	// Wait for them before serving, and log why they are not there (until
	// they arrive, requests get 503 with Retry-After, never a 401).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = v.Ready(ctx)
	cancel()
	if err != nil {
		slog.Error("jwtguard is not ready", "error", err)
	}

	// 4. Routes: the API behind the middleware; /metrics beside it,
	//    unauthenticated (in production, often on another port that only
	//    the Prometheus server reaches).
	api := http.NewServeMux()
	api.HandleFunc("GET /api/hello", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s\n", c.Subject)
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", nethttp.Middleware(v)(api))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	steps := requests(idp)
	if check {
		return runCheck(base, idp.URL(), steps)
	}
	fmt.Printf("jwtguard observability example: API on %s/api/hello, metrics on %s/metrics\n", base, base)
	fmt.Printf("Send the requests in order: after %d failures a minute the client is throttled,\nand one try comes back every %s.\n\n", failures, time.Minute/failures)
	for _, s := range steps {
		fmt.Printf("# %s → expect %d\n", s.what, s.want)
		if s.token != "" {
			fmt.Printf("curl -i -H 'Authorization: Bearer %s' %s/api/hello\n\n", s.token, base)
		} else {
			fmt.Printf("curl -i %s/api/hello\n\n", base)
		}
	}
	fmt.Printf("# then the metrics\ncurl -s %s/metrics | grep ^jwtguard_\n\nCtrl-C to stop.\n", base)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	return nil
}

// step is one request to GET /api/hello with token (none if "").
type step struct {
	what, token string
	want        int
}

// requests are the example's requests, in order, from one client: two
// with a valid token (a cache miss, then a hit), one without a token (never
// counted nor throttled), three bad tokens (the client's 3 failures), then
// a bad and a new valid token (throttled: 429, no signature work) and the
// cached token (it still passes).
func requests(idp *jwtguardtest.Issuer) []step {
	exp := time.Now().Add(time.Hour).Unix()
	alice := idp.Mint(jwtguardtest.Claims{"sub": "alice", "exp": exp})
	bob := idp.Mint(jwtguardtest.Claims{"sub": "bob", "exp": exp}, jwtguardtest.WithAlg("ES256"))
	return []step{
		{"valid token (alice)", alice, http.StatusOK},
		{"the same token again (a cache hit)", alice, http.StatusOK},
		{"no token (never counted nor throttled)", "", http.StatusUnauthorized},
		{"forged signature (failure 1 of 3)", idp.TamperedSignature(), http.StatusUnauthorized},
		{"expired token (failure 2 of 3)", idp.Expired(), http.StatusUnauthorized},
		{"wrong audience (failure 3 of 3)", idp.WrongAudience(), http.StatusUnauthorized},
		{"forged signature again: throttled", idp.TamperedSignature(), http.StatusTooManyRequests},
		{"a new valid token (bob) from the throttled client", bob, http.StatusTooManyRequests},
		{"alice's cached token from the throttled client", alice, http.StatusOK},
	}
}
