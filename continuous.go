package jwtguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/jwtguard/jwtguard/internal/revoke"
)

// The optional capabilities of a revocation store that feed the verifier
// (see [RevocationStore]); New detects them as it detects Grace and Skew.
type (
	keyLister interface {
		RevokedKeys(ctx context.Context, fn func(issuer, key string, until time.Time)) error
	}
	eventSource interface {
		Subscribe(fn func(kind, issuer, value string, until time.Time)) (stop func())
	}
)

// continuous is what a verifier keeps of its store's events: the revoked
// keys (loaded, then kept current by the events), the wake-up of watched
// requests, and the refreshes the events ask for.
type continuous struct {
	v      *Verifier
	lister keyLister // nil: the store keeps no key revocations
	stop   func()    // ends the subscription; nil without one

	keys     atomic.Pointer[revokedKeys] // nil: none ever
	loaded   atomic.Bool                 // the first load succeeded (or there is nothing to load)
	loadedCh chan struct{}               // closed when loaded becomes true
	tried    chan struct{}               // closed when the first load attempt ends
	reload   chan struct{}               // asks the loader for another load (buffered, 1)
	wake     atomic.Pointer[chan struct{}]

	mu         sync.Mutex
	lastErr    error          // of the last failed load
	refreshing map[string]int // issuer → 1 running, 2 running and asked again

	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the loader and refreshes
}

// revokedKeys is an immutable set of key revocations: until in Unix nanos
// (math.MaxInt64: no end), by the canonical issuer and the key's RFC 7638
// thumbprint, or by the kid its issuer's key set publishes it with.
type revokedKeys struct {
	byTP  map[tpKey]int64
	byKid map[kidKey]int64
}

type (
	tpKey struct {
		issuer string
		tp     [32]byte
	}
	kidKey struct{ issuer, kid string }
)

// subscribe connects the verifier to its store's events and starts loading
// the revoked keys, when the store offers either; else it returns nil.
func (v *Verifier) subscribe(store RevocationStore) *continuous {
	if store == nil {
		return nil
	}
	src, subscribes := store.(eventSource)
	lister, lists := store.(keyLister)
	if !subscribes && !lists {
		return nil
	}
	cs := &continuous{v: v, loadedCh: make(chan struct{}), tried: make(chan struct{}), reload: make(chan struct{}, 1), refreshing: map[string]int{}}
	cs.ctx, cs.cancel = context.WithCancel(context.Background())
	ch := make(chan struct{})
	cs.wake.Store(&ch)
	if lists {
		cs.lister = lister
	} else {
		cs.loaded.Store(true)
		close(cs.loadedCh)
		close(cs.tried)
	}
	if subscribes {
		cs.stop = src.Subscribe(cs.event)
	}
	if lists {
		cs.wg.Add(1)
		go cs.loop()
	}
	return cs
}

// close ends the subscription, the loader and the refreshes.
func (cs *continuous) close() {
	if cs == nil {
		return
	}
	if cs.stop != nil {
		cs.stop()
	}
	// Under mu: a refresh started by an event still being delivered
	// either registers with wg first or sees the cancellation.
	cs.mu.Lock()
	cs.cancel()
	cs.mu.Unlock()
	cs.wg.Wait()
}

// event handles one of the store's events (it must not block).
func (cs *continuous) event(kind, issuer, value string, until time.Time) {
	switch kind {
	case revoke.KindKey:
		cs.addKey(issuer, value, until)
	case revoke.KindRefresh:
		cs.refresh(issuer)
	case revoke.KindResync:
		select {
		case cs.reload <- struct{}{}:
		default:
		}
	}
	cs.wakeAll()
}

// wakeAll makes every watched request re-check its token now.
func (cs *continuous) wakeAll() {
	ch := make(chan struct{})
	close(*cs.wake.Swap(&ch))
}

// loop loads the revoked keys, retrying after failures (250 ms, doubling,
// at most 5 s), and again whenever the store asks (resync).
func (cs *continuous) loop() {
	defer cs.wg.Done()
	first := true
	backoff := 250 * time.Millisecond
	for {
		err := cs.load()
		if first {
			first = false
			close(cs.tried)
		}
		var wait <-chan time.Time
		if err != nil {
			cs.v.opLog.Warn("jwtguard: the revocation store's revoked keys could not be loaded", slog.String("error", err.Error()))
			t := time.NewTimer(backoff)
			wait = t.C
			backoff = min(2*backoff, 5*time.Second)
		} else {
			backoff = 250 * time.Millisecond
		}
		select {
		case <-cs.ctx.Done():
			return
		case <-cs.reload:
		case <-wait:
		}
	}
}

// load merges the store's key revocations into the set.
func (cs *continuous) load() error {
	ctx, cancel := context.WithTimeout(cs.ctx, 10*time.Second)
	defer cancel()
	type rk struct {
		issuer, key string
		until       time.Time
	}
	var list []rk
	err := cs.lister.RevokedKeys(ctx, func(issuer, key string, until time.Time) {
		list = append(list, rk{issuer, key, until})
	})
	if err != nil {
		cs.mu.Lock()
		cs.lastErr = err
		cs.mu.Unlock()
		return err
	}
	for _, r := range list {
		cs.addKey(r.issuer, r.key, r.until)
	}
	if !cs.loaded.Load() {
		cs.loaded.Store(true)
		close(cs.loadedCh)
	}
	return nil
}

// addKey records a key revocation (never shortening one already held),
// dropping those that expired.
func (cs *continuous) addKey(issuer, key string, until time.Time) {
	tp, kid, err := revoke.ParseKeyName(key)
	if err != nil {
		cs.v.opLog.Warn("jwtguard: ignoring a key revocation with an invalid key name", slog.String("issuer", jose.Truncate(issuer)), slog.String("error", err.Error()))
		return
	}
	u := int64(math.MaxInt64)
	if !until.IsZero() {
		u = until.UnixNano()
	}
	now := cs.v.now().UnixNano()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	next := &revokedKeys{byTP: map[tpKey]int64{}, byKid: map[kidKey]int64{}}
	if old := cs.keys.Load(); old != nil {
		for k, x := range old.byTP {
			if x > now {
				next.byTP[k] = x
			}
		}
		for k, x := range old.byKid {
			if x > now {
				next.byKid[k] = x
			}
		}
	}
	if kid != "" {
		k := kidKey{issuer, kid}
		next.byKid[k] = max(next.byKid[k], u)
	} else {
		k := tpKey{issuer, tp}
		next.byTP[k] = max(next.byTP[k], u)
	}
	cs.keys.Store(next)
}

// waitLoaded waits for the first load of the revoked keys: until it
// succeeds, the first attempt fails, or ctx ends.
func (cs *continuous) waitLoaded(ctx context.Context) error {
	select {
	case <-cs.loadedCh:
		return nil
	case <-cs.tried:
	case <-ctx.Done():
		return ctx.Err()
	}
	if cs.loaded.Load() {
		return nil
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.lastErr == nil {
		return errors.New("not loaded yet")
	}
	return cs.lastErr
}

// checkKey refuses a token verified with a revoked key. It inlines to a
// test without key revocation, and costs one atomic load more while no key
// is revoked.
func (v *Verifier) checkKey(ctx context.Context, c *Claims, now time.Time) error {
	if cs := v.continuous; cs == nil || cs.lister == nil {
		return nil
	}
	return v.checkRevokedKey(ctx, c, now)
}

// checkRevokedKey is checkKey once key revocation is configured.
func (v *Verifier) checkRevokedKey(ctx context.Context, c *Claims, now time.Time) error {
	cs := v.continuous
	if !cs.loaded.Load() {
		if err := cs.waitLoaded(ctx); err != nil {
			if v.revokeOpen {
				v.opLog.Warn("jwtguard: revoked keys not loaded; accepting token (fail-open)", slog.String("error", err.Error()))
				return nil
			}
			return newError(fmt.Errorf("%w: the revoked keys could not be loaded: %v", ErrRevocationUnavailable, err), "")
		}
	}
	rk := cs.keys.Load()
	if rk == nil || c.ent == nil || c.ent.key == nil || len(rk.byTP)+len(rk.byKid) == 0 {
		return nil
	}
	k, iss, t := c.ent.key, c.Entry(), now.UnixNano()
	if u, ok := rk.byTP[tpKey{iss, k.Thumbprint()}]; ok && t < u {
		return keyRevoked(iss, k, "its RFC 7638 thumbprint")
	}
	if k.Kid != "" {
		if u, ok := rk.byKid[kidKey{iss, k.Kid}]; ok && t < u {
			return keyRevoked(iss, k, "its kid")
		}
	}
	return nil
}

func keyRevoked(iss string, k *jose.Key, by string) *Error {
	e := newError(ErrTokenRevoked, "")
	e.Detail = fmt.Sprintf("the key that verified it (thumbprint %s, kid %s) is revoked for %s by %s (RevokeKey)", k.ThumbprintString(), shown(k.Kid), shown(iss), by)
	return e
}

// refresh fetches issuer's keys now, in the background: at most one
// refresh per issuer runs, and a request that arrives while it runs makes
// it run once more (the provider may have withdrawn a key since it
// started).
func (cs *continuous) refresh(issuer string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.ctx.Err() != nil {
		return
	}
	if n := cs.refreshing[issuer]; n > 0 {
		cs.refreshing[issuer] = 2
		return
	}
	cs.refreshing[issuer] = 1
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		for {
			cs.refreshOnce(issuer)
			cs.mu.Lock()
			if cs.refreshing[issuer] == 2 && cs.ctx.Err() == nil {
				cs.refreshing[issuer] = 1
				cs.mu.Unlock()
				continue
			}
			delete(cs.refreshing, issuer)
			cs.mu.Unlock()
			return
		}
	}()
}

// refreshOnce refreshes the key sources of issuer's entries and logs the
// outcome. Cache hits of tokens whose key set changed verify again (the
// cache compares key sets), so a token signed with a key no longer
// published is refused from then on.
func (cs *continuous) refreshOnce(issuer string) {
	v := cs.v
	srcs := v.trust.sourcesFor(issuer)
	if len(srcs) == 0 {
		v.opLog.Debug("jwtguard: key refresh requested for an issuer this verifier does not trust", slog.String("issuer", jose.Truncate(issuer)))
		return
	}
	for _, src := range srcs {
		ctx, cancel := context.WithTimeout(cs.ctx, defaultFetchTimeout+time.Second)
		err := src.refreshNow(ctx)
		cancel()
		if err != nil {
			v.opLog.Warn("jwtguard: key refresh on request failed; keeping the last good key set", slog.String("issuer", jose.Truncate(issuer)), slog.String("error", err.Error()))
			continue
		}
		v.opLog.Info("jwtguard: keys refreshed on request", slog.String("issuer", jose.Truncate(issuer)), slog.String("keys", src.describe(v.now())))
	}
	cs.wakeAll() // watched requests check that their key is still published
}

// sourcesFor returns the key sources of the entries whose canonical issuer
// (or one of whose issuers) is issuer.
func (t *trustTable) sourcesFor(issuer string) []keySource {
	var out []keySource
	add := func(e *entry) {
		if e != nil && e.src != nil && !slices.Contains(out, e.src) {
			out = append(out, e.src)
		}
	}
	if t.any != nil && (t.any.id == issuer || t.any.name.name == issuer) {
		add(t.any)
	}
	add(t.byID[issuer])
	for _, e := range t.static {
		if e.name.name == issuer {
			add(e)
		}
		for _, n := range e.names {
			if n.name == issuer {
				add(e)
			}
		}
	}
	if t.resolver != nil {
		add(t.resolver.entryNamed(issuer))
	}
	return out
}

// entryNamed returns the resolved entry of issuer (its ID or an alias), or
// nil.
func (r *resolverTable) entryNamed(issuer string) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[issuer]; ok {
		return e
	}
	return r.byIss[issuer]
}

// watchInterval is how often [Verifier.Watch] re-checks a token without an
// event from the store.
const watchInterval = time.Second

// Watch returns a context derived from ctx that ends, with an *[Error] as
// its [context.Cause], when the token whose claims are c stops being
// acceptable: at its exp (plus the leeway; [ErrTokenExpired]), or when it
// is revoked — its jti, subject, session or issuer in the revocation
// store, or the key that verified it ([ErrTokenRevoked]); when that key is
// no longer published by its issuer after a key refresh
// ([ErrKeyNotFound]); or when the store cannot answer ([ErrRevocationUnavailable],
// fail-closed unless [WithInsecureRevocationFailOpen]). It is for
// requests that outlive their check: server-sent events, WebSocket
// upgrades, long polls, streams. Pass the request's context and the
// claims the middleware put there:
//
//	c, _ := jwtguard.FromContext(r.Context())
//	ctx := v.Watch(r.Context(), c)
//	for {
//		select {
//		case <-ctx.Done():
//			// context.Cause(ctx) says why; a client error (r's context)
//			// is not an *jwtguard.Error.
//			return
//		case ev := <-events:
//			...
//		}
//	}
//
// How soon: a store that sends events (the memory store in one process,
// the Redis store across instances) wakes every watch at once, so a
// logout or key revocation ends a stream as soon as its event arrives
// (measured with Redis: see the README) plus one revocation check; without
// events, the token is re-checked every second, so within one second plus
// the store's answer time. Expiry ends it at exp plus the leeway (on the
// verifier's clock, checked every second). Each watch is one goroutine and
// one revocation check per second (a memory lookup; one Redis round trip
// without the Redis store's local cache, which many streams should use),
// and ends with ctx. Claims not made by this verifier (no key known) are
// watched for expiry and store revocations only.
func (v *Verifier) Watch(ctx context.Context, c *Claims) context.Context {
	wctx, cancel := context.WithCancelCause(ctx)
	if c == nil {
		cancel(newError(fmt.Errorf("%w: Watch without claims", ErrNoToken), ""))
		return wctx
	}
	go v.watch(wctx, cancel, c)
	return wctx
}

// watch re-checks c until ctx ends or c is no longer acceptable.
func (v *Verifier) watch(ctx context.Context, cancel context.CancelCauseFunc, c *Claims) {
	var lastKS *jose.KeySet
	if c.ent != nil && c.ent.src != nil {
		lastKS, _ = c.ent.src.current(v.now())
	}
	expires := time.NewTimer(max(c.ExpiresAt.Add(v.leeway).Sub(v.now()), 0))
	defer expires.Stop()
	tick := time.NewTicker(watchInterval)
	defer tick.Stop()
	for {
		var wake <-chan struct{}
		if cs := v.continuous; cs != nil {
			wake = *cs.wake.Load()
		}
		if err := v.recheck(ctx, c, &lastKS); err != nil {
			if ctx.Err() == nil {
				cancel(v.reject(ctx, err, c, ""))
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-expires.C:
			expires.Reset(max(c.ExpiresAt.Add(v.leeway).Sub(v.now()), watchInterval))
		case <-tick.C:
		case <-wake:
		}
	}
}

// recheck is Watch's check of c: expiry, the key that verified it (revoked,
// or no longer published), the revocation store.
func (v *Verifier) recheck(ctx context.Context, c *Claims, lastKS **jose.KeySet) error {
	now := v.now()
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return timeError(ErrTokenExpired, "exp", c.ExpiresAt, now, v.leeway, "ago")
	}
	if err := v.checkKey(ctx, c, now); err != nil {
		return err
	}
	if c.ent != nil && c.ent.src != nil && c.ent.key != nil {
		if ks, err := c.ent.src.current(now); err == nil && ks != *lastKS {
			*lastKS = ks
			if !publishes(ks, c.ent.key) {
				return unverified(ErrKeyNotFound, fmt.Sprintf("the key that verified the watched token (thumbprint %s, kid %s) is no longer published by %s", c.ent.key.ThumbprintString(), shown(c.ent.key.Kid), shown(c.Entry())))
			}
		}
	}
	return v.checkRevocation(ctx, c)
}

// publishes reports whether ks holds k (the same key material and kid).
func publishes(ks *jose.KeySet, k *jose.Key) bool {
	for _, x := range ks.Keys() {
		if x == k || (x.Kid == k.Kid && x.Thumbprint() == k.Thumbprint()) {
			return true
		}
	}
	return false
}
