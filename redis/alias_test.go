package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// TestAliasesShareRevocationsRedis (issue 16 item 9, with the Redis
// store): revocations are keyed by the entry's canonical issuer, so a
// revocation recorded under one spelling of an issuer ends the tokens of
// the other spelling, on another instance that shares the redis-server —
// with and without that instance's local cache, whose answers were cached
// "not revoked". TestAliasesShareRevocations proves it for the memory
// store.
func TestAliasesShareRevocationsRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	idp := jwtguardtest.NewIssuer(t)
	const id, alias = "https://accounts.example.com", "accounts.example.com"
	entry := jwtguard.Issuer{ID: id, Aliases: []string{alias}, Keys: jwtguard.JWKS(idp.JWKSURL()),
		Audiences: []string{jwtguardtest.DefaultAudience}}
	ctx := context.Background()
	iat := time.Now().Add(-2 * time.Second).Unix()
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("B cache=%v", cached), func(t *testing.T) {
			a := newInstance(t, srv.Addr, entry, idp, false)
			b := newInstance(t, srv.Addr, entry, idp, cached)
			// Subjects and jtis are per subtest: both share the Redis.
			sfx := fmt.Sprintf("-%v", cached)
			mint := func(iss, sub, jti string) string {
				return idp.Mint(jwtguardtest.Claims{"iss": iss, "sub": sub + sfx, "jti": jti + sfx, "iat": iat})
			}
			refused := func(what, tok string) {
				t.Helper()
				if cached {
					eventually(t, what, func() bool { code, _ := b.do(tok); return code == http.StatusUnauthorized })
					return
				}
				if code, why := b.do(tok); code != http.StatusUnauthorized || !strings.Contains(why, "revoked") {
					t.Fatalf("%s: B answers %d %s, want 401 revoked", what, code, why)
				}
			}

			// Both spellings name the same entry on both instances.
			for _, in := range []*instance{a, b} {
				for _, iss := range []string{id, alias} {
					if got, ok := in.v.CanonicalIssuer(ctx, iss); !ok || got != id {
						t.Fatalf("CanonicalIssuer(%q) = %q, %v; want %q", iss, got, ok, id)
					}
				}
			}

			toks := map[string]string{}
			for _, sub := range []string{"alice", "bob", "carol", "dave"} {
				toks[sub+"@id"] = mint(id, sub, sub+"-1")
				toks[sub+"@alias"] = mint(alias, sub, sub+"-2")
			}
			for name, tok := range toks { // B caches "not revoked" for each
				if code, why := b.do(tok); code != http.StatusOK {
					t.Fatalf("%s on B before any revocation: %d %s", name, code, why)
				}
			}

			// An administrator on A, with no token in hand, revokes alice
			// under the alias spelling and bob under the ID spelling.
			for sub, spelling := range map[string]string{"alice": alias, "bob": id} {
				canon, ok := a.v.CanonicalIssuer(ctx, spelling)
				if !ok {
					t.Fatalf("CanonicalIssuer(%q) names no entry", spelling)
				}
				if err := a.store.RevokeSubject(ctx, canon, sub+sfx, time.Now()); err != nil {
					t.Fatal(err)
				}
				for _, form := range []string{"@id", "@alias"} {
					refused(fmt.Sprintf("B refuses %s%s after RevokeSubject under %q", sub, form, spelling), toks[sub+form])
				}
			}

			// A logout on A with a token of the alias spelling revokes its
			// jti under the canonical issuer: B refuses the same jti under
			// the ID spelling.
			c, err := a.v.Verify(ctx, toks["dave@alias"])
			if err != nil {
				t.Fatal(err)
			}
			if c.Entry() != id {
				t.Fatalf("Claims.Entry() = %q, want %q", c.Entry(), id)
			}
			if err := jwtguard.RevokeClaims(ctx, a.store, c); err != nil {
				t.Fatal(err)
			}
			refused("B refuses the logged-out jti under the alias spelling", toks["dave@alias"])
			refused("B refuses the logged-out jti under the ID spelling", mint(id, "dave", "dave-2"))
			if code, why := b.do(toks["dave@id"]); code != http.StatusOK {
				t.Fatalf("dave's other token (another jti) on B: %d %s", code, why)
			}

			// Nobody else is affected, under either spelling.
			for _, form := range []string{"@id", "@alias"} {
				if code, why := b.do(toks["carol"+form]); code != http.StatusOK {
					t.Fatalf("carol%s on B: %d %s", form, code, why)
				}
			}

			// The entries are stored under the canonical issuer only.
			keys, err := newClient(t, srv.Addr).Keys(ctx, "jwtguard:*").Result()
			if err != nil {
				t.Fatal(err)
			}
			canonical := ":" + strconv.Itoa(len(id)) + ":" + id + ":"
			want := map[string]bool{
				"jwtguard:sub" + canonical + "alice" + sfx:  false,
				"jwtguard:sub" + canonical + "bob" + sfx:    false,
				"jwtguard:jti" + canonical + "dave-2" + sfx: false,
			}
			for _, k := range keys {
				if _, ok := want[k]; ok {
					want[k] = true
				}
				if strings.Contains(k, ":"+strconv.Itoa(len(alias))+":"+alias+":") {
					t.Errorf("an entry under the alias spelling: %q", k)
				}
			}
			for k, found := range want {
				if !found {
					t.Errorf("no Redis key %q (keys: %q)", k, keys)
				}
			}
		})
	}
}
