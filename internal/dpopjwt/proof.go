// Package dpopjwt checks DPoP proofs (RFC 9449): the JWS in a request's DPoP
// header that proves possession of the key a DPoP-bound access token is
// bound to. It decides nothing about tokens; the root package combines a
// checked proof with the token's cnf.jkt, the replay cache and its modes.
package dpopjwt

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/jwtguard/jwtguard/internal/cache"
	"github.com/jwtguard/jwtguard/internal/jose"
	"github.com/jwtguard/jwtguard/internal/strictjson"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// MaxProofSize bounds a DPoP header value: an RSA-4096 key and signature
// take about 1.5 KiB; 8 KiB leaves room for any sane proof.
const MaxProofSize = 8 << 10

// ErrProof is wrapped by every error about the proof itself.
var ErrProof = errors.New("invalid DPoP proof")

// Proof is a DPoP proof whose signature verified with the key it carries.
type Proof struct {
	JKT   string // RFC 7638 thumbprint of the proof's key (base64url)
	Alg   string
	JTI   string
	HTM   string
	HTU   string
	IAT   time.Time
	ATH   string // "" when absent
	Nonce string // "" when absent
}

// Keys caches the proof keys already parsed and checked, by their JWK JSON
// exactly as the header carries it: a client signs every proof with one
// key, so its JWK is parsed once. Entries expire; the cache is bounded.
type Keys struct {
	m   *cache.Map[*jose.Key]
	ttl time.Duration
}

// NewKeys returns a proof-key cache of at most size keys, each kept ttl.
func NewKeys(size int, ttl time.Duration) *Keys {
	return &Keys{m: cache.New[*jose.Key](size, 0), ttl: ttl}
}

func perr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProof, fmt.Sprintf(format, args...))
}

// Parse checks a proof's form and signature (RFC 9449 §4.3 steps 2-7): a
// compact JWS of at most MaxProofSize bytes whose header has typ
// "dpop+jwt", an alg of algs (which hold only asymmetric algorithms), and
// a public jwk (no private members) that fits alg and verifies the
// signature; whose claims are one strict JSON object with string jti, htm,
// htu, a numeric iat, and, when present, string ath and nonce. It does not
// judge the claims' values: see [Proof.Check].
func Parse(proof string, algs map[string]*jose.Alg, keys *Keys, now time.Time) (*Proof, error) {
	if len(proof) > MaxProofSize {
		return nil, perr("larger than %d bytes", MaxProofSize)
	}
	hs, ps, ss, ok := jose.Split(proof)
	if !ok {
		return nil, perr("not a compact JWS")
	}
	hdr, err := jose.AppendBase64(nil, hs)
	if err != nil {
		return nil, perr("header: %v", err)
	}
	var typ, alg string
	var jwkRaw []byte
	members := 0
	err = strictjson.Object(hdr, jose.MaxHeaderDepth, func(k, v []byte) error {
		if members++; members > jose.MaxHeaderMembers {
			return errors.New("too many header members")
		}
		var err error
		switch string(k) {
		case "typ":
			typ, err = jose.ViewString(v) // views of hdr, never written again
		case "alg":
			alg, err = jose.ViewString(v)
		case "jwk":
			if len(v) == 0 || v[0] != '{' {
				return errors.New("jwk is not an object")
			}
			jwkRaw = v
		case "crit":
			return errors.New("critical header extensions are not supported")
		case "b64":
			if b, e := strictjson.Bool(v); e != nil || !b {
				return errors.New("b64 is not supported")
			}
		case "jku", "x5u", "x5c", "kid":
			// The proof's key is the jwk member and nothing else.
			return fmt.Errorf("the %s header is not allowed in a DPoP proof (the key is the jwk member)", k)
		}
		if err != nil {
			return fmt.Errorf("%s is not a string", k)
		}
		return nil
	})
	if err != nil {
		return nil, perr("header: %v", err)
	}
	if typ != "dpop+jwt" {
		return nil, perr("typ is %s, not dpop+jwt", quote(typ))
	}
	spec, ok := algs[alg]
	if !ok {
		return nil, perr("alg %s is not an accepted DPoP algorithm", quote(alg))
	}
	if jwkRaw == nil {
		return nil, perr("the header has no jwk")
	}
	key, err := keys.key(jwkRaw, now)
	if err != nil {
		return nil, err
	}
	if !key.Fits(spec) {
		return nil, perr("alg %s does not fit the jwk's %s key", alg, key.Kind())
	}
	if jose.DecodedLen(len(ss)) < 0 || jose.DecodedLen(len(ps)) < 0 {
		return nil, perr("%v", jose.ErrBase64)
	}
	var sbuf [512]byte
	sig, err := jose.AppendBase64(sbuf[:0], ss)
	if err != nil || len(sig) == 0 {
		return nil, perr("signature: not base64url")
	}
	if !jose.Verify(spec, key, jose.StringBytes(proof[:len(hs)+1+len(ps)]), sig) {
		return nil, perr("the signature does not verify with the proof's jwk")
	}
	// The claims' strings are views of payload (jose.ViewString), which is
	// never written again: one allocation for all of them.
	payload, err := jose.AppendBase64(nil, ps)
	if err != nil {
		return nil, perr("claims: %v", err)
	}
	p := &Proof{JKT: key.ThumbprintString(), Alg: spec.Name}
	var hasIAT bool
	err = strictjson.Object(payload, 8, func(k, v []byte) error {
		var err error
		switch string(k) {
		case "jti":
			p.JTI, err = jose.ViewString(v)
		case "htm":
			p.HTM, err = jose.ViewString(v)
		case "htu":
			p.HTU, err = jose.ViewString(v)
		case "ath":
			p.ATH, err = jose.ViewString(v)
		case "nonce":
			p.Nonce, err = jose.ViewString(v)
		case "iat":
			var f float64
			f, err = strictjson.Number(v)
			if err == nil && (f < 0 || f > 253402300799 || math.IsNaN(f) || strings.ContainsAny(string(v), "eE")) {
				err = errors.New("out of range")
			}
			sec, frac := math.Modf(f)
			p.IAT, hasIAT = time.Unix(int64(sec), int64(frac*1e9)), true
		}
		if err != nil {
			return fmt.Errorf("claim %s: %v", k, err)
		}
		return nil
	})
	if err != nil {
		return nil, perr("claims: %v", err)
	}
	switch {
	case p.JTI == "":
		return nil, perr("jti is missing")
	case p.HTM == "":
		return nil, perr("htm is missing")
	case p.HTU == "":
		return nil, perr("htu is missing")
	case !hasIAT:
		return nil, perr("iat is missing")
	case len(p.JTI) > 256:
		return nil, perr("jti is longer than 256 bytes")
	}
	return p, nil
}

// key returns the checked key of a jwk member, from the cache or parsed.
func (k *Keys) key(raw []byte, now time.Time) (*jose.Key, error) {
	// The lookup uses a view of raw, not a copy: Get keeps no reference to
	// its key.
	if key, ok := k.m.Get(unsafe.String(unsafe.SliceData(raw), len(raw)), now); ok {
		return key, nil
	}
	// RFC 9449 §4.3 step 7: the jwk must not contain a private key. The
	// members are refused by name, whatever their value.
	var private string
	err := strictjson.Object(raw, jose.MaxHeaderDepth, func(name, _ []byte) error {
		switch string(name) {
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			private = string(name)
		}
		return nil
	})
	if err != nil {
		return nil, perr("jwk: %v", err)
	}
	if private != "" {
		return nil, perr("the jwk holds a private or symmetric key member (%s)", private)
	}
	jk, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, perr("jwk: %v", err)
	}
	var pub any
	if err := jk.Raw(&pub); err != nil {
		return nil, perr("jwk: %v", err)
	}
	key, err := jose.KeyFromRaw(pub, true)
	if err != nil {
		return nil, perr("jwk: %v", err)
	}
	k.m.Put(string(raw), key, now.Add(k.ttl))
	return key, nil
}

// quote shows a value from a proof, bounded and escaped.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}
