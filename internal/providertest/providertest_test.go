package providertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const root = "../../testdata/providers"

// wantProviders is the set issue 13 asks for: 13 providers.
var wantProviders = []string{
	"auth0", "cognito", "dex", "entra", "firebase", "github-actions", "google",
	"hydra", "keycloak", "kubernetes", "okta", "spiffe", "zitadel",
}

type testKey struct {
	signer  crypto.Signer
	certDER []byte
	certPEM string
}

var (
	keysOnce sync.Once
	rsaKey   testKey
	ecKey    testKey
	keysErr  error
)

func keys(t *testing.T) (rsaK, ecK testKey) {
	t.Helper()
	keysOnce.Do(func() {
		r, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			keysErr = err
			return
		}
		e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			keysErr = err
			return
		}
		if rsaKey, keysErr = withCert(r); keysErr != nil {
			return
		}
		ecKey, keysErr = withCert(e)
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return rsaKey, ecKey
}

func withCert(s crypto.Signer) (testKey, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "providertest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), s)
	if err != nil {
		return testKey{}, err
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return testKey{signer: s, certDER: der, certPEM: string(p)}, nil
}

// keyFor picks the generated key matching a header alg.
func keyFor(t *testing.T, alg string) testKey {
	t.Helper()
	r, e := keys(t)
	switch alg {
	case "RS256":
		return r
	case "ES256":
		return e
	}
	t.Fatalf("no test key for alg %q", alg)
	return testKey{}
}

func TestAllProvidersPresent(t *testing.T) {
	fs, err := LoadAll(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	kinds := 0
	for _, f := range fs {
		got = append(got, f.Name)
		for k := range f.Tokens {
			if !strings.Contains(k, "many-groups") { // a size case of access-v2, not a token type
				kinds++
			}
		}
	}
	if !slices.Equal(got, wantProviders) {
		t.Fatalf("providers = %v, want %v", got, wantProviders)
	}
	if kinds != 16 {
		t.Errorf("token types = %d, want 16", kinds)
	}
}

func TestFixtures(t *testing.T) {
	fs, err := LoadAll(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			checkReadme(t, f)
			checkDocuments(t, f)
			alg := checkTokensShareAlg(t, f)
			k := keyFor(t, alg)
			checkJWKS(t, f, k)
			checkX509(t, f, k)
			now := time.Now()
			for _, te := range f.Expect.Tokens {
				t.Run("token/"+te.Kind, func(t *testing.T) {
					h, c, err := f.Token(te.Kind, now, nil)
					if err != nil {
						t.Fatal(err)
					}
					tok := signAndVerify(t, h, c)
					checkKid(t, f, h)
					if te.MinTokenBytes > 0 && len(tok) < te.MinTokenBytes {
						t.Errorf("token is %d bytes, expect.json says it must be at least %d", len(tok), te.MinTokenBytes)
					}
					if te.Accept {
						checkOutcome(t, c, te.Outcome)
					}
				})
			}
			for _, v := range f.Expect.Variants {
				t.Run("variant/"+v.Name, func(t *testing.T) {
					h, c, err := f.VariantToken(v, now)
					if err != nil {
						t.Fatal(err)
					}
					signAndVerify(t, h, c)
					if v.Accept {
						checkOutcome(t, c, v.Outcome)
					}
					if len(v.Set) == 0 && len(v.SetHeader) == 0 && len(v.Profile) == 0 {
						t.Error("variant changes nothing")
					}
					_ = f.ProfileFor(v)
				})
			}
		})
	}
}

func checkReadme(t *testing.T, f *Fixture) {
	t.Helper()
	if !strings.Contains(f.README, "https://") {
		t.Error("README.md cites no documentation page")
	}
}

func checkDocuments(t *testing.T, f *Fixture) {
	t.Helper()
	if f.Discovery != nil {
		var d map[string]any
		if err := json.Unmarshal(f.Discovery, &d); err != nil {
			t.Fatalf("discovery.json: %v", err)
		}
		iss, _ := d["issuer"].(string)
		jwks, _ := d["jwks_uri"].(string)
		if iss == "" || !strings.HasPrefix(jwks, "https://") {
			t.Errorf("discovery.json: issuer %q, jwks_uri %q", iss, jwks)
		}
	}
	for name, doc := range f.Documents {
		if err := CheckJSON(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// checkTokensShareAlg returns the one alg all token headers of a fixture use
// (every JWKS key gets the same test key, so a fixture has one key type).
func checkTokensShareAlg(t *testing.T, f *Fixture) string {
	t.Helper()
	alg := ""
	for kind, tt := range f.Tokens {
		a, _ := tt.Header["alg"].(string)
		if a == "" {
			t.Fatalf("tokens/%s.json: header has no alg", kind)
		}
		if alg != "" && a != alg {
			t.Fatalf("tokens use both %s and %s", alg, a)
		}
		alg = a
	}
	return alg
}

func checkJWKS(t *testing.T, f *Fixture, k testKey) {
	t.Helper()
	data, err := f.JWKS(k.signer.Public(), k.certDER)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) == 0 {
		t.Fatal("JWKS has no keys")
	}
	if p := findPlaceholder(toAny(t, data)); p != "" {
		t.Fatalf("JWKS: placeholder %q left", p)
	}
	sum := sha256.Sum256(k.certDER)
	for i, key := range set.Keys {
		switch key["kty"] {
		case "RSA":
			pub := k.signer.Public().(*rsa.PublicKey)
			if key["n"] != b64(pub.N.Bytes()) || key["e"] != "AQAB" {
				t.Errorf("key %d: n/e do not match the test key", i)
			}
		case "EC":
			if key["crv"] != "P-256" {
				t.Errorf("key %d: crv %v", i, key["crv"])
			}
		default:
			t.Errorf("key %d: kty %v", i, key["kty"])
		}
		if x5c, ok := key["x5c"].([]any); ok {
			der, err := base64.StdEncoding.DecodeString(x5c[0].(string))
			if err != nil {
				t.Fatalf("key %d: x5c: %v", i, err)
			}
			if _, err := x509.ParseCertificate(der); err != nil {
				t.Fatalf("key %d: x5c: %v", i, err)
			}
		}
		if v, ok := key["x5t#S256"]; ok && v != b64(sum[:]) {
			t.Errorf("key %d: x5t#S256 %v is not the certificate's thumbprint", i, v)
		}
	}
	// A key the fixture's placeholders cannot take must be refused.
	r, e := keys(t)
	other := r
	if _, isRSA := k.signer.Public().(*rsa.PublicKey); isRSA {
		other = e
	}
	if _, err := f.JWKS(other.signer.Public(), other.certDER); err == nil {
		t.Error("JWKS filled RSA placeholders from an EC key or the reverse")
	}
}

func checkX509(t *testing.T, f *Fixture, k testKey) {
	t.Helper()
	if !f.HasX509Map() {
		if _, err := f.X509Map(k.certPEM); err == nil {
			t.Error("X509Map without x509.json succeeded")
		}
		return
	}
	data, err := f.X509Map(k.certPEM)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	kids := f.Kids()
	for kid, p := range m {
		if !slices.Contains(kids, kid) {
			t.Errorf("x509.json kid %q is not in jwks.json", kid)
		}
		b, _ := pem.Decode([]byte(p))
		if b == nil {
			t.Fatalf("kid %q: not PEM", kid)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			t.Fatalf("kid %q: %v", kid, err)
		}
	}
}

func checkKid(t *testing.T, f *Fixture, h map[string]any) {
	t.Helper()
	kid, _ := h["kid"].(string)
	if kid == "" {
		t.Fatal("header has no kid")
	}
	if !slices.Contains(f.Kids(), kid) {
		t.Errorf("header kid %q is not in jwks.json %v", kid, f.Kids())
	}
}

// signAndVerify signs with the key matching the header alg and verifies the
// signature independently with crypto/rsa or crypto/ecdsa.
func signAndVerify(t *testing.T, h, c map[string]any) string {
	t.Helper()
	alg, _ := h["alg"].(string)
	k := keyFor(t, alg)
	tok, err := Sign(h, c, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch pub := k.signer.Public().(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("RS256 signature does not verify: %v", err)
		}
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			t.Fatalf("ES256 signature is %d bytes, want 64", len(sig))
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub, digest[:], r, s) {
			t.Fatal("ES256 signature does not verify")
		}
	}
	// The encoded parts decode back to the same JSON, with integer times.
	var back map[string]any
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &back); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"exp", "iat", "nbf", "auth_time"} {
		if v, ok := back[name]; ok {
			if n, ok := v.(float64); !ok || n != float64(int64(n)) || n < 1e9 {
				t.Errorf("%s = %v, want an integer NumericDate", name, v)
			}
		}
	}
	if _, ok := back["exp"]; !ok {
		t.Error("token has no exp")
	}
	return tok
}

// checkOutcome checks what the fixture itself can show about an accepted
// token: the subject is the sub claim and every expected typed claim is there.
func checkOutcome(t *testing.T, c map[string]any, o Outcome) {
	t.Helper()
	if o.Subject != "" && c["sub"] != o.Subject {
		t.Errorf("expected subject %q, sub claim is %v", o.Subject, c["sub"])
	}
	for path, want := range o.Claims {
		got, ok := Lookup(c, path)
		if !ok {
			t.Errorf("expected claim %q missing", path)
			continue
		}
		if !jsonEqual(t, got, want) {
			t.Errorf("claim %q = %v, expect.json says %v", path, got, want)
		}
	}
	if o.Client != "" {
		found := false
		for _, name := range []string{"azp", "client_id", "cid", "appid", "aud"} {
			if c[name] == o.Client { // aud: an ID token's audience is its client
				found = true
			}
		}
		if !found {
			t.Errorf("expected client %q is in none of azp, client_id, cid, appid, aud", o.Client)
		}
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

func toAny(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := decode(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTokenEdits(t *testing.T) {
	f, err := Load(filepath.Join(root, "kubernetes"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name  string
		edits map[string]any
		path  string
		want  any // nil: the path must be absent
	}{
		{"time placeholder resolved", nil, "exp", json.Number("1800003600")},
		{"nested time placeholder", nil, `kubernetes\.io.warnafter`, json.Number("1800003000")},
		{"dotted member name", map[string]any{`kubernetes\.io.namespace`: "default"}, `kubernetes\.io.namespace`, "default"},
		{"whole top-level name", map[string]any{"kubernetes.io": map[string]any{"namespace": "x"}}, `kubernetes\.io.namespace`, "x"},
		{"null deletes", map[string]any{`kubernetes\.io.pod`: nil}, `kubernetes\.io.pod`, nil},
		{"delete below missing member", map[string]any{"a.b.c": nil}, "a", nil},
		{"creates objects", map[string]any{"a.b": true}, "a.b", true},
		{"edit value may be a time placeholder", map[string]any{"exp": "<now-60>"}, "exp", json.Number("1799999940")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, err := f.Token("serviceaccount", now, tt.edits)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := Lookup(c, tt.path)
			if tt.want == nil {
				if ok {
					t.Fatalf("%s present: %v", tt.path, got)
				}
				return
			}
			if !ok || !jsonEqual(t, got, tt.want) {
				t.Fatalf("%s = %v (%v), want %v", tt.path, got, ok, tt.want)
			}
		})
	}
	// Edits never leak into the template.
	_, c, err := f.Token("serviceaccount", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ns, _ := Lookup(c, `kubernetes\.io.namespace`); ns != "payments" {
		t.Fatalf("template changed by an earlier edit: namespace %v", ns)
	}
	if _, _, err := f.Token("serviceaccount", now, map[string]any{"sub.x": 1}); err == nil {
		t.Error("editing inside a string succeeded")
	}
	if _, _, err := f.Token("nope", now, nil); err == nil {
		t.Error("unknown kind succeeded")
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a", []string{"a"}},
		{"a.b", []string{"a", "b"}},
		{`resource_access.orders\.api.roles`, []string{"resource_access", "orders.api", "roles"}},
		{`a\\.b`, []string{`a\`, "b"}},
		{`https://hasura\.io/jwt/claims.x-hasura-default-role`, []string{"https://hasura.io/jwt/claims", "x-hasura-default-role"}},
	}
	for _, tt := range tests {
		if got := SplitPath(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSignRefusesMismatchedAlg(t *testing.T) {
	r, e := keys(t)
	c := map[string]any{"sub": "x"}
	tests := []struct {
		alg string
		key crypto.Signer
	}{
		{"ES256", r.signer}, {"RS256", e.signer}, {"HS256", r.signer}, {"none", e.signer}, {"", r.signer},
	}
	for _, tt := range tests {
		if _, err := Sign(map[string]any{"alg": tt.alg}, c, tt.key); err == nil {
			t.Errorf("Sign with alg %q and %T succeeded", tt.alg, tt.key.Public())
		}
	}
}

func TestCheckJSON(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{"a":1,"b":{"a":2}}`, true},
		{`{"a":[{"x":1},{"x":2}],"b":1}`, true},
		{`{"a":1,"a":2}`, false},
		{`{"a":{"x":1,"x":2}}`, false},
		{`{"a":[{"b":{}}],"a":1}`, false},
		{`{"a":1`, false},
		{`{} {}`, false},
	}
	for _, tt := range tests {
		if err := CheckJSON([]byte(tt.in)); (err == nil) != tt.ok {
			t.Errorf("CheckJSON(%s) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

func TestLoadRefusesBrokenFixtures(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(root, "spiffe", "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(dir string)
	}{
		{"unknown kind in expect", func(dir string) {
			write(t, dir, "expect.json", strings.Replace(string(base), `"kind": "svid"`, `"kind": "missing"`, 1))
		}},
		{"unknown field in expect", func(dir string) {
			write(t, dir, "expect.json", strings.Replace(string(base), `"provider"`, `"providr"`, 1))
		}},
		{"duplicate member", func(dir string) {
			write(t, dir, "tokens/svid.json", `{"header":{"alg":"ES256","alg":"ES256"},"claims":{}}`)
		}},
		{"no jwks", func(dir string) { _ = os.Remove(filepath.Join(dir, "jwks.json")) }},
		{"no README", func(dir string) { _ = os.Remove(filepath.Join(dir, "README.md")) }},
		{"unlisted token", func(dir string) {
			write(t, dir, "tokens/extra.json", `{"header":{"alg":"ES256","kid":"k"},"claims":{"sub":"x"}}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spiffe")
			copyDir(t, filepath.Join(root, "spiffe"), dir)
			if _, err := Load(dir); err != nil {
				t.Fatalf("unmodified copy: %v", err)
			}
			tt.mutate(dir)
			if _, err := Load(dir); err == nil {
				t.Fatal("Load accepted a broken fixture")
			}
		})
	}
}

func write(t *testing.T, dir, name, s string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
