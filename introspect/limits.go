package introspect

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard"
)

// ErrBusy means every request slot was taken for the whole queue wait
// ([WithLimits]), or the caller's context ended first. It wraps
// [jwtguard.ErrIntrospectionUnavailable]: the verifier fails closed (503
// with Retry-After).
var ErrBusy = fmt.Errorf("%w: too many introspection requests in flight", jwtguard.ErrIntrospectionUnavailable)

// acquire takes a request slot, waiting at most the queue wait and never
// past ctx.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	default:
	}
	if c.queueWait <= 0 {
		return c.busy()
	}
	t := time.NewTimer(c.queueWait)
	defer t.Stop()
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-t.C:
		return c.busy()
	case <-ctx.Done():
		return fmt.Errorf("%w (gave up waiting: %v)", ErrBusy, context.Cause(ctx))
	}
}

func (c *Client) busy() error {
	return fmt.Errorf("%w (%d, none free within %s)", ErrBusy, cap(c.slots), c.queueWait)
}
