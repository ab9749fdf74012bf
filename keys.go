package jwtguard

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// keySet is an immutable, ready-to-use set of verification keys. A lookup by
// kid is one map read.
type keySet struct {
	byKid map[string][]*verifyKey
	all   []*verifyKey
	gen   uint64 // changes whenever the set's content changes
	// anyKid lets keys without a kid verify tokens whose kid no key
	// carries. It is set for static keys (WithKey, WithHMAC, WithKeySet),
	// whose kid-less keys are documented to match tokens with or without kid.
	anyKid bool
	// kidless lists the keys without a kid, for anyKid.
	kidless []*verifyKey
}

var keySetGen atomic.Uint64

func newKeySet(keys []*verifyKey) *keySet {
	ks := &keySet{byKid: make(map[string][]*verifyKey, len(keys)), all: keys, gen: keySetGen.Add(1)}
	for _, k := range keys {
		if k.kid != "" {
			ks.byKid[k.kid] = append(ks.byKid[k.kid], k)
		} else {
			ks.kidless = append(ks.kidless, k)
		}
	}
	return ks
}

// maxKeysTried bounds the signature attempts for a token without kid.
const maxKeysTried = 8

// candidates returns the keys that may verify a token with this kid and alg.
// With a kid only keys with that kid are considered (for static sets, kid-less
// keys instead when no key has that kid); without one, every key whose type fits
// the algorithm.
func (ks *keySet) candidates(kid string, a *algSpec, buf []*verifyKey) []*verifyKey {
	list := ks.all
	if kid != "" {
		list = ks.byKid[kid]
		if len(list) == 0 && ks.anyKid {
			// No key carries this kid: kid-less static keys may verify it.
			list = ks.kidless
		}
	}
	for _, k := range list {
		if k.fits(a) {
			buf = append(buf, k)
			if len(buf) == maxKeysTried {
				break
			}
		}
	}
	return buf
}

// hasKid reports whether any key carries kid.
func (ks *keySet) hasKid(kid string) bool { _, ok := ks.byKid[kid]; return ok }

// keySource provides the current key set.
type keySource interface {
	// current returns the usable key set or an error wrapping
	// ErrKeysUnavailable.
	current() (*keySet, error)
	// refreshUnknownKid asks for a rate-limited refresh because a token
	// named a kid the current set does not hold; it waits at most until the
	// refresh finishes or ctx ends.
	refreshUnknownKid(ctx context.Context)
	// ready blocks until a key set is loaded or ctx ends.
	ready(ctx context.Context) error
	close()
}

// staticSource serves a fixed key set.
type staticSource struct{ ks *keySet }

// newStaticSource serves keys given in configuration (WithKeySet, WithKey,
// WithHMAC, or an IssuerConfig.KeySet). Their kid-less keys also match tokens
// whose kid no key carries.
func newStaticSource(keys []*verifyKey) *staticSource {
	ks := newKeySet(keys)
	ks.anyKid = true
	return &staticSource{ks: ks}
}

func (s *staticSource) current() (*keySet, error)         { return s.ks, nil }
func (s *staticSource) refreshUnknownKid(context.Context) {}
func (s *staticSource) ready(context.Context) error       { return nil }
func (s *staticSource) close()                            {}

// keyFromJWK converts a JWK into a verification key. remote reports whether
// the key came from a published JWKS (where symmetric keys make no sense).
// It returns (nil, reason) for keys that must be skipped.
func keyFromJWK(k jwk.Key, remote bool, log *slog.Logger) (*verifyKey, error) {
	if use := k.KeyUsage(); use != "" && use != "sig" {
		return nil, fmt.Errorf("key use %q is not sig", use)
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
		log.Warn("jwtguard: JWKS contains a private key; using only its public part — the key is compromised and should be rotated",
			slog.String("kid", truncate(k.KeyID())))
		k = pub
	}
	var raw any
	if err := k.Raw(&raw); err != nil {
		return nil, fmt.Errorf("unusable key: %w", err)
	}
	vk, err := keyFromRaw(raw, remote)
	if err != nil {
		return nil, err
	}
	vk.kid = k.KeyID()
	if a := k.Algorithm(); a != nil && a.String() != "" {
		spec, ok := supportedAlgs[a.String()]
		if !ok {
			return nil, fmt.Errorf("key alg %q is not supported", a.String())
		}
		vk.alg = a.String()
		if !vk.fits(spec) {
			return nil, fmt.Errorf("key alg %q does not fit its key type %s", vk.alg, vk.kind())
		}
	}
	return vk, nil
}

// keyFromRaw converts a Go public key (or HMAC secret) into a verification
// key, rejecting weak keys.
func keyFromRaw(raw any, remote bool) (*verifyKey, error) {
	switch key := raw.(type) {
	case *rsa.PublicKey:
		if key.N == nil || key.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key shorter than %d bits", minRSABits)
		}
		return &verifyKey{rsa: key}, nil
	case rsa.PublicKey:
		return keyFromRaw(&key, remote)
	case *rsa.PrivateKey:
		return keyFromRaw(&key.PublicKey, remote)
	case *ecdsa.PublicKey:
		if _, err := key.ECDH(); err != nil {
			return nil, fmt.Errorf("invalid EC public key: %w", err)
		}
		return &verifyKey{ec: key}, nil
	case ecdsa.PublicKey:
		return keyFromRaw(&key, remote)
	case *ecdsa.PrivateKey:
		return keyFromRaw(&key.PublicKey, remote)
	case ed25519.PublicKey:
		if len(key) != ed25519.PublicKeySize {
			return nil, errors.New("invalid Ed25519 public key")
		}
		return &verifyKey{ed: key}, nil
	case ed25519.PrivateKey:
		return keyFromRaw(key.Public(), remote)
	case []byte:
		if remote {
			return nil, errors.New("symmetric key in a published JWKS")
		}
		if len(key) == 0 {
			return nil, errors.New("empty HMAC secret")
		}
		return &verifyKey{secret: append([]byte(nil), key...)}, nil
	case nil:
		return nil, errors.New("nil key")
	default:
		return nil, fmt.Errorf("unsupported key type %T", raw)
	}
}

// keysFromSet converts every usable key of a JWK set; unusable keys are
// skipped and logged. It fails when no key is usable.
func keysFromSet(set jwk.Set, remote bool, log *slog.Logger) ([]*verifyKey, error) {
	if set == nil || set.Len() == 0 {
		return nil, errors.New("key set is empty")
	}
	keys := make([]*verifyKey, 0, set.Len())
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		vk, err := keyFromJWK(k, remote, log)
		if err != nil {
			log.Warn("jwtguard: skipping key", slog.String("kid", truncate(k.KeyID())), slog.String("reason", err.Error()))
			continue
		}
		keys = append(keys, vk)
	}
	if len(keys) == 0 {
		return nil, errors.New("key set holds no usable signature verification key")
	}
	return keys, nil
}

// truncate shortens attacker-controlled strings before they are logged.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
