package jose

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// bumpLast sets the lowest bit of the last character's value: decoders
// that ignore unused trailing bits read the same bytes (RFC 4648 §3.5).
func bumpLast(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i|1])
}

func TestAppendBase64(t *testing.T) {
	t.Parallel()
	enc := base64.RawURLEncoding.EncodeToString
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := []struct {
		name string
		in   string
		want []byte // nil: ErrBase64
	}{
		{"empty", "", []byte{}},
		{"0 mod 4", enc([]byte("abc")), []byte("abc")},
		{"2 mod 4", enc([]byte("a")), []byte("a")},
		{"3 mod 4", enc([]byte("ab")), []byte("ab")},
		{"every byte value", enc(all), all},
		{"url alphabet", "-_-_", []byte{0xfb, 0xff, 0xbf}},
		{"1 mod 4 impossible length", "AAAAA", nil},
		{"single character", "A", nil},
		{"padding", enc([]byte("a")) + "==", nil},
		{"single padding", enc([]byte("ab")) + "=", nil},
		{"standard alphabet plus", "+AAA", nil},
		{"standard alphabet slash", "AA/A", nil},
		{"space", "AA AA", nil},
		{"newline", "AAAA\nAAAA", nil},
		{"nul", "AA\x00A", nil},
		{"non-ascii", "AAé", nil},
		{"unused bits set, 2 mod 4", bumpLast(enc([]byte("a"))), nil},
		{"unused bits set, 3 mod 4", bumpLast(enc([]byte("ab"))), nil},
		{"unused bits in first group ok", enc([]byte{0xff, 0xff, 0xff}), []byte{0xff, 0xff, 0xff}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := AppendBase64([]byte("pre"), c.in)
			if c.want == nil {
				if !errors.Is(err, ErrBase64) {
					t.Fatalf("AppendBase64(%q) = %x, %v; want ErrBase64", c.in, got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, append([]byte("pre"), c.want...)) {
				t.Fatalf("AppendBase64(%q) = %x, %v; want %x", c.in, got, err, c.want)
			}
			if n := DecodedLen(len(c.in)); n != len(c.want) {
				t.Fatalf("DecodedLen(%d) = %d, want %d", len(c.in), n, len(c.want))
			}
		})
	}
}

func TestDecodedLen(t *testing.T) {
	t.Parallel()
	for n := range 64 {
		want := -1
		if n%4 != 1 {
			for m := 0; m < 64; m++ {
				if base64.RawURLEncoding.EncodedLen(m) == n {
					want = m
					break
				}
			}
		}
		if got := DecodedLen(n); got != want {
			t.Errorf("DecodedLen(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestSplit(t *testing.T) { // not parallel: AllocsPerRun
	cases := []struct {
		in      string
		h, p, s string
		ok      bool
	}{
		{"a.b.c", "a", "b", "c", true},
		{"..", "", "", "", true},
		{"a.b.", "a", "b", "", true},
		{"", "", "", "", false},
		{"abc", "", "", "", false},
		{"a.b", "", "", "", false},
		{"a.b.c.d", "", "", "", false},
		{"a.b.c.d.e", "", "", "", false},
		{"a.b.c.", "", "", "", false},
	}
	for _, c := range cases {
		h, p, s, ok := Split(c.in)
		if h != c.h || p != c.p || s != c.s || ok != c.ok {
			t.Errorf("Split(%q) = %q, %q, %q, %v; want %q, %q, %q, %v", c.in, h, p, s, ok, c.h, c.p, c.s, c.ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _, _ = Split("header.payload.signature") }); n != 0 {
		t.Errorf("Split allocates %v times", n)
	}
}

func TestViewStringAndStringBytes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		want string
		err  bool
		view bool // the result points into raw
	}{
		{`"kid-1"`, "kid-1", false, true},
		{`""`, "", false, false},
		{`"a\u0062c"`, "abc", false, false},
		{`"a\"b"`, `a"b`, false, false},
		{`1`, "", true, false},
		{`"unterminated`, "", true, false},
		{`null`, "", true, false},
	}
	for _, c := range cases {
		raw := []byte(c.raw)
		got, err := ViewString(raw)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ViewString(%s) = %q, %v; want %q, error %v", c.raw, got, err, c.want, c.err)
			continue
		}
		if c.view {
			raw[1] = 'X' // the view sees the change: no copy was made
			if got[0] != 'X' {
				t.Errorf("ViewString(%s) copied", c.raw)
			}
		}
	}
	s := "signing input"
	if b := StringBytes(s); string(b) != s || len(b) != len(s) {
		t.Fatalf("StringBytes = %q", b)
	}
	if len(StringBytes("")) != 0 {
		t.Fatal("StringBytes of an empty string is not empty")
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 65)
	for in, want := range map[string]string{"": "", "kid": "kid", long[:64]: long[:64], long: long[:64] + "…"} {
		if got := Truncate(in); got != want {
			t.Errorf("Truncate(%d bytes) = %q, want %q", len(in), got, want)
		}
	}
}
