// Package bench compares jwtguard with peer JWT libraries on identical
// tokens. It is its own module so the peers never enter jwtguard's go.mod.
// Everything lives in the _test.go files; run ./run.sh (or
// go run ./cmd/benchtable) for the markdown table.
package bench
