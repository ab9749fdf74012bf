package jwtguardtest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// TestBadTokens: each bad token of the kit is refused for its own reason
// by the issuer's verifier, which accepts a minted token.
func TestBadTokens(t *testing.T) {
	t.Parallel()
	iss := jwtguardtest.NewIssuer(t)
	v := iss.Verifier(t)
	ctx := context.Background()
	if _, err := v.Verify(ctx, iss.Mint(nil)); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"Expired", iss.Expired(), jwtguard.ErrTokenExpired},
		{"NotYetValid", iss.NotYetValid(), jwtguard.ErrTokenNotYetValid},
		{"WrongAudience", iss.WrongAudience(), jwtguard.ErrInvalidAudience},
		{"WrongIssuer", iss.WrongIssuer(), jwtguard.ErrInvalidIssuer},
		{"TamperedSignature", iss.TamperedSignature(), jwtguard.ErrInvalidSignature},
	} {
		if _, err := v.Verify(ctx, tc.token); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestWithDefaultClaims: the claims are merged over the defaults of every
// minted token (nil removes one), and Entry accepts the default aud.
func TestWithDefaultClaims(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		defaults jwtguardtest.Claims
		wantAud  []string
	}{
		{"none", nil, []string{jwtguardtest.DefaultAudience}},
		{"aud string", jwtguardtest.Claims{"aud": "orders-api", "typ": "Bearer"}, []string{"orders-api"}},
		{"aud list", jwtguardtest.Claims{"aud": []string{"orders-api", "account"}}, []string{"orders-api", "account"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithDefaultClaims(tc.defaults), jwtguardtest.WithDefaultClaims(jwtguardtest.Claims{"sub": nil}))
			d := iss.DefaultClaims()
			if _, ok := d["sub"]; ok {
				t.Errorf("sub not removed: %v", d)
			}
			for k, want := range tc.defaults {
				if got := d[k]; !equal(got, want) {
					t.Errorf("default %s = %v, want %v", k, got, want)
				}
			}
			if got := iss.Entry().Audiences; !slices.Equal(got, tc.wantAud) {
				t.Errorf("Entry audiences %q, want %q", got, tc.wantAud)
			}
			c, err := iss.Verifier(t).Verify(context.Background(), iss.Mint(jwtguardtest.Claims{"sub": "alice"}))
			if err != nil || !slices.Equal(c.Audience, tc.wantAud) {
				t.Fatalf("Verify: %v, aud %q", err, c.Audience)
			}
		})
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// TestIssuerClock: the issuer's clock sets iat and exp; the verifier's own
// clock (jwtguard.WithClock) judges them.
func TestIssuerClock(t *testing.T) {
	t.Parallel()
	clock := jwtguardtest.NewClock(time.Now().Add(24 * time.Hour))
	iss := jwtguardtest.NewIssuer(t, jwtguardtest.WithIssuerClock(clock.Now))
	if got := iss.DefaultClaims()["iat"]; got != clock.Now().Unix() {
		t.Fatalf("iat %v, want the issuer clock's %d", got, clock.Now().Unix())
	}
	tok := iss.Mint(nil)
	ctx := context.Background()
	if _, err := iss.Verifier(t).Verify(ctx, tok); !errors.Is(err, jwtguard.ErrTokenIssuedInFuture) {
		t.Fatalf("verifier on the real time: %v, want ErrTokenIssuedInFuture", err)
	}
	v := iss.Verifier(t, jwtguard.WithClock(clock.Now))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("verifier on the same clock: %v", err)
	}
	clock.Advance(time.Hour)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, jwtguard.ErrTokenExpired) {
		t.Fatalf("an hour later: %v, want ErrTokenExpired", err)
	}
}

func TestIssuerOptionsRefuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt  jwtguardtest.IssuerOption
		want string
	}{
		{jwtguardtest.WithIssuerClock(nil), "WithIssuerClock"},
		{jwtguardtest.WithMaxAge(-1), "WithMaxAge"},
	} {
		iss, err := jwtguardtest.StartIssuer(tc.opt)
		if err == nil {
			iss.Close()
			t.Errorf("%s accepted", tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %q does not name %s", err, tc.want)
		}
	}
}
