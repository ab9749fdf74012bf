package jwtguard

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strings"
	"sync"
)

// family groups algorithms by the kind of key they need (RFC 7518 §3.1).
type family uint8

const (
	famHMAC family = iota + 1
	famRSA
	famPSS
	famECDSA
	famEdDSA
)

// algSpec describes one supported JWS algorithm.
type algSpec struct {
	name   string
	family family
	hash   crypto.Hash
	curve  elliptic.Curve // ECDSA only
	size   int            // ECDSA: bytes per coordinate; HMAC: minimum key bytes
}

// supportedAlgs lists every algorithm jwtguard can verify. "none" is not,
// and never will be, in this table.
var supportedAlgs = map[string]*algSpec{
	"HS256":   {name: "HS256", family: famHMAC, hash: crypto.SHA256, size: 32},
	"HS384":   {name: "HS384", family: famHMAC, hash: crypto.SHA384, size: 48},
	"HS512":   {name: "HS512", family: famHMAC, hash: crypto.SHA512, size: 64},
	"RS256":   {name: "RS256", family: famRSA, hash: crypto.SHA256},
	"RS384":   {name: "RS384", family: famRSA, hash: crypto.SHA384},
	"RS512":   {name: "RS512", family: famRSA, hash: crypto.SHA512},
	"PS256":   {name: "PS256", family: famPSS, hash: crypto.SHA256},
	"PS384":   {name: "PS384", family: famPSS, hash: crypto.SHA384},
	"PS512":   {name: "PS512", family: famPSS, hash: crypto.SHA512},
	"ES256":   {name: "ES256", family: famECDSA, hash: crypto.SHA256, curve: elliptic.P256(), size: 32},
	"ES384":   {name: "ES384", family: famECDSA, hash: crypto.SHA384, curve: elliptic.P384(), size: 48},
	"ES512":   {name: "ES512", family: famECDSA, hash: crypto.SHA512, curve: elliptic.P521(), size: 66},
	"EdDSA":   {name: "EdDSA", family: famEdDSA},
	"Ed25519": {name: "Ed25519", family: famEdDSA}, // RFC 9864 fully-specified name
}

// SupportedAlgorithms returns the JOSE names of every algorithm jwtguard can
// verify, for use with [WithAlgorithms].
func SupportedAlgorithms() []string {
	return []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
}

// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const minRSABits = 2048

// verifyKey is one verification key, already converted to its Go type.
type verifyKey struct {
	kid    string
	alg    string // the JWK's own "alg", or "" when it names none
	rsa    *rsa.PublicKey
	ec     *ecdsa.PublicKey
	ed     ed25519.PublicKey
	secret []byte

	// macs pools keyed HMAC states for secret, one pool per hash
	// (SHA-256, SHA-384, SHA-512): hmac.New costs several allocations and
	// two hash blocks, Reset costs neither.
	macs [3]sync.Pool
}

// macState is a pooled HMAC with room for its output.
type macState struct {
	mac hash.Hash
	sum [sha512.Size]byte
}

// verifyHMAC checks an HS256/HS384/HS512 signature in constant time.
func (k *verifyKey) verifyHMAC(h crypto.Hash, msg, sig []byte) bool {
	i := 0
	switch h {
	case crypto.SHA384:
		i = 1
	case crypto.SHA512:
		i = 2
	}
	pool := &k.macs[i]
	st, _ := pool.Get().(*macState)
	if st == nil {
		st = &macState{mac: hmac.New(func() hash.Hash { return newHash(h) }, k.secret)}
	}
	st.mac.Write(msg)
	sum := st.mac.Sum(st.sum[:0])
	ok := len(sig) == len(sum) && subtle.ConstantTimeCompare(sum, sig) == 1
	st.mac.Reset()
	pool.Put(st)
	return ok
}

// fits reports whether the key may be used with the algorithm: the key type
// must match the algorithm's family (and curve), and a key that names its own
// alg may only be used with that alg.
func (k *verifyKey) fits(a *algSpec) bool {
	if k.alg != "" && k.alg != a.name {
		// RFC 9864: "EdDSA" and "Ed25519" name the same operation for an
		// Ed25519 key.
		if !(a.family == famEdDSA && k.ed != nil && (k.alg == "EdDSA" || k.alg == "Ed25519")) {
			return false
		}
	}
	switch a.family {
	case famHMAC:
		return k.secret != nil && len(k.secret) >= a.size
	case famRSA, famPSS:
		return k.rsa != nil
	case famECDSA:
		return k.ec != nil && k.ec.Curve == a.curve
	case famEdDSA:
		return k.ed != nil
	}
	return false
}

func (k *verifyKey) kind() string {
	switch {
	case k.rsa != nil:
		return "RSA"
	case k.ec != nil:
		return "EC"
	case k.ed != nil:
		return "OKP"
	case k.secret != nil:
		return "oct"
	}
	return "?"
}

func newHash(h crypto.Hash) hash.Hash {
	switch h {
	case crypto.SHA256:
		return sha256.New()
	case crypto.SHA384:
		return sha512.New384()
	default:
		return sha512.New()
	}
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

// verifySig checks sig over msg with key k under algorithm a. The caller has
// already checked k.fits(a).
func verifySig(a *algSpec, k *verifyKey, msg, sig []byte) bool {
	switch a.family {
	case famHMAC:
		return k.verifyHMAC(a.hash, msg, sig)
	case famRSA:
		sc := scratchPool.Get().(*scratch)
		defer scratchPool.Put(sc)
		return rsa.VerifyPKCS1v15(k.rsa, a.hash, digest(a.hash, msg, &sc.digest), sig) == nil
	case famPSS:
		sc := scratchPool.Get().(*scratch)
		defer scratchPool.Put(sc)
		return rsa.VerifyPSS(k.rsa, a.hash, digest(a.hash, msg, &sc.digest), sig, pssOptions[a.hash]) == nil
	case famECDSA:
		// RFC 7518 §3.4: R || S, each exactly the curve's byte size. r or s
		// of zero (the CVE-2022-21449 shape) is refused here; out-of-range
		// values by ecdsa.VerifyASN1.
		if len(sig) != 2*a.size {
			return false
		}
		sc := scratchPool.Get().(*scratch)
		defer scratchPool.Put(sc)
		der, ok := ecdsaDER(sc.der[:0], sig, a.size)
		if !ok {
			return false
		}
		return ecdsa.VerifyASN1(k.ec, digest(a.hash, msg, &sc.digest), der)
	case famEdDSA:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, msg, sig)
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

// looksLikePublicKey reports whether an HMAC secret is in fact a public key
// in a common encoding — the classic RS256→HS256 confusion material.
func looksLikePublicKey(secret []byte) bool {
	s := string(secret)
	return strings.Contains(s, "-----BEGIN") ||
		(strings.Contains(s, `"kty"`) && (strings.Contains(s, `"n"`) || strings.Contains(s, `"x"`)))
}
