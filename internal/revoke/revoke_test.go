package revoke

import (
	"strings"
	"testing"
	"time"
)

// TestKeyUnambiguous: distinct issuer and value pairs never share a key,
// whatever separators they hold.
func TestKeyUnambiguous(t *testing.T) {
	t.Parallel()
	pairs := [][2]string{
		{"", "a"}, {"a", ""}, {"x:", "y"}, {"x", ":y"}, {"", "x::y"}, {"1:x", "y"},
		{"https://a.example.com", "jti"}, {"https://a.example.com:", "jti"}, {"", "21:https://a.example.com:jti"},
	}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := Key(p[0], p[1])
		if q, dup := seen[k]; dup {
			t.Errorf("Key(%q, %q) = Key(%q, %q) = %q", p[0], p[1], q[0], q[1], k)
		}
		seen[k] = p
	}
	if got := Key("https://a.example.com", "j"); got != "21:https://a.example.com:j" {
		t.Errorf("Key = %q", got)
	}
}

func TestCovers(t *testing.T) {
	t.Parallel()
	before := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		iat  time.Time
		skew time.Duration
		want bool
	}{
		{time.Time{}, 0, true},
		{before.Add(-time.Nanosecond), 0, true},
		{before, 0, false},
		{before.Add(29 * time.Second), DefaultSkew, true},
		{before.Add(DefaultSkew), DefaultSkew, false},
	} {
		if got := Covers(before, tc.iat, tc.skew); got != tc.want {
			t.Errorf("Covers(before, before%+v, %s) = %v", tc.iat.Sub(before), tc.skew, got)
		}
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	s := Defaults()
	if err := s.SetSkew(time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSkew(time.Minute); err == nil || !strings.Contains(err.Error(), "WithSkew given twice") {
		t.Errorf("second SetSkew: %v", err)
	}
	if err := s.SetGrace(maxDuration + 1); err == nil || !strings.Contains(err.Error(), "WithGrace") {
		t.Errorf("SetGrace(too long): %v", err)
	}
	if got, want := s.SubjectUntil(time.Unix(0, 0)), time.Unix(0, 0).Add(DefaultMaxTokenLifetime+time.Minute+DefaultGrace); !got.Equal(want) {
		t.Errorf("SubjectUntil = %s, want %s", got, want)
	}
	if got, want := s.TokenUntil(time.Unix(0, 0)), time.Unix(0, 0).Add(DefaultGrace); !got.Equal(want) {
		t.Errorf("TokenUntil = %s, want %s", got, want)
	}
}

func TestParseScoped(t *testing.T) {
	t.Parallel()
	for _, p := range [][2]string{{"", ""}, {"https://a.example.com", "jti"}, {"x:", ":y"}, {"", "3:abc:d"}} {
		iss, v, ok := ParseScoped(Key(p[0], p[1]))
		if !ok || iss != p[0] || v != p[1] {
			t.Errorf("ParseScoped(Key(%q, %q)) = %q, %q, %v", p[0], p[1], iss, v, ok)
		}
	}
	for _, bad := range []string{"", ":", "x:a:b", "-1:a:b", "+1:a:b", "01:a:b", "5:abc:d", "3:abcd", "99999999:a:b"} {
		if _, _, ok := ParseScoped(bad); ok {
			t.Errorf("ParseScoped(%q) accepted", bad)
		}
	}
}

func TestParseKeyName(t *testing.T) {
	t.Parallel()
	tp := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" // RFC 7638 §3.1's example
	if got, kid, err := ParseKeyName(tp); err != nil || kid != "" || got == [32]byte{} {
		t.Errorf("ParseKeyName(thumbprint) = %x, %q, %v", got, kid, err)
	}
	if _, kid, err := ParseKeyName("kid:2011-04-29"); err != nil || kid != "2011-04-29" {
		t.Errorf("ParseKeyName(kid) = %q, %v", kid, err)
	}
	for _, bad := range []string{"", "kid:", tp + "=", tp[:42], "NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs", strings.Repeat("a", 300)} {
		if err := CheckKeyName(bad); err == nil {
			t.Errorf("CheckKeyName(%q) accepted", bad)
		}
	}
}

func FuzzParseScoped(f *testing.F) {
	f.Add(Key("https://a.example.com", "jti"))
	f.Add("0::")
	f.Add("3:ab:c")
	f.Fuzz(func(t *testing.T, s string) {
		iss, v, ok := ParseScoped(s)
		if ok && Key(iss, v) != s {
			t.Fatalf("ParseScoped(%q) = %q, %q, but Key gives %q", s, iss, v, Key(iss, v))
		}
	})
}
