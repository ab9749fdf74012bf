package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"sync"
)

// Family groups algorithms by the kind of key they need (RFC 7518 §3.1).
type Family uint8

// The algorithm families.
const (
	FamilyHMAC  Family = iota + 1 // HS256, HS384, HS512: a shared secret
	FamilyRSA                     // RS256, RS384, RS512: RSASSA-PKCS1-v1_5
	FamilyPSS                     // PS256, PS384, PS512: RSASSA-PSS
	FamilyECDSA                   // ES256, ES384, ES512
	FamilyEdDSA                   // EdDSA, Ed25519
)

// Alg describes one supported JWS algorithm. Values returned by [LookupAlg]
// are shared: never modify them.
type Alg struct {
	Name   string
	Family Family
	Hash   crypto.Hash    // zero for EdDSA
	Curve  elliptic.Curve // ECDSA only
	Size   int            // ECDSA: bytes per coordinate; HMAC: minimum key bytes
}

// algs lists every algorithm jwtguard can verify. "none" is not, and never
// will be, in this table.
var algs = map[string]*Alg{
	"HS256":   {Name: "HS256", Family: FamilyHMAC, Hash: crypto.SHA256, Size: 32},
	"HS384":   {Name: "HS384", Family: FamilyHMAC, Hash: crypto.SHA384, Size: 48},
	"HS512":   {Name: "HS512", Family: FamilyHMAC, Hash: crypto.SHA512, Size: 64},
	"RS256":   {Name: "RS256", Family: FamilyRSA, Hash: crypto.SHA256},
	"RS384":   {Name: "RS384", Family: FamilyRSA, Hash: crypto.SHA384},
	"RS512":   {Name: "RS512", Family: FamilyRSA, Hash: crypto.SHA512},
	"PS256":   {Name: "PS256", Family: FamilyPSS, Hash: crypto.SHA256},
	"PS384":   {Name: "PS384", Family: FamilyPSS, Hash: crypto.SHA384},
	"PS512":   {Name: "PS512", Family: FamilyPSS, Hash: crypto.SHA512},
	"ES256":   {Name: "ES256", Family: FamilyECDSA, Hash: crypto.SHA256, Curve: elliptic.P256(), Size: 32},
	"ES384":   {Name: "ES384", Family: FamilyECDSA, Hash: crypto.SHA384, Curve: elliptic.P384(), Size: 48},
	"ES512":   {Name: "ES512", Family: FamilyECDSA, Hash: crypto.SHA512, Curve: elliptic.P521(), Size: 66},
	"EdDSA":   {Name: "EdDSA", Family: FamilyEdDSA},
	"Ed25519": {Name: "Ed25519", Family: FamilyEdDSA}, // RFC 9864 fully-specified name
}

// LookupAlg returns the supported algorithm with this exact JOSE name.
func LookupAlg(name string) (*Alg, bool) {
	a, ok := algs[name]
	return a, ok
}

// SupportedAlgs returns the JOSE names of every algorithm jwtguard can
// verify, including the RFC 9864 name Ed25519 next to EdDSA.
func SupportedAlgs() []string {
	return []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
}

// digest hashes the signing input without allocating.
func digest(h crypto.Hash, msg []byte, buf *[64]byte) []byte {
	switch h {
	case crypto.SHA256:
		*(*[32]byte)(buf[:32]) = sha256.Sum256(msg)
		return buf[:32]
	case crypto.SHA384:
		*(*[48]byte)(buf[:48]) = sha512.Sum384(msg)
		return buf[:48]
	default:
		*buf = sha512.Sum512(msg)
		return buf[:64]
	}
}

// scratch holds the per-verification buffers that the crypto packages
// would otherwise make escape to the heap: the digest and the DER form of an
// ECDSA signature.
type scratch struct {
	digest [64]byte
	der    [2*66 + 8]byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// pssOptions are the RSASSA-PSS verification options per hash, made once.
var pssOptions = map[crypto.Hash]*rsa.PSSOptions{
	crypto.SHA256: {SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256},
	crypto.SHA384: {SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA384},
	crypto.SHA512: {SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA512},
}

// Verify checks sig over msg with key k under algorithm a. The caller has
// already checked k.Fits(a); a key of another type gives false.
func Verify(a *Alg, k *Key, msg, sig []byte) bool {
	switch a.Family {
	case FamilyHMAC:
		return k.secret != nil && k.verifyHMAC(a.Hash, msg, sig)
	case FamilyRSA:
		if k.rsa == nil {
			return false
		}
		sc := scratchPool.Get().(*scratch)
		defer scratchPool.Put(sc)
		return rsa.VerifyPKCS1v15(k.rsa, a.Hash, digest(a.Hash, msg, &sc.digest), sig) == nil
	case FamilyPSS:
		if k.rsa == nil {
			return false
		}
		sc := scratchPool.Get().(*scratch)
		defer scratchPool.Put(sc)
		return rsa.VerifyPSS(k.rsa, a.Hash, digest(a.Hash, msg, &sc.digest), sig, pssOptions[a.Hash]) == nil
	case FamilyECDSA:
		// RFC 7518 §3.4: R || S, each exactly the curve's byte size. r or s
		// of zero (the CVE-2022-21449 shape) is refused here; out-of-range
		// values by ecdsa.VerifyASN1.
		if k.ec == nil || len(sig) != 2*a.Size {
			return false
		}
		sc := scratchPool.Get().(*scratch)
		defer scratchPool.Put(sc)
		der, ok := ecdsaDER(sc.der[:0], sig, a.Size)
		if !ok {
			return false
		}
		return ecdsa.VerifyASN1(k.ec, digest(a.Hash, msg, &sc.digest), der)
	case FamilyEdDSA:
		return k.ed != nil && len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, msg, sig)
	}
	return false
}

// ecdsaDER converts a JOSE ECDSA signature (R || S, each size bytes, big
// endian) into the ASN.1 DER form SEQUENCE { INTEGER r, INTEGER s } that
// ecdsa.VerifyASN1 takes, appending to dst. It is what ecdsa.Verify does
// internally, without the big.Int round trip. It reports false when r or s
// is zero.
func ecdsaDER(dst, sig []byte, size int) ([]byte, bool) {
	r, s := trimLeadingZeros(sig[:size]), trimLeadingZeros(sig[size:])
	if len(r) == 0 || len(s) == 0 {
		return nil, false
	}
	intLen := func(v []byte) int {
		if v[0]&0x80 != 0 {
			return len(v) + 1 // a 0x00 keeps the INTEGER positive
		}
		return len(v)
	}
	body := 2 + intLen(r) + 2 + intLen(s) // at most 2+67+2+67 = 138 (P-521)
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body))
	for _, v := range [2][]byte{r, s} {
		dst = append(dst, 0x02, byte(intLen(v)))
		if v[0]&0x80 != 0 {
			dst = append(dst, 0)
		}
		dst = append(dst, v...)
	}
	return dst, true
}

func trimLeadingZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
