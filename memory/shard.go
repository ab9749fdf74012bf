package memory

import (
	"container/heap"
	"sync"
	"sync/atomic"
)

// shard is one lock's share of the jti or subject entries.
type shard struct {
	mu sync.RWMutex
	// m maps a jti to its entry's expiry, or a subject to its "before" time
	// in value and the entry's expiry in until.
	m map[key]entry
	h expiryHeap
}

type entry struct {
	value int64 // subject entries: revoked-before, unix nanos
	until int64 // entry expiry, unix nanos
}

func (sh *shard) get(k key) (entry, bool) {
	sh.mu.RLock()
	e, ok := sh.m[k]
	sh.mu.RUnlock()
	return e, ok
}

// purge drops entries that expired by now.
func (sh *shard) purge(now int64, count *atomic.Int64) {
	sh.mu.Lock()
	sh.purgeLocked(now, count)
	sh.mu.Unlock()
}

func (sh *shard) purgeLocked(now int64, count *atomic.Int64) {
	for len(sh.h) > 0 && sh.h[0].until <= now {
		x := heap.Pop(&sh.h).(expiryItem)
		if cur, ok := sh.m[x.key]; ok && cur.until == x.until {
			delete(sh.m, x.key)
			count.Add(-1)
		}
	}
}

// put records e under k, keeping the later expiry and the later "before"
// of an existing entry, after purging this shard's expired entries (so the
// heap work is amortised over writes; reads never lock for writing). It
// reports false when a new entry would exceed limit.
func (sh *shard) put(k key, e entry, now int64, count *atomic.Int64, limit int64) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.purgeLocked(now, count)
	old, exists := sh.m[k]
	if exists {
		if old.value > e.value {
			e.value = old.value
		}
		if old.until >= e.until {
			sh.m[k] = entry{value: e.value, until: old.until}
			return true
		}
	} else if count.Add(1) > limit {
		count.Add(-1)
		return false
	}
	sh.m[k] = e
	heap.Push(&sh.h, expiryItem{key: k, until: e.until})
	if len(sh.h) > 2*len(sh.m)+64 {
		// Too many stale items (entries extended again and again):
		// rebuild the heap from the live entries.
		sh.h = sh.h[:0]
		for k, v := range sh.m {
			sh.h = append(sh.h, expiryItem{key: k, until: v.until})
		}
		heap.Init(&sh.h)
	}
	return true
}

type expiryItem struct {
	key   key
	until int64
}

// expiryHeap is a min-heap of entry expiries. An item whose entry was since
// extended is stale and skipped when popped (the extension pushed a new
// item); put rebuilds the heap when stale items outnumber live ones.
type expiryHeap []expiryItem

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until < h[j].until }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryItem)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
