// Package jwtguardtest is a test kit for services that use jwtguard.
//
// [NewIssuer] starts an identity provider on httptest: OpenID discovery and
// a JWKS with RS256, PS256, ES256 and EdDSA keys (plus an HMAC secret that
// is not published), and optionally an introspection endpoint. It mints
// tokens with any claims ([Issuer.Mint]), the usual bad ones
// ([Issuer.Expired], [Issuer.NotYetValid], [Issuer.WrongAudience],
// [Issuer.WrongIssuer], [Issuer.TamperedSignature]) and back-channel
// logout tokens ([Issuer.LogoutToken]), rotates keys and injects faults;
// [Issuer.Verifier] is a ready verifier that trusts it.
//
// With [WithURL] the issuer stands in for a real provider: it answers at the
// provider's https URLs (those an identity-provider profile fetches) from a
// local TLS server, and [Issuer.Client] is the HTTP client that reaches it.
//
// [RunMiddlewareTests] and [RunErrorHandlerTests] are the conformance suite
// every adapter of jwtguard passes; run them against your own adapter.
package jwtguardtest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// DefaultAudience is the aud of tokens minted by an [Issuer] unless
// overridden.
const DefaultAudience = "https://api.example.test"

// DefaultSubject is the sub of minted tokens unless overridden.
const DefaultSubject = "user-1"

// Algorithms lists the asymmetric algorithms an Issuer signs with.
var Algorithms = []string{"RS256", "PS256", "ES256", "EdDSA"}

// Issuer is a test identity provider served by httptest. Create it with
// [NewIssuer] in tests or [StartIssuer] elsewhere. It is safe for
// concurrent use.
type Issuer struct {
	url      string       // the issuer identifier
	base     string       // url without a trailing slash: endpoints are base + path
	client   *http.Client // reaches the server
	close    func()
	standIn  *standIn // set by WithURL
	defaults Claims   // set by WithDefaultClaims
	secret   []byte
	mu       sync.Mutex
	keys     []*signingKey // published keys, newest last per alg
	current  map[string]*signingKey
	maxAge   int
	fault    func(w http.ResponseWriter, r *http.Request) bool
	jwksHits atomic.Int64
	discHits atomic.Int64
	gen      int
	now      func() time.Time
	extra    map[string]http.Handler
}

type signingKey struct {
	alg  string
	kid  string
	priv crypto.Signer
}

// IssuerOption configures an Issuer: [WithURL], [WithDefaultClaims],
// [WithIssuerClock], [WithMaxAge].
type IssuerOption interface {
	apply(*Issuer) error
}

type issuerOption func(*Issuer) error

func (f issuerOption) apply(i *Issuer) error { return f(i) }

// WithMaxAge sets the Cache-Control max-age (seconds) of the JWKS response;
// 0 (default) sends no-cache.
func WithMaxAge(seconds int) IssuerOption {
	return issuerOption(func(i *Issuer) error {
		if seconds < 0 {
			return fmt.Errorf("WithMaxAge(%d): negative", seconds)
		}
		i.maxAge = seconds
		return nil
	})
}

// WithIssuerClock sets the Issuer's clock: the iat and exp of minted tokens
// ([Issuer.DefaultClaims], [Issuer.Expired], ...) and the expiry its
// introspection endpoint checks. It does not reach the verifier, whose clock
// is jwtguard.WithClock: give both the same function, e.g. a [Clock]'s Now.
func WithIssuerClock(now func() time.Time) IssuerOption {
	return issuerOption(func(i *Issuer) error {
		if now == nil {
			return fmt.Errorf("WithIssuerClock: nil clock")
		}
		i.now = now
		return nil
	})
}

// WithDefaultClaims merges claims over the defaults of every token the
// Issuer mints (see [Issuer.DefaultClaims]); a nil value removes a default.
// Give it what every token of the provider you test against carries, e.g.
// the audience and the token-use claim a profile checks. [Issuer.Entry]
// accepts the default aud.
func WithDefaultClaims(claims Claims) IssuerOption {
	return issuerOption(func(i *Issuer) error {
		if i.defaults == nil {
			i.defaults = Claims{}
		}
		maps.Copy(i.defaults, claims)
		return nil
	})
}

// NewIssuer starts an Issuer and stops it when the test ends.
func NewIssuer(t testing.TB, opts ...IssuerOption) *Issuer {
	t.Helper()
	iss, err := StartIssuer(opts...)
	if err != nil {
		t.Fatalf("jwtguardtest: %v", err)
	}
	t.Cleanup(iss.Close)
	return iss
}

// StartIssuer starts an Issuer; call Close when done. Examples and
// programs that are not tests use it.
func StartIssuer(opts ...IssuerOption) (*Issuer, error) {
	i := &Issuer{current: map[string]*signingKey{}, now: time.Now, extra: map[string]http.Handler{}}
	for _, o := range opts {
		if err := o.apply(i); err != nil {
			return nil, fmt.Errorf("jwtguardtest: %w", err)
		}
	}
	i.secret = make([]byte, 32)
	if _, err := rand.Read(i.secret); err != nil {
		return nil, err
	}
	if err := i.addKeys(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("GET /jwks.json", i.serveJWKS)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		i.mu.Lock()
		h := i.extra[r.URL.Path]
		i.mu.Unlock()
		switch {
		case h != nil:
			h.ServeHTTP(w, r)
		case i.standIn != nil && r.Method == http.MethodGet:
			i.serveJWKS(w, r) // the key URL of whatever profile fetches
		default:
			http.NotFound(w, r)
		}
	})
	if i.standIn != nil {
		if err := i.standIn.start(i, mux); err != nil {
			return nil, fmt.Errorf("jwtguardtest: %w", err)
		}
		return i, nil
	}
	srv := httptest.NewServer(mux)
	i.url, i.base, i.client, i.close = srv.URL, srv.URL, srv.Client(), srv.Close
	return i, nil
}

// Handle serves h at path on the issuer's server (e.g. an introspection or
// token endpoint built on the issuer); path is relative to the issuer URL.
func (i *Issuer) Handle(path string, h http.Handler) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.extra[path] = h
}

// Close stops the server.
func (i *Issuer) Close() { i.close() }

// URL is the issuer identifier (the iss of minted tokens) and the base of
// discovery: the httptest server's http://127.0.0.1:port, or the URL given
// to [WithURL].
func (i *Issuer) URL() string { return i.url }

// endpoint returns the URL of path (which starts with a slash) under the
// issuer URL.
func (i *Issuer) endpoint(path string) string { return i.base + path }

// JWKSURL is the JWKS endpoint.
func (i *Issuer) JWKSURL() string { return i.endpoint("/jwks.json") }

// Client returns the HTTP client that reaches the issuer's server. For an
// issuer made [WithURL], it is the only client that does (it trusts the
// server's test certificate authority and dials the local server for the
// issuer's hosts): give it to the key source you test,
// is.Keys = is.Keys.WithHTTPClient(iss.Client()), or to
// jwtguard.WithRemoteKeys.
func (i *Issuer) Client() *http.Client { return i.client }

// HMACSecret returns the shared secret used for HS256/HS384/HS512 tokens. It
// is not published in the JWKS.
func (i *Issuer) HMACSecret() []byte { return slices.Clone(i.secret) }

// JWKSHits counts JWKS requests served (including faulted ones).
func (i *Issuer) JWKSHits() int64 { return i.jwksHits.Load() }

// DiscoveryHits counts discovery requests served.
func (i *Issuer) DiscoveryHits() int64 { return i.discHits.Load() }

// SetFault installs f in front of the discovery and JWKS handlers: when f
// returns true it has written the response itself (a 500, a slow answer, a
// broken body, ...). nil removes the fault.
func (i *Issuer) SetFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.fault = f
}

// Down makes discovery and JWKS answer 503 until Down(false).
func (i *Issuer) Down(down bool) {
	if !down {
		i.SetFault(nil)
		return
	}
	i.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return true
	})
}

// KeyID returns the kid of the current key for alg.
func (i *Issuer) KeyID(alg string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if k := i.current[alg]; k != nil {
		return k.kid
	}
	return ""
}

// PublicKey returns the current public key for alg.
func (i *Issuer) PublicKey(alg string) crypto.PublicKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	if k := i.current[alg]; k != nil {
		return k.priv.Public()
	}
	return nil
}

// Rotate adds a new key for every algorithm and makes it current. The old
// keys stay published (overlap) until [Issuer.RetireOldKeys].
func (i *Issuer) Rotate() error { return i.addKeys() }

// RetireOldKeys stops publishing every key that is not current.
func (i *Issuer) RetireOldKeys() {
	i.mu.Lock()
	defer i.mu.Unlock()
	keep := i.keys[:0]
	for _, k := range i.keys {
		if i.current[k.alg] == k {
			keep = append(keep, k)
		}
	}
	i.keys = keep
}

func (i *Issuer) addKeys() error {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pssKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.gen++
	for _, k := range []*signingKey{
		{alg: "RS256", priv: rsaKey}, {alg: "PS256", priv: pssKey},
		{alg: "ES256", priv: ecKey}, {alg: "EdDSA", priv: edKey},
	} {
		k.kid = fmt.Sprintf("%s-%d-%s", k.alg, i.gen, randID())
		i.keys = append(i.keys, k)
		i.current[k.alg] = k
	}
	return nil
}

func randID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// JWKS returns the published key set as JSON.
func (i *Issuer) JWKS() []byte {
	i.mu.Lock()
	keys := slices.Clone(i.keys)
	i.mu.Unlock()
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := jwk.FromRaw(k.priv.Public())
		if err != nil {
			panic(err)
		}
		_ = pub.Set(jwk.KeyIDKey, k.kid)
		_ = pub.Set(jwk.AlgorithmKey, k.alg)
		_ = pub.Set(jwk.KeyUsageKey, "sig")
		_ = set.AddKey(pub)
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return b
}

func (i *Issuer) faulted(w http.ResponseWriter, r *http.Request) bool {
	i.mu.Lock()
	f := i.fault
	i.mu.Unlock()
	return f != nil && f(w, r)
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	i.discHits.Add(1)
	if i.faulted(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                i.URL(),
		"jwks_uri":                              i.JWKSURL(),
		"authorization_endpoint":                i.endpoint("/authorize"),
		"token_endpoint":                        i.endpoint("/token"),
		"introspection_endpoint":                i.IntrospectionURL(),
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": append(slices.Clone(Algorithms), "HS256"),
	})
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.jwksHits.Add(1)
	if i.faulted(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	if i.maxAge > 0 {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", i.maxAge))
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(i.JWKS())
}

// Entry returns this issuer as a jwtguard.Issuer entry: its URL as ID, keys
// through OIDC discovery (fetched with [Issuer.Client] for an issuer made
// [WithURL]), the aud of minted tokens ([DefaultAudience] unless
// [WithDefaultClaims] changed it). Change its fields (claim mapping,
// required claims, token size...) and pass it to [Issuer.VerifierFor].
func (i *Issuer) Entry() jwtguard.Issuer {
	keys := jwtguard.Discovery()
	if i.standIn != nil {
		keys = keys.WithHTTPClient(i.Client())
	}
	aud := []string{DefaultAudience}
	switch a := i.DefaultClaims()["aud"].(type) {
	case string:
		aud = []string{a}
	case []string:
		aud = slices.Clone(a)
	}
	return jwtguard.Issuer{ID: i.URL(), Keys: keys, Audiences: aud}
}

// Verifier returns a jwtguard.Verifier for this issuer ([Issuer.Entry], the
// asymmetric algorithms, realm "jwtguard-test"), waits until its keys are
// loaded, and closes it when the test ends. opts are added after the
// defaults; they must not repeat WithAlgorithms or WithRealm. The verifier
// reads the real time unless opts have jwtguard.WithClock (the issuer's
// [WithIssuerClock] does not reach it).
func (i *Issuer) Verifier(t testing.TB, opts ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	return i.VerifierFor(t, i.Entry(), opts...)
}

// VerifierFor is [Issuer.Verifier] with the issuer entry e, e.g. an entry
// from Issuer.Entry with changed fields, or a profile's entry for an issuer
// made [WithURL] (whose key source then fetches with [Issuer.Client]).
func (i *Issuer) VerifierFor(t testing.TB, e jwtguard.Issuer, opts ...jwtguard.Option) *jwtguard.Verifier {
	t.Helper()
	if i.standIn != nil && e.Keys != nil {
		e.Keys = e.Keys.WithHTTPClient(i.Client())
	}
	base := []jwtguard.Option{
		jwtguard.Trust(e),
		jwtguard.WithAlgorithms(Algorithms...),
		jwtguard.WithRealm("jwtguard-test"),
	}
	v, err := jwtguard.New(append(base, opts...)...)
	if err != nil {
		t.Fatalf("jwtguardtest: New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	if err := ReadyWithin(v, 10*time.Second); err != nil {
		t.Fatalf("jwtguardtest: %v", err)
	}
	return v
}

// ReadyWithin waits up to d for v's keys.
func ReadyWithin(v *jwtguard.Verifier, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return v.Ready(ctx)
}

// Claims are the claims of a token to mint. A nil value removes a default
// claim.
type Claims map[string]any

// MintOption changes how a token is minted: [WithAlg], [WithHeader],
// [WithoutHeader], [WithSigningKey], [WithHMACKey], [WithRawHeader],
// [WithRawPayload].
type MintOption interface {
	apply(*mint)
}

type mintOption func(*mint)

func (f mintOption) apply(m *mint) { f(m) }

type mint struct {
	alg     string
	header  map[string]any
	drop    []string
	key     crypto.Signer  // overrides the issuer's key
	secret  []byte         // overrides the HMAC secret
	rawBody []byte         // overrides the payload bytes
	rawHead []byte         // overrides the header bytes
	cnf     map[string]any // confirmation members (sender-constrained tokens)
}

// WithAlg signs with the issuer's current key for alg (default RS256;
// HS256/HS384/HS512 use the HMAC secret).
func WithAlg(alg string) MintOption { return mintOption(func(m *mint) { m.alg = alg }) }

// WithHeader sets a header member (alg, kid, typ, crit, jku, ...). Setting
// alg here changes only the header, not how the token is signed.
func WithHeader(name string, value any) MintOption {
	return mintOption(func(m *mint) { m.header[name] = value })
}

// WithoutHeader removes a header member (e.g. "kid").
func WithoutHeader(name string) MintOption {
	return mintOption(func(m *mint) { m.drop = append(m.drop, name) })
}

// WithSigningKey signs with key instead of the issuer's key (an attacker's
// key, or a key not in the JWKS).
func WithSigningKey(key crypto.Signer) MintOption { return mintOption(func(m *mint) { m.key = key }) }

// WithHMACKey signs HS* tokens with secret instead of the issuer's secret
// (e.g. a public key used as HMAC secret).
func WithHMACKey(secret []byte) MintOption { return mintOption(func(m *mint) { m.secret = secret }) }

// WithRawPayload signs payload exactly as given instead of the JSON
// encoding of the claims (for duplicate members, wrong types, ...).
func WithRawPayload(payload []byte) MintOption {
	return mintOption(func(m *mint) { m.rawBody = payload })
}

// WithRawHeader signs header exactly as given.
func WithRawHeader(header []byte) MintOption { return mintOption(func(m *mint) { m.rawHead = header }) }

// DefaultClaims returns the claims every minted token starts from: iss
// ([Issuer.URL]), aud ([DefaultAudience]), sub ([DefaultSubject]), iat (now)
// and exp (now + 5 min) on the issuer's clock ([WithIssuerClock]), with the
// claims of [WithDefaultClaims] merged over them.
func (i *Issuer) DefaultClaims() Claims {
	now := i.now()
	c := Claims{
		"iss": i.URL(),
		"aud": DefaultAudience,
		"sub": DefaultSubject,
		"iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
	}
	maps.Copy(c, i.defaults)
	maps.DeleteFunc(c, func(_ string, v any) bool { return v == nil })
	return c
}

// Mint returns a signed compact JWS. claims are merged over
// [Issuer.DefaultClaims]. It panics on a programming error (unknown alg).
func (i *Issuer) Mint(claims Claims, opts ...MintOption) string {
	m := &mint{alg: "RS256", header: map[string]any{}}
	for _, o := range opts {
		o.apply(m)
	}
	body := i.DefaultClaims()
	maps.Copy(body, claims)
	if m.cnf != nil {
		body["cnf"] = m.cnf
	}
	for k, v := range body {
		if v == nil {
			delete(body, k)
		}
	}
	hdr := map[string]any{"alg": m.alg, "typ": "JWT"}
	var signer crypto.Signer
	var secret []byte
	switch m.alg {
	case "HS256", "HS384", "HS512":
		secret = i.secret
		if m.secret != nil {
			secret = m.secret
		}
	default:
		i.mu.Lock()
		k := i.current[m.alg]
		i.mu.Unlock()
		if m.key != nil {
			signer = m.key
		} else if k != nil {
			signer = k.priv
		} else {
			panic("jwtguardtest: no key for alg " + m.alg)
		}
		if k != nil {
			hdr["kid"] = k.kid
		}
	}
	maps.Copy(hdr, m.header)
	for _, d := range m.drop {
		delete(hdr, d)
	}
	hb := m.rawHead
	if hb == nil {
		hb = mustJSON(hdr)
	}
	pb := m.rawBody
	if pb == nil {
		pb = mustJSON(body)
	}
	input := b64(hb) + "." + b64(pb)
	sig, err := Sign(m.alg, signer, secret, []byte(input))
	if err != nil {
		panic("jwtguardtest: " + err.Error())
	}
	return input + "." + b64(sig)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Sign computes a JWS signature over input with alg (RFC 7518): signer for
// RS/PS/ES/EdDSA, secret for HS.
func Sign(alg string, signer crypto.Signer, secret, input []byte) ([]byte, error) {
	hashFor := map[string]crypto.Hash{
		"RS256": crypto.SHA256, "RS384": crypto.SHA384, "RS512": crypto.SHA512,
		"PS256": crypto.SHA256, "PS384": crypto.SHA384, "PS512": crypto.SHA512,
		"ES256": crypto.SHA256, "ES384": crypto.SHA384, "ES512": crypto.SHA512,
		"HS256": crypto.SHA256, "HS384": crypto.SHA384, "HS512": crypto.SHA512,
	}
	switch alg {
	case "HS256", "HS384", "HS512":
		newHash := map[crypto.Hash]func() hash.Hash{crypto.SHA256: sha256.New, crypto.SHA384: sha512.New384, crypto.SHA512: sha512.New}[hashFor[alg]]
		mac := hmac.New(newHash, secret)
		mac.Write(input)
		return mac.Sum(nil), nil
	case "EdDSA", "Ed25519":
		k, ok := signer.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s needs an Ed25519 key, got %T", alg, signer)
		}
		return ed25519.Sign(k, input), nil
	}
	h, ok := hashFor[alg]
	if !ok {
		return nil, fmt.Errorf("unsupported alg %q", alg)
	}
	hh := h.New()
	hh.Write(input)
	d := hh.Sum(nil)
	switch alg[:2] {
	case "RS":
		k, ok := signer.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s needs an RSA key, got %T", alg, signer)
		}
		return rsa.SignPKCS1v15(rand.Reader, k, h, d)
	case "PS":
		k, ok := signer.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s needs an RSA key, got %T", alg, signer)
		}
		return rsa.SignPSS(rand.Reader, k, h, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	default: // ES
		k, ok := signer.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s needs an EC key, got %T", alg, signer)
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, d)
		if err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
}

// Expired returns a token that expired an hour ago.
func (i *Issuer) Expired() string {
	now := i.now()
	return i.Mint(Claims{"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(-2 * time.Hour).Unix()})
}

// NotYetValid returns a token whose nbf is an hour ahead.
func (i *Issuer) NotYetValid() string {
	return i.Mint(Claims{"nbf": i.now().Add(time.Hour).Unix()})
}

// WrongAudience returns a token for another audience.
func (i *Issuer) WrongAudience() string {
	return i.Mint(Claims{"aud": "https://other-service.example.test"})
}

// WrongIssuer returns a token signed with this issuer's key whose iss names
// another issuer.
func (i *Issuer) WrongIssuer() string {
	return i.Mint(Claims{"iss": "https://other-issuer.example.test"})
}

// TamperedSignature returns a token whose signature has one bit flipped.
func (i *Issuer) TamperedSignature() string {
	tok := i.Mint(nil)
	b := []byte(tok)
	last := len(b) - 5
	if b[last] == 'A' {
		b[last] = 'B'
	} else {
		b[last] = 'A'
	}
	return string(b)
}
