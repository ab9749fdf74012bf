package profile

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard"
)

// Claim paths of Kubernetes service-account tokens.
const (
	k8sNamespace      = "[kubernetes.io].namespace"
	k8sServiceAccount = "[kubernetes.io].serviceaccount.name"
)

// stringClaim returns the string claim at path, or "" when it is absent or
// not a string.
func stringClaim(c *jwtguard.Claims, path string) string {
	v, _ := c.Get(path)
	s, _ := v.(string)
	return s
}

// misconfigured refuses every request: a programming error, loudly.
func misconfigured(fn string, err error) jwtguard.Policy {
	return func(*jwtguard.Claims) error {
		return jwtguard.Deny("misconfigured policy: profile." + fn + ": " + err.Error())
	}
}

// glob reports whether s matches pattern, where '*' matches any run of
// characters (possibly empty) that contains no byte of stop.
func glob(pattern, s, stop string) bool {
	// Iterative matching with one backtrack point (the last '*').
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0 && !strings.ContainsRune(stop, rune(s[mark])):
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// ownerPatterns checks patterns whose owner part, everything up to the
// first '/', must be literal.
func ownerPatterns(patterns []string) error {
	if len(patterns) == 0 {
		return fmt.Errorf("no pattern given")
	}
	for _, p := range patterns {
		slash := strings.IndexByte(p, '/')
		if slash <= 0 {
			return fmt.Errorf("pattern %q has no owner part (text before a '/')", p)
		}
		if strings.Contains(p[:slash], "*") {
			return fmt.Errorf("pattern %q: the owner part (before the first '/') must be literal", p)
		}
	}
	return nil
}

// matchAny builds a policy that requires a GitHub Actions token whose
// string claim at path matches one of the glob patterns.
func matchAny(path string, patterns []string, what string) jwtguard.Policy {
	ps := slices.Clone(patterns)
	return forProvider(ProviderGitHubActions, func(c *jwtguard.Claims) error {
		v := stringClaim(c, path)
		if v != "" {
			for _, p := range ps {
				if glob(p, v, "") {
					return nil
				}
			}
		}
		return jwtguard.Deny("requires " + what + " matching " + strings.Join(ps, " or "))
	})
}

// exactAny builds a policy that requires a GitHub Actions token whose
// string claim at path equals one of values.
func exactAny(fn, path string, values []string, what string) jwtguard.Policy {
	if len(values) == 0 || slices.Contains(values, "") {
		return misconfigured(fn, fmt.Errorf("give non-empty values"))
	}
	vs := slices.Clone(values)
	return forProvider(ProviderGitHubActions, func(c *jwtguard.Claims) error {
		if slices.Contains(vs, stringClaim(c, path)) {
			return nil
		}
		return jwtguard.Deny("requires " + what + " " + strings.Join(vs, " or "))
	})
}

// GitHubSubject allows GitHub Actions tokens whose sub matches one of
// patterns. Like every GitHub* policy, it passes only tokens accepted by
// an entry whose Provider is [ProviderGitHubActions] (the [GitHubActions]
// profile): a token of another trusted issuer is denied whatever claims
// it carries. In a pattern, '*' matches any run of characters, ':' and '/'
// included, but the owner part — everything up to the first '/' — is
// literal and matched exactly: "repo:octo-org/*" matches
// "repo:octo-org/app:ref:refs/heads/main" and
// "repo:octo-org/app:environment:prod", never
// "repo:octo-org-evil/app:...". A pattern without '/' or with '*' before
// the first '/' refuses every request (a configuration error). Patterns
// work on the default sub formats (repo:<owner>/<repo>:ref:<ref>,
// :environment:<name>, :pull_request, :job_workflow_ref:...) and on the
// immutable "repo:<owner>@<id>/<repo>@<id>:..." form; for subjects
// customized to hold IDs only, use [GitHubOwnerID] and [GitHubRepositoryID].
func GitHubSubject(patterns ...string) jwtguard.Policy {
	if err := ownerPatterns(patterns); err != nil {
		return misconfigured("GitHubSubject", err)
	}
	return matchAny("sub", patterns, "sub")
}

// GitHubRepository allows GitHub Actions tokens whose repository ("owner/name") matches
// one of patterns, with the wildcard rules of [GitHubSubject]: "octo-org/*"
// is every repository of octo-org, never of octo-org-evil. Names change
// with renames and can be re-registered by others: prefer
// [GitHubRepositoryID] where you can.
func GitHubRepository(patterns ...string) jwtguard.Policy {
	if err := ownerPatterns(patterns); err != nil {
		return misconfigured("GitHubRepository", err)
	}
	return matchAny("repository", patterns, "repository")
}

// GitHubOwner allows GitHub Actions tokens whose repository_owner is one of owners
// (exact). An owner name can be renamed and then registered by someone
// else: prefer [GitHubOwnerID].
func GitHubOwner(owners ...string) jwtguard.Policy {
	return exactAny("GitHubOwner", "repository_owner", owners, "repository owner")
}

// GitHubOwnerID allows GitHub Actions tokens whose repository_owner_id is one of ids, the
// numeric IDs of users or organizations as decimal strings ("65"; GitHub
// sends them as strings). IDs survive renames and are never reused.
func GitHubOwnerID(ids ...string) jwtguard.Policy {
	return exactAny("GitHubOwnerID", "repository_owner_id", ids, "repository owner ID")
}

// GitHubRepositoryID allows GitHub Actions tokens whose repository_id is one of ids
// (decimal strings), which survive renames and transfers.
func GitHubRepositoryID(ids ...string) jwtguard.Policy {
	return exactAny("GitHubRepositoryID", "repository_id", ids, "repository ID")
}

// GitHubRef allows GitHub Actions tokens whose ref matches one of patterns, where '*'
// matches any run of characters: "refs/heads/main", "refs/tags/v*". A pull
// request's ref ("refs/pull/42/merge") is code anyone may propose.
func GitHubRef(patterns ...string) jwtguard.Policy {
	if len(patterns) == 0 || slices.Contains(patterns, "") {
		return misconfigured("GitHubRef", fmt.Errorf("give non-empty patterns"))
	}
	return matchAny("ref", patterns, "ref")
}

// GitHubEnvironment allows GitHub Actions tokens of jobs that run in one of the named
// deployment environments (exact; environment claim). Protect those
// environments with required reviewers or branch rules in GitHub.
func GitHubEnvironment(names ...string) jwtguard.Policy {
	return exactAny("GitHubEnvironment", "environment", names, "environment")
}

// Namespace allows Kubernetes service-account tokens of namespace ns:
// the token must be accepted by an entry whose Provider is
// [ProviderKubernetes] (the [Kubernetes] profile; with several clusters,
// any of them — pin one with jwtguard.RequireIssuer),
// [kubernetes.io].namespace must be ns and sub must be
// "system:serviceaccount:<ns>:<name>".
func Namespace(ns string) jwtguard.Policy {
	if ns == "" || strings.Contains(ns, ":") {
		return misconfigured("Namespace", fmt.Errorf("%q is not a namespace", ns))
	}
	return forProvider(ProviderKubernetes, func(c *jwtguard.Claims) error {
		if stringClaim(c, k8sNamespace) == ns && strings.HasPrefix(c.Subject, "system:serviceaccount:"+ns+":") {
			return nil
		}
		return jwtguard.Deny("requires a service account of namespace " + ns)
	})
}

// ServiceAccount allows the Kubernetes service account name of namespace
// ns: the token must be accepted by a [ProviderKubernetes] entry, as for
// [Namespace]; sub must be "system:serviceaccount:<ns>:<name>" and the
// kubernetes.io claim must name the same namespace and service account.
func ServiceAccount(ns, name string) jwtguard.Policy {
	if ns == "" || name == "" || strings.Contains(ns, ":") || strings.Contains(name, ":") {
		return misconfigured("ServiceAccount", fmt.Errorf("%q/%q is not a namespace and service account", ns, name))
	}
	return forProvider(ProviderKubernetes, func(c *jwtguard.Claims) error {
		if c.Subject == "system:serviceaccount:"+ns+":"+name &&
			stringClaim(c, k8sNamespace) == ns && stringClaim(c, k8sServiceAccount) == name {
			return nil
		}
		return jwtguard.Deny("requires service account " + ns + "/" + name)
	})
}

// SPIFFEID allows JWT-SVIDs whose sub is a SPIFFE ID matching one of
// patterns: the token must be accepted by an entry whose Provider is
// [ProviderSPIFFE] (the [SPIFFE] profile, or a hand-made entry for a SPIRE
// OIDC Discovery Provider that sets it). In a pattern, '*' matches any run of characters within one
// path segment (never '/'), and the trust domain is literal:
// "spiffe://acme.example/ns/payments/sa/*" matches every service account
// of namespace payments; "spiffe://acme.example/ns/*/sa/orders" the
// account orders of any namespace. A sub that is not a well-formed SPIFFE
// ID (spiffe://<trust domain>/<segments>, no empty, "." or ".." segment,
// no query or fragment) never matches.
func SPIFFEID(patterns ...string) jwtguard.Policy {
	if len(patterns) == 0 {
		return misconfigured("SPIFFEID", fmt.Errorf("no pattern given"))
	}
	for _, p := range patterns {
		td, _, ok := strings.Cut(strings.TrimPrefix(p, "spiffe://"), "/")
		if !strings.HasPrefix(p, "spiffe://") || !ok || !validTrustDomain(td) {
			return misconfigured("SPIFFEID", fmt.Errorf("pattern %q must start with spiffe://<trust domain>/ (literal)", p))
		}
	}
	ps := slices.Clone(patterns)
	return forProvider(ProviderSPIFFE, func(c *jwtguard.Claims) error {
		if validSPIFFEID(c.Subject) {
			for _, p := range ps {
				if glob(p, c.Subject, "/") {
					return nil
				}
			}
		}
		return jwtguard.Deny("requires a SPIFFE ID matching " + strings.Join(ps, " or "))
	})
}

// validSPIFFEID checks the SPIFFE ID syntax (SPIFFE ID §2).
func validSPIFFEID(id string) bool {
	rest, ok := strings.CutPrefix(id, "spiffe://")
	if !ok {
		return false
	}
	td, path, ok := strings.Cut(rest, "/")
	if !ok || !validTrustDomain(td) {
		return false
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// GoogleServiceAccount allows Google ID tokens of the service accounts
// named in accounts: the token must be accepted by an entry whose Provider
// is [ProviderGoogle] (the [Google] profile), and each of accounts is
// either a service account's email
// ("orders-caller@acme-prod.iam.gserviceaccount.com"), matched exactly
// against the email claim, which must come with email_verified true, or
// its unique ID (the number Google puts in sub), matched against sub.
//
// [Google] with a service URL or another audience of your choosing admits
// an ID token that ANY Google service account — of any project, anyone's —
// requests for that audience; this policy names the callers. Google puts
// the email into the token only when the caller asks for it (the metadata
// server's identity endpoint with format=full, the IAM Credentials API's
// generateIdToken with includeEmail); the unique ID is always there. An
// account that is neither an email nor a string of digits refuses every
// request (a configuration error).
func GoogleServiceAccount(accounts ...string) jwtguard.Policy {
	if len(accounts) == 0 {
		return misconfigured("GoogleServiceAccount", fmt.Errorf("no service account given"))
	}
	var emails, ids []string
	for _, a := range accounts {
		local, domain, isEmail := strings.Cut(a, "@")
		switch {
		case isEmail && local != "" && domain != "" && !strings.ContainsAny(domain, "@ \t\n") && !strings.ContainsAny(local, " \t\n"):
			emails = append(emails, a)
		case a != "" && strings.Trim(a, "0123456789") == "":
			ids = append(ids, a)
		default:
			return misconfigured("GoogleServiceAccount", fmt.Errorf("%q is neither a service account's email nor its unique ID", a))
		}
	}
	names := strings.Join(accounts, " or ")
	return forProvider(ProviderGoogle, func(c *jwtguard.Claims) error {
		if slices.Contains(ids, c.Subject) {
			return nil
		}
		if verified, _ := c.Get("email_verified"); verified == true && slices.Contains(emails, stringClaim(c, "email")) {
			return nil
		}
		return jwtguard.Deny("requires service account " + names)
	})
}

// authTimeSkew is the tolerated clock skew for auth_time in the future.
const authTimeSkew = time.Minute

// RecentLogin allows tokens of any issuer whose auth_time (when the user last signed in)
// is not in the future (with one minute of clock skew) and, when maxAge is
// positive, at most maxAge ago — for sensitive operations that need a
// fresh sign-in (OpenID Connect max_age). Tokens without a numeric
// auth_time are refused. It reads the system clock.
func RecentLogin(maxAge time.Duration) jwtguard.Policy {
	return func(c *jwtguard.Claims) error {
		v, _ := c.Get("auth_time")
		f, ok := v.(float64)
		if !ok {
			return jwtguard.Deny("requires an auth_time claim")
		}
		at := time.Unix(int64(f), 0)
		now := time.Now()
		if at.After(now.Add(authTimeSkew)) {
			return jwtguard.Deny("auth_time is in the future")
		}
		if maxAge > 0 && now.Sub(at) > maxAge {
			return jwtguard.Deny("requires a sign-in within the last " + maxAge.String())
		}
		return nil
	}
}
