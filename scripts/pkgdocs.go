//go:build ignore

// pkgdocs checks that every public package of the module (not internal
// packages, not examples/, not other modules such as bench/) has a package
// doc comment and at least one Example function in its test files, so that
// pkg.go.dev shows each of them with a synopsis and runnable usage:
//
//	go run scripts/pkgdocs.go
//
// A library package's doc must start "Package <name> "; a command (package
// main) outside examples/ needs a doc starting "Command " but no Example.
// It exits 1 and names every package that falls short.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

type pkg struct {
	ImportPath   string
	Name         string
	Dir          string
	Doc          string
	Module       *struct{ Path string }
	TestGoFiles  []string
	XTestGoFiles []string
	Error        *struct{ Err string }
}

func main() {
	out, err := exec.Command("go", "list", "-e", "-json", "./...").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkgdocs: go list:", err)
		os.Exit(2)
	}
	var problems []string
	checked := 0
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "pkgdocs: reading go list output:", err)
			os.Exit(2)
		}
		if p.Error != nil {
			problems = append(problems, fmt.Sprintf("%s: %s", p.ImportPath, p.Error.Err))
			continue
		}
		if !public(p) {
			continue
		}
		checked++
		problems = append(problems, check(p)...)
	}
	if len(problems) > 0 {
		fmt.Fprintln(os.Stderr, "pkgdocs: public packages without a package doc or an example:")
		for _, pr := range problems {
			fmt.Fprintln(os.Stderr, "  "+pr)
		}
		os.Exit(1)
	}
	fmt.Printf("ok: %d public packages, each with a package doc and (libraries) an example\n", checked)
}

// public reports whether p is part of the module's public API: not under
// internal/, not a runnable example, not another module.
func public(p pkg) bool {
	if p.Module == nil {
		return false
	}
	rel := strings.TrimPrefix(p.ImportPath, p.Module.Path)
	for _, elem := range strings.Split(strings.Trim(rel, "/"), "/") {
		if elem == "internal" || elem == "examples" || elem == "testdata" {
			return false
		}
	}
	return true
}

func check(p pkg) []string {
	var problems []string
	if p.Name == "main" {
		if !strings.HasPrefix(p.Doc, "Command ") {
			problems = append(problems, fmt.Sprintf("%s: no command doc (a comment starting %q above package main)", p.ImportPath, "Command "))
		}
		return problems
	}
	if !strings.HasPrefix(p.Doc, "Package "+p.Name+" ") {
		problems = append(problems, fmt.Sprintf("%s: no package doc (a comment starting %q above the package clause, usually in doc.go)", p.ImportPath, "Package "+p.Name+" "))
	}
	n, err := examples(p.Dir, append(append([]string(nil), p.TestGoFiles...), p.XTestGoFiles...))
	if err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", p.ImportPath, err))
	} else if n == 0 {
		problems = append(problems, fmt.Sprintf("%s: no Example function (add one to an example_test.go)", p.ImportPath))
	}
	return problems
}

// examples counts the Example functions (as go test and go doc recognise
// them: Example, ExampleF, ExampleT_M, Example_suffix; no parameters, no
// results) declared in files of dir.
func examples(dir string, files []string) (int, error) {
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return 0, err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !isExampleName(fn.Name.Name) {
				continue
			}
			if fn.Type.Params.NumFields() != 0 || fn.Type.Results.NumFields() != 0 || fn.Type.TypeParams.NumFields() != 0 {
				continue
			}
			n++
		}
	}
	return n, nil
}

func isExampleName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Example")
	if !ok {
		return false
	}
	if rest == "" || rest[0] == '_' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsUpper(r)
}
