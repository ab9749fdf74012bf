package jwks

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// limiter remembers when each distinct warning or error was last logged.
type limiter struct {
	mu   sync.Mutex
	now  func() time.Time
	last map[string]time.Time
}

// allow reports whether the line with this key may be logged now: at most
// once per logEvery. The table is bounded; when full, entries older than
// logEvery are dropped, and if none is, the table restarts.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if t, ok := l.last[key]; ok && now.Sub(t) < logEvery {
		return false
	}
	if len(l.last) >= maxLoggedErrorEntries {
		for k, t := range l.last {
			if now.Sub(t) >= logEvery {
				delete(l.last, k)
			}
		}
		if len(l.last) >= maxLoggedErrorEntries {
			clear(l.last)
		}
	}
	l.last[key] = now
	return true
}

// reset forgets every line, so the next failure is logged at once.
func (l *limiter) reset() {
	l.mu.Lock()
	clear(l.last)
	l.mu.Unlock()
}

// limitedHandler drops a Warn or Error record identical (level, message,
// attributes) to one passed less than logEvery ago. Info and Debug pass.
type limitedHandler struct {
	slog.Handler
	l      *limiter
	prefix string // attributes added by WithAttrs/WithGroup, for the key
}

func (h limitedHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var b strings.Builder
		b.WriteString(h.prefix)
		b.WriteString(r.Level.String())
		b.WriteByte(0)
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			b.WriteByte(0)
			b.WriteString(a.String())
			return true
		})
		if !h.l.allow(b.String()) {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h limitedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	p := h.prefix
	for _, a := range as {
		p += a.String() + "\x00"
	}
	return limitedHandler{h.Handler.WithAttrs(as), h.l, p}
}

func (h limitedHandler) WithGroup(name string) slog.Handler {
	return limitedHandler{h.Handler.WithGroup(name), h.l, h.prefix + name + ".\x00"}
}
