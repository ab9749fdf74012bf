package jwtguard

import (
	"regexp"
	"strings"
	"testing"
)

// b64TokenRE is RFC 6750 §2.1's b64token, the reference for isB64Token.
var b64TokenRE = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

// FuzzIsB64Token holds isB64Token (eight bytes a step) to the grammar,
// both ways.
func FuzzIsB64Token(f *testing.F) {
	for _, s := range []string{"", "=", "a", "a=", "a==", "a=b", "abcdefgh", "abcdefghi", "abcdefg=", "abcdefg ",
		"abcdefgh=", "abcd efgh", strings.Repeat("a", 64) + "==", strings.Repeat("a", 64) + "=a", "ab\x00cdefghij",
		"abcdefghijklmn\xff", "abc-._~+/xyz==", "ünïcode", "abcdefghijklmnop\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isB64Token(s), b64TokenRE.MatchString(s); got != want {
			t.Fatalf("isB64Token(%q) = %v, the grammar says %v", s, got, want)
		}
	})
}
