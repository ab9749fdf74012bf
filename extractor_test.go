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
	want    jwtguard.Credential // zero: no token
	invalid bool                // want ErrInvalidRequest (400)
}

func runExtract(t *testing.T, e jwtguard.Extractor, cases []extractCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cred, err := e.Extract(c.req())
			if c.invalid {
				if !errors.Is(err, jwtguard.ErrInvalidRequest) {
					t.Fatalf("err = %v, want ErrInvalidRequest", err)
				}
				if e := jwtguard.AsError(err); e.Status != http.StatusBadRequest || e.Code != "invalid_request" {
					t.Fatalf("status %d code %q, want 400 invalid_request", e.Status, e.Code)
				}
				if cred != (jwtguard.Credential{}) {
					t.Fatalf("credential %+v returned with an error", cred)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if cred != c.want {
				t.Fatalf("got %+v; want %+v", cred, c.want)
			}
		})
	}
}

func header(tok string) jwtguard.Credential {
	return jwtguard.Credential{Token: tok, Scheme: "Bearer", Source: "header"}
}

func cookieCred(tok string) jwtguard.Credential {
	return jwtguard.Credential{Token: tok, Scheme: "Bearer", Source: "cookie"}
}

func queryCred(tok string) jwtguard.Credential {
	return jwtguard.Credential{Token: tok, Scheme: "Bearer", Source: "query"}
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
		{name: "Bearer", req: auth("Bearer " + tok), want: header(tok)},
		{name: "bearer lower case", req: auth("bearer " + tok), want: header(tok)},
		{name: "BEARER upper case", req: auth("BEARER " + tok), want: header(tok)},
		{name: "bEaReR mixed case", req: auth("bEaReR " + tok), want: header(tok)},
		{name: "extra spaces before token", req: auth("Bearer   " + tok), want: header(tok)},
		{name: "b64token with ~+/ and padding", req: auth("Bearer abc-._~+/xyz=="), want: header("abc-._~+/xyz==")},
		{name: "no header", req: auth()},
		{name: "Basic is no token", req: auth("Basic dXNlcjpwYXNz")},
		{name: "DPoP is no token", req: auth("DPoP " + tok)},
		{name: "scheme glued to token is another scheme", req: auth("Bearer" + tok)},
		{name: "two headers", req: auth("Bearer "+tok, "Bearer "+tok), invalid: true},
		{name: "two headers, other scheme first", req: auth("Basic dXNlcjpwYXNz", "Bearer "+tok), invalid: true},
		{name: "Bearer alone", req: auth("Bearer"), invalid: true},
		{name: "bearer alone", req: auth("bearer"), invalid: true},
		{name: "Bearer and a space", req: auth("Bearer "), invalid: true},
		{name: "space inside token", req: auth("Bearer abc def"), invalid: true},
		{name: "trailing space", req: auth("Bearer " + tok + " "), invalid: true},
		{name: "tab", req: auth("Bearer\t" + tok)},
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
		{name: "whole value", req: withHeaders("X-Api-Token", tok), want: header(tok)},
		{name: "name is case-insensitive", req: withHeaders("x-api-token", tok), want: header(tok)},
		{name: "absent", req: withHeaders("Authorization", "Bearer "+tok)},
		{name: "scheme not stripped", req: withHeaders("X-Api-Token", "Bearer "+tok), invalid: true},
		{name: "twice", req: withHeaders("X-Api-Token", tok, tok), invalid: true},
	})
	// A custom scheme is reported as configured, whatever case the request
	// used.
	custom := jwtguard.Credential{Token: tok, Scheme: "Token", Source: "header"}
	runExtract(t, jwtguard.FromHeader("X-Auth", "Token"), []extractCase{
		{name: "custom scheme", req: withHeaders("X-Auth", "Token "+tok), want: custom},
		{name: "custom scheme any case", req: withHeaders("X-Auth", "TOKEN "+tok), want: custom},
		{name: "other scheme", req: withHeaders("X-Auth", "Bearer "+tok)},
		{name: "scheme alone", req: withHeaders("X-Auth", "Token"), invalid: true},
	})
	runExtract(t, jwtguard.FromHeader("X-Auth", "bearer"), []extractCase{
		{name: "Bearer spelled in lower case is reported canonically", req: withHeaders("X-Auth", "Bearer "+tok), want: header(tok)},
	})
}

func TestFromCookie(t *testing.T) {
	t.Parallel()
	const tok = "abc.def.ghi"
	cookies := func(pairs ...string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for i := 0; i+1 < len(pairs); i += 2 {
				r.AddCookie(&http.Cookie{Name: pairs[i], Value: pairs[i+1]})
			}
			return r
		}
	}
	runExtract(t, jwtguard.FromCookie("access_token"), []extractCase{
		{name: "present", req: cookies("access_token", tok), want: cookieCred(tok)},
		{name: "other cookie", req: cookies("session", tok)},
		{name: "empty value", req: cookies("access_token", "")},
		{name: "no cookie", req: withHeaders("X-Other", "1")},
		{name: "not a token", req: withHeaders("Cookie", "access_token=a!b"), invalid: true},
		{name: "Authorization header is not a cookie", req: withHeaders("Authorization", "Bearer "+tok)},
		// Issue 12 item 14, cookie tossing: a cookie planted from a sibling
		// subdomain beside the user's must not win by order.
		{name: "two cookies, different values", req: cookies("access_token", tok, "access_token", "evil.evil.evil"), invalid: true},
		{name: "two cookies, different values, other order", req: cookies("access_token", "evil.evil.evil", "access_token", tok), invalid: true},
		{name: "two Cookie headers, different values", req: withHeaders("Cookie", "access_token="+tok, "access_token=evil.evil.evil"), invalid: true},
		{name: "identical duplicates accepted", req: cookies("access_token", tok, "access_token", tok), want: cookieCred(tok)},
		{name: "duplicate with an empty one", req: cookies("access_token", "", "access_token", tok), want: cookieCred(tok)},
		{name: "other cookies around", req: cookies("a", "1", "access_token", tok, "b", "2"), want: cookieCred(tok)},
	})
}

func TestFromQuery(t *testing.T) {
	t.Parallel()
	const tok = "abc.def.ghi"
	q := func(rawQuery string) func() *http.Request {
		return func() *http.Request { return httptest.NewRequest(http.MethodGet, "/ws?"+rawQuery, nil) }
	}
	runExtract(t, jwtguard.FromQuery("access_token"), []extractCase{
		{name: "present", req: q("access_token=" + tok), want: queryCred(tok)},
		{name: "among others", req: q("a=1&access_token=" + tok + "&b=2"), want: queryCred(tok)},
		{name: "absent", req: q("a=1")},
		{name: "empty", req: q("access_token=")},
		{name: "duplicate", req: q("access_token=" + tok + "&access_token=" + tok), invalid: true},
		{name: "duplicate, one empty", req: q("access_token=&access_token=" + tok), invalid: true},
		{name: "not a token", req: q("access_token=a%20b"), invalid: true},
	})
}

// TestFromOneOf (issue 12 item 14): a token from any one of the
// extractors; a request carrying credentials two ways is 400
// invalid_request (RFC 6750 §2: clients MUST NOT use more than one method).
func TestFromOneOf(t *testing.T) {
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
	e := jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie("c"), jwtguard.FromQuery("t"))
	runExtract(t, e, []extractCase{
		{name: "header only", req: req("Bearer h.h.h", "", ""), want: header("h.h.h")},
		{name: "cookie only", req: req("", "c.c.c", ""), want: cookieCred("c.c.c")},
		{name: "query only", req: req("", "", "q.q.q"), want: queryCred("q.q.q")},
		{name: "cookie when header has another scheme", req: req("Basic dXNlcjpwYXNz", "c.c.c", ""), want: cookieCred("c.c.c")},
		{name: "nothing", req: req("", "", "")},
		{name: "header and cookie", req: req("Bearer h.h.h", "c.c.c", ""), invalid: true},
		{name: "header and cookie, same token", req: req("Bearer h.h.h", "h.h.h", ""), invalid: true},
		{name: "cookie and query", req: req("", "c.c.c", "q.q.q"), invalid: true},
		{name: "header and query", req: req("Bearer h.h.h", "", "q.q.q"), invalid: true},
		{name: "all three", req: req("Bearer h.h.h", "c.c.c", "q.q.q"), invalid: true},
		{name: "malformed header stops the search", req: req("Bearer", "c.c.c", ""), invalid: true},
		{name: "malformed cookie stops the search", req: func() *http.Request {
			r := req("Bearer h.h.h", "", "")()
			r.Header.Add("Cookie", "c=a!b")
			return r
		}, invalid: true},
	})
	runExtract(t, jwtguard.FromOneOf(jwtguard.FromCookie("c"), jwtguard.FromAuthHeader()), []extractCase{
		{name: "order does not make two ways acceptable", req: req("Bearer h.h.h", "c.c.c", ""), invalid: true},
		{name: "header, cookie extractor first", req: req("Bearer h.h.h", "", ""), want: header("h.h.h")},
	})
	runExtract(t, jwtguard.FromOneOf(), []extractCase{
		{name: "no extractors", req: req("Bearer h.h.h", "", "")},
	})
}

// customExtractor implements Extractor (ExtractorFunc is gone).
type customExtractor struct{}

func (customExtractor) Extract(r *http.Request) (jwtguard.Credential, error) {
	tok := r.Header.Get("X-T")
	if tok == "" {
		return jwtguard.Credential{}, nil
	}
	return jwtguard.Credential{Token: tok, Scheme: "Bearer", Source: "x-t"}, nil
}

func TestCustomExtractor(t *testing.T) {
	t.Parallel()
	runExtract(t, customExtractor{}, []extractCase{
		{name: "custom", req: withHeaders("X-T", "a.b.c"), want: jwtguard.Credential{Token: "a.b.c", Scheme: "Bearer", Source: "x-t"}},
		{name: "custom, none", req: withHeaders("X-U", "a.b.c")},
	})
	// Combined with a built-in one, two ways are still refused.
	runExtract(t, jwtguard.FromOneOf(jwtguard.FromAuthHeader(), customExtractor{}), []extractCase{
		{name: "custom and header", req: func() *http.Request {
			r := withHeaders("X-T", "a.b.c")()
			r.Header.Set("Authorization", "Bearer a.b.c")
			return r
		}, invalid: true},
	})
}

// TestAuthenticateExtraction runs the extractor errors through Authenticate:
// they become *Error values with the RFC 6750 status.
func TestAuthenticateExtraction(t *testing.T) {
	t.Parallel()
	tok := good(t, "HS256")
	v := staticVerifier(t)
	both := staticVerifier(t, jwtguard.WithExtractor(jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie("access_token"))))
	cases := []struct {
		name   string
		v      *jwtguard.Verifier
		auth   []string
		cookie []string
		want   error
		status int
	}{
		{"valid", v, []string{"Bearer " + tok}, nil, nil, 200},
		{"no token", v, nil, nil, jwtguard.ErrNoToken, 401},
		{"other scheme", v, []string{"Basic dXNlcjpwYXNz"}, nil, jwtguard.ErrNoToken, 401},
		{"two headers", v, []string{"Bearer " + tok, "Bearer " + tok}, nil, jwtguard.ErrInvalidRequest, 400},
		{"Bearer alone", v, []string{"Bearer"}, nil, jwtguard.ErrInvalidRequest, 400},
		{"bad token", v, []string{"Bearer a.b.c"}, nil, jwtguard.ErrMalformedToken, 401},
		{"header or cookie: header", both, []string{"Bearer " + tok}, nil, nil, 200},
		{"header or cookie: cookie", both, nil, []string{tok}, nil, 200},
		{"header and cookie", both, []string{"Bearer " + tok}, []string{tok}, jwtguard.ErrInvalidRequest, 400},
		{"two cookies, different values", both, nil, []string{tok, good(t, "ES256")}, jwtguard.ErrInvalidRequest, 400},
		{"two cookies, same value", both, nil, []string{tok, tok}, nil, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, a := range c.auth {
				r.Header.Add("Authorization", a)
			}
			for _, ck := range c.cookie {
				r.AddCookie(&http.Cookie{Name: "access_token", Value: ck})
			}
			cl, err := c.v.Authenticate(r)
			if c.want == nil {
				if err != nil || cl == nil || cl.Subject != "user-1" {
					t.Fatalf("Authenticate = %v, %v", cl, err)
				}
				return
			}
			checkErr(t, err, c.want)
			if e := jwtguard.AsError(err); e.Status != c.status {
				t.Fatalf("err %v: status %d, want %d", err, e.Status, c.status)
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
	both := jwtguard.WithExtractor(jwtguard.FromOneOf(jwtguard.FromAuthHeader(), jwtguard.FromCookie("access_token")))
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
		{"POST cross-site with Authorization header only", mixed, req{method: "POST", site: "cross-site", bearer: true}, nil},
		// Changed on purpose: a header and a cookie together are refused
		// (FromOneOf), instead of the header winning.
		{"POST cross-site with Authorization header and cookie", mixed, req{method: "POST", site: "cross-site", bearer: true, cookie: true}, jwtguard.ErrInvalidRequest},
		{"POST cross-site, cookie only", mixed, req{method: "POST", site: "cross-site", cookie: true}, jwtguard.ErrCrossOrigin},
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
			checkErr(t, err, c.want)
			want := http.StatusForbidden
			if c.want == jwtguard.ErrInvalidRequest {
				want = http.StatusBadRequest
			}
			if e := jwtguard.AsError(err); e.Status != want {
				t.Fatalf("status %d, want %d", e.Status, want)
			}
		})
	}
}
