package jwtguard_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/mtls"
)

// TestCertificateBindingModes (issue 18): with mtls.Required — verifier-wide
// (WithCertificateBinding) or per issuer (Issuer.CertificateBinding) —
// only tokens bound to the request's client certificate are accepted,
// through Authenticate and VerifyCredential, cache hits included; Verify
// (no certificate) refuses every token of such an issuer. An issuer
// mtls.Allowed under a verifier-wide Required accepts unbound tokens.
func TestCertificateBindingModes(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	mine := jwtguardtest.NewClientCertificate(t, "mine").Leaf
	other := jwtguardtest.NewClientCertificate(t, "other").Leaf
	key := jwtguardtest.NewDPoPKey(t, nil)
	bound := idp.Mint(nil, jwtguardtest.WithCertificateBinding(mine))
	plain := idp.Mint(nil)
	dpopBound := idp.Mint(nil, jwtguardtest.WithDPoPBinding(key.Thumbprint()))
	entry := func(m mtls.Mode) jwtguard.Option {
		return jwtguard.Trust(jwtguard.Issuer{ID: idp.URL(), Keys: jwtguard.Discovery(), CertificateBinding: m})
	}
	newV := func(t *testing.T, cached bool, opts ...jwtguard.Option) *jwtguard.Verifier {
		opts = append(opts, jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms(jwtguardtest.Algorithms...))
		if cached {
			opts = append(opts, jwtguard.WithCache(100, time.Minute))
		}
		v, err := jwtguard.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = v.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := v.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, cached := range []bool{false, true} {
		wide := newV(t, cached, entry(mtls.Inherit), jwtguard.WithCertificateBinding(mtls.Config{Mode: mtls.Required}))
		perIssuer := newV(t, cached, entry(mtls.Required))
		allowedHere := newV(t, cached, entry(mtls.Allowed), jwtguard.WithCertificateBinding(mtls.Config{Mode: mtls.Required}))
		byDefault := newV(t, cached, entry(mtls.Inherit))
		for _, c := range []struct {
			name  string
			v     *jwtguard.Verifier
			token string
			cert  *x509.Certificate
			want  error
		}{
			{"required verifier-wide: bound, its certificate", wide, bound, mine, nil},
			{"required verifier-wide: unbound", wide, plain, mine, jwtguard.ErrProofOfPossession},
			{"required verifier-wide: bound, another certificate", wide, bound, other, jwtguard.ErrProofOfPossession},
			{"required verifier-wide: DPoP-bound", wide, dpopBound, mine, jwtguard.ErrProofOfPossession},
			{"required for the issuer: bound, its certificate", perIssuer, bound, mine, nil},
			{"required for the issuer: unbound", perIssuer, plain, nil, jwtguard.ErrProofOfPossession},
			{"allowed for the issuer under a required default: unbound", allowedHere, plain, nil, nil},
			{"allowed for the issuer: bound, no certificate", allowedHere, bound, nil, jwtguard.ErrProofOfPossession},
			{"default (allowed): unbound", byDefault, plain, nil, nil},
			{"default (allowed): bound, its certificate", byDefault, bound, mine, nil},
		} {
			name := c.name
			if cached {
				name += ", cached"
			}
			t.Run(name, func(t *testing.T) {
				for range 2 { // the second a cache hit when the cache is on
					r := withCert(httptest.NewRequest(http.MethodGet, "/", nil), c.cert)
					r.Header.Set("Authorization", "Bearer "+c.token)
					cl, err := c.v.Authenticate(r)
					miWant(t, cl, err, wantList(c.want)...)
					if c.want != nil {
						je := jwtguard.AsError(err)
						if je.Status != http.StatusUnauthorized || je.Code != "invalid_token" || je.Detail == "" {
							t.Fatalf("refusal %d %q, Detail %q", je.Status, je.Code, je.Detail)
						}
						rec := httptest.NewRecorder()
						c.v.WriteError(rec, err)
						if strings.Contains(rec.Body.String(), "x5t") || strings.Contains(rec.Body.String(), "Required") {
							t.Fatalf("the client sees the operator's detail: %s", rec.Body)
						}
					}
				}
				cl, err := c.v.VerifyCredential(context.Background(), jwtguard.Credential{Token: c.token, Scheme: "Bearer", ClientCertificate: c.cert})
				miWant(t, cl, err, wantList(c.want)...)
				// Verify has no certificate: nothing passes a required issuer.
				if c.v == wide || c.v == perIssuer {
					_, err := c.v.Verify(context.Background(), c.token)
					miWant(t, nil, err, jwtguard.ErrProofOfPossession)
				}
			})
		}
	}
}

// TestCertificateBindingConfig: a mode left unset or out of range is a
// configuration error naming where it is.
func TestCertificateBindingConfig(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	for _, c := range []struct {
		name string
		opts []jwtguard.Option
		want string
	}{
		{"verifier-wide mode unset", []jwtguard.Option{jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()), jwtguard.WithCertificateBinding(mtls.Config{})}, "WithCertificateBinding: Mode is not set"},
		{"verifier-wide mode out of range", []jwtguard.Option{jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()), jwtguard.WithCertificateBinding(mtls.Config{Mode: 9})}, "WithCertificateBinding: Mode 9 is not a mode"},
		{"issuer mode out of range", []jwtguard.Option{jwtguard.Trust(jwtguard.Issuer{ID: idp.URL(), Keys: jwtguard.Discovery(), CertificateBinding: 7})}, "CertificateBinding 7 is not a mode"},
		{"given twice", []jwtguard.Option{jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
			jwtguard.WithCertificateBinding(mtls.Config{Mode: mtls.Allowed}), jwtguard.WithCertificateBinding(mtls.Config{Mode: mtls.Required})}, "WithCertificateBinding"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := append(c.opts, jwtguard.WithAudience(jwtguardtest.DefaultAudience), jwtguard.WithAlgorithms("RS256"))
			v, err := jwtguard.New(opts...)
			if err == nil {
				_ = v.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// Only tokens bound to the client's certificate (RFC 8705) are accepted:
// a bound token with its certificate passes, a bearer token does not.
func ExampleWithCertificateBinding() {
	idp, err := jwtguardtest.StartIssuer() // a test identity provider
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()
	v, err := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("RS256"),
		jwtguard.WithCertificateBinding(mtls.Config{Mode: mtls.Required}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		log.Fatal(err)
	}
	cert := exampleClientCertificate() // the client's TLS certificate (r.TLS.PeerCertificates[0])
	bound := idp.Mint(jwtguardtest.Claims{"sub": "alice"}, jwtguardtest.WithCertificateBinding(cert))
	c, err := v.VerifyCredential(ctx, jwtguard.Credential{Token: bound, Scheme: "Bearer", ClientCertificate: cert})
	fmt.Println(c.Subject, err)
	_, err = v.VerifyCredential(ctx, jwtguard.Credential{Token: idp.Mint(nil), Scheme: "Bearer", ClientCertificate: cert})
	fmt.Println(errors.Is(err, jwtguard.ErrProofOfPossession))
	// Output:
	// alice <nil>
	// true
}

// exampleClientCertificate is a self-signed client certificate (RFC 8705
// §3 allows them: the binding, not a CA, proves possession).
func exampleClientCertificate() *x509.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	return cert
}
