package jose

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"math/big"
	"sync"
	"testing"
)

// TestECDSADERMatchesVerify checks that verifying through ecdsaDER +
// ecdsa.VerifyASN1 accepts and refuses exactly what ecdsa.Verify with
// big.Int r, s does, including values with leading zero bytes, with the
// high bit set, zero, and out of range.
func TestECDSADERMatchesVerify(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"ES256", "ES384", "ES512"} {
		spec := algs[name]
		priv, err := ecdsa.GenerateKey(spec.Curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key := &Key{ec: &priv.PublicKey}
		msg := []byte("header.payload")
		var buf [64]byte
		d := digest(spec.Hash, msg, &buf)
		n := spec.Curve.Params().N
		fixed := func(r, s *big.Int) []byte {
			out := make([]byte, 2*spec.Size)
			if r.Sign() >= 0 && r.BitLen() <= 8*spec.Size {
				r.FillBytes(out[:spec.Size])
			}
			if s.Sign() >= 0 && s.BitLen() <= 8*spec.Size {
				s.FillBytes(out[spec.Size:])
			}
			return out
		}
		type pair struct{ r, s *big.Int }
		var cases []pair
		for range 16 { // genuine signatures: many have a high bit or a leading zero byte
			r, s, err := ecdsa.Sign(rand.Reader, priv, d)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, pair{r, s}, pair{s, r}, pair{r, new(big.Int).Add(s, big.NewInt(1))})
		}
		r0, s0, _ := ecdsa.Sign(rand.Reader, priv, d)
		one := big.NewInt(1)
		cases = append(cases,
			pair{big.NewInt(0), s0}, pair{r0, big.NewInt(0)}, pair{big.NewInt(0), big.NewInt(0)},
			pair{one, one}, pair{new(big.Int).Set(n), s0}, pair{r0, new(big.Int).Add(s0, n)},
			pair{new(big.Int).Sub(n, one), s0}, pair{new(big.Int).Lsh(one, uint(8*spec.Size-1)), s0},
		)
		accepted := 0
		for i, c := range cases {
			sig := fixed(c.r, c.s)
			// The reference: what the JOSE bytes mean as big integers.
			rr, ss := new(big.Int).SetBytes(sig[:spec.Size]), new(big.Int).SetBytes(sig[spec.Size:])
			want := rr.Sign() != 0 && ss.Sign() != 0 && ecdsa.Verify(&priv.PublicKey, d, rr, ss)
			if got := Verify(spec, key, msg, sig); got != want {
				t.Fatalf("%s case %d: verifySig = %v, ecdsa.Verify = %v", name, i, got, want)
			}
			if want {
				accepted++
			}
		}
		if accepted < 16 {
			t.Fatalf("%s: only %d genuine signatures accepted", name, accepted)
		}
		// Wrong lengths are refused before any parsing.
		sig := fixed(r0, s0)
		for _, bad := range [][]byte{sig[:len(sig)-1], append(append([]byte{}, sig...), 0), nil} {
			if Verify(spec, key, msg, bad) {
				t.Fatalf("%s: signature of length %d accepted", name, len(bad))
			}
		}
	}
}

// TestECDSADEREncoding pins the DER layout for the edge cases.
func TestECDSADEREncoding(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		sig  []byte
		size int
		want []byte
		ok   bool
	}{
		{"small", []byte{0, 1, 0, 2}, 2, []byte{0x30, 6, 2, 1, 1, 2, 1, 2}, true},
		{"high bit", []byte{0x80, 0, 0x7f, 0xff}, 2, []byte{0x30, 9, 2, 3, 0, 0x80, 0, 2, 2, 0x7f, 0xff}, true},
		{"zero r", []byte{0, 0, 0, 2}, 2, nil, false},
		{"zero s", []byte{0, 1, 0, 0}, 2, nil, false},
	}
	for _, c := range cases {
		got, ok := ecdsaDER(nil, c.sig, c.size)
		if ok != c.ok || string(got) != string(c.want) {
			t.Errorf("%s: ecdsaDER = %x, %v; want %x, %v", c.name, got, ok, c.want, c.ok)
		}
	}
	// P-521 sizes need the long length form.
	sig := make([]byte, 132)
	for i := range sig {
		sig[i] = 0xff
	}
	got, ok := ecdsaDER(nil, sig, 66)
	if !ok || got[0] != 0x30 || got[1] != 0x81 || int(got[2]) != len(got)-3 || len(got) != 3+2*(2+67) {
		t.Fatalf("P-521 DER = %x", got)
	}
}

// TestHMACPooled checks the pooled HMAC against crypto/hmac for every HS
// algorithm on one key, alternating and concurrently, and that a wrong or
// truncated MAC is refused.
func TestHMACPooled(t *testing.T) {
	t.Parallel()
	secret := make([]byte, 64)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	key := &Key{secret: secret}
	news := map[string]func() hash.Hash{"HS256": sha256.New, "HS384": sha512.New384, "HS512": sha512.New}
	sign := func(alg string, msg []byte) []byte {
		m := hmac.New(news[alg], secret)
		m.Write(msg)
		return m.Sum(nil)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				for _, alg := range []string{"HS256", "HS384", "HS512"} {
					spec := algs[alg]
					msg := []byte{byte(g), byte(i), 'x'}
					sig := sign(alg, msg)
					if !Verify(spec, key, msg, sig) {
						t.Errorf("%s: genuine MAC refused", alg)
						return
					}
					bad := append([]byte{}, sig...)
					bad[i%len(bad)] ^= 1
					if Verify(spec, key, msg, bad) || Verify(spec, key, msg, sig[:len(sig)-1]) ||
						Verify(spec, key, append(msg, 'y'), sig) {
						t.Errorf("%s: wrong MAC accepted", alg)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
