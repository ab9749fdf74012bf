package jwtguard

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Misconfiguration reports. A verifier whose configuration refuses every
// token (an issuer copied with a trailing slash, a provider that does not
// put the API in aud) is found by its operator in the first minute, not in
// a support ticket: such refusals go to the operator's log — slog.Default()
// without WithLogger — rate-limited, with the hint. The trigger is chosen
// so that an attacker's flood of random iss values is not reported as a
// misconfiguration:
//
//   - a near miss of a configured issuer or audience (the values differ
//     only by a trailing slash, letter case or the scheme): bounded by the
//     configuration, one line per configured value and kind a minute;
//   - validly signed tokens of one entry refused for the same reason
//     streakLimit times in a row, none accepted in between: only the
//     issuer can sign them.

// streakLimit is how many validly signed tokens of one entry, refused in a
// row for the same reason with no acceptance, make a misconfiguration
// report.
const streakLimit = 10

// reportEvery is the shortest gap between two reports with the same key.
const reportEvery = time.Minute

// maxReportKeys bounds the rate limiter's table.
const maxReportKeys = 64

// misconfig reports likely configuration mistakes to the operator.
type misconfig struct {
	log *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	last map[string]time.Time
}

func newMisconfig(log *slog.Logger, now func() time.Time) *misconfig {
	return &misconfig{log: log, now: now, last: map[string]time.Time{}}
}

// report logs msg at Warn unless a report with the same key was logged
// less than reportEvery ago.
func (m *misconfig) report(key, msg string, err error, attrs ...slog.Attr) {
	now := m.now()
	m.mu.Lock()
	if t, ok := m.last[key]; ok && now.Sub(t) < reportEvery && !now.Before(t) {
		m.mu.Unlock()
		return
	}
	if len(m.last) >= maxReportKeys {
		for k, t := range m.last {
			if now.Sub(t) >= reportEvery {
				delete(m.last, k)
			}
		}
		if len(m.last) >= maxReportKeys {
			clear(m.last)
		}
	}
	m.last[key] = now
	m.mu.Unlock()
	m.log.LogAttrs(context.Background(), slog.LevelWarn, msg, append([]slog.Attr{slog.String("error", err.Error())}, attrs...)...)
}

// nearMiss reports the refusal e of a token whose value of got (its iss,
// its aud) is a near miss of one of wants (the configured issuers, the
// entry's accepted audiences). The hint in e.Detail only says that one may
// be there: the token's values are shown in that Detail too, so it is not
// parsed (an iss holding "(hint: " is no near miss, and one holding
// " and the " must not make its own key); the near miss is found again
// in the values, and the key is the configured value and the kind of
// difference: bounded by the configuration, whatever the tokens say.
func (m *misconfig) nearMiss(e *Error, got []string, wants []string) {
	if !strings.Contains(e.Detail, "(hint: ") {
		return
	}
	for _, g := range got {
		if want, hint := nearMissOf(g, wants); hint != "" {
			m.report("near-miss\x00"+want+"\x00"+hint, "jwtguard: token refused for a near miss of the configuration; check it", e,
				slog.String("configured", want), slog.String("hint", hint))
			return
		}
	}
}

// refusalStreak counts an entry's validly signed tokens refused in a row.
type refusalStreak struct {
	n     atomic.Int32 // refusals in a row since the last acceptance (read on the hot path)
	mu    sync.Mutex
	class error // the sentinel of the current streak
}

// accepted ends a streak. It costs a load on the hot path, a store only
// after refusals.
func (s *refusalStreak) accepted() {
	if s.n.Load() != 0 {
		s.n.Store(0)
	}
}

// refused counts a refusal of class and returns the streak's length
// (restarted when the class changes).
func (s *refusalStreak) refused(class error) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !errors.Is(s.class, class) || s.n.Load() == 0 {
		s.class = class
		s.n.Store(0)
	}
	return int(s.n.Add(1))
}

// judged records the outcome for a validly signed token of e with claims
// c: a refusal in a streak of streakLimit is reported, and so is an
// audience near miss.
func (v *Verifier) judged(e *entry, c *Claims, err error) {
	if err == nil {
		e.streak.accepted()
		return
	}
	je := AsError(err)
	class := classOf(je).err
	if n := e.streak.refused(class); n >= streakLimit && n%streakLimit == 0 {
		v.misconfig.report("streak:"+e.label()+":"+class.Error(),
			"jwtguard: every validly signed token of this issuer is refused for the same reason; check the configuration", je,
			slog.String("issuer", e.label()), slog.Int("refused_in_a_row", n))
	} else if class == ErrInvalidAudience && c != nil {
		v.misconfig.nearMiss(je, c.Audience, e.audiences)
	}
}
