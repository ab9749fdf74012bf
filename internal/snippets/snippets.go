// Package snippets keeps documentation honest: tests check that every Go
// block of a Markdown section stands, line for line, in source files that
// compile and run, so README.md and the guides show code that works.
package snippets

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// Section returns the text of the Markdown file path under the heading
// line heading (e.g. "## Browser apps and CORS"), up to the next heading of
// the same level or above. It fails t when there is no such heading.
func Section(t testing.TB, path, heading string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no heading %q", path, heading)
	}
	level, _, _ := strings.Cut(heading, " ") // "##"
	for i := len(level); i >= 1; i-- {
		section, _, _ = strings.Cut(section, "\n"+level[:i]+" ")
	}
	return section
}

// GoBlocks returns the contents of the ```go blocks of text.
func GoBlocks(text string) []string {
	var blocks []string
	for rest := text; ; {
		var block string
		var found bool
		if _, rest, found = strings.Cut(rest, "```go\n"); !found {
			return blocks
		}
		block, rest, _ = strings.Cut(rest, "```")
		blocks = append(blocks, block)
	}
}

// Check fails t for every block that does not stand in one of files as
// consecutive lines (surrounding spaces and blank lines aside), and when
// there is no block at all.
func Check(t testing.TB, blocks []string, files ...string) {
	t.Helper()
	var code []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code = append(code, lines(string(b))...)
	}
	if len(blocks) == 0 {
		t.Fatal("no Go block to check")
	}
	for i, block := range blocks {
		if !containsRun(code, lines(block)) {
			t.Errorf("Go block %d is not in %s:\n%s", i+1, strings.Join(files, ", "), block)
		}
	}
}

// lines returns the non-empty lines of s without their surrounding spaces.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// containsRun reports whether want stands in have as consecutive elements.
func containsRun(have, want []string) bool {
	for i := range have {
		if len(have)-i >= len(want) && slices.Equal(have[i:i+len(want)], want) {
			return true
		}
	}
	return false
}
