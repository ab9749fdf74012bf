// Package preflight recognises CORS preflight requests, for the adapters'
// WithPreflight options: the one definition every adapter uses.
package preflight

import "net/http"

// Is reports whether r is a CORS preflight request (Fetch standard,
// "CORS-preflight request"): method OPTIONS with an Origin and an
// Access-Control-Request-Method header. Browsers send a preflight before a
// cross-origin request that carries an Authorization header, and never
// attach credentials to it.
func Is(r *http.Request) bool {
	return r.Method == http.MethodOptions &&
		r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}
