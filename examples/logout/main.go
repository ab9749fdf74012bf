// Command logout shows continuous access with jwtguard: two instances of
// an API share one revocation store; a back-channel logout (OpenID Connect
// Back-Channel Logout 1.0) received by instance A ends the session on
// instance B — its next request and its open server-sent-events stream —;
// an operator revokes a leaked signing key and makes every instance fetch
// an issuer's keys now, through the admin handler. Run it from the
// repository root:
//
//	go run ./examples/logout          # serve A on 127.0.0.1:8080 and B beside it; print curl commands
//	go run ./examples/logout -check   # walk every step; exit 0 only if each is as expected
//
// Routes (on both instances):
//
//	GET  /api/me                 protected: the token's subject and session
//	GET  /api/events             protected: a server-sent-events stream that ends, with an
//	                             "end" event saying why, as soon as the token is revoked or expires
//	POST /backchannel-logout     the provider's logout tokens (jwtguard/backchannel)
//	POST /admin/...              operators only (jwtguard/admin): revoke-key, refresh-keys, ...
//
// Both instances run in this process with one memory.Store between them,
// so the example needs nothing else; instances in several processes share
// a redisstore.Store on one Redis instead (the same calls, the same events
// over Redis pub/sub — see README.md, "Continuous access", for the
// measured delays). An embedded identity provider signs the tokens; the
// operators' tokens come from another one.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/admin"
	"github.com/jwtguard/jwtguard/backchannel"
	"github.com/jwtguard/jwtguard/examples/internal/demo"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
	"github.com/jwtguard/jwtguard/nethttp"
)

// clientID is the relying party's client ID at the provider: the aud of
// its logout tokens.
const clientID = "web-app"

func main() { demo.Main("127.0.0.1:8080", run) }

func run(addr string, check bool) error {
	// 1. The identity provider (Keycloak, Auth0, Okta...) and the
	//    operators' own.
	idp, err := jwtguardtest.StartIssuer()
	if err != nil {
		return err
	}
	defer idp.Close()
	ops, err := jwtguardtest.StartIssuer()
	if err != nil {
		return err
	}
	defer ops.Close()

	// 2. The revocation store both instances share. Several processes:
	//    store, err := redisstore.New(redisClient)
	store, err := memory.New()
	if err != nil {
		return err
	}

	// 3. Two instances, each with its own verifier on the shared store.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := newInstance(idp, ops, store, log)
	if err != nil {
		return err
	}
	defer a.close()
	b, err := newInstance(idp, ops, store, log)
	if err != nil {
		return err
	}
	defer b.close()
	if err := a.serve(addr); err != nil {
		return err
	}
	if err := b.serve("127.0.0.1:0"); err != nil {
		return err
	}
	if check {
		return runCheck(a, b, idp, ops)
	}
	return printCommands(a, b, idp, ops)
}

// instance is one instance of the API.
type instance struct {
	v, opsV *jwtguard.Verifier
	handler http.Handler
	srv     *http.Server
	base    string
}

func newInstance(idp, ops *jwtguardtest.Issuer, store *memory.Store, log *slog.Logger) (*instance, error) {
	// The API's verifier: the store answers revocations and sends the
	// events (key revocations, refreshes, logouts for watched streams).
	// RemoteKeys: a withdrawn kid costs no wait (the unknown-kid gap is
	// short here; keep the default in production).
	v, err := jwtguard.New(
		jwtguard.Trust(idp.Entry()),
		jwtguard.WithAlgorithms("RS256", "ES256"),
		jwtguard.WithRevocation(store),
		jwtguard.WithCache(10_000, time.Minute),
		jwtguard.WithRemoteKeys(jwtguard.RemoteKeys{UnknownKidGap: 50 * time.Millisecond}),
		jwtguard.WithLogger(log),
	)
	if err != nil {
		return nil, err
	}
	// The operators' verifier: another issuer than the one the calls act
	// on, so that a leaked provider key cannot sign an admin call.
	opsV, err := jwtguard.New(jwtguard.Trust(ops.Entry()), jwtguard.WithAlgorithms("RS256"))
	if err != nil {
		v.Close()
		return nil, err
	}
	in := &instance{v: v, opsV: opsV}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, x := range []*jwtguard.Verifier{v, opsV} {
		if err := x.Ready(ctx); err != nil {
			slog.Error("jwtguard is not ready", "error", err)
		}
	}

	logout, err := backchannel.Handler(backchannel.Config{
		Verifier:  v,
		Revoker:   store,
		Audiences: []string{clientID},
		Logger:    log,
	})
	if err != nil {
		in.close()
		return nil, err
	}
	adm, err := admin.Handler(admin.Config{
		Store:     store,
		Verifier:  opsV,
		Authorize: jwtguard.RequireAnyRole("jwtguard-admin"),
		Issuers:   v,
		Logger:    log,
	})
	if err != nil {
		in.close()
		return nil, err
	}

	api := http.NewServeMux()
	api.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		fmt.Fprintf(w, "sub=%s sid=%s\n", c.Subject, c.SessionID)
	})
	api.HandleFunc("GET /api/events", events(v))

	mux := http.NewServeMux()
	mux.Handle("/api/", nethttp.Middleware(v)(api))
	mux.Handle("POST /backchannel-logout", logout) // the logout token authenticates the call
	mux.Handle("/admin/", http.StripPrefix("/admin", adm))
	in.handler = mux
	return in, nil
}

// events is a server-sent-events stream that lives as long as the token
// that opened it: Verifier.Watch ends its context when the token is
// revoked (a logout, a revoked key...) or expires, and the handler tells
// the client why before closing the stream.
func events(v *jwtguard.Verifier) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		ctx := v.Watch(r.Context(), c)
		flusher, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for n := 1; ; n++ {
			fmt.Fprintf(w, "event: tick\ndata: %d\n\n", n)
			flusher.Flush()
			select {
			case <-ctx.Done():
				var je *jwtguard.Error
				if errors.As(context.Cause(ctx), &je) {
					// The token ended, not the client: say why (the
					// client-safe description, as in a 401).
					fmt.Fprintf(w, "event: end\ndata: %s\n\n", je.Description)
					flusher.Flush()
				}
				return
			case <-tick.C:
			}
		}
	}
}

func (in *instance) serve(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", addr, err)
	}
	in.srv = &http.Server{Handler: in.handler, ReadHeaderTimeout: 5 * time.Second}
	in.base = "http://" + ln.Addr().String()
	go func() { _ = in.srv.Serve(ln) }()
	return nil
}

func (in *instance) close() {
	if in.srv != nil {
		in.srv.Close()
	}
	in.v.Close()
	in.opsV.Close()
}
