package jwtguard_test

// The log-leak proof of TestLogsAndResponsesNeverContainToken (issue 19:
// "tests prove redaction on every path") for the paths beyond Bearer JWTs:
// DPoP, throttling, VerifyCredential, VerifyLogoutToken, introspected
// opaque tokens and certificate-bound tokens. Each decision goes through
// a verifier with a Debug-level logger, an audit log carrying every
// auditable claim and a span recorder (under a recording request span);
// neither output, nor a span, nor the error, nor the HTTP response (body
// and headers) may carry a token or DPoP proof, or their payload or
// signature.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/throttle"
)

// leakProbe collects one test's logs, audit events and spans, and the
// secrets they must not carry.
type leakProbe struct {
	t           *testing.T
	logs, audit syncBuffer
	sdk         *telemetrySDK
	ctx         context.Context // under a recording request span: decisions are traced
	secrets     []string
	decisions   int // Verify, VerifyCredential, VerifyLogoutToken and Authenticate calls
	accepted    int
}

func newLeakProbe(t *testing.T) *leakProbe {
	p := &leakProbe{t: t, sdk: newTelemetrySDK(t)}
	var request trace.Span
	p.ctx, request = p.sdk.cfg.TracerProvider.Tracer("test").Start(context.Background(), "request")
	t.Cleanup(func() { request.End() })
	return p
}

// request returns r under p's request span.
func (p *leakProbe) request(r *http.Request) *http.Request { return r.WithContext(p.ctx) }

// options are a Debug-level JSON logger, an audit log with every
// auditable claim, and telemetry, all into p.
func (p *leakProbe) options() []jwtguard.Option {
	logger := slog.New(slog.NewJSONHandler(&p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	auditor := slog.New(slog.NewJSONHandler(&p.audit, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return []jwtguard.Option{
		jwtguard.WithLogger(logger),
		jwtguard.WithAuditLog(auditor, slog.LevelInfo, "sub", "aud", "jti", "exp", "iat", "nbf", "client", "sid", "tenant", "scope"),
		jwtguard.WithTelemetry(p.sdk.cfg),
	}
}

// decided checks one decision of v: the error is want (nil: accepted),
// and neither the error nor v's response to it carries any of secrets.
func (p *leakProbe) decided(v *jwtguard.Verifier, what string, cl *jwtguard.Claims, err, want error, secrets ...string) {
	p.t.Helper()
	secrets = slices.DeleteFunc(secrets, func(s string) bool { return s == "" })
	p.secrets = append(p.secrets, secrets...)
	p.decisions++
	if want == nil {
		if err != nil || cl == nil {
			p.t.Fatalf("%s: claims %v, error %v; want accepted", what, cl, err)
		}
		p.accepted++
		return
	}
	miWant(p.t, cl, err, want)
	assertNoSecrets(p.t, what+": error", err.Error(), secrets)
	assertNoSecrets(p.t, what+": error detail", jwtguard.AsError(err).Detail, secrets)
	rec := httptest.NewRecorder()
	v.WriteError(rec, err)
	if rec.Code < 400 {
		p.t.Fatalf("%s: status %d", what, rec.Code)
	}
	assertNoSecrets(p.t, what+": response body", rec.Body.String(), secrets)
	if len(rec.Header()) == 0 {
		p.t.Fatalf("%s: a response without headers", what)
	}
	for name, vals := range rec.Header() {
		assertNoSecrets(p.t, what+": response header "+name, strings.Join(vals, "\n"), secrets)
	}
}

// check checks the logs, the audit events and the spans: one audit event
// and one verify span per decision, a rejection line per refusal, and no
// secret anywhere.
func (p *leakProbe) check() {
	p.t.Helper()
	audit, logs := p.audit.String(), p.logs.String()
	if n := strings.Count(audit, `"msg":"jwtguard: authentication"`); n != p.decisions {
		p.t.Errorf("%d audit events for %d decisions:\n%s", n, p.decisions, audit)
	}
	if n := strings.Count(audit, `"outcome":"accepted"`); n != p.accepted {
		p.t.Errorf("%d accepted audit events, want %d", n, p.accepted)
	}
	refused := p.decisions - p.accepted
	if n := strings.Count(logs, `"msg":"jwtguard: token rejected"`); n < refused {
		p.t.Errorf("%d rejection log lines for %d refusals:\n%s", n, refused, logs)
	}
	for i, line := range strings.Split(audit, "\n") {
		assertNoSecrets(p.t, fmt.Sprintf("audit line %d", i+1), line, p.secrets)
	}
	for i, line := range strings.Split(logs, "\n") {
		assertNoSecrets(p.t, fmt.Sprintf("log line %d", i+1), line, p.secrets)
	}
	verifies := 0
	for _, s := range p.sdk.spans.Ended() {
		if s.Name() == "jwtguard.verify" {
			verifies++
		}
		var text []string
		for _, a := range s.Attributes() {
			text = append(text, string(a.Key)+"="+a.Value.Emit())
		}
		for _, e := range s.Events() {
			text = append(text, e.Name)
			for _, a := range e.Attributes {
				text = append(text, string(a.Key)+"="+a.Value.Emit())
			}
		}
		text = append(text, s.Status().Description)
		assertNoSecrets(p.t, "span "+s.Name(), strings.Join(text, "\n"), p.secrets)
	}
	if verifies != p.decisions {
		p.t.Errorf("%d verify spans for %d decisions", verifies, p.decisions)
	}
}

// TestLogsNeverContainTokenDPoP: DPoP requests refused for every reason
// a proof can give, and accepted; neither the token nor the proof leaks.
func TestLogsNeverContainTokenDPoP(t *testing.T) {
	t.Parallel()
	p := newLeakProbe(t)
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	other := jwtguardtest.NewDPoPKey(t, nil)
	v := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed}, p.options()...)
	nonces := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed, NonceSecret: []byte(strings.Repeat("n", 32))}, p.options()...)
	url := dpopOrigin + "/orders/42"
	send := func(v *jwtguard.Verifier, what, scheme, tok, proof string, want error) {
		t.Helper()
		r := p.request(dpopRequest("GET", "/orders/42"))
		r.Header.Set("Authorization", scheme+" "+tok)
		if proof != "" {
			r.Header.Set("DPoP", proof)
		}
		cl, err := v.Authenticate(r)
		p.decided(v, what, cl, err, want, tok, proof)
	}
	n := 0
	bound := func() string { // a new token each time
		n++
		return idp.Mint(jwtguardtest.Claims{"jti": fmt.Sprintf("t-%d", n)}, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	}

	tok := bound()
	replayed := key.Proof("GET", url, tok, nil, nil)
	send(v, "accepted", "DPoP", tok, replayed, nil)
	send(v, "replayed proof", "DPoP", tok, replayed, dpop.ErrInvalidProof)
	tok = bound()
	send(v, "no proof", "DPoP", tok, "", dpop.ErrInvalidProof)
	tok = bound()
	send(v, "proof for another method", "DPoP", tok, key.Proof("POST", url, tok, nil, nil), dpop.ErrInvalidProof)
	tok = bound()
	send(v, "proof for another URL", "DPoP", tok, key.Proof("GET", dpopOrigin+"/elsewhere", tok, nil, nil), dpop.ErrInvalidProof)
	tok = bound()
	send(v, "proof for another token", "DPoP", tok, key.Proof("GET", url, bound(), nil, nil), dpop.ErrInvalidProof)
	tok = bound()
	send(v, "proof by another key", "DPoP", tok, other.Proof("GET", url, tok, nil, nil), jwtguard.ErrProofOfPossession)
	tok = bound()
	send(v, "old proof", "DPoP", tok, key.Proof("GET", url, tok, jwtguardtest.Claims{"iat": time.Now().Add(-time.Hour).Unix()}, nil), dpop.ErrInvalidProof)
	tok = bound()
	send(v, "proof with a wrong typ", "DPoP", tok, key.Proof("GET", url, tok, nil, map[string]any{"typ": "JWT"}), dpop.ErrInvalidProof)
	tok = bound()
	send(v, "bound token as Bearer", "Bearer", tok, key.Proof("GET", url, tok, nil, nil), jwtguard.ErrProofOfPossession)
	tok = idp.Mint(nil)
	send(v, "unbound token as DPoP", "DPoP", tok, key.Proof("GET", url, tok, nil, nil), jwtguard.ErrProofOfPossession)
	tok = bound()
	send(v, "expired bound token", "DPoP", idp.Mint(jwtguardtest.Claims{"exp": time.Now().Add(-time.Hour).Unix()}, jwtguardtest.WithDPoPBinding(key.Thumbprint())),
		key.Proof("GET", url, tok, nil, nil), jwtguard.ErrTokenExpired)
	tok = bound()
	send(nonces, "no server nonce (logged at Debug)", "DPoP", tok, key.Proof("GET", url, tok, nil, nil), dpop.ErrUseNonce)
	p.check()
}

// TestLogsNeverContainTokenThrottled: failures and the 429s that follow
// them (Retry-After) carry none of the tokens.
func TestLogsNeverContainTokenThrottled(t *testing.T) {
	t.Parallel()
	p := newLeakProbe(t)
	idp := jwtguardtest.NewIssuer(t)
	v := idp.Verifier(t, append(p.options(), jwtguard.WithThrottling(throttle.Config{Failures: 2, Window: time.Minute}))...)
	send := func(what, tok string, want error) {
		t.Helper()
		r := p.request(httptest.NewRequest(http.MethodGet, "/", nil))
		r.RemoteAddr = "192.0.2.7:4711"
		r.Header.Set("Authorization", "Bearer "+tok)
		cl, err := v.Authenticate(r)
		p.decided(v, what, cl, err, want, tok)
	}
	send("forged", idp.TamperedSignature(), jwtguard.ErrInvalidSignature)
	send("expired", idp.Expired(), jwtguard.ErrTokenExpired)
	send("throttled forged", idp.TamperedSignature(), jwtguard.ErrThrottled)
	send("throttled valid", idp.Mint(nil), jwtguard.ErrThrottled)
	cl, err := v.VerifyCredential(p.ctx, jwtguard.Credential{Token: idp.Mint(nil), Scheme: "Bearer", ClientAddr: netip.MustParseAddr("192.0.2.7")})
	p.decided(v, "throttled credential", cl, err, jwtguard.ErrThrottled)
	if e := jwtguard.AsError(err); e.Status != http.StatusTooManyRequests || e.RetryAfter <= 0 {
		t.Fatalf("throttled: status %d, Retry-After %s", e.Status, e.RetryAfter)
	}
	p.check()
}

// TestLogsNeverContainTokenVerifyCredential: credentials from a caller
// without an *http.Request (gRPC), Bearer and DPoP, refused and accepted.
func TestLogsNeverContainTokenVerifyCredential(t *testing.T) {
	t.Parallel()
	p := newLeakProbe(t)
	idp := jwtguardtest.NewIssuer(t)
	key := jwtguardtest.NewDPoPKey(t, nil)
	cert := jwtguardtest.NewClientCertificate(t, "client").Leaf
	v := dpopVerifier(t, idp, dpop.Config{Mode: dpop.Allowed}, p.options()...)
	ctx := p.ctx
	bearer := func(what, tok string, want error) {
		t.Helper()
		cl, err := v.VerifyCredential(ctx, jwtguard.Credential{Token: tok, Scheme: "Bearer", Source: "header", Method: "POST", RequestURI: "/pkg.Service/Method"})
		p.decided(v, what, cl, err, want, tok)
	}
	bearer("accepted", idp.Mint(nil), nil)
	bearer("expired", idp.Expired(), jwtguard.ErrTokenExpired)
	bearer("forged", idp.TamperedSignature(), jwtguard.ErrInvalidSignature)
	bearer("wrong audience", idp.WrongAudience(), jwtguard.ErrInvalidAudience)
	bearer("certificate-bound without its certificate", idp.Mint(nil, jwtguardtest.WithCertificateBinding(cert)), jwtguard.ErrProofOfPossession)
	bearer("malformed", "not-a-jwt-but-a-long-secret-looking-credential", jwtguard.ErrMalformedToken)

	grpcURL := dpopOrigin + "/pkg.Service/Method"
	dpopCred := func(what, tok, proof string, want error) {
		t.Helper()
		cl, err := v.VerifyCredential(ctx, jwtguard.Credential{Token: tok, Scheme: "DPoP", DPoPProof: proof, Method: "POST", RequestURI: "/pkg.Service/Method"})
		p.decided(v, what, cl, err, want, tok, proof)
	}
	tok := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	dpopCred("DPoP accepted", tok, key.Proof("POST", grpcURL, tok, nil, nil), nil)
	tok = idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	dpopCred("DPoP proof for another method", tok, key.Proof("GET", grpcURL, tok, nil, nil), dpop.ErrInvalidProof)
	tok = idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	dpopCred("DPoP without a proof", tok, "", dpop.ErrInvalidProof)
	p.check()
}

// TestLogsNeverContainTokenLogout: back-channel logout tokens, accepted
// and refused.
func TestLogsNeverContainTokenLogout(t *testing.T) {
	t.Parallel()
	p := newLeakProbe(t)
	idp := jwtguardtest.NewIssuer(t)
	v := idp.Verifier(t, p.options()...)
	ctx := p.ctx
	logout := func(what, tok string, want error, audiences ...string) {
		t.Helper()
		cl, err := v.VerifyLogoutToken(ctx, tok, audiences...)
		p.decided(v, what, cl, err, want, tok)
	}
	sid := jwtguardtest.Claims{"sid": "session-1", "sub": "alice"}
	aud := jwtguardtest.DefaultAudience
	logout("accepted", idp.LogoutToken(sid), nil, aud)
	logout("another relying party", idp.LogoutToken(sid), jwtguard.ErrInvalidAudience, "another-client")
	logout("no audiences given", idp.LogoutToken(sid), jwtguard.ErrInvalidAudience)
	logout("an access token", idp.Mint(nil, jwtguardtest.WithHeader("typ", "at+jwt")), jwtguard.ErrInvalidTokenType, aud)
	logout("with a nonce (an ID token)", idp.LogoutToken(jwtguardtest.Claims{"sid": "session-1", "nonce": "n-1"}), jwtguard.ErrInvalidClaim, aud)
	logout("no events", idp.LogoutToken(jwtguardtest.Claims{"sid": "session-1", "events": nil}), jwtguard.ErrMissingClaim, aud)
	logout("no sid or sub", idp.LogoutToken(nil), jwtguard.ErrMissingClaim, aud)
	logout("too old", idp.LogoutToken(jwtguardtest.Claims{"sid": "session-1", "iat": time.Now().Add(-time.Hour).Unix(), "exp": nil}), jwtguard.ErrTokenExpired, aud)
	forged := []byte(idp.LogoutToken(sid))
	if forged[len(forged)-5] == 'A' { // a signature character changed
		forged[len(forged)-5] = 'B'
	} else {
		forged[len(forged)-5] = 'A'
	}
	logout("forged", string(forged), jwtguard.ErrInvalidSignature, aud)
	p.check()
}

// TestLogsNeverContainTokenIntrospection: opaque tokens through the
// introspection endpoint — active, inactive, unknown, an endpoint failing
// with 500 — and JWTs beside them.
func TestLogsNeverContainTokenIntrospection(t *testing.T) {
	t.Parallel()
	p := newLeakProbe(t)
	iss := jwtguardtest.NewIssuer(t)
	v := introVerifier(t, iss, jwtguard.Issuer{}, nil, nil, p.options()...)
	ctx := p.ctx
	verify := func(what, tok string, want error) {
		t.Helper()
		cl, err := v.Verify(ctx, tok)
		p.decided(v, what, cl, err, want, tok)
		r := p.request(httptest.NewRequest(http.MethodGet, "/", nil))
		r.Header.Set("Authorization", "Bearer "+tok)
		cl, err = v.Authenticate(r)
		p.decided(v, what+" (Authenticate)", cl, err, want, tok)
	}
	verify("active", iss.MintOpaque(jwtguardtest.Claims{"sub": "alice", "jti": "o-1", "sid": "s-1", "scope": "a b"}), nil)
	inactive := iss.MintOpaque(nil)
	iss.Deactivate(inactive)
	verify("inactive", inactive, jwtguard.ErrTokenInactive)
	verify("unknown", "opaque-never-issued-0123456789abcdef", jwtguard.ErrTokenInactive)
	verify("expired at the server", iss.MintOpaque(jwtguardtest.Claims{"exp": time.Now().Add(-time.Minute).Unix()}), jwtguard.ErrTokenInactive)
	verify("active, another audience", iss.MintOpaque(jwtguardtest.Claims{"aud": "https://other.example"}), jwtguard.ErrInvalidAudience)
	verify("JWT", iss.Mint(nil), nil)
	verify("forged JWT", iss.TamperedSignature(), jwtguard.ErrInvalidSignature)
	iss.SetIntrospectionFault(func(w http.ResponseWriter, r *http.Request) bool {
		// An endpoint that echoes what it got must not get it into our
		// logs either.
		_ = r.ParseForm()
		http.Error(w, "failed on "+r.PostForm.Get("token"), http.StatusInternalServerError)
		return true
	})
	verify("endpoint failing", iss.MintOpaque(nil), jwtguard.ErrIntrospectionUnavailable)
	p.check()
}

// TestLogsNeverContainTokenCertificateBound: a certificate-bound token
// refused without its certificate or with another one, and accepted with
// it.
func TestLogsNeverContainTokenCertificateBound(t *testing.T) {
	t.Parallel()
	p := newLeakProbe(t)
	idp := jwtguardtest.NewIssuer(t)
	mine := jwtguardtest.NewClientCertificate(t, "mine").Leaf
	other := jwtguardtest.NewClientCertificate(t, "other").Leaf
	v := idp.Verifier(t, p.options()...)
	bound := idp.Mint(nil, jwtguardtest.WithCertificateBinding(mine))
	for _, tc := range []struct {
		what string
		req  *http.Request
		want error
	}{
		{"no certificate", p.request(httptest.NewRequest(http.MethodGet, "/", nil)), jwtguard.ErrProofOfPossession},
		{"another certificate", withCert(p.request(httptest.NewRequest(http.MethodGet, "/", nil)), other), jwtguard.ErrProofOfPossession},
		{"its certificate", withCert(p.request(httptest.NewRequest(http.MethodGet, "/", nil)), mine), nil},
	} {
		tc.req.Header.Set("Authorization", "Bearer "+bound)
		cl, err := v.Authenticate(tc.req)
		p.decided(v, tc.what, cl, err, tc.want, bound)
	}
	cl, err := v.Verify(p.ctx, bound)
	p.decided(v, "Verify (no request)", cl, err, jwtguard.ErrProofOfPossession, bound)
	cl, err = v.VerifyCredential(p.ctx, jwtguard.Credential{Token: bound, Scheme: "Bearer", ClientCertificate: other})
	p.decided(v, "VerifyCredential, another certificate", cl, err, jwtguard.ErrProofOfPossession, bound)
	p.check()
}
