// Package snippets keeps README code honest: tests check that every Go
// block of a README section stands, line for line, in test code that
// compiles and runs.
package snippets

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
)

// TestOnly marks a line of test code that a README block leaves out (a
// test's HTTP client, say); such lines are dropped from the code before
// blocks are looked for, so a block still matches the code around them.
const TestOnly = "// test only"

// Missing returns the Go blocks of the section heading of the markdown file
// readme that do not stand, line for line (runs of spaces and tabs aside),
// in any of codeFiles; an error when a file cannot be read or the section
// has no Go block.
func Missing(readme, heading string, codeFiles ...string) ([]string, error) {
	md, err := os.ReadFile(readme)
	if err != nil {
		return nil, err
	}
	blocks, err := goBlocks(string(md), heading)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", readme, err)
	}
	var code []string
	for _, f := range codeFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		code = append(code, lines(string(b))...)
	}
	var missing []string
	for _, b := range blocks {
		if !contains(code, b) {
			missing = append(missing, b)
		}
	}
	return missing, nil
}

// goBlocks returns the ```go blocks of the markdown section whose heading
// line is heading ("## Testing your handlers", "### ..."); the section
// ends at the next heading of its level or at the next "## " heading.
func goBlocks(markdown, heading string) ([]string, error) {
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

// lines returns the non-empty lines of s with every run of spaces and tabs
// made one space (gofmt's alignment and indentation aside), leaving out
// lines that end with [TestOnly].
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.Join(strings.Fields(sc.Text()), " "); l != "" && !strings.HasSuffix(l, TestOnly) {
			out = append(out, l)
		}
	}
	return out
}

// contains reports whether the lines of block stand in code (from
// lines) as consecutive elements.
func contains(code []string, block string) bool {
	want := lines(block)
	for i := range code {
		if len(code)-i >= len(want) && slices.Equal(code[i:i+len(want)], want) {
			return true
		}
	}
	return false
}
