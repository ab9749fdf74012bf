package jose

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

type testKeys struct {
	rsa    *rsa.PrivateKey
	weak   *rsa.PrivateKey
	p256   *ecdsa.PrivateKey
	p384   *ecdsa.PrivateKey
	ed     ed25519.PrivateKey
	secret []byte
}

var (
	keysOnce sync.Once
	keysVal  testKeys
)

func keys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		k := &keysVal
		if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if k.weak, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
		k.p256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		k.p384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
		k.secret = bytes.Repeat([]byte{7}, 64)
	})
	return keysVal
}

func mustAlg(t testing.TB, name string) *Alg {
	t.Helper()
	a, ok := LookupAlg(name)
	if !ok {
		t.Fatalf("LookupAlg(%q) failed", name)
	}
	return a
}

func TestLookupAndSupportedAlgs(t *testing.T) {
	t.Parallel()
	for _, name := range SupportedAlgs() {
		a, ok := LookupAlg(name)
		if !ok || a.Name != name || a.Family == 0 {
			t.Errorf("LookupAlg(%q) = %+v, %v", name, a, ok)
		}
	}
	if len(SupportedAlgs()) != len(algs) {
		t.Errorf("SupportedAlgs lists %d names, the table has %d", len(SupportedAlgs()), len(algs))
	}
	for _, name := range []string{"none", "None", "NONE", "", "rs256", "HS1", "ES256K", "RSA-OAEP"} {
		if _, ok := LookupAlg(name); ok {
			t.Errorf("LookupAlg(%q) succeeded", name)
		}
	}
}

func TestKeyFromRaw(t *testing.T) {
	t.Parallel()
	k := keys(t)
	badEC := &ecdsa.PublicKey{Curve: elliptic.P256(), X: k.p256.X, Y: k.p384.Y}
	cases := []struct {
		name   string
		raw    any
		remote bool
		kind   string // "": an error
	}{
		{"rsa public", &k.rsa.PublicKey, false, "RSA"},
		{"rsa public value", k.rsa.PublicKey, false, "RSA"},
		{"rsa private", k.rsa, false, "RSA"},
		{"rsa 1024", &k.weak.PublicKey, false, ""},
		{"ec public", &k.p256.PublicKey, false, "EC"},
		{"ec public value", k.p256.PublicKey, false, "EC"},
		{"ec private", k.p384, false, "EC"},
		{"ec point not on curve", badEC, false, ""},
		{"ed public", k.ed.Public(), false, "OKP"},
		{"ed private", k.ed, false, "OKP"},
		{"ed short", ed25519.PublicKey(make([]byte, 31)), false, ""},
		{"secret", k.secret, false, "oct"},
		{"secret remote", k.secret, true, ""},
		{"empty secret", []byte{}, false, ""},
		{"nil", nil, false, ""},
		{"nil rsa", (*rsa.PublicKey)(nil), false, ""},
		{"string", "secret", false, ""},
	}
	for _, c := range cases {
		got, err := KeyFromRaw(c.raw, c.remote)
		switch {
		case c.kind == "" && err == nil:
			t.Errorf("%s: KeyFromRaw accepted it as %s", c.name, got.Kind())
		case c.kind != "" && (err != nil || got.Kind() != c.kind):
			t.Errorf("%s: KeyFromRaw = %v, %v; want kind %s", c.name, got, err, c.kind)
		}
	}
	// A secret is copied.
	s := []byte(strings.Repeat("s", 32))
	key, _ := KeyFromRaw(s, false)
	s[0] = 'x'
	if key.secret[0] != 's' {
		t.Fatal("KeyFromRaw kept the caller's secret slice")
	}
}

func TestKeyFits(t *testing.T) {
	t.Parallel()
	k := keys(t)
	mk := func(raw any, alg string) *Key { return mustKey(t, raw, "", alg) }
	rsaK, p256, p384, ed := mk(&k.rsa.PublicKey, ""), mk(&k.p256.PublicKey, ""), mk(&k.p384.PublicKey, ""), mk(k.ed.Public(), "")
	short := mk(k.secret[:32], "")
	cases := []struct {
		key  *Key
		fits string // space-separated algorithms the key fits
	}{
		{rsaK, "RS256 RS384 RS512 PS256 PS384 PS512"},
		{p256, "ES256"},
		{p384, "ES384"},
		{ed, "EdDSA Ed25519"},
		{mk(k.secret, ""), "HS256 HS384 HS512"},
		{short, "HS256"},
		{mk(&k.rsa.PublicKey, "RS256"), "RS256"},
		{mk(&k.rsa.PublicKey, "PS384"), "PS384"},
		{mk(k.ed.Public(), "EdDSA"), "EdDSA Ed25519"},
		{mk(k.ed.Public(), "Ed25519"), "EdDSA Ed25519"},
		{mk(&k.p256.PublicKey, "ES384"), ""},
		{mk(k.secret, "HS384"), "HS384"},
	}
	for i, c := range cases {
		want := " " + c.fits + " "
		for _, name := range SupportedAlgs() {
			if got := c.key.Fits(mustAlg(t, name)); got != strings.Contains(want, " "+name+" ") {
				t.Errorf("case %d (%s, alg %q): Fits(%s) = %v", i, c.key.Kind(), c.key.Alg, name, got)
			}
		}
	}
	if (&Key{}).Kind() != "?" {
		t.Error("an empty key has a kind")
	}
}

func TestKeyEqual(t *testing.T) {
	t.Parallel()
	k := keys(t)
	mk := func(raw any, kid string) *Key { return mustKey(t, raw, kid, "") }
	a := mk(&k.rsa.PublicKey, "a")
	cases := []struct {
		name string
		x, y *Key
		want bool
	}{
		{"same rsa", a, mk(&k.rsa.PublicKey, "a"), true},
		{"other kid", a, mk(&k.rsa.PublicKey, "b"), false},
		{"other alg", a, func() *Key { c := mk(&k.rsa.PublicKey, "a"); c.Alg = "RS256"; return c }(), false},
		{"other type", a, mk(&k.p256.PublicKey, "a"), false},
		{"same ec", mk(&k.p256.PublicKey, ""), mk(&k.p256.PublicKey, ""), true},
		{"other curve", mk(&k.p256.PublicKey, ""), mk(&k.p384.PublicKey, ""), false},
		{"same ed", mk(k.ed.Public(), ""), mk(k.ed.Public(), ""), true},
		{"same secret", mk(k.secret, ""), mk(k.secret, ""), true},
		{"other secret", mk(k.secret, ""), mk(k.secret[:32], ""), false},
		{"nil", a, nil, false},
		{"both nil", nil, nil, true},
	}
	for _, c := range cases {
		if got := c.x.Equal(c.y); got != c.want {
			t.Errorf("%s: Equal = %v, want %v", c.name, got, c.want)
		}
		if c.x != nil && c.y != nil && SameKeys([]*Key{c.x}, []*Key{c.y}) != c.want {
			t.Errorf("%s: SameKeys disagrees with Equal", c.name)
		}
	}
	if SameKeys([]*Key{a}, []*Key{a, a}) {
		t.Error("SameKeys ignores the length")
	}
}

// jwkOf converts a Go key to a JWK with the given members set.
func jwkOf(t *testing.T, raw any, members map[string]any) jwk.Key {
	t.Helper()
	key, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range members {
		if err := key.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	return key
}

func TestKeyFromJWK(t *testing.T) {
	t.Parallel()
	k := keys(t)
	cases := []struct {
		name    string
		key     jwk.Key
		remote  bool
		wantErr string // "" = accepted
		wantLog string
	}{
		{name: "rsa", key: jwkOf(t, &k.rsa.PublicKey, map[string]any{"kid": "r", "alg": "RS256", "use": "sig"})},
		{name: "key_ops verify", key: jwkOf(t, k.ed.Public(), map[string]any{"key_ops": []string{"sign", "verify"}})},
		{name: "use enc", key: jwkOf(t, &k.rsa.PublicKey, map[string]any{"use": "enc"}), wantErr: "use"},
		{name: "key_ops encrypt", key: jwkOf(t, &k.rsa.PublicKey, map[string]any{"key_ops": []string{"encrypt"}}), wantErr: "key_ops"},
		{name: "alg mismatch", key: jwkOf(t, &k.p256.PublicKey, map[string]any{"alg": "RS256"}), wantErr: "does not fit"},
		{name: "curve mismatch", key: jwkOf(t, &k.p256.PublicKey, map[string]any{"alg": "ES384"}), wantErr: "does not fit"},
		{name: "alg unsupported", key: jwkOf(t, &k.rsa.PublicKey, map[string]any{"alg": "RSA-OAEP"}), wantErr: "not supported"},
		{name: "weak rsa", key: jwkOf(t, &k.weak.PublicKey, nil), wantErr: "2048"},
		{name: "symmetric local", key: jwkOf(t, k.secret, map[string]any{"alg": "HS256"})},
		{name: "symmetric remote", key: jwkOf(t, k.secret, map[string]any{"alg": "HS256"}), remote: true, wantErr: "symmetric"},
		{name: "private rsa", key: jwkOf(t, k.rsa, map[string]any{"kid": "leaked"}), remote: true, wantLog: "private key"},
		{name: "private ec", key: jwkOf(t, k.p256, nil), remote: true, wantLog: "private key"},
		{name: "private ed", key: jwkOf(t, k.ed, nil), remote: true, wantLog: "private key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			got, err := KeyFromJWK(c.key, c.remote, slog.New(slog.NewTextHandler(&logs, nil)))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("KeyFromJWK = %v, %v; want an error mentioning %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("KeyFromJWK: %v", err)
			}
			if got.Kid != c.key.KeyID() {
				t.Errorf("Kid = %q, want %q", got.Kid, c.key.KeyID())
			}
			if c.wantLog != "" && !strings.Contains(logs.String(), c.wantLog) {
				t.Errorf("log %q does not mention %q", logs.String(), c.wantLog)
			}
			if got.secret != nil && c.remote {
				t.Error("a symmetric key was taken from a published set")
			}
		})
	}
	// A nil logger is allowed.
	if _, err := KeyFromJWK(jwkOf(t, k.rsa, nil), true, nil); err != nil {
		t.Fatal(err)
	}
}

func TestKeysFromSet(t *testing.T) {
	t.Parallel()
	k := keys(t)
	set := func(ks ...jwk.Key) jwk.Set {
		s := jwk.NewSet()
		for _, key := range ks {
			_ = s.AddKey(key)
		}
		return s
	}
	good := jwkOf(t, &k.rsa.PublicKey, map[string]any{"kid": "good"})
	enc := jwkOf(t, k.ed.Public(), map[string]any{"kid": "enc", "use": "enc"})
	var logs bytes.Buffer
	sym := jwkOf(t, []byte("0123456789abcdef0123456789abcdef"), map[string]any{"kid": "sym"})
	got, err := KeysFromSet(set(good, enc, sym), true, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil || len(got) != 1 || got[0].Kid != "good" {
		t.Fatalf("KeysFromSet = %v, %v", got, err)
	}
	// A key for another use is routine (Debug); an unusable signature key
	// is worth a warning.
	if !strings.Contains(logs.String(), "level=DEBUG msg=\"jwtguard: skipping key\" kid=enc") {
		t.Errorf("skipped enc key not logged at Debug: %q", logs.String())
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"jwtguard: skipping key\" kid=sym") {
		t.Errorf("skipped symmetric key not logged at Warn: %q", logs.String())
	}
	for name, s := range map[string]jwk.Set{"nil": nil, "empty": jwk.NewSet(), "only enc": set(enc)} {
		if _, err := KeysFromSet(s, true, nil); err == nil {
			t.Errorf("%s: KeysFromSet succeeded", name)
		}
	}
	// Through JSON, as a published set arrives.
	body, _ := json.Marshal(set(good))
	parsed, err := jwk.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := KeysFromSet(parsed, true, nil); err != nil || !got[0].Equal(mustKey(t, &k.rsa.PublicKey, "good", "")) {
		t.Fatalf("KeysFromSet(parsed) = %v, %v", got, err)
	}
}

// mustKey converts a Go key and sets its kid and alg.
func mustKey(t testing.TB, raw any, kid, alg string) *Key {
	t.Helper()
	key, err := KeyFromRaw(raw, false)
	if err != nil {
		t.Fatal(err)
	}
	key.Kid, key.Alg = kid, alg
	return key
}

func TestKeySetCandidates(t *testing.T) {
	t.Parallel()
	k := keys(t)
	rsaA, rsaB := mustKey(t, &k.rsa.PublicKey, "a", ""), mustKey(t, &k.rsa.PublicKey, "b", "")
	ecA := mustKey(t, &k.p256.PublicKey, "a", "")
	kidless := mustKey(t, k.ed.Public(), "", "")
	var many []*Key
	for i := range 12 {
		many = append(many, mustKey(t, k.ed.Public(), fmt.Sprintf("m%d", i), ""))
	}
	rs256, es256, eddsa := mustAlg(t, "RS256"), mustAlg(t, "ES256"), mustAlg(t, "EdDSA")
	cases := []struct {
		name   string
		keys   []*Key
		anyKid bool
		kid    string
		alg    *Alg
		want   []*Key
	}{
		{"kid and alg", []*Key{rsaA, rsaB, ecA}, false, "a", rs256, []*Key{rsaA}},
		{"kid, other alg", []*Key{rsaA, rsaB, ecA}, false, "a", es256, []*Key{ecA}},
		{"kid, no fitting key", []*Key{rsaA, rsaB, ecA}, false, "b", es256, nil},
		{"no kid: every fitting key", []*Key{rsaA, rsaB, ecA}, false, "", rs256, []*Key{rsaA, rsaB}},
		{"unknown kid, remote", []*Key{rsaA, kidless}, false, "zzz", eddsa, nil},
		{"unknown kid, static: kid-less keys", []*Key{rsaA, kidless}, true, "zzz", eddsa, []*Key{kidless}},
		{"known kid, static: not the kid-less keys", []*Key{rsaA, kidless}, true, "a", eddsa, nil},
		{"no kid: capped", many, false, "", eddsa, many[:MaxKeysTried]},
	}
	for _, c := range cases {
		ks := NewKeySet(c.keys, c.anyKid)
		var buf [MaxKeysTried]*Key
		got := ks.Candidates(c.kid, c.alg, buf[:0])
		if len(got) != len(c.want) {
			t.Errorf("%s: %d candidates, want %d", c.name, len(got), len(c.want))
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: candidate %d differs", c.name, i)
			}
		}
	}
	ks := NewKeySet([]*Key{rsaA, kidless}, true)
	if !ks.HasKid("a") || ks.HasKid("") || ks.HasKid("b") {
		t.Error("HasKid is wrong")
	}
	if len(ks.Keys()) != 2 {
		t.Error("Keys lost a key")
	}
}
