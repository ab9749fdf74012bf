// Command session is a browser-style login flow on jwtguard: short-lived
// access tokens in HttpOnly, Secure, SameSite cookies, rotating refresh
// tokens with reuse detection, logout and logout-everywhere through a
// revocation store, and cross-origin protection for cookie-authenticated
// unsafe requests. An embedded identity provider signs the tokens. Run it
// from the repository root:
//
//	go run ./examples/session                      # serve on 127.0.0.1:8080
//	go run ./examples/session -check               # walk the whole flow; exit 0 only if every step is as expected
//	go run ./examples/session -redis 127.0.0.1:6379 -check   # revocations in Redis instead of memory
//
// Routes:
//
//	POST /login        form user, password → sets __Host-access (10 min) and __Host-refresh (24 h)
//	POST /refresh      rotates the refresh token (a reused one revokes its whole family)
//	POST /logout       revokes this access token and its refresh family, clears the cookies
//	POST /logout-all   revokes every token of the user (needs a valid access token)
//	GET  /api/me       protected: the token's claims
//	POST /api/notes    protected, unsafe method: refused for cross-origin requests
//
// Demo users: alice / wonderland, bob / builder.
//
// Revocations go to a memory.New store, or to a redisstore.New store with
// -redis; both scope entries by issuer (RevokeToken and RevokeSubject take
// the token's iss). The issuer entry requires a jti (RequiredClaims), so
// every access token can be revoked on its own. This app issues its own
// tokens on the verifier's clock, so it runs with WithLeeway(0) and a store
// skew of 0, and a login right after "log out everywhere" works at once;
// with an external identity provider keep the defaults (30 s), under which
// a login within the skew after logout-all is refused too.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/memory"
	"github.com/jwtguard/jwtguard/nethttp"
	redisstore "github.com/jwtguard/jwtguard/redis"
)

const (
	accessCookie  = "__Host-access"
	refreshCookie = "__Host-refresh"
	accessTTL     = 10 * time.Minute
	refreshTTL    = 24 * time.Hour
)

var users = map[string]string{"alice": "wonderland", "bob": "builder"}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	check := flag.Bool("check", false, "walk the whole flow against the server and exit 0 only if every step gives the expected status")
	redisAddr := flag.String("redis", "", "keep revocations in the Redis server at this address (default: in memory)")
	flag.Parse()
	if *check && !flagSet("addr") {
		*addr = "127.0.0.1:0"
	}
	if err := run(*addr, *redisAddr, *check); err != nil {
		log.SetFlags(0)
		log.Fatal(err)
	}
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func run(addr, redisAddr string, check bool) error {
	idp, err := jwtguardtest.StartIssuer()
	if err != nil {
		return err
	}
	defer idp.Close()

	// The revocation store: memory for one process, Redis to share
	// logouts between instances.
	var store interface {
		jwtguard.RevocationStore
		jwtguard.Revoker
	}
	if redisAddr != "" {
		client := redis.NewClient(&redis.Options{
			Addr: redisAddr, DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond,
			WriteTimeout: 500 * time.Millisecond, ContextTimeoutEnabled: true, MaxRetries: 1, DialerRetries: 1,
		})
		defer client.Close()
		if err := client.Ping(context.Background()).Err(); err != nil {
			return fmt.Errorf("redis at %s: %w", redisAddr, err)
		}
		// A prefix per run, so -check never sees an earlier run's keys.
		rs, err := redisstore.New(client, redisstore.WithKeyPrefix("session-example:"+randomID(4)+":"),
			redisstore.WithLocalCache(time.Second, 10_000), redisstore.WithSkew(0))
		if err != nil {
			return err
		}
		defer rs.Close()
		store = rs
	} else {
		ms, err := memory.New(memory.WithSkew(0))
		if err != nil {
			return err
		}
		store = ms
	}

	v, err := jwtguard.New(
		jwtguard.Trust(jwtguard.Issuer{
			ID: idp.URL(), Keys: jwtguard.Discovery(), Audiences: []string{jwtguardtest.DefaultAudience},
			RequiredClaims: []string{"jti"}, // every token can be revoked on its own
		}),
		jwtguard.WithAlgorithms("ES256"),
		jwtguard.WithExtractor(jwtguard.FromCookie(accessCookie)),
		jwtguard.WithRevocation(store),
		jwtguard.WithCache(10_000, time.Minute),
		// This app issues its own tokens: issuer and verifier share one
		// clock, so no leeway is needed, and the revocation store needs no
		// clock-skew tolerance (a store's skew must be at least the
		// leeway). With skew 0, a login right after "log out everywhere"
		// works at once; with an external identity provider, keep the
		// defaults (30 s), which refuse logins within the skew.
		jwtguard.WithLeeway(0),
		jwtguard.WithRealm("session-example"),
	)
	if err != nil {
		return err
	}
	defer v.Close()

	// New never waits for the network: the keys load in the background.
	// Wait for them before serving, and log why they are not there (until
	// they arrive, requests get 503 with Retry-After, never a 401).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = v.Ready(ctx)
	cancel()
	if err != nil {
		slog.Error("jwtguard is not ready", "error", err)
	}

	a := &app{idp: idp, v: v, store: store, refresh: map[string]*refreshRecord{}, families: map[string]*family{}}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", addr, err)
	}
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	if check {
		return runCheck(base)
	}
	backend := "memory"
	if redisAddr != "" {
		backend = "redis " + redisAddr
	}
	fmt.Printf("session example on %s (revocations: %s)\n", base, backend)
	fmt.Printf("  curl -i -c jar -b jar -H 'Sec-Fetch-Site: same-origin' -d user=alice -d password=wonderland %s/login\n", base)
	fmt.Printf("  curl -i -b jar %s/api/me\n", base)
	fmt.Println("Ctrl-C to stop.")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	return nil
}

// app holds the session state. Refresh tokens are opaque random strings
// known to this server only (stored as SHA-256 hashes); each login starts
// a family, and each refresh retires one token and issues the next.
type app struct {
	idp   *jwtguardtest.Issuer
	v     *jwtguard.Verifier
	store interface {
		jwtguard.RevocationStore
		jwtguard.Revoker
	}

	mu       sync.Mutex
	refresh  map[string]*refreshRecord // by hash
	families map[string]*family
}

type refreshRecord struct {
	family string
	used   bool
	exp    time.Time
}

type family struct {
	sub     string
	revoked bool
	access  map[string]time.Time // jti → exp of access tokens issued in it
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /refresh", a.refreshToken)
	mux.HandleFunc("POST /logout", a.logout)

	api := http.NewServeMux()
	api.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		writeJSON(w, http.StatusOK, map[string]any{"sub": c.Subject, "jti": c.ID, "exp": c.ExpiresAt.Unix()})
	})
	api.HandleFunc("POST /api/notes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]string{"status": "created"})
	})
	api.HandleFunc("POST /logout-all", a.logoutAll)
	protected := nethttp.Middleware(a.v)(api)
	mux.Handle("/api/", protected)
	mux.Handle("POST /logout-all", protected)

	// Cookies ride along on cross-site requests, so every unsafe request
	// must come from our own origin (Sec-Fetch-Site / Origin checks). The
	// verifier also applies this to cookie tokens by itself.
	return http.NewCrossOriginProtection().Handler(mux)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	user, pass := r.PostFormValue("user"), r.PostFormValue("password")
	if want, ok := users[user]; !ok || pass != want {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_grant"})
		return
	}
	fam := randomID(16)
	a.mu.Lock()
	a.families[fam] = &family{sub: user, access: map[string]time.Time{}}
	a.mu.Unlock()
	a.issue(w, user, fam)
}

// issue mints an access token and a fresh refresh token in family fam and
// sets both cookies.
func (a *app) issue(w http.ResponseWriter, sub, fam string) {
	now := time.Now()
	jti := randomID(16)
	exp := now.Add(accessTTL)
	access := a.idp.Mint(jwtguardtest.Claims{
		"sub": sub, "jti": jti, "sid": fam,
		// Microsecond iat, so a login right after "log out everywhere" is
		// not caught by it (NumericDate may carry fractions, RFC 7519 §2).
		"iat": float64(now.UnixMicro()) / 1e6,
		"exp": exp.Unix(),
	}, jwtguardtest.WithAlg("ES256"))
	rt := randomID(32)
	a.mu.Lock()
	a.families[fam].access[jti] = exp
	a.refresh[hash(rt)] = &refreshRecord{family: fam, exp: now.Add(refreshTTL)}
	a.mu.Unlock()
	setCookie(w, accessCookie, access, accessTTL)
	setCookie(w, refreshCookie, rt, refreshTTL)
	writeJSON(w, http.StatusOK, map[string]any{"sub": sub, "expires_in": int(accessTTL.Seconds())})
}

func (a *app) refreshToken(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(refreshCookie)
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_grant", "error_description": "no refresh token"})
		return
	}
	a.mu.Lock()
	rec := a.refresh[hash(c.Value)]
	var fam *family
	if rec != nil {
		fam = a.families[rec.family]
	}
	switch {
	case rec == nil || fam == nil || fam.revoked || time.Now().After(rec.exp):
		a.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_grant"})
		return
	case rec.used:
		// Reuse of a rotated token: it was stolen, or the legitimate
		// client was. Either way, end the whole family.
		a.mu.Unlock()
		if err := a.revokeFamily(r.Context(), rec.family); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
			return
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_grant", "error_description": "refresh token reused; session revoked"})
		return
	}
	rec.used = true
	sub := fam.sub
	a.mu.Unlock()
	a.issue(w, sub, rec.family)
}

// revokeFamily ends a login session: its refresh tokens and every access
// token issued in it.
func (a *app) revokeFamily(ctx context.Context, id string) error {
	a.mu.Lock()
	fam := a.families[id]
	if fam == nil {
		a.mu.Unlock()
		return nil
	}
	fam.revoked = true
	access := make(map[string]time.Time, len(fam.access))
	for k, v := range fam.access {
		access[k] = v
	}
	a.mu.Unlock()
	for jti, exp := range access {
		if err := a.store.RevokeToken(ctx, a.idp.URL(), jti, exp); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(accessCookie); err == nil {
		if claims, err := a.v.Verify(r.Context(), c.Value); err == nil {
			if err := jwtguard.RevokeClaims(r.Context(), a.store, claims); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
				return
			}
		}
	}
	if c, err := r.Cookie(refreshCookie); err == nil {
		a.mu.Lock()
		rec := a.refresh[hash(c.Value)]
		a.mu.Unlock()
		if rec != nil {
			if err := a.revokeFamily(r.Context(), rec.family); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
				return
			}
		}
	}
	setCookie(w, accessCookie, "", -1)
	setCookie(w, refreshCookie, "", -1)
	w.WriteHeader(http.StatusNoContent)
}

func (a *app) logoutAll(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtguard.FromContext(r.Context())
	if err := a.store.RevokeSubject(r.Context(), c.Issuer, c.Subject, time.Now()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	a.mu.Lock()
	for _, f := range a.families {
		if f.sub == c.Subject {
			f.revoked = true
		}
	}
	a.mu.Unlock()
	setCookie(w, accessCookie, "", -1)
	setCookie(w, refreshCookie, "", -1)
	w.WriteHeader(http.StatusNoContent)
}

// setCookie sets a __Host- cookie: Secure, Path=/, no Domain (the prefix
// demands it), HttpOnly (no script can read it), SameSite=Strict (not sent
// on cross-site navigations or subrequests). maxAge < 0 deletes it.
func setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

var errCheck = errors.New("session check failed")
