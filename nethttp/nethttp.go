// Package nethttp protects net/http handlers (and any router built on
// http.Handler, such as chi or Go 1.22 ServeMux patterns) with a
// [jwtguard.Verifier].
//
//	mux := http.NewServeMux()
//	mux.Handle("GET /admin", nethttp.Require(jwtguard.RequireAnyRole("admin"))(adminHandler))
//	http.ListenAndServe(addr, nethttp.Middleware(v)(mux))
package nethttp

import (
	"context"
	"errors"
	"net/http"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/preflight"
)

// Option configures [Middleware].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	optional  bool
	skipper   func(*http.Request) bool
	onError   func(http.ResponseWriter, *http.Request, error)
	preflight http.Handler
}

// WithCredentialsOptional lets requests without any token through, without
// claims. A token that is present but bad is still refused with 401.
func WithCredentialsOptional() Option { return optionFunc(func(c *config) { c.optional = true }) }

// WithSkipper skips authentication for requests for which skip returns true
// (health checks, public pages).
func WithSkipper(skip func(*http.Request) bool) Option {
	return optionFunc(func(c *config) { c.skipper = skip })
}

// WithErrorHandler replaces the default RFC 6750 error response.
// err is always an *jwtguard.Error; see [jwtguard.WriteError].
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return optionFunc(func(c *config) { c.onError = h })
}

// WithPreflight answers CORS preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) with h instead of authenticating them.
// Browsers send a preflight, without credentials, before a cross-origin
// request that carries an Authorization header; behind Middleware it gets
// 401 and the browser never sends the request itself.
//
// The usual answer is a CORS middleware outside Middleware: rs/cors's
// (github.com/rs/cors) Handler answers preflights itself and puts the CORS
// headers on every other response, jwtguard's 401s included, so browser
// code can read them. Use WithPreflight where the CORS middleware cannot
// wrap Middleware: h is then your CORS library's preflight answer, e.g.
// http.HandlerFunc(c.HandlerFunc) for an rs/cors *Cors c. A preflight never
// reaches the next handler, with or without this option; responses to the
// requests themselves still need the CORS headers from your CORS
// middleware.
//
// Preflights are not let through by default, nor passed on to the next
// handler by this option: a handler that ignores the method would serve
// them unauthenticated. A nil h leaves preflights authenticated like any
// other request.
func WithPreflight(h http.Handler) Option {
	return optionFunc(func(c *config) { c.preflight = h })
}

type errorHandlerKey struct{}

// Middleware authenticates every request with v and puts the claims in the
// request context ([jwtguard.FromContext]). Refused requests get the
// RFC 6750 response and never reach next.
func Middleware(v *jwtguard.Verifier, opts ...Option) func(http.Handler) http.Handler {
	cfg := config{}
	for _, o := range opts {
		o.apply(&cfg)
	}
	onError := cfg.onError
	if onError == nil {
		onError = func(w http.ResponseWriter, _ *http.Request, err error) { v.WriteError(w, err) }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if cfg.preflight != nil && preflight.Is(r) {
				cfg.preflight.ServeHTTP(w, r)
				return
			}
			if cfg.skipper != nil && cfg.skipper(r) {
				next.ServeHTTP(w, r)
				return
			}
			claims, err := v.Authenticate(r)
			if err != nil && !(cfg.optional && errors.Is(err, jwtguard.ErrNoToken)) {
				onError(w, r, err)
				return
			}
			ctx := context.WithValue(r.Context(), errorHandlerKey{}, onError)
			if claims != nil {
				ctx = jwtguard.NewContext(ctx, claims)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// Require protects a single handler with policies. It must run behind
// [Middleware]; requests without claims get 401, denied ones 403
// insufficient_scope.
func Require(policies ...jwtguard.Policy) func(http.Handler) http.Handler {
	return requireWith(func(*http.Request) []jwtguard.Policy { return policies })
}

// RequireTenantPathValue requires the token's tenant to equal the route's
// path value name (Go 1.22 ServeMux pattern "/tenants/{tenant}/...").
func RequireTenantPathValue(name string) func(http.Handler) http.Handler {
	return RequireTenantFunc(func(r *http.Request) string { return r.PathValue(name) })
}

// RequireTenantFunc requires the token's tenant to equal tenant(r); routers
// with their own parameter API (chi) build on it.
func RequireTenantFunc(tenant func(*http.Request) string) func(http.Handler) http.Handler {
	return requireWith(func(r *http.Request) []jwtguard.Policy {
		return []jwtguard.Policy{jwtguard.RequireTenant(tenant(r))}
	})
}

func requireWith(policies func(*http.Request) []jwtguard.Policy) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := jwtguard.FromContext(r.Context())
			if err := jwtguard.Authorize(c, policies(r)...); err != nil {
				writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// writeError uses the error handler of the enclosing Middleware, if any.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if h, ok := r.Context().Value(errorHandlerKey{}).(func(http.ResponseWriter, *http.Request, error)); ok {
		h(w, r, err)
		return
	}
	jwtguard.WriteError(w, "", err)
}
