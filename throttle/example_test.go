package throttle_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/jwtguard/jwtguard/throttle"
)

// A client is its address: each IPv4 address on its own, IPv6 by /64.
func ExampleConfig_AddrKey() {
	var c throttle.Config // the defaults
	fmt.Println(c.AddrKey(netip.MustParseAddr("192.0.2.7")))
	fmt.Println(c.AddrKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")))
	fmt.Println(throttle.Config{IPv4PrefixLen: 24}.AddrKey(netip.MustParseAddr("192.0.2.7")))
	// Output:
	// 192.0.2.7
	// 2001:db8:1:2::/64
	// 192.0.2.0/24
}

// The verifier calls the store; this is what it sees. Three failures a
// minute: the third throttles the client until a try comes back, 20 s
// later.
func ExampleMemoryStore() {
	ctx := context.Background()
	s := throttle.NewMemoryStore(0, 0)
	limit := throttle.Limit{Failures: 3, Window: time.Minute}
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		s.Failed(ctx, "192.0.2.7", now, limit)
		retry, throttled := s.Throttled("192.0.2.7", now)
		fmt.Println(i+1, throttled, retry)
	}
	_, throttled := s.Throttled("192.0.2.7", now.Add(20*time.Second))
	fmt.Println("20 s later:", throttled)
	// Output:
	// 1 false 0s
	// 2 false 0s
	// 3 true 20s
	// 20 s later: false
}
