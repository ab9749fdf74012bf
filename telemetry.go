package jwtguard

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtguard/jwtguard/internal/jwks"
	"github.com/jwtguard/jwtguard/telemetry"
)

// OpenTelemetry instrumentation (see package telemetry for the metrics
// and spans). Every instrument is asked whether it is enabled before any
// attribute or clock work, and a span starts only under a recording
// parent, so with the default no-op providers a verification costs a few
// atomic loads and allocates nothing more.

// Attribute keys.
const (
	attrOutcome    = attribute.Key("jwtguard.outcome")
	attrReason     = attribute.Key("jwtguard.reason")
	attrIssuer     = attribute.Key("jwtguard.issuer")
	attrCacheHit   = attribute.Key("jwtguard.cache.hit")
	attrAlg        = attribute.Key("jwtguard.alg")
	attrResult     = attribute.Key("jwtguard.result")
	attrFetchKind  = attribute.Key("jwtguard.fetch.kind")
	attrFetchState = attribute.Key("jwtguard.fetch.result")
)

// Outcomes of a verification.
const (
	outcomeAccepted    = "accepted"
	outcomeRefused     = "refused"
	outcomeUnavailable = "unavailable"
	outcomeThrottled   = "throttled"
)

// Issuer labels that are not an entry's name.
const (
	issuerOther   = "other"   // an entry made by the resolver
	issuerUnknown = "unknown" // no entry took the token
)

// instruments is a verifier's instrumentation.
type instruments struct {
	tracer        trace.Tracer
	propagator    propagation.TextMapPropagator
	labelResolved bool
	toKeySources  bool

	verifications metric.Int64Counter
	duration      metric.Float64Histogram
	cacheLookups  metric.Int64Counter
	keyFetches    metric.Int64Counter
	keyAge        metric.Float64ObservableGauge
	revocations   metric.Int64Counter
	revocationDur metric.Float64Histogram
	introspects   metric.Int64Counter
	introspectDur metric.Float64Histogram
	dpopProofs    metric.Int64Counter

	// opts caches the measurement options of each attribute combination:
	// the combinations are bounded (issuers × reasons × outcomes), and a
	// cached option allocates nothing per measurement.
	opts sync.Map // attrKey → *measureOpts
}

// measureOpts is one attribute set as the argument lists of Add and
// Record: passed with "...", a cached slice is not copied, where a single
// option would be put in a new slice (which escapes into the provider's
// interface method) on every measurement.
type measureOpts struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

type attrKey struct {
	kind         uint8 // which instrument's attributes
	issuer, a, b string
	hit          bool
}

// newInstruments makes the instruments of c.
func newInstruments(c telemetry.Config) (*instruments, error) {
	tp, mp, prop := c.TracerProvider, c.MeterProvider, c.Propagator
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	in := &instruments{
		tracer:        tp.Tracer(telemetry.ScopeName),
		propagator:    prop,
		labelResolved: c.LabelResolvedIssuers,
		toKeySources:  c.PropagateToKeySources,
	}
	m := mp.Meter(telemetry.ScopeName)
	var err error
	join := func(e error) { err = errors.Join(err, e) }
	var e error
	in.verifications, e = m.Int64Counter("jwtguard.verifications", metric.WithUnit("{verification}"),
		metric.WithDescription("Token verifications, by outcome, reason and issuer."))
	join(e)
	in.duration, e = m.Float64Histogram("jwtguard.verification.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of token verifications; cache hits apart."),
		metric.WithExplicitBucketBoundaries(1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.025, 0.1, 0.5, 2.5))
	join(e)
	in.cacheLookups, e = m.Int64Counter("jwtguard.cache.lookups", metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups of the verified-token cache, by hit."))
	join(e)
	in.keyFetches, e = m.Int64Counter("jwtguard.keys.fetches", metric.WithUnit("{fetch}"),
		metric.WithDescription("JWKS and discovery fetches, by issuer, kind and result."))
	join(e)
	in.keyAge, e = m.Float64ObservableGauge("jwtguard.keys.age", metric.WithUnit("s"),
		metric.WithDescription("Time since each issuer's key set was last fetched successfully."))
	join(e)
	in.revocations, e = m.Int64Counter("jwtguard.revocation.checks", metric.WithUnit("{check}"),
		metric.WithDescription("Revocation-store checks, by result."))
	join(e)
	in.revocationDur, e = m.Float64Histogram("jwtguard.revocation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of revocation-store checks."))
	join(e)
	in.introspects, e = m.Int64Counter("jwtguard.introspection.calls", metric.WithUnit("{call}"),
		metric.WithDescription("Token introspection calls, by result."))
	join(e)
	in.introspectDur, e = m.Float64Histogram("jwtguard.introspection.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of token introspection calls."))
	join(e)
	in.dpopProofs, e = m.Int64Counter("jwtguard.dpop.proofs", metric.WithUnit("{proof}"),
		metric.WithDescription("DPoP proofs checked, by result."))
	join(e)
	if err != nil {
		return nil, err
	}
	return in, nil
}

// option returns the cached measurement options for k, building them
// with attrs on first use.
func (in *instruments) option(k attrKey, attrs func() []attribute.KeyValue) *measureOpts {
	if o, ok := in.opts.Load(k); ok {
		return o.(*measureOpts)
	}
	o := metric.WithAttributeSet(attribute.NewSet(attrs()...))
	m := &measureOpts{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
	in.opts.Store(k, m)
	return m
}

// issuerLabel is the jwtguard.issuer value of claims judged by ent.
func (in *instruments) issuerLabel(ent *entryName) string {
	switch {
	case ent == nil:
		return issuerUnknown
	case ent.resolved && !in.labelResolved:
		return issuerOther
	case ent.tenant != "":
		return ent.id // a template entry: its ID as written
	case ent.name != "":
		return ent.name
	}
	return issuerUnknown
}

// outcomeOf classifies a verification's error.
func outcomeOf(err error) (outcome, reason string) {
	if err == nil {
		return outcomeAccepted, ""
	}
	cl := classOf(err)
	switch cl.status {
	case http.StatusServiceUnavailable:
		return outcomeUnavailable, cl.reason
	case http.StatusTooManyRequests:
		return outcomeThrottled, cl.reason
	}
	return outcomeRefused, cl.reason
}

// verification is one verification's instrumentation state.
type verification struct {
	start   time.Time // zero when the duration is not measured
	span    trace.Span
	metrics bool // the meter records (asked once per verification)
	hit     bool
	alg     string
	token   string // for the audit event's header fields
}

// begin starts a verification's instrumentation in vr: the clock, when
// the duration histogram records, and a span, when the request's span
// records. With the no-op default it asks one instrument and the context.
func (in *instruments) begin(ctx context.Context, vr *verification) context.Context {
	if in == nil {
		return ctx
	}
	// One question to the meter per verification: with the no-op default
	// the rest of the metric work is skipped.
	if vr.metrics = in.verifications.Enabled(ctx); vr.metrics && in.duration.Enabled(ctx) {
		vr.start = time.Now()
	}
	if trace.SpanFromContext(ctx).IsRecording() {
		ctx, vr.span = in.tracer.Start(ctx, "jwtguard.verify", trace.WithSpanKind(trace.SpanKindInternal))
	}
	return ctx
}

// end records a verification's outcome.
func (in *instruments) end(ctx context.Context, vr *verification, c *Claims, err error) {
	if in == nil || (!vr.metrics && vr.span == nil) {
		return
	}
	var ent *entryName
	if c != nil {
		ent = c.ent
	}
	outcome, reason := outcomeOf(err)
	if vr.metrics {
		issuer := in.issuerLabel(ent)
		in.verifications.Add(ctx, 1, in.option(attrKey{kind: 1, issuer: issuer, a: outcome, b: reason}, func() []attribute.KeyValue {
			return []attribute.KeyValue{attrOutcome.String(outcome), attrReason.String(reason), attrIssuer.String(issuer)}
		}).add...)
	}
	if !vr.start.IsZero() {
		issuer := in.issuerLabel(ent)
		in.duration.Record(ctx, time.Since(vr.start).Seconds(), in.option(attrKey{kind: 2, issuer: issuer, a: outcome, hit: vr.hit}, func() []attribute.KeyValue {
			return []attribute.KeyValue{attrOutcome.String(outcome), attrIssuer.String(issuer), attrCacheHit.Bool(vr.hit)}
		}).rec...)
	}
	if vr.span != nil {
		vr.span.SetAttributes(attrIssuer.String(in.issuerLabel(ent)), attrOutcome.String(outcome), attrCacheHit.Bool(vr.hit))
		if vr.alg != "" {
			vr.span.SetAttributes(attrAlg.String(vr.alg))
		}
		if err != nil {
			vr.span.SetAttributes(attrReason.String(reason))
			vr.span.SetStatus(codes.Error, reason)
		}
		vr.span.End()
	}
}

// cacheLookup counts a lookup of the verified-token cache.
func (in *instruments) cacheLookup(ctx context.Context, vr *verification, hit bool) {
	if in == nil || !vr.metrics || !in.cacheLookups.Enabled(ctx) {
		return
	}
	in.cacheLookups.Add(ctx, 1, in.option(attrKey{kind: 3, hit: hit}, func() []attribute.KeyValue {
		return []attribute.KeyValue{attrCacheHit.Bool(hit)}
	}).add...)
}

// call counts one call to a store or endpoint (revocation, introspection)
// with its duration; start is zero when the duration is not measured.
func (in *instruments) call(ctx context.Context, counter metric.Int64Counter, hist metric.Float64Histogram, kind uint8, start time.Time, result string) {
	o := in.option(attrKey{kind: kind, a: result}, func() []attribute.KeyValue {
		return []attribute.KeyValue{attrResult.String(result)}
	})
	if counter.Enabled(ctx) {
		counter.Add(ctx, 1, o.add...)
	}
	if !start.IsZero() {
		hist.Record(ctx, time.Since(start).Seconds(), o.rec...)
	}
}

// callStart reads the clock when hist records.
func callStart(ctx context.Context, in *instruments, hist func(*instruments) metric.Float64Histogram) time.Time {
	if in != nil && hist(in).Enabled(ctx) {
		return time.Now()
	}
	return time.Time{}
}

// revocationResult counts a revocation check.
func (in *instruments) revocationResult(ctx context.Context, start time.Time, revoked bool, err error) {
	if in == nil {
		return
	}
	result := "not_revoked"
	switch {
	case err != nil:
		result = "error"
	case revoked:
		result = "revoked"
	}
	in.call(ctx, in.revocations, in.revocationDur, 4, start, result)
}

// introspection counts an introspection call.
func (in *instruments) introspection(ctx context.Context, start time.Time, active bool, err error) {
	if in == nil {
		return
	}
	result := "inactive"
	switch {
	case err != nil:
		result = "error"
	case active:
		result = "active"
	}
	in.call(ctx, in.introspects, in.introspectDur, 5, start, result)
}

// dpopProof counts a DPoP proof's result.
func (in *instruments) dpopProof(ctx context.Context, result string) {
	if in == nil || !in.dpopProofs.Enabled(ctx) {
		return
	}
	in.dpopProofs.Add(ctx, 1, in.option(attrKey{kind: 6, a: result}, func() []attribute.KeyValue {
		return []attribute.KeyValue{attrResult.String(result)}
	}).add...)
}

// fetchObserver returns the internal/jwks hook of a key source labelled
// issuer: a root span per fetch (kind client), linked from the requests
// that wait for it, and the fetch counter.
func (in *instruments) fetchObserver(issuer string) jwks.Observer {
	if in == nil {
		return nil
	}
	return func(ctx context.Context, kind, url string) (context.Context, func(error)) {
		ctx, span := in.tracer.Start(ctx, "jwtguard.keys.fetch", trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attrIssuer.String(issuer), attrFetchKind.String(kind), attribute.String("url.full", url)))
		return ctx, func(err error) {
			result := "success"
			if err != nil {
				result = "failure"
				span.SetStatus(codes.Error, err.Error())
			}
			span.End()
			if in.keyFetches.Enabled(ctx) {
				in.keyFetches.Add(ctx, 1, in.option(attrKey{kind: 7, issuer: issuer, a: kind, b: result}, func() []attribute.KeyValue {
					return []attribute.KeyValue{attrIssuer.String(issuer), attrFetchKind.String(kind), attrFetchState.String(result)}
				}).add...)
			}
		}
	}
}

// injector returns the internal/jwks hook that sends the trace context to
// key sources, when the user opted in.
func (in *instruments) injector() func(context.Context, http.Header) {
	if in == nil || !in.toKeySources {
		return nil
	}
	return func(ctx context.Context, h http.Header) { in.propagator.Inject(ctx, propagation.HeaderCarrier(h)) }
}

// linkFetch links the request's span to the key fetch it waited for.
func linkFetch(ctx context.Context, fetch context.Context) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() || fetch == nil {
		return
	}
	if sc := trace.SpanContextFromContext(fetch); sc.IsValid() {
		span.AddLink(trace.Link{SpanContext: sc})
	}
}

// keyAges registers the observable gauge of the key sets' ages.
func (in *instruments) keyAges(mp metric.MeterProvider, now func() time.Time, sources func() []ageSource) (metric.Registration, error) {
	if in == nil {
		return nil, nil
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return mp.Meter(telemetry.ScopeName).RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, s := range sources() {
			if at := s.fetchedAt(); !at.IsZero() {
				o.ObserveFloat64(in.keyAge, now().Sub(at).Seconds(), metric.WithAttributes(attrIssuer.String(s.issuer)))
			}
		}
		return nil
	}, in.keyAge)
}

// ageSource is a key source whose age the gauge reports.
type ageSource struct {
	issuer    string
	fetchedAt func() time.Time
}

// introspectSpan starts the client span of an introspection call, under a
// recording parent only.
func (in *instruments) introspectSpan(ctx context.Context) (context.Context, trace.Span) {
	if in == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	return in.tracer.Start(ctx, "jwtguard.introspect", trace.WithSpanKind(trace.SpanKindClient))
}

// endSpan ends span (nil: none) with err's status.
func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
