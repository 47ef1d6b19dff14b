package mimo_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The architecture test holds the code to the rules of "What should never
// be true" in the project's architecture notes. It reads the module's
// import graph from `go list -deps -json` and the source of every
// non-test file, and reports each broken rule with the import (or call)
// that breaks it.

// listedPackage is what the rules read of one package of `go list -json`.
type listedPackage struct {
	ImportPath   string
	Dir          string
	Standard     bool
	GoFiles      []string
	Imports      []string // of the package's own (non-test) files
	Deps         []string // every package it needs to build, transitively
	TestImports  []string
	XTestImports []string
}

// The module's path and the parts of it the rules name.
const (
	module    = "mimo"
	root      = module + "/system" // the domain package, named mimo
	system    = root + "/"
	harness   = module + "/harness"
	scenarios = module + "/scenarios"
)

// What the front doors must not import: the stores, the embedders, the
// LLM clients, the vector index and the stores' shared rules. They reach
// all of that through the mimo.Service they are given.
var frontDoorForbidden = []string{
	system + "sqlite", system + "postgres", system + "embed", system + "llm", system + "index",
	system + "internal/memorykit", system + "internal/graphkit",
}

// Database drivers and migration engines: nothing but a store may need
// them, even through another package.
var drivers = []string{"modernc.org/sqlite", "github.com/jackc/pgx", "github.com/pressly/goose"}

// The validation suite's packages: they talk to Mimo over the network.
// From system/ they may import only the domain package (the types of
// requests, answers and health they share with it), never the system's
// parts, in their code or their tests.
var suite = []string{harness, scenarios, module + "/reports", module + "/xk6-mimo"}

// baselines are the suite's exceptions, each a package and the system parts
// it may import: mimobench times, beside Mimo, the plain ways Mimo is
// measured against (an FTS5 query and an exact vector scan over the file
// Mimo wrote), and the exact scan must embed its queries as Mimo's built-in
// embedder does; its tests write that file with the SQLite store. Neither
// is used to drive or check Mimo.
var baselines = map[string][]string{
	harness + "/cmd/mimobench": {system + "embed", system + "sqlite"},
}

// A violation is one broken rule.
type violation struct {
	rule, detail string
}

func (v violation) String() string { return v.rule + "\n\t" + v.detail }

const (
	ruleFrontDoors = "httpapi and mcpserver must not import a store, embedder, LLM or index package (they use the mimo.Service they are given)"
	ruleRoot       = "the root package mimo must import no package of the project and no driver: only the standard library"
	ruleSystem     = "nothing under system/ may import harness/ or scenarios/"
	ruleSuite      = "harness/ and scenarios/ may import from system/ only the domain package mimo (they talk to Mimo over the network)"
	rulePrometheus = "no package may register metrics on the global Prometheus registry (take a prometheus.Registerer)"
)

func TestArchitecture(t *testing.T) {
	pkgs := listModule(t)
	listed := map[string]bool{}
	for _, p := range pkgs {
		listed[p.ImportPath] = true
	}
	for _, p := range []string{root, system + "httpapi", system + "mcpserver", system + "memory", harness} {
		require.True(t, listed[p], "go list did not list %s: the rules would check nothing", p)
	}
	var found []violation
	found = append(found, importViolations(pkgs)...)
	for _, p := range pkgs {
		if !inModule(p.ImportPath) {
			continue
		}
		for _, f := range p.GoFiles {
			src, err := os.ReadFile(filepath.Join(p.Dir, f))
			require.NoError(t, err)
			vs, err := prometheusViolations(filepath.Join(p.ImportPath, f), src)
			require.NoError(t, err)
			found = append(found, vs...)
		}
	}
	for _, v := range found {
		t.Errorf("architecture rule broken: %s", v)
	}
}

// listModule returns every package of the module and of its dependencies.
func listModule(t *testing.T) []listedPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(goTool, "list", "-deps", "-json=ImportPath,Dir,Standard,GoFiles,Imports,Deps,TestImports,XTestImports",
		module+"/...")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs
		}
		require.NoError(t, err)
		pkgs = append(pkgs, p)
	}
}

func inModule(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// under reports whether path is prefix or a package below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, strings.TrimSuffix(prefix, "/")+"/")
}

func underAny(path string, prefixes []string) (string, bool) {
	for _, p := range prefixes {
		if under(path, p) {
			return p, true
		}
	}
	return "", false
}

// importViolations checks the import rules over pkgs.
func importViolations(pkgs []listedPackage) []violation {
	standard := map[string]bool{}
	deps := map[string][]string{}
	for _, p := range pkgs {
		standard[p.ImportPath] = p.Standard
		deps[p.ImportPath] = p.Deps
	}
	// through names the direct imports of p by which it reaches dep.
	through := func(p listedPackage, dep string) []string {
		var out []string
		for _, imp := range p.Imports {
			if imp == dep || slices.Contains(deps[imp], dep) {
				out = append(out, imp)
			}
		}
		return out
	}
	var out []violation
	add := func(rule, format string, args ...any) {
		out = append(out, violation{rule, fmt.Sprintf(format, args...)})
	}
	for _, p := range pkgs {
		path := p.ImportPath
		if !inModule(path) {
			continue
		}
		switch {
		case path == root:
			// The standard library imports nothing else, so checking the
			// direct imports checks every dependency.
			for _, imp := range p.Imports {
				if !standard[imp] {
					add(ruleRoot, "%s imports %s", path, imp)
				}
			}
		case under(path, system+"httpapi"), under(path, system+"mcpserver"):
			var forbidden []string
			for _, imp := range p.Imports {
				if bad, ok := underAny(imp, frontDoorForbidden); ok {
					forbidden = append(forbidden, imp)
					add(ruleFrontDoors, "%s imports %s (forbidden: %s)", path, imp, bad)
				}
			}
			// A driver reached another way than through a forbidden
			// import, once per driver.
			seen := map[string]bool{}
			for _, d := range p.Deps {
				drv, ok := underAny(d, drivers)
				if !ok || seen[drv] {
					continue
				}
				seen[drv] = true
				if by := through(p, d); !slices.ContainsFunc(by, func(i string) bool { return slices.Contains(forbidden, i) }) {
					add(ruleFrontDoors, "%s depends on the driver %s (through %s)", path, drv, strings.Join(by, ", "))
				}
			}
		}
		allImports := slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		if under(path, root) {
			for _, imp := range allImports {
				if _, ok := underAny(imp, []string{harness, scenarios}); ok {
					add(ruleSystem, "%s imports %s", path, imp)
				}
			}
		}
		if _, ok := underAny(path, suite); ok {
			for _, imp := range allImports {
				if under(imp, root) && imp != root && !slices.Contains(baselines[path], imp) {
					add(ruleSuite, "%s imports %s", path, imp)
				}
			}
		}
	}
	return out
}

// The identifiers of client_golang that reach the global registry.
var (
	promPackage    = "github.com/prometheus/client_golang/prometheus"
	promautoPkg    = promPackage + "/promauto"
	promGlobalUses = []string{"MustRegister", "Register", "Unregister", "DefaultRegisterer", "DefaultGatherer"}
)

// prometheusViolations parses one Go file and reports every use of the
// global Prometheus registry: prometheus.MustRegister, Register,
// Unregister, DefaultRegisterer, DefaultGatherer, and promauto's New…
// functions (promauto.With(registerer) is fine).
func prometheusViolations(name string, src []byte) ([]violation, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	names := map[string]string{} // local name → import path
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil || (path != promPackage && path != promautoPkg) {
			continue
		}
		local := filepath.Base(path)
		if imp.Name != nil {
			local = imp.Name.Name
		}
		names[local] = path
	}
	if len(names) == 0 {
		return nil, nil
	}
	var out []violation
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		bad := false
		switch names[x.Name] {
		case promPackage:
			bad = slices.Contains(promGlobalUses, sel.Sel.Name)
		case promautoPkg:
			bad = strings.HasPrefix(sel.Sel.Name, "New")
		}
		if bad {
			out = append(out, violation{rulePrometheus,
				fmt.Sprintf("%s uses %s.%s", fset.Position(sel.Pos()), x.Name, sel.Sel.Name)})
		}
		return true
	})
	return out, nil
}

// Each rule fires on a graph that breaks it, and names the import.
func TestArchitectureRulesFire(t *testing.T) {
	std := func(path string) listedPackage { return listedPackage{ImportPath: path, Standard: true} }
	cases := []struct {
		name string
		pkg  listedPackage
		rule string
		says string
	}{
		{"front door imports a store",
			listedPackage{ImportPath: system + "httpapi", Imports: []string{root, system + "sqlite"}},
			ruleFrontDoors, "mimo/system/httpapi imports mimo/system/sqlite"},
		{"front door reaches a driver",
			listedPackage{ImportPath: system + "mcpserver", Imports: []string{system + "memory"},
				Deps: []string{system + "memory", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn"}},
			ruleFrontDoors, "depends on the driver github.com/jackc/pgx (through mimo/system/memory)"},
		{"root imports a part",
			listedPackage{ImportPath: root, Imports: []string{"fmt", system + "metrics"}, Deps: []string{"fmt", system + "metrics"}},
			ruleRoot, "mimo/system imports mimo/system/metrics"},
		{"root imports a driver",
			listedPackage{ImportPath: root, Imports: []string{"modernc.org/sqlite"}, Deps: []string{"modernc.org/sqlite"}},
			ruleRoot, "mimo/system imports modernc.org/sqlite"},
		{"system test imports the harness",
			listedPackage{ImportPath: system + "memory", XTestImports: []string{harness}},
			ruleSystem, "mimo/system/memory imports mimo/harness"},
		{"harness imports a system part",
			listedPackage{ImportPath: harness + "/toxics", Imports: []string{root, system + "breaker"}},
			ruleSuite, "mimo/harness/toxics imports mimo/system/breaker"},
		{"scenario test imports a store",
			listedPackage{ImportPath: scenarios + "/pipeline", TestImports: []string{system + "sqlite"}},
			ruleSuite, "mimo/scenarios/pipeline imports mimo/system/sqlite"},
		{"a baseline imports a part beyond its exception",
			listedPackage{ImportPath: harness + "/cmd/mimobench", Imports: []string{root, system + "embed", system + "index"}},
			ruleSuite, "mimo/harness/cmd/mimobench imports mimo/system/index"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			memory := listedPackage{ImportPath: system + "memory", Deps: []string{"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn"}}
			vs := importViolations([]listedPackage{c.pkg, memory, std("fmt")})
			require.Len(t, vs, 1, "%v", vs)
			assert.Equal(t, c.rule, vs[0].rule)
			assert.Contains(t, vs[0].detail, c.says)
		})
	}
	allowed := []listedPackage{
		{ImportPath: root, Imports: []string{"fmt"}, Deps: []string{"fmt"}},
		{ImportPath: system + "httpapi", Imports: []string{root, system + "metrics"}, TestImports: []string{system + "sqlite"}},
		{ImportPath: harness, Imports: []string{root}},
		std("fmt"),
	}
	assert.Empty(t, importViolations(allowed), "the domain package, metrics and test-only stores are allowed")

	src := func(body string) []byte {
		return []byte("package p\nimport (\n\t\"github.com/prometheus/client_golang/prometheus\"\n\tauto \"github.com/prometheus/client_golang/prometheus/promauto\"\n)\n" +
			"// prometheus.MustRegister in a comment is no use.\nfunc f(reg prometheus.Registerer) {\n" + body + "\n}\n")
	}
	for body, want := range map[string]string{
		`prometheus.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{}))`: "uses prometheus.MustRegister",
		`_ = prometheus.DefaultRegisterer`:                                         "uses prometheus.DefaultRegisterer",
		`auto.NewGauge(prometheus.GaugeOpts{})`:                                    "uses auto.NewGauge",
		`auto.With(reg).NewGauge(prometheus.GaugeOpts{})`:                          "",
		`reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{}))`:        "",
	} {
		vs, err := prometheusViolations("p.go", src(body))
		require.NoError(t, err)
		if want == "" {
			assert.Empty(t, vs, body)
			continue
		}
		if assert.Len(t, vs, 1, body) {
			assert.Equal(t, rulePrometheus, vs[0].rule)
			assert.Contains(t, vs[0].detail, want)
		}
	}
}
