package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const seedScript = "../../../scenarios/load/scripts/seed.js"

func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h) // on 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

// hostsConfig writes a --config file pointing the seed's localhost:4000 at srv.
func hostsConfig(t *testing.T, srv *httptest.Server) string {
	path := filepath.Join(t.TempDir(), "config.json")
	b, _ := json.Marshal(map[string]any{"hosts": map[string]string{"localhost:4000": strings.TrimPrefix(srv.URL, "http://")}})
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

func runCLI(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSeedGateExitsZeroAndExportsTheSummary(t *testing.T) {
	var calls atomic.Int64
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte(`{"answer":"ok"}`))
	})
	dir := t.TempDir()
	export := filepath.Join(dir, "summary.json")
	samples := filepath.Join(dir, "samples.json")
	code, out, errOut := runCLI(t, context.Background(), "run", "--vus", "5", "--duration", "1s",
		"-c", hostsConfig(t, srv), "--summary-export", export, "--out", "json="+samples, "--no-color", seedScript)
	require.Equal(t, 0, code, errOut)

	assert.Contains(t, out, "█ THRESHOLDS")
	assert.Less(t, strings.Index(out, "█ THRESHOLDS"), strings.Index(out, "█ TOTAL RESULTS"), "thresholds first")
	assert.Contains(t, out, "✓ 'p(95)<500'")
	assert.Contains(t, out, "✓ 'rate<0.01' rate=0.00%")
	assert.Contains(t, out, "✓ status 200")
	assert.Contains(t, out, "http_reqs")

	var doc struct {
		RootGroup struct {
			Checks map[string]struct {
				Passes, Fails int64
				Path, ID      string
			} `json:"checks"`
		} `json:"root_group"`
		Metrics map[string]map[string]any `json:"metrics"`
	}
	b, err := os.ReadFile(export)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, float64(calls.Load()), doc.Metrics["http_reqs"]["count"], "the export agrees with the server's count")
	assert.Equal(t, map[string]any{"p(95)<500": false, "p(99)<1000": false}, doc.Metrics["http_req_duration"]["thresholds"])
	assert.Equal(t, map[string]any{"rate<0.01": false}, doc.Metrics["http_req_failed"]["thresholds"])
	for _, k := range []string{"avg", "min", "med", "max", "p(90)", "p(95)"} {
		assert.Contains(t, doc.Metrics["http_req_duration"], k)
	}
	chk := doc.RootGroup.Checks["status 200"]
	assert.Equal(t, calls.Load(), chk.Passes)
	assert.Equal(t, "::status 200", chk.Path)
	assert.Len(t, chk.ID, 32)

	f, err := os.Open(samples)
	require.NoError(t, err)
	defer f.Close()
	points, sawMetric := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Type, Metric string
			Data         struct {
				Tags       map[string]string
				Thresholds []any
			}
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		if line.Type == "Metric" && line.Metric == "http_req_failed" {
			sawMetric = true
			assert.Equal(t, []any{"rate<0.01"}, line.Data.Thresholds)
		}
		if line.Type == "Point" && line.Metric == "http_reqs" {
			points++
			assert.Equal(t, "POST", line.Data.Tags["method"])
		}
	}
	assert.Equal(t, int(calls.Load()), points)
	assert.True(t, sawMetric, "a Metric line describes http_req_failed with its thresholds")
}

func TestSeedGateExits99WhenRequestsFail(t *testing.T) {
	var n atomic.Int64
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	code, out, errOut := runCLI(t, context.Background(), "run", "--vus", "5", "--duration", "1s", "--quiet",
		"--config", hostsConfig(t, srv), "--no-color", seedScript)
	assert.Equal(t, 99, code)
	assert.Contains(t, out, "✗ 'rate<0.01'")
	assert.Contains(t, errOut, "thresholds have been crossed")
}

func writeScript(t *testing.T, src string) string {
	path := filepath.Join(t.TempDir(), "script.js")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	return path
}

func TestScriptErrorExits107WithFileAndLine(t *testing.T) {
	code, _, errOut := runCLI(t, context.Background(), "run", "-q", writeScript(t, "export default function () {\n  const = 1;\n}\n"))
	assert.Equal(t, 107, code)
	assert.Contains(t, errOut, "script.js:2:")

	code, _, errOut = runCLI(t, context.Background(), "run", "-q", writeScript(t, "\n\nundefinedThing();\nexport default function () {}\n"))
	assert.Equal(t, 107, code)
	assert.Contains(t, errOut, "script.js:3:")
	assert.Contains(t, errOut, "undefinedThing")
}

func TestInvalidOptionsExit104(t *testing.T) {
	code, _, errOut := runCLI(t, context.Background(), "run", "-q",
		writeScript(t, "export const options = { thresholds: { http_reqs: ['p(95)<1'] } };\nexport default function () {}\n"))
	assert.Equal(t, 104, code)
	assert.Contains(t, errOut, "http_reqs")
	code, _, _ = runCLI(t, context.Background(), "run", "-q", "--duration", "soon", writeScript(t, "export default function () {}\n"))
	assert.Equal(t, 104, code)
}

func TestEnvFlagsReachTheScript(t *testing.T) {
	var got atomic.Value
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { got.Store(r.URL.Path) })
	script := writeScript(t, "import http from 'k6/http';\nexport default function () { http.get(__ENV.BASE + '/' + __ENV.WHO); }\n")
	code, _, errOut := runCLI(t, context.Background(), "run", "-q", "-e", "BASE="+srv.URL, script, "--env", "WHO=me")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "/me", got.Load())
}

func TestInterruptStopsWithAPartialSummary(t *testing.T) {
	script := writeScript(t, `
import { sleep, check } from 'k6';
export const options = { vus: 2, duration: '1m' };
export default function () { check(1, { 'ran': (v) => v === 1 }); sleep(0.05); }
`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(700 * time.Millisecond)
		cancel()
	}()
	done := make(chan struct{})
	var code int
	var out string
	go func() {
		defer close(done)
		code, out, _ = runCLI(t, ctx, "run", "--no-color", script)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not stop after the interrupt")
	}
	assert.Equal(t, 105, code)
	assert.Contains(t, out, "* default: 2 looping VUs for 1m0s (gracefulStop: 30s)", "the start-up banner")
	assert.Contains(t, out, "✓ ran")
	assert.Contains(t, out, "iterations")
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"walk"}, {"run"}, {"run", "a.js", "b.js"}, {"run", "--bogus", "a.js"}} {
		code, _, _ := runCLI(t, context.Background(), args...)
		assert.Equal(t, 2, code, fmt.Sprint(args))
	}
	code, _, errOut := runCLI(t, context.Background(), "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "mimo-load run")
}

func TestTagStageAndTrendStatsFlags(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {})
	dir := t.TempDir()
	samples := filepath.Join(dir, "samples.json")
	script := writeScript(t, "import http from 'k6/http';\nimport { sleep } from 'k6';\nexport default function () { http.get(__ENV.BASE); sleep(0.05); }\n")
	code, out, errOut := runCLI(t, context.Background(), "run", "--no-color", "-e", "BASE="+srv.URL, "--tag", "run=ci",
		"--stage", "300ms:2", "-s", "300ms:0", "--summary-trend-stats", "min,p(99)", "--out", "json="+samples, script)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "* default: Up to 2 looping VUs for 600ms over 2 stages")
	assert.Regexp(t, `http_req_duration\.+: min=\S+ p\(99\)=\S+\n`, out)
	b, err := os.ReadFile(samples)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"run":"ci"`)

	code, _, _ = runCLI(t, context.Background(), "run", "-q", "--stage", "soon", script)
	assert.Equal(t, 104, code)
}
