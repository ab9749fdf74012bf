package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// The floors: what any verifier must at least pay.

// floorCrypto verifies only the signature over the (already split and
// decoded) signing input: hashing plus the public-key operation.
func floorCrypto(tb testing.TB, alg string) verifyFunc {
	tok := fx.tokens[alg]
	i := strings.LastIndexByte(tok, '.')
	msg := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		tb.Fatal(err)
	}
	check := sigChecker(alg)
	return func(string) error {
		if !check(msg, sig) {
			return errors.New("bad signature")
		}
		return nil
	}
}

// sigChecker returns the stdlib signature check for alg.
func sigChecker(alg string) func(msg, sig []byte) bool {
	switch alg {
	case "HS256":
		secret := fx.secret
		return func(msg, sig []byte) bool {
			m := hmac.New(sha256.New, secret)
			m.Write(msg)
			return hmac.Equal(m.Sum(nil), sig)
		}
	case "RS256":
		k := fx.rsaKey()
		return func(msg, sig []byte) bool {
			d := sha256.Sum256(msg)
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig) == nil
		}
	case "ES256":
		k := fx.ecKey()
		return func(msg, sig []byte) bool {
			if len(sig) != 64 {
				return false
			}
			d := sha256.Sum256(msg)
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(k, d[:], r, s)
		}
	case "EdDSA":
		k := fx.edKey()
		return func(msg, sig []byte) bool { return ed25519.Verify(k, msg, sig) }
	}
	panic("unknown alg " + alg)
}

// minimalClaims is the claim set of the benchmark tokens.
type minimalClaims struct {
	Iss    string   `json:"iss"`
	Sub    string   `json:"sub"`
	Aud    string   `json:"aud"`
	Exp    int64    `json:"exp"`
	Iat    int64    `json:"iat"`
	Roles  []string `json:"roles"`
	Tenant string   `json:"tenant_id"`
}

// floorMinimal is the smallest honest hand-written verifier: split,
// base64url, encoding/json, stdlib crypto, and the iss/aud/exp checks. It
// has none of jwtguard's hardening (duplicate members, canonical base64,
// crit, typ, size caps, key selection by kid, ...).
func floorMinimal(tb testing.TB, alg string) verifyFunc {
	check := sigChecker(alg)
	iss, aud := fx.issuer, fx.aud
	return func(tok string) error {
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			return errors.New("malformed")
		}
		hb, err := base64.RawURLEncoding.DecodeString(parts[0])
		if err != nil {
			return err
		}
		var hdr struct {
			Alg string `json:"alg"`
			Kid string `json:"kid"`
			Typ string `json:"typ"`
		}
		if err := json.Unmarshal(hb, &hdr); err != nil {
			return err
		}
		if hdr.Alg != alg {
			return errors.New("alg")
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			return err
		}
		if !check([]byte(tok[:len(parts[0])+1+len(parts[1])]), sig) {
			return errors.New("bad signature")
		}
		pb, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			return err
		}
		var c minimalClaims
		if err := json.Unmarshal(pb, &c); err != nil {
			return err
		}
		if c.Iss != iss {
			return errors.New("iss")
		}
		if c.Aud != aud {
			return errors.New("aud")
		}
		if c.Exp == 0 || time.Now().Unix() >= c.Exp {
			return errors.New("exp")
		}
		return nil
	}
}
