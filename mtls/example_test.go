package mtls_test

import (
	"fmt"

	"github.com/jwtguard/jwtguard/mtls"
)

// Every issuer's tokens must be bound to the client's certificate unless
// its Issuer.CertificateBinding says otherwise:
//
//	jwtguard.New(..., jwtguard.WithCertificateBinding(mtls.Config{Mode: mtls.Required}))
func Example() {
	c := mtls.Config{Mode: mtls.Required}
	fmt.Println(c.Mode, mtls.Inherit, mtls.Allowed)
	// Output: required inherit allowed
}
