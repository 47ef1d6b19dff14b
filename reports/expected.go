package reports

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Scenario is a scenario the source says a run should record: a top-level
// test of a package under scenarios/ that starts a record (calls
// record.New, itself or through a function of its package).
type Scenario struct {
	// Package is the test's folder relative to the module root, as a
	// record names it ("scenarios/load").
	Package string `json:"package"`
	// Test is the top-level test's name; its records are Test itself or
	// its sub-tests (Test/…).
	Test string `json:"test"`
	// OptIn is set when the test skips, under a condition, before it
	// starts its record: it runs only when asked (a flag or a setting),
	// and a run without it leaves no record. SkipReason is the skip's
	// message as far as the source tells it.
	OptIn      bool   `json:"opt_in,omitempty"`
	SkipReason string `json:"skip_reason,omitempty"`
}

// recordImport is the import path of the package whose New starts a
// record, relative to the module path.
const recordImport = "harness/record"

// Expected reads the scenario packages' source under root/scenarios (root
// is the module root) and returns every scenario a run should record,
// sorted by package and test. Parsing is syntactic (go/parser), so a
// package that does not compile still tells its tests.
func Expected(root string) ([]Scenario, error) {
	module, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	files := map[string][]*ast.File{}
	fset := token.NewFileSet()
	base := filepath.Join(root, scenariosFolder)
	err = filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != base && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return fs.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = append(files[filepath.ToSlash(rel)], f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Scenario
	for pkg, fs := range files {
		out = append(out, packageScenarios(pkg, fs, module+"/"+recordImport)...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return out[i].Test < out[j].Test
	})
	return out, nil
}

// packageScenarios finds, in one package's test files, the top-level
// tests that start a record.
func packageScenarios(pkg string, files []*ast.File, recordPath string) []Scenario {
	funcs := map[string]*ast.FuncDecl{}
	direct := map[string]bool{} // funcs calling record.New themselves
	consts := map[string]string{}
	for _, f := range files {
		name := importName(f, recordPath)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil || d.Body == nil {
					continue
				}
				funcs[d.Name.Name] = d
				if name != "" && callsRecordNew(d.Body, name) {
					direct[d.Name.Name] = true
				}
			case *ast.GenDecl:
				collectConsts(d, consts)
			}
		}
	}
	// A function records when it calls record.New or a function of its
	// package that records: grow the set until it stops growing.
	records := direct
	for changed := true; changed; {
		changed = false
		for name, fn := range funcs {
			if !records[name] && callsAny(fn.Body, records) {
				records[name], changed = true, true
			}
		}
	}
	var out []Scenario
	for name, fn := range funcs {
		if !isTest(fn) || !records[name] {
			continue
		}
		s := Scenario{Package: pkg, Test: name}
		s.OptIn, s.SkipReason = optIn(fn.Body, records, files, recordPath, consts)
		out = append(out, s)
	}
	return out
}

// isTest reports whether fn is a top-level test: TestXxx(t *testing.T).
func isTest(fn *ast.FuncDecl) bool {
	n := fn.Name.Name
	if !strings.HasPrefix(n, "Test") || n == "TestMain" {
		return false
	}
	if rest := n[len("Test"):]; rest != "" && strings.ToLower(rest[:1]) == rest[:1] && rest[:1] != "_" {
		return false // Testing, Testable: not a test by go test's rule
	}
	p := fn.Type.Params
	if p == nil || len(p.List) != 1 {
		return false
	}
	star, ok := p.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "T"
}

// optIn looks at the test's statements before the first that starts a
// record: an if whose body skips makes the test opt-in, with the skip's
// message.
func optIn(body *ast.BlockStmt, records map[string]bool, files []*ast.File, recordPath string, consts map[string]string) (bool, string) {
	names := map[string]bool{}
	for _, f := range files {
		if n := importName(f, recordPath); n != "" {
			names[n] = true
		}
	}
	for _, st := range body.List {
		starts := callsAny(st, records)
		for n := range names {
			starts = starts || callsRecordNew(st, n)
		}
		if starts {
			return false, ""
		}
		ifs, ok := st.(*ast.IfStmt)
		if !ok {
			continue
		}
		if call := skipCall(ifs.Body); call != nil {
			return true, skipMessage(call, consts)
		}
	}
	return false, ""
}

// skipCall is the first t.Skip, t.Skipf or t.SkipNow call in n, or nil.
func skipCall(n ast.Node) *ast.CallExpr {
	var found *ast.CallExpr
	ast.Inspect(n, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "Skip") {
				found = c
			}
		}
		return true
	})
	return found
}

// skipMessage renders a skip's message from its literal arguments and
// the package's string constants; what the source cannot tell (a
// variable) is shown as "…".
func skipMessage(call *ast.CallExpr, consts map[string]string) string {
	var args []any
	for _, a := range call.Args {
		args = append(args, stringValue(a, consts))
	}
	if len(args) == 0 {
		return ""
	}
	sel := call.Fun.(*ast.SelectorExpr)
	if sel.Sel.Name == "Skipf" {
		return fmt.Sprintf(args[0].(string), args[1:]...)
	}
	return strings.TrimSpace(fmt.Sprintln(args...))
}

func stringValue(e ast.Expr, consts map[string]string) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil {
			return s
		}
		return e.Value
	case *ast.Ident:
		if v, ok := consts[e.Name]; ok {
			return v
		}
	}
	return "…"
}

func collectConsts(d *ast.GenDecl, consts map[string]string) {
	if d.Tok != token.CONST {
		return
	}
	for _, spec := range d.Specs {
		vs := spec.(*ast.ValueSpec)
		for i, n := range vs.Names {
			if i < len(vs.Values) {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						consts[n.Name] = s
					}
				}
			}
		}
	}
}

// importName is the name file f gives the import path, or "" when it does
// not import it.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return path[strings.LastIndex(path, "/")+1:]
		}
	}
	return ""
}

func callsRecordNew(n ast.Node, name string) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "New" {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == name {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// callsAny reports whether n calls a package-level function named in set.
func callsAny(n ast.Node, set map[string]bool) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok && set[id.Name] {
				found = true
			}
		}
		return !found
	})
	return found
}

// modulePath reads the module path from root/go.mod.
func modulePath(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`), nil
		}
	}
	return "", fmt.Errorf("no module line in %s", filepath.Join(root, "go.mod"))
}
