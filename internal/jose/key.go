package jose

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"sync"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// errNotForSignatures marks keys published for another use (encryption,
// X.509-SVIDs).
var errNotForSignatures = errors.New("not a signature key")

// MinRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const MinRSABits = 2048

// Key is one verification key, already converted to its Go type: an RSA,
// ECDSA or Ed25519 public key, or an HMAC secret. Make keys with
// [KeyFromRaw], [KeyFromJWK] or [KeysFromSet]; a Key must not be copied
// after first use.
type Key struct {
	Kid string // the key's kid, or ""
	Alg string // the JWK's own "alg", or "" when it names none

	rsa    *rsa.PublicKey
	ec     *ecdsa.PublicKey
	ed     ed25519.PublicKey
	secret []byte

	// macs pools keyed HMAC states for secret, one pool per hash
	// (SHA-256, SHA-384, SHA-512): hmac.New costs several allocations and
	// two hash blocks, Reset costs neither.
	macs [3]sync.Pool

	tpOnce sync.Once
	tp     [32]byte // RFC 7638 thumbprint, see Thumbprint
	tpStr  string   // tp in base64url
}

// macState is a pooled HMAC with room for its output.
type macState struct {
	mac hash.Hash
	sum [sha512.Size]byte
}

// verifyHMAC checks an HS256/HS384/HS512 signature in constant time.
func (k *Key) verifyHMAC(h crypto.Hash, msg, sig []byte) bool {
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

// Fits reports whether the key may be used with the algorithm: the key type
// must match the algorithm's family (and curve; HMAC secrets must be at
// least the hash size), and a key that names its own alg may only be used
// with that alg ("EdDSA" and "Ed25519" name the same operation).
func (k *Key) Fits(a *Alg) bool {
	if k.Alg != "" && k.Alg != a.Name {
		// RFC 9864: "EdDSA" and "Ed25519" name the same operation for an
		// Ed25519 key.
		if !(a.Family == FamilyEdDSA && k.ed != nil && (k.Alg == "EdDSA" || k.Alg == "Ed25519")) {
			return false
		}
	}
	switch a.Family {
	case FamilyHMAC:
		return k.secret != nil && len(k.secret) >= a.Size
	case FamilyRSA, FamilyPSS:
		return k.rsa != nil
	case FamilyECDSA:
		return k.ec != nil && k.ec.Curve == a.Curve
	case FamilyEdDSA:
		return k.ed != nil
	}
	return false
}

// Kind returns the JWK key type name: "RSA", "EC", "OKP" or "oct".
func (k *Key) Kind() string {
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

// Equal reports whether k and o are the same key with the same kid and alg.
// Secrets compare in constant time.
func (k *Key) Equal(o *Key) bool {
	if k == nil || o == nil {
		return k == o
	}
	if k.Kid != o.Kid || k.Alg != o.Alg {
		return false
	}
	switch {
	case k.rsa != nil:
		return o.rsa != nil && k.rsa.Equal(o.rsa)
	case k.ec != nil:
		return o.ec != nil && k.ec.Equal(o.ec)
	case k.ed != nil:
		return o.ed != nil && k.ed.Equal(o.ed)
	case k.secret != nil:
		return o.secret != nil && hmac.Equal(k.secret, o.secret)
	}
	return false
}

// KeyFromJWK converts a JWK into a verification key. remote reports whether
// the key came from a published JWKS, where symmetric keys are refused. Keys
// whose use is not "sig" or whose key_ops lack "verify" are refused; a
// private key is reduced to its public part with a warning on log (nil: no
// log). A JWK alg must be supported and fit the key type. The error says
// why a key cannot be used.
func KeyFromJWK(k jwk.Key, remote bool, log *slog.Logger) (*Key, error) {
	if use := k.KeyUsage(); use != "" && use != "sig" {
		return nil, fmt.Errorf("%w: key use %q is not sig", errNotForSignatures, use)
	}
	if ops := k.KeyOps(); len(ops) > 0 {
		ok := false
		for _, op := range ops {
			if op == jwk.KeyOpVerify {
				ok = true
			}
		}
		if !ok {
			return nil, errors.New("key_ops does not include verify")
		}
	}
	if priv, err := jwk.IsPrivateKey(k); err == nil && priv {
		pub, err := k.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("private key could not be reduced to its public part: %w", err)
		}
		if log != nil {
			log.Warn("jwtguard: JWKS contains a private key; using only its public part — the key is compromised and should be rotated",
				slog.String("kid", Truncate(k.KeyID())))
		}
		k = pub
	}
	var raw any
	if err := k.Raw(&raw); err != nil {
		return nil, fmt.Errorf("unusable key: %w", err)
	}
	vk, err := KeyFromRaw(raw, remote)
	if err != nil {
		return nil, err
	}
	vk.Kid = k.KeyID()
	if a := k.Algorithm(); a != nil && a.String() != "" {
		spec, ok := algs[a.String()]
		if !ok {
			return nil, fmt.Errorf("key alg %q is not supported", Truncate(a.String()))
		}
		vk.Alg = spec.Name
		if !vk.Fits(spec) {
			return nil, fmt.Errorf("key alg %q does not fit its key type %s", vk.Alg, vk.Kind())
		}
	}
	return vk, nil
}

// KeyFromRaw converts a Go public key (or private key, reduced to its public
// part), or an HMAC secret given as []byte, into a verification key. RSA
// keys shorter than [MinRSABits], invalid EC points and empty secrets are
// refused; so are secrets when remote is set. A secret is copied.
func KeyFromRaw(raw any, remote bool) (*Key, error) {
	switch key := raw.(type) {
	case *rsa.PublicKey:
		if key == nil || key.N == nil || key.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("RSA key shorter than %d bits", MinRSABits)
		}
		return &Key{rsa: key}, nil
	case rsa.PublicKey:
		return KeyFromRaw(&key, remote)
	case *rsa.PrivateKey:
		if key == nil {
			return nil, errors.New("nil key")
		}
		return KeyFromRaw(&key.PublicKey, remote)
	case *ecdsa.PublicKey:
		if key == nil || key.Curve == nil {
			return nil, errors.New("invalid EC public key")
		}
		if _, err := key.ECDH(); err != nil {
			return nil, fmt.Errorf("invalid EC public key: %w", err)
		}
		return &Key{ec: key}, nil
	case ecdsa.PublicKey:
		return KeyFromRaw(&key, remote)
	case *ecdsa.PrivateKey:
		if key == nil {
			return nil, errors.New("nil key")
		}
		return KeyFromRaw(&key.PublicKey, remote)
	case ed25519.PublicKey:
		if len(key) != ed25519.PublicKeySize {
			return nil, errors.New("invalid Ed25519 public key")
		}
		return &Key{ed: key}, nil
	case ed25519.PrivateKey:
		if len(key) != ed25519.PrivateKeySize {
			return nil, errors.New("invalid Ed25519 private key")
		}
		return KeyFromRaw(key.Public(), remote)
	case []byte:
		if remote {
			return nil, errors.New("symmetric key in a published JWKS")
		}
		if len(key) == 0 {
			return nil, errors.New("empty HMAC secret")
		}
		return &Key{secret: append([]byte(nil), key...)}, nil
	case nil:
		return nil, errors.New("nil key")
	default:
		return nil, fmt.Errorf("unsupported key type %T", raw)
	}
}

// KeysFromSet converts every usable key of a JWK set; unusable keys are
// skipped with a warning on log (nil: no log). It fails when the set is
// empty or no key is usable.
func KeysFromSet(set jwk.Set, remote bool, log *slog.Logger) ([]*Key, error) {
	if set == nil || set.Len() == 0 {
		return nil, errors.New("key set is empty")
	}
	keys := make([]*Key, 0, set.Len())
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		vk, err := KeyFromJWK(k, remote, log)
		if err != nil {
			if log != nil {
				// Encryption keys are published beside signing keys
				// (Keycloak always does): skipping them is routine.
				level := slog.LevelWarn
				if errors.Is(err, errNotForSignatures) {
					level = slog.LevelDebug
				}
				log.Log(context.Background(), level, "jwtguard: skipping key", slog.String("kid", Truncate(k.KeyID())), slog.String("reason", err.Error()))
			}
			continue
		}
		keys = append(keys, vk)
	}
	if len(keys) == 0 {
		return nil, errors.New("key set holds no usable signature verification key")
	}
	return keys, nil
}
