// Package providertest loads the identity-provider fixtures kept under
// testdata/providers/<name>/ and turns them into signed tokens, JWKS and
// X.509 key maps for tests.
//
// A fixture directory holds (see testdata/providers/README.md for the full
// description):
//
//	README.md            the documentation pages the fixture was built from
//	jwks.json            the provider's JWKS, key material as placeholders
//	x509.json            optional: the legacy {kid: PEM} certificate map
//	discovery.json       optional: the OpenID configuration document
//	*.json               optional: further documents (kept in Documents)
//	tokens/<kind>.json   {"header": {...}, "claims": {...}} per token kind
//	expect.json          the table the profile tests read
//
// Key material is never stored: [Fixture.JWKS] and [Fixture.X509Map] fill the
// placeholders from a test key, [Fixture.Token] resolves time placeholders
// ("<now>", "<now+3600>", "<now-60>") and applies edits, and [Sign] produces a
// compact JWS. The package does not import the root jwtguard package.
package providertest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint (RFC 7517 §4.8).
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// Fixture is one provider directory, loaded and validated.
type Fixture struct {
	// Name is the directory name, e.g. "keycloak".
	Name string
	// Dir is the directory the fixture was loaded from.
	Dir string
	// README is the text of README.md.
	README string
	// Discovery is discovery.json as stored, or nil when the provider has none.
	Discovery json.RawMessage
	// Documents holds every top-level *.json file by file name (including
	// jwks.json, discovery.json, x509.json and expect.json), as stored.
	Documents map[string]json.RawMessage
	// Tokens maps a token kind (the file name under tokens/ without ".json")
	// to its template.
	Tokens map[string]TokenTemplate
	// Expect is expect.json.
	Expect Expect

	jwks any // decoded jwks.json
	x509 map[string]string
}

// TokenTemplate is one tokens/<kind>.json file: header and claims with time
// placeholders still in place. Numbers are json.Number, so integers stay exact.
type TokenTemplate struct {
	Header map[string]any `json:"header"`
	Claims map[string]any `json:"claims"`
}

// Expect is expect.json: the profile arguments, the expected outcome for
// every token kind, and variants (edits to a token kind) with theirs.
type Expect struct {
	// Provider is the provider's name; it equals the directory name.
	Provider string `json:"provider"`
	// Profile holds the arguments the provider's profile constructor takes
	// (realm URL, client ID, tenant, region, pool, project, trust domain...).
	Profile map[string]any `json:"profile"`
	// Tokens lists every token kind under tokens/ with its expected outcome.
	Tokens []TokenExpect `json:"tokens"`
	// Variants are edits applied to a token kind, with their outcome.
	Variants []Variant `json:"variants"`
	// Notes are free-form remarks for readers of the table.
	Notes []string `json:"notes,omitempty"`
}

// Outcome is what a verifier configured with the profile must do with a
// token: accept it and map these fields, or refuse it for Reason. Empty
// fields mean "none expected": a nil Roles means the token maps no roles.
type Outcome struct {
	Accept bool   `json:"accept"`
	Reason string `json:"reason,omitempty"`
	// Subject is the mapped subject.
	Subject string `json:"subject,omitempty"`
	// Client is the calling client (azp, client_id, cid or appid; for an ID
	// token without azp, its aud).
	Client string `json:"client,omitempty"`
	// Roles, Scopes and Permissions are sets: compare them ignoring order.
	Roles       []string `json:"roles,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	// Tenant is the single tenant; Tenants all tenants when the token names several.
	Tenant  string   `json:"tenant,omitempty"`
	Tenants []string `json:"tenants,omitempty"`
	// Claims are typed claim values the verified claims must carry, keyed by
	// claim path (dots into objects; "\." for a dot inside a member name).
	Claims map[string]any `json:"claims,omitempty"`
	// MinTokenBytes, when set, is a size the compact token must exceed
	// (e.g. Entra tokens with many groups exceed the default 8 KiB cap).
	MinTokenBytes int `json:"min_token_bytes,omitempty"`
	// Note explains a non-obvious expectation.
	Note string `json:"note,omitempty"`
}

// TokenExpect is the expected outcome for one token kind.
type TokenExpect struct {
	Kind string `json:"kind"`
	Outcome
}

// Variant is an edit of a token kind with its expected outcome.
type Variant struct {
	Name string `json:"name"`
	// From is the token kind the variant starts from.
	From string `json:"from"`
	// Set edits claims: dotted paths into objects ("\." escapes a dot in a
	// member name); a JSON null deletes the member. Values may be time
	// placeholders.
	Set map[string]any `json:"set,omitempty"`
	// SetHeader edits the JOSE header the same way.
	SetHeader map[string]any `json:"set_header,omitempty"`
	// Profile overrides profile arguments for this variant only (merged over
	// Expect.Profile; a JSON null removes an argument).
	Profile map[string]any `json:"profile,omitempty"`
	Outcome
}

// ProfileFor returns the profile arguments for v: Expect.Profile with
// v.Profile merged over it.
func (f *Fixture) ProfileFor(v Variant) map[string]any {
	p := deepCopy(f.Expect.Profile).(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	for k, val := range v.Profile {
		if val == nil {
			delete(p, k)
			continue
		}
		p[k] = deepCopy(val)
	}
	return p
}

// LoadAll loads every fixture directory under root, sorted by name.
func LoadAll(root string) ([]*Fixture, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []*Fixture
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		f, err := Load(filepath.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("providertest: no fixture directories under %s", root)
	}
	return out, nil
}

// Load reads and checks one fixture directory: every JSON file must be valid
// JSON without duplicate member names, jwks.json, expect.json and at least one
// token are required, and every token kind named in expect.json must exist.
func Load(dir string) (*Fixture, error) {
	f := &Fixture{
		Name:      filepath.Base(dir),
		Dir:       dir,
		Documents: map[string]json.RawMessage{},
		Tokens:    map[string]TokenTemplate{},
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		return nil, fmt.Errorf("providertest: %s: %w", f.Name, err)
	}
	f.README = string(readme)

	tops, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, p := range tops {
		data, err := readJSON(p)
		if err != nil {
			return nil, err
		}
		f.Documents[filepath.Base(p)] = data
	}

	jwks, ok := f.Documents["jwks.json"]
	if !ok {
		return nil, fmt.Errorf("providertest: %s: jwks.json missing", f.Name)
	}
	if err := decode(jwks, &f.jwks); err != nil {
		return nil, fmt.Errorf("providertest: %s/jwks.json: %w", f.Name, err)
	}
	if m, ok := f.jwks.(map[string]any); !ok || m["keys"] == nil {
		return nil, fmt.Errorf("providertest: %s/jwks.json: no \"keys\" member", f.Name)
	}
	if d, ok := f.Documents["discovery.json"]; ok {
		f.Discovery = d
	}
	if x, ok := f.Documents["x509.json"]; ok {
		if err := decode(x, &f.x509); err != nil {
			return nil, fmt.Errorf("providertest: %s/x509.json: %w", f.Name, err)
		}
	}

	exp, ok := f.Documents["expect.json"]
	if !ok {
		return nil, fmt.Errorf("providertest: %s: expect.json missing", f.Name)
	}
	dec := json.NewDecoder(bytes.NewReader(exp))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f.Expect); err != nil {
		return nil, fmt.Errorf("providertest: %s/expect.json: %w", f.Name, err)
	}
	if f.Expect.Provider != f.Name {
		return nil, fmt.Errorf("providertest: %s/expect.json: provider %q, want the directory name", f.Name, f.Expect.Provider)
	}

	toks, err := filepath.Glob(filepath.Join(dir, "tokens", "*.json"))
	if err != nil {
		return nil, err
	}
	for _, p := range toks {
		data, err := readJSON(p)
		if err != nil {
			return nil, err
		}
		var t TokenTemplate
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("providertest: %s: %w", p, err)
		}
		if t.Header == nil || t.Claims == nil {
			return nil, fmt.Errorf("providertest: %s: header and claims are required", p)
		}
		f.Tokens[strings.TrimSuffix(filepath.Base(p), ".json")] = t
	}
	if len(f.Tokens) == 0 {
		return nil, fmt.Errorf("providertest: %s: no tokens/*.json", f.Name)
	}
	if err := f.checkExpect(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Fixture) checkExpect() error {
	listed := map[string]bool{}
	for _, t := range f.Expect.Tokens {
		if _, ok := f.Tokens[t.Kind]; !ok {
			return fmt.Errorf("providertest: %s/expect.json: token kind %q has no tokens/%s.json", f.Name, t.Kind, t.Kind)
		}
		if listed[t.Kind] {
			return fmt.Errorf("providertest: %s/expect.json: token kind %q listed twice", f.Name, t.Kind)
		}
		listed[t.Kind] = true
		if !t.Accept && t.Reason == "" {
			return fmt.Errorf("providertest: %s/expect.json: refused kind %q needs a reason", f.Name, t.Kind)
		}
	}
	for kind := range f.Tokens {
		if !listed[kind] {
			return fmt.Errorf("providertest: %s: tokens/%s.json is not listed in expect.json", f.Name, kind)
		}
	}
	names := map[string]bool{}
	for _, v := range f.Expect.Variants {
		if v.Name == "" || names[v.Name] {
			return fmt.Errorf("providertest: %s/expect.json: variant name %q empty or repeated", f.Name, v.Name)
		}
		names[v.Name] = true
		if _, ok := f.Tokens[v.From]; !ok {
			return fmt.Errorf("providertest: %s/expect.json: variant %q starts from unknown kind %q", f.Name, v.Name, v.From)
		}
		if !v.Accept && v.Reason == "" {
			return fmt.Errorf("providertest: %s/expect.json: refused variant %q needs a reason", f.Name, v.Name)
		}
	}
	return nil
}

// Variant returns the named variant.
func (f *Fixture) Variant(name string) (Variant, bool) {
	for _, v := range f.Expect.Variants {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// Token returns the header and claims of a token kind with time placeholders
// resolved against now and edits applied to the claims. Edit keys are dotted
// paths into objects ("\." escapes a dot inside a member name; a key naming
// an existing top-level member is taken whole); a nil value deletes the
// member; values may themselves be time placeholders. The maps are fresh
// copies the caller may change.
func (f *Fixture) Token(kind string, now time.Time, edits map[string]any) (header, claims map[string]any, err error) {
	return f.token(kind, now, edits, nil)
}

// VariantToken returns the header and claims of a variant: its base kind with
// Set applied to the claims and SetHeader to the header.
func (f *Fixture) VariantToken(v Variant, now time.Time) (header, claims map[string]any, err error) {
	return f.token(v.From, now, v.Set, v.SetHeader)
}

func (f *Fixture) token(kind string, now time.Time, edits, headerEdits map[string]any) (map[string]any, map[string]any, error) {
	t, ok := f.Tokens[kind]
	if !ok {
		return nil, nil, fmt.Errorf("providertest: %s: no token kind %q", f.Name, kind)
	}
	header := deepCopy(t.Header).(map[string]any)
	claims := deepCopy(t.Claims).(map[string]any)
	if err := applyEdits(claims, edits); err != nil {
		return nil, nil, fmt.Errorf("providertest: %s/%s claims: %w", f.Name, kind, err)
	}
	if err := applyEdits(header, headerEdits); err != nil {
		return nil, nil, fmt.Errorf("providertest: %s/%s header: %w", f.Name, kind, err)
	}
	h, err := resolveTimes(header, now)
	if err != nil {
		return nil, nil, fmt.Errorf("providertest: %s/%s header: %w", f.Name, kind, err)
	}
	c, err := resolveTimes(claims, now)
	if err != nil {
		return nil, nil, fmt.Errorf("providertest: %s/%s claims: %w", f.Name, kind, err)
	}
	if p := findPlaceholder(h); p != "" {
		return nil, nil, fmt.Errorf("providertest: %s/%s header: unresolved placeholder %q", f.Name, kind, p)
	}
	if p := findPlaceholder(c); p != "" {
		return nil, nil, fmt.Errorf("providertest: %s/%s claims: unresolved placeholder %q", f.Name, kind, p)
	}
	return h.(map[string]any), c.(map[string]any), nil
}

// JWKS returns jwks.json with its key placeholders filled from pub: "<n>" and
// "<e>" for an *rsa.PublicKey; "<crv>", "<x>" and "<y>" for an
// *ecdsa.PublicKey; "<x5c>" (standard base64 of certDER), "<x5t>" and
// "<x5t#S256>" (base64url SHA-1 and SHA-256 thumbprints of certDER) when the
// set uses them. Every key in the set gets the same key material; everything
// else (kid, use, alg or its absence, provider-specific members) stays as
// stored. A placeholder the key cannot fill is an error.
func (f *Fixture) JWKS(pub crypto.PublicKey, certDER []byte) ([]byte, error) {
	vals := map[string]string{}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		vals["<n>"] = b64(k.N.Bytes())
		vals["<e>"] = b64(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PublicKey:
		crv, size, err := curveName(k.Curve)
		if err != nil {
			return nil, err
		}
		e, err := k.ECDH()
		if err != nil {
			return nil, err
		}
		pt := e.Bytes() // 0x04 || X || Y
		vals["<crv>"] = crv
		vals["<x>"] = b64(pt[1 : 1+size])
		vals["<y>"] = b64(pt[1+size:])
	default:
		return nil, fmt.Errorf("providertest: unsupported public key %T", pub)
	}
	if certDER != nil {
		s1 := sha1.Sum(certDER) //nolint:gosec // thumbprint, not a signature
		s256 := sha256.Sum256(certDER)
		vals["<x5c>"] = base64.StdEncoding.EncodeToString(certDER)
		vals["<x5t>"] = b64(s1[:])
		vals["<x5t#S256>"] = b64(s256[:])
	}
	out, err := fill(deepCopy(f.jwks), vals)
	if err != nil {
		return nil, fmt.Errorf("providertest: %s/jwks.json: %w", f.Name, err)
	}
	return json.Marshal(out)
}

// HasX509Map reports whether the fixture has an x509.json ({kid: PEM}) document.
func (f *Fixture) HasX509Map() bool { return f.x509 != nil }

// X509Map returns x509.json ({"<kid>": "<pem>"}) with every "<pem>" replaced
// by certPEM. It is an error when the fixture has no x509.json.
func (f *Fixture) X509Map(certPEM string) ([]byte, error) {
	if f.x509 == nil {
		return nil, fmt.Errorf("providertest: %s has no x509.json", f.Name)
	}
	out := make(map[string]string, len(f.x509))
	for kid, v := range f.x509 {
		if v != "<pem>" {
			return nil, fmt.Errorf("providertest: %s/x509.json: value for %q is %q, want \"<pem>\"", f.Name, kid, v)
		}
		out[kid] = certPEM
	}
	return json.Marshal(out)
}

// Kids returns the kid of every key in jwks.json, in order ("" for a key without one).
func (f *Fixture) Kids() []string {
	var out []string
	keys, _ := f.jwks.(map[string]any)["keys"].([]any)
	for _, k := range keys {
		m, _ := k.(map[string]any)
		kid, _ := m["kid"].(string)
		out = append(out, kid)
	}
	return out
}

// Sign returns the compact JWS of header and claims signed with key. The
// header's "alg" must be RS256 (key an RSA key) or ES256 (key a P-256 key).
// Header and claims are encoded with encoding/json (members sorted by name).
func Sign(header, claims map[string]any, key crypto.Signer) (string, error) {
	alg, _ := header["alg"].(string)
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if alg != "RS256" {
			return "", fmt.Errorf("providertest: header alg %q does not match an RSA key (want RS256)", alg)
		}
	case *ecdsa.PublicKey:
		if alg != "ES256" || pub.Curve != elliptic.P256() {
			return "", fmt.Errorf("providertest: header alg %q does not match the ECDSA key (want ES256 with P-256)", alg)
		}
	default:
		return "", fmt.Errorf("providertest: unsupported key %T", pub)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(h) + "." + b64(c)
	digest := sha256.Sum256([]byte(input))
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return "", err
	}
	if alg == "ES256" {
		if sig, err = derToP1363(sig, 32); err != nil {
			return "", err
		}
	}
	return input + "." + b64(sig), nil
}

func derToP1363(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 {
		return nil, errors.New("providertest: malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

func curveName(c elliptic.Curve) (string, int, error) {
	switch c {
	case elliptic.P256():
		return "P-256", 32, nil
	case elliptic.P384():
		return "P-384", 48, nil
	case elliptic.P521():
		return "P-521", 66, nil
	}
	return "", 0, errors.New("providertest: unsupported curve")
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// placeholder matches a whole-string placeholder such as "<n>" or "<now+60>".
var placeholder = regexp.MustCompile(`^<[A-Za-z0-9#+\-]+>$`)

// timePlaceholder matches "<now>", "<now+3600>", "<now-60>".
var timePlaceholder = regexp.MustCompile(`^<now(?:([+-])([0-9]+))?>$`)

// mapStrings replaces, in place, every string of a decoded JSON value with
// leaf(string).
func mapStrings(v any, leaf func(string) (any, error)) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			r, err := mapStrings(e, leaf)
			if err != nil {
				return nil, err
			}
			t[k] = r
		}
		return t, nil
	case []any:
		for i, e := range t {
			r, err := mapStrings(e, leaf)
			if err != nil {
				return nil, err
			}
			t[i] = r
		}
		return t, nil
	case string:
		return leaf(t)
	}
	return v, nil
}

// fill replaces key-material placeholders ("<n>", "<x5c>", ...) by vals.
func fill(v any, vals map[string]string) (any, error) {
	return mapStrings(v, func(t string) (any, error) {
		if !placeholder.MatchString(t) {
			return t, nil
		}
		r, ok := vals[t]
		if !ok {
			return nil, fmt.Errorf("placeholder %q cannot be filled from this key (or no certificate given)", t)
		}
		return r, nil
	})
}

// resolveTimes replaces "<now>", "<now+N>" and "<now-N>" by NumericDates.
func resolveTimes(v any, now time.Time) (any, error) {
	return mapStrings(v, func(t string) (any, error) {
		m := timePlaceholder.FindStringSubmatch(t)
		if m == nil {
			return t, nil
		}
		sec := now.Unix()
		if m[1] != "" {
			d, err := strconv.ParseInt(m[2], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("bad time placeholder %q", t)
			}
			if m[1] == "-" {
				d = -d
			}
			sec += d
		}
		return json.Number(strconv.FormatInt(sec, 10)), nil
	})
}

// findPlaceholder returns the first whole-string placeholder left in v, or "".
func findPlaceholder(v any) string {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if p := findPlaceholder(t[k]); p != "" {
				return p
			}
		}
	case []any:
		for _, e := range t {
			if p := findPlaceholder(e); p != "" {
				return p
			}
		}
	case string:
		if placeholder.MatchString(t) {
			return t
		}
	}
	return ""
}

// SplitPath splits a claim path on dots; "\." is a literal dot inside a
// member name and "\\" a literal backslash.
func SplitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '\\' && i+1 < len(path) && (path[i+1] == '.' || path[i+1] == '\\'):
			cur.WriteByte(path[i+1])
			i++
		case c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String())
}

// Lookup returns the value at a claim path (see [SplitPath]); a path naming
// an existing top-level member is taken whole.
func Lookup(m map[string]any, path string) (any, bool) {
	if v, ok := m[path]; ok {
		return v, true
	}
	var cur any = m
	for _, p := range SplitPath(path) {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func applyEdits(m map[string]any, edits map[string]any) error {
	keys := make([]string, 0, len(edits))
	for k := range edits {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic: parents before children
	for _, path := range keys {
		val := edits[path]
		parts := []string{path}
		if _, whole := m[path]; !whole {
			parts = SplitPath(path)
		}
		obj := m
		for _, p := range parts[:len(parts)-1] {
			next, ok := obj[p]
			if !ok || next == nil {
				if val == nil {
					obj = nil
					break
				}
				n := map[string]any{}
				obj[p] = n
				obj = n
				continue
			}
			child, ok := next.(map[string]any)
			if !ok {
				return fmt.Errorf("edit %q: %q is not an object", path, p)
			}
			obj = child
		}
		if obj == nil {
			continue // deleting below a missing member: nothing to do
		}
		last := parts[len(parts)-1]
		if val == nil {
			delete(obj, last)
		} else {
			obj[last] = deepCopy(val)
		}
	}
	return nil
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if t == nil {
			return map[string]any(nil)
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// readJSON reads a file and checks it is one JSON value without duplicate
// member names at any level.
func readJSON(path string) (json.RawMessage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("providertest: %w", err)
	}
	if err := CheckJSON(data); err != nil {
		return nil, fmt.Errorf("providertest: %s: %w", path, err)
	}
	return data, nil
}

// CheckJSON reports whether data is exactly one valid JSON value with no
// duplicate member names in any object (the project's strict reader:
// names compared after unescaping, valid UTF-8 only).
func CheckJSON(data []byte) error {
	return strictjson.Valid(data, 0)
}
