package jose

import "strings"

// LooksLikePublicKey reports whether an HMAC secret is in fact a public key
// in a common encoding — the classic RS256→HS256 confusion material.
func LooksLikePublicKey(secret []byte) bool {
	s := string(secret)
	return strings.Contains(s, "-----BEGIN") ||
		(strings.Contains(s, `"kty"`) && (strings.Contains(s, `"n"`) || strings.Contains(s, `"x"`)))
}
