// Package snippets keeps README code honest: tests check that every Go
// block of a README section stands, line for line, in test code that
// compiles and runs.
package snippets

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
)

// TestOnly marks a line of test code that a README block leaves out (a
// test's HTTP client, say); [Lines] drops such lines, so the block still
// matches the code around them.
const TestOnly = "// test only"

// GoBlocks returns the ```go blocks of the markdown section whose heading
// line is heading ("## Testing your handlers", "### ..."); the section
// ends at the next heading of its level or at the next "## " heading.
func GoBlocks(markdown, heading string) ([]string, error) {
	_, section, ok := strings.Cut(markdown, "\n"+heading+"\n")
	if !ok {
		return nil, fmt.Errorf("no section %q", heading)
	}
	level, _, _ := strings.Cut(heading, " ")
	section, _, _ = strings.Cut(section, "\n"+level+" ")
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for rest := section; ; {
		var block string
		var found bool
		if _, rest, found = strings.Cut(rest, "```go\n"); !found {
			break
		}
		block, rest, _ = strings.Cut(rest, "```")
		blocks = append(blocks, block)
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("section %q has no Go block", heading)
	}
	return blocks, nil
}

// Lines returns the non-empty lines of s with every run of spaces and tabs
// made one space (gofmt's alignment and indentation aside), leaving out
// lines that end with [TestOnly].
func Lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.Join(strings.Fields(sc.Text()), " "); l != "" && !strings.HasSuffix(l, TestOnly) {
			out = append(out, l)
		}
	}
	return out
}

// Contains reports whether the lines of block stand in code (from
// [Lines]) as consecutive elements.
func Contains(code []string, block string) bool {
	want := Lines(block)
	for i := range code {
		if len(code)-i >= len(want) && slices.Equal(code[i:i+len(want)], want) {
			return true
		}
	}
	return false
}
