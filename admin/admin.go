// Package admin is an operator's HTTP handler for the emergency calls of
// jwtguard's revocation stores: revoke a signing key, fetch an issuer's
// keys now, revoke every token of an issuer ("everyone signs in again"),
// end a session or a user's tokens. Each call reaches every verifier that
// shares the store (every instance, with the Redis store) within a second.
//
// It refuses to run unauthenticated: [Handler] needs a verifier that
// authenticates the operator's request ([jwtguard.Verifier.Authenticate])
// and a policy that authorizes it, and fails without either.
//
//	ops, err := jwtguard.New(jwtguard.WithIssuer("https://ops-idp.example.com/", jwtguard.Discovery()),
//		jwtguard.WithAudience("jwtguard-admin"), jwtguard.WithAlgorithms("RS256"))
//	...
//	h, err := admin.Handler(admin.Config{
//		Store:     store,                                 // memory.Store or redisstore.Store
//		Verifier:  ops,                                   // authenticates operators
//		Authorize: jwtguard.RequireAnyRole("jwtguard-admin"),
//		Issuers:   v,                                     // the API's verifier: names the issuers acted on
//	})
//	...
//	mux.Handle("/admin/jwtguard/", http.StripPrefix("/admin/jwtguard", h))
//
// Authenticate operators with an issuer other than the providers the
// calls act on: a leaked provider key can sign tokens, and the admin
// handler must not accept those (nor can it, once the key is revoked).
// Mount it on an internal listener where you can.
//
// Calls (POST, application/x-www-form-urlencoded; times in RFC 3339):
//
//	POST /revoke-key      issuer, and thumbprint=<RFC 7638 thumbprint> or kid=<kid>; until (optional: none)
//	POST /refresh-keys    issuer
//	POST /revoke-issuer   issuer; before (optional: now)
//	POST /revoke-session  issuer, sid; until (optional: the store's maximum token lifetime)
//	POST /revoke-subject  issuer, sub; before (optional: now)
//
// issuer is any issuer the Issuers verifier trusts (an alias works: it is
// turned into the canonical issuer, [jwtguard.Verifier.CanonicalIssuer]).
// A key named by kid is revoked wherever the issuer's key set publishes
// that kid (a kid can be reused or absent: prefer the thumbprint, which
// [Thumbprint] computes from a JWK and [SecretThumbprint] from an HMAC
// secret). Answers: 200 with a JSON body saying what was done; 400 with
// {"error": "invalid_request", ...} for a bad call; 401/403 as the
// verifier answers them; 503 when the store fails. Every call is logged
// (Config.Logger) with the operator's subject.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/internal/revoke"
)

// Store is what the handler calls: the memory and Redis stores implement
// it.
type Store interface {
	RevokeKey(ctx context.Context, issuer, key string, until time.Time) error
	RevokeIssuer(ctx context.Context, issuer string, before time.Time) error
	RevokeSession(ctx context.Context, issuer, sid string, until time.Time) error
	RevokeSubject(ctx context.Context, issuer, sub string, before time.Time) error
	RefreshKeys(ctx context.Context, issuer string) error
}

// Config configures [Handler].
type Config struct {
	// Store records the calls (required): the store the verifiers use.
	Store Store
	// Verifier authenticates every request (required): the operator's
	// token, from an issuer other than those the calls act on.
	Verifier *jwtguard.Verifier
	// Authorize decides whether the authenticated operator may call
	// (required), e.g. jwtguard.RequireAnyRole("jwtguard-admin").
	Authorize jwtguard.Policy
	// Issuers names the issuers acted on: a call's issuer must be one it
	// trusts, and is turned into its canonical issuer. Default: Verifier.
	// Pass the API's verifier.
	Issuers *jwtguard.Verifier
	// Logger receives one audit line per call (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock of the default times (default time.Now).
	Now func() time.Time
}

// maxBody bounds a call's body.
const maxBody = 16 << 10

// Handler returns the admin handler configured by cfg. It fails, naming
// the field, without a Store, a Verifier or an Authorize policy: it never
// runs unauthenticated.
func Handler(cfg Config) (http.Handler, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("admin: Config.Store is required"))
	}
	if cfg.Verifier == nil {
		errs = append(errs, errors.New("admin: Config.Verifier is required: the handler authenticates every request"))
	}
	if cfg.Authorize == nil {
		errs = append(errs, errors.New("admin: Config.Authorize is required: a policy saying who may call (e.g. jwtguard.RequireAnyRole(\"jwtguard-admin\"))"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Issuers == nil {
		cfg.Issuers = cfg.Verifier
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &handler{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /revoke-key", h.call(h.revokeKey))
	mux.HandleFunc("POST /refresh-keys", h.call(h.refreshKeys))
	mux.HandleFunc("POST /revoke-issuer", h.call(h.revokeIssuer))
	mux.HandleFunc("POST /revoke-session", h.call(h.revokeSession))
	mux.HandleFunc("POST /revoke-subject", h.call(h.revokeSubject))
	h.mux = mux
	return h, nil
}

type handler struct {
	cfg Config
	mux *http.ServeMux
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// Authenticate before routing, so that nobody learns the routes
	// without a token.
	c, err := h.cfg.Verifier.Authenticate(r)
	if err == nil {
		err = jwtguard.Authorize(c, h.cfg.Authorize)
	}
	if err != nil {
		h.cfg.Verifier.WriteError(w, err)
		return
	}
	h.mux.ServeHTTP(w, r.WithContext(jwtguard.NewContext(r.Context(), c)))
}

// action is one call: it reads the form and acts, returning what it did.
type action func(ctx context.Context, issuer string, form url.Values) (map[string]string, error)

// badRequest marks a call's own mistakes (400), as opposed to the store's
// failures (503).
type badRequest struct{ error }

func bad(format string, args ...any) error { return badRequest{fmt.Errorf(format, args...)} }

func (h *handler) call(act action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		operator, _ := jwtguard.FromContext(ctx)
		form, err := readForm(w, r)
		var done map[string]string
		var iss string
		if err == nil {
			iss, err = h.issuer(ctx, form.Get("issuer"))
		}
		if err == nil {
			done, err = act(ctx, iss, form)
		}
		attrs := []any{slog.String("call", r.URL.Path), slog.String("issuer", iss), slog.String("operator", operator.Subject), slog.String("operator_issuer", operator.Entry())}
		for k, v := range done {
			attrs = append(attrs, slog.String(k, v))
		}
		var br badRequest
		switch {
		case errors.As(err, &br):
			h.cfg.Logger.WarnContext(ctx, "jwtguard: admin call refused", append(attrs, slog.String("error", err.Error()))...)
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		case err != nil:
			h.cfg.Logger.ErrorContext(ctx, "jwtguard: admin call failed", append(attrs, slog.String("error", err.Error()))...)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable", "error_description": err.Error()})
		default:
			h.cfg.Logger.InfoContext(ctx, "jwtguard: admin call", attrs...)
			done["issuer"] = iss
			writeJSON(w, http.StatusOK, done)
		}
	}
}

// issuer checks a call's issuer and returns its canonical form.
func (h *handler) issuer(ctx context.Context, iss string) (string, error) {
	if iss == "" {
		return "", bad("issuer is required")
	}
	canon, ok := h.cfg.Issuers.CanonicalIssuer(ctx, iss)
	if !ok {
		return "", bad("issuer %q is not trusted by the verifier (Config.Issuers)", iss)
	}
	return canon, nil
}

func (h *handler) revokeKey(ctx context.Context, iss string, form url.Values) (map[string]string, error) {
	tp, kid := form.Get("thumbprint"), form.Get("kid")
	var key string
	switch {
	case tp != "" && kid != "":
		return nil, bad("give thumbprint or kid, not both")
	case tp != "":
		key = tp
	case kid != "":
		key = "kid:" + kid
	default:
		return nil, bad("thumbprint (RFC 7638, base64url) or kid is required")
	}
	if err := revoke.CheckKeyName(key); err != nil {
		return nil, badRequest{err}
	}
	until, err := timeParam(form, "until", time.Time{})
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Store.RevokeKey(ctx, iss, key, until); err != nil {
		return nil, err
	}
	return map[string]string{"done": "key revoked", "key": key, "until": show(until)}, nil
}

func (h *handler) refreshKeys(ctx context.Context, iss string, _ url.Values) (map[string]string, error) {
	if err := h.cfg.Store.RefreshKeys(ctx, iss); err != nil {
		return nil, err
	}
	return map[string]string{"done": "key refresh requested from every verifier of the store (each logs its outcome)"}, nil
}

func (h *handler) revokeIssuer(ctx context.Context, iss string, form url.Values) (map[string]string, error) {
	before, err := timeParam(form, "before", h.cfg.Now())
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Store.RevokeIssuer(ctx, iss, before); err != nil {
		return nil, err
	}
	return map[string]string{"done": "every token of the issuer issued before this time is revoked", "before": show(before)}, nil
}

func (h *handler) revokeSession(ctx context.Context, iss string, form url.Values) (map[string]string, error) {
	sid := form.Get("sid")
	if sid == "" {
		return nil, bad("sid is required")
	}
	until, err := timeParam(form, "until", time.Time{})
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Store.RevokeSession(ctx, iss, sid, until); err != nil {
		return nil, err
	}
	shown := show(until)
	if until.IsZero() {
		shown = "the store's maximum token lifetime from now"
	}
	return map[string]string{"done": "session revoked", "sid": sid, "until": shown}, nil
}

func (h *handler) revokeSubject(ctx context.Context, iss string, form url.Values) (map[string]string, error) {
	sub := form.Get("sub")
	if sub == "" {
		return nil, bad("sub is required")
	}
	before, err := timeParam(form, "before", h.cfg.Now())
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Store.RevokeSubject(ctx, iss, sub, before); err != nil {
		return nil, err
	}
	return map[string]string{"done": "every token of the subject issued before this time is revoked", "sub": sub, "before": show(before)}, nil
}

func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, bad("the body must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, bad("the body could not be read (at most %d bytes)", maxBody)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, bad("the body is not a valid form")
	}
	for k, v := range form {
		if len(v) > 1 {
			return nil, bad("%s is given more than once", k)
		}
	}
	return form, nil
}

// timeParam reads an RFC 3339 time, def when absent.
func timeParam(form url.Values, name string, def time.Time) (time.Time, error) {
	s := form.Get(name)
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, bad("%s is not an RFC 3339 time: %q", name, s)
	}
	return t, nil
}

func show(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339)
}

func writeJSON(w http.ResponseWriter, status int, body map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
