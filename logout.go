package jwtguard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// backChannelLogoutEvent is the member of a logout token's events claim
// (OpenID Connect Back-Channel Logout 1.0 §2.4).
const backChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// eventsSlot is the slot of the events member among the top-level names
// read in the parsing pass (see newTrustTable).
const eventsSlot = 1

// maxLogoutTokenAge is how long after its iat a logout token is accepted
// (plus the leeway), whatever its exp: OpenID Connect Back-Channel Logout
// encourages exp at most two minutes after iat, and some providers send no
// exp at all.
const maxLogoutTokenAge = 5 * time.Minute

// VerifyLogoutToken verifies a logout token of OpenID Connect Back-Channel
// Logout 1.0 (§2.6) and returns its claims: Issuer, Subject and/or
// SessionID (the session to end), ID (jti), IssuedAt, ExpiresAt, and
// [Claims.Entry] (the canonical issuer to revoke under). The backchannel
// package is the HTTP handler built on it.
//
// The token is routed by its iss to its issuer entry (configured or
// resolved) and its signature verified with that entry's keys and
// algorithms, like an access token, and the key that signed it must not
// be revoked. Then the logout token's own rules apply, not the entry's
// (its token types, token-use claim, clients, required claims and
// audiences are for access tokens; a Keycloak logout token carries typ
// "Logout", not "Bearer"):
//
//   - aud must contain one of audiences — the relying party's client IDs,
//     to which the provider addresses logout tokens (required; none is an
//     error);
//   - the typ header, when present, is logout+jwt (the explicit type the
//     specification recommends) or the generic JWT (Keycloak before 25,
//     most libraries' default); any other type (at+jwt, ...) is refused;
//   - events is a JSON object whose member
//     http://schemas.openid.net/event/backchannel-logout is a JSON object;
//   - there is no nonce (which tells an ID token from a logout token);
//   - sid or sub or both are non-empty strings; jti is present (for
//     replay protection, which is the caller's: the backchannel package
//     records it);
//   - iat is present, at most the leeway in the future and at most five
//     minutes (plus the leeway) in the past; exp, when present, not past
//     (with the leeway); a token without exp (Ory Hydra, LemonLDAP::NG)
//     is accepted within the iat window.
//
// Every error is an *[Error]: [ErrInvalidAudience], [ErrInvalidTokenType],
// [ErrMissingClaim], [ErrInvalidClaim] (events, nonce), [ErrTokenExpired]
// (exp, or iat too old), [ErrTokenIssuedInFuture], [ErrTokenRevoked] (a
// revoked signing key), and the errors of [Verifier.Verify] for the token
// itself (issuer, signature, keys). Conversely, [Verifier.Verify] and
// [Verifier.Authenticate] refuse a logout token presented as an access
// token ([ErrInvalidTokenType]): its typ is logout+jwt or its events claim
// names the back-channel logout event.
func (v *Verifier) VerifyLogoutToken(ctx context.Context, token string, audiences ...string) (*Claims, error) {
	var err error
	var c *Claims
	var vr verification
	ctx = v.tel.begin(ctx, &vr)
	vr.token = token
	if len(audiences) == 0 || slices.Contains(audiences, "") {
		e := newError(ErrInvalidAudience, "")
		e.Detail = "VerifyLogoutToken needs the relying party's client IDs as audiences (none or an empty one given)"
		err = e
	} else {
		c, _, err = v.verifyAs(ctx, token, &logoutRules{audiences: audiences}, &vr)
	}
	if err != nil {
		return nil, v.finish(ctx, &vr, c, v.reject(ctx, err, c, token))
	}
	v.finish(ctx, &vr, c, nil)
	return c, nil
}

// logoutRules are the checks of a logout token after its signature.
type logoutRules struct {
	audiences []string
}

// judge applies OpenID Connect Back-Channel Logout §2.6 to a logout token
// whose signature verified.
func (lt *logoutRules) judge(v *Verifier, c *Claims, payload []byte, slots [][]byte, typ string, now time.Time) error {
	if typ != "" {
		t := strings.TrimPrefix(strings.ToLower(typ), "application/")
		if t != "logout+jwt" && t != "jwt" {
			err := newError(ErrInvalidTokenType, "the typ header is not logout+jwt")
			err.Detail = fmt.Sprintf("typ header %s is neither logout+jwt nor JWT: not a logout token", shown(typ))
			return err
		}
	}
	if len(c.Audience) == 0 {
		err := claimError(ErrInvalidAudience, "aud", "is missing")
		err.Detail = fmt.Sprintf("the logout token has no aud; the relying party's client IDs are %s", shownList(lt.audiences))
		return err
	}
	if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(lt.audiences, a) }) {
		err := newError(ErrInvalidAudience, "")
		err.Detail = fmt.Sprintf("aud [%s] holds none of the relying party's client IDs (%s) given to VerifyLogoutToken", shownList(c.Audience), shownList(lt.audiences))
		return err
	}
	if err := checkLogoutEvents(slots[eventsSlot]); err != nil {
		return err
	}
	if _, ok := strictjson.Member(payload, "nonce"); ok {
		return claimError(ErrInvalidClaim, "nonce", "must not be present in a logout token")
	}
	if c.SessionID == "" && c.Subject == "" {
		return claimError(ErrMissingClaim, "sid or sub", "")
	}
	if c.ID == "" {
		return claimError(ErrMissingClaim, "jti", "")
	}
	if c.IssuedAt.IsZero() {
		return claimError(ErrMissingClaim, "iat", "")
	}
	l := v.leeway
	if now.Add(l).Before(c.IssuedAt) {
		return timeError(ErrTokenIssuedInFuture, "iat", c.IssuedAt, now, l, "ahead")
	}
	if oldest := c.IssuedAt.Add(maxLogoutTokenAge + l); !now.Before(oldest) {
		e := timeError(ErrTokenExpired, "iat", c.IssuedAt, now, l, "ago")
		e.Claim = "iat"
		e.Detail += fmt.Sprintf("; a logout token is accepted for %s after its iat", maxLogoutTokenAge)
		return e
	}
	if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt.Add(l)) {
		return timeError(ErrTokenExpired, "exp", c.ExpiresAt, now, l, "ago")
	}
	if !c.NotBefore.IsZero() && now.Add(l).Before(c.NotBefore) {
		return timeError(ErrTokenNotYetValid, "nbf", c.NotBefore, now, l, "ahead")
	}
	return nil
}

// checkLogoutEvents checks a logout token's events claim (raw JSON, nil
// when absent): an object whose back-channel logout member is an object.
// Other members are allowed (the specification says nothing of them).
func checkLogoutEvents(raw []byte) error {
	if raw == nil {
		return claimError(ErrMissingClaim, "events", "")
	}
	if raw[0] != '{' {
		return claimError(ErrInvalidClaim, "events", "must be a JSON object")
	}
	ev, ok := strictjson.Member(raw, backChannelLogoutEvent)
	if !ok {
		e := claimError(ErrInvalidClaim, "events", "does not name the back-channel logout event")
		e.Detail = "events has no member " + backChannelLogoutEvent
		return e
	}
	if len(ev) == 0 || ev[0] != '{' {
		return claimError(ErrInvalidClaim, "events", "the back-channel logout event's value must be a JSON object")
	}
	return nil
}

// refuseLogoutToken refuses a back-channel logout token presented as an
// access token (cross-JWT confusion, Back-Channel Logout §4.1, RFC 8725
// §3.11): its typ is logout+jwt, or its events claim names the logout
// event. It costs a string comparison and a nil check for other tokens.
func refuseLogoutToken(typ string, slots [][]byte) error {
	t := typ
	if len(t) > len("application/") && strings.EqualFold(t[:len("application/")], "application/") {
		t = t[len("application/"):]
	}
	logout := strings.EqualFold(t, "logout+jwt")
	if ev := slots[eventsSlot]; !logout && ev != nil && len(ev) > 0 && ev[0] == '{' {
		_, logout = strictjson.Member(ev, backChannelLogoutEvent)
	}
	if logout {
		err := newError(ErrInvalidTokenType, "a logout token is not an access token")
		err.Detail = "the token is a back-channel logout token (typ logout+jwt, or an events claim naming " + backChannelLogoutEvent + "): it is accepted only by VerifyLogoutToken"
		return err
	}
	return nil
}
