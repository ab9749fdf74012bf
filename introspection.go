package jwtguard

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// ErrTokenInactive means the authorization server's introspection endpoint
// answered that the token is not active (RFC 7662 §2.2): expired, revoked,
// or never issued. It is a 401 invalid_token.
var ErrTokenInactive = errors.New("jwtguard: token not active")

// Introspection defaults.
const (
	// DefaultIntrospectionTTL is how long an "active" answer is reused
	// (never past the token's exp).
	DefaultIntrospectionTTL = 30 * time.Second
	// DefaultIntrospectionNegativeTTL is how long an "inactive" answer is
	// reused.
	DefaultIntrospectionNegativeTTL = 10 * time.Second
	// DefaultIntrospectionCacheSize bounds the number of cached answers.
	DefaultIntrospectionCacheSize = 10_000
	// maxIntrospectionBody caps the endpoint's response.
	maxIntrospectionBody = 64 << 10
)

// Introspector asks an authorization server whether a token is active
// (RFC 7662). The introspect package provides one.
type Introspector interface {
	// Introspect reports whether token is active. For an active token it
	// returns the answer's JSON object (its members become the Claims). jwt
	// is true for a JWT that already passed local verification: an
	// implementation that is not configured to check JWTs returns
	// (true, nil, nil) without a request. Errors (endpoint down, refused
	// credentials, bad answer, too busy) wrap [ErrIntrospectionUnavailable].
	// It must never put the token in an error or log.
	Introspect(ctx context.Context, token string, jwt bool) (active bool, answer []byte, err error)
}

// ClientAuth authenticates jwtguard to an introspection endpoint (RFC 7662
// §2.1 requires the protected resource to authenticate). Use
// [ClientSecretBasic] or [PrivateKeyJWT], or implement it for another
// method.
type ClientAuth interface {
	// Apply adds credentials for a request to endpoint: to header (HTTP
	// Basic) and/or to form (client assertions), which becomes the
	// request body.
	Apply(endpoint string, form url.Values, header http.Header) error
}

type clientSecretBasic struct{ id, secret string }

// ClientSecretBasic authenticates with HTTP Basic, client_id and secret
// form-encoded first as RFC 6749 §2.3.1 requires.
func ClientSecretBasic(clientID, secret string) ClientAuth {
	return clientSecretBasic{id: clientID, secret: secret}
}

// Apply sets the Authorization header.
func (c clientSecretBasic) Apply(_ string, _ url.Values, h http.Header) error {
	cred := url.QueryEscape(c.id) + ":" + url.QueryEscape(c.secret)
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	return nil
}

type privateKeyJWT struct {
	id, alg, kid string
	key          crypto.Signer
	now          func() time.Time
}

// PrivateKeyJWT authenticates with a signed client assertion (RFC 7523
// §2.2, OpenID Connect Core §9 "private_key_jwt"): a JWT with iss and sub
// clientID, aud the endpoint, a fresh jti and a 60-second lifetime, signed
// with key. alg is RS256, PS256, ES256 (P-256 key) or EdDSA (Ed25519 key);
// kid may be empty.
func PrivateKeyJWT(clientID string, key crypto.Signer, alg, kid string) (ClientAuth, error) {
	if clientID == "" || key == nil {
		return nil, errors.New("jwtguard: PrivateKeyJWT: client ID and key are required")
	}
	ok := false
	switch k := key.(type) {
	case *rsa.PrivateKey:
		ok = alg == "RS256" || alg == "PS256"
	case *ecdsa.PrivateKey:
		ok = alg == "ES256" && k.Curve.Params().BitSize == 256
	case ed25519.PrivateKey:
		ok = alg == "EdDSA"
	}
	if !ok {
		return nil, fmt.Errorf("jwtguard: PrivateKeyJWT: a %T cannot sign %q (use RS256/PS256, ES256 or EdDSA)", key, alg)
	}
	return &privateKeyJWT{id: clientID, alg: alg, kid: kid, key: key, now: time.Now}, nil
}

// Apply adds a freshly signed client_assertion to the form.
func (p *privateKeyJWT) Apply(endpoint string, form url.Values, _ http.Header) error {
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	now := p.now()
	hdr := map[string]string{"alg": p.alg, "typ": "JWT"}
	if p.kid != "" {
		hdr["kid"] = p.kid
	}
	hb, _ := json.Marshal(hdr)
	cb, _ := json.Marshal(map[string]any{
		"iss": p.id, "sub": p.id, "aud": endpoint, "jti": hex.EncodeToString(jti[:]),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	})
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(cb)
	var sig []byte
	var err error
	if p.alg == "EdDSA" {
		sig, err = p.key.Sign(rand.Reader, []byte(input), crypto.Hash(0))
	} else {
		d := sha256.Sum256([]byte(input))
		switch p.alg {
		case "RS256":
			sig, err = p.key.Sign(rand.Reader, d[:], crypto.SHA256)
		case "PS256":
			sig, err = p.key.Sign(rand.Reader, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
		case "ES256":
			var r, s []byte
			r, s, err = ecdsaRS(p.key.(*ecdsa.PrivateKey), d[:])
			sig = append(r, s...)
		}
	}
	if err != nil {
		return fmt.Errorf("signing the client assertion: %w", err)
	}
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", input+"."+enc.EncodeToString(sig))
	return nil
}

// ecdsaRS signs d and returns r and s as 32-byte big-endian values (the JWS
// encoding, RFC 7518 §3.4).
func ecdsaRS(k *ecdsa.PrivateKey, d []byte) ([]byte, []byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, k, d)
	if err != nil {
		return nil, nil, err
	}
	rb, sb := make([]byte, 32), make([]byte, 32)
	r.FillBytes(rb)
	s.FillBytes(sb)
	return rb, sb, nil
}

// IntrospectionOption tunes [WithIntrospection].
type IntrospectionOption func(*introspector) error

// IntrospectJWTs also asks the endpoint about every JWT that passed local
// verification, so a JWT revoked at the authorization server is refused
// within the positive cache TTL. It costs a round trip per token per TTL.
func IntrospectJWTs() IntrospectionOption {
	return func(in *introspector) error { in.jwts = true; return nil }
}

// IntrospectionCache sets how long active (positive, default 30 s) and
// inactive (negative, default 10 s) answers are reused, and how many are
// kept (default 10 000). An active answer is never reused past the token's
// exp. Revocation at the server is seen after at most positive. Zero TTLs
// disable the cache.
func IntrospectionCache(positive, negative time.Duration, size int) IntrospectionOption {
	return func(in *introspector) error {
		if positive < 0 || negative < 0 || positive > time.Hour || negative > time.Hour {
			return errors.New("cache TTLs must be within [0, 1h]")
		}
		if size < 0 {
			return errors.New("cache size must not be negative")
		}
		in.posTTL, in.negTTL, in.size = positive, negative, size
		return nil
	}
}

// IntrospectionTimeout bounds each introspection request (default
// [DefaultFetchTimeout]).
func IntrospectionTimeout(d time.Duration) IntrospectionOption {
	return func(in *introspector) error {
		if d <= 0 || d > time.Minute {
			return errors.New("timeout must be within (0, 1m]")
		}
		in.timeout = d
		return nil
	}
}

// WithIntrospection sends tokens that are not a compact JWS (opaque tokens:
// not three dot-separated parts) to the OAuth 2.0 Token Introspection
// endpoint (RFC 7662), authenticating with auth. A token is accepted when
// the endpoint answers active:true, its exp (required, as for JWTs) and
// nbf/iat pass, its aud contains a configured audience (unless
// WithoutAudienceCheck) and its iss, when present, is a configured issuer.
// The answer's members become the [Claims] (scope, roles, tenant read from
// the configured claim paths).
//
// endpoint must be https (plain http only for loopback, or with
// [WithInsecureHTTP]); redirects are not followed. When the endpoint is down,
// answers with an error status (including 401/403: our client credentials
// are wrong) or with a malformed body, verification fails closed with 503
// ([ErrRevocationUnavailable]) — [WithInsecureRevocationFailOpen] does not
// apply. An inactive token is 401 [ErrTokenInactive]. The revocation store
// is not consulted for opaque tokens: revoke them at the authorization
// server (RFC 7009). With introspection configured, no local key source is
// required.
func WithIntrospection(endpoint string, auth ClientAuth, opts ...IntrospectionOption) Option {
	return optionFunc(func(c *config) error {
		if endpoint == "" {
			return optErr("WithIntrospection", "empty endpoint")
		}
		if auth == nil {
			return optErr("WithIntrospection", "nil client authentication (use ClientSecretBasic or PrivateKeyJWT)")
		}
		in := &introspector{
			endpoint: endpoint, auth: auth, timeout: DefaultFetchTimeout,
			posTTL: DefaultIntrospectionTTL, negTTL: DefaultIntrospectionNegativeTTL, size: DefaultIntrospectionCacheSize,
		}
		for _, o := range opts {
			if o == nil {
				return optErr("WithIntrospection", "nil IntrospectionOption")
			}
			if err := o(in); err != nil {
				return optErr("WithIntrospection", "%v", err)
			}
		}
		c.introspection = in
		return nil
	})
}

// validateIntrospection checks the endpoint once every option is applied
// (WithInsecureHTTP and WithHTTPClient may come after WithIntrospection) and
// builds the HTTP client.
func (c *config) validateIntrospection() error {
	in := c.introspection
	if in == nil {
		return nil
	}
	if _, err := checkRemoteURL(in.endpoint, c.insecureHTTP); err != nil {
		return optErr("WithIntrospection", "%v", err)
	}
	cl := &http.Client{}
	if c.httpClient != nil {
		*cl = *c.httpClient
	}
	cl.Timeout = 0
	// A redirect would re-send the token (and credentials) elsewhere.
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	in.client = cl
	in.cache = map[string]introEntry{}
	in.inflight = map[string]*introCall{}
	return nil
}

// introspector is the RFC 7662 client.
type introspector struct {
	endpoint string
	auth     ClientAuth
	client   *http.Client
	timeout  time.Duration
	jwts     bool
	posTTL   time.Duration
	negTTL   time.Duration
	size     int

	mu       sync.RWMutex
	cache    map[string]introEntry
	inflight map[string]*introCall // one request per token at a time
}

// introCall is a request in flight, shared by concurrent lookups of the
// same token.
type introCall struct {
	done chan struct{}
	c    *Claims
	err  error
}

type introEntry struct {
	c     *Claims // nil: inactive
	until time.Time
}

// isCompactJWS reports whether token has the shape of a compact JWS (three
// parts); anything else is treated as opaque.
func isCompactJWS(token string) bool { return strings.Count(token, ".") == 2 }

// verifyWithIntrospection is Verify's path when WithIntrospection is set.
func (v *Verifier) verifyWithIntrospection(ctx context.Context, token string) (*Claims, error) {
	in := v.cfg.introspection
	if isCompactJWS(token) {
		c, err := v.verify(ctx, token)
		if err != nil || !in.jwts {
			return c, err
		}
		ic, err := in.lookup(ctx, v, token, v.cfg.now())
		if err != nil {
			return c, err
		}
		if ic == nil {
			return c, newError(ErrTokenInactive, "token is not active")
		}
		return c, nil
	}
	if len(token) > v.cfg.maxTokenSize {
		return nil, ErrTokenTooLarge
	}
	if token == "" {
		return nil, newError(ErrNoToken, "")
	}
	now := v.cfg.now()
	c, err := in.lookup(ctx, v, token, now)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, newError(ErrTokenInactive, "token is not active")
	}
	cp := *c
	c = &cp
	if err := v.judgeIntrospected(c, now); err != nil {
		return c, err
	}
	return c, nil
}

// judgeIntrospected applies issuer, audience and time checks to an active
// introspection answer.
func (v *Verifier) judgeIntrospected(c *Claims, now time.Time) error {
	audiences := v.audiences
	if c.Issuer != "" {
		if v.issuers != nil {
			e, ok := v.issuers[c.Issuer]
			if !ok {
				return fmt.Errorf("%w: not a configured issuer", ErrInvalidIssuer)
			}
			if e.audiences != nil {
				audiences = e.audiences
			}
		} else if !v.cfg.skipIssuer && !slices.Contains(v.issuerSet, c.Issuer) {
			return ErrInvalidIssuer
		}
	}
	if err := v.checkAudience(c, audiences); err != nil {
		return err
	}
	return v.checkTimes(c, now)
}

// lookup returns the claims of an active token, nil for an inactive one, or
// an error wrapping ErrRevocationUnavailable (endpoint problems) or a claim
// error (an active answer with invalid claims). Concurrent lookups of one
// token share one request.
func (in *introspector) lookup(ctx context.Context, v *Verifier, token string, now time.Time) (*Claims, error) {
	in.mu.RLock()
	e, ok := in.cache[token]
	in.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.c, nil
	}
	in.mu.Lock()
	if call, ok := in.inflight[token]; ok {
		in.mu.Unlock()
		select {
		case <-call.done:
			return call.c, call.err
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: introspection: %v", ErrRevocationUnavailable, ctx.Err())
		}
	}
	call := &introCall{done: make(chan struct{})}
	in.inflight[token] = call
	in.mu.Unlock()

	// The shared request does not die with the first caller's context; it
	// has its own timeout.
	call.c, call.err = in.call(context.WithoutCancel(ctx), v, token)
	ttl := in.negTTL
	if call.c != nil {
		ttl = min(in.posTTL, call.c.ExpiresAt.Sub(now))
	}
	in.mu.Lock()
	if call.err == nil && in.size > 0 && ttl > 0 {
		if _, exists := in.cache[token]; !exists && len(in.cache) >= in.size {
			for k := range in.cache { // evict an arbitrary entry: bounded under floods
				delete(in.cache, k)
				break
			}
		}
		// Clone: token may be a slice of a larger header (all cookies).
		in.cache[strings.Clone(token)] = introEntry{c: call.c, until: now.Add(ttl)}
	}
	delete(in.inflight, token)
	in.mu.Unlock()
	close(call.done)
	return call.c, call.err
}

// call asks the endpoint once.
func (in *introspector) call(ctx context.Context, v *Verifier, token string) (*Claims, error) {
	unavailable := func(format string, args ...any) error {
		return fmt.Errorf("%w: introspection: %s", ErrRevocationUnavailable, fmt.Sprintf(format, args...))
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	hdr := http.Header{}
	if err := in.auth.Apply(in.endpoint, form, hdr); err != nil {
		return nil, unavailable("client authentication: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, in.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, unavailable("%v", err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := in.client.Do(req)
	if err != nil {
		// The *url.Error names the endpoint, never the body (the token).
		return nil, unavailable("%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIntrospectionBody+1))
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, unavailable("the endpoint refused our client credentials (status %d)", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, unavailable("status %d", resp.StatusCode)
	case err != nil:
		return nil, unavailable("reading the answer: %v", err)
	case len(body) > maxIntrospectionBody:
		return nil, unavailable("answer larger than %d bytes", maxIntrospectionBody)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, unavailable("answer is %q, not JSON", truncate(ct))
		}
	}
	if err := strictjson.Object(body, 0, nil); err != nil {
		return nil, unavailable("answer is not a valid JSON object")
	}
	raw, ok := strictjson.Member(body, "active")
	if !ok {
		return nil, unavailable(`answer has no "active" member`)
	}
	active, err := strictjson.Bool(raw)
	if err != nil {
		return nil, unavailable(`"active" is not a boolean`)
	}
	if !active {
		return nil, nil
	}
	if isCompactJWS(token) {
		// IntrospectJWTs: the JWT itself was verified locally, so only
		// "active" decides (RFC 7662 §2.2 requires no other member). A
		// valid exp in the answer bounds the cache entry; without one the
		// positive TTL does.
		c := &Claims{raw: body, ExpiresAt: v.cfg.now().Add(in.posTTL)}
		if raw, ok := strictjson.Member(body, "exp"); ok {
			if t, err := numericDate(raw, "exp"); err == nil {
				c.ExpiresAt = t
			}
		}
		return c, nil
	}
	c, err := parseClaims(body, &v.paths, v.cfg.requiredClaims)
	if err != nil {
		return nil, err
	}
	return c, nil
}
