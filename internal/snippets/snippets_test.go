package snippets

import (
	"slices"
	"testing"
)

func TestGoBlocks(t *testing.T) {
	md := "# T\n## A\n```go\na := 1\n```\n### A.1\n```go\nb := 2\n```\n```sh\n# not go\n```\n## B\n```go\nc := 3\n```\n"
	for _, tc := range []struct {
		heading string
		want    []string
	}{
		{"## A", []string{"a := 1\n", "b := 2\n"}},
		{"### A.1", []string{"b := 2\n"}},
		{"## B", []string{"c := 3\n"}},
	} {
		got, err := goBlocks(md, tc.heading)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("goBlocks(%q) = %q, %v; want %q", tc.heading, got, err, tc.want)
		}
	}
	if _, err := goBlocks(md, "## C"); err == nil {
		t.Error("a missing section is not an error")
	}
	if _, err := goBlocks("## D\ntext\n## E\n", "## D"); err == nil {
		t.Error("a section without Go blocks is not an error")
	}
}

func TestContains(t *testing.T) {
	code := lines("func f() {\n\tx := g(1,   // note\n\t\tsecret) // test only\n\t\t2)\n}\n")
	for _, tc := range []struct {
		block string
		want  bool
	}{
		{"x := g(1, // note\n  2)\n", true}, // alignment, indentation and test-only lines aside
		{"x := g(1, // note\nsecret) // test only\n2)", true},
		{"x := g(1,\n2)", false},
		{"2)\nx := g(1, // note", false},
	} {
		if got := contains(code, tc.block); got != tc.want {
			t.Errorf("contains(%q) = %v, want %v", tc.block, got, tc.want)
		}
	}
}
