// Package forwarded is jwtguard's one trusted-proxy configuration and
// forwarded-header parser. Behind a reverse proxy, what a service knows about
// its client — its address, its TLS client certificate, the origin it
// called — arrives in headers the proxy writes. A client can write the same
// headers, so they are believed only from the proxies a [Config] names, and
// only in the form those proxies write them.
//
//	trust, err := forwarded.New(forwarded.Config{
//		Proxies:          []string{"10.0.0.0/8"},
//		ClientAddress:    true,
//		ClientCertHeader: "X-Client-Cert",
//		ClientCertFormat: forwarded.EscapedPEM, // nginx $ssl_client_escaped_cert
//	})
//
// jwtguard's verifier takes the same Config (jwtguard.WithTrustedProxies)
// for certificate-bound tokens and the external origin of DPoP proofs; the
// throttling of failed requests keys on [Trust.ClientAddr]; the gateway uses
// it too. The package does not import jwtguard.
//
// # Trusted proxies
//
// A forwarded header is read only when the request's immediate peer (the
// address in r.RemoteAddr) is in [Config.Proxies]; otherwise it is ignored,
// whoever sent it. An empty list trusts nobody, and so does a nil [*Trust].
// IPv4-mapped IPv6 peers (::ffff:10.0.0.1) match IPv4 entries.
//
// # The client address: the right-most hop that is not a trusted proxy
//
// Each proxy appends the address of its own peer to X-Forwarded-For (or adds
// a Forwarded element, RFC 7239), so the header reads left to right from the
// client towards the service — but everything left of the first proxy's entry
// is whatever the client sent. [Trust.ClientAddr] therefore walks from the
// right: the peer, then each entry, as long as the address in hand is a
// trusted proxy (it wrote the entry to its left, so that entry is true). The
// first address that is not a trusted proxy is the client. The left-most
// entry is never taken just because it is left-most: a client prepending
// fake addresses gets its real address.
//
// The walk stops, and the last address it reached is the result (always the
// peer or an address written by a trusted proxy, never one the client
// chose), when an entry is not an address ("unknown", an obfuscated
// identifier "_hidden", a missing for=, garbage), when a Forwarded element
// is malformed, or after 32 entries. If every entry is a trusted proxy, the
// left-most is the client.
//
// List only proxies in [Config.Proxies]: a client whose own address is in a
// trusted range is walked past, so it can choose the address it is given.
//
// # One header family
//
// The proxies write either the X-Forwarded-* headers ([XForwarded], the
// default: X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host — nginx,
// Envoy, Traefik, HAProxy, Caddy, cloud load balancers) or the standard
// Forwarded header ([RFC7239]: for=, proto=, host=). [Config.Headers] says
// which; the other family is never read. A rule such as "prefer Forwarded
// when present" would let a client send the header its proxy does not touch.
//
// Multiple header lines are one list, in order (RFC 9110 §5.3). Entries are
// separated by commas; quoted strings are honoured. The list is read from
// the right, so what a client put on the left — unbalanced quotes, a
// megabyte of entries — cannot change how the proxies' entries on the right
// are read.
//
// # The external origin
//
// With [Config.Origin], [Trust.Origin] gives the scheme and host the client
// called, as the trusted proxy saw them: X-Forwarded-Proto and
// X-Forwarded-Host (each exactly one value; a list means a proxy appended
// instead of setting it, and is not believed), or the proto= and host= of
// the Forwarded element that named the client.
//
// # The client certificate
//
// A proxy that terminates TLS forwards the client's certificate in a header
// ([Config.ClientCertHeader]) in its own format ([Config.ClientCertFormat]):
//
//   - [EscapedPEM]: the URL-encoded PEM of nginx's $ssl_client_escaped_cert.
//   - [XFCC]: Envoy's x-forwarded-client-cert. Only the right-most element,
//     the one the trusted proxy added, is read; its Cert is the certificate
//     and its Hash, when present, must be the SHA-256 of Cert's DER. A
//     header carrying URI= or DNS= is refused (see [XFCC]).
//   - [Base64DER]: the base64 DER of Traefik's X-Forwarded-Tls-Client-Cert
//     (passtlsclientcert with pem: true), or HAProxy's %[ssl_c_der,base64].
//
// [Trust.ClientCertificate] reads that header only from a trusted proxy
// (its own TLS certificate then is the proxy's, never the client's). A
// header from any other peer is ignored and reported with [ErrUntrustedPeer]
// beside the connection's own certificate; a malformed header from a trusted
// proxy is an error wrapping [ErrInvalidHeader].
//
// # Bounds
//
// The address walk reads at most 32 entries, each of at most 256 bytes
// (X-Forwarded-For) or 1 KiB (a Forwarded element), from the right; a
// certificate header may hold at most 64 KiB. No input makes the package
// panic; the parsers are fuzzed.
package forwarded
