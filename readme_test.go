package jwtguard_test

import (
	"os"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard"
)

// TestREADMENewError: the error README's first snippet quotes for a
// missing audience is the one New returns.
func TestREADMENewError(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, err = jwtguard.New(
		jwtguard.WithIssuer("https://login.example.com/", jwtguard.Discovery()),
		jwtguard.WithAlgorithms("RS256"),
	)
	if err == nil {
		t.Fatal("New without an audience succeeded")
	}
	if want := "log.Fatal(err) // e.g. " + err.Error() + "\n"; !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not quote New's error; want the line\n%s", want)
	}
}
