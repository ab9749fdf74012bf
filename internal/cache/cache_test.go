package cache

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGetPutExpiry(t *testing.T) {
	m := New[int](100, 0)
	now := time.Unix(1000, 0)
	m.Put("a", 1, now.Add(time.Minute))
	tests := []struct {
		name string
		key  string
		at   time.Time
		want int
		ok   bool
	}{
		{"fresh", "a", now, 1, true},
		{"just before expiry", "a", now.Add(time.Minute - time.Nanosecond), 1, true},
		{"at expiry", "a", now.Add(time.Minute), 0, false},
		{"removed once expired", "a", now, 0, false},
		{"absent", "b", now, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := m.Get(tt.key, tt.at)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Get(%q) = %d, %v; want %d, %v", tt.key, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestFarTimes: expiries and clocks beyond UnixNano's range (years 1678 to
// 2262) never give a hit after the expiry — a token valid until year 9999,
// a test clock at year 1 or 3000. Both beyond 2262, an entry is missed (the
// token is verified again), never wrongly kept.
func TestFarTimes(t *testing.T) {
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name      string
		until, at time.Time
		ok        bool
	}{
		{"far expiry, today", far, time.Unix(1_800_000_000, 0), true},
		{"far expiry, year 3000: a miss", far, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"far expiry, at it", far, far, false},
		{"year-1 clock", time.Unix(1000, 0), time.Time{}, true},
		{"year-3000 clock", time.Unix(1000, 0), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"expiry before 1678", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New[int](16, 0)
			m.Put("k", 1, tt.until)
			if got := m.Peek("k", tt.at); got != tt.ok {
				t.Fatalf("Peek = %v, want %v", got, tt.ok)
			}
			if _, got := m.Get("k", tt.at); got != tt.ok {
				t.Fatalf("Get = %v, want %v", got, tt.ok)
			}
		})
	}
}

func TestBoundedUnderFlood(t *testing.T) {
	for _, tail := range []int{0, 16} {
		m := New[int](1000, tail)
		until := time.Now().Add(time.Hour)
		for i := range 100_000 {
			m.Put(fmt.Sprintf("key-%d-%s", i, strings.Repeat("x", i%7)), i, until)
		}
		if n := m.Len(); n > m.Cap() || m.Cap() != 1008 {
			t.Fatalf("tail %d: Len = %d, Cap = %d; want Len <= Cap = 1008", tail, n, m.Cap())
		}
	}
}

func TestDeleteIfAndClear(t *testing.T) {
	m := New[string](16, 0)
	until := time.Now().Add(time.Hour)
	m.Put("k", "old", until)
	m.DeleteIf("k", func(v string) bool { return v == "new" })
	if _, ok := m.Get("k", time.Now()); !ok {
		t.Fatal("DeleteIf removed an entry whose value did not match")
	}
	m.DeleteIf("k", func(v string) bool { return v == "old" })
	if _, ok := m.Get("k", time.Now()); ok {
		t.Fatal("DeleteIf kept a matching entry")
	}
	m.Put("a", "1", until)
	m.Put("b", "2", until)
	m.Clear()
	if m.Len() != 0 {
		t.Fatalf("Len after Clear = %d", m.Len())
	}
}

func TestKeyIsCloned(t *testing.T) {
	m := New[int](16, 0)
	big := strings.Repeat("c", 1<<16) + "token"
	m.Put(big[len(big)-5:], 1, time.Now().Add(time.Hour))
	for i := range m.shards {
		for k := range m.shards[i].m {
			if len(k) != 5 {
				t.Fatalf("stored key length %d", len(k))
			}
		}
	}
}

func TestConcurrent(t *testing.T) {
	m := New[int](64, 0)
	var wg sync.WaitGroup
	until := time.Now().Add(time.Hour)
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				k := fmt.Sprint(g, i%100)
				m.Put(k, i, until)
				m.Get(k, time.Now())
				if i%10 == 0 {
					m.DeleteIf(k, nil)
				}
			}
		})
	}
	wg.Wait()
	if m.Len() > m.Cap() {
		t.Fatalf("Len %d > Cap %d", m.Len(), m.Cap())
	}
}
