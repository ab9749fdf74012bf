package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/telemetry"
)

// Telemetry (issue 19): jwtguard Verify, cold and warm, under the
// OpenTelemetry setups an application runs — the names are the otel=
// parameter of the benchmark, so `benchstat -col /otel` puts them side by
// side:
//
//	noop      no provider configured: the global no-op ones (the default)
//	metrics   the metrics SDK with a PeriodicReader (1 s interval, so
//	          collections happen during the run) and an exporter that
//	          drops the data
//	spanonly  the benchmark starts a request span per verification on the
//	          tracing SDK (sampler ParentBased(TraceIDRatioBased(0.1)), a
//	          batch processor, an exporter that drops the spans) — but
//	          jwtguard's own tracer is the no-op one: the baseline of
//	          "tracing", what the application's span costs by itself
//	tracing   the same, and jwtguard traces to that provider: a
//	          jwtguard.verify span under the 10 % of request spans that
//	          are sampled
//	both      tracing and metrics
//
// The providers are the verifier's (telemetry.Config), never the global
// ones, so the rows cannot leak into each other.

// telemetryAlgs are the algorithms of the telemetry rows: the fastest
// cold path, where an overhead shows most, and the common one.
var telemetryAlgs = []string{"HS256", "RS256"}

var telemetrySetups = []string{"noop", "metrics", "spanonly", "tracing", "both"}

// discardMetrics is a metric exporter that drops what it is given.
type discardMetrics struct{}

func (discardMetrics) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

func (discardMetrics) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (discardMetrics) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }
func (discardMetrics) ForceFlush(context.Context) error                          { return nil }
func (discardMetrics) Shutdown(context.Context) error                            { return nil }

// discardSpans is a span exporter that drops what it is given.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// telemetryEnv is one setup: the verifier's providers and the tracer the
// benchmark starts request spans with (nil: none).
type telemetryEnv struct {
	mp      metric.MeterProvider
	tp      trace.TracerProvider
	request trace.Tracer
}

var (
	telemetryMu   sync.Mutex
	telemetryEnvs = map[string]*telemetryEnv{}
	telemetryVs   = map[string]*jwtguard.Verifier{}
)

// sdkTracerProvider is the application's tracing SDK: parent-based 10 %
// sampling, batched export to nowhere.
func sdkTracerProvider() *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1))),
		sdktrace.WithBatcher(discardSpans{}))
}

func sdkMeterProvider() *sdkmetric.MeterProvider {
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(
		sdkmetric.NewPeriodicReader(discardMetrics{}, sdkmetric.WithInterval(time.Second))))
}

func telemetrySetup(setup string) *telemetryEnv {
	telemetryMu.Lock()
	defer telemetryMu.Unlock()
	if e := telemetryEnvs[setup]; e != nil {
		return e
	}
	e := &telemetryEnv{}
	switch setup {
	case "metrics":
		e.mp = sdkMeterProvider()
	case "spanonly":
		e.tp = noop.NewTracerProvider()
		e.request = sdkTracerProvider().Tracer("bench")
	case "tracing":
		tp := sdkTracerProvider()
		e.tp, e.request = tp, tp.Tracer("bench")
	case "both":
		tp := sdkTracerProvider()
		e.tp, e.request, e.mp = tp, tp.Tracer("bench"), sdkMeterProvider()
	}
	telemetryEnvs[setup] = e
	return e
}

// telemetryVerifier returns the verifier of alg, flavour ("cold" or
// "warm") and setup, and the tracer of its request spans.
func telemetryVerifier(tb testing.TB, alg, flavour, setup string) (*jwtguard.Verifier, trace.Tracer) {
	e := telemetrySetup(setup)
	telemetryMu.Lock()
	defer telemetryMu.Unlock()
	key := alg + "/" + flavour + "/" + setup
	if v := telemetryVs[key]; v != nil {
		return v, e.request
	}
	var opts []jwtguard.Option
	if flavour == "warm" {
		opts = append(opts, jwtguard.WithCache(10_000, time.Minute))
	}
	if e.mp != nil || e.tp != nil {
		opts = append(opts, jwtguard.WithTelemetry(telemetry.Config{MeterProvider: e.mp, TracerProvider: e.tp}))
	}
	v := newVerifier(tb, alg, opts...)
	telemetryVs[key] = v
	return v, e.request
}

// TestTelemetrySetups checks that every setup verifies, and that the
// traced ones trace: about 10 % of the request spans are sampled, and
// jwtguard starts its span only under those.
func TestTelemetrySetups(t *testing.T) {
	for _, setup := range telemetrySetups {
		for _, flavour := range []string{"cold", "warm"} {
			v, tracer := telemetryVerifier(t, "HS256", flavour, setup)
			for range 3 {
				ctx := context.Background()
				var span trace.Span
				if tracer != nil {
					ctx, span = tracer.Start(ctx, "request")
				}
				if _, err := v.Verify(ctx, fx.tokens["HS256"]); err != nil {
					t.Fatalf("%s/%s: %v", setup, flavour, err)
				}
				if span != nil {
					span.End()
				}
			}
		}
	}
	// The sampler of the traced setups, with a recorder: about 10 % of
	// the request spans are sampled, and jwtguard's span starts under
	// those and only those.
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1))),
		sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	v := newVerifier(t, "HS256", jwtguard.WithTelemetry(telemetry.Config{TracerProvider: tp}))
	defer func() { _ = v.Close() }()
	const n = 5000
	for range n {
		ctx, span := tp.Tracer("bench").Start(context.Background(), "request")
		if _, err := v.Verify(ctx, fx.tokens["HS256"]); err != nil {
			t.Fatal(err)
		}
		span.End()
	}
	requests, verifies := 0, 0
	for _, s := range rec.Ended() {
		switch s.Name() {
		case "request":
			requests++
		case "jwtguard.verify":
			verifies++
			if !s.Parent().IsValid() {
				t.Fatal("jwtguard.verify span without a parent")
			}
		}
	}
	if requests < n/20 || requests > n/5 || verifies != requests {
		t.Errorf("%d request spans of %d sampled (want about 10 %%), %d jwtguard.verify spans (want as many)", requests, n, verifies)
	}
}

// BenchmarkTelemetry measures Verify under each setup.
func BenchmarkTelemetry(b *testing.B) {
	for _, alg := range telemetryAlgs {
		for _, flavour := range []string{"cold", "warm"} {
			for _, setup := range telemetrySetups {
				b.Run(alg+"/"+flavour+"/otel="+setup, func(b *testing.B) {
					v, tracer := telemetryVerifier(b, alg, flavour, setup)
					tok := fx.tokens[alg]
					bg := context.Background()
					if _, err := v.Verify(bg, tok); err != nil { // warms the cache
						b.Fatal(err)
					}
					b.ReportAllocs()
					start := cpuTime()
					for b.Loop() {
						ctx := bg
						var span trace.Span
						if tracer != nil {
							ctx, span = tracer.Start(bg, "request")
						}
						if _, err := v.Verify(ctx, tok); err != nil {
							b.Fatal(err)
						}
						if span != nil {
							span.End()
						}
					}
					reportCPU(b, start)
				})
			}
		}
	}
}
