package introspect_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/introspect"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

func TestClientSecretBasic(t *testing.T) {
	t.Parallel()
	cases := []struct{ id, secret, wantUser, wantPass string }{
		{"c", "s", "c", "s"},
		{"resource server", "p:w/d%+é", "resource+server", "p%3Aw%2Fd%25%2B%C3%A9"},
	}
	for _, tc := range cases {
		h := http.Header{}
		form := url.Values{}
		if err := introspect.ClientSecretBasic(tc.id, tc.secret).Apply("https://as.test/i", form, h); err != nil {
			t.Fatal(err)
		}
		r := &http.Request{Header: h}
		u, p, ok := r.BasicAuth()
		if !ok || u != tc.wantUser || p != tc.wantPass {
			t.Errorf("%q/%q: Basic %q %q, want %q %q (RFC 6749 §2.3.1 form-encoding)", tc.id, tc.secret, u, p, tc.wantUser, tc.wantPass)
		}
		if len(form) != 0 {
			t.Errorf("form %v: client_secret_basic puts nothing in the body", form)
		}
	}
}

// opaqueSigner hides the concrete key type, as a KMS or HSM signer does.
type opaqueSigner struct{ crypto.Signer }

func TestPrivateKeyJWTAssertion(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		name   string
		signer crypto.Signer
		alg    string
		kid    string
		verify func(pub crypto.PublicKey, input, sig []byte) bool
	}{
		{"RS256", rsaKey, "RS256", "r1", func(pub crypto.PublicKey, in, sig []byte) bool {
			d := sha256.Sum256(in)
			return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig) == nil
		}},
		{"PS256", rsaKey, "PS256", "", func(pub crypto.PublicKey, in, sig []byte) bool {
			d := sha256.Sum256(in)
			return rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}},
		{"ES256", ecKey, "ES256", "e1", verifyES256},
		{"ES256, opaque signer", opaqueSigner{ecKey}, "ES256", "e1", verifyES256},
		{"EdDSA", edKey, "EdDSA", "d1", func(pub crypto.PublicKey, in, sig []byte) bool {
			return ed25519.Verify(pub.(ed25519.PublicKey), in, sig)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			auth, err := introspect.PrivateKeyJWT("my-client", tc.signer, tc.alg, tc.kid)
			if err != nil {
				t.Fatal(err)
			}
			const endpoint = "https://as.test/introspect"
			jtis := map[string]bool{}
			// ES256 signatures are random: many of them exercise r and s with
			// leading zero bytes, which must keep their 32-byte width.
			for range 40 {
				form, h := url.Values{}, http.Header{}
				before := time.Now()
				if err := auth.Apply(endpoint, form, h); err != nil {
					t.Fatal(err)
				}
				after := time.Now()
				if len(h) != 0 || form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
					t.Fatalf("form %v header %v", form, h)
				}
				parts := strings.Split(form.Get("client_assertion"), ".")
				if len(parts) != 3 {
					t.Fatalf("assertion has %d parts", len(parts))
				}
				var hdr map[string]string
				var claims struct {
					Iss, Sub, Aud, Jti string
					Iat, Exp           int64
				}
				decodePart(t, parts[0], &hdr)
				decodePart(t, parts[1], &claims)
				if hdr["alg"] != tc.alg || hdr["typ"] != "JWT" || hdr["kid"] != tc.kid {
					t.Fatalf("header %v", hdr)
				}
				if claims.Iss != "my-client" || claims.Sub != "my-client" || claims.Aud != endpoint ||
					len(claims.Jti) != 32 || claims.Exp-claims.Iat != 60 || claims.Iat < before.Unix() || claims.Iat > after.Unix() {
					t.Fatalf("claims %+v", claims)
				}
				if jtis[claims.Jti] {
					t.Fatal("jti reused")
				}
				jtis[claims.Jti] = true
				sig, err := base64.RawURLEncoding.DecodeString(parts[2])
				if err != nil || !tc.verify(tc.signer.Public(), []byte(parts[0]+"."+parts[1]), sig) {
					t.Fatalf("signature does not verify (%d bytes, %v)", len(sig), err)
				}
			}
		})
	}
}

func verifyES256(pub crypto.PublicKey, in, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	d := sha256.Sum256(in)
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub.(*ecdsa.PublicKey), d[:], r, s)
}

func decodePart(t *testing.T, part string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestPrivateKeyJWTRefusesMismatches(t *testing.T) {
	t.Parallel()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		name     string
		clientID string
		signer   crypto.Signer
		alg      string
		want     string
	}{
		{"EC key for RS256", "c", ecKey, "RS256", "cannot sign"},
		{"RSA key for ES256", "c", rsaKey, "ES256", "cannot sign"},
		{"P-384 key for ES256", "c", p384, "ES256", "cannot sign"},
		{"Ed25519 key for ES256", "c", edKey, "ES256", "cannot sign"},
		{"RSA key for HS256", "c", rsaKey, "HS256", "cannot sign"},
		{"RSA key for none", "c", rsaKey, "none", "cannot sign"},
		{"1024-bit RSA", "c", smallRSA, "RS256", "at least 2048"},
		{"no client ID", "", ecKey, "ES256", "required"},
		{"no signer", "c", nil, "ES256", "required"},
	}
	for _, tc := range cases {
		auth, err := introspect.PrivateKeyJWT(tc.clientID, tc.signer, tc.alg, "")
		if err == nil || auth != nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "PrivateKeyJWT") {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestPrivateKeyJWTAtEndpoint: the test issuer's endpoint (which verifies
// assertions with jwtguard itself) accepts the registered key only.
func TestPrivateKeyJWTAtEndpoint(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	endpoint := iss.EnableIntrospection(testClient, testSecret)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss.AllowClientKey("pkjwt-client", key.Public(), "ES256")
	tok := iss.MintOpaque(jwtguardtest.Claims{"sub": "bob"})
	for _, tc := range []struct {
		name string
		key  *ecdsa.PrivateKey
		want error
	}{
		{"registered key", key, nil},
		{"unregistered key", other, jwtguard.ErrIntrospectionUnavailable},
	} {
		auth, err := introspect.PrivateKeyJWT("pkjwt-client", tc.key, "ES256", "k1")
		if err != nil {
			t.Fatal(err)
		}
		c, err := introspect.New(endpoint, auth)
		if err != nil {
			t.Fatal(err)
		}
		active, answer, err := c.Introspect(context.Background(), tok, false)
		if !errors.Is(err, tc.want) || (tc.want == nil && (!active || member(t, answer, "sub") != "bob")) {
			t.Fatalf("%s: %v %s %v", tc.name, active, answer, err)
		}
	}
}
