package jose

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"strings"
)

// LooksLikePublicKey reports whether an HMAC secret is in fact a public key
// or certificate — the classic RS256→HS256 confusion material, which anyone
// holding the public key could use to mint tokens. It recognises PEM armour,
// JWK JSON, and DER public keys (SPKI, PKCS #1) and certificates, raw or
// base64 (standard or URL alphabet, padded or not, whitespace ignored).
func LooksLikePublicKey(secret []byte) bool {
	s := string(secret)
	if strings.Contains(s, "-----BEGIN") ||
		(strings.Contains(s, `"kty"`) && (strings.Contains(s, `"n"`) || strings.Contains(s, `"x"`))) {
		return true
	}
	if isPublicDER(secret) {
		return true
	}
	text := bytes.Join(bytes.Fields(secret), nil)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if der, err := enc.DecodeString(string(text)); err == nil && isPublicDER(der) {
			return true
		}
	}
	return false
}

// isPublicDER reports whether der is a DER public key (SubjectPublicKeyInfo
// or PKCS #1) or an X.509 certificate.
func isPublicDER(der []byte) bool {
	if len(der) < 2 || der[0] != 0x30 { // every form is an ASN.1 SEQUENCE
		return false
	}
	if _, err := x509.ParsePKIXPublicKey(der); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return true
	}
	_, err := x509.ParseCertificate(der)
	return err == nil
}
