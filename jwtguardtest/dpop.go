package jwtguardtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// DPoPKey is a client's DPoP key (RFC 9449) for tests: tokens are bound
// to it with [WithDPoPBinding], and it signs the proofs that go with
// them.
type DPoPKey struct {
	signer crypto.Signer
	alg    string
	jwk    map[string]any // the public JWK, for the proof header
	jkt    string
	now    func() time.Time
}

// NewDPoPKey returns a fresh ES256 (P-256) DPoP key. Its proofs' iat
// comes from now (nil: time.Now): pass the verifier's clock.
func NewDPoPKey(t testing.TB, now func() time.Time) *DPoPKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewDPoPKeyFrom(key, "ES256", now)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// NewDPoPKeyFrom makes a DPoP key of signer, signing with alg ("ES256",
// "RS256", "PS256", "EdDSA", ...).
func NewDPoPKeyFrom(signer crypto.Signer, alg string, now func() time.Time) (*DPoPKey, error) {
	pub, err := jwk.FromRaw(signer.Public())
	if err != nil {
		return nil, err
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(pub)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &DPoPKey{signer: signer, alg: alg, jwk: m, jkt: base64.RawURLEncoding.EncodeToString(tp), now: now}, nil
}

// Thumbprint returns the key's RFC 7638 thumbprint, the cnf.jkt of the
// tokens bound to it.
func (k *DPoPKey) Thumbprint() string { return k.jkt }

// WithDPoPBinding binds the minted token to the DPoP key whose RFC 7638
// thumbprint is jkt ([DPoPKey.Thumbprint]): its cnf claim gets jkt
// (RFC 9449 §6), as a real authorization server does from the public key
// of the proof sent to its token endpoint. The token is then accepted only
// with a proof signed by that key.
func WithDPoPBinding(jkt string) MintOption {
	return mintOption(func(m *mint) {
		if m.cnf == nil {
			m.cnf = map[string]any{}
		}
		m.cnf["jkt"] = jkt
	})
}

// Proof returns a DPoP proof for a request of method to uri (an absolute
// URI; its query is left out of htu) carrying token (ath = its hash; ""
// for none). claims are merged into the proof's claims (jti, htm, htu,
// iat, ath; a fresh random jti each call): set "nonce", or replace or — with
// a nil value — remove any of them to make a wrong proof. header is merged
// into the header (typ, alg, jwk) likewise.
func (k *DPoPKey) Proof(method, uri, token string, claims Claims, header map[string]any) string {
	htu := uri
	for i := 0; i < len(htu); i++ {
		if htu[i] == '?' || htu[i] == '#' {
			htu = htu[:i]
			break
		}
	}
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	body := map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti[:]), "htm": method, "htu": htu, "iat": k.now().Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		body["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	maps.Copy(body, claims)
	hdr := map[string]any{"typ": "dpop+jwt", "alg": k.alg, "jwk": k.jwk}
	maps.Copy(hdr, header)
	for _, m := range []map[string]any{body, hdr} {
		for name, v := range m {
			if v == nil {
				delete(m, name)
			}
		}
	}
	input := b64(mustJSON(hdr)) + "." + b64(mustJSON(body))
	sig, err := Sign(k.alg, k.signer, nil, []byte(input))
	if err != nil {
		panic("jwtguardtest: " + err.Error())
	}
	return input + "." + b64(sig)
}

// Authorize sets r's Authorization header to "DPoP <token>" and its DPoP
// header to a fresh proof for r's method and URL.
func (k *DPoPKey) Authorize(r *http.Request, token string) {
	r.Header.Set("Authorization", "DPoP "+token)
	u := *r.URL
	if u.Host == "" {
		u.Host = r.Host
	}
	if u.Scheme == "" {
		u.Scheme = "http"
		if r.TLS != nil {
			u.Scheme = "https"
		}
	}
	r.Header.Set("DPoP", k.Proof(r.Method, u.String(), token, nil, nil))
}
