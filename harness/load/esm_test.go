package load

import (
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// evalTransformed transforms and runs src with a require that serves fake modules, and
// returns the module's exports.
func evalTransformed(t *testing.T, src string) *goja.Object {
	t.Helper()
	code, err := transformModule("m.js", src)
	require.NoError(t, err)
	rt := goja.New()
	v, err := rt.RunScript("m.js", code)
	require.NoError(t, err, code)
	fn, ok := goja.AssertFunction(v)
	require.True(t, ok)
	mods := map[string]any{
		"lib": map[string]any{"default": "D", "a": 1, "b": 2, "weird-name": 3},
	}
	exports := rt.NewObject()
	req := func(spec string) any { return mods[spec] }
	_, err = fn(goja.Undefined(), exports, rt.ToValue(req))
	require.NoError(t, err, code)
	return exports
}

// isFunction marks an export expected to be a function.
type functionMark struct{}

var isFunction = functionMark{}

func TestTransformModuleImportsAndExports(t *testing.T) {
	cases := []struct {
		name, src string
		want      map[string]any
	}{
		{"default import", `import d from 'lib'; export const x = d;`, map[string]any{"x": "D"}},
		{"named imports with alias", `import { a, b as bee } from "lib"; export const s = a + bee;`, map[string]any{"s": int64(3)}},
		{"default and named", `import d, { a } from 'lib'; export let s = d + a;`, map[string]any{"s": "D1"}},
		{"namespace", `import * as ns from 'lib'; export var s = ns.b;`, map[string]any{"s": int64(2)}},
		{"string export name", `import { "weird-name" as w } from 'lib'; export const s = w;`, map[string]any{"s": int64(3)}},
		{"side effect import", "import 'lib'\nexport const s = 1", map[string]any{"s": int64(1)}},
		{"export function", `export function f() { return 7 } export const s = f();`, map[string]any{"s": int64(7)}},
		{"export async function", `export async function g() {} export const s = typeof g;`, map[string]any{"s": "function"}},
		{"export class", `export class C {} export const s = typeof C;`, map[string]any{"s": "function"}},
		{"export default anonymous", `export default function () { return 1 }`, map[string]any{"default": isFunction}},
		{"export default named", "export default function main() { return 2 }\nexport const s = main();", map[string]any{"default": isFunction, "s": int64(2)}},
		{"export default anonymous class", "class B {}\nexport default class extends B {}", map[string]any{"default": isFunction}},
		{"export default expression", `export default 40 + 2;`, map[string]any{"default": int64(42)}},
		{"export list", `const a = 1, b = 2; export { a, b as c };`, map[string]any{"a": int64(1), "c": int64(2)}},
		{"several declarators", `export const a = 1, b = { x: [1, 2] }, c = 3;`, map[string]any{"a": int64(1), "c": int64(3)}},
		{"destructuring export", `export const { p, q: [r] } = { p: 1, q: [2] };`, map[string]any{"p": int64(1), "r": int64(2)}},
		{"re-export", `export { a as first, default as dflt } from 'lib';`, map[string]any{"first": int64(1), "dflt": "D"}},
		{"re-export all", `export * from 'lib';`, map[string]any{"a": int64(1), "b": int64(2)}},
		{"keywords in strings and comments", "// import x from 'nope'\n/* export const no = 1 */\nconst s1 = 'import y from \"z\"';\nexport const s = `export ${s1.length}`;",
			map[string]any{"s": "export 17"}},
		{"regex with quote", "const re = /['\"]/g; export const s = 'a\"b'.replace(re, '');", map[string]any{"s": "ab"}},
		{"nested template", "const v = 1; export const s = `a${`b${v}`}c`;", map[string]any{"s": "ab1c"}},
		{"dynamic-looking property", "const o = { import: 1, export: 2 }; export const s = o.import + o.export;", map[string]any{"s": int64(3)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			exp := evalTransformed(t, c.src)
			for k, want := range c.want {
				got := exp.Get(k)
				require.NotNil(t, got, "export %s missing", k)
				if want == isFunction {
					_, ok := goja.AssertFunction(got)
					assert.True(t, ok, "export %s is a function", k)
					continue
				}
				assert.Equal(t, want, got.Export(), "export %s", k)
			}
		})
	}
}

func TestTransformModuleKeepsLineNumbers(t *testing.T) {
	src := "import {\n  a,\n  b\n} from 'lib';\nexport const x = 1;\nexport {\n  x as y\n};\nthrow new Error('here');\n"
	code, err := transformModule("m.js", src)
	require.NoError(t, err)
	rt := goja.New()
	v, err := rt.RunScript("m.js", code)
	require.NoError(t, err)
	fn, _ := goja.AssertFunction(v)
	_, err = fn(goja.Undefined(), rt.NewObject(), rt.ToValue(func(string) any { return map[string]any{} }))
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(jsError(err), "m.js:9:"), jsError(err))
}

func TestTransformModuleRejectsMalformedStatements(t *testing.T) {
	for _, src := range []string{
		`import from 'x';`,
		`import { a from 'x';`,
		`import * from 'x';`,
		`import a 'x';`,
		`export * 'x';`,
	} {
		_, err := transformModule("bad.js", src)
		if assert.Error(t, err, src) {
			assert.Contains(t, err.Error(), "bad.js:1:", src)
		}
	}
}
