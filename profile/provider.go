package profile

import "github.com/jwtguard/jwtguard"

// Provider names: the Issuer.Provider every constructor of this package
// sets, which jwtguard.Claims.Provider reports for the tokens its entry
// accepts. The provider-specific route policies ([GitHubOwnerID],
// [Namespace], [SPIFFEID], [GoogleServiceAccount], ...) pass only tokens
// of their provider, so another trusted issuer's token with look-alike
// claims does not pass them. A hand-made entry for one of these providers
// (a GitHub Enterprise Server issuer, a SPIRE OIDC Discovery Provider
// reached through jwtguard.Discovery) sets Provider to the constant to
// opt in to its policies; handlers may switch on Claims.Provider.
const (
	ProviderKeycloak      = "keycloak"
	ProviderAuth0         = "auth0"
	ProviderOkta          = "okta"
	ProviderEntraID       = "entra-id" // EntraID, EntraIDMultiTenant, EntraIDResolver
	ProviderCognito       = "cognito"  // Cognito, CognitoIDTokens
	ProviderGoogle        = "google"
	ProviderFirebase      = "firebase"
	ProviderHydra         = "hydra"
	ProviderZitadel       = "zitadel"
	ProviderDex           = "dex"
	ProviderGitHubActions = "github-actions"
	ProviderKubernetes    = "kubernetes"
	ProviderSPIFFE        = "spiffe"
)

// forProvider makes p pass only tokens accepted by an issuer entry of
// provider: whatever claims a token of another entry carries, it is
// denied, with a description that names both providers. With several
// entries of one provider (two Kubernetes clusters), tokens of each pass;
// jwtguard.RequireIssuer pins one.
func forProvider(provider string, p jwtguard.Policy) jwtguard.Policy {
	return func(c *jwtguard.Claims) error {
		if c == nil {
			return jwtguard.Deny("requires a token of a " + provider + " issuer entry")
		}
		if got := c.Provider(); got != provider {
			from := "an entry that names no provider"
			if got != "" {
				from = "an entry for " + got
			}
			return jwtguard.Deny("requires a token of a " + provider + " issuer entry (Issuer.Provider); this one was accepted by " + from)
		}
		return p(c)
	}
}
