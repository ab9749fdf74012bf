package jwtecho

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/preflight"
)

// Option configures [Middleware].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	optional  bool
	skipper   func(echo.Context) bool
	onError   func(echo.Context, error) error
	preflight http.Handler
}

// WithCredentialsOptional lets requests without any token through, without
// claims. A token that is present but bad is still refused with 401.
func WithCredentialsOptional() Option { return optionFunc(func(c *config) { c.optional = true }) }

// WithSkipper skips authentication for requests for which skip returns true
// (health checks, public pages).
func WithSkipper(skip func(echo.Context) bool) Option {
	return optionFunc(func(c *config) { c.skipper = skip })
}

// WithErrorHandler replaces the default RFC 6750 error response. err is
// always an *jwtguard.Error; the handler's return value is returned to Echo.
// Use [jwtguard.WriteError] to keep the standard response and add to it.
func WithErrorHandler(h func(c echo.Context, err error) error) Option {
	return optionFunc(func(c *config) { c.onError = h })
}

// WithPreflight answers CORS preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) with h instead of authenticating them;
// they never reach the route's handler. Browsers send preflights without
// credentials, so without a CORS middleware in front of this one they get
// 401. Prefer CORS in front (Echo's middleware.CORS in e.Use, or rs/cors's
// Handler wrapping the *echo.Echo): it also puts the CORS headers on
// jwtguard's 401s. Use WithPreflight where that is not possible, with h
// your CORS library's preflight answer (e.g. http.HandlerFunc(c.HandlerFunc)
// for an rs/cors *Cors c). Preflights are not let through by default: a
// handler that ignores the method would serve them unauthenticated (see
// [github.com/jwtguard/jwtguard/nethttp.WithPreflight]). A nil h leaves
// preflights authenticated.
func WithPreflight(h http.Handler) Option {
	return optionFunc(func(c *config) { c.preflight = h })
}

// Keys of the values the middleware stores in echo.Context.
const (
	claimsKey  = "jwtguard.claims"
	onErrorKey = "jwtguard.onError"
)

// Middleware authenticates every request with v, stores the claims in the
// echo.Context ([FromContext]) and in the request context
// ([jwtguard.FromContext]). Refused requests get the RFC 6750 response and
// never reach the handler.
func Middleware(v *jwtguard.Verifier, opts ...Option) echo.MiddlewareFunc {
	cfg := config{}
	for _, o := range opts {
		o.apply(&cfg)
	}
	onError := cfg.onError
	if onError == nil {
		onError = func(c echo.Context, err error) error {
			v.WriteError(c.Response(), err)
			return nil
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.preflight != nil && preflight.Is(c.Request()) {
				cfg.preflight.ServeHTTP(c.Response(), c.Request())
				return nil
			}
			if cfg.skipper != nil && cfg.skipper(c) {
				return next(c)
			}
			claims, err := v.Authenticate(c.Request())
			if err != nil && !(cfg.optional && errors.Is(err, jwtguard.ErrNoToken)) {
				return onError(c, err)
			}
			c.Set(onErrorKey, onError)
			if claims != nil {
				c.Set(claimsKey, claims)
				r := c.Request()
				c.SetRequest(r.WithContext(jwtguard.NewContext(r.Context(), claims)))
			}
			return next(c)
		}
	}
}

// FromContext returns the claims stored by [Middleware], if any.
func FromContext(c echo.Context) (*jwtguard.Claims, bool) {
	if cl, ok := c.Get(claimsKey).(*jwtguard.Claims); ok && cl != nil {
		return cl, true
	}
	return jwtguard.FromContext(c.Request().Context())
}

// Require protects a route or group with policies. It must run behind
// [Middleware]; requests without claims get 401, denied ones 403
// insufficient_scope.
func Require(policies ...jwtguard.Policy) echo.MiddlewareFunc {
	return requireWith(func(echo.Context) []jwtguard.Policy { return policies })
}

// RequireTenantParam requires the token's tenant to equal the route
// parameter name (route "/tenants/:tenant/orders").
func RequireTenantParam(name string) echo.MiddlewareFunc {
	return requireWith(func(c echo.Context) []jwtguard.Policy {
		return []jwtguard.Policy{jwtguard.RequireTenant(c.Param(name))}
	})
}

func requireWith(policies func(echo.Context) []jwtguard.Policy) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			cl, _ := FromContext(c)
			if err := jwtguard.Authorize(cl, policies(c)...); err != nil {
				if h, ok := c.Get(onErrorKey).(func(echo.Context, error) error); ok {
					return h(c, err)
				}
				jwtguard.WriteError(c.Response(), "", err)
				return nil
			}
			return next(c)
		}
	}
}
