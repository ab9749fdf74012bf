// Package backchannel receives OpenID Connect Back-Channel Logout 1.0
// requests: the identity provider POSTs a logout token when a user's
// session ends there, and the handler revokes that session's tokens (or
// the user's) in the revocation store the verifiers use, so that every
// instance sharing the store refuses them from the next request on.
//
//	logout, err := backchannel.Handler(backchannel.Config{
//		Verifier:  v,                    // its entries' iss and keys verify the logout tokens
//		Revoker:   store,                // memory.Store or redisstore.Store, also passed to WithRevocation
//		Audiences: []string{"my-web-app"}, // the relying party's client ID(s): the logout token's aud
//		Replay:    replay,               // shared jti record with several instances (redisstore.NewDPoPReplayCache)
//	})
//	if err != nil { ... }
//	mux.Handle("POST /backchannel-logout", logout) // NOT behind the bearer-token middleware
//
// Register the URL as the client's backchannel_logout_uri at the provider
// (Keycloak: the client's "Backchannel logout URL"; Auth0, Okta: the
// application's back-channel logout URI), with "session required" on where
// the provider offers it, so that logout tokens carry sid. The handler
// authenticates the request by the logout token alone: it must not sit
// behind the middleware that requires a bearer token.
//
// What it does, per the specification (§2.5–2.8):
//
//   - It accepts POST with an application/x-www-form-urlencoded body (at
//     most 64 KiB) holding exactly one logout_token; other parameters are
//     ignored.
//   - It verifies the token with [jwtguard.Verifier.VerifyLogoutToken]
//     and Config.Audiences: the entry's iss and keys, the relying party's
//     audiences, typ, events, no nonce, sid and/or sub, jti, iat within
//     five minutes.
//   - It revokes by session when the token has a sid
//     ([jwtguard.Revoker].RevokeSession, for the store's maximum token
//     lifetime), else by subject (RevokeSubject, every token of the user
//     issued before the logout token's iat — the provider's clock, the one
//     the access tokens' iat use — plus the store's skew). Access tokens
//     that carry the sid (Keycloak, Auth0, Okta and Entra ID put it in
//     theirs) are refused from then on. Tokens WITHOUT sid are not ended by
//     a session logout: if your provider's access tokens lack sid, set
//     Config.AlsoRevokeSubject, which ends all of the user's tokens (their
//     other sessions too) on every logout.
//   - It records the jti in Config.Replay after the revocation, and
//     refuses the same token again (a replay changes nothing: the
//     revocations are idempotent — the subject's uses the token's own iat).
//   - It answers 200 with Cache-Control: no-store on success, and 400
//     with Cache-Control: no-store and a JSON body
//     {"error": "invalid_request", "error_description": "..."} otherwise,
//     or {"error": "temporarily_unavailable", ...} when the store cannot
//     record the logout (§2.8: a failed logout is a 400 too; the provider
//     may retransmit). The description is the generic one of jwtguard's
//     error table; the reason is in the verifier's and the handler's logs.
//   - 405 for other methods.
//
// Delay: the revocation is in the store when the handler answers; an
// instance sharing a Redis store refuses the session's next request as
// soon as its check reads Redis (at once without the local cache; when
// the invalidation message arrives with it). README.md gives the measured
// figures.
package backchannel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
)

// maxBody bounds the request body: a logout token is a few KiB.
const maxBody = 64 << 10

// replayWindow is how long a logout token's jti is remembered: a token is
// accepted at most five minutes after its iat plus the verifier's leeway
// (at most five minutes).
const replayWindow = 10 * time.Minute

// Config configures [Handler].
type Config struct {
	// Verifier verifies the logout tokens (required): its issuer entries
	// (configured or resolved) route a token by its iss and verify it
	// with their keys.
	Verifier *jwtguard.Verifier
	// Revoker records the logouts (required): the revocation store the
	// verifiers use (jwtguard.WithRevocation).
	Revoker jwtguard.Revoker
	// Audiences are the relying party's client IDs, the aud of the
	// provider's logout tokens (required). They are usually not the API's
	// audiences.
	Audiences []string
	// Replay records the jti of every logout token handled, so that none
	// is handled twice. nil: an in-process cache (per instance); with
	// several instances give them one shared cache, e.g.
	// redisstore.NewDPoPReplayCache on the store's Redis. Entries are
	// keyed by the canonical issuer and live ten minutes.
	Replay dpop.ReplayCache
	// AlsoRevokeSubject revokes the subject too when the logout token
	// names a session: it ends the user's tokens that carry no sid, and
	// with them the user's other sessions.
	AlsoRevokeSubject bool
	// Logger receives one line per request handled (default
	// slog.Default()).
	Logger *slog.Logger
}

// Handler returns the back-channel logout endpoint configured by cfg. It
// fails, naming the field, when a required field is missing.
func Handler(cfg Config) (http.Handler, error) {
	var errs []error
	if cfg.Verifier == nil {
		errs = append(errs, errors.New("backchannel: Config.Verifier is required"))
	}
	if cfg.Revoker == nil {
		errs = append(errs, errors.New("backchannel: Config.Revoker is required (the revocation store given to jwtguard.WithRevocation)"))
	}
	if len(cfg.Audiences) == 0 || slices.Contains(cfg.Audiences, "") {
		errs = append(errs, errors.New("backchannel: Config.Audiences must list the relying party's client IDs (the logout tokens' aud)"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	h := &handler{cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.cfg.Replay == nil {
		h.cfg.Replay = dpop.NewMemoryReplayCache(0, 1<<20, replayWindow)
	}
	h.cfg.Audiences = slices.Clone(cfg.Audiences)
	return h, nil
}

type handler struct {
	cfg Config
	log *slog.Logger
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token, err := logoutToken(w, r)
	if err != nil {
		h.fail(w, r, "invalid_request", err.Error(), err)
		return
	}
	ctx := r.Context()
	c, err := h.cfg.Verifier.VerifyLogoutToken(ctx, token, h.cfg.Audiences...)
	if err != nil {
		h.fail(w, r, "invalid_request", jwtguard.AsError(err).Description, err)
		return
	}
	iss := c.Entry()
	var revoked []string
	if c.SessionID != "" {
		if err := h.cfg.Revoker.RevokeSession(ctx, iss, c.SessionID, time.Time{}); err != nil {
			h.unavailable(w, r, c, err)
			return
		}
		revoked = append(revoked, "session")
	}
	if c.Subject != "" && (c.SessionID == "" || h.cfg.AlsoRevokeSubject) {
		if err := h.cfg.Revoker.RevokeSubject(ctx, iss, c.Subject, c.IssuedAt); err != nil {
			h.unavailable(w, r, c, err)
			return
		}
		revoked = append(revoked, "subject")
	}
	attrs := []any{slog.String("issuer", iss), slog.String("sid", c.SessionID), slog.String("sub", c.Subject), slog.Any("revoked", revoked)}
	until := c.IssuedAt.Add(replayWindow)
	if !c.ExpiresAt.IsZero() && c.ExpiresAt.Add(5*time.Minute).Before(until) {
		until = c.ExpiresAt.Add(5 * time.Minute)
	}
	switch err := h.cfg.Replay.Use(ctx, "backchannel-logout:"+iss, c.ID, until); {
	case errors.Is(err, dpop.ErrReplay):
		h.fail(w, r, "invalid_request", "logout token replayed", err, attrs...)
		return
	case err != nil:
		// The logout is recorded; only its replay protection failed.
		h.log.WarnContext(ctx, "jwtguard: back-channel logout: the jti could not be recorded (replay protection)", append(attrs, slog.String("error", err.Error()))...)
	}
	h.log.InfoContext(ctx, "jwtguard: back-channel logout", attrs...)
	w.WriteHeader(http.StatusOK)
}

// logoutToken reads the request's one logout_token.
func logoutToken(w http.ResponseWriter, r *http.Request) (string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return "", errors.New("the body must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", fmt.Errorf("the body exceeds %d bytes", maxBody)
		}
		return "", errors.New("the body could not be read")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", errors.New("the body is not a valid form")
	}
	switch tokens := form["logout_token"]; {
	case len(tokens) == 0 || tokens[0] == "":
		return "", errors.New("logout_token is missing")
	case len(tokens) > 1:
		return "", errors.New("logout_token is given more than once")
	default:
		return tokens[0], nil
	}
}

// fail answers 400 with an error body and logs why.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, code, desc string, why error, attrs ...any) {
	h.log.InfoContext(r.Context(), "jwtguard: back-channel logout refused", append(attrs, slog.String("error", why.Error()))...)
	writeError(w, code, desc)
}

// unavailable answers a logout the store could not record.
func (h *handler) unavailable(w http.ResponseWriter, r *http.Request, c *jwtguard.Claims, err error) {
	h.log.ErrorContext(r.Context(), "jwtguard: back-channel logout could not be recorded", slog.String("issuer", c.Entry()),
		slog.String("sid", c.SessionID), slog.String("sub", c.Subject), slog.String("error", err.Error()))
	writeError(w, "temporarily_unavailable", "the logout could not be recorded; retry later")
}

func writeError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
