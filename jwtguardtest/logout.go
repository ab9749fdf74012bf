package jwtguardtest

import (
	"crypto"
	"encoding/base64"
	"maps"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// BackChannelLogoutEvent is the member of a logout token's events claim
// (OpenID Connect Back-Channel Logout 1.0 §2.4).
const BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// LogoutToken mints an OpenID Connect Back-Channel Logout token, as a
// provider POSTs it to a relying party's back-channel logout URI: header
// typ logout+jwt; claims iss, aud ([DefaultAudience], the relying party's
// client ID), iat (now), exp (now + 2 min, the specification's advice), a
// random jti and events {BackChannelLogoutEvent: {}}, with claims merged
// over them — give "sid" and/or "sub" (the default sub is removed: a
// logout names what it ends); a nil value removes a claim ("exp": nil for
// a provider that sends none, "events": nil for a broken token). opts
// apply as for [Issuer.Mint] (WithHeader("typ", "JWT") for Keycloak
// before 25).
func (i *Issuer) LogoutToken(claims Claims, opts ...MintOption) string {
	now := i.now()
	body := Claims{
		"sub":    nil,
		"iat":    now.Unix(),
		"exp":    now.Add(2 * time.Minute).Unix(),
		"jti":    randID() + randID(),
		"events": map[string]any{BackChannelLogoutEvent: map[string]any{}},
	}
	maps.Copy(body, claims)
	return i.Mint(body, append([]MintOption{WithHeader("typ", "logout+jwt")}, opts...)...)
}

// KeyThumbprint returns the RFC 7638 SHA-256 thumbprint (unpadded
// base64url) of the current key for alg, or "" when there is none; for
// HS256, HS384 and HS512 that of the HMAC secret (the oct JWK). It is how
// a revocation store's RevokeKey names the key.
func (i *Issuer) KeyThumbprint(alg string) string {
	var raw any
	switch alg {
	case "HS256", "HS384", "HS512":
		raw = i.HMACSecret()
	default:
		pub := i.PublicKey(alg)
		if pub == nil {
			return ""
		}
		raw = pub
	}
	k, err := jwk.FromRaw(raw)
	if err != nil {
		return ""
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}
