package jwtguard

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"net/http"
	"sync"

	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/mtls"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Issuer is one trusted issuer: everything that is per issuer. A verifier
// trusts a list of them ([Trust], [WithIssuer], [WithIssuerResolver], and
// the identity-provider profiles, which return this same value); a token is
// routed to one entry by its iss and judged by that entry alone.
//
// Precedence: a field set on the entry wins over the verifier-wide setting
// ([WithAudience], [WithAlgorithms]); Algorithms may only narrow the
// verifier's allowlist. New's "missing setting" checks are satisfied by an
// entry that carries the setting (an entry with Audiences needs no
// WithAudience).
type Issuer struct {
	// ID is the exact iss value of this issuer's tokens (RFC 7519 §4.1.1:
	// compared byte for byte, no case folding, no trailing-slash
	// tolerance).
	//
	// ID may instead be a template with one {placeholder} in place of a
	// tenant, e.g. "https://login.microsoftonline.com/{tenantid}/v2.0"
	// (Microsoft Entra ID's multi-tenant issuer). It then stands for one
	// exact issuer per value of Tenants, and a token of such an issuer must
	// also name that tenant in its ClaimMap.Tenant claim when it has one
	// (Entra's tid). A template needs Tenants; for tenants decided at run
	// time use [WithIssuerResolver], which returns exact entries.
	ID string
	// Aliases are further iss values of the same issuer, verified with the
	// same keys and rules: Google's "accounts.google.com" and
	// "https://accounts.google.com"; Entra's v1 "https://sts.windows.net/{tid}/"
	// beside its v2 issuer. An alias may be a template like ID.
	Aliases []string
	// Tenants are the values the placeholder of a template ID or alias may
	// take.
	Tenants []string
	// SubjectPrefix routes tokens that carry NO iss claim to this entry when
	// their sub starts with it: SPIFFE JWT-SVIDs ("spiffe://example.org/").
	// Tokens that carry an iss are routed by iss; only when no entry has
	// that iss does an entry whose ID is "" take them by their sub (SPIRE
	// adds an iss of its own choosing when jwt_issuer is set). ID may be ""
	// when SubjectPrefix is set. Every token this entry accepts has a sub
	// starting with SubjectPrefix.
	SubjectPrefix string

	// Keys is where the issuer's verification keys come from: [JWKS],
	// [Discovery], [StaticKeys] or [HMAC]. Several entries may share one
	// KeySource value: one fetch, one cache.
	Keys *KeySource

	// Audiences accepted for this issuer; nil means the verifier-wide
	// [WithAudience] list.
	Audiences []string
	// WithoutAudience skips the aud check for this issuer. It is allowed
	// only with Clients, which are checked instead: AWS Cognito access
	// tokens carry no aud, only client_id.
	WithoutAudience bool
	// Algorithms allowed for this issuer, a subset of [WithAlgorithms];
	// nil means all of them.
	Algorithms []string
	// Claims says where roles, scopes, permissions and the tenant are.
	Claims ClaimMap
	// RequiredClaims are claim paths that must be present (exp always is).
	// "Present" means any value other than "", null, false and [].
	RequiredClaims []string
	// TokenTypes are the accepted JOSE typ header values, compared
	// case-insensitively with an optional "application/" prefix
	// ("at+jwt" for RFC 9068 access tokens). Empty: any typ.
	TokenTypes []string
	// TokenUseClaim names a claim that says what the token is for, and
	// TokenUses its accepted values: Keycloak's "typ": "Bearer" (not "ID"),
	// Cognito's "token_use": "access". A token whose claim is missing or
	// has another value is refused with [ErrInvalidTokenType].
	TokenUseClaim string
	TokenUses     []string
	// Clients are the calling clients allowed to present this issuer's
	// tokens, matched against azp, client_id, cid or appid (the first one
	// present). Empty: any client. A token naming none is refused when
	// Clients is set.
	Clients []string
	// Invalid, when set, is why this entry cannot be used: an
	// identity-provider profile that refuses a configuration (Okta's org
	// authorization server, whose tokens a resource server cannot
	// validate) sets it, and New fails with it.
	Invalid error
	// DPoP is this issuer's DPoP mode (package dpop): dpop.Allowed,
	// dpop.Required, dpop.Disabled; the zero value, dpop.Inherit, takes
	// the verifier's ([WithDPoP]; disabled without it). A token bound to a
	// DPoP key (cnf.jkt) always needs a valid proof, whatever the mode.
	DPoP dpop.Mode
	// CertificateBinding is this issuer's certificate-binding mode
	// (package mtls, RFC 8705): mtls.Required accepts only tokens bound to
	// the request's client certificate (cnf["x5t#S256"]); mtls.Allowed
	// accepts unbound tokens too; the zero value, mtls.Inherit, takes the
	// verifier's ([WithCertificateBinding]; allowed without it). A
	// certificate-bound token always needs its certificate, whatever the
	// mode.
	CertificateBinding mtls.Mode
	// Provider names the identity provider this entry is for
	// ("github-actions", "kubernetes", ...): the profile package sets it,
	// and its provider-specific policies ([Claims.Provider]) pass only
	// tokens accepted by an entry of their provider. Hand-made entries may
	// leave it empty or name their own.
	Provider string
	// MaxTokenSize is the largest token accepted from this issuer, in
	// bytes (default 8 KiB, at most 1 MiB; Entra tokens with many groups
	// need more). Tokens are read up to the largest size of any static
	// entry before they are routed, so a resolved entry cannot raise it.
	MaxTokenSize int
}

// ClaimMap says where an issuer puts roles, scopes, permissions and the
// tenant. Each entry is a claim path: dot-separated member names, a name
// containing dots in brackets ("[kubernetes.io].namespace",
// "resource_access.[api.example.com].roles"). A nil field takes its
// default. A claim of an unexpected shape maps to nothing: the field stays
// empty, the token is not refused, and policies decide.
type ClaimMap struct {
	// Roles: every path is read and the roles merged (default "roles").
	// A string is one role, an array of strings lists roles. An object
	// grants the names of its members whose value is true or a non-empty
	// object or array (Zitadel's project roles); a member whose value is
	// false, null, "", {} or [] grants nothing ({"admin": false} is not
	// an admin).
	Roles []string
	// Scopes: default "scope" and "scp". A string is split on the space
	// character only (RFC 6749 §3.3); an array lists scopes.
	Scopes []string
	// Permissions: default none. Auth0 RBAC: "permissions".
	Permissions []string
	// Tenant: default "tenant_id". A string, an array of strings (several
	// tenants) or an object, read as for Roles (Keycloak organizations).
	Tenant string
}

// keyKind is the kind of a KeySource.
type keyKind uint8

const (
	keysJWKS keyKind = iota + 1
	keysDiscovery
	keysStatic
	keysHMAC
)

// KeySource is where an issuer's verification keys come from, as a value:
// build one with [JWKS], [Discovery], [StaticKeys] or [HMAC] and give it to
// any [Issuer]. Sharing one *KeySource between entries shares one fetch
// and one cache. It records data only; [New] checks it and starts it.
type KeySource struct {
	kind   keyKind
	url    string
	keys   []any
	secret []byte
	client *http.Client
	// fp memoizes the fingerprint; copies made by WithHTTPClient share it
	// (the client is not part of it).
	fp *keyFingerprint
}

// keyFingerprint is a KeySource's fingerprint, computed once.
type keyFingerprint struct {
	once sync.Once
	s    string
}

// JWKS is the JSON Web Key Set published at url, fetched in the background
// (New does not wait), cached, refreshed on schedule and when a token names
// an unknown kid. url must be https (plain http only to a loopback address,
// or with [RemoteKeys].InsecureHTTP).
func JWKS(url string) *KeySource {
	return &KeySource{kind: keysJWKS, url: url, fp: &keyFingerprint{}}
}

// Discovery finds the issuer's JWKS through OpenID Connect Discovery: the
// document at ID + "/.well-known/openid-configuration" must name exactly the
// entry's ID as its issuer, and its jwks_uri is used as with [JWKS]. An
// https document's jwks_uri must be https.
//
// With a client of its own ([KeySource.WithHTTPClient]), the source fetches
// the document, and a jwks_uri on the same host, with that client; a
// jwks_uri on another host (host and port as written, compared ignoring
// case) is fetched with the verifier-wide client ([RemoteKeys].Client), so
// the credentials the client carries stay on the issuer's host.
func Discovery() *KeySource { return &KeySource{kind: keysDiscovery, fp: &keyFingerprint{}} }

// StaticKeys is a fixed set of public keys: jwk.Set, jwk.Key,
// *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey values. Each key is
// used only with its own key type and, where the JWK names one, its own alg.
// The keys are read when [New] (or, for an [IssuerResolver]'s answer, the
// first token of the issuer) uses the source: to change keys, return a new
// StaticKeys rather than changing a jwk.Set in place.
// A key without kid also matches tokens whose kid no key carries. A jwk.Set
// may also hold "oct" keys (HMAC secrets, for an issuer that signs with
// both), which are refused when they are a public key in any encoding, as
// [HMAC] refuses them; a lone secret belongs in [HMAC].
func StaticKeys(keys ...any) *KeySource {
	return &KeySource{kind: keysStatic, keys: keys, fp: &keyFingerprint{}}
}

// HMAC is a shared secret for HS256/HS384/HS512. It must be at least as long
// as the hash output of every HS algorithm allowed (32 bytes for HS256,
// RFC 7518 §3.2) and must never be a public key in any encoding (PEM, JWK,
// DER).
func HMAC(secret []byte) *KeySource {
	return &KeySource{kind: keysHMAC, secret: append([]byte(nil), secret...), fp: &keyFingerprint{}}
}

// WithHTTPClient returns a copy of a remote key source ([JWKS],
// [Discovery]) that fetches with client, e.g. one with its own CA and a
// bearer token for a Kubernetes API server's JWKS. Its redirect policy is
// replaced by jwtguard's (same host only, never https to http). A
// Discovery source fetches a jwks_uri on another host than the discovery
// document's with the verifier-wide client ([RemoteKeys].Client) instead,
// so client's credentials stay on the issuer's host; to send them to that
// host, name the URL: JWKS(url).WithHTTPClient(client).
func (k *KeySource) WithHTTPClient(client *http.Client) *KeySource {
	cp := *k
	cp.client = client
	return &cp
}

// describe names the source for errors and logs.
func (k *KeySource) describe() string {
	switch k.kind {
	case keysJWKS:
		return "JWKS(" + k.url + ")"
	case keysDiscovery:
		return "Discovery()"
	case keysStatic:
		return "StaticKeys(...)"
	case keysHMAC:
		return "HMAC(...)"
	}
	return "KeySource"
}

// isPublicKeyValue reports whether v is a key type StaticKeys takes.
func isPublicKeyValue(v any) bool {
	switch v.(type) {
	case jwk.Set, jwk.Key, *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}

// IssuerResolver returns the entry of an issuer that is not configured
// statically, typically one per tenant of a multi-tenant identity provider.
//
// iss comes from a token whose signature has NOT been checked yet: it is
// attacker-controlled. Return ok=false for every issuer the application does
// not trust (look the tenant up in your own allowlist; never build a URL from
// iss without validating it). The returned entry's ID, or one of its
// Aliases, must equal iss exactly; ID and every alias must be exact issuers
// (no templates, no Tenants, no SubjectPrefix) and Keys must be set, or the
// token is refused. One entry answers for its ID and all its aliases, with
// one key source.
type IssuerResolver func(ctx context.Context, iss string) (issuer Issuer, ok bool)
