package jose

import (
	"crypto/sha256"
	"encoding/base64"
	"math/big"
)

// Thumbprint returns the key's RFC 7638 JWK SHA-256 thumbprint: the hash of
// the JSON object of its required members in lexicographic order, with no
// whitespace. It names a key independently of its kid and alg (DPoP's
// cnf.jkt, key revocation) and is computed once per Key. For an HMAC
// secret it is the thumbprint of the oct JWK {"k":...,"kty":"oct"}, a
// SHA-256 of the secret that does not reveal it.
func (k *Key) Thumbprint() [32]byte {
	k.tpOnce.Do(k.thumbprint)
	return k.tp
}

// ThumbprintString is [Key.Thumbprint] in base64url without padding, the
// form RFC 7638 and RFC 9449 (cnf.jkt) use; also computed once.
func (k *Key) ThumbprintString() string {
	k.tpOnce.Do(k.thumbprint)
	return k.tpStr
}

func (k *Key) thumbprint() {
	k.tp = sha256.Sum256(k.thumbprintInput())
	k.tpStr = base64.RawURLEncoding.EncodeToString(k.tp[:])
}

// thumbprintInput builds the canonical JSON of RFC 7638 §3.2. Every value
// is base64url or a fixed name, so no JSON escaping is needed.
func (k *Key) thumbprintInput() []byte {
	b64 := base64.RawURLEncoding
	var b []byte
	switch {
	case k.rsa != nil:
		b = append(b, `{"e":"`...)
		b = b64.AppendEncode(b, big.NewInt(int64(k.rsa.E)).Bytes())
		b = append(b, `","kty":"RSA","n":"`...)
		b = b64.AppendEncode(b, k.rsa.N.Bytes())
		b = append(b, `"}`...)
	case k.ec != nil:
		pt, err := k.ec.Bytes() // uncompressed: 0x04 || X || Y, each padded to the field size
		if err != nil || len(pt) < 3 || pt[0] != 4 {
			return nil
		}
		n := (len(pt) - 1) / 2
		b = append(b, `{"crv":"`...)
		b = append(b, k.ec.Curve.Params().Name...)
		b = append(b, `","kty":"EC","x":"`...)
		b = b64.AppendEncode(b, pt[1:1+n])
		b = append(b, `","y":"`...)
		b = b64.AppendEncode(b, pt[1+n:])
		b = append(b, `"}`...)
	case k.ed != nil:
		b = append(b, `{"crv":"Ed25519","kty":"OKP","x":"`...)
		b = b64.AppendEncode(b, k.ed)
		b = append(b, `"}`...)
	case k.secret != nil:
		b = append(b, `{"k":"`...)
		b = b64.AppendEncode(b, k.secret)
		b = append(b, `","kty":"oct"}`...)
	}
	return b
}
