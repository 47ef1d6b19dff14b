package load

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestThroughputBesideWrk measures the runner's own cost: the requests per second it
// drives with 100 VUs and no think time against a trivial handler, and what wrk drives
// against the same handler with 100 connections, one after the other in one run. It is a
// measurement, not a gate: it runs only when MIMO_LOAD_BENCH is set (to a duration, e.g.
// 10s) and logs both figures; it fails only if the runner cannot run.
//
//	MIMO_LOAD_BENCH=10s go test -run ThroughputBesideWrk -v ./harness/load/
func TestThroughputBesideWrk(t *testing.T) {
	spec := os.Getenv("MIMO_LOAD_BENCH")
	if spec == "" {
		t.Skip("set MIMO_LOAD_BENCH=10s to measure the runner beside wrk")
	}
	d, err := time.ParseDuration(spec)
	require.NoError(t, err)
	body := []byte("ok")
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })

	src := fmt.Sprintf("import http from 'k6/http';\nexport default function () { http.get('%s/'); }\n", srv.URL)
	dur := Duration(d)
	res, err := runSource(t, src, Config{Over: Options{VUs: ptr(int64(100)), Duration: &dur}})
	require.NoError(t, err)
	reqs := count(t, res, "http_reqs")
	runnerRate := reqs / res.Duration.Seconds()
	t.Logf("mimo-load: 100 VUs, %s: %.0f requests, %.0f req/s (GOMAXPROCS %d)", res.Duration.Round(time.Millisecond), reqs, runnerRate, runtime.GOMAXPROCS(0))

	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Logf("wrk is not installed; no comparison")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, "-t2", "-c100", "-d"+spec, srv.URL+"/").CombinedOutput()
	require.NoError(t, err, string(out))
	m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
	require.NotNil(t, m, string(out))
	wrkRate, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("wrk -t2 -c100 -d%s: %.0f req/s", spec, wrkRate)
	t.Logf("runner / wrk: %.2f", runnerRate/wrkRate)
}
