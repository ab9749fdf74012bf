package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"
	"unicode/utf8"
)

// reference judges data with encoding/json plus the extra rules strictjson
// adds: valid UTF-8, no duplicate member names (after unescaping) at any
// level, at most maxDepth nested containers.
func reference(data []byte, maxDepth int) bool {
	if !json.Valid(data) || !utf8.Valid(data) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj     bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k := tok.(string)
			if top.keys[k] {
				return false
			}
			top.keys[k] = true
			top.wantKey = false
			continue
		}
		if top != nil && top.obj {
			top.wantKey = true
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if len(stack)+1 > maxDepth {
					return false
				}
				stack = append(stack, &frame{obj: d == '{', keys: map[string]bool{}, wantKey: true})
			case ']':
				stack = stack[:len(stack)-1]
			}
		}
	}
}

func FuzzStrictJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":{"b":1,"b":2}}`,
		`{"a":[{"x":1},{"x":1}]}`, `{"\ud800":1,"\ufffd":2}`, `{"\ud83d\ude00":1,"😀":2}`,
		`{"a":"\ud800\u0041"}`, `{"a":"\udc00\ud800"}`, "{\"a\":\"\xff\"}", `{"a":1e400}`, `{"a":-0.0e-5}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":tru}`, `{"a":nul}`, `{"a":"x"} `,
		`{"a":"x"}x`, ` {"a" : [ 1 , "b" , null , true , false ] } `, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"a":["x","y"]}`, `{"a":["x",1]}`, `{"a":[]}`, `{"a":"\/\b\f\n\r\t\"\\"}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}",
		`{"exp":1,"aud":["a","b"],"iss":"i"}`, `"str"`, `123`, `null`,
	} {
		f.Add([]byte(s), uint8(DefaultMaxDepth))
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, depth uint8) {
		maxDepth := int(depth%40) + 1
		want := reference(data, maxDepth)
		if err := Valid(data, maxDepth); (err == nil) != want {
			t.Fatalf("Valid(%q, %d) = %v, reference says valid=%v", data, maxDepth, err, want)
		}
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		isObj := len(trimmed) > 0 && trimmed[0] == '{'
		var keys [][]byte
		var vals [][]byte
		err := Object(data, maxDepth, func(k, v []byte) error {
			keys = append(keys, bytes.Clone(k))
			vals = append(vals, v)
			return nil
		})
		if (err == nil) != (want && isObj) {
			t.Fatalf("Object(%q, %d) = %v, want ok=%v", data, maxDepth, err, want && isObj)
		}
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("encoding/json rejects an accepted object: %v", err)
		}
		if len(m) != len(keys) {
			t.Fatalf("%d members, encoding/json sees %d", len(keys), len(m))
		}
		for i, k := range keys {
			raw, ok := m[string(k)]
			if !ok || !bytes.Equal(bytes.TrimSpace(raw), vals[i]) {
				t.Fatalf("member %q: value %q, encoding/json %q", k, vals[i], raw)
			}
			if got, ok := Member(data, string(k)); !ok || !bytes.Equal(got, vals[i]) {
				t.Fatalf("Member(%q) = %q, %v", k, got, ok)
			}
			checkScalar(t, vals[i])
		}
	})
}

// checkScalar compares the typed accessors with encoding/json on one
// validated member value.
func checkScalar(t *testing.T, v []byte) {
	var ref any
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if err := dec.Decode(&ref); err != nil {
		t.Fatalf("encoding/json rejects member value %q: %v", v, err)
	}
	s, serr := String(v)
	if rs, ok := ref.(string); ok {
		if serr != nil || s != rs {
			t.Fatalf("String(%q) = %q, %v; encoding/json %q", v, s, serr, rs)
		}
	} else if serr == nil {
		t.Fatalf("String(%q) accepted a %T", v, ref)
	}
	n, nerr := Number(v)
	var rf float64
	rerr := json.Unmarshal(v, &rf)
	if _, isNum := ref.(json.Number); isNum {
		if (nerr == nil) != (rerr == nil) || (nerr == nil && n != rf) {
			t.Fatalf("Number(%q) = %v, %v; encoding/json %v, %v", v, n, nerr, rf, rerr)
		}
	} else if nerr == nil {
		t.Fatalf("Number(%q) accepted a non-number", v)
	}
	b, berr := Bool(v)
	if rb, ok := ref.(bool); ok != (berr == nil) || (ok && rb != b) {
		t.Fatalf("Bool(%q) = %v, %v", v, b, berr)
	}
	if IsNull(v) != (ref == nil) {
		t.Fatalf("IsNull(%q) = %v", v, IsNull(v))
	}
	list, lerr := StringOrStrings(v)
	var want []string
	wantOK := false
	switch x := ref.(type) {
	case string:
		want, wantOK = []string{x}, true
	case []any:
		wantOK = true
		for _, e := range x {
			es, ok := e.(string)
			if !ok {
				wantOK = false
				break
			}
			want = append(want, es)
		}
	}
	if wantOK != (lerr == nil) || (wantOK && !slices.Equal(list, want)) {
		t.Fatalf("StringOrStrings(%q) = %q, %v; want %q ok=%v", v, list, lerr, want, wantOK)
	}
}
