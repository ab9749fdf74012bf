package jwtguard_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// TestAuditLog (issue 19): one event per decision with the outcome, the
// reason and Detail of a refusal, the header's alg/kid/typ and the chosen
// claims only; off by default; unknown claim names refused by New.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	idp := jwtguardtest.NewIssuer(t)
	var out syncBuffer
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	v := idp.Verifier(t, jwtguard.WithAuditLog(logger, slog.LevelInfo, "sub", "jti"))
	ctx := context.Background()
	if _, err := v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"sub": "alice", "jti": "j-1", "secret_claim": "s3cr3t"})); err != nil {
		t.Fatal(err)
	}
	_, _ = v.Verify(ctx, idp.Mint(jwtguardtest.Claims{"sub": "bob", "aud": "account"}))
	recs := logRecords(t, out.String())
	if len(recs) != 2 {
		t.Fatalf("%d events, want 2: %s", len(recs), out.String())
	}
	ok, refused := recs[0], recs[1]
	for k, want := range map[string]any{"msg": "jwtguard: authentication", "outcome": "accepted", "sub": "alice", "jti": "j-1", "alg": "RS256", "issuer": idp.URL()} {
		if ok[k] != want {
			t.Errorf("accepted event %s = %v, want %v (%v)", k, ok[k], want, ok)
		}
	}
	if _, has := ok["aud"]; has {
		t.Error("an unchosen claim (aud) is in the event")
	}
	if strings.Contains(out.String(), "s3cr3t") {
		t.Error("an arbitrary claim's value is in the audit log")
	}
	if refused["outcome"] != "refused" || refused["reason"] != "invalid_audience" || !strings.Contains(refused["detail"].(string), `"account"`) || refused["status"] != float64(401) {
		t.Errorf("refused event %v", refused)
	}
	// Off by default.
	quiet := idp.Verifier(t)
	_ = quiet
	if _, err := jwtguard.New(jwtguard.Trust(idp.Entry()), jwtguard.WithAlgorithms("RS256"), jwtguard.WithAuditLog(logger, slog.LevelInfo, "email")); err == nil || !strings.Contains(err.Error(), `claim "email" cannot be audited`) {
		t.Fatalf("New with an unauditable claim: %v", err)
	}
}
