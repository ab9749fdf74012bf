package jwks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// selfSigned returns a PEM certificate for pub, signed by priv.
func selfSigned(t *testing.T, priv any, pub any) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "securetoken.system.gserviceaccount.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(-time.Minute), // expired: validity is not checked
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestX509MapKeySet(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	body, _ := json.Marshal(map[string]string{
		"2b1e7c4a9d0f3e6b8c5a2d7f1e4b9c0a6d3f8e25": selfSigned(t, rsaKey, &rsaKey.PublicKey),
		"6f8d2a0c4e1b9f7a3d5c8e0b2f4a6c1d9e3b7f50": selfSigned(t, ecKey, &ecKey.PublicKey),
		"weak":    selfSigned(t, small, &small.PublicKey),                                              // skipped: RSA < 2048 bits
		"garbage": pemCertificate + "\nAAAA\n-----END CERTIFICATE-----\n",                              // skipped
		"":        selfSigned(t, rsaKey, &rsaKey.PublicKey),                                            // skipped: no kid
		"two":     selfSigned(t, rsaKey, &rsaKey.PublicKey) + selfSigned(t, rsaKey, &rsaKey.PublicKey), // skipped
	})
	var log logBuffer
	e := &endpoint{serve: serveBody(body, "Cache-Control", "public, max-age=19204")}
	s := start(t, memConfig(e, log.Logger()), "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com")
	mustReady(t, s)
	ks, err := s.Current()
	if err != nil {
		t.Fatal(err)
	}
	if len(ks.Keys()) != 2 || !ks.HasKid("2b1e7c4a9d0f3e6b8c5a2d7f1e4b9c0a6d3f8e25") || !ks.HasKid("6f8d2a0c4e1b9f7a3d5c8e0b2f4a6c1d9e3b7f50") {
		t.Fatalf("want the RSA and EC certificates' keys, got %d keys", len(ks.Keys()))
	}
	for _, k := range ks.Keys() {
		if k.Alg != "" {
			t.Errorf("kid %s: a certificate names no alg, got %q", k.Kid, k.Alg)
		}
	}
	if got := len(log.Lines("skipping key")); got != 4 {
		t.Errorf("want 4 skipped entries logged, got %d:\n%s", got, log.String())
	}
}

func TestX509MapDetection(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	cert := selfSigned(t, rsaKey, &rsaKey.PublicKey)
	jwkKey, _ := jwk.FromRaw(&rsaKey.PublicKey)
	_ = jwkKey.Set(jwk.KeyIDKey, "k1")
	jwkJSON, _ := json.Marshal(jwkKey)
	enc := func(v any) []byte { b, _ := json.Marshal(v); return b }
	for _, tc := range []struct {
		name string
		body []byte
		keys int // 0: refused
	}{
		{"x509 map", enc(map[string]string{"k1": cert}), 1},
		{"x509 map with leading space", append([]byte("  \n"), enc(map[string]string{"k1": cert})...), 1},
		{"JWKS", []byte(`{"keys":[` + string(jwkJSON) + `]}`), 1},
		{"JWKS with a certificate-looking extra member", []byte(`{"keys":[` + string(jwkJSON) + `],"note":"` + pemCertificate + `"}`), 1},
		{"map with a non-PEM value", enc(map[string]any{"k1": cert, "k2": "hello"}), 0},
		{"map with a number", enc(map[string]any{"k1": cert, "k2": 3}), 0},
		{"empty object", []byte(`{}`), 0},
		{"map of only unusable certificates", enc(map[string]string{"k1": pemCertificate + "\n-----END CERTIFICATE-----\n"}), 0},
		{"private key PEM", enc(map[string]string{"k1": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := parseKeys(tc.body, nil)
			if tc.keys == 0 {
				if err == nil {
					t.Fatalf("want refused, got %d keys", len(keys))
				}
				return
			}
			if err != nil || len(keys) != tc.keys || keys[0].Kid != "k1" {
				t.Fatalf("want %d key(s) with kid k1, got %v, %v", tc.keys, keys, err)
			}
		})
	}
}

func TestSpiffeBundleKeySet(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, _ := jwk.FromRaw(&ecKey.PublicKey)
	b, _ := json.Marshal(k)
	member := strings.TrimPrefix(string(b), "{")
	body := `{"keys":[{"use":"x509-svid",` + member + `,{"use":"jwt-svid","kid":"svid-1",` + member + `],"spiffe_sequence":1,"spiffe_refresh_hint":300}`
	e := &endpoint{serve: serveBody([]byte(body))}
	s := start(t, memConfig(e, nil), "https://spire.acme.example:8443/bundle")
	mustReady(t, s)
	ks, err := s.Current()
	if err != nil {
		t.Fatal(err)
	}
	if len(ks.Keys()) != 1 || !ks.HasKid("svid-1") {
		t.Fatalf("want the jwt-svid key only, got %d keys", len(ks.Keys()))
	}
}
