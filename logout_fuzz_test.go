package jwtguard

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// FuzzLogoutEvents: the events claim of a logout token (attacker-chosen
// bytes, once the signature verified) is accepted exactly when
// encoding/json reads it as an object whose back-channel logout member is
// an object, and refuseLogoutToken recognises such a claim in an access
// token. Values strictjson refuses never reach these checks (the claims
// parser refuses the token first).
func FuzzLogoutEvents(f *testing.F) {
	for _, s := range []string{
		`{"http://schemas.openid.net/event/backchannel-logout":{}}`,
		`{"http://schemas.openid.net/event/backchannel-logout":{},"x":1}`,
		`{"http://schemas.openid.net/event/backchannel-logout":true}`,
		`{"http:\/\/schemas.openid.net\/event\/backchannel-logout":{}}`,
		`["http://schemas.openid.net/event/backchannel-logout"]`,
		`{}`, `"x"`, `null`, `{"a":{"http://schemas.openid.net/event/backchannel-logout":{}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		// raw as the claims parser hands it over: the value of one member.
		n := 0
		var val []byte
		if len(raw) == 0 || strictjson.Object([]byte(`{"events":`+string(raw)+`}`), 0, func(k, v []byte) error { n++; val = v; return nil }) != nil || n != 1 {
			return
		}
		raw = val
		var v any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatalf("strictjson accepted %q, encoding/json did not: %v", raw, err)
		}
		obj, isObj := v.(map[string]any)
		member, has := obj[backChannelLogoutEvent]
		_, memberObj := member.(map[string]any)
		want := isObj && has && memberObj
		if got := checkLogoutEvents(raw) == nil; got != want {
			t.Fatalf("checkLogoutEvents(%q) accepted %v, want %v", raw, got, want)
		}
		refused := refuseLogoutToken("JWT", [][]byte{nil, raw}) != nil
		if refused != (isObj && has) {
			t.Fatalf("refuseLogoutToken with events %q: refused %v, want %v", raw, refused, isObj && has)
		}
	})
}
