//go:build race

package jwtguard_test

// raceDetector is true when the tests run under -race, which makes every
// verification about ten times slower.
const raceDetector = true
