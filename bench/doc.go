// Package bench compares jwtguard with peer JWT libraries on identical
// tokens. It is its own module so the peers never enter jwtguard's go.mod.
// Everything lives in the _test.go files; run ./run.sh (or
// go run ./cmd/benchtable) for the markdown table, and
// ./compare.sh OLD NEW to compare jwtguard's own benchmarks between two
// commits with benchstat (the regression gate of performance changes).
//
// dpop_test.go measures a DPoP request (issue 18's budget: its parts, the
// bearer request, and auth0/go-jwt-middleware v3, the one peer with DPoP);
// telemetry_test.go measures Verify under the OpenTelemetry setups of
// issue 19 (no-op default, metrics SDK, sampled tracing, both).
//
// migrating_test.go holds the peers' configurations MIGRATING.md starts
// from, compiled and run against the peers to check what the guide says
// they do.
package bench
