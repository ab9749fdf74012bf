package jwtguardtest

import (
	"sync/atomic"
	"time"
)

// Clock is a settable clock for tests, safe for concurrent use. Pass its Now
// to every party whose time the test moves — the verifier
// (jwtguard.WithClock), the issuer that mints the tokens ([WithIssuerClock])
// and stores that take a clock (memory.WithClock) — then move time with
// Advance.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a Clock that reads t until advanced.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.ns.Store(t.UnixNano())
	return c
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Advance moves the clock forward by d (backward if d is negative).
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
