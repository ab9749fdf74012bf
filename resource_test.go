package jwtguard

// Resource limits (issue 5 §4): rejections must be cheap and bounded.
// Malformed tokens are refused before the key set is even consulted (so
// before any signature work), a flood of unique invalid tokens does not grow
// memory, and the number of signature attempts per token is capped however
// many keys a set holds. Bounds are coarse on purpose; the exact costs are
// measured by BenchmarkRejection (reject_bench_test.go).

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingSource counts how often the key set is consulted, which happens
// only right before signature verification.
type countingSource struct {
	keySource
	n atomic.Int64
}

func (c *countingSource) current() (*keySet, error) {
	c.n.Add(1)
	return c.keySource.current()
}

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
	h, p, s, _ := splitToken(valid)
	hdr := func(j string) string { return b64(j) + "." + p + "." + s }
	pay := func(j string) string { return h + "." + b64(j) + "." + s }
	sigBytes, _ := fuzzB64.DecodeString(s)
	badSig := append([]byte{}, sigBytes...)
	badSig[10] ^= 1
	return []rejectionClass{
		{name: "too-large", tok: valid + strings.Repeat("A", DefaultMaxTokenSize), want: ErrTokenTooLarge},
		{name: "2-parts", tok: h + "." + p, want: ErrMalformedToken},
		{name: "5-parts", tok: h + "." + p + "." + s + ".x.y", want: ErrMalformedToken},
		{name: "header-bad-base64", tok: "*" + valid, want: ErrMalformedToken},
		{name: "header-not-json", tok: hdr("not json"), want: ErrMalformedToken},
		{name: "header-array", tok: hdr("[]"), want: ErrMalformedToken},
		{name: "header-duplicate-alg", tok: hdr(`{"alg":"none","alg":"RS256","kid":"rs"}`), want: ErrMalformedToken},
		{name: "header-deep", tok: hdr(`{"alg":"RS256","x":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}`), want: ErrMalformedToken},
		{name: "header-huge-4KB", tok: hdr(`{"alg":"RS256","kid":"rs",` + hugeMembers(60) + `,"crit":["x"]}`), want: ErrMalformedToken},
		{name: "alg-none", tok: hdr(`{"alg":"none"}`), want: ErrAlgorithmNotAllowed},
		{name: "alg-not-allowed", tok: hdr(`{"alg":"RS512","kid":"rs"}`), want: ErrAlgorithmNotAllowed},
		{name: "crit", tok: hdr(`{"alg":"RS256","kid":"rs","crit":["exp"]}`), want: ErrMalformedToken},
		{name: "b64-false", tok: hdr(`{"alg":"RS256","kid":"rs","b64":false}`), want: ErrMalformedToken},
		{name: "jwe-header", tok: hdr(`{"alg":"RS256","enc":"A128GCM"}`), want: ErrMalformedToken},
		{name: "payload-bad-base64", tok: h + ".*" + p + "." + s, want: ErrMalformedToken},
		{name: "payload-not-json", tok: pay("not json"), want: ErrMalformedToken},
		{name: "payload-duplicate-iss", tok: pay(`{"iss":"a","iss":"b","exp":4102444800}`), want: ErrMalformedToken},
		{name: "payload-deep", tok: pay(`{"exp":1,"x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`), want: ErrMalformedToken},
		{name: "exp-string", tok: pay(`{"exp":"4102444800"}`), want: ErrInvalidClaim},
		{name: "missing-exp", tok: pay(`{"iss":"` + fuzzIssuer + `"}`), want: ErrMissingClaim},
		{name: "aud-number", tok: pay(`{"exp":4102444800,"aud":1}`), want: ErrInvalidClaim},
		{name: "signature-bad-base64", tok: h + "." + p + ".*" + s, want: ErrMalformedToken},
		{name: "signature-padded", tok: valid + "==", want: ErrMalformedToken},
		{name: "signature-empty", tok: h + "." + p + ".", want: ErrInvalidSignature},
		{name: "unknown-kid", tok: hdr(`{"alg":"RS256","kid":"nope"}`), want: ErrKeyNotFound, keysConsulted: true},
		{name: "kid-wrong-key-type", tok: hdr(`{"alg":"RS256","kid":"es"}`), want: ErrAlgorithmNotAllowed, keysConsulted: true},
		{name: "bad-signature-RS256", tok: h + "." + p + "." + fuzzB64.EncodeToString(badSig), want: ErrInvalidSignature, keysConsulted: true},
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

func TestResourceMalformedRejectedBeforeKeyLookup(t *testing.T) {
	v := fuzzVerifier(t)
	cs := &countingSource{keySource: v.source}
	v.source = cs
	for _, rc := range rejectionClasses(t) {
		t.Run(rc.name, func(t *testing.T) {
			before := cs.n.Load()
			_, err := v.Verify(context.Background(), rc.tok)
			if !errors.Is(err, rc.want) {
				t.Fatalf("Verify = %v, want %v", err, rc.want)
			}
			consulted := cs.n.Load() != before
			if consulted != rc.keysConsulted {
				t.Fatalf("key set consulted = %v, want %v (malformed tokens must be refused before any key or signature work)", consulted, rc.keysConsulted)
			}
		})
	}
	// Control: a valid token does consult the keys.
	before := cs.n.Load()
	if _, err := v.Verify(context.Background(), fuzzMint(t, "ES256", fuzzHeaderJSON("ES256"), fuzzClaimsJSON(""))); err != nil {
		t.Fatal(err)
	}
	if cs.n.Load() == before {
		t.Fatal("a valid token was verified without consulting the key set")
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
	v := fuzzVerifier(t, WithCache(10_000, time.Minute))
	ctx := context.Background()
	valid := fuzzMint(t, "EdDSA", fuzzHeaderJSON("EdDSA"), fuzzClaimsJSON(""))
	h, p, _, _ := splitToken(valid)
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

func TestResourceSignatureAttemptsBounded(t *testing.T) {
	// A set with many keys, with and without kids: a token never makes more
	// than maxKeysTried signature attempts.
	var keys []*verifyKey
	for i := range 200 {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		kid := ""
		if i%2 == 0 {
			kid = "dup"
		}
		keys = append(keys, &verifyKey{kid: kid, ed: pub})
	}
	ks := newKeySet(keys)
	spec := supportedAlgs["EdDSA"]
	for _, kid := range []string{"", "dup"} {
		if n := len(ks.candidates(kid, spec, nil)); n == 0 || n > maxKeysTried {
			t.Fatalf("kid %q: %d candidate keys, want 1..%d", kid, n, maxKeysTried)
		}
	}
	if n := len(ks.candidates("absent", spec, nil)); n != 0 {
		t.Fatalf("unknown kid: %d candidates, want 0", n)
	}
}
