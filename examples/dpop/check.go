package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/jwtguardtest"
)

// runCheck runs the client through every case over real HTTP and prints
// one line per request: the status and challenge it got, and what it
// should have got. The refusals are also checked for their error code on
// the DPoP challenge, so a 401 for another reason does not pass.
func runCheck(origin string, c *dpopClient, idp *jwtguardtest.Issuer) error {
	rec := &recorder{}
	c.http.Transport = rec
	k := &checker{}
	url := origin + "/api/orders"
	get := func() *http.Request { r, _ := http.NewRequest("GET", url, nil); return r }

	// 1. The nonce round trip: the client's first proof has no nonce; the
	//    server refuses it and sends one; the client sends the request
	//    again with a proof carrying it.
	do(c, get())
	if len(rec.sent) == 2 {
		first := k.expect("first request, no nonce yet: the server sends one", rec.sent[0], 401, "use_dpop_nonce")
		k.that(first != nil && first.Header.Get("DPoP-Nonce") != "", "…with a DPoP-Nonce header")
		k.expect("the client sends it again, with the server's nonce", rec.sent[1], 200, "")
	} else {
		k.that(false, fmt.Sprintf("the first request took %d exchanges, want 2 (use_dpop_nonce, then 200)", len(rec.sent)))
	}

	// 2. Success: the client keeps the nonce, so one exchange each.
	rec.sent = nil
	do(c, get())
	ok := k.expect("next request: token and a fresh proof", rec.last(), 200, "")
	k.that(len(rec.sent) == 1, "…in one exchange (the client kept the nonce)")
	var proof string
	if ok != nil {
		proof = ok.Request.Header.Get("DPoP")
	}
	post, _ := http.NewRequest("POST", url, strings.NewReader(`{"item":"book"}`))
	rec.sent = nil
	do(c, post)
	k.expect("POST: the proof names the method", rec.last(), 201, "")

	// 3. A replay: the proof of the successful GET, sent again.
	if proof != "" {
		k.expect("the same proof again (a replay)", send("GET", url, "DPoP "+c.token, proof), 401, "invalid_dpop_proof")
	} else {
		k.that(false, "a replay: no proof of a successful request to replay")
	}

	// 4. A stolen token: without the key it is worth nothing. The thief
	//    can get a nonce like anyone, so the refusal is the binding's.
	k.expect("stolen token as a bearer token", send("GET", url, "Bearer "+c.token, ""), 401, "invalid_token")
	thief, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p, _ := signProof(thief, "GET", url, c.token, c.nonce)
	k.expect("stolen token, proof signed with the thief's key", send("GET", url, "DPoP "+c.token, p), 401, "invalid_token")

	// 5. A proof is for one method and URL.
	p, _ = signProof(c.key, "GET", origin+"/api/admin", c.token, c.nonce)
	k.expect("proof for another URL (/api/admin)", send("GET", url, "DPoP "+c.token, p), 401, "invalid_dpop_proof")
	p, _ = signProof(c.key, "GET", url, c.token, c.nonce)
	k.expect("proof for GET, sent with a POST", send("POST", url, "DPoP "+c.token, p), 401, "invalid_dpop_proof")

	// 6. dpop.Allowed: a token that is not DPoP-bound still works as a
	//    bearer token.
	plain := idp.Mint(jwtguardtest.Claims{"sub": "bob", "exp": time.Now().Add(time.Hour).Unix()}, jwtguardtest.WithAlg("ES256"))
	k.expect("a token not DPoP-bound, as a bearer token", send("GET", url, "Bearer "+plain, ""), 200, "")

	if k.failed > 0 {
		return fmt.Errorf("dpop example check failed: %d unexpected result(s)", k.failed)
	}
	fmt.Println("dpop example check passed")
	return nil
}

// do sends req with the client; the recorder keeps the answers.
func do(c *dpopClient, req *http.Request) {
	resp, err := c.Do(req)
	if err != nil {
		fmt.Printf("FAIL %s %s: %v\n", req.Method, req.URL, err)
		return
	}
	resp.Body.Close()
}

// send makes one request by hand: Authorization auth, DPoP proof ("": no
// DPoP header).
func send(method, url, auth, proof string) *http.Response {
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Authorization", auth)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		fmt.Printf("FAIL %s %s: %v\n", method, url, err)
		return nil
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// recorder is the client's transport during the check: it keeps every
// response (with a copy of its body), so the check sees both answers of a
// nonce round trip.
type recorder struct{ sent []*http.Response }

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	kept := *resp
	kept.Body = io.NopCloser(bytes.NewReader(body))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	rec.sent = append(rec.sent, &kept)
	return resp, nil
}

func (rec *recorder) last() *http.Response {
	if len(rec.sent) == 0 {
		return nil
	}
	return rec.sent[len(rec.sent)-1]
}

type checker struct{ failed int }

// expect checks resp's status and the error code on its DPoP challenge
// (code "": no challenge at all), prints the line and returns resp.
func (k *checker) expect(what string, resp *http.Response, status int, code string) *http.Response {
	if resp == nil {
		k.that(false, what+": no response")
		return nil
	}
	challenge := resp.Header.Get("WWW-Authenticate")
	mark := "ok  "
	if resp.StatusCode != status || dpopError(challenge) != code || (code == "" && challenge != "") {
		mark = "FAIL"
		k.failed++
	}
	want := fmt.Sprint(status)
	if code != "" {
		want += " " + code
	}
	detail := ""
	if challenge != "" {
		detail = " WWW-Authenticate: " + challenge
	} else if body, _ := io.ReadAll(resp.Body); len(body) > 0 {
		detail = " " + strings.TrimSpace(string(body))
	}
	fmt.Printf("%s %-50s %-4s %s → %d (want %s)%s\n", mark, what, resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, detail)
	return resp
}

// that records a check that is not one response.
func (k *checker) that(ok bool, what string) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		k.failed++
	}
	fmt.Printf("%s %s\n", mark, what)
}

// dpopError is the error code of the DPoP challenge in a WWW-Authenticate
// value ("" if none): in `Bearer realm="dpop", DPoP realm="dpop",
// algs="...", error="invalid_dpop_proof"` it is invalid_dpop_proof.
func dpopError(challenge string) string {
	i := strings.Index(challenge, "DPoP ")
	if i < 0 {
		return ""
	}
	_, rest, ok := strings.Cut(challenge[i:], `error="`)
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(rest, `"`)
	return code
}
