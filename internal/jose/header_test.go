package jose

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	t.Parallel()
	var many strings.Builder
	many.WriteString(`{"alg":"RS256"`)
	for i := 1; i < MaxHeaderMembers; i++ {
		fmt.Fprintf(&many, `,"m%d":%d`, i, i)
	}
	atCap := many.String() + "}"
	overCap := many.String() + `,"one":"more"}`
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	cases := []struct {
		name string
		json string
		want Header // zero Alg: an error wrapping ErrMalformed
	}{
		{"minimal", `{"alg":"RS256"}`, Header{Alg: "RS256"}},
		{"kid and typ", `{"alg":"ES256","kid":"k1","typ":"JWT"}`, Header{Alg: "ES256", Kid: "k1", Typ: "JWT"}},
		{"at+jwt", `{"alg":"PS256","typ":"at+jwt"}`, Header{Alg: "PS256", Typ: "at+jwt"}},
		{"application/at+jwt", `{"alg":"EdDSA","typ":"application/at+jwt"}`, Header{Alg: "EdDSA", Typ: "application/at+jwt"}},
		{"escaped kid", `{"alg":"RS256","kid":"a\/b"}`, Header{Alg: "RS256", Kid: "a/b"}},
		{"unknown alg kept for the allowlist to refuse", `{"alg":"none"}`, Header{Alg: "none"}},
		{"b64 true", `{"alg":"RS256","b64":true}`, Header{Alg: "RS256"}},
		{"cty other", `{"alg":"RS256","cty":"json"}`, Header{Alg: "RS256"}},
		{"embedded keys ignored", `{"alg":"RS256","jwk":{"kty":"oct"},"jku":"https://x","x5u":"https://x","x5c":["AA"]}`, Header{Alg: "RS256"}},
		{"leading whitespace", " \n{\"alg\":\"RS256\"}\n", Header{Alg: "RS256"}},
		{"32 members", atCap, Header{Alg: "RS256"}},
		{"depth 8", `{"alg":"RS256","x":` + deep(7) + `}`, Header{Alg: "RS256"}},

		{"33 members", overCap, Header{}},
		{"depth 9", `{"alg":"RS256","x":` + deep(8) + `}`, Header{}},
		{"deep 50", `{"alg":"RS256","x":` + deep(50) + `}`, Header{}},
		{"no alg", `{"typ":"JWT"}`, Header{}},
		{"empty alg", `{"alg":""}`, Header{}},
		{"alg number", `{"alg":256}`, Header{}},
		{"alg null", `{"alg":null}`, Header{}},
		{"ALG upper case", `{"ALG":"RS256"}`, Header{}},
		{"kid number", `{"alg":"RS256","kid":1}`, Header{}},
		{"typ array", `{"alg":"RS256","typ":["JWT"]}`, Header{}},
		{"cty not string", `{"alg":"RS256","cty":1}`, Header{}},
		{"cty JWT", `{"alg":"RS256","cty":"JWT"}`, Header{}},
		{"cty application/jwt", `{"alg":"RS256","cty":"application/JWT"}`, Header{}},
		{"crit unknown", `{"alg":"RS256","crit":["urn:x"],"urn:x":1}`, Header{}},
		{"crit empty", `{"alg":"RS256","crit":[]}`, Header{}},
		{"crit not array", `{"alg":"RS256","crit":"b64"}`, Header{}},
		{"b64 false", `{"alg":"RS256","b64":false}`, Header{}},
		{"b64 false with crit", `{"alg":"RS256","b64":false,"crit":["b64"]}`, Header{}},
		{"b64 string", `{"alg":"RS256","b64":"true"}`, Header{}},
		{"enc", `{"alg":"dir","enc":"A256GCM"}`, Header{}},
		{"zip", `{"alg":"RS256","zip":"DEF"}`, Header{}},
		{"epk", `{"alg":"ECDH-ES","epk":{}}`, Header{}},
		{"p2s", `{"alg":"RS256","p2s":"x"}`, Header{}},
		{"duplicate alg", `{"alg":"RS256","alg":"none"}`, Header{}},
		{"escaped duplicate alg", `{"alg":"RS256","\u0061lg":"none"}`, Header{}},
		{"duplicate kid", `{"alg":"RS256","kid":"a","kid":"b"}`, Header{}},
		{"crit hidden by duplicate", `{"alg":"RS256","crit":["x"],"crit":[]}`, Header{}},
		{"array", `["RS256"]`, Header{}},
		{"not json", `alg=RS256`, Header{}},
		{"empty", ``, Header{}},
		{"null", `null`, Header{}},
		{"trailing data", `{"alg":"RS256"}{}`, Header{}},
		{"trailing garbage", `{"alg":"RS256"}x`, Header{}},
		{"bom", "\xef\xbb\xbf{\"alg\":\"RS256\"}", Header{}},
		{"invalid utf-8", "{\"alg\":\"RS256\",\"x\":\"\xff\"}", Header{}},
		{"control character", "{\"alg\":\"RS256\",\"x\":\"\x01\"}", Header{}},
		{"single quotes", `{'alg':'RS256'}`, Header{}},
		{"comment", `{/*c*/"alg":"RS256"}`, Header{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseHeader([]byte(c.json))
			if c.want.Alg == "" {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("ParseHeader = %+v, %v; want ErrMalformed", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseHeader = %+v, %v; want %+v", got, err, c.want)
			}
			// The same through base64url.
			got, err = DecodeHeader(base64.RawURLEncoding.EncodeToString([]byte(c.json)))
			if err != nil || got != c.want {
				t.Fatalf("DecodeHeader = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func TestDecodeHeaderEncoding(t *testing.T) {
	t.Parallel()
	good := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"k1"}`)) // 3 mod 4
	for name, hs := range map[string]string{
		"padded":           good + "=",
		"standard":         base64.StdEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"k1"}`)),
		"unused bits":      bumpLast(good),
		"impossible len":   good[:len(good)-2],
		"whitespace":       good[:5] + " " + good[5:],
		"empty":            "",
		"secret-in-header": "c2VjcmV0LXRva2VuLXRleHQ",
	} {
		_, err := DecodeHeader(hs)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: DecodeHeader = %v, want ErrMalformed", name, err)
			continue
		}
		if hs != "" && strings.Contains(err.Error(), hs) {
			t.Errorf("%s: the error repeats the header text: %v", name, err)
		}
	}
	if h, err := DecodeHeader(good); err != nil || h.Alg != "HS256" || h.Kid != "k1" {
		t.Fatalf("DecodeHeader(canonical) = %+v, %v", h, err)
	}
}

// TestParseHeaderInterning pins the allocation budget: a header with a
// supported alg, a common typ and an unescaped kid costs nothing beyond the
// strict JSON reader.
func TestParseHeaderInterning(t *testing.T) { // not parallel: AllocsPerRun
	data := []byte(`{"alg":"RS256","typ":"JWT","kid":"key-2024"}`)
	var h Header
	n := testing.AllocsPerRun(200, func() {
		var err error
		if h, err = ParseHeader(data); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("ParseHeader allocates %v times, want 0", n)
	}
	if h.Alg != "RS256" || h.Typ != "JWT" || h.Kid != "key-2024" {
		t.Fatalf("ParseHeader = %+v", h)
	}
}
