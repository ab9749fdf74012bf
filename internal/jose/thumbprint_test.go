package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// TestThumbprintRFC7638 checks the example of RFC 7638 §3.1.
func TestThumbprintRFC7638(t *testing.T) {
	const example = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	jk, err := jwk.ParseKey([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	k, err := KeyFromJWK(jk, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.ThumbprintString(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Fatalf("thumbprint %s, want %s (RFC 7638 §3.1)", got, want)
	}
	if k.Thumbprint() != k.Thumbprint() {
		t.Fatal("thumbprint not stable")
	}
}

// TestThumbprintMatchesJWX compares every key type with jwx's independent
// implementation.
func TestThumbprintMatchesJWX(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	var eks []any
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		ek, _ := ecdsa.GenerateKey(c, rand.Reader)
		eks = append(eks, &ek.PublicKey)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	raws := append([]any{&rk.PublicKey, edPub, []byte("a-secret-of-at-least-thirty-two-bytes!!")}, eks...)
	for _, raw := range raws {
		k, err := KeyFromRaw(raw, false)
		if err != nil {
			t.Fatal(err)
		}
		jk, err := jwk.FromRaw(raw)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jk.Thumbprint(crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.Thumbprint(); string(got[:]) != string(want) {
			t.Errorf("%s: thumbprint differs from jwx's", k.Kind())
		}
		// The canonical input is valid JSON with exactly the required members.
		var m map[string]any
		if err := json.Unmarshal(k.thumbprintInput(), &m); err != nil {
			t.Errorf("%s: canonical input is not JSON: %v", k.Kind(), err)
		}
	}
}
