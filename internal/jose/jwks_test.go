package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// spiffeBundle is a SPIFFE trust bundle as a SPIRE bundle endpoint serves
// it: an x509-svid key (no kid) and a jwt-svid key (kid, no alg).
func spiffeBundle(t *testing.T, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	k, err := jwk.FromRaw(pub)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(k)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	x509Key := map[string]any{"use": "x509-svid", "kty": m["kty"], "crv": m["crv"], "x": m["x"], "y": m["y"]}
	jwtKey := map[string]any{"use": "jwt-svid", "kid": "C6vs25welZOx6WksNYfbMfiw9l96pMnD", "kty": m["kty"], "crv": m["crv"], "x": m["x"], "y": m["y"]}
	out, _ := json.Marshal(map[string]any{
		"keys":                []any{x509Key, jwtKey},
		"spiffe_refresh_hint": 300,
		"spiffe_sequence":     12035488,
	})
	return out
}

func TestParseJWKSSpiffeBundle(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, err := ParseJWKS(spiffeBundle(t, &priv.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := KeysFromSet(set, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Kid != "C6vs25welZOx6WksNYfbMfiw9l96pMnD" || keys[0].Alg != "" || keys[0].Kind() != "EC" {
		t.Fatalf("want only the jwt-svid key (kid, no alg), got %d keys %+v", len(keys), keys)
	}
	es256, _ := LookupAlg("ES256")
	if !keys[0].Fits(es256) {
		t.Fatal("the jwt-svid key must verify ES256")
	}
}

func TestParseJWKSOnlyX509SVIDHasNoUsableKey(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	body := strings.ReplaceAll(string(spiffeBundle(t, &priv.PublicKey)), `"jwt-svid"`, `"x509-svid"`)
	set, err := ParseJWKS([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := KeysFromSet(set, true, nil); err == nil {
		t.Fatal("x509-svid keys must not verify JWTs")
	}
}

func TestParseJWKSInvalid(t *testing.T) {
	for _, body := range []string{`{"keys": "jwt-svid"}`, `not json "jwt-svid"`} {
		if _, err := ParseJWKS([]byte(body)); err == nil {
			t.Errorf("%s: want an error", body)
		}
	}
}
