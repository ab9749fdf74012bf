package strictjson

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestObjectDuplicates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want error // nil = valid
	}{
		{"distinct", `{"a":1,"b":2}`, nil},
		{"top level", `{"a":1,"a":2}`, ErrDuplicate},
		{"top level, same value", `{"a":1,"a":1}`, ErrDuplicate},
		{"top level, far apart", `{"a":1,"b":2,"c":3,"d":4,"a":5}`, ErrDuplicate},
		{"nested object", `{"o":{"x":1,"x":2}}`, ErrDuplicate},
		{"deeply nested", `{"a":{"b":{"c":{"d":1,"d":1}}}}`, ErrDuplicate},
		{"object in array", `{"a":[1,{"k":1,"k":2}]}`, ErrDuplicate},
		{"same name in sibling objects is fine", `{"a":{"k":1},"b":{"k":2}}`, nil},
		{"same name at different levels is fine", `{"k":{"k":{"k":1}}}`, nil},
		{"escaped duplicate", `{"iss":"a","\u0069ss":"b"}`, ErrDuplicate},
		{"escaped duplicate, both escaped", `{"\u0069ss":"a","i\u0073s":"b"}`, ErrDuplicate},
		{"escaped upper-case hex", `{"iss":"a","\u0069\u0053s":"b"}`, nil}, // "iSs" differs
		{"escaped solidus", `{"a/b":1,"a\/b":2}`, ErrDuplicate},
		{"surrogate pair duplicate", `{"😀":1,"\ud83d\ude00":2}`, ErrDuplicate},
		{"case differs is not a duplicate", `{"iss":"a","ISS":"b"}`, nil},
		{"more than 16 members, duplicate at end", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":0}`, ErrDuplicate},
		{"more than 16 members, duplicate of the 17th", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k17":0}`, ErrDuplicate},
		{"more than 16 distinct members", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := Object([]byte(c.in), 0, nil)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Object: %v", err)
				}
			} else if !errors.Is(err, c.want) {
				t.Fatalf("Object = %v, want %v", err, c.want)
			}
			// Valid applies the same rules.
			if verr := Valid([]byte(c.in), 0); (verr == nil) != (c.want == nil) {
				t.Fatalf("Valid = %v, Object = %v", verr, err)
			}
		})
	}
}

func TestObjectCallback(t *testing.T) {
	t.Parallel()
	in := ` { "a" : 1 , "b\n" : "x" , "c" : [1, {"d": null}] , "e": {"f": true} } `
	type kv struct{ k, v string }
	var got []kv
	err := Object([]byte(in), 0, func(k, v []byte) error {
		got = append(got, kv{string(k), string(v)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []kv{{"a", "1"}, {"b\n", `"x"`}, {"c", `[1, {"d": null}]`}, {"e", `{"f": true}`}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("members %q, want %q", got, want)
	}
	stop := errors.New("stop")
	calls := 0
	err = Object([]byte(in), 0, func(k, v []byte) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("callback error: %v after %d calls", err, calls)
	}
	// An invalid value is reported before the callback sees it.
	calls = 0
	err = Object([]byte(`{"a":1,"b":[1,}`), 0, func(k, v []byte) error { calls++; return nil })
	if !errors.Is(err, ErrSyntax) || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestObjectShape(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty object", `{}`, nil},
		{"whitespace around", " \t\r\n{}\n ", nil},
		{"empty input", ``, ErrSyntax},
		{"only whitespace", `   `, ErrSyntax},
		{"array", `[1]`, ErrNotObject},
		{"string", `"x"`, ErrNotObject},
		{"number", `1`, ErrNotObject},
		{"null", `null`, ErrNotObject},
		{"trailing object", `{}{}`, ErrSyntax},
		{"trailing garbage", `{"a":1}x`, ErrSyntax},
		{"trailing comma", `{"a":1,}`, ErrSyntax},
		{"missing colon", `{"a" 1}`, ErrSyntax},
		{"unquoted key", `{a:1}`, ErrSyntax},
		{"single quotes", `{'a':1}`, ErrSyntax},
		{"unterminated", `{"a":1`, ErrSyntax},
		{"unterminated string", `{"a":"x}`, ErrSyntax},
		{"comment", `{"a":1 /* c */}`, ErrSyntax},
		{"BOM", "\xef\xbb\xbf{}", ErrNotObject},
		{"NUL after", "{}\x00", ErrSyntax},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := Object([]byte(c.in), 0, nil)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Object(%q) = %v, want %v", c.in, err, c.want)
			}
		})
	}
}

func TestDepth(t *testing.T) {
	t.Parallel()
	nestArr := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	nestObj := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	cases := []struct {
		name  string
		in    string
		depth int
		want  error
	}{
		{"arrays at the default cap", nestArr(DefaultMaxDepth), 0, nil},
		{"arrays over the default cap", nestArr(DefaultMaxDepth + 1), 0, ErrDepth},
		{"objects at the default cap", nestObj(DefaultMaxDepth), 0, nil},
		{"objects over the default cap", nestObj(DefaultMaxDepth + 1), 0, ErrDepth},
		{"mixed over the cap", strings.Repeat(`[{"a":`, 20) + "1" + strings.Repeat("}]", 20), 0, ErrDepth},
		{"custom cap", nestArr(3), 3, nil},
		{"custom cap exceeded", nestArr(4), 3, ErrDepth},
		{"huge nesting does not overflow the stack", nestArr(1 << 20), 0, ErrDepth},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if err := Valid([]byte(c.in), c.depth); c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Valid = %v, want %v", err, c.want)
			}
		})
	}
	// Object counts the top-level object as one level.
	if err := Object([]byte(`{"a":`+nestArr(DefaultMaxDepth-1)+`}`), 0, nil); err != nil {
		t.Fatalf("Object at the cap: %v", err)
	}
	if err := Object([]byte(`{"a":`+nestArr(DefaultMaxDepth)+`}`), 0, nil); !errors.Is(err, ErrDepth) {
		t.Fatalf("Object over the cap: %v", err)
	}
}

func TestUTF8(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    string
		valid bool
	}{
		{"ASCII", `"abc"`, true},
		{"two-byte", `"é"`, true},
		{"four-byte", `"😀"`, true},
		{"escaped lone surrogate is allowed", `"\ud800"`, true},
		{"invalid byte", "\"a\xffb\"", false},
		{"truncated sequence", "\"\xc3\"", false},
		{"overlong encoding", "\"\xc0\xaf\"", false},
		{"encoded surrogate", "\"\xed\xa0\x80\"", false},
		{"invalid in key", "{\"\xff\":1}", false},
		{"control character", "\"a\x01b\"", false},
		{"raw newline", "\"a\nb\"", false},
		{"DEL is allowed", "\"a\x7fb\"", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if err := Valid([]byte(c.in), 0); (err == nil) != c.valid {
				t.Fatalf("Valid(%q) = %v, want valid=%v", c.in, err, c.valid)
			}
		})
	}
}

func TestNumberGrammar(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in    string
		valid bool
	}{
		{"0", true}, {"-0", true}, {"1", true}, {"-1", true}, {"123", true}, {"1.5", true}, {"-1.5e10", true},
		{"1e5", true}, {"1E5", true}, {"1e+5", true}, {"1e-5", true}, {"0.0", true}, {"1.0e0", true},
		{"01", false}, {"-01", false}, {"+1", false}, {".5", false}, {"5.", false}, {"1e", false}, {"1e+", false},
		{"-", false}, {"--1", false}, {"0x10", false}, {"1.2.3", false}, {"NaN", false}, {"Infinity", false},
		{"-Infinity", false}, {"1_000", false}, {"1 2", false}, {"00", false}, {"1.e5", false},
	}
	for _, c := range cases {
		if err := Valid([]byte(c.in), 0); (err == nil) != c.valid {
			t.Errorf("Valid(%q) = %v, want valid=%v", c.in, err, c.valid)
		}
	}
}

// TestValidAgreesWithEncodingJSON compares Valid with encoding/json.Valid.
// They must agree except where strictjson is deliberately stricter:
// duplicate member names, invalid UTF-8 and nesting depth.
func TestValidAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in       string
		stricter bool // strictjson refuses what encoding/json accepts
	}{
		{`{}`, false}, {`[]`, false}, {`null`, false}, {`true`, false}, {`false`, false}, {`0`, false},
		{`"x"`, false}, {`{"a":[1,2,{"b":null}],"c":"d"}`, false}, {` {"a" : 1} `, false},
		{`[1,2,]`, false}, {`{"a":1,}`, false}, {`{,}`, false}, {`[,1]`, false}, {`{"a"}`, false},
		{`{"a":}`, false}, {`{1:2}`, false}, {`tru`, false}, {`nul`, false}, {`True`, false}, {`NULL`, false},
		{`"\u00e9"`, false}, {`"\uZZZZ"`, false}, {`"\u12"`, false}, {`"\x41"`, false}, {`"\'"`, false},
		{`"\/\b\f\n\r\t\"\\"`, false}, {`"\ud800"`, false}, {`"\udc00\ud800"`, false},
		{"\"tab\there\"", false}, {"\"nl\nhere\"", false}, {`"unterminated`, false}, {`'single'`, false},
		{`01`, false}, {`-`, false}, {`1.`, false}, {`.1`, false}, {`1e`, false}, {`-0.0e-0`, false}, {`1E+2`, false},
		{`[1 2]`, false}, {`{"a":1 "b":2}`, false}, {`{} {}`, false}, {`[]]`, false}, {`[[]`, false},
		{``, false}, {` `, false}, {"\ufeff{}", false}, {"{}\n", false}, {"\t[\r\n]\t", false}, {"[\v]", false},
		{`{"a":1,"a":2}`, true}, {`[{"x":1,"x":1}]`, true}, {`{"iss":1,"\u0069ss":2}`, true},
		{"\"\xff\"", true}, {"\"\xed\xa0\x80\"", true}, {"{\"k\xfe\":1}", true},
		{strings.Repeat("[", 33) + strings.Repeat("]", 33), true},
		{strings.Repeat("[", 32) + strings.Repeat("]", 32), false},
		{strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), true},
	}
	for _, c := range cases {
		std := json.Valid([]byte(c.in))
		ours := Valid([]byte(c.in), 0) == nil
		switch {
		case c.stricter && (ours || !std):
			t.Errorf("%.40q: strictjson %v, encoding/json %v; want strictjson to refuse what encoding/json accepts", c.in, ours, std)
		case !c.stricter && ours != std:
			t.Errorf("%.40q: strictjson %v, encoding/json %v; want agreement", c.in, ours, std)
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want string
		err  bool
	}{
		{`"abc"`, "abc", false},
		{`""`, "", false},
		{`"a\"b"`, `a"b`, false},
		{`"\\\/\b\f\n\r\t"`, "\\/\b\f\n\r\t", false},
		{`"\u0069ss"`, "iss", false},
		{`"\u00e9"`, "é", false},
		{`"\ud83d\ude00"`, "😀", false},
		{`"\ud800"`, "\ufffd", false},
		{`"\ud800x"`, "\ufffdx", false},
		{`"\ud800\u0041"`, "\ufffdA", false},
		{`1`, "", true},
		{`null`, "", true},
		{`["a"]`, "", true},
		{`"`, "", true},
		{``, "", true},
	}
	for _, c := range cases {
		got, err := String([]byte(c.in))
		if (err != nil) != c.err || got != c.want {
			t.Errorf("String(%s) = %q, %v; want %q, err=%v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestNumber(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want float64
		err  bool
	}{
		{"0", 0, false},
		{"1700000000", 1700000000, false},
		{"1700000000.25", 1700000000.25, false},
		{"-5", -5, false},
		{"1e3", 1000, false},
		{"1e400", 0, true},
		{"-1e400", 0, true},
		{`"1"`, 0, true},
		{"true", 0, true},
		{"null", 0, true},
		{"", 0, true},
		{"[1]", 0, true},
	}
	for _, c := range cases {
		got, err := Number([]byte(c.in))
		if (err != nil) != c.err || got != c.want {
			t.Errorf("Number(%s) = %v, %v; want %v, err=%v", c.in, got, err, c.want, c.err)
		}
		if err != nil && !errors.Is(err, ErrType) {
			t.Errorf("Number(%s) error %v is not ErrType", c.in, err)
		}
		if math.IsInf(got, 0) || math.IsNaN(got) {
			t.Errorf("Number(%s) = %v", c.in, got)
		}
	}
}

func TestBoolAndNull(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"true": true, "false": false} {
		if got, err := Bool([]byte(in)); err != nil || got != want {
			t.Errorf("Bool(%s) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{`"true"`, "1", "null", "", "True"} {
		if _, err := Bool([]byte(in)); !errors.Is(err, ErrType) {
			t.Errorf("Bool(%q) = %v, want ErrType", in, err)
		}
	}
	if !IsNull([]byte("null")) || IsNull([]byte(`"null"`)) || IsNull(nil) {
		t.Error("IsNull")
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{`["a","b"]`, []string{"a", "b"}, false},
		{`[ "a" , "b" ]`, []string{"a", "b"}, false},
		{`["\u0061"]`, []string{"a"}, false},
		{`[]`, nil, false},
		{`[ ]`, nil, false},
		{`["a",1]`, nil, true},
		{`[1]`, nil, true},
		{`["a",["b"]]`, nil, true},
		{`["a",null]`, nil, true},
		{`"a"`, nil, true},
		{`null`, nil, true},
		{``, nil, true},
		{`["a"`, nil, true},
		{`["a",]`, nil, true},
		{`["a" "b"]`, nil, true},
	}
	for _, c := range cases {
		got, err := Strings([]byte(c.in))
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Strings(%s) = %#v, %v; want %#v, err=%v", c.in, got, err, c.want, c.err)
		}
	}
	// StringOrStrings accepts one string too.
	for in, want := range map[string][]string{`"a"`: {"a"}, `["a","b"]`: {"a", "b"}, `""`: {""}} {
		if got, err := StringOrStrings([]byte(in)); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("StringOrStrings(%s) = %#v, %v", in, got, err)
		}
	}
	for _, in := range []string{`1`, `{"a":"b"}`, `null`, `true`} {
		if _, err := StringOrStrings([]byte(in)); err == nil {
			t.Errorf("StringOrStrings(%s) succeeded", in)
		}
	}
}

func TestMember(t *testing.T) {
	t.Parallel()
	obj := []byte(`{"a":1,"b":{"c":"d"},"https://x.test/roles":["r"],"n":null,"\u0065sc":true}`)
	cases := []struct {
		key  string
		want string
		ok   bool
	}{
		{"a", "1", true},
		{"b", `{"c":"d"}`, true},
		{"https://x.test/roles", `["r"]`, true},
		{"n", "null", true},
		{"esc", "true", true},
		{"c", "", false}, // nested members are not top-level
		{"A", "", false},
		{"missing", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := Member(obj, c.key)
		if ok != c.ok || string(got) != c.want {
			t.Errorf("Member(%q) = %q, %v; want %q, %v", c.key, got, ok, c.want, c.ok)
		}
	}
	if _, ok := Member([]byte(`[1]`), "a"); ok {
		t.Error("Member on an array")
	}
}
