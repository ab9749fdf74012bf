package corstest

import (
	"testing"

	"github.com/jwtguard/jwtguard/internal/snippets"
)

// TestREADMESnippets: every Go block of README.md's section "Browser apps
// and CORS" stands, line for line, in this package or in an adapter's
// TestCORS, so the README shows code that compiles and passes.
func TestREADMESnippets(t *testing.T) {
	t.Parallel()
	missing, err := snippets.Missing("../../README.md", "## Browser apps and CORS", "corstest.go",
		"../../nethttp/cors_test.go", "../../chi/cors_test.go", "../../echo/cors_test.go", "../../gin/cors_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range missing {
		t.Errorf("README block is not in internal/corstest or an adapter's cors_test.go:\n%s", block)
	}
}
