package throttle

import (
	"context"
	"fmt"
	"hash/maphash"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

var t0 = time.Unix(1_800_000_000, 0)

func TestAddrKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		cfg    Config
		addr   string
		want   string
		noAddr bool
	}{
		{name: "IPv4 on its own", addr: "192.0.2.7", want: "192.0.2.7"},
		{name: "IPv6 by /64", addr: "2001:db8:1:2:aaaa:bbbb:cccc:dddd", want: "2001:db8:1:2::/64"},
		{name: "another host of the /64 is the same client", addr: "2001:db8:1:2::1", want: "2001:db8:1:2::/64"},
		{name: "IPv4-mapped IPv6 is IPv4", addr: "::ffff:192.0.2.7", want: "192.0.2.7"},
		{name: "zone dropped", addr: "fe80::1%eth0", want: "fe80::/64"},
		{name: "IPv4 /24", cfg: Config{IPv4PrefixLen: 24}, addr: "192.0.2.7", want: "192.0.2.0/24"},
		{name: "IPv6 /48", cfg: Config{IPv6PrefixLen: 48}, addr: "2001:db8:1:2::1", want: "2001:db8:1::/48"},
		{name: "IPv6 /128", cfg: Config{IPv6PrefixLen: 128}, addr: "2001:db8::1", want: "2001:db8::1"},
		{name: "negative length is the default", cfg: Config{IPv4PrefixLen: -1}, addr: "192.0.2.7", want: "192.0.2.7"},
		{name: "no address (Unix socket)", noAddr: true, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a netip.Addr
			if !tc.noAddr {
				a = netip.MustParseAddr(tc.addr)
			}
			if got := tc.cfg.AddrKey(a); got != tc.want {
				t.Fatalf("AddrKey(%v) = %q, want %q", a, got, tc.want)
			}
		})
	}
}

// TestMemoryStoreBucket: a client may fail Failures times, then is
// throttled until one try has come back (Window/Failures), and is
// forgotten one Window after its last failure.
func TestMemoryStoreBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		limit Limit
		fails int
		after time.Duration // when Throttled is asked, after the last failure
		want  bool
		retry time.Duration
	}{
		{name: "below the limit", limit: Limit{3, time.Minute}, fails: 2, want: false},
		{name: "at the limit", limit: Limit{3, time.Minute}, fails: 3, want: true, retry: 20 * time.Second},
		{name: "past the limit (failures in flight)", limit: Limit{3, time.Minute}, fails: 5, want: true, retry: 20 * time.Second},
		{name: "part of a try back", limit: Limit{3, time.Minute}, fails: 3, after: 15 * time.Second, want: true, retry: 5 * time.Second},
		{name: "one try back", limit: Limit{3, time.Minute}, fails: 3, after: 20 * time.Second, want: false},
		{name: "default limit, 100th failure", limit: Limit{DefaultFailures, DefaultWindow}, fails: 100, want: true, retry: 600 * time.Millisecond},
		{name: "default limit, 99 failures", limit: Limit{DefaultFailures, DefaultWindow}, fails: 99, want: false},
		{name: "one failure a day", limit: Limit{1, 24 * time.Hour}, fails: 1, after: time.Hour, want: true, retry: 23 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemoryStore(0, 0)
			for range tc.fails {
				s.Failed(ctx, "client", t0, tc.limit)
			}
			retry, got := s.Throttled("client", t0.Add(tc.after))
			if got != tc.want || retry != tc.retry {
				t.Fatalf("Throttled = %s, %v; want %s, %v", retry, got, tc.retry, tc.want)
			}
			if _, other := s.Throttled("other client", t0); other {
				t.Fatal("another client is throttled")
			}
		})
	}
}

// TestMemoryStoreForgets: one Window after its last failure an offender
// leaves the table (its bucket is full again), and comes back after
// Failures new failures.
func TestMemoryStoreForgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lim := Limit{2, time.Minute}
	s := NewMemoryStore(0, 0)
	s.Failed(ctx, "a", t0, lim)
	s.Failed(ctx, "a", t0, lim)
	if _, off := s.Len(); off != 1 {
		t.Fatalf("%d offenders, want 1", off)
	}
	later := t0.Add(time.Minute)
	s.Failed(ctx, "b", later, lim) // any failure in the shard expires; b may be elsewhere
	for i := range 64 {
		s.Failed(ctx, fmt.Sprint("sweep", i), later, lim)
	}
	if _, off := s.Len(); off != 0 {
		t.Fatalf("%d offenders one window after the last failure, want 0", off)
	}
	if _, throttled := s.Throttled("a", later); throttled {
		t.Fatal("still throttled one window after the last failure")
	}
	s.Failed(ctx, "a", later, lim)
	if _, throttled := s.Throttled("a", later); throttled {
		t.Fatal("throttled after one failure with a full bucket")
	}
	s.Failed(ctx, "a", later, lim)
	if _, throttled := s.Throttled("a", later); !throttled {
		t.Fatal("not throttled after Failures new failures")
	}
}

// TestMemoryStoreOffenderEviction: a full offender table makes room by
// evicting the offender whose last failure is the oldest — asking
// Throttled about it does not protect it, failing again does.
func TestMemoryStoreOffenderEviction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lim := Limit{1, time.Hour}
	s := NewMemoryStore(16, 16) // one offender slot per shard
	// Find three keys in one shard.
	var keys []string
	shard := -1
	for i := 0; len(keys) < 3; i++ {
		k := fmt.Sprint("client-", i)
		if sh := s.shardOf(k); shard < 0 || sh == shard {
			shard = sh
			keys = append(keys, k)
		}
	}
	a, b, c := keys[0], keys[1], keys[2]
	s.Failed(ctx, a, t0, lim)
	if _, ok := s.Throttled(a, t0.Add(time.Second)); !ok {
		t.Fatal("a is not throttled")
	}
	// Reading a, again and again, does not make it newer.
	s.Failed(ctx, b, t0.Add(2*time.Second), lim) // evicts a: one slot
	for range 10 {
		s.Throttled(b, t0.Add(3*time.Second))
	}
	if _, ok := s.Throttled(a, t0.Add(3*time.Second)); ok {
		t.Fatal("a survived a newer offender in a one-slot table")
	}
	// c offends after b: b, the older offence, goes.
	s.Failed(ctx, c, t0.Add(4*time.Second), lim)
	if _, ok := s.Throttled(b, t0.Add(5*time.Second)); ok {
		t.Fatal("b (older offence) survived c")
	}
	if _, ok := s.Throttled(c, t0.Add(5*time.Second)); !ok {
		t.Fatal("c (newest offence) was evicted")
	}
}

// TestMemoryStoreNewcomerClock: when the newcomer table is full, a
// newcomer that failed again since the hand passed gets a second chance;
// one that failed once is taken first.
func TestMemoryStoreNewcomerClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lim := Limit{10, time.Hour}
	s := NewMemoryStore(16*4, 16) // four newcomer slots per shard
	var keys []string
	shard := -1
	for i := 0; len(keys) < 6; i++ {
		k := fmt.Sprint("client-", i)
		if sh := s.shardOf(k); shard < 0 || sh == shard {
			shard = sh
			keys = append(keys, k)
		}
	}
	for _, k := range keys[:4] {
		s.Failed(ctx, k, t0, lim)
	}
	s.Failed(ctx, keys[0], t0, lim) // keys[0] failed again: referenced
	s.Failed(ctx, keys[4], t0, lim) // the table is full: keys[1] goes, keys[0] survives
	sh := &s.shards[shard]
	if _, ok := sh.idx[s.hash(keys[0])]; !ok {
		t.Fatal("the newcomer that failed twice was evicted first")
	}
	if _, ok := sh.idx[s.hash(keys[1])]; ok {
		t.Fatal("keys[1] (one failure, unreferenced) was not evicted")
	}
	s.Failed(ctx, keys[5], t0, lim)
	if n := len(sh.idx); n != 4 {
		t.Fatalf("shard holds %d newcomers, want its 4 slots", n)
	}
}

// Memory bound of a MemoryStore (64-bit): bytes per slot, stated in the
// MemoryStore documentation (measured: about 140 and 162).
const (
	newcomerBytes = 150
	offenderBytes = 180
	// defaultBound is the bound with the default sizes: 12,779,520 bytes.
	defaultBound = DefaultNewcomers*newcomerBytes + DefaultOffenders*offenderBytes
)

// TestMemoryStoreBound is the acceptance test of the eviction policy: an
// offender stays throttled while 1,000,000 distinct client keys fail
// through the store, and each table's memory stays within its stated
// bound, measured as the growth of the live heap: the newcomer table under
// that flood, the offender table under a flood of distinct offenders.
func TestMemoryStoreBound(t *testing.T) {
	if testing.Short() {
		t.Skip("a million keys")
	}
	ctx := context.Background()
	lim := Limit{DefaultFailures, DefaultWindow}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := NewMemoryStore(0, 0)
	const offender = "203.0.113.66"
	for range DefaultFailures {
		s.Failed(ctx, offender, t0, lim)
	}
	n := floodKeys
	// Half of the flood fails once, half up to 8 times (never over the
	// limit: all stay newcomers); all within 500 ms, before the offender
	// earns a try back (one every 600 ms), so that it must be throttled
	// throughout unless its record is lost.
	span := 500 * time.Millisecond
	for i := range n {
		now := t0.Add(time.Duration(i) * span / time.Duration(n))
		key := fmt.Sprint("198.18.", i>>16, ".", i&0xffff)
		s.Failed(ctx, key, now, lim)
		if i%2 == 1 {
			for range i % 8 {
				s.Failed(ctx, key, now, lim)
			}
		}
		if i%50_000 == 0 {
			if _, ok := s.Throttled(offender, now); !ok {
				t.Fatalf("the offender is not throttled after %d flood keys", i)
			}
		}
	}
	if _, ok := s.Throttled(offender, t0.Add(span)); !ok {
		t.Fatal("the offender is not throttled after the flood")
	}
	newcomers, offenders := s.Len()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if newcomers != DefaultNewcomers || offenders != 1 {
		t.Fatalf("%d newcomers (want the table's %d), %d offenders (want 1)", newcomers, DefaultNewcomers, offenders)
	}
	perNewcomer := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(newcomers)
	runtime.KeepAlive(s)

	// The offender table, filled by more distinct offenders than it holds
	// (a limit of 1: every failing client is an offender at once).
	runtime.GC()
	runtime.ReadMemStats(&before)
	s = NewMemoryStore(16, 0)
	for i := range n / 5 {
		s.Failed(ctx, fmt.Sprint("198.19.", i>>16, ".", i&0xffff), t0.Add(time.Duration(i)), Limit{1, time.Hour})
	}
	_, offenders = s.Len()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if offenders != DefaultOffenders {
		t.Fatalf("%d offenders, want the table's %d", offenders, DefaultOffenders)
	}
	perOffender := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(offenders)
	runtime.KeepAlive(s)

	t.Logf("%d keys flooded: %.0f bytes per newcomer slot (bound %d), %.0f per offender slot (bound %d); default bound %d bytes",
		n, perNewcomer, newcomerBytes, perOffender, offenderBytes, defaultBound)
	if perNewcomer > newcomerBytes || perOffender > offenderBytes {
		t.Fatalf("over the stated bound: %.0f bytes per newcomer (at most %d), %.0f per offender (at most %d)",
			perNewcomer, newcomerBytes, perOffender, offenderBytes)
	}
}

// TestMemoryStoreOffenderFlood: offenders compete only with offenders.
// When more clients than the offender table holds go over the limit, the
// table stays at its size and the newest offences are the ones kept.
func TestMemoryStoreOffenderFlood(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lim := Limit{1, time.Hour}
	s := NewMemoryStore(1024, 1024)
	for i := range 10_000 {
		s.Failed(ctx, fmt.Sprint("o", i), t0.Add(time.Duration(i)*time.Millisecond), lim)
	}
	if _, off := s.Len(); off != 1024 {
		t.Fatalf("%d offenders held, want the table's 1024", off)
	}
	now := t0.Add(20 * time.Second)
	if _, ok := s.Throttled("o9999", now); !ok {
		t.Fatal("the newest offender was evicted")
	}
	if _, ok := s.Throttled("o0", now); ok {
		t.Fatal("the oldest offender survived 9,999 newer ones")
	}
}

// TestMemoryStoreConcurrent runs readers and writers together (for -race).
func TestMemoryStoreConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lim := Limit{3, time.Minute}
	s := NewMemoryStore(64, 32)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				key := fmt.Sprint("c", (g*7+i)%300)
				now := t0.Add(time.Duration(i) * time.Millisecond)
				s.Failed(ctx, key, now, lim)
				s.Throttled(key, now)
			}
		})
	}
	wg.Wait()
	n, o := s.Len()
	if n > 64 || o > 32 {
		t.Fatalf("%d newcomers, %d offenders: over the sizes", n, o)
	}
}

// TestMemoryStoreSharedLimits: a store shared by verifiers with different
// limits applies each failure's own limit to the bucket: tries above the
// new limit are cut.
func TestMemoryStoreSharedLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewMemoryStore(0, 0)
	s.Failed(ctx, "k", t0, Limit{10, time.Minute})
	s.Failed(ctx, "k", t0, Limit{2, time.Minute}) // 9 tries left, cut to 2, one used
	if _, ok := s.Throttled("k", t0); ok {
		t.Fatal("throttled with one try left")
	}
	s.Failed(ctx, "k", t0, Limit{2, time.Minute})
	if _, ok := s.Throttled("k", t0); !ok {
		t.Fatal("two failures under a limit of 2 are not throttled")
	}
}

func TestMemoryStoreNil(t *testing.T) {
	t.Parallel()
	var s *MemoryStore
	s.Failed(context.Background(), "k", t0, Limit{1, time.Minute})
	if _, ok := s.Throttled("k", t0); ok {
		t.Fatal("a nil store throttles")
	}
	NewMemoryStore(0, 0).Failed(context.Background(), "k", t0, Limit{}) // an invalid limit counts nothing
}

func (s *MemoryStore) hash(key string) uint64 { return maphash.String(s.seed, key) }

func (s *MemoryStore) shardOf(key string) int { return int(s.hash(key) % shards) }
