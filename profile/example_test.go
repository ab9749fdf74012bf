package profile_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/profile"
)

// show prints what an issuer entry trusts and maps.
func show(is jwtguard.Issuer) {
	if is.Invalid != nil {
		fmt.Println("invalid:", is.Invalid)
		return
	}
	fmt.Println("provider:", is.Provider)
	if is.ID != "" {
		fmt.Println("iss:", is.ID)
	}
	if len(is.Aliases) > 0 {
		fmt.Println("aliases:", words(is.Aliases))
	}
	if len(is.Tenants) > 0 {
		fmt.Println("tenants:", words(is.Tenants))
	}
	if is.SubjectPrefix != "" {
		fmt.Println("sub prefix:", is.SubjectPrefix)
	}
	if is.WithoutAudience {
		fmt.Println("aud: not checked")
	} else {
		fmt.Println("aud:", words(is.Audiences))
	}
	if is.Clients != nil {
		fmt.Println("clients:", words(is.Clients))
	}
	if len(is.RequiredClaims) > 0 {
		fmt.Println("required:", words(is.RequiredClaims))
	}
	if is.TokenUseClaim != "" {
		fmt.Println("token use:", is.TokenUseClaim, "=", words(is.TokenUses))
	}
	fmt.Println("roles:", words(is.Claims.Roles))
	fmt.Println("scopes:", words(is.Claims.Scopes))
	fmt.Println("permissions:", words(is.Claims.Permissions))
	tenant := is.Claims.Tenant
	if tenant == "" {
		tenant = "(default)"
	}
	fmt.Println("tenant:", tenant)
}

// words prints a claim list: "(default)" for nil, "(none)" for empty.
func words(l []string) string {
	switch {
	case l == nil:
		return "(default)"
	case len(l) == 0:
		return "(none)"
	}
	return strings.Join(l, " ")
}

func ExampleKeycloak() {
	show(profile.Keycloak("https://kc.example.com/realms/acme", "orders.api.example.com", "web-frontend"))
	// Output:
	// provider: keycloak
	// iss: https://kc.example.com/realms/acme
	// aud: orders.api.example.com
	// clients: web-frontend
	// token use: typ = Bearer
	// roles: realm_access.roles resource_access.[orders.api.example.com].roles
	// scopes: scope
	// permissions: (default)
	// tenant: organization
}

func ExampleAuth0() {
	show(profile.Auth0("acme.eu.auth0.com", "https://api.acme.example/orders", "https://acme.example/roles"))
	// Output:
	// provider: auth0
	// iss: https://acme.eu.auth0.com/
	// aud: https://api.acme.example/orders
	// roles: [https://acme.example/roles]
	// scopes: scope
	// permissions: permissions
	// tenant: org_id
}

func ExampleOkta() {
	is := profile.Okta("https://acme.okta.com/oauth2/default", "api://orders")
	is.Clients = []string{"0oa8k2x9t4HcW6bVd697"} // the calling applications (cid)
	show(is)
	show(profile.Okta("https://acme.okta.com", "api://orders"))
	// Output:
	// provider: okta
	// iss: https://acme.okta.com/oauth2/default
	// aud: api://orders
	// clients: 0oa8k2x9t4HcW6bVd697
	// roles: groups
	// scopes: scp
	// permissions: (default)
	// tenant: (default)
	// invalid: profile.Okta: https://acme.okta.com: the Okta org authorization server issues access tokens for Okta's own APIs; only Okta can validate them (its keys are not meant for resource servers and may change without notice). Create a custom authorization server (Security → API → Authorization Servers, or use "default") and pass its issuer, https://<org>.okta.com/oauth2/<id>
}

func ExampleEntraID() {
	is := profile.EntraID("8eaef023-2b34-4da1-9baa-8bc8c9d6a490", "6e74172b-be56-4843-9ff4-e66a39bb12e3")
	is.Audiences = append(is.Audiences, "api://orders-api") // v1 tokens carry the App ID URI
	show(is)
	fmt.Println("max token size:", is.MaxTokenSize)
	// Output:
	// provider: entra-id
	// iss: https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/v2.0
	// aliases: https://sts.windows.net/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/
	// aud: 6e74172b-be56-4843-9ff4-e66a39bb12e3 api://orders-api
	// required: scp|roles azp|appid
	// roles: roles
	// scopes: scp
	// permissions: (default)
	// tenant: tid
	// max token size: 32768
}

func ExampleEntraIDMultiTenant() {
	show(profile.EntraIDMultiTenant("6e74172b-be56-4843-9ff4-e66a39bb12e3",
		"8eaef023-2b34-4da1-9baa-8bc8c9d6a490", "82229342-1101-4ab6-817b-70c0747630f3"))
	// Output:
	// provider: entra-id
	// iss: https://login.microsoftonline.com/{tenantid}/v2.0
	// aliases: https://sts.windows.net/{tenantid}/
	// tenants: 8eaef023-2b34-4da1-9baa-8bc8c9d6a490 82229342-1101-4ab6-817b-70c0747630f3
	// aud: 6e74172b-be56-4843-9ff4-e66a39bb12e3
	// required: scp|roles azp|appid
	// roles: roles
	// scopes: scp
	// permissions: (default)
	// tenant: tid
}

// App roles of a multi-tenant application are granted by each customer's
// own administrators: check the tenant with the role (claims as a verifier
// with this profile gives them).
func ExampleEntraIDMultiTenant_tenantRoles() {
	const home = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"     // the service's own tenant
	const customer = "82229342-1101-4ab6-817b-70c0747630f3" // a customer's tenant
	// Operators of the service: Admin in the service's own tenant.
	operator := jwtguard.AllOf(jwtguard.RequireTenant(home), jwtguard.RequireAnyRole("Admin"))
	// A customer's data (/tenants/{tenant}/..., or RequireTenant(tid)): Admin of that tenant.
	customerAdmin := jwtguard.AllOf(jwtguard.RequireTenant(customer), jwtguard.RequireAnyRole("Admin"))
	for _, c := range []*jwtguard.Claims{
		{Tenant: home, Tenants: []string{home}, Roles: []string{"Admin"}},
		{Tenant: customer, Tenants: []string{customer}, Roles: []string{"Admin"}},
	} {
		fmt.Printf("Admin of %s: operator %t, customer admin %t, RequireAnyRole alone %t\n", c.Tenant[:8],
			jwtguard.Authorize(c, operator) == nil, jwtguard.Authorize(c, customerAdmin) == nil,
			jwtguard.Authorize(c, jwtguard.RequireAnyRole("Admin")) == nil)
	}
	// Output:
	// Admin of 8eaef023: operator true, customer admin false, RequireAnyRole alone true
	// Admin of 82229342: operator false, customer admin true, RequireAnyRole alone true
}

func ExampleCognito() {
	show(profile.Cognito("eu-west-1", "eu-west-1_AbCdEf123", "5r2kqcuh3bl0fq3c8ujz0n1sju"))
	// Output:
	// provider: cognito
	// iss: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123
	// aud: not checked
	// clients: 5r2kqcuh3bl0fq3c8ujz0n1sju
	// token use: token_use = access
	// roles: cognito:groups
	// scopes: scope
	// permissions: (default)
	// tenant: (default)
}

func ExampleCognitoIDTokens() {
	show(profile.CognitoIDTokens("eu-west-1", "eu-west-1_AbCdEf123", "5r2kqcuh3bl0fq3c8ujz0n1sju"))
	// Output:
	// provider: cognito
	// iss: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123
	// aud: 5r2kqcuh3bl0fq3c8ujz0n1sju
	// token use: token_use = id
	// roles: cognito:groups
	// scopes: (none)
	// permissions: (default)
	// tenant: (default)
}

func ExampleGoogle() {
	is := profile.Google("1234987819200-8jksrb1qsrtvbhe9d0q2d6rr1g0i6vhd.apps.googleusercontent.com")
	show(is)
	// One Workspace domain, verified emails only (route policies):
	_ = jwtguard.AllOf(jwtguard.RequireTenant("acme.example"), jwtguard.RequireClaim("email_verified", true))
	// Service-to-service (aud is a service URL): name the calling service accounts.
	_ = profile.GoogleServiceAccount("orders-caller@acme-prod.iam.gserviceaccount.com")
	// Output:
	// provider: google
	// iss: https://accounts.google.com
	// aliases: accounts.google.com
	// aud: 1234987819200-8jksrb1qsrtvbhe9d0q2d6rr1g0i6vhd.apps.googleusercontent.com
	// roles: (none)
	// scopes: (none)
	// permissions: (default)
	// tenant: hd
}

func ExampleFirebase() {
	show(profile.Firebase("acme-prod-1a2b3"))
	// Admin users who signed in within the last 5 minutes (route policies):
	_ = jwtguard.AllOf(jwtguard.RequireClaim("admin", true), profile.RecentLogin(5*time.Minute))
	// Output:
	// provider: firebase
	// iss: https://securetoken.google.com/acme-prod-1a2b3
	// aud: acme-prod-1a2b3
	// required: sub
	// roles: roles
	// scopes: (none)
	// permissions: (default)
	// tenant: firebase.tenant
}

func ExampleHydra() {
	show(profile.Hydra("https://auth.acme.example/", "https://api.acme.example/orders"))
	// Output:
	// provider: hydra
	// iss: https://auth.acme.example/
	// aud: https://api.acme.example/orders
	// roles: roles ext.roles
	// scopes: (default)
	// permissions: (default)
	// tenant: (default)
}

func ExampleZitadel() {
	show(profile.Zitadel("https://acme-x7k2p9.zitadel.cloud", "231848297847848962"))
	// Output:
	// provider: zitadel
	// iss: https://acme-x7k2p9.zitadel.cloud
	// aud: 231848297847848962
	// roles: urn:zitadel:iam:org:project:231848297847848962:roles
	// scopes: (default)
	// permissions: (default)
	// tenant: urn:zitadel:iam:user:resourceowner:id
}

func ExampleDex() {
	show(profile.Dex("https://dex.acme.example", "orders-web"))
	// Output:
	// provider: dex
	// iss: https://dex.acme.example
	// aud: orders-web
	// roles: groups
	// scopes: (none)
	// permissions: (default)
	// tenant: (default)
}

func ExampleGitHubActions() {
	show(profile.GitHubActions("https://github.com/octo-org"))
	// Only the octo-org organization (ID 65), its main branch:
	_ = jwtguard.AllOf(profile.GitHubOwnerID("65"), profile.GitHubSubject("repo:octo-org/*:ref:refs/heads/main"))
	// Output:
	// provider: github-actions
	// iss: https://token.actions.githubusercontent.com
	// aud: https://github.com/octo-org
	// roles: (none)
	// scopes: (none)
	// permissions: (default)
	// tenant: (default)
}

func ExampleKubernetes() {
	show(profile.Kubernetes("https://kubernetes.default.svc.cluster.local", "orders-api"))
	_ = profile.ServiceAccount("payments", "orders-client") // route policy
	// Output:
	// provider: kubernetes
	// iss: https://kubernetes.default.svc.cluster.local
	// aud: orders-api
	// required: [kubernetes.io].namespace [kubernetes.io].serviceaccount.name
	// roles: (none)
	// scopes: (none)
	// permissions: (default)
	// tenant: [kubernetes.io].namespace
}

func ExampleSPIFFE() {
	show(profile.SPIFFE("acme.example", "https://spire.acme.example:8443", "spiffe://acme.example/ns/orders/sa/orders-api"))
	_ = profile.SPIFFEID("spiffe://acme.example/ns/payments/sa/*") // route policy
	// Output:
	// provider: spiffe
	// sub prefix: spiffe://acme.example/
	// aud: spiffe://acme.example/ns/orders/sa/orders-api
	// roles: (none)
	// scopes: (none)
	// permissions: (default)
	// tenant: (default)
}
