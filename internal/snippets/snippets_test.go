package snippets

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSectionAndBlocks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := filepath.Join(dir, "doc.md")
	md := "# Title\n\n## A\n\n```go\nx := 1\n```\n\n### A.1\n\n```go\ny := 2\n```\n\n```sh\nnot go\n```\n\n## B\n\n```go\nz := 3\n```\n"
	if err := os.WriteFile(doc, []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := GoBlocks(Section(t, doc, "## A")); !slices.Equal(got, []string{"x := 1\n", "y := 2\n"}) {
		t.Errorf("## A: %q", got)
	}
	if got := GoBlocks(Section(t, doc, "### A.1")); !slices.Equal(got, []string{"y := 2\n"}) {
		t.Errorf("### A.1: %q", got)
	}
	src := filepath.Join(dir, "src.go")
	if err := os.WriteFile(src, []byte("func f() {\n\tx := 1\n\n\ty := 2\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	Check(t, []string{"x := 1\n", "  x := 1\n\n y := 2\n"}, src)
	if containsRun(lines("x := 1\ny := 2"), lines("y := 2\nx := 1")) {
		t.Error("containsRun accepted lines out of order")
	}
}
