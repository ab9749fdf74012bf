package jwtchi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/nethttp"
)

// Option configures [Middleware]; it is the net/http adapter's option type.
type Option = nethttp.Option

// Middleware authenticates every request with v and puts the claims in the
// request context. It is [nethttp.Middleware].
func Middleware(v *jwtguard.Verifier, opts ...Option) func(http.Handler) http.Handler {
	return nethttp.Middleware(v, opts...)
}

// WithCredentialsOptional is [nethttp.WithCredentialsOptional].
func WithCredentialsOptional() Option { return nethttp.WithCredentialsOptional() }

// WithSkipper is [nethttp.WithSkipper].
func WithSkipper(skip func(*http.Request) bool) Option { return nethttp.WithSkipper(skip) }

// WithErrorHandler is [nethttp.WithErrorHandler].
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return nethttp.WithErrorHandler(h)
}

// WithPreflight is [nethttp.WithPreflight]: CORS preflights are answered
// by h (your CORS library's preflight answer) instead of being
// authenticated, and never reach the next handler.
func WithPreflight(h http.Handler) Option { return nethttp.WithPreflight(h) }

// Require protects a route or group with policies (use it with r.With or
// r.Use). It must run behind [Middleware]; requests without claims get 401,
// denied ones 403 insufficient_scope.
func Require(policies ...jwtguard.Policy) func(http.Handler) http.Handler {
	return nethttp.Require(policies...)
}

// RequireTenantParam requires the token's tenant to equal the chi route
// parameter name (route "/tenants/{tenant}/orders").
func RequireTenantParam(name string) func(http.Handler) http.Handler {
	return nethttp.RequireTenantFunc(func(r *http.Request) string { return chi.URLParam(r, name) })
}
