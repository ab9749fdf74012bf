//go:build ignore

// exports prints every exported identifier of each library package (not
// tests, examples, internal packages or the bench module), grouped by kind,
// and a count per package:
//
//	go run scripts/exports.go          # counts only
//	go run scripts/exports.go -v       # every name
//	go run scripts/exports.go -max 90  # fail when the root package has more
//
// Methods count when their receiver type is exported; struct fields and
// interface methods do not (they belong to their type).
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	verbose := flag.Bool("v", false, "print every exported name")
	maxRoot := flag.Int("max", 0, "fail when the root package exports more names than this (0: no limit)")
	flag.Parse()

	dirs := map[string]bool{}
	_ = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if path != "." && (strings.HasPrefix(base, ".") || base == "testdata" || base == "examples" ||
				base == "internal" || base == "bench" || base == "scripts" || base == "vendor") {
				return filepath.SkipDir
			}
			if path != "." {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = true
		}
		return nil
	})
	var list []string
	for d := range dirs {
		list = append(list, d)
	}
	sort.Strings(list)
	rootCount := 0
	total := 0
	for _, dir := range list {
		names := exported(dir)
		counts := map[string]int{}
		for _, n := range names {
			counts[n.kind]++
		}
		label := dir
		if dir == "." {
			label = "jwtguard (root)"
			rootCount = len(names)
		}
		total += len(names)
		fmt.Printf("%-22s %3d  (funcs %d, methods %d, types %d, vars %d, consts %d)\n", label, len(names),
			counts["func"], counts["method"], counts["type"], counts["var"], counts["const"])
		if *verbose {
			for _, n := range names {
				fmt.Printf("    %-6s %s\n", n.kind, n.name)
			}
		}
	}
	fmt.Printf("%-22s %3d\n", "all packages", total)
	if *maxRoot > 0 && rootCount > *maxRoot {
		fmt.Fprintf(os.Stderr, "exports: the root package exports %d names, more than %d\n", rootCount, *maxRoot)
		os.Exit(1)
	}
}

type name struct{ kind, name string }

func exported(dir string) []name {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var out []name
	for _, p := range pkgs {
		if p.Name == "main" {
			continue
		}
		for _, f := range p.Files {
			if hasIgnoreTag(f) {
				continue
			}
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() {
						continue
					}
					if d.Recv == nil {
						out = append(out, name{"func", d.Name.Name})
						continue
					}
					recv := receiverName(d.Recv.List[0].Type)
					if ast.IsExported(recv) {
						out = append(out, name{"method", recv + "." + d.Name.Name})
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() {
								out = append(out, name{"type", s.Name.Name})
							}
						case *ast.ValueSpec:
							kind := "var"
							if d.Tok == token.CONST {
								kind = "const"
							}
							for _, n := range s.Names {
								if n.IsExported() {
									out = append(out, name{kind, n.Name})
								}
							}
						}
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].kind != out[j].kind {
			return out[i].kind < out[j].kind
		}
		return out[i].name < out[j].name
	})
	return out
}

func hasIgnoreTag(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build ignore") {
				return true
			}
		}
	}
	return false
}

func receiverName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return receiverName(t.X)
	case *ast.IndexExpr:
		return receiverName(t.X)
	case *ast.IndexListExpr:
		return receiverName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}
