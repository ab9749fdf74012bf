package admin

import (
	"fmt"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Thumbprint returns the RFC 7638 SHA-256 thumbprint, in unpadded
// base64url, of the key in jwkJSON (one JWK as a provider's JWKS lists it,
// e.g. copied from its jwks_uri): the name [Store].RevokeKey takes. It is
// the same for the public and the private form of a key, and ignores kid,
// alg and use.
func Thumbprint(jwkJSON []byte) (string, error) {
	k, err := jwk.ParseKey(jwkJSON)
	if err != nil {
		return "", fmt.Errorf("admin: Thumbprint: %w", err)
	}
	pub, err := k.PublicKey()
	if err != nil {
		return "", fmt.Errorf("admin: Thumbprint: %w", err)
	}
	var raw any
	if err := pub.Raw(&raw); err != nil {
		return "", fmt.Errorf("admin: Thumbprint: %w", err)
	}
	vk, err := jose.KeyFromRaw(raw, false)
	if err != nil {
		return "", fmt.Errorf("admin: Thumbprint: %w", err)
	}
	return vk.ThumbprintString(), nil
}

// SecretThumbprint returns the RFC 7638 thumbprint of an HMAC secret (of
// the oct JWK {"k": ..., "kty": "oct"}; a SHA-256 that does not reveal
// the secret): the name under which RevokeKey revokes a
// jwtguard.HMAC(secret) key, which has no kid.
func SecretThumbprint(secret []byte) string {
	k, err := jose.KeyFromRaw(secret, false)
	if err != nil {
		return ""
	}
	return k.ThumbprintString()
}
