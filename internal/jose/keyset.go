package jose

// KeySet is an immutable, ready-to-use set of verification keys. A lookup
// by kid is one map read. A new content means a new KeySet, so callers may
// compare pointers to notice a change.
type KeySet struct {
	byKid map[string][]*Key
	all   []*Key
	// anyKid lets keys without a kid verify tokens whose kid no key
	// carries (static keys given in configuration).
	anyKid bool
	// kidless lists the keys without a kid, for anyKid.
	kidless []*Key
}

// MaxKeysTried bounds the signature attempts for one token: [KeySet.Candidates]
// returns at most this many keys.
const MaxKeysTried = 8

// NewKeySet indexes keys, which the set then owns. With anyKid, keys without
// a kid also match tokens whose kid no key carries (documented behaviour
// for static keys); remote sets pass false.
func NewKeySet(keys []*Key, anyKid bool) *KeySet {
	ks := &KeySet{byKid: make(map[string][]*Key, len(keys)), all: keys, anyKid: anyKid}
	for _, k := range keys {
		if k.Kid != "" {
			ks.byKid[k.Kid] = append(ks.byKid[k.Kid], k)
		} else {
			ks.kidless = append(ks.kidless, k)
		}
	}
	return ks
}

// Candidates appends to buf the keys that may verify a token with this kid
// and alg, at most [MaxKeysTried]. With a kid only keys with that kid are
// considered (with anyKid, the kid-less keys instead when no key has that
// kid); without one, every key whose type fits the algorithm. Pass a
// [MaxKeysTried]-sized stack array as buf to avoid allocating.
func (ks *KeySet) Candidates(kid string, a *Alg, buf []*Key) []*Key {
	list := ks.all
	if kid != "" {
		list = ks.byKid[kid]
		if len(list) == 0 && ks.anyKid {
			// No key carries this kid: kid-less static keys may verify it.
			list = ks.kidless
		}
	}
	n := 0
	for _, k := range list {
		if k.Fits(a) {
			buf = append(buf, k)
			if n++; n == MaxKeysTried {
				break
			}
		}
	}
	return buf
}

// HasKid reports whether any key carries kid.
func (ks *KeySet) HasKid(kid string) bool { _, ok := ks.byKid[kid]; return ok }

// Keys returns every key of the set, in order. The slice must not be
// modified.
func (ks *KeySet) Keys() []*Key { return ks.all }

// SameKeys reports whether a and b hold equal keys in the same order.
func SameKeys(a, b []*Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
