package jwtguard_test

// OpenTelemetry instrumentation (issue 19): exact counts and attributes
// with the SDK's in-memory reader and span recorder.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
	"github.com/jwtguard/jwtguard/telemetry"
	"github.com/jwtguard/jwtguard/throttle"
)

// telemetrySDK is an in-memory metric reader and span recorder.
type telemetrySDK struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	cfg    telemetry.Config
}

func newTelemetrySDK(t *testing.T) *telemetrySDK {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	return &telemetrySDK{reader: reader, spans: spans, cfg: telemetry.Config{MeterProvider: mp, TracerProvider: tp}}
}

// points returns the data points of the metric called name, each as its
// attributes ("k=v,k=v", sorted) and value (count or sum for histograms:
// the count).
func (s *telemetrySDK) points(t *testing.T, name string) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	key := func(set attribute.Set) string {
		var parts []string
		for _, kv := range set.ToSlice() {
			parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
		}
		slices.Sort(parts)
		return strings.Join(parts, ",")
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != telemetry.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[key(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[key(p.Attributes)] = float64(p.Count)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					out[key(p.Attributes)] = p.Value
				}
			}
		}
	}
	return out
}

// attrs writes attributes as points keys them: "k=v" sorted, joined.
func attrs(kv ...string) string {
	kv = slices.Clone(kv)
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

func wantPoints(t *testing.T, name string, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s{%s} = %v, want %v (all: %v)", name, k, got[k], v, got)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s has an unexpected point {%s} = %v", name, k, got[k])
		}
	}
}

func TestTelemetryVerifications(t *testing.T) {
	t.Parallel()
	sdk := newTelemetrySDK(t)
	idp := jwtguardtest.NewIssuer(t)
	store, _ := memory.New()
	v := idp.Verifier(t, jwtguard.WithTelemetry(sdk.cfg), jwtguard.WithCache(100, time.Minute), jwtguard.WithRevocation(store))
	ctx := context.Background()
	iss := idp.URL()
	good := idp.Mint(nil)
	for range 3 { // one cold, two cache hits
		if _, err := v.Verify(ctx, good); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = v.Verify(ctx, idp.Expired())
	_, _ = v.Verify(ctx, idp.WrongAudience())
	_, _ = v.Verify(ctx, idp.TamperedSignature())
	_, _ = v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"iss": "https://stranger.example"}))
	_, _ = v.Verify(ctx, "garbage")
	r := httptest.NewRequest(http.MethodGet, "/", nil) // no token
	_, _ = v.Authenticate(r)

	issuer := "jwtguard.issuer=" + iss
	wantPoints(t, "jwtguard.verifications", sdk.points(t, "jwtguard.verifications"), map[string]float64{
		attrs(issuer, "jwtguard.outcome=accepted", "jwtguard.reason="):                                  3,
		attrs(issuer, "jwtguard.outcome=refused", "jwtguard.reason=token_expired"):                      1,
		attrs(issuer, "jwtguard.outcome=refused", "jwtguard.reason=invalid_audience"):                   1,
		attrs(issuer, "jwtguard.outcome=refused", "jwtguard.reason=invalid_signature"):                  1,
		attrs("jwtguard.issuer=unknown", "jwtguard.outcome=refused", "jwtguard.reason=invalid_issuer"):  1,
		attrs("jwtguard.issuer=unknown", "jwtguard.outcome=refused", "jwtguard.reason=malformed_token"): 1,
		attrs("jwtguard.issuer=unknown", "jwtguard.outcome=refused", "jwtguard.reason=no_token"):        1,
	})
	wantPoints(t, "jwtguard.verification.duration", sdk.points(t, "jwtguard.verification.duration"), map[string]float64{
		attrs(issuer, "jwtguard.outcome=accepted", "jwtguard.cache.hit=false"):                   1,
		attrs(issuer, "jwtguard.outcome=accepted", "jwtguard.cache.hit=true"):                    2,
		attrs(issuer, "jwtguard.outcome=refused", "jwtguard.cache.hit=false"):                    3,
		attrs("jwtguard.issuer=unknown", "jwtguard.outcome=refused", "jwtguard.cache.hit=false"): 3,
	})
	// Every token looked up (the request without one is not): one
	// cold miss for the good token, 5 refused tokens, 2 hits.
	wantPoints(t, "jwtguard.cache.lookups", sdk.points(t, "jwtguard.cache.lookups"), map[string]float64{
		"jwtguard.cache.hit=false": 6,
		"jwtguard.cache.hit=true":  2,
	})
	wantPoints(t, "jwtguard.revocation.checks", sdk.points(t, "jwtguard.revocation.checks"), map[string]float64{
		"jwtguard.result=not_revoked": 3,
	})
	fetches := sdk.points(t, "jwtguard.keys.fetches")
	if fetches[attrs(issuer, "jwtguard.fetch.kind=discovery", "jwtguard.fetch.result=success")] < 1 || fetches[attrs(issuer, "jwtguard.fetch.kind=jwks", "jwtguard.fetch.result=success")] < 1 {
		t.Errorf("key fetches: %v", fetches)
	}
	if age := sdk.points(t, "jwtguard.keys.age"); len(age) != 1 || age[issuer] < 0 {
		t.Errorf("key age: %v", age)
	}
	// Nothing was traced: no request span was recording.
	for _, s := range sdk.spans.Ended() {
		if s.Name() == "jwtguard.verify" {
			t.Fatal("a verify span without a recording parent")
		}
	}
}

// TestTelemetrySpans: a verify span under a recording request span, with
// bounded attributes and never the token; key fetches in root spans
// linked from the request that waited.
func TestTelemetrySpans(t *testing.T) {
	t.Parallel()
	sdk := newTelemetrySDK(t)
	idp := jwtguardtest.NewIssuer(t)
	v := idp.Verifier(t, jwtguard.WithTelemetry(sdk.cfg), jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: time.Millisecond}))
	tracer := sdk.cfg.TracerProvider.Tracer("test")
	ctx, parent := tracer.Start(context.Background(), "request")
	tok := idp.Mint(nil)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := idp.Rotate(); err != nil { // a new key: the next token's kid is unknown
		t.Fatal(err)
	}
	rotated := idp.Mint(nil)
	if _, err := v.Verify(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	_, _ = v.Verify(ctx, idp.Expired())
	parent.End()
	var verifies, fetches []sdktrace.ReadOnlySpan
	for _, s := range sdk.spans.Ended() {
		switch s.Name() {
		case "jwtguard.verify":
			verifies = append(verifies, s)
		case "jwtguard.keys.fetch":
			fetches = append(fetches, s)
		}
		for _, a := range s.Attributes() {
			if v := a.Value.Emit(); strings.Contains(v, tok) || strings.Contains(v, rotated) {
				t.Fatalf("span %s carries a token in %s", s.Name(), a.Key)
			}
		}
	}
	if len(verifies) != 3 {
		t.Fatalf("%d verify spans, want 3", len(verifies))
	}
	for _, s := range verifies {
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("verify span is not a child of the request span")
		}
		attrs := map[string]string{}
		for _, a := range s.Attributes() {
			attrs[string(a.Key)] = a.Value.Emit()
		}
		if attrs["jwtguard.issuer"] != idp.URL() || attrs["jwtguard.alg"] != "RS256" || attrs["jwtguard.outcome"] == "" {
			t.Errorf("verify span attributes %v", attrs)
		}
	}
	if len(fetches) == 0 {
		t.Fatal("no key fetch span")
	}
	for _, f := range fetches {
		if f.Parent().IsValid() {
			t.Errorf("a key fetch span has a parent; it must be a root span")
		}
	}
	// The second verification waited for a refresh: its span links it.
	linked := false
	for _, l := range verifies[1].Links() {
		for _, f := range fetches {
			if l.SpanContext.SpanID() == f.SpanContext().SpanID() {
				linked = true
			}
		}
	}
	if !linked {
		t.Error("the verification that waited for a key fetch does not link to it")
	}
}

// TestTelemetryKeyFetchFailure: a failing JWKS endpoint counts failures
// and verifications come out unavailable.
func TestTelemetryKeyFetchFailure(t *testing.T) {
	t.Parallel()
	sdk := newTelemetrySDK(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) }))
	t.Cleanup(down.Close)
	v := mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: down.URL, Keys: jwtguard.JWKS(down.URL + "/keys"), Audiences: []string{"api"}}),
		jwtguard.WithAlgorithms("RS256"), jwtguard.WithTelemetry(sdk.cfg), miQuiet())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_ = v.Ready(ctx)
	cancel()
	idp := jwtguardtest.NewIssuer(t)
	_, err := v.Verify(context.Background(), idp.Mint(jwtguardtest.Claims{"iss": down.URL, "aud": "api"}))
	miWant(t, nil, err, jwtguard.ErrKeysUnavailable)
	issuer := "jwtguard.issuer=" + down.URL
	if n := sdk.points(t, "jwtguard.keys.fetches")[attrs(issuer, "jwtguard.fetch.kind=jwks", "jwtguard.fetch.result=failure")]; n < 1 {
		t.Errorf("no failed fetch counted: %v", sdk.points(t, "jwtguard.keys.fetches"))
	}
	if n := sdk.points(t, "jwtguard.verifications")[attrs(issuer, "jwtguard.outcome=unavailable", "jwtguard.reason=keys_unavailable")]; n != 1 {
		t.Errorf("unavailable verification: %v", sdk.points(t, "jwtguard.verifications"))
	}
}

// TestTelemetryThrottled (issue 19): a client over its failure limit gets
// 429 before any token work, counted as outcome and reason "throttled"
// under issuer "unknown" (nothing of the token is read), with its
// duration; the failures before it count as what they were.
func TestTelemetryThrottled(t *testing.T) {
	t.Parallel()
	sdk := newTelemetrySDK(t)
	idp := jwtguardtest.NewIssuer(t)
	v := idp.Verifier(t, jwtguard.WithTelemetry(sdk.cfg), jwtguard.WithThrottling(throttle.Config{Failures: 1, Window: time.Minute}))
	req := func(tok string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "192.0.2.7:4711"
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	_, err := v.Authenticate(req(idp.TamperedSignature()))
	miWant(t, nil, err, jwtguard.ErrInvalidSignature)
	for range 2 {
		_, err = v.Authenticate(req(idp.TamperedSignature()))
		miWant(t, nil, err, jwtguard.ErrThrottled)
	}
	issuer := "jwtguard.issuer=" + idp.URL()
	wantPoints(t, "jwtguard.verifications", sdk.points(t, "jwtguard.verifications"), map[string]float64{
		attrs(issuer, "jwtguard.outcome=refused", "jwtguard.reason=invalid_signature"):              1,
		attrs("jwtguard.issuer=unknown", "jwtguard.outcome=throttled", "jwtguard.reason=throttled"): 2,
	})
	wantPoints(t, "jwtguard.verification.duration", sdk.points(t, "jwtguard.verification.duration"), map[string]float64{
		attrs(issuer, "jwtguard.outcome=refused", "jwtguard.cache.hit=false"):                      1,
		attrs("jwtguard.issuer=unknown", "jwtguard.outcome=throttled", "jwtguard.cache.hit=false"): 2,
	})
}

// TestTelemetryNoopAllocatesNothing: with the default (global, no-op)
// providers, a cached verification allocates only its Claims copy, as
// before telemetry existed.
func TestTelemetryNoopAllocatesNothing(t *testing.T) {
	idp := jwtguardtest.NewIssuer(t)
	v := idp.Verifier(t, jwtguard.WithCache(100, time.Minute))
	tok := idp.Mint(nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(200, func() { _, _ = v.Verify(ctx, tok) }); n > 1 {
		t.Fatalf("a cached verification allocates %v times with no-op telemetry, want 1 (the Claims copy)", n)
	}
}

// TestTelemetryMetricsAllocateNothing: with the metrics SDK, the
// measurements of a cached verification (cache lookup, verification
// count, duration) allocate nothing either: their attribute options are
// cached as argument lists.
func TestTelemetryMetricsAllocateNothing(t *testing.T) {
	idp := jwtguardtest.NewIssuer(t)
	sdk := newTelemetrySDK(t)
	v := idp.Verifier(t, jwtguard.WithCache(100, time.Minute), jwtguard.WithTelemetry(telemetry.Config{MeterProvider: sdk.cfg.MeterProvider}))
	tok := idp.Mint(nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(200, func() { _, _ = v.Verify(ctx, tok) }); n > 1 {
		t.Fatalf("a cached verification allocates %v times with the metrics SDK, want 1 (the Claims copy)", n)
	}
}

// TestTelemetryIntrospectionAndDPoP: introspection calls and DPoP proofs
// are counted by result.
func TestTelemetryIntrospectionAndDPoP(t *testing.T) {
	t.Parallel()
	sdk := newTelemetrySDK(t)
	answer := `{"active":true,"iss":"https://as.example","aud":"` + jwtguardtest.DefaultAudience + `","exp":4102444800,"sub":"u"}`
	v := mustNew(t, jwtguard.Trust(jwtguard.Issuer{ID: "https://as.example", Audiences: []string{jwtguardtest.DefaultAudience}}),
		jwtguard.WithIntrospection(fixedAnswer(answer)), jwtguard.WithAlgorithms("RS256"), jwtguard.WithTelemetry(sdk.cfg), miQuiet())
	for range 2 {
		if _, err := v.Verify(context.Background(), "opaque"); err != nil {
			t.Fatal(err)
		}
	}
	wantPoints(t, "jwtguard.introspection.calls", sdk.points(t, "jwtguard.introspection.calls"), map[string]float64{"jwtguard.result=active": 2})
	wantPoints(t, "jwtguard.introspection.duration", sdk.points(t, "jwtguard.introspection.duration"), map[string]float64{"jwtguard.result=active": 2})

	dsdk := newTelemetrySDK(t)
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	dv := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed}, jwtguard.WithTelemetry(dsdk.cfg))
	proof := key.Proof("GET", dpopOrigin+"/r", bound, nil, nil)
	for _, p := range []string{proof, proof, key.Proof("POST", dpopOrigin+"/r", bound, nil, nil)} {
		r := dpopRequest("GET", "/r")
		r.Header.Set("Authorization", "DPoP "+bound)
		r.Header.Set("DPoP", p)
		_, _ = dv.Authenticate(r)
	}
	wantPoints(t, "jwtguard.dpop.proofs", dsdk.points(t, "jwtguard.dpop.proofs"), map[string]float64{
		"jwtguard.result=valid": 1, "jwtguard.result=replayed": 1, "jwtguard.result=invalid": 1,
	})
}
