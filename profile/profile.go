package profile

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jwtguard/jwtguard"
)

// none is an explicit empty mapping: the claim map reads nothing for that
// field (nil would mean the root's default paths).
func none() []string { return []string{} }

// name turns a top-level claim name into a claim path: a name containing
// dots is written in brackets.
func name(claim string) string {
	if strings.Contains(claim, ".") {
		return "[" + claim + "]"
	}
	return claim
}

// invalid returns an Issuer of provider that jwtguard.New refuses with err.
func invalid(provider, id string, err error) jwtguard.Issuer {
	return jwtguard.Issuer{ID: id, Provider: provider, Invalid: err}
}

// list returns a copy of ids, or nil when there are none.
func list(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return append([]string(nil), ids...)
}

// Keycloak trusts the access tokens of one Keycloak realm for the API
// whose Keycloak client ID is clientID.
//
//   - iss: realmURL ("https://kc.example.com/realms/acme"; a trailing
//     slash is dropped); keys: realmURL + "/protocol/openid-connect/certs".
//   - Algorithms: not set. Keycloak signs with the realm's default
//     signature algorithm, RS256 unless changed (Realm settings → Tokens);
//     pass that one to jwtguard.WithAlgorithms.
//   - aud must contain clientID. Keycloak puts an API's client ID into aud
//     only when the calling client's token carries it: add an "Audience"
//     mapper (Client scopes → dedicated scope of the calling client → Add
//     mapper → By configuration → Audience, "Included Client Audience" =
//     clientID, "Add to access token" on), or give the user a client role
//     of clientID (Keycloak then adds it to aud by itself).
//   - Only access tokens: the payload claim typ must be "Bearer" (ID tokens
//     say "ID", refresh tokens "Refresh").
//   - allowedClients, when given, are the calling clients (azp) that may
//     present tokens; none means any client of the realm.
//   - Roles: realm_access.roles and resource_access.<clientID>.roles,
//     merged (clientID may contain dots; it must not contain "]"). Other
//     clients' roles (e.g. "account") are not mapped.
//   - Scopes: scope. Tenant: organization (Keycloak 26 organizations: an
//     array of aliases, or an object keyed by alias when the mapper adds
//     IDs or attributes); a token of several organizations has Tenants
//     and no single Tenant.
func Keycloak(realmURL, clientID string, allowedClients ...string) jwtguard.Issuer {
	realm := strings.TrimSuffix(realmURL, "/")
	if clientID == "" {
		return invalid(ProviderKeycloak, realm, errors.New("profile.Keycloak: empty client ID (the API's Keycloak client, expected in aud)"))
	}
	if strings.Contains(clientID, "]") {
		return invalid(ProviderKeycloak, realm, fmt.Errorf("profile.Keycloak: client ID %q contains ']', which a claim path cannot address", clientID))
	}
	return jwtguard.Issuer{
		ID:        realm,
		Keys:      jwtguard.JWKS(realm + "/protocol/openid-connect/certs"),
		Provider:  ProviderKeycloak,
		Audiences: []string{clientID},
		Claims: jwtguard.ClaimMap{
			Roles:  []string{"realm_access.roles", "resource_access.[" + clientID + "].roles"},
			Scopes: []string{"scope"},
			Tenant: "organization",
		},
		TokenUseClaim: "typ",
		TokenUses:     []string{"Bearer"},
		Clients:       list(allowedClients),
	}
}

// Auth0 trusts the access tokens an Auth0 tenant issues for one API.
//
//   - domain is the tenant's domain ("acme.eu.auth0.com") or a custom
//     domain the clients use; a scheme or trailing slash is dropped. iss
//     is "https://<domain>/" — with the trailing slash Auth0 always writes.
//     Keys: https://<domain>/.well-known/jwks.json.
//   - Algorithms: not set. Auth0 signs an API's tokens with its Signing
//     Algorithm, RS256 by default (PS256 with the add-on): pass it to
//     jwtguard.WithAlgorithms. HS256 APIs cannot use this profile: their
//     secret is not in the JWKS (use jwtguard.HMAC(secret) as the keys).
//   - aud must contain audience, the API's Identifier (clients must ask
//     for it with audience=...; without it Auth0 issues an opaque token).
//   - Scopes: scope. Permissions: permissions (API settings → "Enable RBAC"
//     and "Add Permissions in the Access Token"); they are not merged into
//     scopes.
//   - Roles: Auth0 puts none into tokens. An Action adds them as a custom
//     claim; name it in rolesClaims, as a top-level claim name such as
//     "https://acme.example/roles" (names are not paths: dots need no
//     escaping). For a member inside an object claim, set Claims.Roles on
//     the result to a path ("[https://hasura.io/jwt/claims].x-hasura-allowed-roles").
//   - Tenant: org_id, the Auth0 Organization the user (or, for client
//     credentials, the client) signed in through; absent without
//     Organizations. Auth0 asks APIs to check it: authorize with
//     jwtguard.RequireTenant("org_...") or a tenant taken from the route.
//     For another tenant claim (one an Action adds), set Claims.Tenant.
func Auth0(domain, audience string, rolesClaims ...string) jwtguard.Issuer {
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(domain, "https://"), "http://"), "/")
	id := "https://" + host + "/"
	if host == "" || strings.ContainsAny(host, "/?#@ ") {
		return invalid(ProviderAuth0, id, fmt.Errorf("profile.Auth0: %q is not a domain (want e.g. \"acme.eu.auth0.com\")", domain))
	}
	if audience == "" {
		return invalid(ProviderAuth0, id, errors.New("profile.Auth0: empty audience (the API's Identifier)"))
	}
	roles := none()
	for _, c := range rolesClaims {
		roles = append(roles, name(c))
	}
	return jwtguard.Issuer{
		ID:        id,
		Keys:      jwtguard.JWKS(id + ".well-known/jwks.json"),
		Provider:  ProviderAuth0,
		Audiences: []string{audience},
		Claims: jwtguard.ClaimMap{
			Roles:       roles,
			Scopes:      []string{"scope"},
			Permissions: []string{"permissions"},
			Tenant:      "org_id",
		},
	}
}

// oktaAS matches the path of an Okta custom authorization server.
var oktaAS = regexp.MustCompile(`^/oauth2/[A-Za-z0-9_-]+$`)

// ErrOktaOrgServer is the Invalid error of an [Okta] profile given the
// org authorization server.
var ErrOktaOrgServer = errors.New("the Okta org authorization server issues access tokens for Okta's own APIs; only Okta can validate them (its keys are not meant for resource servers and may change without notice). Create a custom authorization server (Security → API → Authorization Servers, or use \"default\") and pass its issuer, https://<org>.okta.com/oauth2/<id>")

// Okta trusts the access tokens of an Okta custom authorization server,
// whose issuer authServerURL is "https://<org>.okta.com/oauth2/<id>"
// (<id> may be "default"). The org authorization server (an issuer without
// /oauth2/<id>) is refused: New fails with [ErrOktaOrgServer], as its
// tokens cannot be validated by a resource server.
//
//   - Keys: authServerURL + "/v1/keys". Algorithms: RS256, set (Okta
//     signs access tokens with nothing else); jwtguard.WithAlgorithms must
//     include it.
//   - aud must contain audience (the authorization server's Audience).
//   - Scopes: scp. Roles: groups, which Okta sends only when the
//     authorization server has a "groups" claim (Claims → Add Claim,
//     type Access Token, value type Groups, with a filter).
//   - Calling clients (cid): set Clients on the result.
//   - Tenant: Okta has none (jwtguard reads tenant_id by default).
func Okta(authServerURL, audience string) jwtguard.Issuer {
	id := strings.TrimSuffix(authServerURL, "/")
	u, err := url.Parse(id)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return invalid(ProviderOkta, id, fmt.Errorf("profile.Okta: %q is not an https issuer URL", authServerURL))
	case u.Path == "" || u.Path == "/oauth2/v1" || strings.HasPrefix(u.Path, "/oauth2/v1/"):
		// /oauth2/v1/... are the org authorization server's endpoints.
		return invalid(ProviderOkta, id, fmt.Errorf("profile.Okta: %s: %w", id, ErrOktaOrgServer))
	case !oktaAS.MatchString(u.Path):
		return invalid(ProviderOkta, id, fmt.Errorf("profile.Okta: %q is not the issuer of an Okta custom authorization server (https://<org>.okta.com/oauth2/<id>)", authServerURL))
	case audience == "":
		return invalid(ProviderOkta, id, errors.New("profile.Okta: empty audience"))
	}
	return jwtguard.Issuer{
		ID:         id,
		Keys:       jwtguard.JWKS(id + "/v1/keys"),
		Provider:   ProviderOkta,
		Audiences:  []string{audience},
		Algorithms: []string{"RS256"},
		Claims: jwtguard.ClaimMap{
			Roles:  []string{"groups"},
			Scopes: []string{"scp"},
		},
	}
}

// EntraMaxTokenSize is the token size the Entra ID profiles accept: 32 KiB.
// Entra puts up to 200 group IDs into a JWT before it switches to the
// overage claim; 200 groups alone take about 10.4 KiB once encoded, so a
// group-heavy token exceeds jwtguard's default of 8 KiB. 32 KiB leaves
// room for directory roles (wids) and many app roles; tokens beyond it
// are refused with ErrTokenTooLarge.
const EntraMaxTokenSize = 32 << 10

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// entraAccessToken are the claims that tell an Entra access token from an
// ID token: a delegated permission or an app role, and the calling
// application (azp in v2 tokens, appid in v1 tokens; ID tokens carry
// neither).
var entraAccessToken = []string{"scp|roles", "azp|appid"}

// entra is the part shared by the Entra ID profiles.
func entra(audiences ...string) jwtguard.Issuer {
	return jwtguard.Issuer{
		Audiences:      slices.Clone(audiences),
		Provider:       ProviderEntraID,
		Algorithms:     []string{"RS256"},
		MaxTokenSize:   EntraMaxTokenSize,
		RequiredClaims: slices.Clone(entraAccessToken),
		Claims: jwtguard.ClaimMap{
			Roles:  []string{"roles"},
			Scopes: []string{"scp"},
			Tenant: "tid",
		},
	}
}

func checkTenant(fn, tid string) error {
	if !guid.MatchString(tid) {
		return fmt.Errorf("profile.%s: tenant %q is not a directory (tenant) ID; Entra tokens name the tenant by its GUID (a domain name, \"common\" or \"organizations\" never appears in iss; use EntraIDMultiTenant for several tenants)", fn, tid)
	}
	return nil
}

// EntraID trusts the access tokens Microsoft Entra ID issues for an API
// registered in one tenant.
//
//   - tenantID is the Directory (tenant) ID, a GUID. Both issuer forms are
//     accepted: v2 "https://login.microsoftonline.com/<tid>/v2.0" (the
//     app manifest has "accessTokenAcceptedVersion": 2) and v1
//     "https://sts.windows.net/<tid>/" (the default, null or 1). Keys:
//     https://login.microsoftonline.com/<tid>/discovery/v2.0/keys (the
//     same keys sign both forms). Algorithms: RS256, set;
//     jwtguard.WithAlgorithms must include it.
//   - aud must contain audience. v2 tokens carry the API's Application
//     (client) ID, v1 tokens its Application ID URI ("api://..."): when
//     both versions may arrive, add the other form to Audiences.
//   - Only access tokens: Entra ID tokens have the same issuer and, when
//     the API and its client share one app registration, the same aud.
//     As Microsoft.Identity.Web does, the profile requires scp or roles
//     (RequiredClaims "scp|roles"), and also the calling application, azp
//     (v2) or appid (v1) ("azp|appid"), which ID tokens never carry, so an
//     ID token with app roles is refused too (ErrMissingClaim).
//   - Roles: roles (app roles). Scopes: scp (delegated permissions).
//     Tenant: tid. Calling applications (azp in v2, appid in v1): set
//     Clients on the result.
//   - MaxTokenSize is [EntraMaxTokenSize] (32 KiB) for group-heavy tokens.
//   - Groups stay in the groups claim (Claims.Get("groups")); beyond 200
//     groups Entra sends an overage claim instead, which needs Microsoft
//     Graph.
func EntraID(tenantID, audience string) jwtguard.Issuer {
	is := entraTenant(tenantID, audience)
	if err := checkTenant("EntraID", tenantID); err != nil {
		is.Invalid = err
	} else if audience == "" {
		is.Invalid = errors.New("profile.EntraID: empty audience")
	}
	return is
}

// entraTenant is the entry of one tenant, in both issuer forms.
func entraTenant(tenantID string, audiences ...string) jwtguard.Issuer {
	is := entra(audiences...)
	is.ID = "https://login.microsoftonline.com/" + tenantID + "/v2.0"
	is.Aliases = []string{"https://sts.windows.net/" + tenantID + "/"}
	is.Keys = jwtguard.JWKS("https://login.microsoftonline.com/" + tenantID + "/discovery/v2.0/keys")
	return is
}

// EntraIDMultiTenant trusts the access tokens of a multi-tenant Entra ID
// application from the tenants listed in tenantIDs (directory IDs, GUIDs),
// in both issuer forms: "https://login.microsoftonline.com/{tenantid}/v2.0"
// and "https://sts.windows.net/{tenantid}/". A token's tid must equal the
// tenant in its iss. Algorithms: RS256, set. Keys: the common key set,
// https://login.microsoftonline.com/common/discovery/v2.0/keys. Claims,
// audience, access-token checks and size as in [EntraID].
//
// App roles are assigned in each customer's tenant, by that tenant's
// administrators, and the profile maps the roles of every listed tenant
// alike: a customer's "Admin" is, to a bare RequireAnyRole("Admin"), an
// admin of the whole service. Tie every role check to the tenant it was
// granted in — jwtguard.AllOf(jwtguard.RequireTenant(tid),
// jwtguard.RequireAnyRole("Admin")), with tid your own tenant for
// operators of the service, or the tenant of the route
// (nethttp.RequireTenantPathValue) for a customer's own data.
//
// For tenants decided at run time, use [EntraIDResolver].
func EntraIDMultiTenant(audience string, tenantIDs ...string) jwtguard.Issuer {
	is := entra(audience)
	is.ID = "https://login.microsoftonline.com/{tenantid}/v2.0"
	is.Aliases = []string{"https://sts.windows.net/{tenantid}/"}
	is.Tenants = list(tenantIDs)
	is.Keys = jwtguard.JWKS("https://login.microsoftonline.com/common/discovery/v2.0/keys")
	switch {
	case len(tenantIDs) == 0:
		is.Invalid = errors.New("profile.EntraIDMultiTenant: no tenant listed; list the allowed tenant IDs, or use jwtguard.WithIssuerResolver")
	case audience == "":
		is.Invalid = errors.New("profile.EntraIDMultiTenant: empty audience")
	}
	for _, tid := range tenantIDs {
		if err := checkTenant("EntraIDMultiTenant", tid); err != nil && is.Invalid == nil {
			is.Invalid = err
		}
	}
	return is
}

// entraIssuerTenant is a directory ID as Entra writes it in iss: a GUID in
// lower-case hex.
var entraIssuerTenant = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// entraTenantOf returns the tenant of an Entra issuer in either form, v2
// https://login.microsoftonline.com/<tid>/v2.0 or v1
// https://sts.windows.net/<tid>/, when tid is a lower-case GUID.
func entraTenantOf(iss string) (string, bool) {
	tid, ok := strings.CutPrefix(iss, "https://login.microsoftonline.com/")
	if ok {
		tid, ok = strings.CutSuffix(tid, "/v2.0")
	} else if tid, ok = strings.CutPrefix(iss, "https://sts.windows.net/"); ok {
		tid, ok = strings.CutSuffix(tid, "/")
	}
	if !ok || !entraIssuerTenant.MatchString(tid) {
		return "", false
	}
	return tid, true
}

// EntraIDResolver is an issuer resolver for jwtguard.WithIssuerResolver
// that trusts the access tokens of a multi-tenant Entra ID application
// from every tenant that allowed accepts, decided at run time (customers
// that sign up while the service runs):
//
//	jwtguard.WithIssuerResolver(profile.EntraIDResolver(tenants.Allowed, "api://orders"), 100)
//
// It reads the tenant from the token's iss in either form, v2
// "https://login.microsoftonline.com/<tid>/v2.0" or v1
// "https://sts.windows.net/<tid>/", and refuses, without calling allowed,
// an iss of another shape or whose tid is not a GUID in lower-case hex (as
// Entra writes it; so one tenant has one spelling and one entry). iss is
// not verified yet: allowed must answer from your own list, quickly, for
// every token of a resolved tenant. For an allowed tenant it answers
// [EntraID](tid, ...) with audiences: one entry, one key fetch and one
// canonical issuer (the v2 form) for both forms of the tenant, the v1 form
// being its alias. audiences are the API's client ID (v2 tokens) and
// Application ID URI (v1 tokens), whichever may arrive.
//
// Claims, access-token checks and size are those of [EntraID]; app roles
// are granted by each tenant's administrators, so check roles with the
// tenant, as for [EntraIDMultiTenant]. With no audience or a nil allowed,
// every answer is invalid: tokens are refused and the error is logged.
func EntraIDResolver(allowed func(ctx context.Context, tenantID string) bool, audiences ...string) jwtguard.IssuerResolver {
	auds := slices.Clone(audiences)
	var invalid error
	switch {
	case allowed == nil:
		invalid = errors.New("profile.EntraIDResolver: allowed is nil (every tenant would be trusted)")
	case len(auds) == 0 || slices.Contains(auds, ""):
		invalid = errors.New("profile.EntraIDResolver: give the API's audiences (client ID, Application ID URI)")
	}
	return func(ctx context.Context, iss string) (jwtguard.Issuer, bool) {
		tid, ok := entraTenantOf(iss)
		if !ok || (invalid == nil && !allowed(ctx, tid)) {
			return jwtguard.Issuer{}, false
		}
		is := entraTenant(tid, auds...)
		is.Invalid = invalid
		return is, true
	}
}

var cognitoRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// cognito is the part shared by the Cognito profiles.
func cognito(fn, region, poolID string, appClientIDs []string) jwtguard.Issuer {
	id := "https://cognito-idp." + region + ".amazonaws.com/" + poolID
	is := jwtguard.Issuer{
		ID:            id,
		Keys:          jwtguard.JWKS(id + "/.well-known/jwks.json"),
		Provider:      ProviderCognito,
		Algorithms:    []string{"RS256"},
		TokenUseClaim: "token_use",
		Claims: jwtguard.ClaimMap{
			Roles:  []string{"cognito:groups"},
			Scopes: []string{"scope"},
		},
	}
	switch {
	case !cognitoRegion.MatchString(region):
		is.Invalid = fmt.Errorf("profile.%s: %q is not an AWS region", fn, region)
	case !strings.HasPrefix(poolID, region+"_") || len(poolID) == len(region)+1:
		is.Invalid = fmt.Errorf("profile.%s: user pool ID %q is not a pool of region %s (<region>_<id>)", fn, poolID, region)
	case len(appClientIDs) == 0:
		is.Invalid = fmt.Errorf("profile.%s: no app client ID: every app client of the pool would be accepted", fn)
	}
	return is
}

// Cognito trusts the access tokens of an Amazon Cognito user pool issued
// to the app clients appClientIDs.
//
//   - iss: https://cognito-idp.<region>.amazonaws.com/<poolID>; keys at
//     iss + "/.well-known/jwks.json". Algorithms: RS256, set;
//     jwtguard.WithAlgorithms must include it.
//   - Access tokens carry no aud: the app client is checked through
//     client_id (WithoutAudience with Clients), and token_use must be
//     "access", so ID tokens of the same pool are refused.
//   - Roles: cognito:groups. Scopes: scope (resource-server scopes look
//     like "https://api.example.com/orders.read"). Tenant: Cognito has none
//     (custom attributes arrive as "custom:<name>": set Claims.Tenant).
//
// For ID tokens use [CognitoIDTokens].
func Cognito(region, poolID string, appClientIDs ...string) jwtguard.Issuer {
	is := cognito("Cognito", region, poolID, appClientIDs)
	is.WithoutAudience = true
	is.Clients = list(appClientIDs)
	is.TokenUses = []string{"access"}
	return is
}

// CognitoIDTokens trusts the ID tokens of an Amazon Cognito user pool:
// aud must be one of appClientIDs and token_use must be "id" (access
// tokens are refused). Issuer, keys, algorithms (RS256, set) and roles as
// in [Cognito]; ID tokens carry no scope.
func CognitoIDTokens(region, poolID string, appClientIDs ...string) jwtguard.Issuer {
	is := cognito("CognitoIDTokens", region, poolID, appClientIDs)
	is.Audiences = list(appClientIDs)
	is.TokenUses = []string{"id"}
	is.Claims.Scopes = none()
	return is
}

// Google trusts ID tokens signed by Google. Google issues ONLY ID tokens as
// JWTs: its OAuth access tokens are opaque and cannot be verified here, so
// this profile is for Google-signed ID tokens used as bearer credentials —
// service-to-service calls (Cloud Run, Cloud Functions, Pub/Sub push, IAP,
// a service account's ID token) and Sign-In with Google.
//
//   - iss: "https://accounts.google.com" or "accounts.google.com" (Google
//     documents both). Keys: https://www.googleapis.com/oauth2/v3/certs.
//     Algorithms: RS256, set; jwtguard.WithAlgorithms must include it.
//   - aud must be one of clientIDs: the OAuth client IDs of Sign-In, or the
//     audience your callers request for service-to-service tokens (often
//     the service URL).
//   - With a service URL or any audience of your choosing, the profile
//     admits an ID token that ANY Google service account — of any project,
//     anyone's — requests for that audience: always name the callers with
//     [GoogleServiceAccount] (their emails or unique IDs). An OAuth client
//     ID of your own is safer: Google mints ID tokens for it only to your
//     client's sign-ins.
//   - Tenant: hd, the Google Workspace domain (absent for consumer
//     accounts). To admit one Workspace domain only, use
//     jwtguard.RequireTenant("acme.example"); to require a verified email,
//     jwtguard.RequireClaim("email_verified", true).
//   - Roles, scopes: none.
func Google(clientIDs ...string) jwtguard.Issuer {
	is := jwtguard.Issuer{
		ID:         "https://accounts.google.com",
		Aliases:    []string{"accounts.google.com"},
		Keys:       jwtguard.JWKS("https://www.googleapis.com/oauth2/v3/certs"),
		Provider:   ProviderGoogle,
		Audiences:  list(clientIDs),
		Algorithms: []string{"RS256"},
		Claims:     jwtguard.ClaimMap{Roles: none(), Scopes: none(), Tenant: "hd"},
	}
	if len(clientIDs) == 0 {
		is.Invalid = errors.New("profile.Google: no client ID or audience: any Google ID token, minted for anyone, would be accepted")
	}
	return is
}

// FirebaseX509URL is where Google publishes the certificates of Firebase
// Authentication ID tokens, as the {kid: PEM certificate} map the Firebase
// documentation names. The same keys are published as a JWKS at
// https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com.
const FirebaseX509URL = "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"

// Firebase trusts the ID tokens of Firebase Authentication (and Identity
// Platform) for the project projectID.
//
//   - iss: https://securetoken.google.com/<projectID>; aud: projectID.
//     Keys: [FirebaseX509URL]. Algorithms: RS256, set;
//     jwtguard.WithAlgorithms must include it. sub must be non-empty.
//   - Custom claims set with the Admin SDK are top-level claims with their
//     JSON types: authorize with jwtguard.RequireClaim("admin", true) (a
//     false value never passes). Roles: a custom claim named "roles".
//   - Tenant: firebase.tenant (Identity Platform multi-tenancy).
//   - Firebase also requires auth_time to be in the past: add
//     [RecentLogin](0), or RecentLogin(d) to demand a recent sign-in.
//   - Revoked sessions are not detected (that needs the Admin SDK's
//     checkRevoked or a jwtguard revocation store).
func Firebase(projectID string) jwtguard.Issuer {
	id := "https://securetoken.google.com/" + projectID
	is := jwtguard.Issuer{
		ID:             id,
		Keys:           jwtguard.JWKS(FirebaseX509URL),
		Provider:       ProviderFirebase,
		Audiences:      []string{projectID},
		Algorithms:     []string{"RS256"},
		RequiredClaims: []string{"sub"},
		Claims:         jwtguard.ClaimMap{Roles: []string{"roles"}, Scopes: none(), Tenant: "firebase.tenant"},
	}
	if projectID == "" || strings.ContainsAny(projectID, "/?# ") {
		is.Invalid = fmt.Errorf("profile.Firebase: %q is not a Firebase project ID", projectID)
	}
	return is
}

// Hydra trusts the JWT access tokens of an Ory Hydra (or Ory Network)
// issuer.
//
// Hydra issues OPAQUE access tokens by default; this profile needs
// strategies.access_token: jwt (Ory Network: "JWT" access tokens in the
// project's OAuth2 settings; Hydra ≥ 2.2 also per client with
// access_token_strategy). With opaque tokens, use introspection instead:
// jwtguard.WithIntrospection(introspect.New("https://<admin>/admin/oauth2/introspect", ...)).
//
//   - issuerURL is exactly Hydra's urls.self.issuer (often with a trailing
//     slash). Keys: OpenID Connect discovery.
//   - Algorithms: not set. Hydra signs with its hydra.jwt.access-token key
//     set, RS256 unless that set was created with another algorithm; pass
//     it to jwtguard.WithAlgorithms.
//   - aud must contain audience. Hydra grants an audience only when the
//     client is allowed it and requests it (audience=...); otherwise aud
//     is [], which reads as no audience. With audience "", the entry takes
//     the verifier-wide setting: jwtguard.WithAudience, or the explicit
//     loosening jwtguard.WithoutAudienceCheck() — better, set Clients and
//     WithoutAudience on the result.
//   - Scopes: scp. Roles: roles and ext.roles (claims the consent app
//     sets in session.access_token land in ext, or at the top level with
//     oauth2.allowed_top_level_claims). Tenant: set Claims.Tenant.
func Hydra(issuerURL, audience string) jwtguard.Issuer {
	is := jwtguard.Issuer{
		ID:       issuerURL,
		Keys:     jwtguard.Discovery(),
		Provider: ProviderHydra,
		Claims:   jwtguard.ClaimMap{Roles: []string{"roles", "ext.roles"}},
	}
	if audience != "" {
		is.Audiences = []string{audience}
	}
	return is
}

// Zitadel trusts the JWT access tokens of a ZITADEL instance for the
// project projectID.
//
// ZITADEL issues OPAQUE access tokens by default; this profile needs the
// application's "Auth Token Type" set to JWT (Projects → application →
// Token Settings). With opaque tokens, use introspection instead:
// jwtguard.WithIntrospection(introspect.New(issuerURL+"/oauth/v2/introspect", ...))
// with the API application's credentials.
//
//   - iss: issuerURL (the instance domain, no trailing slash). Keys:
//     issuerURL + "/oauth/v2/keys". Algorithms: not set; ZITADEL signs
//     with RS256: pass it to jwtguard.WithAlgorithms.
//   - aud must contain projectID (ZITADEL adds the project ID of the
//     client's project, and of projects requested with the scope
//     urn:zitadel:iam:org:project:id:<projectID>:aud).
//   - Roles: the member names of urn:zitadel:iam:org:project:<projectID>:roles
//     only (an object keyed by role name). The generic
//     urn:zitadel:iam:org:project:roles holds the roles of the project of
//     the requesting client, which need not be this API's project: an
//     "admin" of another project of the instance, whose client asks for
//     this project in aud, must not be an admin here. A client of another
//     project gets this project's roles with the scope
//     urn:zitadel:iam:org:projects:roles (the roles of every project in
//     aud). Roles are asserted only when requested (scope
//     urn:zitadel:iam:org:project:role:<role>) or with the project's
//     "Assert Roles on Authentication".
//   - Tenant: urn:zitadel:iam:user:resourceowner:id (the user's
//     organization; request it with scope urn:zitadel:iam:user:resourceowner).
//     The organizations a role was granted in are under the role:
//     Claims.Get("urn:zitadel:iam:org:project:<projectID>:roles.editor").
//   - Scopes: scope, when present.
func Zitadel(issuerURL, projectID string) jwtguard.Issuer {
	id := strings.TrimSuffix(issuerURL, "/")
	is := jwtguard.Issuer{
		ID:        id,
		Keys:      jwtguard.JWKS(id + "/oauth/v2/keys"),
		Provider:  ProviderZitadel,
		Audiences: []string{projectID},
		Claims: jwtguard.ClaimMap{
			Roles:  []string{"urn:zitadel:iam:org:project:" + projectID + ":roles"},
			Tenant: "urn:zitadel:iam:user:resourceowner:id",
		},
	}
	if projectID == "" || strings.ContainsAny(projectID, ".[]") {
		is.Invalid = fmt.Errorf("profile.Zitadel: %q is not a project ID", projectID)
	}
	return is
}

// Dex trusts the ID tokens of a Dex issuer for the client clientID. Dex
// issues ID tokens, and they are what clients send (as with Kubernetes
// OIDC authentication); Dex access tokens are not meant for APIs.
//
//   - iss: exactly issuerURL (Dex's issuer setting). Keys: issuerURL +
//     "/keys". Algorithms: not set; Dex signs with RS256: pass it to
//     jwtguard.WithAlgorithms.
//   - aud must contain clientID (several clients appear with the
//     audience:server:client_id:<id> scope; azp then names the requester).
//   - Roles: groups (with the groups scope; names depend on the connector,
//     e.g. "org:team" for GitHub). Scopes: none. Tenant: Dex has
//     none.
//   - Groups come from the upstream connector, and upstream names are not
//     yours: anyone can create a GitHub organization called "admins" or
//     "acme-corp". Restrict the connector in Dex (GitHub: orgs, each with
//     its teams, not loadAllGroups), authorize on fully qualified names
//     (RequireAnyRole("acme:orders-admins"), never a bare team or org
//     name), and with several connectors pin the one that grants the role:
//     jwtguard.RequireClaim("federated_claims.connector_id", "github")
//     (in tokens requested with the federated:id scope; sub encodes the
//     connector too).
func Dex(issuerURL, clientID string) jwtguard.Issuer {
	return jwtguard.Issuer{
		ID:        issuerURL,
		Keys:      jwtguard.JWKS(strings.TrimSuffix(issuerURL, "/") + "/keys"),
		Provider:  ProviderDex,
		Audiences: []string{clientID},
		Claims:    jwtguard.ClaimMap{Roles: []string{"groups"}, Scopes: none()},
	}
}

// GitHubActionsIssuer is the issuer of GitHub Actions OIDC tokens.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// GitHubActions trusts the OIDC tokens of GitHub Actions workflows (jobs
// with permissions: id-token: write) requested for audience
// (core.getIDToken(audience), or the audience parameter of
// ACTIONS_ID_TOKEN_REQUEST_URL). Keys:
// https://token.actions.githubusercontent.com/.well-known/jwks.
// Algorithms: RS256, set; jwtguard.WithAlgorithms must include it.
//
// The profile admits EVERY repository on GitHub whose workflow asks for
// audience: restrict callers with [GitHubOwnerID], [GitHubRepositoryID]
// (numeric IDs, which survive renames and cannot be re-registered),
// [GitHubSubject], [GitHubRepository], [GitHubRef] or [GitHubEnvironment].
// Roles, scopes, tenant: GitHub has none (repository_owner is the
// nearest thing; authorize on its ID).
//
// Enterprises with a unique issuer URL
// (https://token.actions.githubusercontent.com/<enterprise>) set ID and
// Keys on the result accordingly.
func GitHubActions(audience string) jwtguard.Issuer {
	return jwtguard.Issuer{
		ID:         GitHubActionsIssuer,
		Keys:       jwtguard.JWKS(GitHubActionsIssuer + "/.well-known/jwks"),
		Provider:   ProviderGitHubActions,
		Audiences:  []string{audience},
		Algorithms: []string{"RS256"},
		Claims:     jwtguard.ClaimMap{Roles: none(), Scopes: none()},
	}
}

// Kubernetes trusts projected service-account tokens of a cluster whose
// service-account issuer is issuerURL (the API server's
// --service-account-issuer), requested for audience (the
// serviceAccountToken volume's audience, or kubectl create token
// --audience). Keys: OpenID Connect discovery at issuerURL. The token's
// kubernetes.io claim (namespace and service account) is required.
// Algorithms: not set; the API server signs with RS256 when its
// --service-account-signing-key-file is an RSA key (kubeadm's default) and
// ES256 with a P-256 key (discovery's id_token_signing_alg_values_supported
// says which): pass it to jwtguard.WithAlgorithms.
//
//   - Tenant: the namespace, [kubernetes.io].namespace. Roles, scopes:
//     none. Restrict callers with [Namespace] and [ServiceAccount].
//   - The API server serves discovery only to authenticated clients unless
//     the system:service-account-issuer-discovery ClusterRole is bound to
//     system:unauthenticated; inside the cluster, give the key source a
//     client with the cluster CA and a token:
//     is.Keys = jwtguard.Discovery().WithHTTPClient(c). c fetches the
//     discovery document, and the JWKS when the discovered jwks_uri is on
//     the same host; a jwks_uri on another host (a cloud provider's public
//     OIDC bucket or endpoint) is fetched with the verifier-wide client
//     (jwtguard.WithRemoteKeys), so c's token is only ever sent to the API
//     server. The default token (audience = the API server) must not be
//     accepted: use an audience of your own.
func Kubernetes(issuerURL, audience string) jwtguard.Issuer {
	return jwtguard.Issuer{
		ID:             issuerURL,
		Keys:           jwtguard.Discovery(),
		Provider:       ProviderKubernetes,
		Audiences:      []string{audience},
		RequiredClaims: []string{k8sNamespace, k8sServiceAccount},
		Claims:         jwtguard.ClaimMap{Roles: none(), Scopes: none(), Tenant: k8sNamespace},
	}
}

var trustDomain = regexp.MustCompile(`^[a-z0-9._-]+$`)

// SPIFFE trusts JWT-SVIDs of the trust domain trustDomain ("acme.example")
// whose aud contains audience (the SPIFFE ID or name of this service).
//
//   - Keys: bundleURL, the trust domain's SPIFFE bundle endpoint (e.g.
//     SPIRE's https://spire.acme.example:8443, "https_web" profile), whose
//     "use": "jwt-svid" keys verify the tokens, or the JWKS of the SPIRE OIDC
//     Discovery Provider ("https://oidc-discovery.acme.example/keys"). An
//     "https_spiffe" bundle endpoint needs an HTTP client that
//     authenticates the endpoint's SPIFFE ID: is.Keys = is.Keys.WithHTTPClient(c).
//   - JWT-SVIDs need not carry iss: tokens are routed by their sub, which
//     must start with "spiffe://<trustDomain>/" (SubjectPrefix); a token
//     with an iss no other entry has (SPIRE's jwt_issuer) is routed the
//     same way. Restrict callers with [SPIFFEID].
//   - Algorithms: not set; SPIRE signs JWT-SVIDs with ES256 by default
//     (jwt_key_type, else ca_key_type, is ec-p256; RS256 with an RSA key
//     type, ES384 with ec-p384): pass what the server uses to
//     jwtguard.WithAlgorithms.
//   - Roles, scopes: none. Tenant: none (the trust domain is the
//     SubjectPrefix).
func SPIFFE(trustDomain, bundleURL, audience string) jwtguard.Issuer {
	td := strings.TrimSuffix(strings.TrimPrefix(trustDomain, "spiffe://"), "/")
	is := jwtguard.Issuer{
		SubjectPrefix: "spiffe://" + td + "/",
		Keys:          jwtguard.JWKS(bundleURL),
		Provider:      ProviderSPIFFE,
		Audiences:     []string{audience},
		Claims:        jwtguard.ClaimMap{Roles: none(), Scopes: none()},
	}
	if !validTrustDomain(td) {
		is.Invalid = fmt.Errorf("profile.SPIFFE: %q is not a trust domain (lower-case letters, digits, '.', '-', '_')", trustDomain)
	} else if audience == "" {
		is.Invalid = errors.New("profile.SPIFFE: empty audience")
	}
	return is
}

func validTrustDomain(td string) bool { return td != "" && trustDomain.MatchString(td) }
