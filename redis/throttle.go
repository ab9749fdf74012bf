package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/jwtguard/jwtguard/internal/cache"
	"github.com/jwtguard/jwtguard/internal/revoke"
	"github.com/jwtguard/jwtguard/throttle"
	"github.com/redis/go-redis/v9"
)

// Sizes of a ThrottleStore.
const (
	// throttleQueue is how many failures wait to be counted in Redis;
	// beyond it, failures are dropped (counted by Dropped, logged).
	throttleQueue = 4096
	// throttleBatch is how many failures the worker takes from the queue
	// at once; a client's failures in one batch are one call.
	throttleBatch = 256
	// throttleVerdicts is how many throttled clients are remembered
	// locally.
	throttleVerdicts = 1 << 14
	// maxKeyPart is the longest client key used as it is in Redis keys
	// and messages; longer ones (and any with a space, a control
	// character or '#') are hashed.
	maxKeyPart = 64
	// reportEvery is the shortest gap between two log lines about counts
	// that could not be made.
	reportEvery = time.Minute
)

// ThrottleStore is a [throttle.Store] in Redis, so that a fleet of
// instances shares the counts of failed authentications: a client that
// fails at one instance is throttled at all. Create one with
// [NewThrottleStore], give it to every instance as throttle.Config.Store,
// and Close it when done. It is safe for concurrent use.
//
// The request path never waits on Redis. Throttled answers from a local
// table of throttled clients (verdicts, with their Retry-After); Failed
// puts the failure on a bounded queue and returns. One goroutine counts
// the queued failures in Redis — GCRA, github.com/go-redis/redis_rate,
// one round trip per client per batch — and when a client has used up its
// limit, records the verdict locally and publishes it, so that every
// instance's table has it within a pub/sub delivery. The price: a client
// gets its limit plus the failures in flight during one round trip, and
// an instance that missed a verdict (subscription down) learns it from
// the next failure it counts itself.
//
// When Redis is down or slow, nothing is throttled anew (verdicts already
// held run their course): failures are not counted and the errors are
// logged to slog.Default(), at most once a minute. When the queue is full
// (Redis slower than the failures arrive), further failures are dropped
// and counted ([ThrottleStore.Dropped]). Memory in process: the queue
// (4,096 failures) and the verdicts (16,384 clients, an arbitrary one
// evicted when full).
type ThrottleStore struct {
	client   redis.UniversalClient
	limiter  *redis_rate.Limiter
	where    string
	prefix   string
	timeout  time.Duration
	now      func() time.Time
	verdicts *cache.Map[time.Time] // key part → throttled until

	queue      chan pendingFailure
	dropped    atomic.Uint64
	subscribed atomic.Bool
	closed     atomic.Bool
	lastReport atomic.Int64 // Unix ns of the last log line

	ps        *redis.PubSub
	ctx       context.Context // of every call to Redis; canceled by Close
	cancel    context.CancelFunc
	stop      chan struct{}
	closeOnce sync.Once
}

var _ throttle.Store = (*ThrottleStore)(nil)

type pendingFailure struct {
	key   string // the key part
	limit throttle.Limit
}

// NewThrottleStore returns a throttle store using client. It takes
// [WithKeyPrefix], [WithTimeout] (each count in Redis; the request path
// never waits) and [WithClock]; it refuses the options of [New] and
// [NewDPoPReplayCache], naming them. It does not contact Redis before
// returning; it starts a goroutine that counts failures and a
// subscription to <prefix>throttled: stop them with Close.
func NewThrottleStore(client redis.UniversalClient, opts ...Option) (*ThrottleStore, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	c := config{Settings: revoke.Defaults(), prefix: DefaultKeyPrefix, timeout: DefaultTimeout}
	if err := c.apply(opts, "NewThrottleStore"); err != nil {
		return nil, err
	}
	s := &ThrottleStore{
		client: client, limiter: redis_rate.NewLimiter(client), where: where(client),
		prefix: c.prefix, timeout: c.timeout, now: c.Now,
		verdicts: cache.New[time.Time](throttleVerdicts, 0),
		queue:    make(chan pendingFailure, throttleQueue),
		stop:     make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.ps = client.Subscribe(s.ctx) // no channel yet: no connection
	go s.count()
	go s.listen()
	return s, nil
}

// Close stops counting failures and the subscription, and returns at
// once: failures still queued are not counted, and a call to Redis in
// progress ends when its context's cancellation or deadline is seen
// (with the client's ContextTimeoutEnabled) or at the client's read
// timeout. It does not close the client. Afterwards Throttled answers from
// the verdicts held, and Failed does nothing.

func (s *ThrottleStore) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.cancel()
		close(s.stop)
		// PubSub.Close waits for a connection attempt in progress, which
		// a silent Redis holds up to the client's read timeout.
		go func() { _ = s.ps.Close() }()
	})
	return nil
}

// Throttled implements [throttle.Store] from the local verdicts only.
func (s *ThrottleStore) Throttled(key string, now time.Time) (time.Duration, bool) {
	if s == nil {
		return 0, false
	}
	until, ok := s.verdicts.Get(keyPart(key), now)
	if !ok {
		return 0, false
	}
	return until.Sub(now), true
}

// Failed implements [throttle.Store]: it queues the failure for counting
// in Redis and returns at once; when the queue is full, the failure is
// dropped (see [ThrottleStore.Dropped]). now is not used: Redis counts by
// its own clock, the same for every instance.
func (s *ThrottleStore) Failed(_ context.Context, key string, _ time.Time, limit throttle.Limit) {
	if s == nil || s.closed.Load() || limit.Failures < 1 || limit.Window <= 0 {
		return
	}
	select {
	case s.queue <- pendingFailure{key: keyPart(key), limit: limit}:
	default:
		n := s.dropped.Add(1)
		s.report("failed authentications dropped: the queue to Redis is full", slog.Uint64("dropped_total", n))
	}
}

// Dropped returns how many failures were not counted because the queue
// to Redis was full.
func (s *ThrottleStore) Dropped() uint64 {
	if s == nil {
		return 0
	}
	return s.dropped.Load()
}

// Subscribed reports whether the subscription to the verdicts of other
// instances is confirmed and has not failed since.
func (s *ThrottleStore) Subscribed() bool { return s != nil && s.subscribed.Load() }

func (s *ThrottleStore) channel() string { return s.prefix + "throttled" }

// rateKey is the key of a client's GCRA state, to which redis_rate adds
// its own prefix: rate:<prefix>throttle:<key part>.
func (s *ThrottleStore) rateKey(part string) string { return s.prefix + "throttle:" + part }

// keyPart is the form of a client key in Redis keys, messages and the
// local verdicts: the key itself when it is short and printable without
// spaces (an address, a prefix), otherwise "#" and a hash of it.
func keyPart(key string) string {
	if len(key) <= maxKeyPart {
		plain := true
		for i := 0; i < len(key); i++ {
			if c := key[i]; c <= ' ' || c > '~' || c == '#' {
				plain = false
				break
			}
		}
		if plain {
			return key
		}
	}
	return "#" + shortHash(key)
}

// count is the worker: it takes the queued failures in batches and
// counts each client's in one call.
func (s *ThrottleStore) count() {
	batch := make(map[pendingFailure]int)
	for {
		select {
		case f := <-s.queue:
			batch[f]++
		case <-s.stop:
			return
		}
	drain:
		for range throttleBatch - 1 {
			select {
			case f := <-s.queue:
				batch[f]++
			default:
				break drain
			}
		}
		for f, n := range batch {
			s.countOne(f, n)
			delete(batch, f)
		}
	}
}

// countOne counts n failures of one client in Redis and, when the client
// has less than one try left, records and publishes the verdict.
func (s *ThrottleStore) countOne(f pendingFailure, n int) {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	l := f.limit
	res, err := s.limiter.AllowAtMost(ctx, s.rateKey(f.key), redis_rate.Limit{Rate: l.Failures, Burst: l.Failures, Period: l.Window}, n)
	if err != nil {
		s.report("failed authentications not counted", slog.String("error", failure(ctx, s.where, s.timeout, err).Error()))
		return
	}
	// The bucket is full ResetAfter from now; it holds one try again
	// (Failures-1) tries' time before that.
	wait := res.ResetAfter - time.Duration(float64(l.Failures-1)*float64(l.Window)/float64(l.Failures))
	if wait <= 0 {
		return
	}
	until := s.now().Add(wait)
	s.verdicts.Put(f.key, until, until)
	msg := strconv.FormatInt(int64((wait+time.Millisecond-1)/time.Millisecond), 10) + " " + f.key
	if err := s.client.Publish(ctx, s.channel(), msg).Err(); err != nil {
		s.report("throttling verdict not published", slog.String("error", failure(ctx, s.where, s.timeout, err).Error()))
	}
}

// listen records the verdicts published by every instance ("<ms> <key
// part>"). Verdicts missed while the subscription is down are learned
// from the next failure counted here.
func (s *ThrottleStore) listen() {
	// Subscribing connects; on failure the channel is still recorded, and
	// Receive connects and subscribes again.
	_ = s.ps.Subscribe(s.ctx, s.channel())
	for {
		msg, err := s.ps.Receive(s.ctx)
		if err != nil {
			s.subscribed.Store(false)
			select {
			case <-s.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				s.subscribed.Store(true)
			}
		case *redis.Message:
			ms, part, ok := strings.Cut(m.Payload, " ")
			d, err := strconv.ParseInt(ms, 10, 64)
			if !ok || err != nil || d <= 0 || d > int64(24*time.Hour/time.Millisecond) || part == "" || len(part) > 1+maxKeyPart {
				continue
			}
			until := s.now().Add(time.Duration(d) * time.Millisecond)
			s.verdicts.Put(part, until, until)
		}
	}
}

// report logs a problem to slog.Default(), at most once a minute.
func (s *ThrottleStore) report(msg string, attrs ...slog.Attr) {
	now := time.Now().UnixNano()
	last := s.lastReport.Load()
	if now-last < int64(reportEvery) || !s.lastReport.CompareAndSwap(last, now) {
		return
	}
	slog.Default().LogAttrs(context.Background(), slog.LevelWarn, "redisstore: throttling: "+msg, attrs...)
}
