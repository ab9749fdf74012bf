package jwtguard

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

// TestSameAnswerCoversEveryField: a changed value of any field of Issuer
// changes the answer (so a new field cannot be forgotten), except the
// HTTP client of a key source (issue 16 item 7).
func TestSameAnswerCoversEveryField(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	base := Issuer{ID: "https://a.example", Keys: StaticKeys(&k.PublicKey)}
	if !sameAnswer(base, base) {
		t.Fatal("an answer differs from itself")
	}
	typ := reflect.TypeOf(Issuer{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		changed := base
		fv := reflect.ValueOf(&changed).Elem().Field(i)
		switch f.Type.Kind() {
		case reflect.String:
			fv.SetString("x")
		case reflect.Slice:
			fv.Set(reflect.ValueOf([]string{"x"}))
		case reflect.Bool:
			fv.SetBool(true)
		case reflect.Int:
			fv.SetInt(4096)
		case reflect.Uint8: // DPoP
			fv.SetUint(2)
		case reflect.Pointer: // Keys
			changed.Keys = HMAC([]byte("a-secret-of-at-least-thirty-two-bytes"))
		case reflect.Struct: // Claims
			changed.Claims.Tenant = "x"
		case reflect.Interface: // Invalid
			changed.Invalid = errors.New("x")
		default:
			t.Fatalf("field %s of kind %s: teach this test and sameAnswer about it", f.Name, f.Type.Kind())
		}
		if sameAnswer(base, changed) {
			t.Errorf("a changed %s is not a changed answer", f.Name)
		}
	}
	// Nil and empty lists differ where nil means a default.
	for _, edit := range []func(*Issuer){
		func(is *Issuer) { is.Audiences = []string{} },
		func(is *Issuer) { is.Algorithms = []string{} },
		func(is *Issuer) { is.Claims.Roles = []string{} },
	} {
		changed := base
		edit(&changed)
		if sameAnswer(base, changed) {
			t.Errorf("an empty list where nil was is not a changed answer: %+v", changed)
		}
	}
	// Equal key material in new values, with another HTTP client: the same.
	a := Issuer{ID: "x", Keys: JWKS("https://a.example/jwks")}
	b := Issuer{ID: "x", Keys: JWKS("https://a.example/jwks").WithHTTPClient(&http.Client{})}
	if !sameAnswer(a, b) {
		t.Error("a new HTTP client changed the answer")
	}
	if !sameAnswer(base, Issuer{ID: base.ID, Keys: StaticKeys(&k.PublicKey)}) {
		t.Error("the same static key in a new KeySource changed the answer")
	}
}

// TestSameAnswerAllocatesNothing: the resolver's answer is compared for
// every token, cache hits included; key sources' fingerprints are computed
// once per KeySource (issue 16 item 1).
func TestSameAnswerAllocatesNothing(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	a := Issuer{ID: "https://a.example", Aliases: []string{"a"}, Keys: StaticKeys(&k.PublicKey), Audiences: []string{"api"}}
	b := a
	b.Keys = StaticKeys(&k.PublicKey)
	if !sameAnswer(a, b) {
		t.Fatal("not the same")
	}
	if n := testing.AllocsPerRun(100, func() { sameAnswer(a, b) }); n != 0 {
		t.Fatalf("sameAnswer allocates %v times per call", n)
	}
}
