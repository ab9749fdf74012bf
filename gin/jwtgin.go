package jwtgin

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/preflight"
)

// Option configures [Middleware].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	optional  bool
	skipper   func(*gin.Context) bool
	onError   func(*gin.Context, error)
	preflight http.Handler
}

// WithCredentialsOptional lets requests without any token through, without
// claims. A token that is present but bad is still refused with 401.
func WithCredentialsOptional() Option { return optionFunc(func(c *config) { c.optional = true }) }

// WithSkipper skips authentication for requests for which skip returns true
// (health checks, public pages).
func WithSkipper(skip func(*gin.Context) bool) Option {
	return optionFunc(func(c *config) { c.skipper = skip })
}

// WithErrorHandler replaces the default RFC 6750 error response. err is
// always an *jwtguard.Error. The request is aborted after h returns, so the
// protected handler never runs. Use [jwtguard.WriteError] to keep the
// standard response and add to it.
func WithErrorHandler(h func(c *gin.Context, err error)) Option {
	return optionFunc(func(c *config) { c.onError = h })
}

// WithPreflight answers CORS preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) with h instead of authenticating them;
// the request is then aborted, so the route's handlers never run. Gin runs
// group middleware only for matching routes, so give it to middleware
// that sees every request (the engine's r.Use).
// Browsers send preflights without credentials, so without a CORS
// middleware in front of this one they get 401. Prefer CORS in front (a
// CORS middleware in the engine's r.Use, such as gin-contrib/cors, or
// rs/cors's Handler wrapping the *gin.Engine): it also puts the CORS
// headers on jwtguard's 401s. Use WithPreflight where that is not
// possible, with h your CORS library's preflight answer (e.g.
// http.HandlerFunc(c.HandlerFunc) for an rs/cors *Cors c). Preflights are
// not let through by default: a handler that ignores the method would
// serve them unauthenticated (see
// [github.com/jwtguard/jwtguard/nethttp.WithPreflight]). A nil h leaves
// preflights authenticated.
func WithPreflight(h http.Handler) Option {
	return optionFunc(func(c *config) { c.preflight = h })
}

// Keys of the values the middleware stores in gin.Context.
const (
	claimsKey  = "jwtguard.claims"
	onErrorKey = "jwtguard.onError"
)

// Middleware authenticates every request with v, stores the claims in the
// gin.Context ([FromContext]) and in the request context
// ([jwtguard.FromContext]). Refused requests get the RFC 6750 response and
// are aborted.
func Middleware(v *jwtguard.Verifier, opts ...Option) gin.HandlerFunc {
	cfg := config{}
	for _, o := range opts {
		o.apply(&cfg)
	}
	onError := cfg.onError
	if onError == nil {
		onError = func(c *gin.Context, err error) { v.WriteError(c.Writer, err) }
	}
	return func(c *gin.Context) {
		if cfg.preflight != nil && preflight.Is(c.Request) {
			cfg.preflight.ServeHTTP(c.Writer, c.Request)
			c.Abort()
			return
		}
		if cfg.skipper != nil && cfg.skipper(c) {
			c.Next()
			return
		}
		claims, err := v.Authenticate(c.Request)
		if err != nil && !(cfg.optional && errors.Is(err, jwtguard.ErrNoToken)) {
			onError(c, err)
			c.Abort()
			return
		}
		c.Set(onErrorKey, onError)
		if claims != nil {
			c.Set(claimsKey, claims)
			c.Request = c.Request.WithContext(jwtguard.NewContext(c.Request.Context(), claims))
		}
		c.Next()
	}
}

// FromContext returns the claims stored by [Middleware], if any.
func FromContext(c *gin.Context) (*jwtguard.Claims, bool) {
	if v, ok := c.Get(claimsKey); ok {
		if cl, ok := v.(*jwtguard.Claims); ok && cl != nil {
			return cl, true
		}
	}
	return jwtguard.FromContext(c.Request.Context())
}

// Require protects a route or group with policies. It must run behind
// [Middleware]; requests without claims get 401, denied ones 403
// insufficient_scope.
func Require(policies ...jwtguard.Policy) gin.HandlerFunc {
	return requireWith(func(*gin.Context) []jwtguard.Policy { return policies })
}

// RequireTenantParam requires the token's tenant to equal the route
// parameter name (route "/tenants/:tenant/orders").
func RequireTenantParam(name string) gin.HandlerFunc {
	return requireWith(func(c *gin.Context) []jwtguard.Policy {
		return []jwtguard.Policy{jwtguard.RequireTenant(c.Param(name))}
	})
}

func requireWith(policies func(*gin.Context) []jwtguard.Policy) gin.HandlerFunc {
	return func(c *gin.Context) {
		cl, _ := FromContext(c)
		if err := jwtguard.Authorize(cl, policies(c)...); err != nil {
			if v, ok := c.Get(onErrorKey); ok {
				if h, ok := v.(func(*gin.Context, error)); ok {
					h(c, err)
					c.Abort()
					return
				}
			}
			jwtguard.WriteError(c.Writer, "", err)
			c.Abort()
			return
		}
		c.Next()
	}
}
