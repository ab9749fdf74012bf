//go:build !race

package throttle

// floodKeys is the size of TestMemoryStoreBound's flood.
const floodKeys = 1_000_000
