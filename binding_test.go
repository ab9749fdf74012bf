package jwtguard_test

// Sender-constrained tokens, first part (issue 18): a token carrying cnf is
// never accepted without a verified binding — Verify refuses it, Authenticate
// checks a certificate binding against the TLS client certificate, a
// DPoP-bound token presented as a bearer token is refused, and so is a
// DPoP-scheme credential while DPoP is not enabled — cache hits and
// introspection answers included.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

func withCert(r *http.Request, cert *x509.Certificate) *http.Request {
	if cert != nil {
		r.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{cert}}
	}
	return r
}

func TestSenderConstrainedTokens(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	mine := jwtguardtest.NewClientCertificate(t, "mine").Leaf
	other := jwtguardtest.NewClientCertificate(t, "other").Leaf
	certBound := idp.Mint(nil, jwtguardtest.WithCertificateBinding(mine))
	cnf := func(v any) string { return idp.Mint(jwtguardtest.Claims{"cnf": v}) }
	const jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	for _, cached := range []bool{false, true} {
		var opts []jwtguard.Option
		if cached {
			opts = append(opts, jwtguard.WithCache(100, time.Minute))
		}
		v := idp.Verifier(t, opts...)
		dpopHeader := idp.Verifier(t, append(opts, jwtguard.WithExtractor(jwtguard.FromHeader("Authorization", "DPoP")))...)
		cases := []struct {
			name   string
			v      *jwtguard.Verifier
			scheme string
			token  string
			cert   *x509.Certificate
			want   error
		}{
			{"unbound token", v, "Bearer", idp.Mint(nil), nil, nil},
			{"unbound token with a client certificate", v, "Bearer", idp.Mint(nil), other, nil},
			{"certificate-bound, its certificate", v, "Bearer", certBound, mine, nil},
			{"certificate-bound, no certificate", v, "Bearer", certBound, nil, jwtguard.ErrProofOfPossession},
			{"certificate-bound, another certificate", v, "Bearer", certBound, other, jwtguard.ErrProofOfPossession},
			{"DPoP-bound, sent as Bearer", v, "Bearer", cnf(map[string]any{"jkt": jkt}), mine, jwtguard.ErrProofOfPossession},
			{"DPoP-bound and certificate-bound, certificate only", v, "Bearer",
				cnf(map[string]any{"jkt": jkt, "x5t#S256": jwtguardtest.CertificateThumbprint(mine)}), mine, jwtguard.ErrProofOfPossession},
			{"unknown cnf member", v, "Bearer", cnf(map[string]any{"jwk": map[string]any{"kty": "EC"}}), mine, jwtguard.ErrProofOfPossession},
			{"cnf not an object", v, "Bearer", cnf("x"), mine, jwtguard.ErrProofOfPossession},
			{"cnf null", v, "Bearer", cnf(jsonNull{}), mine, jwtguard.ErrProofOfPossession},
			{"cnf empty object", v, "Bearer", cnf(map[string]any{}), mine, jwtguard.ErrProofOfPossession},
			{"cnf.jkt not a string", v, "Bearer", cnf(map[string]any{"jkt": 5}), mine, jwtguard.ErrProofOfPossession},
			{"DPoP scheme without DPoP enabled", dpopHeader, "DPoP", idp.Mint(nil), nil, jwtguard.ErrProofOfPossession},
		}
		for _, c := range cases {
			name := c.name
			if cached {
				name += ", cached"
			}
			t.Run(name, func(t *testing.T) {
				// Twice: the second is a cache hit when the cache is on.
				for range 2 {
					r := withCert(httptest.NewRequest(http.MethodGet, "/", nil), c.cert)
					r.Header.Set("Authorization", c.scheme+" "+c.token)
					cl, err := c.v.Authenticate(r)
					miWant(t, cl, err, wantList(c.want)...)
					if c.want != nil {
						je := jwtguard.AsError(err)
						if je.Status != http.StatusUnauthorized || je.Code != "invalid_token" || je.Detail == "" {
							t.Fatalf("refusal %d %q, Detail %q", je.Status, je.Code, je.Detail)
						}
					}
				}
				// Verify has no request: a bound token is always refused.
				vc, err := c.v.Verify(context.Background(), c.token)
				if bound := strings.Contains(c.token, ".") && c.scheme == "Bearer" && !strings.HasPrefix(c.name, "unbound"); !bound {
					miWant(t, vc, err)
				} else if !errors.Is(err, jwtguard.ErrProofOfPossession) {
					t.Fatalf("Verify: %v, want ErrProofOfPossession", err)
				}
				// VerifyCredential takes the evidence from its caller.
				cl, err := c.v.VerifyCredential(context.Background(), jwtguard.Credential{Token: c.token, Scheme: c.scheme, ClientCertificate: c.cert})
				miWant(t, cl, err, wantList(c.want)...)
			})
		}
	}
}

// jsonNull marshals to null (a nil map value would drop the claim).
type jsonNull struct{}

func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func wantList(err error) []error {
	if err == nil {
		return nil
	}
	return []error{err}
}

// TestSenderConstrainedIntrospection: a cnf in an introspection answer
// binds the opaque token (RFC 9449 §6.2, RFC 8705 §3.2).
func TestSenderConstrainedIntrospection(t *testing.T) {
	t.Parallel()
	mine := jwtguardtest.NewClientCertificate(t, "mine").Leaf
	answer := `{"active":true,"iss":"https://as.example","aud":"` + jwtguardtest.DefaultAudience + `","exp":4102444800,"sub":"u","cnf":{"x5t#S256":"` + jwtguardtest.CertificateThumbprint(mine) + `"}}`
	v := mustNew(t,
		jwtguard.Trust(jwtguard.Issuer{ID: "https://as.example", Audiences: []string{jwtguardtest.DefaultAudience}}),
		jwtguard.WithIntrospection(fixedAnswer(answer)), jwtguard.WithAlgorithms("RS256"), miQuiet())
	_, err := v.Verify(context.Background(), "opaque")
	miWant(t, nil, err, jwtguard.ErrProofOfPossession)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer opaque")
	_, err = v.Authenticate(r)
	miWant(t, nil, err, jwtguard.ErrProofOfPossession)
	cl, err := v.Authenticate(withCert(r, mine))
	miWant(t, cl, err)
}

// fixedAnswer is an Introspector that answers every opaque token with the
// same active answer.
type fixedAnswer string

func (a fixedAnswer) Introspect(_ context.Context, _ string, jwt bool) (bool, []byte, error) {
	if jwt {
		return true, nil, nil
	}
	return true, []byte(a), nil
}
