package jwks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
)

// errUnguarded is returned for a plain-http request through a client that
// cannot hold plain http to loopback.
var errUnguarded = errors.New("plain http needs InsecureHTTP with a client whose Transport is not an *http.Transport without a Proxy (the loopback dial check cannot be added)")

// newClient returns the client used for JWKS and discovery: a copy of the
// caller's client (or a default one) with the redirect policy and, unless
// InsecureHTTP, a transport that sends plain http only to loopback. guarded
// reports whether plain http is possible at all.
func newClient(cfg Config) (c *http.Client, guarded bool) {
	c = &http.Client{}
	if cfg.Client != nil {
		*c = *cfg.Client
	}
	c.Timeout = 0 // each fetch has its own context deadline
	c.Jar = nil   // no cookies from the provider
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errors.New("too many redirects")
		}
		prev := via[len(via)-1].URL
		if req.URL.Host != prev.Host {
			return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
		}
		if prev.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("redirect from https to http refused")
		}
		_, err := CheckURL(req.URL.String(), cfg.InsecureHTTP)
		return err
	}
	if cfg.InsecureHTTP {
		return c, true
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	g := &guard{https: base}
	if t, ok := base.(*http.Transport); ok && (t.Proxy == nil || base == http.DefaultTransport) {
		// The default transport's environment proxy is dropped for plain
		// http only: the dial check must see the provider's address.
		p := t.Clone()
		p.Proxy = nil
		p.DialContext = guardDial(dialerOf(t, base == http.DefaultTransport, cfg.resolver))
		p.Dial = nil
		g.http = p
	}
	c.Transport = g
	return c, g.http != nil
}

// guard routes https requests to the caller's transport and plain http
// requests to the loopback-only one.
type guard struct {
	https http.RoundTripper
	http  http.RoundTripper // nil: plain http is refused
}

func (g *guard) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "https" {
		return g.https.RoundTrip(r)
	}
	if g.http == nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, errUnguarded
	}
	return g.http.RoundTrip(r)
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// dialerOf returns the caller's own dial function, if its transport has
// one, or a dialer that refuses non-loopback addresses before connecting.
func dialerOf(t *http.Transport, isDefault bool, resolver *net.Resolver) dialFunc {
	switch {
	case isDefault: // ours to choose: the checking dialer below
	case t.DialContext != nil:
		return t.DialContext
	case t.Dial != nil:
		dial := t.Dial
		return func(_ context.Context, network, addr string) (net.Conn, error) { return dial(network, addr) }
	}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Resolver: resolver,
		ControlContext: func(_ context.Context, _, address string, _ syscall.RawConn) error {
			return checkLoopback(address)
		}}
	return d.DialContext
}

// guardDial refuses connections whose remote address is not a loopback IP
// (after the dialer's own Control check, for dialers it does not own).
func guardDial(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		remote := ""
		if a := conn.RemoteAddr(); a != nil {
			remote = a.String()
		}
		if err := checkLoopback(remote); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("%s: %w", addr, err)
		}
		return conn, nil
	}
}

// checkLoopback refuses an "ip:port" address that is not a loopback IP.
func checkLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: refusing to connect to %s", ErrPlainHTTP, address)
}
