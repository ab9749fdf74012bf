package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// browser is one client's cookies. -check handles cookies itself instead of
// using a cookie jar, because it must do what a jar would not: replay an
// old refresh token (as a thief would) and act as two devices of one user.
// (Go's cookiejar, like browsers, does send Secure cookies to
// http://127.0.0.1 and localhost, which count as secure origins; the last
// step checks that with a real jar.)
type browser struct {
	access, refresh string
}

type checker struct {
	base   string
	failed int
}

// do sends a request with the browser's cookies (nil: none) and the given
// Sec-Fetch-Site ("" omits it), checks the status and stores any cookies
// the server sets.
func (c *checker) do(what string, b *browser, method, path, site string, form url.Values, want int) *http.Response {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		panic(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if site != "" {
		req.Header.Set("Sec-Fetch-Site", site)
	}
	if b != nil {
		if b.access != "" {
			req.AddCookie(&http.Cookie{Name: accessCookie, Value: b.access})
		}
		if b.refresh != "" {
			req.AddCookie(&http.Cookie{Name: refreshCookie, Value: b.refresh})
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.failed++
		fmt.Printf("FAIL %-58s %s %s: %v\n", what, method, path, err)
		return nil
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mark := "ok  "
	if resp.StatusCode != want {
		mark = "FAIL"
		c.failed++
	}
	detail := strings.TrimSpace(string(msg))
	if ch := resp.Header.Get("WWW-Authenticate"); ch != "" {
		detail = "WWW-Authenticate: " + ch
		if i := strings.Index(ch, "error_description="); i >= 0 {
			detail = ch[i:]
		}
	}
	if len(detail) > 90 {
		detail = detail[:90] + "..."
	}
	fmt.Printf("%s %-58s %-4s %-11s → %d (want %d) %s\n", mark, what, method, path, resp.StatusCode, want, detail)
	if b != nil {
		for _, ck := range resp.Cookies() {
			switch ck.Name {
			case accessCookie:
				b.access = ck.Value
			case refreshCookie:
				b.refresh = ck.Value
			}
		}
	}
	return resp
}

// doRevoked expects 401 with error_description "token revoked": refused
// because of the revocation store, not for another reason.
func (c *checker) doRevoked(what string, b *browser, method, path string) {
	resp := c.do(what, b, method, path, "", nil, http.StatusUnauthorized)
	if resp != nil && !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error_description="token revoked"`) {
		c.expect(false, "  …but not because it was revoked")
	}
}

// expect records a failed non-HTTP expectation.
func (c *checker) expect(ok bool, what string) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		c.failed++
	}
	fmt.Printf("%s %s\n", mark, what)
}

func creds(user, pass string) url.Values { return url.Values{"user": {user}, "password": {pass}} }

func runCheck(base string) error {
	c := &checker{base: base}
	const same, cross = "same-origin", "cross-site"

	c.do("no cookie", nil, "GET", "/api/me", "", nil, 401)
	c.do("wrong password", &browser{}, "POST", "/login", same, creds("alice", "nope"), 401)
	c.do("login from another site (login CSRF)", &browser{}, "POST", "/login", cross, creds("alice", "wonderland"), 403)

	alice := &browser{}
	resp := c.do("login", alice, "POST", "/login", same, creds("alice", "wonderland"), 200)
	if resp != nil {
		for _, ck := range resp.Cookies() {
			ok := ck.HttpOnly && ck.Secure && ck.SameSite == http.SameSiteStrictMode && ck.Path == "/" && ck.Domain == "" && ck.MaxAge > 0
			c.expect(ok, fmt.Sprintf("cookie %s is HttpOnly, Secure, SameSite=Strict, Path=/, host-only (max-age %ds)", ck.Name, ck.MaxAge))
		}
		c.expect(len(resp.Cookies()) == 2, "login sets exactly the access and refresh cookies")
	}
	c.do("protected GET with the access cookie", alice, "GET", "/api/me", "", nil, 200)
	c.do("protected POST from another site (CSRF)", alice, "POST", "/api/notes", cross, nil, 403)
	c.do("protected POST from our origin", alice, "POST", "/api/notes", same, nil, 201)

	// Refresh rotation and reuse detection.
	first := *alice
	c.do("refresh", alice, "POST", "/refresh", same, nil, 200)
	c.expect(alice.refresh != first.refresh && alice.access != first.access, "refresh rotated both tokens")
	c.do("the new access token works", alice, "GET", "/api/me", "", nil, 200)
	c.do("refresh from another site", &browser{refresh: alice.refresh}, "POST", "/refresh", cross, nil, 403)
	thief := &browser{refresh: first.refresh}
	c.do("replayed (already rotated) refresh token refused", thief, "POST", "/refresh", same, nil, 401)
	c.do("…which revoked the family: current refresh token refused", &browser{refresh: alice.refresh}, "POST", "/refresh", same, nil, 401)
	c.doRevoked("…and the family's access token refused", alice, "GET", "/api/me")

	// Logout.
	alice = &browser{}
	c.do("login again", alice, "POST", "/login", same, creds("alice", "wonderland"), 200)
	loggedOut := *alice
	c.do("logout", alice, "POST", "/logout", same, nil, 204)
	c.expect(alice.access == "" && alice.refresh == "", "logout cleared both cookies")
	c.doRevoked("logged-out access token refused", &loggedOut, "GET", "/api/me")
	c.do("logged-out refresh token refused", &browser{refresh: loggedOut.refresh}, "POST", "/refresh", same, nil, 401)

	// Logout everywhere.
	laptop, phone, bob := &browser{}, &browser{}, &browser{}
	c.do("login on a laptop", laptop, "POST", "/login", same, creds("alice", "wonderland"), 200)
	c.do("login on a phone", phone, "POST", "/login", same, creds("alice", "wonderland"), 200)
	c.do("bob logs in", bob, "POST", "/login", same, creds("bob", "builder"), 200)
	c.do("logout-all without a token", &browser{}, "POST", "/logout-all", same, nil, 401)
	c.do("logout-all from the laptop", laptop, "POST", "/logout-all", same, nil, 204)
	c.doRevoked("the phone's access token refused", phone, "GET", "/api/me")
	c.do("the phone's refresh token refused", phone, "POST", "/refresh", same, nil, 401)
	c.do("bob is not affected", bob, "GET", "/api/me", "", nil, 200)
	c.do("alice can log in again", phone, "POST", "/login", same, creds("alice", "wonderland"), 200)
	c.do("…and use the new token", phone, "GET", "/api/me", "", nil, 200)

	// A real cookie jar on http://127.0.0.1: it stores and sends the
	// Secure, __Host- cookies (loopback counts as a secure origin).
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(creds("bob", "builder").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", same)
	if r, err := client.Do(req); err == nil {
		r.Body.Close()
		r2, err := client.Get(base + "/api/me")
		ok := err == nil && r2.StatusCode == 200
		if err == nil {
			r2.Body.Close()
		}
		c.expect(ok, "net/http/cookiejar sends the Secure cookies to http://127.0.0.1 (GET /api/me → 200)")
	} else {
		c.expect(false, "cookie jar login: "+err.Error())
	}

	if c.failed > 0 {
		return fmt.Errorf("%w: %d step(s) gave an unexpected result", errCheck, c.failed)
	}
	fmt.Println("session check passed")
	return nil
}
