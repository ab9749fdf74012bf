// Package telemetry configures the OpenTelemetry instrumentation of a
// jwtguard verifier (jwtguard.WithTelemetry): which tracer and meter
// providers it reports to, and two opt-ins. jwtguard depends on the
// OpenTelemetry API only; the SDK and exporters are the application's.
//
// Without jwtguard.WithTelemetry a verifier reports to the global
// providers (otel.GetTracerProvider, otel.GetMeterProvider), which are
// no-ops until the application installs an SDK: then the instrumentation
// costs nothing (instruments are disabled, and no span starts unless the
// request's span is recording).
//
// # Metrics
//
// The instrumentation scope is "github.com/jwtguard/jwtguard". Attribute
// values are bounded: jwtguard.issuer is a configured issuer (an entry's
// canonical name; a template entry's ID as written; "other" for entries
// made by an issuer resolver unless LabelResolvedIssuers; "unknown" for
// tokens no entry took), jwtguard.reason a row of the error table, never
// a subject, token, kid or path.
//
//	name                             unit            attributes
//	jwtguard.verifications           {verification}  jwtguard.outcome (accepted, refused, unavailable, throttled), jwtguard.reason, jwtguard.issuer
//	jwtguard.verification.duration   s               jwtguard.outcome, jwtguard.issuer, jwtguard.cache.hit
//	jwtguard.cache.lookups           {lookup}        jwtguard.cache.hit
//	jwtguard.keys.fetches            {fetch}         jwtguard.issuer, jwtguard.fetch.kind (jwks, discovery), jwtguard.fetch.result (success, failure)
//	jwtguard.keys.age                s               jwtguard.issuer (observable gauge: since the last successful fetch)
//	jwtguard.revocation.checks       {check}         jwtguard.result (revoked, not_revoked, error)
//	jwtguard.revocation.duration     s               jwtguard.result
//	jwtguard.introspection.calls     {call}          jwtguard.result (active, inactive, error)
//	jwtguard.introspection.duration  s               jwtguard.result
//	jwtguard.dpop.proofs             {proof}         jwtguard.result (valid, invalid, replayed, nonce_required, over_quota, cache_error)
//
// # Traces
//
// A span "jwtguard.verify" is started for a verification as a child of the
// request's span, only when that span is recording, with the attributes
// jwtguard.issuer, jwtguard.alg, jwtguard.outcome, jwtguard.reason and
// jwtguard.cache.hit — never the token or claim values. Key fetches run in
// the background, often for many waiting requests: each gets a root span
// ("jwtguard.keys.fetch", kind client) and a request that waited for one
// links its span to it. Introspection calls get a client span
// ("jwtguard.introspect") in the request's trace.
package telemetry

import (
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of jwtguard's tracer and meter.
const ScopeName = "github.com/jwtguard/jwtguard"

// Config configures a verifier's instrumentation. The zero value reports
// to the global providers.
type Config struct {
	// TracerProvider makes jwtguard's tracer; nil: the global one.
	TracerProvider trace.TracerProvider
	// MeterProvider makes jwtguard's meter; nil: the global one.
	MeterProvider metric.MeterProvider
	// Propagator injects the trace context into jwtguard's key fetches
	// when PropagateToKeySources is set; nil: the global one. (The
	// introspect client, a separate package, always uses the global
	// propagator.)
	Propagator propagation.TextMapPropagator
	// PropagateToKeySources sends the trace context (traceparent) with
	// JWKS and discovery requests. Off by default: those go to a third
	// party, the identity provider, and are shared by many requests.
	PropagateToKeySources bool
	// LabelResolvedIssuers labels metrics with the canonical issuer of
	// entries made by jwtguard.WithIssuerResolver. Off by default: their
	// number is bounded only by your allowlist, so they share the label
	// "other".
	LabelResolvedIssuers bool
}
