package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// streamEnd is how soon an open stream must end after a logout or a key
// revocation: the store's event wakes Verifier.Watch at once (without
// events it re-checks every second).
const streamEnd = time.Second

type checker struct{ failed int }

func (k *checker) that(ok bool, format string, args ...any) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		k.failed++
	}
	fmt.Printf("%s %s\n", mark, fmt.Sprintf(format, args...))
}

// get calls path on base with token and returns the status.
func get(base, path, token string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body)) + " " + resp.Header.Get("WWW-Authenticate")
}

// post sends a form to base+path (with a bearer token unless "").
func post(base, path, token string, form url.Values) (int, string, http.Header) {
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body)), resp.Header
}

// stream is an open server-sent-events stream.
type stream struct {
	first chan string // the first event
	end   chan string // the "end" event's data, or "" when the stream closed without one
}

func openStream(base, token string) (*stream, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET /api/events: %d", resp.StatusCode)
	}
	s := &stream{first: make(chan string, 1), end: make(chan string, 1)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		event, sent := "", false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "end":
				s.end <- strings.TrimPrefix(line, "data: ")
				return
			case strings.HasPrefix(line, "data: ") && !sent:
				s.first <- event
				sent = true
			}
		}
		s.end <- ""
	}()
	return s, nil
}

func runCheck(a, b *instance, idp, ops *jwtguardtest.Issuer) error {
	k := &checker{}
	operator := ops.Mint(jwtguardtest.Claims{"sub": "oncall", "roles": []string{"jwtguard-admin"}})

	// 1. Two sessions of alice, used on instance B.
	s1 := idp.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "session-1", "exp": time.Now().Add(time.Hour).Unix()})
	s2 := idp.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "session-2", "exp": time.Now().Add(time.Hour).Unix()})
	code, _ := get(b.base, "/api/me", s1)
	k.that(code == 200, "B: GET /api/me with session-1's token → %d (want 200)", code)
	code, _ = get(b.base, "/api/me", s2)
	k.that(code == 200, "B: GET /api/me with session-2's token → %d (want 200)", code)
	st, err := openStream(b.base, s1)
	if err != nil {
		return err
	}
	select {
	case ev := <-st.first:
		k.that(ev == "tick", "B: session-1's event stream is open (first event %q)", ev)
	case <-time.After(5 * time.Second):
		k.that(false, "B: session-1's event stream sent nothing")
	}

	// 2. The provider logs session-1 out: its logout token reaches A.
	lt := idp.LogoutToken(jwtguardtest.Claims{"aud": clientID, "sid": "session-1", "sub": "alice"})
	start := time.Now()
	code, body, hdr := post(a.base, "/backchannel-logout", "", url.Values{"logout_token": {lt}})
	k.that(code == 200 && hdr.Get("Cache-Control") == "no-store", "A: POST /backchannel-logout (sid session-1) → %d, Cache-Control %q (want 200, no-store) %s", code, hdr.Get("Cache-Control"), body)
	code, why := get(b.base, "/api/me", s1)
	k.that(code == 401 && strings.Contains(why, "revoked"), "B: session-1's next request → %d (want 401 token revoked)", code)
	code, _ = get(b.base, "/api/me", s2)
	k.that(code == 200, "B: session-2 is not affected → %d (want 200)", code)
	select {
	case reason := <-st.end:
		d := time.Since(start)
		k.that(reason == "token revoked" && d < streamEnd, "B: session-1's open stream ended %s after the logout on A (want < %s), saying %q", d.Round(10*time.Microsecond), streamEnd, reason)
	case <-time.After(5 * time.Second):
		k.that(false, "B: session-1's open stream did not end")
	}
	code, body, _ = post(a.base, "/backchannel-logout", "", url.Values{"logout_token": {lt}})
	k.that(code == 400 && strings.Contains(body, "replayed"), "A: the same logout token again → %d %s (want 400, replayed)", code, body)
	bad := idp.LogoutToken(jwtguardtest.Claims{"aud": clientID, "sid": "session-2", "nonce": "n"})
	code, body, _ = post(a.base, "/backchannel-logout", "", url.Values{"logout_token": {bad}})
	k.that(code == 400 && strings.Contains(body, "invalid_request"), "A: a logout token with a nonce → %d %s (want 400 invalid_request)", code, body)

	// 3. The provider's ES256 key leaks: an operator revokes it on A.
	es := idp.Mint(jwtguardtest.Claims{"sub": "bob", "exp": time.Now().Add(time.Hour).Unix()}, jwtguardtest.WithAlg("ES256"))
	code, _ = get(b.base, "/api/me", es)
	k.that(code == 200, "B: a token signed with the ES256 key → %d (want 200)", code)
	esStream, err := openStream(b.base, es)
	if err != nil {
		return err
	}
	<-esStream.first
	form := url.Values{"issuer": {idp.URL()}, "thumbprint": {idp.KeyThumbprint("ES256")}}
	code, _, _ = post(a.base, "/admin/revoke-key", "", form)
	k.that(code == 401, "A: POST /admin/revoke-key without an operator token → %d (want 401)", code)
	code, _, _ = post(a.base, "/admin/revoke-key", idp.Mint(jwtguardtest.Claims{"roles": []string{"jwtguard-admin"}}), form)
	k.that(code == 401, "A: …with a token of the provider whose key leaked → %d (want 401: operators have their own issuer)", code)
	start = time.Now()
	code, body, _ = post(a.base, "/admin/revoke-key", operator, form)
	k.that(code == 200, "A: POST /admin/revoke-key (thumbprint of the ES256 key) → %d %s", code, body)
	code, _ = get(b.base, "/api/me", es)
	k.that(code == 401, "B: the ES256 token's next request → %d (want 401 token revoked)", code)
	select {
	case reason := <-esStream.end:
		d := time.Since(start)
		k.that(reason == "token revoked" && d < streamEnd, "B: its open stream ended %s after the revocation (want < %s)", d.Round(10*time.Microsecond), streamEnd)
	case <-time.After(5 * time.Second):
		k.that(false, "B: the ES256 token's stream did not end")
	}
	rs := idp.Mint(jwtguardtest.Claims{"sub": "carol", "exp": time.Now().Add(time.Hour).Unix()})
	code, _ = get(b.base, "/api/me", rs)
	k.that(code == 200, "B: a token of the RS256 key is not affected → %d (want 200)", code)

	// 4. The provider rotates its RS256 key and withdraws the old one; the
	//    instances still hold the old set (next refresh: up to an hour).
	//    An operator makes every instance fetch now.
	if err := idp.Rotate(); err != nil {
		return err
	}
	idp.RetireOldKeys()
	code, _ = get(b.base, "/api/me", rs)
	k.that(code == 200, "B: before the refresh, the withdrawn key's token still passes → %d (want 200)", code)
	code, body, _ = post(a.base, "/admin/refresh-keys", operator, url.Values{"issuer": {idp.URL()}})
	k.that(code == 200, "A: POST /admin/refresh-keys → %d %s", code, body)
	deadline := time.Now().Add(5 * time.Second)
	for code == 200 || code == 0 {
		code, _ = get(b.base, "/api/me", rs)
		if code != 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	k.that(code == 401, "B: the withdrawn key's token after the refresh → %d (want 401)", code)
	code, _ = get(b.base, "/api/me", idp.Mint(jwtguardtest.Claims{"sub": "carol"}))
	k.that(code == 200, "B: a token of the new key → %d (want 200)", code)

	if k.failed > 0 {
		return errors.New("logout example check failed")
	}
	fmt.Println("logout example check passed")
	return nil
}

func printCommands(a, b *instance, idp, ops *jwtguardtest.Issuer) error {
	s1 := idp.Mint(jwtguardtest.Claims{"sub": "alice", "sid": "session-1", "exp": time.Now().Add(time.Hour).Unix()})
	lt := idp.LogoutToken(jwtguardtest.Claims{"aud": clientID, "sid": "session-1", "sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
	operator := ops.Mint(jwtguardtest.Claims{"sub": "oncall", "roles": []string{"jwtguard-admin"}, "exp": time.Now().Add(time.Hour).Unix()})
	fmt.Printf("jwtguard logout example: instance A on %s, instance B on %s (one shared revocation store)\n\n", a.base, b.base)
	fmt.Printf("# session-1's event stream on B (leave it open)\ncurl -N -H 'Authorization: Bearer %s' %s/api/events\n\n", s1, b.base)
	fmt.Printf("# the provider's back-channel logout of session-1, received by A → 200; the stream on B ends\n")
	fmt.Printf("curl -i -d 'logout_token=%s' %s/backchannel-logout\n\n", lt, a.base)
	fmt.Printf("# session-1's next request on B → 401 token revoked\ncurl -i -H 'Authorization: Bearer %s' %s/api/me\n\n", s1, b.base)
	fmt.Printf("# an operator revokes the provider's ES256 key → 200\n")
	fmt.Printf("curl -i -H 'Authorization: Bearer %s' -d 'issuer=%s' -d 'thumbprint=%s' %s/admin/revoke-key\n\n", operator, idp.URL(), idp.KeyThumbprint("ES256"), a.base)
	fmt.Printf("# every instance fetches the provider's keys now → 200\n")
	fmt.Printf("curl -i -H 'Authorization: Bearer %s' -d 'issuer=%s' %s/admin/refresh-keys\n\n", operator, idp.URL(), a.base)
	fmt.Println("go run ./examples/logout -check walks every step. Ctrl-C to stop.")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	return nil
}
