package revoke

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kinds of the events a store's Subscribe delivers (see
// jwtguard.RevocationStore): what changed.
const (
	KindToken   = "token"   // RevokeToken
	KindSubject = "subject" // RevokeSubject
	KindSession = "session" // RevokeSession
	KindIssuer  = "issuer"  // RevokeIssuer
	KindKey     = "key"     // RevokeKey: value is the key, until its until
	KindRefresh = "refresh" // RefreshKeys: fetch issuer's keys now
	KindResync  = "resync"  // events may have been missed: reload RevokedKeys
)

// KidPrefix starts a key name that names keys by their kid rather than by
// their thumbprint.
const KidPrefix = "kid:"

// maxKeyName bounds a key name: a thumbprint is 43 characters; a kid is
// seldom longer than 100.
const maxKeyName = 256

// CheckKeyName checks a RevokeKey key name: an RFC 7638 SHA-256
// thumbprint in unpadded base64url (43 characters), or KidPrefix and a
// non-empty kid.
func CheckKeyName(key string) error {
	_, _, err := ParseKeyName(key)
	return err
}

// ParseKeyName splits a key name into a thumbprint or a kid (one of the two
// is set).
func ParseKeyName(key string) (tp [32]byte, kid string, err error) {
	if len(key) > maxKeyName {
		return tp, "", fmt.Errorf("key name of %d bytes is too long (at most %d)", len(key), maxKeyName)
	}
	if rest, ok := strings.CutPrefix(key, KidPrefix); ok {
		if rest == "" {
			return tp, "", errors.New(`key name "kid:" names no kid`)
		}
		return tp, rest, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(key)
	if err != nil || len(b) != len(tp) {
		return tp, "", fmt.Errorf("key %q is neither an RFC 7638 SHA-256 thumbprint (43 base64url characters) nor kid:<kid>", truncate(key))
	}
	copy(tp[:], b)
	return tp, "", nil
}

// SessionUntil is when a session entry may go: until plus Grace, or, for
// the zero until, Lifetime from now plus Grace.
func (s *Settings) SessionUntil(until time.Time) time.Time {
	if until.IsZero() {
		until = s.Now().Add(s.Lifetime)
	}
	return until.Add(s.Grace)
}

// ParseScoped reads "<len(issuer)>:<issuer>:<value>" (see [Key]).
func ParseScoped(s string) (issuer, value string, ok bool) {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || colon > 7 {
		return "", "", false
	}
	n, err := strconv.Atoi(s[:colon])
	if err != nil || n < 0 || s[0] == '-' || s[0] == '+' || (s[0] == '0' && colon > 1) {
		return "", "", false
	}
	rest := s[colon+1:]
	if len(rest) < n+1 || rest[n] != ':' {
		return "", "", false
	}
	return rest[:n], rest[n+1:], true
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Subscriber receives a store's events (see the stores' Subscribe).
type Subscriber func(kind, issuer, value string, until time.Time)

// Subscribers is a store's set of subscribers. The zero value is ready;
// it is safe for concurrent use.
type Subscribers struct {
	mu  sync.Mutex
	fns map[uint64]Subscriber
	seq uint64
}

// Add subscribes fn and returns the function that unsubscribes it.
func (s *Subscribers) Add(fn Subscriber) (remove func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fns == nil {
		s.fns = map[uint64]Subscriber{}
	}
	s.seq++
	id := s.seq
	s.fns[id] = fn
	return func() {
		s.mu.Lock()
		delete(s.fns, id)
		s.mu.Unlock()
	}
}

// Notify calls every subscriber, outside the lock (a subscriber may
// unsubscribe).
func (s *Subscribers) Notify(kind, issuer, value string, until time.Time) {
	s.mu.Lock()
	fns := make([]Subscriber, 0, len(s.fns))
	for _, fn := range s.fns {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn(kind, issuer, value, until)
	}
}
