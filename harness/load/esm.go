package load

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
)

// Why a transform of our own: k6 scripts are ES modules, and goja (at the pinned version)
// parses scripts only — it has no module records, no import or export statements. k6 once
// ran Babel inside goja for this; Babel is megabytes of JavaScript to load into every VU,
// and no Go library rewrites ES modules to CommonJS without bringing a second JavaScript
// engine. The part of the module grammar load scripts use is small (import and export
// statements at the top level), so the runner rewrites exactly that and leaves every other
// byte alone: goja parses the result, and every line stays where it was, so errors point at
// the script's own file:line.

// Names the rewritten module is evaluated with; chosen not to clash with a script's own.
const (
	requireName = "__mimo_require"
	exportsName = "__mimo_exports"
)

// transformModule rewrites the top-level import and export statements of an ES module
// into calls of __mimo_require(specifier) and assignments to __mimo_exports, and returns a
// function expression taking (__mimo_exports, __mimo_require) whose call evaluates the
// module; a script with neither imports nor exports also gets (exports, module), CommonJS
// style. Every line of src keeps its number. Import bindings are made where the import
// statement stood (scripts import at the top, so hoisting is not needed); exported
// declarations are copied onto __mimo_exports after the module body has run. Errors name
// name:line:column.
func transformModule(name, src string) (string, error) {
	var out strings.Builder
	out.Grow(len(src) + 256)
	t := &moduleTransform{name: name, src: src}
	last := 0
	for {
		start, word, ok := t.nextTopLevelKeyword()
		if !ok {
			break
		}
		t.module = true
		t.outPos = out.Len() + start - last
		end, repl, err := t.rewrite(start, word)
		if err != nil {
			return "", err
		}
		out.WriteString(src[last:start])
		out.WriteString(repl)
		// Keep line numbers: the replacement spans as many lines as the statement did.
		want := strings.Count(src[start:end], "\n")
		if have := strings.Count(repl, "\n"); have < want {
			out.WriteString(strings.Repeat("\n", want-have))
		}
		last = end
		t.pos = end
	}
	out.WriteString(src[last:])
	body := out.String()

	tail, err := t.exportTail(body)
	if err != nil {
		return "", err
	}
	params := exportsName + ", " + requireName
	if !t.module {
		// No import or export: a CommonJS-style script, which uses exports, module and
		// require (a global) as k6 allows. An ES module may declare those names itself.
		params += ", exports, module"
	}
	return "(function(" + params + ") {" + body + "\n" + tail + "\n})", nil
}

// moduleTransform scans a module's source for the statements it rewrites.
type moduleTransform struct {
	name string
	src  string
	pos  int
	// module says whether any import or export statement was found.
	module bool
	// outPos is where, in the rewritten body, the statement being rewritten starts.
	outPos int
	// decls are offsets, in the rewritten body, of declarations whose names are exported.
	decls []int
	// named maps exported names to local names (export { a as b }).
	named [][2]string
}

func (t *moduleTransform) errorf(at int, format string, args ...any) error {
	line, col := 1, 1
	for _, c := range t.src[:min(at, len(t.src))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("%s:%d:%d: %s", t.name, line, col, fmt.Sprintf(format, args...))
}

// nextTopLevelKeyword finds the next import or export keyword at nesting depth zero outside
// strings, comments, templates and regular expressions, from t.pos on.
func (t *moduleTransform) nextTopLevelKeyword() (int, string, bool) {
	src := t.src
	depth := 0
	var templates []int // depths at which a template's ${ was opened
	var prev byte       // last significant character
	prevWord := ""
	for i := t.pos; i < len(src); {
		c := src[i]
		switch {
		case c == '\n' || c == ' ' || c == '\t' || c == '\r':
			i++
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return 0, "", false
			}
			i += end + 4
			continue
		case c == '"' || c == '\'':
			i = skipString(src, i)
		case c == '`':
			i = skipTemplate(src, i+1, &templates, &depth)
		case c == '/' && regexAllowed(prev, prevWord):
			i = skipRegex(src, i)
		case c == '{' || c == '(' || c == '[':
			depth++
			i++
		case c == '}' && len(templates) > 0 && templates[len(templates)-1] == depth:
			templates = templates[:len(templates)-1]
			depth--
			i = skipTemplate(src, i+1, &templates, &depth)
		case c == '}' || c == ')' || c == ']':
			depth--
			i++
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			w := src[i:j]
			if depth == 0 && (w == "import" || w == "export") && prev != '.' {
				next := skipSpace(src, j)
				if w == "export" || next >= len(src) || (src[next] != '(' && src[next] != '.') {
					return i, w, true
				}
			}
			prev, prevWord = 'a', w
			i = j
			continue
		default:
			i++
		}
		prev, prevWord = c, ""
	}
	return 0, "", false
}

// rewrite replaces the statement starting at start (an import or export keyword) and
// returns where the replaced text ends and what replaces it.
func (t *moduleTransform) rewrite(start int, word string) (int, string, error) {
	if word == "import" {
		return t.rewriteImport(start)
	}
	return t.rewriteExport(start)
}

// rewriteImport handles: import 'm'; import x from 'm'; import * as ns from 'm';
// import { a, b as c } from 'm'; import x, { a } from 'm'; import x, * as ns from 'm'.
func (t *moduleTransform) rewriteImport(start int) (int, string, error) {
	l := &lexer{src: t.src, pos: start + len("import")}
	if l.peekString() {
		spec, err := l.str()
		if err != nil {
			return 0, "", t.errorf(start, "import: %v", err)
		}
		return l.endStatement(), requireName + "(" + strconv.Quote(spec) + ");", nil
	}
	var def, ns string
	var names [][2]string
	for {
		switch {
		case l.punct('*'):
			if l.word() != "as" {
				return 0, "", t.errorf(start, "import * must be followed by 'as NAME'")
			}
			ns = l.word()
		case l.punct('{'):
			list, err := l.specifierList()
			if err != nil {
				return 0, "", t.errorf(start, "import: %v", err)
			}
			names = append(names, list...)
		default:
			def = l.word()
			if def == "" {
				return 0, "", t.errorf(start, "import: unexpected %q", l.rest(10))
			}
		}
		if !l.punct(',') {
			break
		}
	}
	if l.word() != "from" {
		return 0, "", t.errorf(start, "import: expected 'from'")
	}
	spec, err := l.str()
	if err != nil {
		return 0, "", t.errorf(start, "import: %v", err)
	}
	req := requireName + "(" + strconv.Quote(spec) + ")"
	var b strings.Builder
	if def != "" {
		fmt.Fprintf(&b, "const %s = %s.default;", def, req)
	}
	if ns != "" {
		fmt.Fprintf(&b, "const %s = %s;", ns, req)
	}
	if len(names) > 0 {
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = strconv.Quote(n[0]) + ": " + n[1]
		}
		fmt.Fprintf(&b, "const { %s } = %s;", strings.Join(parts, ", "), req)
	}
	return l.endStatement(), b.String(), nil
}

// rewriteExport handles export declarations, export default, export lists and re-exports.
func (t *moduleTransform) rewriteExport(start int) (int, string, error) {
	l := &lexer{src: t.src, pos: start + len("export")}
	after := l.pos
	switch w := l.peekWord(); w {
	case "default":
		l.word()
		rest := l.pos
		w2 := l.peekWord()
		if w2 == "async" {
			l.word()
			w2 = l.peekWord()
		}
		if w2 == "function" || w2 == "class" {
			l.word()
			l.punct('*')
			if n := l.peekWord(); n != "" && n != "extends" {
				// A named default declaration binds its name in the module too.
				t.named = append(t.named, [2]string{n, "default"})
				return rest, strings.Repeat(" ", rest-start), nil
			}
		}
		return rest, exportsName + ".default =", nil
	case "const", "let", "var", "function", "async", "class":
		// The declaration stays; its names are read from the parsed body afterwards.
		t.decls = append(t.decls, t.outPos)
		return after, strings.Repeat(" ", after-start), nil
	}
	if l.punct('*') {
		var ns string
		if l.peekWord() == "as" {
			l.word()
			ns = l.word()
		}
		if l.word() != "from" {
			return 0, "", t.errorf(start, "export *: expected 'from'")
		}
		spec, err := l.str()
		if err != nil {
			return 0, "", t.errorf(start, "export: %v", err)
		}
		req := requireName + "(" + strconv.Quote(spec) + ")"
		if ns != "" {
			return l.endStatement(), exportsName + "." + ns + " = " + req + ";", nil
		}
		return l.endStatement(), "(function(m){for (const k in m) { if (k !== 'default') " + exportsName + "[k] = m[k]; }})(" + req + ");", nil
	}
	if !l.punct('{') {
		return 0, "", t.errorf(start, "export: unexpected %q", l.rest(10))
	}
	list, err := l.specifierList()
	if err != nil {
		return 0, "", t.errorf(start, "export: %v", err)
	}
	if l.peekWord() == "from" {
		l.word()
		spec, err := l.str()
		if err != nil {
			return 0, "", t.errorf(start, "export: %v", err)
		}
		var b strings.Builder
		b.WriteString("(function(m){")
		for _, n := range list {
			fmt.Fprintf(&b, "%s[%q] = m[%q];", exportsName, n[1], n[0])
		}
		b.WriteString("})(" + requireName + "(" + strconv.Quote(spec) + "));")
		return l.endStatement(), b.String(), nil
	}
	t.named = append(t.named, list...)
	return l.endStatement(), "", nil
}

// exportTail parses the rewritten body to find the names the exported declarations bind,
// and returns the statements that copy every export onto __mimo_exports.
func (t *moduleTransform) exportTail(body string) (string, error) {
	pairs := append([][2]string(nil), t.named...)
	if len(t.decls) > 0 {
		prog, err := parser.ParseFile(nil, t.name, body, 0)
		if err != nil {
			return "", err
		}
		stmts := prog.Body
		for _, at := range t.decls {
			i := sort.Search(len(stmts), func(i int) bool { return int(stmts[i].Idx0())-1 >= at })
			if i == len(stmts) {
				return "", fmt.Errorf("%s: export: no declaration follows", t.name)
			}
			for _, n := range declaredNames(stmts[i]) {
				pairs = append(pairs, [2]string{n, n})
			}
		}
	}
	var b strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&b, "%s[%q] = %s;", exportsName, p[1], p[0])
	}
	return b.String(), nil
}

// declaredNames lists the names a top-level declaration binds.
func declaredNames(s ast.Statement) []string {
	var names []string
	var bindings []*ast.Binding
	switch d := s.(type) {
	case *ast.VariableStatement:
		bindings = d.List
	case *ast.LexicalDeclaration:
		bindings = d.List
	case *ast.FunctionDeclaration:
		if d.Function.Name != nil {
			names = append(names, d.Function.Name.Name.String())
		}
	case *ast.ClassDeclaration:
		if d.Class.Name != nil {
			names = append(names, d.Class.Name.Name.String())
		}
	}
	for _, b := range bindings {
		names = appendTargetNames(names, b.Target)
	}
	return names
}

func appendTargetNames(names []string, e ast.Expression) []string {
	switch x := e.(type) {
	case *ast.Identifier:
		names = append(names, x.Name.String())
	case *ast.AssignExpression:
		names = appendTargetNames(names, x.Left)
	case *ast.Binding:
		names = appendTargetNames(names, x.Target)
	case *ast.ArrayPattern:
		for _, el := range x.Elements {
			names = appendTargetNames(names, el)
		}
		names = appendTargetNames(names, x.Rest)
	case *ast.ObjectPattern:
		for _, p := range x.Properties {
			switch q := p.(type) {
			case *ast.PropertyShort:
				names = append(names, q.Name.Name.String())
			case *ast.PropertyKeyed:
				names = appendTargetNames(names, q.Value)
			}
		}
		names = appendTargetNames(names, x.Rest)
	}
	return names
}
