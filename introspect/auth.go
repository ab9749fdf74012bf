package introspect

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"time"
)

// ClientAuth authenticates the client to the introspection endpoint
// (RFC 7662 §2.1 requires the protected resource to authenticate). Use
// [ClientSecretBasic] or [PrivateKeyJWT], or implement it for another
// method. It must be safe for concurrent use.
type ClientAuth interface {
	// Apply adds credentials for one request to endpoint: to header (HTTP
	// Basic) and/or to form (client assertions), which becomes the
	// request body.
	Apply(endpoint string, form url.Values, header http.Header) error
}

type clientSecretBasic struct{ id, secret string }

// ClientSecretBasic authenticates with HTTP Basic, client_id and secret
// form-encoded first as RFC 6749 §2.3.1 requires (so a secret may contain
// ':').
func ClientSecretBasic(clientID, secret string) ClientAuth {
	return clientSecretBasic{id: clientID, secret: secret}
}

// Apply sets the Authorization header.
func (c clientSecretBasic) Apply(_ string, _ url.Values, h http.Header) error {
	cred := url.QueryEscape(c.id) + ":" + url.QueryEscape(c.secret)
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	return nil
}

// assertionLifetime is the lifetime of a private_key_jwt client assertion.
const assertionLifetime = time.Minute

type privateKeyJWT struct {
	id, alg, kid string
	key          crypto.Signer
	now          func() time.Time
}

// PrivateKeyJWT authenticates with a signed client assertion (RFC 7523
// §2.2, OpenID Connect Core §9 "private_key_jwt"): a JWT with iss and sub
// clientID, aud the endpoint, a fresh jti and a 60-second lifetime, sent as
// client_assertion with a new jti on every request. alg is RS256 or PS256
// (an RSA key of at least 2048 bits), ES256 (a P-256 key) or EdDSA (an
// Ed25519 key); kid, the key's ID at the authorization server, may be
// empty. signer may be any [crypto.Signer] (a key in a KMS or HSM); its
// public key decides which algorithms it can use. The assertion's times come
// from the system clock, not [WithClock].
func PrivateKeyJWT(clientID string, signer crypto.Signer, alg, kid string) (ClientAuth, error) {
	if clientID == "" || signer == nil {
		return nil, errors.New("introspect: PrivateKeyJWT: client ID and signer are required")
	}
	ok := false
	switch k := signer.Public().(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("introspect: PrivateKeyJWT: RSA key of %d bits (at least 2048 required)", k.N.BitLen())
		}
		ok = alg == "RS256" || alg == "PS256"
	case *ecdsa.PublicKey:
		ok = alg == "ES256" && k.Curve == elliptic.P256()
	case ed25519.PublicKey:
		ok = alg == "EdDSA"
	}
	if !ok {
		return nil, fmt.Errorf("introspect: PrivateKeyJWT: a %T key cannot sign %q (use RS256/PS256, ES256 with P-256 or EdDSA with Ed25519)", signer.Public(), alg)
	}
	return &privateKeyJWT{id: clientID, alg: alg, kid: kid, key: signer, now: time.Now}, nil
}

// Apply adds a freshly signed client_assertion to the form.
func (p *privateKeyJWT) Apply(endpoint string, form url.Values, _ http.Header) error {
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	now := p.now()
	hdr := map[string]string{"alg": p.alg, "typ": "JWT"}
	if p.kid != "" {
		hdr["kid"] = p.kid
	}
	hb, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	cb, err := json.Marshal(map[string]any{
		"iss": p.id, "sub": p.id, "aud": endpoint, "jti": hex.EncodeToString(jti[:]),
		"iat": now.Unix(), "exp": now.Add(assertionLifetime).Unix(),
	})
	if err != nil {
		return err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(cb)
	sig, err := p.sign([]byte(input))
	if err != nil {
		return fmt.Errorf("signing the client assertion: %w", err)
	}
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", input+"."+enc.EncodeToString(sig))
	return nil
}

// sign returns the JWS signature of input (RFC 7518 §3).
func (p *privateKeyJWT) sign(input []byte) ([]byte, error) {
	if p.alg == "EdDSA" {
		return p.key.Sign(rand.Reader, input, crypto.Hash(0))
	}
	d := sha256.Sum256(input)
	switch p.alg {
	case "RS256":
		return p.key.Sign(rand.Reader, d[:], crypto.SHA256)
	case "PS256":
		return p.key.Sign(rand.Reader, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	case "ES256":
		der, err := p.key.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			return nil, err
		}
		return ecdsaRS(der, 32)
	}
	return nil, fmt.Errorf("unsupported alg %q", p.alg)
}

// ecdsaRS converts an ASN.1 DER ECDSA signature (what [crypto.Signer]
// returns) to the JWS encoding: r and s as size-byte big-endian values,
// concatenated (RFC 7518 §3.4).
func ecdsaRS(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil ||
		sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 8*size || sig.S.BitLen() > 8*size {
		return nil, errors.New("malformed ECDSA signature from the signer")
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}
