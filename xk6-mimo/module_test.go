package xk6mimo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/faults"
	"mimo/harness/load"
	"mimo/harness/standin"
	_ "mimo/xk6-mimo"
)

// mimoBin is Mimo's binary, built once for the package's tests: the extension talks to
// Mimo over the network, as a script does.
var mimoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xk6-mimo-test")
	if err != nil {
		panic(err)
	}
	mimoBin = filepath.Join(dir, "mimo")
	cmd := exec.Command("go", "build", "-o", mimoBin, "mimo/system/cmd/mimo")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := cmd.Run(); err == nil {
		code = m.Run()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startMimo runs `mimo serve` on SQLite in a temporary directory, its answers synthesised
// by an in-process stand-in of an OpenAI-compatible model unless noLLM, and returns its
// root once it is ready.
func startMimo(t *testing.T, noLLM bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	cmd := exec.Command(mimoBin, "serve")
	cmd.Env = append(os.Environ(), "MIMO_ADDR="+addr, "MIMO_DATA_DIR="+t.TempDir(), "MIMO_RATE_LIMIT=off")
	if !noLLM {
		model := httptest.NewServer(standin.New(standin.Options{}))
		t.Cleanup(model.Close)
		cmd.Env = append(cmd.Env, "MIMO_LLM=openai", "MIMO_LLM_URL="+model.URL+"/v1", "MIMO_LLM_MODEL=standin-chat")
	} else {
		cmd.Env = append(cmd.Env, "MIMO_LLM=none")
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("mimo's log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/health/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "mimo ready at %s", base)
	return base
}

// samples collects every sample of a run, to count them by tags.
type samples struct {
	mu   sync.Mutex
	list []load.Sample
}

func (s *samples) AddSample(x load.Sample) {
	s.mu.Lock()
	s.list = append(s.list, x)
	s.mu.Unlock()
}

// sum adds up the values of metric's samples carrying every tag in tags, and counts them.
func (s *samples) sum(metric string, tags load.Tags) (total float64, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
next:
	for _, x := range s.list {
		if x.Metric.Name != metric {
			continue
		}
		for k, v := range tags {
			if x.Tags[k] != v {
				continue next
			}
		}
		total += x.Value
		n++
	}
	return total, n
}

func run(t *testing.T, src string, env map[string]string) (*load.Result, *samples) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.js")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	script, err := load.LoadScript(path)
	require.NoError(t, err)
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := &samples{}
	res, err := load.Execute(ctx, script, load.Config{Env: env, Log: &log, Outputs: []load.Output{out}})
	require.NoError(t, err, log.String())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("run log:\n%s", log.String())
		}
	})
	return res, out
}

func value(t *testing.T, res *load.Result, spec, agg string) float64 {
	t.Helper()
	m := res.Registry.Get(spec)
	require.NotNil(t, m, spec)
	v, ok := m.Value(agg, res.Duration)
	require.True(t, ok, "%s has no %s", spec, agg)
	return v
}

func TestClientStoresGetsSearchesAsksAndCallsToolsRecordedAsK6Metrics(t *testing.T) {
	base := startMimo(t, false)
	res, out := run(t, `
import mimo from 'k6/x/mimo';
import { check, fail } from 'k6';
export const options = { iterations: 1, thresholds: { checks: ['rate==1'] } };
const client = new mimo.Client({ url: __ENV.MIMO_URL, namespace: 'load', tags: { gate: 'unit' } });
export default function () {
  const s = client.store({ content: 'The backup job runs at midnight.', category: 'fact' });
  if (!check(s, { 'stored 201': (r) => r.status === 201 && r.ok })) fail(JSON.stringify(s));
  const id = s.body.memory.id;
  const g = client.get(id);
  check(g, { 'read back': (r) => r.ok && r.body.content === 'The backup job runs at midnight.' });
  const q = client.search('backup job');
  check(q, { 'found': (r) => r.ok && JSON.stringify(r.body).includes(id) });
  const a = client.ask({ query: 'When does the backup job run?' });
  check(a, { 'answered': (r) => r.ok && r.body.degraded === false && r.body.answer.length > 0 });
  const ts = client.tool('memory_search', { query: 'backup' });
  check(ts, { 'tool found': (r) => r.ok && JSON.stringify(r.body).includes(id) });
  const ta = client.tool('memory_ask', { query: 'backup job' });
  check(ta, { 'tool answered': (r) => r.ok && r.body.answer.length > 0 });
  const missing = client.get('0190a0a0-0000-7000-8000-000000000000');
  check(missing, { 'missing is 404': (r) => r.status === 404 && !r.ok && r.error.code === 'not_found' });
  const bad = client.tool('memory_get', {});
  check(bad, { 'tool error': (r) => !r.ok && r.error.code === 'tool' });
}`, map[string]string{"MIMO_URL": base})
	require.Equal(t, load.ExitOK, res.ExitCode(), "every check held")
	assert.Equal(t, 8.0, value(t, res, "http_reqs", "count"))
	_, asks := out.sum("http_reqs", load.Tags{"mimo_op": "ask", "name": base + "/api/ask", "method": "POST", "status": "200"})
	assert.Equal(t, 1, asks)
	_, tools := out.sum("http_reqs", load.Tags{"mimo_op": "tool", "name": base + "/mcp"})
	assert.Equal(t, 3, tools)
	_, gets := out.sum("http_reqs", load.Tags{"mimo_op": "get", "name": base + "/api/memories/{id}"})
	assert.Equal(t, 2, gets, "a read is named by its route, not its id")
	_, tagged := out.sum("http_reqs", load.Tags{"gate": "unit"})
	assert.Equal(t, 8, tagged, "the client's tags are on its requests")
	assert.Equal(t, 1.0, value(t, res, "http_req_failed", "passes"), "the 404 is k6's failed request")
	assert.Equal(t, 2.0, value(t, res, "mimo_call_failed", "passes"), "the 404 and the tool error")
	assert.Equal(t, 3.0, value(t, res, "mimo_mcp_tool_calls", "count"))
	_, askTools := out.sum("mimo_mcp_tool_calls", load.Tags{"tool": "memory_ask"})
	assert.Equal(t, 1, askTools)
	degraded, answers := out.sum("mimo_degraded_answers", nil)
	assert.Equal(t, 2, answers, "ask and memory_ask")
	assert.Equal(t, 0.0, degraded, "the model answered both")
	assert.Equal(t, 2.0, value(t, res, "mimo_ask_latency", "count"))
}

func TestDegradedAnswersAreARate(t *testing.T) {
	base := startMimo(t, true)
	res, _ := run(t, `
import mimo from 'k6/x/mimo';
export const options = { iterations: 3, thresholds: { mimo_degraded_answers: ['rate<0.5'] } };
const client = new mimo.Client({ url: __ENV.MIMO_URL });
export function setup() { client.store('Deploys happen on Tuesdays.'); }
export default function () { client.ask('When do deploys happen?'); }`, map[string]string{"MIMO_URL": base})
	assert.Equal(t, 1.0, value(t, res, "mimo_degraded_answers", "rate"), "with no model every answer is extractive")
	assert.Equal(t, load.ExitThresholdsFailed, res.ExitCode(), "a threshold on the degraded rate gates a run")
}

func TestAFailingServerIsAResultNotAnException(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":{"code":"unavailable","message":"database down"}}`)
	}))
	t.Cleanup(srv.Close)
	res, out := run(t, `
import mimo from 'k6/x/mimo';
import { check } from 'k6';
export const options = { iterations: 2, thresholds: { checks: ['rate==1'] } };
const client = new mimo.Client({ url: __ENV.MIMO_URL });
export default function () {
  const r = client.search('x');
  check(r, { 'error returned': (r) => r.status === 503 && !r.ok && r.error.code === 'unavailable' && r.error.message === 'database down' });
}`, map[string]string{"MIMO_URL": srv.URL})
	assert.Equal(t, load.ExitOK, res.ExitCode())
	assert.Equal(t, 1.0, value(t, res, "http_req_failed", "rate"))
	failed, searches := out.sum("mimo_call_failed", load.Tags{"mimo_op": "search"})
	assert.Equal(t, 2, searches)
	assert.Equal(t, 2.0, failed)
}

func TestBadArgumentsThrow(t *testing.T) {
	res, _ := run(t, `
import mimo from 'k6/x/mimo';
import { check } from 'k6';
export const options = { iterations: 1, thresholds: { checks: ['rate==1'] } };
const client = new mimo.Client({ url: 'http://127.0.0.1:1' });
function throws(f) { try { f(); return false; } catch (e) { return true; } }
export default function () {
  check(null, {
    'ask without a query': () => throws(() => client.ask(42)),
    'get without an id': () => throws(() => client.get()),
    'tool without a name': () => throws(() => client.tool()),
    'toxic without an address': () => throws(() => new mimo.Faults().addToxic('postgres', { type: 'latency' })),
  });
}`, map[string]string{"MIMO_TOXIPROXY_URL": ""})
	assert.Equal(t, load.ExitOK, res.ExitCode())
	assert.Equal(t, 0.0, value(t, res, "checks", "fails"))
}

// fakeToxiproxy answers the part of Toxiproxy's API the client uses, recording the toxics.
type fakeToxiproxy struct {
	mu     sync.Mutex
	toxics map[string]map[string]any
}

func (f *fakeToxiproxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/proxies/postgres":
		_, _ = io.WriteString(w, `{"name":"postgres","listen":"0.0.0.0:15432","upstream":"postgres:5432","enabled":true,"toxics":[]}`)
	case r.Method == http.MethodPost && r.URL.Path == "/proxies/postgres/toxics":
		var tx map[string]any
		_ = json.NewDecoder(r.Body).Decode(&tx)
		f.toxics[tx["name"].(string)] = tx
		_ = json.NewEncoder(w).Encode(tx)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/proxies/postgres/toxics/"):
		delete(f.toxics, strings.TrimPrefix(r.URL.Path, "/proxies/postgres/toxics/"))
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":"proxy not found","status":404}`)
	}
}

func TestFaultsPutToxicsOnAndTheStandinFailing(t *testing.T) {
	tp := &fakeToxiproxy{toxics: map[string]map[string]any{}}
	tps := httptest.NewServer(tp)
	t.Cleanup(tps.Close)
	si := standin.New(standin.Options{})
	sis := httptest.NewServer(si)
	t.Cleanup(sis.Close)

	res, out := run(t, `
import mimo from 'k6/x/mimo';
import { check } from 'k6';
export const options = { iterations: 1, thresholds: { checks: ['rate==1'] } };
const faults = new mimo.Faults();
function throws(f) { try { f(); return false; } catch (e) { return true; } }
export default function () {
  const name = faults.addToxic('postgres', { type: 'reset_peer', toxicity: 0.1, attributes: { timeout: 0 } });
  check(name, { 'named by type and stream': (n) => n === 'reset_peer_downstream' });
  faults.addToxic('postgres', { type: 'latency', name: 'slow', attributes: { latency: 50 } });
  faults.removeToxic('postgres', 'slow');
  faults.standinFail({ rate: 0.1, routes: ['/v1/chat/completions'] });
  check(null, {
    'an unknown proxy throws': () => throws(() => faults.addToxic('nope', { type: 'latency' })),
    'toxicity over 1 throws': () => throws(() => faults.addToxic('postgres', { type: 'latency', toxicity: 2 })),
    'a misspelt stand-in option throws': () => throws(() => faults.standinFail({ rat: 0.1 })),
  });
}`, map[string]string{"MIMO_TOXIPROXY_URL": tps.URL, "MIMO_STANDIN_URL": sis.URL})
	require.Equal(t, load.ExitOK, res.ExitCode())
	_, reqs := out.sum("http_reqs", nil)
	assert.Zero(t, reqs, "control calls are not load")

	tp.mu.Lock()
	require.Len(t, tp.toxics, 1, "slow was removed")
	tx := tp.toxics["reset_peer_downstream"]
	tp.mu.Unlock()
	assert.Equal(t, "reset_peer", tx["type"])
	assert.Equal(t, "downstream", tx["stream"])
	assert.InDelta(t, 0.1, tx["toxicity"], 1e-6)

	f := si.Faults()
	require.NotNil(t, f.Fail)
	assert.InDelta(t, 0.1, f.Fail.Rate, 0)
	assert.Equal(t, []string{standin.RouteOpenAIChat}, f.Fail.Routes)
}

func TestFaultsApplyAndRemoveANamedProfile(t *testing.T) {
	tp := &fakeToxiproxy{toxics: map[string]map[string]any{}}
	tps := httptest.NewServer(tp)
	t.Cleanup(tps.Close)
	si := standin.New(standin.Options{})
	sis := httptest.NewServer(si)
	t.Cleanup(sis.Close)

	script := func(body string) int {
		t.Helper()
		res, _ := run(t, `
import mimo from 'k6/x/mimo';
import { check } from 'k6';
export const options = { iterations: 1, thresholds: { checks: ['rate==1'] } };
const faults = new mimo.Faults();
function throws(f) { try { f(); return false; } catch (e) { return true; } }
export default function () {
`+body+`
}`, map[string]string{"MIMO_TOXIPROXY_URL": tps.URL, "MIMO_STANDIN_URL": sis.URL})
		return res.ExitCode()
	}

	require.Equal(t, load.ExitOK, script(`
  faults.applyProfile('ten_percent');
  check(null, { 'an unknown profile throws': () => throws(() => faults.applyProfile('chaos')) });`))
	want := faults.TenPercent
	tp.mu.Lock()
	tx, ok := tp.toxics[want.Toxics[0].Name]
	tp.mu.Unlock()
	require.True(t, ok, "the profile's toxic is on the postgres proxy")
	assert.Equal(t, "reset_peer", tx["type"])
	assert.InDelta(t, 0.1, tx["toxicity"], 1e-6)
	f := si.Faults()
	require.NotNil(t, f.Fail, "the stand-in fails")
	assert.InDelta(t, want.Standin.Rate, f.Fail.Rate, 0)

	require.Equal(t, load.ExitOK, script(`  faults.removeProfile('ten_percent');`))
	tp.mu.Lock()
	assert.Empty(t, tp.toxics)
	tp.mu.Unlock()
	assert.Equal(t, standin.Faults{}, si.Faults())
}
