package jwtguardtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jwtguard/jwtguard/internal/tlstest"
)

// standIn is the state of an issuer made WithURL.
type standIn struct {
	hosts    []string // the issuer URL's host first
	basePath string   // the issuer URL's path without a trailing slash
}

// WithURL makes the Issuer stand in for a real identity provider, so that
// a configuration naming the provider's URLs — an identity-provider
// profile — is tested as written, without a network:
//
//   - issuerURL, an https URL such as a profile's Issuer.ID
//     ("https://acme.eu.auth0.com/", "https://kc.example.com/realms/acme"),
//     is the issuer identifier: the iss of minted tokens, byte for byte,
//     and the base of discovery ({issuerURL}/.well-known/openid-configuration);
//   - the issuer is served over TLS by a local server whose certificate,
//     from a certificate authority made for it, names issuerURL's host and
//     hosts — further hosts the provider's keys live on, such as
//     "www.googleapis.com" for Google and Firebase;
//   - the JWKS is served at [Issuer.JWKSURL] and at every other GET URL of
//     these hosts, so a profile finds the keys at the URL it knows;
//   - [Issuer.Client] is the HTTP client that reaches the server: it trusts
//     that certificate authority only and dials the local server for these
//     hosts, refusing any other. Give it to the key source under test:
//     is.Keys = is.Keys.WithHTTPClient(iss.Client()).
//
// Minting, rotation, faults and introspection work as without WithURL;
// paths given to [Issuer.Handle] are relative to issuerURL's path.
// Several stand-ins have several clients: give each key source its own.
func WithURL(issuerURL string, hosts ...string) IssuerOption {
	return issuerOption(func(i *Issuer) error {
		u, err := url.Parse(issuerURL)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("WithURL(%q): want an https URL with a host and no user, query or fragment, such as a profile's Issuer.ID", issuerURL)
		}
		for _, h := range hosts {
			if err := tlstest.CheckHost(h); err != nil {
				return fmt.Errorf("WithURL(%q, ...): %w", issuerURL, err)
			}
		}
		i.url, i.base = issuerURL, strings.TrimSuffix(issuerURL, "/")
		i.standIn = &standIn{
			hosts:    append([]string{u.Hostname()}, hosts...),
			basePath: strings.TrimSuffix(u.Path, "/"),
		}
		return nil
	})
}

// start serves h on a TLS server for the stand-in's hosts, with paths under
// the issuer URL's path made relative to it.
func (s *standIn) start(i *Issuer, h http.Handler) error {
	srv, err := tlstest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, s.basePath); ok && s.basePath != "" && (rest == "" || rest[0] == '/') {
			if rest == "" {
				rest = "/"
			}
			u := *r.URL
			u.Path, u.RawPath = rest, ""
			r2 := *r
			r2.URL = &u
			r = &r2
		}
		h.ServeHTTP(w, r)
	}), s.hosts...)
	if err != nil {
		return err
	}
	i.client, i.close = srv.Client(), srv.Close
	return nil
}
