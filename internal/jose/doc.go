// Package jose holds jwtguard's JOSE primitives: compact-token splitting,
// strict base64url, JOSE header parsing, the supported JWS algorithms,
// verification keys (conversion from JWKs and Go keys, key sets, signature
// checks) and the HMAC-secret sanity check.
//
// The hot path avoids allocations: token parts are views into the token
// string, decoded headers are read in place (kid and typ may point into the
// decoded bytes, see [ViewString]), algorithm and common typ names are
// interned, digests and ECDSA DER signatures are built in pooled scratch
// buffers, and HMAC states are pooled per key.
//
// Errors never contain the token or its parts. Every header or encoding
// error wraps [ErrMalformed]; callers map it to their own sentinel with
// errors.Is. The package imports nothing from jwtguard's root package.
package jose
