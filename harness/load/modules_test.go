package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echo answers with a JSON description of the request.
func echo(w http.ResponseWriter, r *http.Request) {
	if d := r.URL.Query().Get("sleep"); d != "" {
		t, _ := time.ParseDuration(d)
		select {
		case <-time.After(t):
		case <-r.Context().Done():
			return
		}
	}
	if s := r.URL.Query().Get("status"); s != "" {
		var code int
		fmt.Sscan(s, &code)
		w.WriteHeader(code)
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Method", r.Method)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "path": r.URL.Path, "body": string(body),
		"header": r.Header.Get("X-Test"), "ctype": r.Header.Get("Content-Type"),
		"items": []map[string]any{{"id": 1}, {"id": 2}},
	})
}

// checkScript runs src (which must end with assertions made through check) and requires
// every check to have passed, printing the failed ones.
func requireAllChecksPass(t *testing.T, res *Result) {
	t.Helper()
	var walk func(g *Group)
	n := 0
	walk = func(g *Group) {
		for _, c := range g.Checks {
			n++
			assert.Zero(t, c.Fails, "check %q failed", c.Path)
		}
		for _, sub := range g.Groups {
			walk(sub)
		}
	}
	walk(res.Checks)
	assert.Positive(t, n, "the script made checks")
}

func TestHTTPModuleMethodsParamsAndResponses(t *testing.T) {
	srv := server(t, echo)
	src := fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
const base = '%s';
export default function () {
  const g = http.get(base + '/g', { headers: { 'X-Test': 'yes' } });
  check(g, {
    'get status': (r) => r.status === 200,
    'get header sent': (r) => r.json('header') === 'yes',
    'json selector': (r) => r.json('items.1.id') === 2 && r.json('items.#') === 2,
    'json whole': (r) => r.json().method === 'GET',
    'response header': (r) => r.headers['X-Method'] === 'GET',
    'timings': (r) => r.timings.duration > 0 && r.timings.waiting >= 0,
    'body is a string': (r) => typeof r.body === 'string' && r.body.length > 0,
    'url': (r) => r.url === base + '/g',
    'request': (r) => r.request.method === 'GET',
  });
  const p = http.post(base + '/p', JSON.stringify({ a: 1 }), { headers: { 'Content-Type': 'application/json' } });
  check(p, { 'post body': (r) => r.json('body') === '{"a":1}' && r.json('ctype') === 'application/json' });
  const f = http.post(base + '/f', { a: '1', b: 'x y' });
  check(f, { 'form body': (r) => r.json('body') === 'a=1&b=x+y' && r.json('ctype') === 'application/x-www-form-urlencoded' });
  check(http.put(base + '/u', 'x'), { 'put': (r) => r.json('method') === 'PUT' && r.json('body') === 'x' });
  check(http.patch(base + '/u', 'y'), { 'patch': (r) => r.json('method') === 'PATCH' });
  check(http.del(base + '/u'), { 'del': (r) => r.json('method') === 'DELETE' });
  check(http.request('OPTIONS', base + '/o'), { 'request': (r) => r.json('method') === 'OPTIONS' });
  check(http.get(base + '/s?status=503'), { 'status kept': (r) => r.status === 503 });
  const t = http.get(base + '/slow?sleep=2s', { timeout: '100ms' });
  check(t, { 'timeout': (r) => r.status === 0 && r.error_code === 1050 && r.error !== '' });
  const t2 = http.get(base + '/slow?sleep=2s', { timeout: 100 });
  check(t2, { 'timeout in ms': (r) => r.status === 0 });
  const refused = http.get('http://127.0.0.1:1/');
  check(refused, { 'refused': (r) => r.status === 0 && r.error_code === 1212 });
  const bs = http.batch([
    base + '/b1',
    ['POST', base + '/b2', 'z', { headers: { 'X-Test': 'b' } }],
    { method: 'PUT', url: base + '/b3', body: 'w' },
  ]);
  check(bs, {
    'batch array': (r) => r.length === 3 && r[0].json('path') === '/b1' && r[1].json('header') === 'b' && r[2].json('method') === 'PUT',
  });
  const bo = http.batch({ one: base + '/o1', two: ['GET', base + '/o2'] });
  check(bo, { 'batch object': (r) => r.one.json('path') === '/o1' && r.two.json('path') === '/o2' });
}
`, srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
	// 11 single requests, 3 + 2 in batches.
	assert.Equal(t, 16.0, count(t, res, "http_reqs"))
	failed := res.Registry.Get("http_req_failed")
	passes, _ := failed.Value("passes", res.Duration)
	assert.Equal(t, 4.0, passes, "the 503, two timeouts and the refused connection failed")
	sent, _ := res.Registry.Get("data_sent").Value("count", res.Duration)
	recv, _ := res.Registry.Get("data_received").Value("count", res.Duration)
	assert.Greater(t, sent, 1000.0)
	assert.Greater(t, recv, 1000.0)
}

func TestRequestTagsNameAndStatus(t *testing.T) {
	srv := server(t, echo)
	rec := &recorder{}
	src := fmt.Sprintf(`
import http from 'k6/http';
export const options = { tags: { env: 'test' } };
export default function () {
  http.get('%[1]s/items/42', { tags: { name: 'item', kind: 'read' } });
  http.get('%[1]s/missing?status=404');
}
`, srv.URL)
	_, err := runSource(t, src, Config{Outputs: []Output{rec}})
	require.NoError(t, err)
	reqs := rec.of("http_reqs")
	require.Len(t, reqs, 2)
	assert.Equal(t, "item", reqs[0].Tags["name"])
	assert.Equal(t, "read", reqs[0].Tags["kind"])
	assert.Equal(t, "GET", reqs[0].Tags["method"])
	assert.Equal(t, "200", reqs[0].Tags["status"])
	assert.Equal(t, "true", reqs[0].Tags["expected_response"])
	assert.Equal(t, "default", reqs[0].Tags["scenario"])
	assert.Equal(t, "test", reqs[0].Tags["env"])
	assert.Equal(t, srv.URL+"/missing?status=404", reqs[1].Tags["name"], "name defaults to the URL")
	assert.Equal(t, "404", reqs[1].Tags["status"])
	assert.Equal(t, "false", reqs[1].Tags["expected_response"])
}

func TestChecksAndGroupsAreTagged(t *testing.T) {
	srv := server(t, echo)
	rec := &recorder{}
	src := fmt.Sprintf(`
import http from 'k6/http';
import { check, group } from 'k6';
export default function () {
  check(1, { 'root check': (v) => v === 1 });
  const r = group('outer', function () {
    http.get('%s/in');
    group('inner', () => { check(2, { 'deep check': (v) => v === 3 }, { extra: 'x' }); });
    return 7;
  });
  check(r, { 'group returns': (v) => v === 7, 'plain value': true });
}
`, srv.URL)
	res, err := runSource(t, src, Config{Outputs: []Output{rec}})
	require.NoError(t, err)
	byName := map[string]Sample{}
	for _, s := range rec.of("checks") {
		byName[s.Tags["check"]] = s
	}
	require.Len(t, byName, 4)
	assert.Equal(t, "", byName["root check"].Tags["group"])
	assert.Equal(t, 1.0, byName["root check"].Value)
	assert.Equal(t, "::outer::inner", byName["deep check"].Tags["group"])
	assert.Equal(t, "x", byName["deep check"].Tags["extra"])
	assert.Equal(t, 0.0, byName["deep check"].Value)
	assert.Equal(t, 1.0, byName["group returns"].Value)
	reqs := rec.of("http_reqs")
	require.Len(t, reqs, 1)
	assert.Equal(t, "::outer", reqs[0].Tags["group"])
	groups := map[string]bool{}
	for _, s := range rec.of("group_duration") {
		groups[s.Tags["group"]] = true
	}
	assert.Equal(t, map[string]bool{"::outer": true, "::outer::inner": true}, groups)

	root := res.Checks
	require.Len(t, root.Groups, 1)
	inner := root.Groups[0].Groups[0]
	assert.Equal(t, "::outer::inner", inner.Path)
	require.Len(t, inner.Checks, 1)
	assert.Equal(t, int64(1), inner.Checks[0].Fails)
	assert.Equal(t, "::outer::inner::deep check", inner.Checks[0].Path)
}

func TestSetupDataReachesEveryVUAndTeardown(t *testing.T) {
	var mu sync.Mutex
	tokens := map[string]int{}
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens[r.URL.Path+" "+r.Header.Get("Authorization")]++
		mu.Unlock()
	})
	src := fmt.Sprintf(`
import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 3, iterations: 3 } } };
export function setup() {
  http.get('%[1]s/setup');
  return { token: 'abc', list: [1, 2], n: 0 };
}
export default function (data) {
  data.n++; // each VU has its own copy
  http.get('%[1]s/vu/' + data.list.length + '/' + (data.n > 3 ? 'shared' : 'own'), { headers: { Authorization: 'Bearer ' + data.token } });
}
export function teardown(data) {
  http.get('%[1]s/teardown/' + data.token + '/' + data.n);
}
`, srv.URL)
	_, err := runSource(t, src, Config{})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{
		"/setup ":              1,
		"/vu/2/own Bearer abc": 9,
		"/teardown/abc/0 ":     1,
	}, tokens)
}

func TestCustomMetrics(t *testing.T) {
	src := `
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
const c = new Counter('my_counter');
const g = new Gauge('my_gauge');
const r = new Rate('my_rate');
const tt = new Trend('my_time', true);
const tn = new Trend('my_trend');
export const options = {
  iterations: 4,
  thresholds: {
    my_counter: ['count==8'], my_gauge: ['value==3'], my_rate: ['rate==0.75'],
    my_time: ['max==400', 'avg==250'], 'my_trend{kind:odd}': ['avg==2'],
  },
};
export default function () {
  c.add(2);
  g.add(__ITER);
  r.add(__ITER > 0);
  tt.add(100 * (__ITER + 1));
  tn.add(__ITER, { kind: __ITER % 2 ? 'odd' : 'even' });
}
`
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	require.Len(t, res.Thresholds.Metrics, 5)
	for _, mt := range res.Thresholds.Metrics {
		for _, th := range mt.List {
			assert.False(t, th.Crossed(), "%s %s: %v", mt.Name, th.Source, th.Last())
		}
	}
	assert.Equal(t, Time, res.Registry.Get("my_time").Contains)
	assert.Equal(t, Default, res.Registry.Get("my_trend").Contains)
}

func TestCustomMetricOutsideInitAndTypeClash(t *testing.T) {
	var log bytes.Buffer
	_, err := runSource(t, "import { Counter } from 'k6/metrics';\nexport default function () { new Counter('late'); }\n", Config{Log: &log})
	require.NoError(t, err)
	assert.Contains(t, log.String(), "init context")
	_, err = runSource(t, "import { Counter, Rate } from 'k6/metrics';\nconst a = new Counter('same');\nconst b = new Rate('same');\nexport default function () {}\n", Config{})
	var se *ScriptError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Error(), "script.js:3:")
}

func TestGlobalsEnvVUIterAndOpen(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
	})
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data.txt"), []byte("from-file"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lib.js"), []byte("export const base = __ENV.BASE;\nexport default function path(x) { return '/lib/' + x; }\n"), 0o600))
	src := `
import http from 'k6/http';
import path, { base } from './lib.js';
const text = open('./data.txt');
const bin = open('data.txt', 'b');
export const options = { vus: 1, iterations: 2 };
export default function () {
  http.get(base + path(text + '-' + bin.byteLength + '-' + __VU + '-' + __ITER + '-' + __ENV.MODE));
}
`
	path := filepath.Join(dir, "script.js")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	_, err := runFile(t, path, Config{Env: map[string]string{"BASE": srv.URL, "MODE": "m"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"/lib/from-file-9-1-0-m", "/lib/from-file-9-1-1-m"}, paths)
}

func TestScriptErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"syntax error", "export default function () {\n  let x = ;\n}\n", "script.js:2:"},
		{"init exception", "const a = 1;\nnull.x;\nexport default function () {}\n", "script.js:2:"},
		{"unknown module", "import x from 'k6/nope';\nexport default function () {}\n", "unknown module"},
		{"setup exception", "export function setup() {\n\n  throw new Error('boom');\n}\nexport default function () {}\n", "script.js:3:"},
		{"bad import", "import from 'k6';\n", "script.js:1:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runSource(t, c.src, Config{})
			var se *ScriptError
			require.ErrorAs(t, err, &se)
			assert.Contains(t, se.Error(), c.want)
		})
	}
}

func TestExceptionInAnIterationIsLoggedAndTheRunGoesOn(t *testing.T) {
	var log bytes.Buffer
	src := "import { fail } from 'k6';\nexport const options = { iterations: 3 };\nexport default function () {\n  if (__ITER === 1) fail('odd one');\n}\n"
	res, err := runSource(t, src, Config{Log: &log})
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.Completed)
	assert.Contains(t, log.String(), "script.js:4:")
	assert.Contains(t, log.String(), "odd one")
}

func TestAbortOnFailStopsTheTestEarly(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	src := fmt.Sprintf(`
import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  vus: 2, duration: '20s',
  thresholds: { http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }] },
};
export default function () { http.get('%s/'); sleep(0.05); }
`, srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	assert.True(t, res.Aborted)
	assert.True(t, res.Crossed)
	assert.Equal(t, ExitThresholdsFailed, res.ExitCode())
	assert.Less(t, res.Duration, 15*time.Second, "stopped well before its 20 s")
}

func TestRedirectsAreFollowed(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+string(body))
		mu.Unlock()
		switch r.URL.Path {
		case "/303":
			http.Redirect(w, r, "/landing", http.StatusSeeOther)
		case "/307":
			http.Redirect(w, r, "/landing", http.StatusTemporaryRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			_, _ = w.Write([]byte("landed"))
		}
	})
	src := fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  check(http.post('%[1]s/303', 'a'), { '303 becomes GET': (r) => r.status === 200 && r.url === '%[1]s/landing' && r.body === 'landed' });
  check(http.post('%[1]s/307', 'b'), { '307 keeps the method': (r) => r.status === 200 });
  check(http.get('%[1]s/loop'), { 'at most 10 redirects': (r) => r.status === 302 });
}
`, srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
	assert.Equal(t, []string{"POST /303 a", "GET /landing ", "POST /307 b", "POST /landing b"}, seen[:4])
	assert.Len(t, seen, 4+11, "the loop: the request and ten redirects")
}

func TestCookiesLastAnIteration(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("session")
		mu.Lock()
		if err == nil {
			seen = append(seen, r.URL.Path+"="+c.Value)
		} else {
			seen = append(seen, r.URL.Path+"=")
		}
		mu.Unlock()
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
			http.Redirect(w, r, "/home", http.StatusFound)
		case "/after":
			http.SetCookie(w, &http.Cookie{Name: "pref", Value: "dark", Path: "/x", HttpOnly: true})
		}
	})
	src := fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 2 };
export default function () {
  http.get('%[1]s/before');
  const r = http.get('%[1]s/login');
  check(r, { 'redirected home': (x) => x.url === '%[1]s/home' });
  check(http.get('%[1]s/after'), {
    'response cookies': (x) => x.cookies.pref[0].value === 'dark' && x.cookies.pref[0].path === '/x' && x.cookies.pref[0].http_only,
  });
}
`, srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
	once := []string{"/before=", "/login=", "/home=s1", "/after=s1"}
	assert.Equal(t, append(once, once...), seen, "the cookie follows the redirect and is gone in the next iteration")
}

func TestRequireInCommonJSStyle(t *testing.T) {
	srv := server(t, echo)
	src := fmt.Sprintf("const http = require('k6/http');\nconst { check } = require('k6');\n"+
		"exports.options = { iterations: 1 };\n"+
		"exports.default = function () { check(http.get('%s/cjs'), { 'required modules work': (r) => r.json('path') === '/cjs' }); };\n", srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
}

func TestExpectedStatusesAndMaxRedirects(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusNotFound)
		case "/hop":
			http.Redirect(w, r, "/end", http.StatusFound)
		}
	})
	src := fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = {
  iterations: 1, maxRedirects: 0,
  thresholds: { 'http_req_failed{name:gone-ok}': ['rate==0'], 'http_req_failed{name:gone-default}': ['rate==1'],
                'http_req_failed{name:gone-vu}': ['rate==0'], 'http_req_failed{name:ok-vu}': ['rate==1'] },
};
export default function () {
  http.get('%[1]s/gone', { tags: { name: 'gone-default' } });
  http.get('%[1]s/gone', { tags: { name: 'gone-ok' }, responseCallback: http.expectedStatuses(200, { min: 400, max: 404 }) });
  http.setResponseCallback(http.expectedStatuses(404));
  http.get('%[1]s/gone', { tags: { name: 'gone-vu' } });
  http.get('%[1]s/fine', { tags: { name: 'ok-vu' } });
  check(http.get('%[1]s/hop'), { 'no redirect followed': (r) => r.status === 302 });
}
`, srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
	for _, mt := range res.Thresholds.Metrics {
		for _, th := range mt.List {
			assert.False(t, th.Crossed(), "%s %s: %v", mt.Name, th.Source, th.Last())
		}
	}
}

func TestExecutionModule(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = true
		mu.Unlock()
	})
	src := fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 3 } } };
export default function () {
  check(exec, {
    'vu': (e) => e.vu.idInTest === __VU && e.vu.iterationInInstance === __ITER && e.vu.iterationInScenario === __ITER,
    'scenario': (e) => e.scenario.name === 's' && e.scenario.executor === 'per-vu-iterations' && e.scenario.startTime > 0,
    'instance': (e) => e.instance.vusInitialized === 2 && e.instance.currentTestRunDuration >= 0,
  });
  http.get('%s/' + exec.scenario.iterationInTest);
}
`, srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
	assert.Equal(t, map[string]bool{"/0": true, "/1": true, "/2": true, "/3": true, "/4": true, "/5": true}, seen,
		"iterationInTest numbers the scenario's iterations across VUs")
}

func TestTestAbortStopsTheRunWithExit108(t *testing.T) {
	src := `
import exec from 'k6/execution';
import { sleep } from 'k6';
export const options = { vus: 2, duration: '20s' };
export default function () {
  if (exec.scenario.iterationInTest === 5) exec.test.abort('enough');
  sleep(0.01);
}
`
	var log bytes.Buffer
	res, err := runSource(t, src, Config{Log: &log})
	require.NoError(t, err)
	assert.True(t, res.ScriptAborted)
	assert.Equal(t, ExitScriptAborted, res.ExitCode())
	assert.Less(t, res.Duration, 15*time.Second)
	assert.Contains(t, log.String(), "enough")
}

func TestSetupTimeoutIsAScriptError(t *testing.T) {
	src := "import { sleep } from 'k6';\nexport const options = { setupTimeout: '200ms' };\nexport function setup() { sleep(5); }\nexport default function () {}\n"
	began := time.Now()
	_, err := runSource(t, src, Config{})
	var se *ScriptError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Error(), "setup() timed out after 200ms")
	assert.Less(t, time.Since(began), 4*time.Second, "setup was stopped, not waited for")
}

func TestHTTPSGoesThroughTheStandardTransport(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(echo))
	t.Cleanup(srv.Close)
	src := fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 2, insecureSkipTLSVerify: true };
export default function () {
  check(http.post('%s/tls', 'x'), {
    'https works': (r) => r.status === 200 && r.json('body') === 'x' && r.timings.duration > 0,
  });
}
`, srv.URL)
	rec := &recorder{}
	res, err := runSource(t, src, Config{Outputs: []Output{rec}})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
	var handshakes int
	for _, s := range rec.of("http_req_tls_handshaking") {
		if s.Value > 0 {
			handshakes++
		}
	}
	assert.Equal(t, 1, handshakes, "one TLS handshake, then the connection is reused")
}

func TestIterCountsEachVUsIterationsAndMayBeAssigned(t *testing.T) {
	src := `import { check } from 'k6';
export const options = { iterations: 4 };
let last = -1;
export default function () {
  const iter = __ITER;
  __ITER = 'mine';
  check(null, {
    'one more than the last': () => iter === last + 1,
    'assigned': () => __ITER === 'mine',
  });
  last = iter;
}
`
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
	assert.Equal(t, int64(4), res.Completed)
}
