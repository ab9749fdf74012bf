package jwtguard_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwtguard/jwtguard"
)

// extractCase is one request and what an extractor must make of it.
type extractCase struct {
	name    string
	req     func() *http.Request
	tok     string
	src     jwtguard.Source
	invalid bool // want ErrInvalidRequest (400)
}

func runExtract(t *testing.T, e jwtguard.Extractor, cases []extractCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tok, src, err := e.Extract(c.req())
			if c.invalid {
				if !errors.Is(err, jwtguard.ErrInvalidRequest) {
					t.Fatalf("err = %v, want ErrInvalidRequest", err)
				}
				if e := jwtguard.AsError(err); e.Status != http.StatusBadRequest || e.Code != jwtguard.CodeInvalidRequest {
					t.Fatalf("status %d code %q, want 400 invalid_request", e.Status, e.Code)
				}
				if tok != "" {
					t.Fatalf("token %q returned with an error", tok)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if tok != c.tok || src != c.src {
				t.Fatalf("got %q, %v; want %q, %v", tok, src, c.tok, c.src)
			}
		})
	}
}

func withHeaders(name string, vals ...string) func() *http.Request {
	return func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, v := range vals {
			r.Header.Add(name, v)
		}
		return r
	}
}

func TestFromAuthHeader(t *testing.T) {
	t.Parallel()
	const tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
	auth := func(vals ...string) func() *http.Request { return withHeaders("Authorization", vals...) }
	runExtract(t, jwtguard.FromAuthHeader(), []extractCase{
		{name: "Bearer", req: auth("Bearer " + tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "bearer lower case", req: auth("bearer " + tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "BEARER upper case", req: auth("BEARER " + tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "bEaReR mixed case", req: auth("bEaReR " + tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "extra spaces before token", req: auth("Bearer   " + tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "b64token with ~+/ and padding", req: auth("Bearer abc-._~+/xyz=="), tok: "abc-._~+/xyz==", src: jwtguard.SourceHeader},
		{name: "no header", req: auth(), tok: "", src: jwtguard.SourceNone},
		{name: "Basic is no token", req: auth("Basic dXNlcjpwYXNz"), tok: "", src: jwtguard.SourceNone},
		{name: "DPoP is no token", req: auth("DPoP " + tok), tok: "", src: jwtguard.SourceNone},
		{name: "scheme glued to token is another scheme", req: auth("Bearer" + tok), tok: "", src: jwtguard.SourceNone},
		{name: "two headers", req: auth("Bearer "+tok, "Bearer "+tok), invalid: true},
		{name: "two headers, other scheme first", req: auth("Basic dXNlcjpwYXNz", "Bearer "+tok), invalid: true},
		{name: "Bearer alone", req: auth("Bearer"), invalid: true},
		{name: "bearer alone", req: auth("bearer"), invalid: true},
		{name: "Bearer and a space", req: auth("Bearer "), invalid: true},
		{name: "space inside token", req: auth("Bearer abc def"), invalid: true},
		{name: "trailing space", req: auth("Bearer " + tok + " "), invalid: true},
		{name: "tab", req: auth("Bearer\t" + tok), tok: "", src: jwtguard.SourceNone},
		{name: "tab inside token", req: auth("Bearer ab\tc"), invalid: true},
		{name: "quote", req: auth(`Bearer "` + tok + `"`), invalid: true},
		{name: "comma", req: auth("Bearer a,b"), invalid: true},
		{name: "padding in the middle", req: auth("Bearer ab=cd"), invalid: true},
		{name: "only padding", req: auth("Bearer =="), invalid: true},
		{name: "non-ASCII", req: auth("Bearer tökén"), invalid: true},
	})
}

func TestFromHeader(t *testing.T) {
	t.Parallel()
	const tok = "abc.def.ghi"
	runExtract(t, jwtguard.FromHeader("X-Api-Token", ""), []extractCase{
		{name: "whole value", req: withHeaders("X-Api-Token", tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "name is case-insensitive", req: withHeaders("x-api-token", tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "absent", req: withHeaders("Authorization", "Bearer "+tok), tok: "", src: jwtguard.SourceNone},
		{name: "scheme not stripped", req: withHeaders("X-Api-Token", "Bearer "+tok), invalid: true},
		{name: "twice", req: withHeaders("X-Api-Token", tok, tok), invalid: true},
	})
	runExtract(t, jwtguard.FromHeader("X-Auth", "Token"), []extractCase{
		{name: "custom scheme", req: withHeaders("X-Auth", "Token "+tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "custom scheme any case", req: withHeaders("X-Auth", "TOKEN "+tok), tok: tok, src: jwtguard.SourceHeader},
		{name: "other scheme", req: withHeaders("X-Auth", "Bearer "+tok), tok: "", src: jwtguard.SourceNone},
		{name: "scheme alone", req: withHeaders("X-Auth", "Token"), invalid: true},
	})
}

func TestFromCookie(t *testing.T) {
	t.Parallel()
	const tok = "abc.def.ghi"
	cookie := func(name, value string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: name, Value: value})
			return r
		}
	}
	runExtract(t, jwtguard.FromCookie("access_token"), []extractCase{
		{name: "present", req: cookie("access_token", tok), tok: tok, src: jwtguard.SourceCookie},
		{name: "other cookie", req: cookie("session", tok), tok: "", src: jwtguard.SourceNone},
		{name: "empty value", req: cookie("access_token", ""), tok: "", src: jwtguard.SourceNone},
		{name: "no cookie", req: withHeaders("X-Other", "1"), tok: "", src: jwtguard.SourceNone},
		{name: "not a token", req: withHeaders("Cookie", "access_token=a!b"), invalid: true},
		{name: "Authorization header is not a cookie", req: withHeaders("Authorization", "Bearer "+tok), tok: "", src: jwtguard.SourceNone},
	})
}

func TestFromQuery(t *testing.T) {
	t.Parallel()
	const tok = "abc.def.ghi"
	q := func(rawQuery string) func() *http.Request {
		return func() *http.Request { return httptest.NewRequest(http.MethodGet, "/ws?"+rawQuery, nil) }
	}
	runExtract(t, jwtguard.FromQuery("access_token"), []extractCase{
		{name: "present", req: q("access_token=" + tok), tok: tok, src: jwtguard.SourceQuery},
		{name: "among others", req: q("a=1&access_token=" + tok + "&b=2"), tok: tok, src: jwtguard.SourceQuery},
		{name: "absent", req: q("a=1"), tok: "", src: jwtguard.SourceNone},
		{name: "empty", req: q("access_token="), tok: "", src: jwtguard.SourceNone},
		{name: "duplicate", req: q("access_token=" + tok + "&access_token=" + tok), invalid: true},
		{name: "duplicate, one empty", req: q("access_token=&access_token=" + tok), invalid: true},
		{name: "not a token", req: q("access_token=a%20b"), invalid: true},
	})
}

func TestFromFirst(t *testing.T) {
	t.Parallel()
	req := func(auth, cookie, query string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/?t="+query, nil)
			if auth != "" {
				r.Header.Add("Authorization", auth)
			}
			if cookie != "" {
				r.AddCookie(&http.Cookie{Name: "c", Value: cookie})
			}
			return r
		}
	}
	e := jwtguard.FromFirst(jwtguard.FromAuthHeader(), jwtguard.FromCookie("c"), jwtguard.FromQuery("t"))
	runExtract(t, e, []extractCase{
		{name: "header wins", req: req("Bearer h.h.h", "c.c.c", "q.q.q"), tok: "h.h.h", src: jwtguard.SourceHeader},
		{name: "cookie when no header", req: req("", "c.c.c", "q.q.q"), tok: "c.c.c", src: jwtguard.SourceCookie},
		{name: "cookie when header has another scheme", req: req("Basic dXNlcjpwYXNz", "c.c.c", ""), tok: "c.c.c", src: jwtguard.SourceCookie},
		{name: "query last", req: req("", "", "q.q.q"), tok: "q.q.q", src: jwtguard.SourceQuery},
		{name: "nothing", req: req("", "", ""), tok: "", src: jwtguard.SourceNone},
		{name: "malformed header stops the search", req: req("Bearer", "c.c.c", ""), invalid: true},
	})
	runExtract(t, jwtguard.FromFirst(jwtguard.FromCookie("c"), jwtguard.FromAuthHeader()), []extractCase{
		{name: "order is respected", req: req("Bearer h.h.h", "c.c.c", ""), tok: "c.c.c", src: jwtguard.SourceCookie},
	})
	runExtract(t, jwtguard.FromFirst(), []extractCase{
		{name: "no extractors", req: req("Bearer h.h.h", "", ""), tok: "", src: jwtguard.SourceNone},
	})
}

func TestExtractorFunc(t *testing.T) {
	t.Parallel()
	e := jwtguard.ExtractorFunc(func(r *http.Request) (string, jwtguard.Source, error) {
		return r.Header.Get("X-T"), jwtguard.SourceHeader, nil
	})
	runExtract(t, e, []extractCase{{name: "func", req: withHeaders("X-T", "a.b.c"), tok: "a.b.c", src: jwtguard.SourceHeader}})
}

// TestAuthenticateExtraction runs the extractor errors through Authenticate:
// they become *Error values with the RFC 6750 status.
func TestAuthenticateExtraction(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t)
	tok := good(t, "HS256")
	cases := []struct {
		name   string
		auth   []string
		want   error
		status int
	}{
		{"valid", []string{"Bearer " + tok}, nil, 200},
		{"no token", nil, jwtguard.ErrNoToken, 401},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, jwtguard.ErrNoToken, 401},
		{"two headers", []string{"Bearer " + tok, "Bearer " + tok}, jwtguard.ErrInvalidRequest, 400},
		{"Bearer alone", []string{"Bearer"}, jwtguard.ErrInvalidRequest, 400},
		{"bad token", []string{"Bearer a.b.c"}, jwtguard.ErrMalformedToken, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, a := range c.auth {
				r.Header.Add("Authorization", a)
			}
			cl, err := v.Authenticate(r)
			if c.want == nil {
				if err != nil || cl == nil || cl.Subject != "user-1" {
					t.Fatalf("Authenticate = %v, %v", cl, err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var e *jwtguard.Error
			if !errors.As(err, &e) || e.Status != c.status {
				t.Fatalf("err %v: want *Error with status %d", err, c.status)
			}
		})
	}
}

// TestCookieCrossOrigin checks that a cookie-borne token on an unsafe method
// is accepted only when the request passes cross-origin protection.
func TestCookieCrossOrigin(t *testing.T) {
	t.Parallel()
	tok := good(t, "HS256")
	cookieOnly := jwtguard.WithExtractor(jwtguard.FromCookie("access_token"))
	both := jwtguard.WithExtractor(jwtguard.FromFirst(jwtguard.FromAuthHeader(), jwtguard.FromCookie("access_token")))
	protected := staticVerifier(t, cookieOnly)
	trusted := staticVerifier(t, cookieOnly, jwtguard.WithTrustedOrigins("https://app.example.test"))
	open := staticVerifier(t, cookieOnly, jwtguard.WithoutCrossOriginProtection())
	mixed := staticVerifier(t, both)

	type req struct {
		method string
		site   string // Sec-Fetch-Site; "" = absent
		origin string // Origin; "" = absent
		cookie bool
		bearer bool
	}
	cases := []struct {
		name string
		v    *jwtguard.Verifier
		r    req
		want error
	}{
		{"GET cross-site", protected, req{method: "GET", site: "cross-site", cookie: true}, nil},
		{"HEAD cross-site", protected, req{method: "HEAD", site: "cross-site", cookie: true}, nil},
		{"OPTIONS cross-site", protected, req{method: "OPTIONS", site: "cross-site", cookie: true}, nil},
		{"POST cross-site", protected, req{method: "POST", site: "cross-site", cookie: true}, jwtguard.ErrCrossOrigin},
		{"PUT cross-site", protected, req{method: "PUT", site: "cross-site", cookie: true}, jwtguard.ErrCrossOrigin},
		{"PATCH cross-site", protected, req{method: "PATCH", site: "cross-site", cookie: true}, jwtguard.ErrCrossOrigin},
		{"DELETE cross-site", protected, req{method: "DELETE", site: "cross-site", cookie: true}, jwtguard.ErrCrossOrigin},
		{"POST same-site (other subdomain)", protected, req{method: "POST", site: "same-site", cookie: true}, jwtguard.ErrCrossOrigin},
		{"POST same-origin", protected, req{method: "POST", site: "same-origin", cookie: true}, nil},
		{"POST user-initiated", protected, req{method: "POST", site: "none", cookie: true}, nil},
		{"POST old browser, foreign Origin", protected, req{method: "POST", origin: "https://evil.example.test", cookie: true}, jwtguard.ErrCrossOrigin},
		{"POST old browser, same Origin", protected, req{method: "POST", origin: "http://example.com", cookie: true}, nil},
		{"POST non-browser client", protected, req{method: "POST", cookie: true}, nil},
		{"POST cross-site from trusted origin", trusted, req{method: "POST", site: "cross-site", origin: "https://app.example.test", cookie: true}, nil},
		{"POST cross-site from untrusted origin", trusted, req{method: "POST", site: "cross-site", origin: "https://evil.example.test", cookie: true}, jwtguard.ErrCrossOrigin},
		{"POST cross-site, protection off", open, req{method: "POST", site: "cross-site", origin: "https://evil.example.test", cookie: true}, nil},
		{"DELETE cross-site, protection off", open, req{method: "DELETE", site: "cross-site", cookie: true}, nil},
		{"POST cross-site with Authorization header", mixed, req{method: "POST", site: "cross-site", bearer: true, cookie: true}, nil},
		{"POST cross-site, cookie fallback", mixed, req{method: "POST", site: "cross-site", cookie: true}, jwtguard.ErrCrossOrigin},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(c.r.method, "http://example.com/api", nil)
			if c.r.site != "" {
				r.Header.Set("Sec-Fetch-Site", c.r.site)
			}
			if c.r.origin != "" {
				r.Header.Set("Origin", c.r.origin)
			}
			if c.r.cookie {
				r.AddCookie(&http.Cookie{Name: "access_token", Value: tok})
			}
			if c.r.bearer {
				r.Header.Set("Authorization", "Bearer "+tok)
			}
			cl, err := c.v.Authenticate(r)
			if c.want == nil {
				if err != nil || cl == nil {
					t.Fatalf("Authenticate = %v, %v", cl, err)
				}
				return
			}
			if !errors.Is(err, jwtguard.ErrCrossOrigin) {
				t.Fatalf("err = %v, want ErrCrossOrigin", err)
			}
			if e := jwtguard.AsError(err); e.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", e.Status)
			}
		})
	}
}
