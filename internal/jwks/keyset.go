package jwks

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/jwtguard/jwtguard/internal/jose"
)

// parseKeys reads a published key set: a JSON Web Key Set (RFC 7517 §5;
// SPIFFE bundles included, see [jose.ParseJWKS]) or Google's legacy X.509
// map, a JSON object whose members are kids and whose values are PEM
// certificates ({"<kid>": "-----BEGIN CERTIFICATE-----\n..."}), as served
// for Firebase ID tokens at
// https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com.
func parseKeys(body []byte, log *slog.Logger) ([]*jose.Key, error) {
	if m, ok := x509Map(body); ok {
		return keysFromX509Map(m, log)
	}
	set, err := jose.ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("invalid JWKS: %w", err)
	}
	return jose.KeysFromSet(set, true, log)
}

const pemCertificate = "-----BEGIN CERTIFICATE-----"

// x509Map reports whether body is an X.509 map: an object with no "keys"
// member, at least one member, and a PEM certificate string as every value.
func x509Map(body []byte) (map[string]string, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || !bytes.Contains(body, []byte(pemCertificate)) {
		return nil, false
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil || len(raw) == 0 {
		return nil, false
	}
	if _, ok := raw["keys"]; ok {
		return nil, false
	}
	m := make(map[string]string, len(raw))
	for kid, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil || !strings.HasPrefix(strings.TrimSpace(s), pemCertificate) {
			return nil, false
		}
		m[kid] = s
	}
	return m, true
}

// keysFromX509Map converts every usable certificate of an X.509 map into a
// key whose kid is the member name. The certificate's public key is used
// (RSA, ECDSA or Ed25519, with the usual size checks); its validity period
// is not checked, as Google's own libraries do not check it either. Unusable
// entries are skipped with a warning; a map without usable key is an error.
func keysFromX509Map(m map[string]string, log *slog.Logger) ([]*jose.Key, error) {
	var keys []*jose.Key
	for _, kid := range slices.Sorted(maps.Keys(m)) {
		k, err := keyFromPEM(m[kid])
		if kid == "" {
			err = errors.New("empty kid")
		}
		if err != nil {
			if log != nil {
				log.Warn("jwtguard: skipping key", slog.String("kid", jose.Truncate(kid)), slog.String("reason", err.Error()))
			}
			continue
		}
		k.Kid = kid
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("X.509 key map holds no usable signature verification key")
	}
	return keys, nil
}

func keyFromPEM(s string) (*jose.Key, error) {
	if s == "" {
		return nil, errors.New("empty certificate")
	}
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("more than one PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("invalid certificate: %w", err)
	}
	return jose.KeyFromRaw(cert.PublicKey, true)
}
