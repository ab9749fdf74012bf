// Package mtls configures certificate-bound access tokens — OAuth 2.0
// Mutual-TLS Client Authentication and Certificate-Bound Access Tokens,
// RFC 8705 §3 — for a jwtguard verifier: whether an issuer's tokens may or
// must be bound to the client's TLS certificate (jwtguard.WithCertificateBinding
// for every issuer, jwtguard.Issuer.CertificateBinding for one).
//
// A certificate-bound token carries cnf["x5t#S256"], the SHA-256
// thumbprint of the client certificate it was issued to, and travels with
// the Bearer scheme over a TLS connection that presents that certificate.
// Whatever the mode, such a token is accepted only from a request that
// presents the certificate: the server's own TLS peer (its tls.Config
// with ClientAuth tls.RequestClientCert or tls.VerifyClientCertIfGiven;
// RFC 8705 allows self-signed client certificates), or, behind a
// TLS-terminating proxy, the certificate the trusted proxy forwards
// (package forwarded, jwtguard.WithTrustedProxies). The mode decides
// whether tokens without such a binding are accepted too.
package mtls

// Mode says whether tokens that are not certificate-bound are accepted.
type Mode uint8

// The modes. A certificate-bound token (cnf["x5t#S256"]) is never
// accepted without its certificate, whatever the mode.
const (
	// Inherit, the zero value, is for jwtguard.Issuer.CertificateBinding:
	// the entry takes the verifier-wide Config.Mode (Allowed without
	// jwtguard.WithCertificateBinding).
	Inherit Mode = iota
	// Allowed accepts certificate-bound tokens with their certificate and
	// tokens that are not certificate-bound.
	Allowed
	// Required accepts certificate-bound tokens with their certificate
	// only: a bearer token, or a token bound otherwise (a DPoP key), is
	// refused with 401 invalid_token (jwtguard.ErrProofOfPossession).
	Required
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case Inherit:
		return "inherit"
	case Allowed:
		return "allowed"
	case Required:
		return "required"
	}
	return "invalid"
}

// Config is the verifier-wide certificate-binding configuration
// (jwtguard.WithCertificateBinding).
type Config struct {
	// Mode is every issuer's mode unless its Issuer.CertificateBinding
	// says otherwise: Allowed or Required (Inherit is refused: say which).
	Mode Mode
}
