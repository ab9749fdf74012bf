package jose

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// UseJWTSVID is the JWK "use" of the JWT-SVID signing keys of a SPIFFE trust
// bundle (SPIFFE Trust Domain and Bundle §4.2.2). Such keys are signature
// verification keys: [ParseJWKS] reads them as "use": "sig".
const UseJWTSVID = "jwt-svid"

// ParseJWKS parses a published JSON Web Key Set. Keys that cannot be parsed
// are skipped (KeysFromSet then reports a set without usable keys). Keys
// whose "use" is "jwt-svid" (SPIFFE bundles) are read as signature keys;
// keys of other uses, such as a bundle's "x509-svid" keys, stay what they
// are and are refused by [KeyFromJWK].
func ParseJWKS(body []byte) (jwk.Set, error) {
	if bytes.Contains(body, []byte(`"`+UseJWTSVID+`"`)) {
		rewritten, err := svidAsSig(body)
		if err != nil {
			return nil, err
		}
		body = rewritten
	}
	return jwk.Parse(body, jwk.WithIgnoreParseError(true))
}

// svidAsSig rewrites "use": "jwt-svid" to "use": "sig" in every key of a
// key set (jwx refuses uses other than sig and enc). Only the keys array
// is kept: jwx ignores the other members of a set (spiffe_sequence,
// spiffe_refresh_hint).
func svidAsSig(body []byte) ([]byte, error) {
	var set struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("invalid key set: %w", err)
	}
	for _, k := range set.Keys {
		if use, ok := k["use"]; ok && string(use) == `"`+UseJWTSVID+`"` {
			k["use"] = json.RawMessage(`"sig"`)
		}
	}
	return json.Marshal(set)
}
