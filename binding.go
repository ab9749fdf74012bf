package jwtguard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// Sender-constrained tokens. A token (or an introspection answer) whose
// claims carry a confirmation member, cnf (RFC 7800), is bound to a key or
// certificate: whoever presents it must prove possession. jwtguard never
// accepts such a token without checking the binding, whatever the
// configuration:
//
//   - cnf.jkt (RFC 9449 DPoP): a valid DPoP proof signed with the key whose
//     RFC 7638 thumbprint is jkt;
//   - cnf["x5t#S256"] (RFC 8705): the request's TLS client certificate, whose
//     SHA-256 thumbprint it is;
//   - any other member, or a cnf that is not an object of strings: the
//     verifier cannot check it, so the token is refused.
//
// Verify has no request, so it refuses every bound token; Authenticate and
// VerifyCredential check the binding with the request's evidence.

// cnfSlot is the slot of the cnf member among the top-level names read in
// the parsing pass: the trust table always puts "cnf" first.
const cnfSlot = 0

// binding is a parsed confirmation claim.
type binding struct {
	jkt     string // cnf.jkt
	x5tS256 string // cnf["x5t#S256"]
	// unknown names a member the verifier cannot check, or says why cnf
	// is unusable; "" when every member is checkable.
	unknown string

	// The SHA-256 of the token this binding was read from, which every
	// DPoP proof's ath must name: computed at the first proof, so a
	// cached token's later proofs are checked without hashing it again.
	// A binding belongs to one token (parseBinding makes one per token,
	// and the verified-token cache keeps it under that token).
	athOnce sync.Once
	ath     [32]byte
}

// tokenHash returns the SHA-256 of token, the one b was read from.
func (b *binding) tokenHash(token string) *[32]byte {
	b.athOnce.Do(func() { b.ath = sha256.Sum256(jose.StringBytes(token)) })
	return &b.ath
}

// parseBinding reads the raw cnf value; nil raw means the token is not
// bound.
func parseBinding(raw []byte) *binding {
	if raw == nil {
		return nil
	}
	b := &binding{}
	if len(raw) == 0 || raw[0] != '{' {
		b.unknown = "cnf is not an object"
		return b
	}
	err := strictjson.Object(raw, 0, func(k, v []byte) error {
		switch string(k) {
		case "jkt":
			s, err := strictjson.String(v)
			if err != nil || s == "" {
				return fmt.Errorf("cnf.jkt is not a non-empty string")
			}
			b.jkt = s
		case "x5t#S256":
			s, err := strictjson.String(v)
			if err != nil || s == "" {
				return fmt.Errorf(`cnf["x5t#S256"] is not a non-empty string`)
			}
			b.x5tS256 = s
		default:
			if b.unknown == "" {
				b.unknown = "cnf member " + shown(string(k)) + " cannot be checked by this verifier"
			}
		}
		return nil
	})
	if err != nil {
		b.unknown = err.Error()
	}
	if b.unknown == "" && b.jkt == "" && b.x5tS256 == "" {
		b.unknown = "cnf binds the token to nothing this verifier can check"
	}
	return b
}

// checkBinding checks a bound token (b non-nil) against the request's
// evidence in cred; a nil cred is Verify's case, without a request. proven
// reports whether a DPoP proof was verified for this token with the key
// of thumbprint dpopJKT.
func checkBinding(b *binding, cred *Credential, dpopJKT string) error {
	if b.unknown != "" {
		return bindingError(b.unknown)
	}
	if cred == nil {
		return bindingError("the token is sender-constrained (cnf) and Verify has no request to check its binding; use Authenticate or VerifyCredential")
	}
	if b.x5tS256 != "" {
		if cred.ClientCertificate == nil {
			return bindingError(`the token is bound to a client certificate (cnf["x5t#S256"]) and the request presented none`)
		}
		sum := sha256.Sum256(cred.ClientCertificate.Raw)
		got := base64.RawURLEncoding.EncodeToString(sum[:])
		if subtle.ConstantTimeCompare([]byte(got), []byte(b.x5tS256)) != 1 {
			return bindingError(fmt.Sprintf(`the client certificate's SHA-256 thumbprint %s is not the token's cnf["x5t#S256"] %s`, got, shown(b.x5tS256)))
		}
	}
	if b.jkt != "" {
		switch {
		case dpopJKT == "" && strings.EqualFold(cred.Scheme, "DPoP"):
			return bindingError("the token is DPoP-bound (cnf.jkt) and no DPoP proof was verified")
		case dpopJKT == "":
			return bindingError("the token is DPoP-bound (cnf.jkt) and was presented as a bearer token (RFC 9449 §7.2)")
		case subtle.ConstantTimeCompare([]byte(dpopJKT), []byte(b.jkt)) != 1:
			return bindingError(fmt.Sprintf("the DPoP proof's key (thumbprint %s) is not the key the token is bound to (cnf.jkt %s)", dpopJKT, shown(b.jkt)))
		}
	}
	return nil
}

// bindingError is the 401 invalid_token of a binding that is not proven.
func bindingError(detail string) *Error {
	e := newError(ErrProofOfPossession, "")
	e.Detail = detail
	return e
}
