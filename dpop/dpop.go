// Package dpop configures DPoP — OAuth 2.0 Demonstrating Proof of
// Possession, RFC 9449 — for a jwtguard verifier: whether an issuer's
// tokens may or must be DPoP-bound, which proof algorithms and external
// origins are accepted, server nonces, and the replay cache that remembers
// used proofs. The checks themselves run in the verifier
// (jwtguard.WithDPoP, Verifier.Authenticate).
//
// A DPoP-bound access token carries cnf.jkt, the RFC 7638 thumbprint of a
// key the client holds; every request presents it with
// "Authorization: DPoP <token>" and a fresh proof in the DPoP header: a
// JWT signed with that key, naming the request's method and URI, the hash
// of the token and a unique jti. A stolen token is useless without the
// key, and a stolen proof cannot be replayed.
package dpop

import (
	"context"
	"errors"
	"time"
)

// Mode says whether DPoP-bound tokens are accepted, and whether bearer
// tokens still are.
type Mode uint8

// The modes. A token that is DPoP-bound (cnf.jkt) is never accepted
// without a valid proof, whatever the mode.
const (
	// Inherit, the zero value, is for jwtguard.Issuer.DPoP: the entry
	// takes the verifier-wide Config.Mode (Disabled without WithDPoP).
	Inherit Mode = iota
	// Disabled accepts bearer tokens only; a DPoP-scheme request is
	// refused.
	Disabled
	// Allowed accepts both: bearer tokens, and DPoP-bound tokens with a
	// proof. Refusals carry both challenges.
	Allowed
	// Required accepts DPoP-bound tokens with a proof only.
	Required
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case Inherit:
		return "inherit"
	case Disabled:
		return "disabled"
	case Allowed:
		return "allowed"
	case Required:
		return "required"
	}
	return "invalid"
}

// Defaults of [Config].
const (
	// DefaultProofLifetime is how old a proof may be (by its iat).
	DefaultProofLifetime = time.Minute
	// DefaultNonceLifetime is how long a server nonce is issued for; it
	// is accepted for up to twice as long.
	DefaultNonceLifetime = 5 * time.Minute
)

// DefaultAlgorithms are the proof algorithms accepted when
// Config.Algorithms is empty: the asymmetric ones clients use.
var DefaultAlgorithms = []string{"ES256", "ES384", "ES512", "PS256", "RS256", "EdDSA"}

// Config configures DPoP for a verifier (jwtguard.WithDPoP). jwtguard.New
// checks it and fails, naming the field, when it is incomplete.
type Config struct {
	// Mode is the verifier-wide mode, Allowed or Required (or Disabled,
	// when only some issuers use DPoP through their Issuer.DPoP). It must
	// be set.
	Mode Mode
	// Algorithms are the accepted proof algorithms: asymmetric only
	// (RFC 9449 §4.2); default DefaultAlgorithms. They are sent in the
	// challenge's algs parameter.
	Algorithms []string
	// Origins are the external origins the service answers on
	// ("https://api.example.com", "https://api.example.com:8443"): a
	// proof's htu must be one of them followed by the request's path
	// (r.RequestURI as received, so http.StripPrefix, chi's Mount and
	// Echo groups do not change it). The Host header is chosen by the
	// client, so it is not trusted unless InsecureTrustHostHeader is set;
	// behind a proxy that forwards the origin, set Origin in
	// jwtguard.WithTrustedProxies instead. New fails without any of the
	// three.
	Origins []string
	// InsecureTrustHostHeader builds the origin from the request's Host
	// header (and TLS state for the scheme) when Origins does not list it.
	// Anyone can then mint proofs for any host name the server answers to.
	InsecureTrustHostHeader bool
	// ProofLifetime is how old a proof may be (default
	// DefaultProofLifetime, at most 10 minutes); an iat in the future is
	// allowed by the verifier's leeway. Used proofs are remembered for
	// ProofLifetime plus the leeway.
	ProofLifetime time.Duration
	// Replay remembers used proofs (their jti per key) so that none is
	// accepted twice. nil: an in-process MemoryReplayCache with the
	// default capacity. Several instances behind a load balancer must
	// share one (redisstore.NewDPoPReplayCache in
	// github.com/jwtguard/jwtguard/redis): a proof replayed to another
	// instance would pass otherwise.
	Replay ReplayCache
	// NonceSecret turns server nonces on (RFC 9449 §9): a proof must carry
	// a nonce this server issued, or the answer is 401 use_dpop_nonce with
	// a fresh one in the DPoP-Nonce header. Nonces are derived from the
	// time and this secret (at least 32 bytes): every instance given the
	// same secret issues and accepts the same nonces, with no shared
	// state.
	NonceSecret []byte
	// NonceLifetime is how long one nonce is issued for (default
	// DefaultNonceLifetime); a nonce is accepted for up to twice as long.
	NonceLifetime time.Duration
}

// ReplayCache remembers the proofs used, so that none is accepted twice
// (RFC 9449 §11.1). The verifier calls Use only after the token, its
// binding and the proof have been verified, so forged proofs cost nothing
// to store.
type ReplayCache interface {
	// Use records the proof jti of the key with thumbprint jkt, to be
	// remembered until until (never forgotten earlier: a replay would
	// pass). It returns nil for a first use, an error wrapping ErrReplay
	// for a jti already used with that key, one wrapping ErrKeyQuota when
	// the key has used its quota of proofs (answered 429), and any other
	// error when it cannot record the proof (answered 503: full, backend
	// down).
	Use(ctx context.Context, jkt, jti string, until time.Time) error
}

// Errors. ErrInvalidProof and ErrUseNonce are failure classes of the
// verifier's error table (401 with the DPoP challenge, RFC 9449 §7.1,
// §9); match them with errors.Is on the verifier's errors.
var (
	// ErrInvalidProof means the DPoP proof is missing, malformed, signed
	// badly, for another method, URI or token, too old, replayed, or
	// several: 401 error="invalid_dpop_proof".
	ErrInvalidProof = errors.New("jwtguard: invalid DPoP proof")
	// ErrUseNonce means the proof lacks the server's current nonce: 401
	// error="use_dpop_nonce" with a fresh nonce in the DPoP-Nonce header.
	ErrUseNonce = errors.New("jwtguard: DPoP nonce required")
	// ErrReplay is a ReplayCache's answer for a jti used before.
	ErrReplay = errors.New("dpop: proof replayed")
	// ErrKeyQuota is a ReplayCache's answer for a key that used its quota
	// of proofs in the current window.
	ErrKeyQuota = errors.New("dpop: too many proofs for this key")
	// ErrCacheFull is the MemoryReplayCache's answer when it holds its
	// capacity of unexpired proofs: it refuses rather than forget one.
	ErrCacheFull = errors.New("dpop: replay cache full")
)
