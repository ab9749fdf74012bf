package jwtguardtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard"
)

// sourceSentinels reads the source of package jwtguard (not its tests) and
// returns the message of every exported package-level variable initialised
// with errors.New, keyed by name. An exported Err* variable of any other
// form fails the test: this check could not see what it is.
func sourceSentinels(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	// Protocol packages keep the failure classes of their own protocol
	// ("jwtguard: " sentinels of package dpop); their other errors are
	// not classes of the error table.
	sub, err := filepath.Glob(filepath.Join("..", "dpop", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, sub...)
	fset := token.NewFileSet()
	out := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "jwtguard" && f.Name.Name != "dpop" {
			continue
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !id.IsExported() {
						continue
					}
					var val ast.Expr
					if i < len(vs.Values) {
						val = vs.Values[i]
					}
					msg, ok := errorsNewMessage(val)
					if !ok {
						if strings.HasPrefix(id.Name, "Err") {
							t.Errorf("%s: exported %s is not `errors.New(\"...\")`: teach this test to read it", fset.Position(id.Pos()), id.Name)
						}
						continue
					}
					name := id.Name
					if f.Name.Name != "jwtguard" {
						if !strings.HasPrefix(msg, "jwtguard: ") {
							continue
						}
						name = f.Name.Name + "." + name
					}
					if _, dup := out[name]; dup {
						t.Errorf("%s declared twice", name)
					}
					out[name] = msg
				}
			}
		}
	}
	return out
}

// errorsNewMessage returns s for the expression errors.New("s").
func errorsNewMessage(e ast.Expr) (string, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return "", false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "New" {
		return "", false
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "errors" {
		return "", false
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// TestConformanceSuiteCoversEverySentinel: the adapter conformance suite
// (RunMiddlewareTests, run by every adapter) triggers each sentinel in its
// list with a real request and fails when a listed sentinel has no
// request. This test closes the loop: the list must be exactly the exported
// sentinels declared in jwtguard's source, so a new sentinel cannot be
// added without a conformance row, and none answers 500.
func TestConformanceSuiteCoversEverySentinel(t *testing.T) {
	declared := sourceSentinels(t)
	if len(declared) == 0 {
		t.Fatal("found no exported sentinel in the package source")
	}
	byMessage := map[string]string{}
	for name, msg := range declared {
		if other, dup := byMessage[msg]; dup {
			t.Fatalf("%s and %s share the message %q", name, other, msg)
		}
		byMessage[msg] = name
	}

	listed := sentinels
	seen := map[string]bool{}
	for _, s := range listed {
		name, ok := byMessage[s.Error()]
		switch {
		case !ok:
			t.Errorf("the suite's sentinel list has %q, which is no exported sentinel of jwtguard", s)
			continue
		case seen[name]:
			t.Errorf("the suite's sentinel list has %s twice", name)
		}
		seen[name] = true
		// No sentinel answers 500. The error table matches by identity, so
		// this also proves the listed value is the sentinel itself, not a
		// look-alike with the same message (that would get the 500
		// fallback).
		if st := jwtguard.AsError(s).Status; st == http.StatusInternalServerError {
			t.Errorf("the suite's %s answers 500: it is not the package's sentinel, or it has no row in the error table", name)
		}
	}
	var missing []string
	for name := range declared {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	for _, name := range missing {
		t.Errorf("%s is not exercised by the adapter conformance suite: add it to the sentinel list of jwtguardtest/conformance.go and a request that triggers it", name)
	}
}
