package jwtguard

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// Audit events: one structured log record per authentication decision
// (WithAuditLog), off by default.

// auditClaims are the claims an audit event may carry, and
// defaultAuditClaims those it carries unless told otherwise. Nothing else
// of a token ever appears: not the token, its signature, or an arbitrary
// claim's value.
var (
	auditClaims        = []string{"sub", "aud", "jti", "exp", "iat", "nbf", "client", "sid", "tenant", "scope"}
	defaultAuditClaims = []string{"sub", "aud", "jti", "exp", "client"}
)

// audit is a verifier's audit configuration.
type audit struct {
	log    *slog.Logger
	level  slog.Level
	claims []string
}

// WithAuditLog writes one record per authentication decision — accepted
// or refused, by Verify, VerifyCredential or Authenticate — to l at level:
// the outcome, the reason (a row of the error table) and, for a refusal,
// its Detail (the values seen and expected, bounded and escaped); the
// issuer entry; the header's alg, kid and typ; and the claims named,
// chosen among sub, aud, jti, exp, iat, nbf, client (azp, client_id, cid
// or appid), sid, tenant and scope (default: sub, aud, jti, exp, client).
// Never the token, its signature or any other claim. Off by default;
// WithLogger's rejection lines are separate.
func WithAuditLog(l *slog.Logger, level slog.Level, claims ...string) Option {
	return single("WithAuditLog", func(c *config) error {
		if l == nil {
			return optErr("WithAuditLog", "nil logger")
		}
		if len(claims) == 0 {
			claims = defaultAuditClaims
		}
		for _, name := range claims {
			if !slices.Contains(auditClaims, name) {
				return optErr("WithAuditLog", "claim %q cannot be audited (choose among %s)", name, strings.Join(auditClaims, ", "))
			}
		}
		c.audit = &audit{log: l, level: level, claims: slices.Clone(claims)}
		return nil
	})
}

// auditEvent writes the record of one decision.
func (a *audit) event(ctx context.Context, vr *verification, c *Claims, err *Error) {
	if a == nil || !a.log.Enabled(ctx, a.level) {
		return
	}
	outcome, reason := outcomeOf(errOrNil(err))
	attrs := make([]slog.Attr, 0, 8+len(a.claims))
	attrs = append(attrs, slog.String("outcome", outcome))
	if err != nil {
		attrs = append(attrs, slog.String("reason", reason), slog.Int("status", err.Status))
		if err.Detail != "" {
			attrs = append(attrs, slog.String("detail", err.Detail))
		}
	}
	if vr.token != "" {
		if hs, _, _, ok := jose.Split(vr.token); ok {
			if hdr, herr := jose.DecodeHeader(hs); herr == nil {
				attrs = append(attrs, slog.String("alg", jose.Truncate(hdr.Alg)), slog.String("kid", jose.Truncate(hdr.Kid)), slog.String("typ", jose.Truncate(hdr.Typ)))
			}
		}
	}
	if c != nil {
		issuer := c.Entry()
		attrs = append(attrs, slog.String("issuer", jose.Truncate(issuer)), slog.Bool("cache_hit", vr.hit))
		for _, name := range a.claims {
			if v, ok := auditValue(c, name); ok {
				attrs = append(attrs, slog.String(name, v))
			}
		}
	}
	a.log.LogAttrs(ctx, a.level, "jwtguard: authentication", attrs...)
}

// auditValue returns the bounded value of an auditable claim.
func auditValue(c *Claims, name string) (string, bool) {
	at := func(t time.Time) (string, bool) {
		if t.IsZero() {
			return "", false
		}
		return t.UTC().Format(time.RFC3339), true
	}
	list := func(l []string) (string, bool) {
		if len(l) == 0 {
			return "", false
		}
		return jose.Truncate(fmt.Sprint(l)), true
	}
	str := func(s string) (string, bool) { return jose.Truncate(s), s != "" }
	switch name {
	case "sub":
		return str(c.Subject)
	case "aud":
		return list(c.Audience)
	case "jti":
		return str(c.ID)
	case "exp":
		return at(c.ExpiresAt)
	case "iat":
		return at(c.IssuedAt)
	case "nbf":
		return at(c.NotBefore)
	case "client":
		return str(c.ClientID)
	case "tenant":
		return list(c.Tenants)
	case "scope":
		return list(c.Scopes)
	case "sid":
		if raw, ok := strictjson.Member(c.rawBytes(), "sid"); ok {
			return str(optionalString(raw))
		}
	}
	return "", false
}

// errOrNil returns err as an error, nil for a nil *Error.
func errOrNil(err *Error) error {
	if err == nil {
		return nil
	}
	return err
}
