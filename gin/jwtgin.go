package jwtgin

import (
	"errors"
	"github.com/gin-gonic/gin"
	"github.com/jwtguard/jwtguard"
)

// Option configures [Middleware].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	optional bool
	skipper  func(*gin.Context) bool
	onError  func(*gin.Context, error)
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
