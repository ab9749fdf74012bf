package jwtguard_test

// Resource bounds of token verification (issue 5 §4): rejections must be
// cheap and bounded. Each test states its bound:
//
//   - TestResourceMalformedRejectedBeforeKeyLookup: a token that is not
//     well-formed is refused before the issuer's key set is consulted, so
//     before any signature work or key fetch.
//   - TestResourceRejectionAllocations: at most 20 allocations per
//     rejection (2 per distinct header member name beyond that), whatever
//     the nesting depth or value size.
//   - TestResourceInvalidTokenFloodMemory: 40,000 unique invalid tokens
//     grow the heap by less than 8 MiB (nothing is retained), token cache on.
//   - TestResourceSignatureAttemptsBounded: at most 8 signature attempts per
//     token, however many keys fit it.
//
// Bounds are coarse on purpose; the exact costs are measured by
// BenchmarkRejection (reject_bench_test.go).

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// resDefaultMaxTokenSize is the documented default token size cap (8 KiB).
const resDefaultMaxTokenSize = 8 << 10

// rejectionClass is one kind of invalid token, built from a valid one.
type rejectionClass struct {
	name string
	tok  string
	want error
	// keysConsulted is true for classes that legitimately reach the key
	// set (the token is well-formed; only the key or signature is wrong).
	keysConsulted bool
}

// rejectionClasses returns one token per rejection class, for the fuzz
// verifier (fuzzVerifier).
func rejectionClasses(tb testing.TB) []rejectionClass {
	tb.Helper()
	b64 := func(s string) string { return fuzzB64.EncodeToString([]byte(s)) }
	valid := fuzzMint(tb, "RS256", fuzzHeaderJSON("RS256"), fuzzClaimsJSON(""))
	parts := strings.Split(valid, ".")
	h, p, s := parts[0], parts[1], parts[2]
	hdr := func(j string) string { return b64(j) + "." + p + "." + s }
	pay := func(j string) string { return h + "." + b64(j) + "." + s }
	sigBytes, _ := fuzzB64.DecodeString(s)
	badSig := append([]byte{}, sigBytes...)
	badSig[10] ^= 1
	return []rejectionClass{
		{name: "too-large", tok: valid + strings.Repeat("A", resDefaultMaxTokenSize), want: jwtguard.ErrTokenTooLarge},
		{name: "2-parts", tok: h + "." + p, want: jwtguard.ErrMalformedToken},
		{name: "5-parts", tok: h + "." + p + "." + s + ".x.y", want: jwtguard.ErrMalformedToken},
		{name: "header-bad-base64", tok: "*" + valid, want: jwtguard.ErrMalformedToken},
		{name: "header-not-json", tok: hdr("not json"), want: jwtguard.ErrMalformedToken},
		{name: "header-array", tok: hdr("[]"), want: jwtguard.ErrMalformedToken},
		{name: "header-duplicate-alg", tok: hdr(`{"alg":"none","alg":"RS256","kid":"rs"}`), want: jwtguard.ErrMalformedToken},
		{name: "header-deep", tok: hdr(`{"alg":"RS256","x":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}`), want: jwtguard.ErrMalformedToken},
		{name: "header-huge-4KB", tok: hdr(`{"alg":"RS256","kid":"rs",` + hugeMembers(60) + `,"crit":["x"]}`), want: jwtguard.ErrMalformedToken},
		{name: "alg-none", tok: hdr(`{"alg":"none"}`), want: jwtguard.ErrAlgorithmNotAllowed},
		{name: "alg-not-allowed", tok: hdr(`{"alg":"RS512","kid":"rs"}`), want: jwtguard.ErrAlgorithmNotAllowed},
		{name: "crit", tok: hdr(`{"alg":"RS256","kid":"rs","crit":["exp"]}`), want: jwtguard.ErrMalformedToken},
		{name: "b64-false", tok: hdr(`{"alg":"RS256","kid":"rs","b64":false}`), want: jwtguard.ErrMalformedToken},
		{name: "jwe-header", tok: hdr(`{"alg":"RS256","enc":"A128GCM"}`), want: jwtguard.ErrMalformedToken},
		{name: "payload-bad-base64", tok: h + ".*" + p + "." + s, want: jwtguard.ErrMalformedToken},
		{name: "payload-not-json", tok: pay("not json"), want: jwtguard.ErrMalformedToken},
		{name: "payload-duplicate-iss", tok: pay(`{"iss":"a","iss":"b","exp":4102444800}`), want: jwtguard.ErrMalformedToken},
		{name: "payload-deep", tok: pay(`{"exp":1,"x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`), want: jwtguard.ErrMalformedToken},
		{name: "exp-string", tok: pay(`{"exp":"4102444800"}`), want: jwtguard.ErrInvalidClaim},
		{name: "missing-exp", tok: pay(`{"iss":"` + fuzzIssuer + `"}`), want: jwtguard.ErrMissingClaim},
		{name: "aud-number", tok: pay(`{"exp":4102444800,"aud":1}`), want: jwtguard.ErrInvalidClaim},
		{name: "issuer-unknown", tok: pay(`{"iss":"https://evil.example","aud":"` + fuzzAudience + `","exp":4102444800}`), want: jwtguard.ErrInvalidIssuer},
		{name: "signature-bad-base64", tok: h + "." + p + ".*" + s, want: jwtguard.ErrMalformedToken},
		{name: "signature-padded", tok: valid + "==", want: jwtguard.ErrMalformedToken},
		{name: "signature-empty", tok: h + "." + p + ".", want: jwtguard.ErrInvalidSignature},
		{name: "unknown-kid", tok: hdr(`{"alg":"RS256","kid":"nope"}`), want: jwtguard.ErrKeyNotFound, keysConsulted: true},
		{name: "kid-wrong-key-type", tok: hdr(`{"alg":"RS256","kid":"es"}`), want: jwtguard.ErrAlgorithmNotAllowed, keysConsulted: true},
		{name: "bad-signature-RS256", tok: h + "." + p + "." + fuzzB64.EncodeToString(badSig), want: jwtguard.ErrInvalidSignature, keysConsulted: true},
	}
}

// hugeMembers returns n distinct members of about 70 bytes each.
func hugeMembers(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"x%03d%s":1`, i, strings.Repeat("y", 60))
	}
	return strings.Join(parts, ",")
}

// resDownTransport answers every request 503 and counts them: a key source
// that never loads.
type resDownTransport struct{ hits atomic.Int64 }

func (d *resDownTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	d.hits.Add(1)
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(nil)), Request: r}, nil
}

func TestResourceMalformedRejectedBeforeKeyLookup(t *testing.T) {
	t.Parallel()
	// Two verifiers that differ only in their keys: the fuzz verifier's
	// static keys, and a JWKS that never loads. A token that consults the
	// key set gets ErrKeysUnavailable from the second; a token refused
	// before gets the same verdict from both.
	loaded := fuzzVerifier(t)
	down := &resDownTransport{}
	unloaded, err := jwtguard.New(
		jwtguard.WithIssuer(fuzzIssuer, jwtguard.JWKS("https://keys.fuzz.test/jwks.json").WithHTTPClient(&http.Client{Transport: down})),
		jwtguard.WithAudience(fuzzAudience), jwtguard.WithAlgorithms(fuzzAlgs...),
		jwtguard.WithClock(func() time.Time { return fuzzNow }), jwtguard.WithLeeway(fuzzLeeway),
		jwtguard.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unloaded.Close() })
	ctx := context.Background()
	for _, rc := range rejectionClasses(t) {
		t.Run(rc.name, func(t *testing.T) {
			if _, err := loaded.Verify(ctx, rc.tok); !errors.Is(err, rc.want) {
				t.Fatalf("Verify = %v, want %v", err, rc.want)
			}
			_, err := unloaded.Verify(ctx, rc.tok)
			consulted := errors.Is(err, jwtguard.ErrKeysUnavailable)
			if consulted != rc.keysConsulted {
				t.Fatalf("key set consulted = %v (%v), want %v (malformed tokens must be refused before any key or signature work)", consulted, err, rc.keysConsulted)
			}
			if !consulted && !errors.Is(err, rc.want) {
				t.Fatalf("without keys: Verify = %v, want %v", err, rc.want)
			}
		})
	}
	// Control: a valid token does consult the keys.
	valid := fuzzMint(t, "ES256", fuzzHeaderJSON("ES256"), fuzzClaimsJSON(""))
	if _, err := loaded.Verify(ctx, valid); err != nil {
		t.Fatal(err)
	}
	if _, err := unloaded.Verify(ctx, valid); !errors.Is(err, jwtguard.ErrKeysUnavailable) {
		t.Fatalf("a valid token without keys: Verify = %v, want ErrKeysUnavailable", err)
	}
	// The unloaded verifier's key source is live (it keeps trying), so its
	// ErrKeysUnavailable above is not a configuration mistake.
	for deadline := time.Now().Add(10 * time.Second); down.hits.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the unloaded key source never asked for keys")
		}
	}
}

func TestResourceRejectionAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts: not in -short mode")
	}
	v := fuzzVerifier(t)
	ctx := context.Background()
	for _, rc := range rejectionClasses(t) {
		if rc.keysConsulted {
			continue
		}
		allocs := testing.AllocsPerRun(50, func() { _, _ = v.Verify(ctx, rc.tok) })
		// A rejection costs the error value and a few wrapped messages; it
		// must not grow with nesting depth or value size. Only the number of
		// distinct member names (bounded by the token size cap) costs
		// allocations, for duplicate detection.
		limit := 20.0
		if rc.name == "header-huge-4KB" {
			limit = 2*60 + 20
		}
		if allocs > limit {
			t.Errorf("%s: %.0f allocations per rejection, want <= %.0f", rc.name, allocs, limit)
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestResourceInvalidTokenFloodMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("flood: not in -short mode")
	}
	v := fuzzVerifier(t, jwtguard.WithCache(10_000, time.Minute))
	ctx := context.Background()
	valid := fuzzMint(t, "EdDSA", fuzzHeaderJSON("EdDSA"), fuzzClaimsJSON(""))
	parts := strings.Split(valid, ".")
	h, p := parts[0], parts[1]
	rnd := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return fuzzB64.EncodeToString(b)
	}
	flood := func(n int) {
		for i := range n {
			var tok string
			switch i % 4 {
			case 0: // unique unknown kid
				tok = fuzzB64.EncodeToString([]byte(`{"alg":"EdDSA","kid":"`+rnd(24)+`"}`)) + "." + p + "." + rnd(64)
			case 1: // unique bad signature under a trusted kid
				tok = h + "." + p + "." + rnd(64)
			case 2: // unique garbage
				tok = rnd(300)
			default: // unique payload, bad signature
				tok = h + "." + fuzzB64.EncodeToString(fuzzClaimsJSON(`"n":"`+rnd(30)+`"`)) + "." + rnd(64)
			}
			if _, err := v.Verify(ctx, tok); err == nil {
				t.Fatal("accepted an invalid token")
			}
		}
	}
	// Control: the cache does hold verified tokens.
	if _, err := v.Verify(ctx, valid); err != nil {
		t.Fatal(err)
	}
	flood(2_000) // warm up
	before := heapInUse()
	flood(40_000)
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("heap before %d KiB, after 40,000 unique invalid tokens %d KiB", before>>10, after>>10)
	if growth > 8<<20 {
		t.Fatalf("heap grew by %d KiB for 40,000 unique invalid tokens; want < 8 MiB (nothing should be retained)", growth>>10)
	}
}

// TestResourceSignatureAttemptsBounded: however many keys fit a token (200
// kid-less keys, or 200 keys sharing its kid), at most 8 are tried. The
// genuine key is found as the 8th candidate and never as the 9th.
func TestResourceSignatureAttemptsBounded(t *testing.T) {
	t.Parallel()
	const maxAttempts, nKeys = 8, 200
	_, signer, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	decoys := make([]ed25519.PublicKey, nKeys)
	for i := range decoys {
		if decoys[i], _, err = ed25519.GenerateKey(rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	// keysWithGenuineAt returns the decoys with the signer's public key at
	// index at, all with kid (none when kid is "").
	keysWithGenuineAt := func(at int, kid string) jwk.Set {
		set := jwk.NewSet()
		for i, pub := range decoys {
			if i == at {
				pub = signer.Public().(ed25519.PublicKey)
			}
			k, err := jwk.FromRaw(pub)
			if err != nil {
				t.Fatal(err)
			}
			if kid != "" {
				_ = k.Set(jwk.KeyIDKey, kid)
			}
			_ = set.AddKey(k)
		}
		return set
	}
	mint := func(kid string) string {
		hdr := `{"alg":"EdDSA"}`
		if kid != "" {
			hdr = `{"alg":"EdDSA","kid":"` + kid + `"}`
		}
		input := fuzzB64.EncodeToString([]byte(hdr)) + "." + fuzzB64.EncodeToString(fuzzClaimsJSON(""))
		return input + "." + fuzzB64.EncodeToString(ed25519.Sign(signer, []byte(input)))
	}
	cases := []struct {
		name     string
		setKid   string // the kid of every key of the set
		tokenKid string
	}{
		{"kid-less-keys/token-without-kid", "", ""},
		// Kid-less static keys verify tokens whose kid no key carries.
		{"kid-less-keys/token-with-unknown-kid", "", "absent"},
		{"keys-sharing-the-kid", "dup", "dup"},
	}
	for _, tc := range cases {
		for _, at := range []int{0, maxAttempts - 1, maxAttempts, nKeys - 1} {
			t.Run(fmt.Sprintf("%s/genuine-key-at-%d", tc.name, at), func(t *testing.T) {
				v, err := jwtguard.New(jwtguard.WithIssuer(fuzzIssuer, jwtguard.StaticKeys(keysWithGenuineAt(at, tc.setKid))),
					jwtguard.WithAudience(fuzzAudience), jwtguard.WithAlgorithms("EdDSA"),
					jwtguard.WithClock(func() time.Time { return fuzzNow }))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = v.Close() })
				_, err = v.Verify(context.Background(), mint(tc.tokenKid))
				if at < maxAttempts {
					if err != nil {
						t.Fatalf("genuine key as candidate %d of %d: %v", at+1, nKeys, err)
					}
				} else if !errors.Is(err, jwtguard.ErrInvalidSignature) {
					t.Fatalf("genuine key as candidate %d of %d: Verify = %v, want ErrInvalidSignature (more than %d signature attempts)", at+1, nKeys, err, maxAttempts)
				}
			})
		}
	}
	// A kid no key carries, in a set whose keys all have kids: no attempt.
	v, err := jwtguard.New(jwtguard.WithIssuer(fuzzIssuer, jwtguard.StaticKeys(keysWithGenuineAt(0, "dup"))),
		jwtguard.WithAudience(fuzzAudience), jwtguard.WithAlgorithms("EdDSA"),
		jwtguard.WithClock(func() time.Time { return fuzzNow }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	if _, err := v.Verify(context.Background(), mint("absent")); !errors.Is(err, jwtguard.ErrKeyNotFound) {
		t.Fatalf("unknown kid: Verify = %v, want ErrKeyNotFound", err)
	}
}
