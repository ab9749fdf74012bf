package jwtguard_test

// OpenTelemetry instrumentation (issue 19), the cases telemetry_test.go
// leaves out: the issuer label of resolved issuers, the opt-in trace
// context on key fetches, the introspection client span, and the failure
// results of revocation and introspection calls. Exact counts and
// attributes with the SDK's in-memory reader and span recorder.

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// tcSpans returns the ended spans named name.
func tcSpans(sdk *telemetrySDK, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range sdk.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// tcAttr returns a span's attribute key as emitted, "" when absent.
func tcAttr(s sdktrace.ReadOnlySpan, key string) string {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

// traceparentOf is the W3C traceparent header of a sampled span context.
func traceparentOf(sc trace.SpanContext) string {
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
}

// eventuallyPoints is wantPoints for a metric recorded in the background:
// it waits up to 30 s for the points to be want.
func eventuallyPoints(t *testing.T, sdk *telemetrySDK, name string, want map[string]float64) {
	t.Helper()
	// A generous bound: the verdict is what arrives, not how fast (a
	// loaded machine may take seconds).
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := sdk.points(t, name)
		if maps.Equal(got, want) || time.Now().After(deadline) {
			wantPoints(t, name, got, want)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTelemetryResolvedIssuerLabel: tokens of an issuer admitted by
// WithIssuerResolver count under jwtguard.issuer "other" — in the
// verification counter, the duration histogram, the key-fetch counter
// and the verify span — unless telemetry.Config.LabelResolvedIssuers,
// which labels them with the issuer's ID. Static entries keep their name
// either way, and tokens no entry took stay "unknown".
func TestTelemetryResolvedIssuerLabel(t *testing.T) {
	t.Parallel()
	for _, labelResolved := range []bool{false, true} {
		name := "default"
		if labelResolved {
			name = "LabelResolvedIssuers"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			static := jwtguardtest.NewIssuer(t)
			tenant := jwtguardtest.NewIssuer(t)
			stranger := jwtguardtest.NewIssuer(t) // not allowed by the resolver
			resolve := func(_ context.Context, iss string) (jwtguard.Issuer, bool) {
				if iss != tenant.URL() {
					return jwtguard.Issuer{}, false
				}
				return jwtguard.Issuer{ID: tenant.URL(), Keys: jwtguard.JWKS(tenant.JWKSURL())}, true
			}
			sdk := newTelemetrySDK(t)
			cfg := sdk.cfg
			cfg.LabelResolvedIssuers = labelResolved
			v := mustNew(t, jwtguard.Trust(static.Entry()), jwtguard.WithIssuerResolver(resolve, 4),
				jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms(jwtguardtest.Algorithms...),
				jwtguard.WithTelemetry(cfg), miQuiet())
			if err := jwtguardtest.ReadyWithin(v, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			ctx, request := cfg.TracerProvider.Tracer("test").Start(context.Background(), "request")
			for _, tc := range []struct {
				token string
				want  error
			}{
				{static.Mint(nil), nil},
				{tenant.Mint(nil), nil}, // admitted, waits for the tenant's keys
				{tenant.Mint(nil), nil},
				{tenant.Expired(), jwtguard.ErrTokenExpired},
				{tenant.TamperedSignature(), jwtguard.ErrInvalidSignature},
				{stranger.Mint(nil), jwtguard.ErrInvalidIssuer},
			} {
				cl, err := v.Verify(ctx, tc.token)
				if tc.want == nil {
					miWant(t, cl, err)
				} else {
					miWant(t, cl, err, tc.want)
				}
			}
			request.End()

			resolved := "jwtguard.issuer=other"
			if labelResolved {
				resolved = "jwtguard.issuer=" + tenant.URL()
			}
			staticLabel := "jwtguard.issuer=" + static.URL()
			wantPoints(t, "jwtguard.verifications", sdk.points(t, "jwtguard.verifications"), map[string]float64{
				attrs(staticLabel, "jwtguard.outcome=accepted", "jwtguard.reason="):                            1,
				attrs(resolved, "jwtguard.outcome=accepted", "jwtguard.reason="):                               2,
				attrs(resolved, "jwtguard.outcome=refused", "jwtguard.reason=token_expired"):                   1,
				attrs(resolved, "jwtguard.outcome=refused", "jwtguard.reason=invalid_signature"):               1,
				attrs("jwtguard.issuer=unknown", "jwtguard.outcome=refused", "jwtguard.reason=invalid_issuer"): 1,
			})
			wantPoints(t, "jwtguard.verification.duration", sdk.points(t, "jwtguard.verification.duration"), map[string]float64{
				attrs(staticLabel, "jwtguard.outcome=accepted", "jwtguard.cache.hit=false"):              1,
				attrs(resolved, "jwtguard.outcome=accepted", "jwtguard.cache.hit=false"):                 2,
				attrs(resolved, "jwtguard.outcome=refused", "jwtguard.cache.hit=false"):                  2,
				attrs("jwtguard.issuer=unknown", "jwtguard.outcome=refused", "jwtguard.cache.hit=false"): 1,
			})
			// The resolved entry's key source fetches under the same label.
			// (A fetch is counted just after its keys are installed: a
			// request that waited for them may be faster.)
			eventuallyPoints(t, sdk, "jwtguard.keys.fetches", map[string]float64{
				attrs(staticLabel, "jwtguard.fetch.kind=discovery", "jwtguard.fetch.result=success"): 1,
				attrs(staticLabel, "jwtguard.fetch.kind=jwks", "jwtguard.fetch.result=success"):      1,
				attrs(resolved, "jwtguard.fetch.kind=jwks", "jwtguard.fetch.result=success"):         1,
			})
			if age := sdk.points(t, "jwtguard.keys.age"); !labelResolved {
				if _, ok := age["jwtguard.issuer="+tenant.URL()]; ok {
					t.Errorf("the key-age gauge names a resolved issuer without LabelResolvedIssuers: %v", age)
				}
			}
			// The verify spans carry the same label; the fetch spans too.
			wantSpan := map[string]int{static.URL(): 1, resolved[len("jwtguard.issuer="):]: 4, "unknown": 1}
			gotSpan := map[string]int{}
			for _, s := range tcSpans(sdk, "jwtguard.verify") {
				gotSpan[tcAttr(s, "jwtguard.issuer")]++
			}
			if len(gotSpan) != len(wantSpan) {
				t.Errorf("verify spans by issuer %v, want %v", gotSpan, wantSpan)
			}
			for k, n := range wantSpan {
				if gotSpan[k] != n {
					t.Errorf("verify spans by issuer %v, want %v", gotSpan, wantSpan)
				}
			}
			for _, s := range tcSpans(sdk, "jwtguard.keys.fetch") {
				if got := tcAttr(s, "jwtguard.issuer"); got != static.URL() && "jwtguard.issuer="+got != resolved {
					t.Errorf("key fetch span labelled %q", got)
				}
			}
		})
	}
}

// TestTelemetryPropagateToKeySources: JWKS and discovery requests carry
// the trace context (traceparent, here with a W3C propagator given in
// telemetry.Config) only with PropagateToKeySources — the identity
// provider is a third party. The context sent is the fetch's own root
// span, never the trace of a request that waited for it.
func TestTelemetryPropagateToKeySources(t *testing.T) {
	t.Parallel()
	for _, propagate := range []bool{false, true} {
		name := "off"
		if propagate {
			name = "PropagateToKeySources"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			idp := jwtguardtest.NewIssuer(t)
			var mu sync.Mutex
			var seen []string // path: traceparent, per key request
			idp.SetFault(func(_ http.ResponseWriter, r *http.Request) bool {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, r.URL.Path+" "+r.Header.Get("traceparent"))
				return false // served as usual
			})
			sdk := newTelemetrySDK(t)
			cfg := sdk.cfg
			cfg.Propagator = propagation.TraceContext{}
			cfg.PropagateToKeySources = propagate
			v := idp.Verifier(t, jwtguard.WithTelemetry(cfg), jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: time.Millisecond}))
			// A refresh under a recording request span: the token's kid
			// is new.
			if err := idp.Rotate(); err != nil {
				t.Fatal(err)
			}
			ctx, request := cfg.TracerProvider.Tracer("test").Start(context.Background(), "request")
			if _, err := v.Verify(ctx, idp.Mint(nil)); err != nil {
				t.Fatal(err)
			}
			request.End()

			fetchSpans := map[string]bool{} // traceparent of each fetch span
			for _, s := range sdk.spans.Started() {
				if s.Name() == "jwtguard.keys.fetch" {
					fetchSpans[traceparentOf(s.SpanContext())] = true
				}
			}
			mu.Lock()
			defer mu.Unlock()
			// Ready: discovery and JWKS; the unknown kid: JWKS again.
			want := []string{"/.well-known/openid-configuration", "/jwks.json", "/jwks.json"}
			if len(seen) != len(want) || len(fetchSpans) != len(want) {
				t.Fatalf("key requests %q with %d fetch spans, want %q each in a span", seen, len(fetchSpans), want)
			}
			for i, s := range seen {
				path, tp, _ := strings.Cut(s, " ")
				if path != want[i] {
					t.Errorf("request %d to %s, want %s", i, path, want[i])
				}
				switch {
				case !propagate && tp != "":
					t.Errorf("%s got traceparent %q without PropagateToKeySources", path, tp)
				case propagate && !fetchSpans[tp]:
					t.Errorf("%s got traceparent %q, not a fetch span's (%v)", path, tp, fetchSpans)
				case propagate && tp[3:35] == request.SpanContext().TraceID().String():
					t.Errorf("%s got the waiting request's trace %q", path, tp)
				}
			}
		})
	}
}

// TestTelemetryIntrospectionSpan: an introspection call gets a client span
// "jwtguard.introspect" in the request's trace, under the verify span
// that is the request span's child, with an error status when the
// endpoint fails; the endpoint (the application's own authorization
// server) gets that span's trace context with the global propagator.
// Without a recording request span no span starts and no trace context is
// sent. Not parallel: it sets the global propagator.
func TestTelemetryIntrospectionSpan(t *testing.T) {
	old := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(old) })

	iss := jwtguardtest.NewIssuer(t)
	sdk := newTelemetrySDK(t)
	v := introVerifier(t, iss, jwtguard.Issuer{}, nil, nil, jwtguard.WithTelemetry(sdk.cfg), miQuiet())
	var mu sync.Mutex
	var traceparents []string
	fail := false
	iss.SetIntrospectionFault(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		traceparents = append(traceparents, r.Header.Get("traceparent"))
		if fail {
			http.Error(w, "down", http.StatusInternalServerError)
		}
		return fail
	})
	tracer := sdk.cfg.TracerProvider.Tracer("test")

	// No recording request span: no span, no trace context.
	if _, err := v.Verify(context.Background(), iss.MintOpaque(nil)); err != nil {
		t.Fatal(err)
	}
	for _, s := range sdk.spans.Started() {
		if s.Name() != "jwtguard.keys.fetch" { // key fetches are root spans of their own
			t.Fatalf("span %s without a recording request span", s.Name())
		}
	}

	ctx, request := tracer.Start(context.Background(), "request")
	if _, err := v.Verify(ctx, iss.MintOpaque(nil)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	_, err := v.Verify(ctx, iss.MintOpaque(nil))
	miWant(t, nil, err, jwtguard.ErrIntrospectionUnavailable)
	request.End()

	verifies, calls := tcSpans(sdk, "jwtguard.verify"), tcSpans(sdk, "jwtguard.introspect")
	if len(verifies) != 2 || len(calls) != 2 {
		t.Fatalf("%d verify and %d introspect spans, want 2 and 2", len(verifies), len(calls))
	}
	for i, call := range calls {
		verify := verifies[i]
		if verify.Parent().SpanID() != request.SpanContext().SpanID() {
			t.Errorf("verify span %d is not a child of the request span", i)
		}
		if call.Parent().SpanID() != verify.SpanContext().SpanID() || call.SpanContext().TraceID() != request.SpanContext().TraceID() {
			t.Errorf("introspect span %d: parent %s in trace %s, want the verify span %s in the request's trace %s",
				i, call.Parent().SpanID(), call.SpanContext().TraceID(), verify.SpanContext().SpanID(), request.SpanContext().TraceID())
		}
		if call.SpanKind() != trace.SpanKindClient {
			t.Errorf("introspect span %d is of kind %s, want client", i, call.SpanKind())
		}
	}
	if calls[0].Status().Code != codes.Unset || calls[1].Status().Code != codes.Error {
		t.Errorf("introspect span statuses %v, %v; want unset, then error", calls[0].Status(), calls[1].Status())
	}
	if got := tcAttr(verifies[1], "jwtguard.reason"); got != "introspection_unavailable" || verifies[1].Status().Code != codes.Error {
		t.Errorf("failed verify span: reason %q, status %v", got, verifies[1].Status())
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"", traceparentOf(calls[0].SpanContext()), traceparentOf(calls[1].SpanContext())}
	if len(traceparents) != len(want) {
		t.Fatalf("introspection requests with traceparents %q, want %q", traceparents, want)
	}
	for i := range want {
		if traceparents[i] != want[i] {
			t.Errorf("introspection request %d: traceparent %q, want %q", i, traceparents[i], want[i])
		}
	}
}

// TestTelemetryRevocationResults: revocation checks count by result —
// not_revoked, revoked, error — with their durations, and the verification
// is counted as what the check made of it: refused token_revoked,
// unavailable revocation_unavailable, or accepted when the store fails
// open.
func TestTelemetryRevocationResults(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	issuer := "jwtguard.issuer=" + idp.URL()
	for _, tc := range []struct {
		name    string
		store   jwtguard.RevocationStore
		open    bool
		want    error
		result  string
		outcome string
	}{
		{"not revoked", &fakeStore{}, false, nil, "not_revoked", attrs(issuer, "jwtguard.outcome=accepted", "jwtguard.reason=")},
		{"revoked", &fakeStore{revoked: true}, false, jwtguard.ErrTokenRevoked, "revoked",
			attrs(issuer, "jwtguard.outcome=refused", "jwtguard.reason=token_revoked")},
		{"store fails", failingStore{}, false, jwtguard.ErrRevocationUnavailable, "error",
			attrs(issuer, "jwtguard.outcome=unavailable", "jwtguard.reason=revocation_unavailable")},
		{"store fails open", &fakeStore{err: errors.New("store unreachable")}, true, nil, "error",
			attrs(issuer, "jwtguard.outcome=accepted", "jwtguard.reason=")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sdk := newTelemetrySDK(t)
			opts := []jwtguard.Option{jwtguard.WithTelemetry(sdk.cfg), jwtguard.WithRevocation(tc.store), miQuiet()}
			if tc.open {
				opts = append(opts, jwtguard.WithInsecureRevocationFailOpen())
			}
			v := idp.Verifier(t, opts...)
			for range 2 {
				cl, err := v.Verify(context.Background(), idp.Mint(nil))
				if tc.want == nil {
					miWant(t, cl, err)
				} else {
					miWant(t, cl, err, tc.want)
				}
			}
			wantPoints(t, "jwtguard.revocation.checks", sdk.points(t, "jwtguard.revocation.checks"), map[string]float64{"jwtguard.result=" + tc.result: 2})
			wantPoints(t, "jwtguard.revocation.duration", sdk.points(t, "jwtguard.revocation.duration"), map[string]float64{"jwtguard.result=" + tc.result: 2})
			wantPoints(t, "jwtguard.verifications", sdk.points(t, "jwtguard.verifications"), map[string]float64{tc.outcome: 2})
		})
	}
}

// TestTelemetryIntrospectionResults: introspection calls count by result —
// active, inactive, error (an endpoint answering 500) — with their
// durations, and the verifications as accepted, refused token_inactive
// and unavailable introspection_unavailable. A failed call leaves no
// claims, so its verification counts under issuer "unknown".
func TestTelemetryIntrospectionResults(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	sdk := newTelemetrySDK(t)
	v := introVerifier(t, iss, jwtguard.Issuer{}, nil, nil, jwtguard.WithTelemetry(sdk.cfg), miQuiet())
	ctx := context.Background()
	cl, err := v.Verify(ctx, iss.MintOpaque(nil))
	miWant(t, cl, err)
	revoked := iss.MintOpaque(nil)
	iss.Deactivate(revoked)
	_, err = v.Verify(ctx, revoked)
	miWant(t, nil, err, jwtguard.ErrTokenInactive)
	iss.SetIntrospectionFault(func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return true
	})
	for range 2 {
		_, err = v.Verify(ctx, iss.MintOpaque(nil))
		miWant(t, nil, err, jwtguard.ErrIntrospectionUnavailable)
	}
	if e := jwtguard.AsError(err); e.Status != http.StatusServiceUnavailable {
		t.Errorf("a failing endpoint gives %d, want 503", e.Status)
	}
	want := map[string]float64{"jwtguard.result=active": 1, "jwtguard.result=inactive": 1, "jwtguard.result=error": 2}
	wantPoints(t, "jwtguard.introspection.calls", sdk.points(t, "jwtguard.introspection.calls"), want)
	wantPoints(t, "jwtguard.introspection.duration", sdk.points(t, "jwtguard.introspection.duration"), want)
	issuer := "jwtguard.issuer=" + iss.URL()
	wantPoints(t, "jwtguard.verifications", sdk.points(t, "jwtguard.verifications"), map[string]float64{
		attrs(issuer, "jwtguard.outcome=accepted", "jwtguard.reason="):                                                1,
		attrs("jwtguard.issuer=unknown", "jwtguard.outcome=refused", "jwtguard.reason=token_inactive"):                1,
		attrs("jwtguard.issuer=unknown", "jwtguard.outcome=unavailable", "jwtguard.reason=introspection_unavailable"): 2,
	})
}

// claimlessIntrospector answers every opaque token active, without claims.
type claimlessIntrospector struct{}

func (claimlessIntrospector) Introspect(context.Context, string, bool) (bool, []byte, error) {
	return true, nil, nil
}

// TestTelemetryIntrospectionClaimless: an introspector's active answer
// without claims is unusable (503); its call is counted as an error, as
// the verification is, not as an active answer.
func TestTelemetryIntrospectionClaimless(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	sdk := newTelemetrySDK(t)
	v := iss.VerifierFor(t, iss.Entry(), jwtguard.WithIntrospection(claimlessIntrospector{}), jwtguard.WithTelemetry(sdk.cfg), miQuiet())
	_, err := v.Verify(context.Background(), iss.MintOpaque(nil))
	miWant(t, nil, err, jwtguard.ErrIntrospectionUnavailable)
	wantPoints(t, "jwtguard.introspection.calls", sdk.points(t, "jwtguard.introspection.calls"), map[string]float64{
		"jwtguard.result=error": 1,
	})
}
