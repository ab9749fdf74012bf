//go:build race

package throttle

// floodKeys is the size of TestMemoryStoreBound's flood: reduced under the
// race detector, which makes every map operation many times slower
// (scripts/test.sh runs the full million without it).
const floodKeys = 100_000
