package introspect_test

import "github.com/jwtguard/jwtguard/internal/memhttp"

// memTransport serves requests in memory with a handler: no socket, so a
// testing/synctest bubble's clock advances while the handler blocks.
type memTransport = memhttp.Transport
