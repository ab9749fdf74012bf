package jwtguard

import (
	"crypto/ed25519"
	"testing"

	"github.com/jwtguard/jwtguard/internal/jose"
)

// TestKeyedNames: one per-key name per entry name and key, reused; the
// set stays bounded however many keys come and go.
func TestKeyedNames(t *testing.T) {
	t.Parallel()
	e := &entry{}
	n := &entryName{name: "https://issuer.example.com/"}
	newKey := func() *jose.Key {
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		k, err := jose.KeyFromRaw(pub, false)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k := newKey()
	a, b := e.keyedName(n, k), e.keyedName(n, k)
	if a != b || a.key != k || a.name != n.name || a == n {
		t.Fatalf("keyedName: %p %p (key %p)", a, b, a.key)
	}
	if e.keyedName(n, nil) != n || e.keyedName(nil, k) != nil {
		t.Error("keyedName without a key or name")
	}
	for range 3 * maxKeyed {
		e.keyedName(n, newKey())
	}
	if m := e.keyed.Load(); len(*m) > maxKeyed {
		t.Errorf("%d per-key names held, more than %d", len(*m), maxKeyed)
	}
}
