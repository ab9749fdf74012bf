// Package profile builds jwtguard issuer entries for common identity
// providers, one constructor per provider. Each returns a [jwtguard.Issuer]
// — the same value a hand-written entry or an issuer resolver gives — so
// profiles combine in one verifier:
//
//	v, err := jwtguard.New(
//		jwtguard.Trust(
//			profile.Auth0("acme.eu.auth0.com", "https://api.acme.example/orders"),
//			profile.GitHubActions("https://github.com/octo-org"),
//		),
//		jwtguard.WithAlgorithms("RS256"),
//	)
//
// A profile points at the provider's real URLs (issuer, keys) and sets
// what the provider needs: the exact issuer spelling, aliases, audience,
// token-use checks, allowed clients, claim mapping and token size. It
// records data only; jwtguard.New checks it, and refuses configurations
// a profile knows cannot work (an Okta org authorization server, an Entra
// tenant given as a domain name) through Issuer.Invalid.
//
// The result is a plain struct: adjust it before passing it on, e.g. add
// allowed calling clients (is.Clients), a second audience, a role claim
// path, or a key source with its own HTTP client
// (is.Keys = is.Keys.WithHTTPClient(c)). Every fetch goes through the HTTP
// client of the key source or of jwtguard.WithRemoteKeys, so tests can serve
// the providers' real URLs from a local TLS server: jwtguardtest.WithURL
// makes the test kit's issuer stand in for a profile's provider, and its
// Client is the one to give the key source.
//
// Checks an issuer entry cannot express are policies, applied per route
// with jwtguard.Authorize or the adapters: [GitHubSubject],
// [GitHubOwnerID], [Namespace], [ServiceAccount], [SPIFFEID],
// [GoogleServiceAccount], [RecentLogin], and jwtguard's RequireTenant and
// RequireClaim.
//
// Every constructor marks its entry with its provider (Issuer.Provider,
// one of the Provider* constants), and the provider-specific policies
// pass only tokens accepted by an entry of their provider: in a verifier
// that trusts several issuers, another issuer's token that carries
// GitHub-shaped claims never passes [GitHubOwnerID]. Entries of one
// provider are alike to those policies (two Kubernetes clusters both pass
// [Namespace]); jwtguard.RequireIssuer pins one. [RecentLogin] and
// jwtguard's own policies look at claims only, whatever the issuer.
//
// README.md in this directory has a table of every provider (where subject,
// roles, scopes, permissions and tenant come from) and what each provider
// must be configured to send.
package profile
