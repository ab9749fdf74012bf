package jose

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// TestLooksLikePublicKeyDER is issue 12 item 16: an HMAC secret that is a
// public key or certificate in any common encoding — PEM, DER, base64 DER,
// JWK — is refused, and random secrets are not.
func TestLooksLikePublicKeyDER(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spki := func(pub any) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	jwkJSON := func(raw any) []byte {
		k, err := jwk.FromRaw(raw)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	pkcs1 := x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)
	cases := []struct {
		name   string
		secret []byte
		want   bool
	}{
		{"PEM SPKI RSA", pemOf("PUBLIC KEY", spki(&rsaKey.PublicKey)), true},
		{"PEM PKCS1 RSA", pemOf("RSA PUBLIC KEY", pkcs1), true},
		{"PEM certificate", pemOf("CERTIFICATE", cert), true},
		{"DER SPKI RSA", spki(&rsaKey.PublicKey), true},
		{"DER SPKI EC", spki(&ecKey.PublicKey), true},
		{"DER SPKI Ed25519", spki(edPub), true},
		{"DER PKCS1 RSA", pkcs1, true},
		{"DER certificate", cert, true},
		{"base64 DER SPKI RSA", []byte(base64.StdEncoding.EncodeToString(spki(&rsaKey.PublicKey))), true},
		{"base64url DER certificate", []byte(base64.RawURLEncoding.EncodeToString(cert)), true},
		{"JWK JSON RSA", jwkJSON(&rsaKey.PublicKey), true},
		{"JWK JSON EC", jwkJSON(&ecKey.PublicKey), true},
		{"JWK JSON OKP", jwkJSON(edPub), true},
		{"random 32 bytes", random(32), false},
		{"random 64 bytes", random(64), false},
		{"random 32 bytes base64", []byte(base64.StdEncoding.EncodeToString(random(32))), false},
		{"passphrase", []byte("correct horse battery staple, but longer than 32"), false},
	}
	for _, c := range cases {
		if got := LooksLikePublicKey(c.secret); got != c.want {
			t.Errorf("%s: LooksLikePublicKey = %v, want %v", c.name, got, c.want)
		}
	}
	// Random secrets starting with a DER SEQUENCE tag are still secrets.
	for range 1000 {
		s := random(32 + int(random(1)[0])%33)
		s[0] = 0x30
		if LooksLikePublicKey(s) {
			t.Fatalf("random secret %x flagged as a public key", s)
		}
	}
}
