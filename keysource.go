package jwtguard

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/jwtguard/jwtguard/internal/jwks"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// keySource is a running key source: static keys or a remote JWKS.
type keySource interface {
	// current returns the usable key set, or an error (remote sources: one
	// wrapping jwks.ErrUnavailable with the last fetch error).
	current(now time.Time) (*jose.KeySet, error)
	// refreshUnknownKid asks for a rate-limited refresh because a token
	// named a kid the set does not hold, and waits for it (bounded by ctx).
	refreshUnknownKid(ctx context.Context, kid string)
	// ready blocks until a key set is loaded or ctx ends.
	ready(ctx context.Context) error
	// failed reports that a load failed and no set is loaded.
	failed() bool
	// fetchContext is the context of the latest fetch request (its span),
	// nil for static keys.
	fetchContext() context.Context
	// describe says, for an operator, where the keys come from and how
	// fresh they are: "3 keys from https://.../jwks, fetched 2m ago".
	describe(now time.Time) string
	// refreshNow fetches the keys now, on an operator's request (bounded
	// by ctx); static sources have nothing to fetch.
	refreshNow(ctx context.Context) error
	close()
}

// staticSource serves keys given in configuration.
type staticSource struct{ ks *jose.KeySet }

func (s *staticSource) current(time.Time) (*jose.KeySet, error)   { return s.ks, nil }
func (s *staticSource) refreshUnknownKid(context.Context, string) {}
func (s *staticSource) ready(context.Context) error               { return nil }
func (s *staticSource) failed() bool                              { return false }
func (s *staticSource) close()                                    {}
func (s *staticSource) fetchContext() context.Context             { return nil }
func (s *staticSource) refreshNow(context.Context) error          { return nil }
func (s *staticSource) describe(time.Time) string {
	if s.ks == nil {
		return "no keys"
	}
	return fmt.Sprintf("%d configured key(s)", len(s.ks.Keys()))
}

// remoteSource adapts an internal/jwks source.
type remoteSource struct{ s *jwks.Source }

func (r remoteSource) current(now time.Time) (*jose.KeySet, error) { return r.s.CurrentAt(now) }
func (r remoteSource) refreshUnknownKid(ctx context.Context, kid string) {
	r.s.RefreshUnknownKid(ctx, kid)
}
func (r remoteSource) failed() bool                  { return r.s.LastError() != nil }
func (r remoteSource) fetchContext() context.Context { return r.s.FetchContext() }
func (r remoteSource) describe(now time.Time) string {
	at, ks := r.s.FetchedAt(), r.s.Loaded()
	if at.IsZero() || ks == nil {
		return "keys from " + r.s.Name() + ", not loaded"
	}
	return fmt.Sprintf("%d key(s) from %s, fetched %s ago", len(ks.Keys()), r.s.Name(), now.Sub(at).Round(time.Second))
}
func (r remoteSource) close()                               { r.s.Close() }
func (r remoteSource) refreshNow(ctx context.Context) error { return r.s.Refresh(ctx) }
func (r remoteSource) ready(ctx context.Context) error {
	if err := r.s.Ready(ctx); err != nil {
		return keysUnavailable(err)
	}
	return nil
}

// sourceSet starts key sources: one per KeySource value (and per remote URL
// and client) for static entries, one of its own for each resolved entry.
type sourceSet struct {
	tel       *instruments
	remote    RemoteKeys
	algs      map[string]*jose.Alg // the verifier's allowlist
	now       func() time.Time
	log       *slog.Logger
	checkOnly bool // check key sources, start none

	mu      sync.Mutex
	shared  map[any]keySource
	started []keySource // every shared source, once
}

// source returns the running source of is.Keys. entryAlgs is the entry's
// own allowlist (nil: the verifier's); template reports a template ID.
func (b *sourceSet) source(is Issuer, entryAlgs map[string]*jose.Alg, template, static bool) (keySource, error) {
	ks := is.Keys
	if ks == nil {
		return nil, errors.New("no key source: set Keys to JWKS(url), Discovery(), StaticKeys(...) or HMAC(secret)")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var shareKey any = ks
	switch ks.kind {
	case keysJWKS:
		shareKey = [2]any{ks.url, ks.client}
	case keysDiscovery:
		if is.ID == "" || template {
			return nil, errors.New("Discovery() needs the entry's exact issuer ID; use JWKS(url) for a template or subject-routed entry")
		}
		shareKey = [3]any{"discovery", is.ID, ks.client}
	case keysHMAC:
		if err := b.checkHMAC(ks.secret, entryAlgs); err != nil {
			return nil, err
		}
	}
	if src, ok := b.shared[shareKey]; ok && static {
		return src, nil
	}
	var src keySource
	switch ks.kind {
	case keysJWKS, keysDiscovery:
		cfg := b.remoteConfig(ks.client, ks.kind == keysDiscovery)
		label := is.ID
		if !static && !(b.tel != nil && b.tel.labelResolved) {
			label = issuerOther
		}
		if label == "" {
			label = is.SubjectPrefix
		}
		cfg.Observe, cfg.Inject = b.tel.fetchObserver(label), b.tel.injector()
		var s *jwks.Source
		var err error
		if ks.kind == keysJWKS && ks.url == "" {
			return nil, errors.New("JWKS: empty URL")
		}
		if b.checkOnly {
			u := ks.url
			if ks.kind == keysDiscovery {
				u = is.ID
			}
			if _, err := jwks.CheckURL(u, cfg.InsecureHTTP); err != nil {
				return nil, fmt.Errorf("%s: %v", ks.describe(), err)
			}
			return &staticSource{}, nil
		}
		if ks.kind == keysJWKS {
			s, err = jwks.New(cfg, ks.url)
		} else {
			s, err = jwks.NewDiscovery(cfg, is.ID)
		}
		if err != nil {
			if errors.Is(err, jwks.ErrPlainHTTP) {
				err = fmt.Errorf("%v (use https; WithRemoteKeys(RemoteKeys{InsecureHTTP: true}) allows plain http to any host)", err)
			}
			return nil, fmt.Errorf("%s: %v", ks.describe(), err)
		}
		src = remoteSource{s}
	case keysStatic:
		keys, err := staticKeys(ks.keys, b.log)
		if err != nil {
			return nil, err
		}
		if err := b.checkFit(keys, entryAlgs); err != nil {
			return nil, err
		}
		src = &staticSource{ks: jose.NewKeySet(keys, true)}
	case keysHMAC:
		k, err := jose.KeyFromRaw(ks.secret, false)
		if err != nil {
			return nil, fmt.Errorf("HMAC: %v", err)
		}
		src = &staticSource{ks: jose.NewKeySet([]*jose.Key{k}, true)}
	default:
		return nil, errors.New("invalid KeySource (build one with JWKS, Discovery, StaticKeys or HMAC)")
	}
	if static {
		b.shared[shareKey] = src
		b.started = append(b.started, src)
	}
	return src, nil
}

// checkHMAC refuses short secrets and public keys used as secrets.
func (b *sourceSet) checkHMAC(secret []byte, algs map[string]*jose.Alg) error {
	if jose.LooksLikePublicKey(secret) {
		return errors.New("HMAC: the secret is a public key or certificate (PEM, JWK or DER); an HMAC secret must never be a public key (RFC 8725 §2.1, §3.2)")
	}
	if algs == nil {
		algs = b.algs
	}
	hs := false
	for name, a := range algs {
		if a.Family != jose.FamilyHMAC {
			continue
		}
		hs = true
		if len(secret) < a.Size {
			return fmt.Errorf("HMAC: the secret is %d bytes; %s needs at least %d (RFC 7518 §3.2)", len(secret), name, a.Size)
		}
	}
	if !hs {
		return errors.New("HMAC: no HS256/HS384/HS512 algorithm is allowed (WithAlgorithms or the entry's Algorithms)")
	}
	return nil
}

// checkFit refuses static keys none of which fits an allowed algorithm:
// every token would be refused.
func (b *sourceSet) checkFit(keys []*jose.Key, algs map[string]*jose.Alg) error {
	if algs == nil {
		algs = b.algs
	}
	for _, k := range keys {
		for _, a := range algs {
			if k.Fits(a) {
				return nil
			}
		}
	}
	names := slices.Sorted(maps.Keys(algs))
	return fmt.Errorf("StaticKeys: no key fits an allowed algorithm (%s); allow the keys' algorithms in WithAlgorithms or the entry's Algorithms", strings.Join(names, ", "))
}

// staticKeys converts StaticKeys values.
func staticKeys(values []any, lg *slog.Logger) ([]*jose.Key, error) {
	if len(values) == 0 {
		return nil, errors.New("StaticKeys: no key given")
	}
	var keys []*jose.Key
	for i, v := range values {
		switch k := v.(type) {
		case jwk.Set:
			if k == nil || k.Len() == 0 {
				return nil, fmt.Errorf("StaticKeys: key %d: empty key set", i)
			}
			// A static set may hold oct keys (HMAC secrets with kids); like
			// HMAC(secret), none may be a public key in any encoding.
			for j := 0; j < k.Len(); j++ {
				jk, _ := k.Key(j)
				var raw any
				if jk.KeyType() == jwa.OctetSeq && jk.Raw(&raw) == nil {
					if secret, ok := raw.([]byte); ok && jose.LooksLikePublicKey(secret) {
						return nil, fmt.Errorf("StaticKeys: key %d: oct key %d is a public key or certificate (PEM, JWK or DER); an HMAC secret must never be a public key (RFC 8725 §2.1, §3.2)", i, j)
					}
				}
			}
			ks, err := jose.KeysFromSet(k, false, lg)
			if err != nil {
				return nil, fmt.Errorf("StaticKeys: key %d: %v", i, err)
			}
			keys = append(keys, ks...)
		case jwk.Key:
			vk, err := jose.KeyFromJWK(k, false, lg)
			if err != nil {
				return nil, fmt.Errorf("StaticKeys: key %d: %v", i, err)
			}
			if vk.Kind() == "oct" {
				return nil, fmt.Errorf("StaticKeys: key %d: a symmetric key; use HMAC(secret)", i)
			}
			keys = append(keys, vk)
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			if isNilPointer(v) {
				return nil, fmt.Errorf("StaticKeys: key %d is nil", i)
			}
			vk, err := jose.KeyFromRaw(k, false)
			if err != nil {
				return nil, fmt.Errorf("StaticKeys: key %d: %v", i, err)
			}
			keys = append(keys, vk)
		case []byte, string:
			return nil, fmt.Errorf("StaticKeys: key %d is a byte string; use HMAC(secret) for shared secrets", i)
		default:
			return nil, fmt.Errorf("StaticKeys: key %d: unsupported type %T (want jwk.Set, jwk.Key, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey)", i, v)
		}
	}
	return keys, nil
}

// remoteConfig is the internal/jwks configuration for a source fetching
// with client (nil: the verifier-wide one). A discovery source with a
// client of its own fetches a jwks_uri on another host with the
// verifier-wide client, so that its credentials stay on the issuer's host.
func (b *sourceSet) remoteConfig(client *http.Client, discovery bool) jwks.Config {
	r := b.remote
	var otherHost *http.Client
	if client == nil {
		client = r.Client
	} else if discovery {
		otherHost = r.Client
		if otherHost == nil {
			otherHost = &http.Client{}
		}
	}
	return jwks.Config{
		Client:          client,
		OtherHostClient: otherHost,
		FetchTimeout:    r.FetchTimeout,
		MinRefresh:      r.MinRefresh,
		MaxRefresh:      r.MaxRefresh,
		UnknownKidGap:   r.UnknownKidGap,
		MaxStale:        r.MaxStale,
		InsecureHTTP:    r.InsecureHTTP,
		Now:             b.now,
		Log:             b.log,
	}
}

// fingerprint identifies what k verifies with, so that a changed answer
// of an issuer resolver rebuilds its entry: the kind and URL, and for
// static keys and secrets the key material itself (RFC 7638 thumbprints
// with kid and alg, a SHA-256 of an HMAC secret) — never by count, so
// replacing a withdrawn key by another is a change. The HTTP client is
// not part of it: a resolver that builds a client per call must not
// rebuild the entry (and refetch its keys) on every token. It is computed
// once per KeySource.
func (k *KeySource) fingerprint() string {
	if k.fp == nil { // a KeySource not made by a constructor
		return k.computeFingerprint()
	}
	k.fp.once.Do(func() { k.fp.s = k.computeFingerprint() })
	return k.fp.s
}

func (k *KeySource) computeFingerprint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%s|", k.kind, k.url)
	switch k.kind {
	case keysStatic:
		keys, err := staticKeys(k.keys, nil)
		if err != nil {
			b.WriteString("invalid: " + err.Error())
			break
		}
		for _, key := range keys {
			fmt.Fprintf(&b, "%x/%q/%q;", key.Thumbprint(), key.Kid, key.Alg)
		}
	case keysHMAC:
		fmt.Fprintf(&b, "%x", sha256.Sum256(k.secret))
	}
	return b.String()
}

// checkRemoteKeys validates WithRemoteKeys.
func checkRemoteKeys(r RemoteKeys) error {
	var errs []string
	if r.FetchTimeout < 0 || r.FetchTimeout > maxFetchTimeout {
		errs = append(errs, fmt.Sprintf("FetchTimeout %s is outside (0, %s]", r.FetchTimeout, maxFetchTimeout))
	}
	if r.MinRefresh < 0 || r.MaxRefresh < 0 || (r.MaxRefresh > 0 && r.MinRefresh > r.MaxRefresh) {
		errs = append(errs, fmt.Sprintf("need 0 < MinRefresh (%s) <= MaxRefresh (%s)", r.MinRefresh, r.MaxRefresh))
	}
	if r.UnknownKidGap < 0 {
		errs = append(errs, "UnknownKidGap must not be negative")
	}
	if r.MaxStale < 0 {
		errs = append(errs, "MaxStale must not be negative")
	}
	if len(errs) > 0 {
		return optErr("WithRemoteKeys", "%s", strings.Join(errs, "; "))
	}
	return nil
}

func keysUnavailable(err error) error {
	if errors.Is(err, ErrKeysUnavailable) {
		return newError(err, "")
	}
	// internal/jwks says "verification keys unavailable: why"; say it once.
	why := strings.TrimPrefix(err.Error(), jwks.ErrUnavailable.Error()+": ")
	return newError(fmt.Errorf("%w: %s", ErrKeysUnavailable, why), "")
}

// isNilPointer reports whether v holds a nil pointer (or other nil-able
// kind).
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
