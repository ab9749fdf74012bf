package jose

import (
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzParseHeader: ParseHeader never panics, an accepted header has a
// non-empty Alg, every error wraps ErrMalformed, and DecodeHeader agrees
// with ParseHeader on the base64url form.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		`{"alg":"RS256"}`, `{"alg":"ES256","kid":"k","typ":"JWT"}`, `{"alg":"HS256","b64":true}`,
		`{"alg":"RS256","crit":["b64"],"b64":false}`, `{"alg":"dir","enc":"A256GCM"}`, `{"alg":"RS256","cty":"JWT"}`,
		`{"alg":"RS256","alg":"none"}`, `{"alg":"RS256","x":[[[[[[[[]]]]]]]]}`, `{"alg":"a\u0062c","kid":"\ud83d\ude00"}`,
		`{}`, `[]`, `null`, "", `{"alg":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHeader(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
		} else if h.Alg == "" {
			t.Fatal("accepted a header without alg")
		}
		h2, err2 := DecodeHeader(base64.RawURLEncoding.EncodeToString(data))
		if (err == nil) != (err2 == nil) || h != h2 {
			t.Fatalf("DecodeHeader = %+v, %v; ParseHeader = %+v, %v", h2, err2, h, err)
		}
	})
}

// FuzzAppendBase64: accepted input is exactly the canonical unpadded
// base64url encoding of what it decodes to, and the reference decoder
// (strict mode) accepts exactly what AppendBase64 accepts.
func FuzzAppendBase64(f *testing.F) {
	for _, s := range []string{"", "AA", "AAA", "AAAA", "QQ", "QR", "-_8", "A", "AA==", "+/+/", "eyJhbGciOiJSUzI1NiJ9", " AAA"} {
		f.Add(s)
	}
	strict := base64.RawURLEncoding.Strict()
	f.Fuzz(func(t *testing.T, s string) {
		got, err := AppendBase64(nil, s)
		want, refErr := strict.DecodeString(s)
		if refErr != nil || containsCRLF(s) { // the reference skips \r and \n
			if err == nil {
				t.Fatalf("AppendBase64(%q) accepted non-canonical input", s)
			}
			return
		}
		if err != nil {
			t.Fatalf("AppendBase64(%q) = %v, reference accepts it", s, err)
		}
		if string(got) != string(want) || DecodedLen(len(s)) != len(got) {
			t.Fatalf("AppendBase64(%q) = %x, reference %x", s, got, want)
		}
		if enc := base64.RawURLEncoding.EncodeToString(got); enc != s {
			t.Fatalf("AppendBase64(%q) accepted; it re-encodes as %q", s, enc)
		}
	})
}

func containsCRLF(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			return true
		}
	}
	return false
}
