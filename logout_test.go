package jwtguard_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
)

// rpClientID is the relying party's client ID, the aud of logout tokens in
// these tests; the API's own audience (the entry's) is another.
const rpClientID = "my-web-app"

// TestVerifyLogoutToken (issue 20 §1): OpenID Connect Back-Channel Logout
// §2.6, one row per rule, each with a valid control. The entry has
// access-token rules a logout token does not meet (a Keycloak-like
// token-use claim, token types, clients, required claims, another
// audience): VerifyLogoutToken does not apply them.
func TestVerifyLogoutToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := jwtguardtest.NewClock(time.Now())
	iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithIssuerClock(clk.Now))
	e := iss.Entry()
	e.Audiences = []string{"https://api.example.com"}
	e.TokenUseClaim, e.TokenUses = "typ", []string{"Bearer"}
	e.TokenTypes = []string{"JWT", "at+jwt"}
	e.Clients = []string{"api-client"}
	e.RequiredClaims = []string{"scope"}
	v := iss.VerifierFor(t, e, jwtguard.WithClock(clk.Now))
	now := clk.Now()
	ok := jwtguardtest.Claims{"aud": rpClientID, "sid": "sess-1", "sub": "alice"}
	with := func(extra jwtguardtest.Claims) jwtguardtest.Claims {
		c := jwtguardtest.Claims{}
		for k, x := range ok {
			c[k] = x
		}
		for k, x := range extra {
			c[k] = x
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		token string
		auds  []string
		want  error  // nil: accepted
		claim string // the *Error's Claim, when want is a claim error
	}{
		{"valid: sid and sub", iss.LogoutToken(ok), nil, nil, ""},
		{"valid: sid only", iss.LogoutToken(with(jwtguardtest.Claims{"sub": nil})), nil, nil, ""},
		{"valid: sub only", iss.LogoutToken(with(jwtguardtest.Claims{"sid": nil})), nil, nil, ""},
		{"valid: typ JWT (Keycloak before 25)", iss.LogoutToken(ok, jwtguardtest.WithHeader("typ", "JWT")), nil, nil, ""},
		{"valid: typ application/logout+jwt", iss.LogoutToken(ok, jwtguardtest.WithHeader("typ", "application/logout+jwt")), nil, nil, ""},
		{"valid: no typ", iss.LogoutToken(ok, jwtguardtest.WithoutHeader("typ")), nil, nil, ""},
		{"valid: no exp (Ory Hydra), fresh iat", iss.LogoutToken(with(jwtguardtest.Claims{"exp": nil})), nil, nil, ""},
		{"valid: aud is one of several client IDs", iss.LogoutToken(ok), []string{"other", rpClientID}, nil, ""},
		{"valid: Keycloak's typ Logout claim and extra events member", iss.LogoutToken(with(jwtguardtest.Claims{"typ": "Logout",
			"events": map[string]any{jwtguardtest.BackChannelLogoutEvent: map[string]any{}, "revoke_offline_access": true}})), nil, nil, ""},
		{"typ at+jwt", iss.LogoutToken(ok, jwtguardtest.WithHeader("typ", "at+jwt")), nil, jwtguard.ErrInvalidTokenType, ""},
		{"missing events", iss.LogoutToken(with(jwtguardtest.Claims{"events": nil})), nil, jwtguard.ErrMissingClaim, "events"},
		{"events without the logout event", iss.LogoutToken(with(jwtguardtest.Claims{"events": map[string]any{"http://schemas.openid.net/event/other": map[string]any{}}})), nil, jwtguard.ErrInvalidClaim, "events"},
		{"events value not an object", iss.LogoutToken(with(jwtguardtest.Claims{"events": map[string]any{jwtguardtest.BackChannelLogoutEvent: true}})), nil, jwtguard.ErrInvalidClaim, "events"},
		{"events an array", iss.LogoutToken(with(jwtguardtest.Claims{"events": []string{jwtguardtest.BackChannelLogoutEvent}})), nil, jwtguard.ErrInvalidClaim, "events"},
		{"with nonce", iss.LogoutToken(with(jwtguardtest.Claims{"nonce": "n-0S6_WzA2Mj"})), nil, jwtguard.ErrInvalidClaim, "nonce"},
		{"with empty nonce", iss.LogoutToken(with(jwtguardtest.Claims{"nonce": ""})), nil, jwtguard.ErrInvalidClaim, "nonce"},
		{"wrong audience (the API's, not the client's)", iss.LogoutToken(with(jwtguardtest.Claims{"aud": "https://api.example.com"})), nil, jwtguard.ErrInvalidAudience, ""},
		{"no aud", iss.LogoutToken(with(jwtguardtest.Claims{"aud": nil})), nil, jwtguard.ErrInvalidAudience, "aud"},
		{"no audiences given", iss.LogoutToken(ok), []string{}, jwtguard.ErrInvalidAudience, ""},
		{"wrong issuer", iss.LogoutToken(with(jwtguardtest.Claims{"iss": "https://other-issuer.example.test"})), nil, jwtguard.ErrInvalidIssuer, ""},
		{"expired", iss.LogoutToken(with(jwtguardtest.Claims{"iat": now.Add(-3 * time.Minute).Unix(), "exp": now.Add(-time.Minute).Unix()})), nil, jwtguard.ErrTokenExpired, ""},
		{"iat too old, no exp", iss.LogoutToken(with(jwtguardtest.Claims{"exp": nil, "iat": now.Add(-6 * time.Minute).Unix()})), nil, jwtguard.ErrTokenExpired, "iat"},
		{"iat too old, far exp", iss.LogoutToken(with(jwtguardtest.Claims{"exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Hour).Unix()})), nil, jwtguard.ErrTokenExpired, "iat"},
		{"iat in the future", iss.LogoutToken(with(jwtguardtest.Claims{"iat": now.Add(time.Minute).Unix()})), nil, jwtguard.ErrTokenIssuedInFuture, ""},
		{"no iat", iss.LogoutToken(with(jwtguardtest.Claims{"iat": nil})), nil, jwtguard.ErrMissingClaim, "iat"},
		{"neither sid nor sub", iss.LogoutToken(with(jwtguardtest.Claims{"sid": nil, "sub": nil})), nil, jwtguard.ErrMissingClaim, "sid or sub"},
		{"empty sid and sub", iss.LogoutToken(with(jwtguardtest.Claims{"sid": "", "sub": ""})), nil, jwtguard.ErrMissingClaim, "sid or sub"},
		{"sid not a string", iss.LogoutToken(with(jwtguardtest.Claims{"sid": 42})), nil, jwtguard.ErrInvalidClaim, "sid"},
		{"no jti", iss.LogoutToken(with(jwtguardtest.Claims{"jti": nil})), nil, jwtguard.ErrMissingClaim, "jti"},
		{"signed with another key", iss.LogoutToken(ok, jwtguardtest.WithSigningKey(otherRSAKey(t))), nil, jwtguard.ErrInvalidSignature, ""},
		{"an access token", iss.Mint(jwtguardtest.Claims{"aud": rpClientID}), nil, jwtguard.ErrMissingClaim, "events"},
	} {
		auds := tc.auds
		if auds == nil {
			auds = []string{rpClientID}
		}
		c, err := v.VerifyLogoutToken(ctx, tc.token, auds...)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			if c.Entry() != iss.URL() || c.ID == "" || c.IssuedAt.IsZero() {
				t.Errorf("%s: claims %+v (Entry %q)", tc.name, c, c.Entry())
			}
			continue
		}
		var je *jwtguard.Error
		if !errors.Is(err, tc.want) || !errors.As(err, &je) || c != nil {
			t.Errorf("%s: VerifyLogoutToken = %v, %v; want an *Error wrapping %v", tc.name, c, err, tc.want)
			continue
		}
		if tc.claim != "" && je.Claim != tc.claim {
			t.Errorf("%s: Claim = %q, want %q (%v)", tc.name, je.Claim, tc.claim, err)
		}
		if je.Status != 401 && je.Status != 400 {
			t.Errorf("%s: status %d", tc.name, je.Status)
		}
	}

	c, err := v.VerifyLogoutToken(ctx, iss.LogoutToken(ok), rpClientID)
	if err != nil || c.SessionID != "sess-1" || c.Subject != "alice" {
		t.Fatalf("claims of a valid token: %+v, %v", c, err)
	}
}

// TestLogoutTokenIsNotAnAccessToken: a logout token presented as an access
// token is refused (cross-JWT confusion), by its typ or by its events
// claim, even where its aud is an accepted audience; an access token with
// an unrelated events claim (a security event token's) is not.
func TestLogoutTokenIsNotAnAccessToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	aud := jwtguardtest.Claims{"aud": jwtguardtest.DefaultAudience, "sub": "alice", "sid": "s"}
	for name, tok := range map[string]string{
		"typ logout+jwt":            iss.LogoutToken(aud),
		"typ JWT, logout event":     iss.LogoutToken(aud, jwtguardtest.WithHeader("typ", "JWT")),
		"typ logout+jwt, no events": iss.LogoutToken(jwtguardtest.Claims{"aud": jwtguardtest.DefaultAudience, "sub": "alice", "events": nil}),
	} {
		if _, err := v.Verify(ctx, tok); !errors.Is(err, jwtguard.ErrInvalidTokenType) {
			t.Errorf("%s: Verify = %v, want ErrInvalidTokenType", name, err)
		}
	}
	set := iss.Mint(jwtguardtest.Claims{"events": map[string]any{"https://schemas.example.com/event/x": map[string]any{}}})
	if _, err := v.Verify(ctx, set); err != nil {
		t.Errorf("an access token with another event: %v", err)
	}
}

// TestLogoutTokenRevokedKey: a logout token signed with a revoked key is
// refused like any token of that key.
func TestLogoutTokenRevokedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	iss := jwtguardtest.NewIssuer(t)
	store, err := memory.New()
	if err != nil {
		t.Fatal(err)
	}
	v := iss.Verifier(t, jwtguard.WithRevocation(store))
	tok := iss.LogoutToken(jwtguardtest.Claims{"aud": rpClientID, "sid": "s"})
	if _, err := v.VerifyLogoutToken(ctx, tok, rpClientID); err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeKey(ctx, iss.URL(), iss.KeyThumbprint("RS256"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyLogoutToken(ctx, tok, rpClientID); !errors.Is(err, jwtguard.ErrTokenRevoked) || !strings.Contains(err.Error(), "RevokeKey") {
		t.Errorf("after RevokeKey: %v", err)
	}
}

// otherRSAKey is a key no issuer publishes.
func otherRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
