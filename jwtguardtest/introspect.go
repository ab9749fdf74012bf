package jwtguardtest

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard"
)

// IntrospectionPath is where [Issuer.EnableIntrospection] serves the
// endpoint (also announced by discovery).
const IntrospectionPath = "/introspect"

// introspection is the state of an issuer's RFC 7662 endpoint. It lives
// beside the Issuer (keyed by it) so issuer.go stays unchanged.
type introspection struct {
	mu       sync.Mutex
	clientID string
	secret   string
	keys     map[string]clientKey // private_key_jwt clients
	opaque   map[string]Claims
	inactive map[string]bool
	fault    func(w http.ResponseWriter, r *http.Request) bool
	hits     atomic.Int64
}

type clientKey struct {
	pub crypto.PublicKey
	alg string
}

var introspections sync.Map // *Issuer → *introspection

func (i *Issuer) introspection() *introspection {
	v, _ := introspections.LoadOrStore(i, &introspection{
		keys: map[string]clientKey{}, opaque: map[string]Claims{}, inactive: map[string]bool{},
	})
	return v.(*introspection)
}

// EnableIntrospection serves an OAuth 2.0 Token Introspection endpoint
// (RFC 7662) at [IntrospectionPath] that accepts the client clientID with
// secret over HTTP Basic (and clients registered with
// [Issuer.AllowClientKey] over private_key_jwt). It returns the endpoint
// URL.
//
// The endpoint answers active:true with the token's claims for opaque
// tokens from [Issuer.MintOpaque] and for JWTs (whose payload it reads
// without checking the signature: the test issuer trusts that its caller
// verified it), unless the token was passed to [Issuer.Deactivate] or has
// expired; anything else is active:false. Wrong client credentials get 401
// invalid_client.
func (i *Issuer) EnableIntrospection(clientID, secret string) string {
	in := i.introspection()
	in.mu.Lock()
	in.clientID, in.secret = clientID, secret
	in.mu.Unlock()
	i.Handle(IntrospectionPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i.serveIntrospection(in, w, r)
	}))
	return i.IntrospectionURL()
}

// IntrospectionURL is the introspection endpoint's URL.
func (i *Issuer) IntrospectionURL() string { return i.endpoint(IntrospectionPath) }

// AllowClientKey registers a private_key_jwt client: its client assertions
// must be signed with the private half of pub using alg.
func (i *Issuer) AllowClientKey(clientID string, pub crypto.PublicKey, alg string) {
	in := i.introspection()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.keys[clientID] = clientKey{pub: pub, alg: alg}
}

// MintOpaque returns a new opaque token (random, no dots) that the
// introspection endpoint reports active with claims merged over
// [Issuer.DefaultClaims] (a nil value removes a default claim).
func (i *Issuer) MintOpaque(claims Claims) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "opaque-" + base64.RawURLEncoding.EncodeToString(b)
	body := i.DefaultClaims()
	maps.Copy(body, claims)
	for k, v := range body {
		if v == nil {
			delete(body, k)
		}
	}
	in := i.introspection()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.opaque[tok] = body
	return tok
}

// Deactivate makes the endpoint report token (opaque or JWT) inactive, as
// after a revocation at the authorization server.
func (i *Issuer) Deactivate(token string) {
	in := i.introspection()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.inactive[token] = true
}

// SetIntrospectionFault installs f in front of the introspection endpoint:
// when f returns true it has written the response itself (a 500, a
// malformed body, ...). nil removes the fault.
func (i *Issuer) SetIntrospectionFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	in := i.introspection()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.fault = f
}

// IntrospectionHits counts requests to the introspection endpoint
// (including faulted and unauthenticated ones).
func (i *Issuer) IntrospectionHits() int64 { return i.introspection().hits.Load() }

func (i *Issuer) serveIntrospection(in *introspection, w http.ResponseWriter, r *http.Request) {
	in.hits.Add(1)
	in.mu.Lock()
	fault := in.fault
	in.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !i.authenticateClient(in, r) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	tok := r.PostForm.Get("token")
	resp := map[string]any{"active": false}
	in.mu.Lock()
	claims, isOpaque := in.opaque[tok]
	inactive := in.inactive[tok]
	in.mu.Unlock()
	if !isOpaque && strings.Count(tok, ".") == 2 {
		parts := strings.Split(tok, ".")
		if raw, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			_ = json.Unmarshal(raw, &claims)
		}
	}
	if claims != nil && !inactive && !expired(claims["exp"], i.now()) {
		resp = maps.Clone(claims)
		resp["active"] = true
		resp["token_type"] = "Bearer"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// expired reports whether an exp claim value lies in the past.
func expired(exp any, now time.Time) bool {
	var sec float64
	switch v := exp.(type) {
	case int64:
		sec = float64(v)
	case int:
		sec = float64(v)
	case float64:
		sec = v
	default:
		return false
	}
	return !time.Unix(int64(sec), 0).After(now)
}

// authenticateClient accepts HTTP Basic with the configured client, or a
// private_key_jwt assertion from a registered client.
func (i *Issuer) authenticateClient(in *introspection, r *http.Request) bool {
	in.mu.Lock()
	id, secret := in.clientID, in.secret
	in.mu.Unlock()
	if u, p, ok := r.BasicAuth(); ok {
		u, err1 := url.QueryUnescape(u)
		p, err2 := url.QueryUnescape(p)
		return err1 == nil && err2 == nil && id != "" && u == id && p == secret
	}
	if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return false
	}
	assertion := r.PostForm.Get("client_assertion")
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var body struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Iss != body.Sub {
		return false
	}
	in.mu.Lock()
	k, ok := in.keys[body.Iss]
	in.mu.Unlock()
	if !ok {
		return false
	}
	v, err := jwtguard.New(jwtguard.Trust(jwtguard.Issuer{ID: body.Iss, Keys: jwtguard.StaticKeys(k.pub),
		Audiences: []string{i.IntrospectionURL()}, RequiredClaims: []string{"jti", "sub"}}),
		jwtguard.WithAlgorithms(k.alg), jwtguard.WithClock(i.now))
	if err != nil {
		return false
	}
	_, err = v.Verify(context.Background(), assertion)
	return err == nil
}
