package telemetry_test

import (
	"context"
	"fmt"
	"slices"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/telemetry"
)

// A verifier reporting to an application's meter provider: here one with
// an in-memory reader; in production one with the Prometheus or OTLP
// exporter.
func Example() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	v, err := jwtguard.New(
		jwtguard.WithIssuer("https://auth.example.com", jwtguard.HMAC([]byte("example-secret-of-at-least-32-bytes!"))),
		jwtguard.WithAudience("https://api.example.com"),
		jwtguard.WithAlgorithms("HS256"),
		jwtguard.WithTelemetry(telemetry.Config{MeterProvider: mp}),
	)
	if err != nil {
		panic(err)
	}
	defer v.Close()
	_, _ = v.Verify(context.Background(), "not-a-token")

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	fmt.Println(names)
	// Output:
	// [jwtguard.verification.duration jwtguard.verifications]
}
