// Command dpop shows DPoP (RFC 9449) end to end: an API that takes
// DPoP-bound access tokens, and a client that holds the key the token is
// bound to and signs a fresh proof for every request. A stolen token is
// then useless without the key, and a stolen proof cannot be replayed.
// Run it from the repository root:
//
//	go run ./examples/dpop          # serve on 127.0.0.1:8080 and print curl commands
//	go run ./examples/dpop -check   # run the client through every case; exit 0 only if all are as expected
//
// The verifier has jwtguard.WithDPoP with dpop.Allowed (bearer tokens still
// work, a DPoP-bound token never works as one), the API's origin (the htu
// every proof must name) and a nonce secret, so the server also hands out
// nonces that proofs must carry (RFC 9449 §9). The client (dpopClient,
// signProof) uses only the standard library: a proof is a small JWT signed
// with crypto/ecdsa. The embedded identity provider mints the token; a real
// one binds it at its token endpoint, to the key of the DPoP proof the
// client sends there (RFC 9449 §5). Every refusal is logged with its reason
// (jwtguard.WithLogger): the client gets only the error code and a generic
// description, the operator the detail.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/jwtguard/jwtguard/dpop"
	"github.com/jwtguard/jwtguard/examples/internal/demo"
	"github.com/jwtguard/jwtguard/jwtguardtest"
	"github.com/jwtguard/jwtguard/nethttp"
)

func main() { demo.Main("127.0.0.1:8080", run) }

func run(addr string, check bool) error {
	// 1. An identity provider (in a real service: your provider's issuer URL).
	idp, err := jwtguardtest.StartIssuer()
	if err != nil {
		return err
	}
	defer idp.Close()

	// 2. Listen first: the API's origin is what every proof's htu names.
	//    Behind a proxy it is the external origin ("https://api.example.com").
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", addr, err)
	}
	origin := "http://" + ln.Addr().String()

	// 3. The verifier, with DPoP. The nonce secret is configuration, the
	//    same on every instance of the API (here: a random one per run).
	nonceSecret := make([]byte, 32)
	rand.Read(nonceSecret)
	v, err := jwtguard.New(
		jwtguard.WithIssuer(idp.URL(), jwtguard.Discovery()),
		jwtguard.WithAudience(jwtguardtest.DefaultAudience),
		jwtguard.WithAlgorithms("ES256"),
		jwtguard.WithRealm("dpop"),
		jwtguard.WithLogger(slog.Default()), // each refusal and its reason
		jwtguard.WithDPoP(dpop.Config{
			Mode:        dpop.Allowed, // dpop.Required: DPoP only
			Origins:     []string{origin},
			NonceSecret: nonceSecret,
		}),
	)
	if err != nil {
		ln.Close()
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

	// 4. The API: every route behind the middleware.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/orders", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtguard.FromContext(r.Context())
		answer := map[string]any{"sub": c.Subject, "orders": []string{"A-1", "A-2"}}
		if jkt, ok := c.Get("cnf.jkt"); ok { // the key a DPoP-bound token is bound to
			answer["jkt"] = jkt
		}
		writeJSON(w, http.StatusOK, answer)
	})
	mux.HandleFunc("POST /api/orders", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]string{"id": "A-3"})
	})
	srv := &http.Server{Handler: nethttp.Middleware(v)(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	// 5. The client's key, and an access token bound to it (cnf.jkt, the
	//    key's RFC 7638 thumbprint). The identity provider sees only the
	//    thumbprint — a real one takes it from the public key of the proof
	//    sent to its token endpoint.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	bound, err := jwtguardtest.NewDPoPKeyFrom(key, "ES256", nil)
	if err != nil {
		return err
	}
	token := idp.Mint(jwtguardtest.Claims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()},
		jwtguardtest.WithAlg("ES256"), jwtguardtest.WithDPoPBinding(bound.Thumbprint()))
	client := &dpopClient{http: &http.Client{Timeout: 5 * time.Second}, key: key, token: token}

	if check {
		return runCheck(origin, client, idp)
	}
	return printCommands(origin, client, bound.Thumbprint())
}

// dpopClient calls an API with a DPoP-bound access token, as RFC 9449
// says: every request carries "Authorization: DPoP <token>" and, in the
// DPoP header, a fresh proof signed with the key the token is bound to.
// When the server asks for a nonce (401 error="use_dpop_nonce" with a
// DPoP-Nonce header), the request is sent once more with a proof carrying
// it; the nonce is kept for the next requests.
type dpopClient struct {
	http  *http.Client
	key   *ecdsa.PrivateKey
	token string

	mu    sync.Mutex
	nonce string // the server's latest DPoP-Nonce
}

// Do sends req with the token and a proof, and once more with the
// server's nonce if it asks for one. To be sent again, a request with a
// body needs req.GetBody (http.NewRequest sets it for in-memory bodies).
func (c *dpopClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.send(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("DPoP-Nonce") == "" ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) ||
		(req.Body != nil && req.GetBody == nil) {
		return resp, err
	}
	resp.Body.Close()
	if req.GetBody != nil {
		if req.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return c.send(req)
}

// send sends req once with the token and a fresh proof, and keeps the
// nonce the server sends.
func (c *dpopClient) send(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	nonce := c.nonce
	c.mu.Unlock()
	proof, err := signProof(c.key, req.Method, req.URL.String(), c.token, nonce)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "DPoP "+c.token)
	req.Header.Set("DPoP", proof)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if n := resp.Header.Get("DPoP-Nonce"); n != "" {
		c.mu.Lock()
		c.nonce = n
		c.mu.Unlock()
	}
	return resp, nil
}

// signProof returns a DPoP proof (RFC 9449 §4.2) for a request of method
// to url: a JWT of type dpop+jwt whose header carries the public key and
// whose claims name the request (htm, and htu: the URL without query or
// fragment), with a unique jti, the time (iat), the hash of the access
// token (ath) and the server's nonce if there is one — signed with the
// private key (ES256).
func signProof(key *ecdsa.PrivateKey, method, url, token, nonce string) (string, error) {
	pub, err := key.PublicKey.Bytes() // 0x04 || x || y, 32 bytes each on P-256
	if err != nil {
		return "", err
	}
	htu, _, _ := strings.Cut(url, "?")
	htu, _, _ = strings.Cut(htu, "#")
	ath := sha256.Sum256([]byte(token))
	header := map[string]any{
		"typ": "dpop+jwt",
		"alg": "ES256",
		"jwk": map[string]string{"kty": "EC", "crv": "P-256", "x": b64(pub[1:33]), "y": b64(pub[33:])},
	}
	claims := map[string]any{
		"jti": rand.Text(),
		"htm": method,
		"htu": htu,
		"iat": time.Now().Unix(),
		"ath": b64(ath[:]),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64) // JWS ES256 is r || s, 32 bytes each (RFC 7518 §3.4), not ASN.1
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// printCommands prints curl commands for the API and waits for Ctrl-C.
// curl cannot sign proofs, so the proofs are made here; each is good for
// one request within a minute (DPoP's default proof lifetime).
func printCommands(origin string, c *dpopClient, jkt string) error {
	url := origin + "/api/orders"
	noNonce, err := signProof(c.key, "GET", url, c.token, "")
	if err != nil {
		return err
	}
	// Ask the server for a nonce, as the client does on its first request.
	req, _ := http.NewRequest("GET", url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	withNonce, err := signProof(c.key, "GET", url, c.token, c.nonce)
	if err != nil {
		return err
	}
	fmt.Printf("jwtguard dpop example: API on %s (DPoP with server nonces; bearer tokens allowed)\n\n", origin)
	fmt.Printf("alice's access token, bound to the client's key (cnf.jkt %s):\n%s\n\n", jkt, c.token)
	fmt.Printf("# the DPoP-bound token as a bearer token → expect 401 invalid_token\n")
	fmt.Printf("curl -i -H 'Authorization: Bearer %s' %s\n\n", c.token, url)
	fmt.Printf("# token and proof without a nonce → expect 401 use_dpop_nonce and a DPoP-Nonce header\n")
	fmt.Printf("curl -i -H 'Authorization: DPoP %s' -H 'DPoP: %s' %s\n\n", c.token, noNonce, url)
	fmt.Printf("# token and proof with the server's nonce → expect 200 once, within a minute; again → 401 invalid_dpop_proof (a replay)\n")
	fmt.Printf("curl -i -H 'Authorization: DPoP %s' -H 'DPoP: %s' %s\n\n", c.token, withNonce, url)
	fmt.Println("go run ./examples/dpop -check runs the client through every case. Ctrl-C to stop.")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
