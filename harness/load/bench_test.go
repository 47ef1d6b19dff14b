package load

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// benchServeEnv, when set in the environment of this test binary, makes it serve the
// trivial handler instead of running tests (the benchmark's server process).
const benchServeEnv = "MIMO_LOAD_BENCH_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(benchServeEnv) != "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println(l.Addr().String())
		body := []byte("ok")
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }))
		return
	}
	os.Exit(m.Run())
}

// benchServer starts the trivial handler in a process of its own (this test binary, run
// again) and returns its address: the runner and wrk then each compete with it the same
// way, as separate processes.
func benchServer(t *testing.T) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServeEnv+"=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(addr)
}

// TestThroughputBesideWrk measures the runner's own cost: the requests per second it
// drives with 100 VUs and no think time against a trivial handler, beside what wrk drives
// against the same handler with 100 connections. The two take turns, five slices each, so
// that a change in what else the machine is doing weighs on both alike. It also logs each
// one's CPU time per request, which that change moves far less. It is a
// measurement, not a gate: it runs only when MIMO_LOAD_BENCH is set (each one's total
// time, e.g. 10s) and logs the figures; it fails only if the runner or wrk cannot run.
//
//	MIMO_LOAD_BENCH=10s go test -run ThroughputBesideWrk -v ./harness/load/
func TestThroughputBesideWrk(t *testing.T) {
	spec := os.Getenv("MIMO_LOAD_BENCH")
	if spec == "" {
		t.Skip("set MIMO_LOAD_BENCH=10s to measure the runner beside wrk")
	}
	total, err := time.ParseDuration(spec)
	require.NoError(t, err)
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed")
	}
	const slices = 5
	slice := total / slices
	url := "http://" + benchServer(t) + "/"
	src := fmt.Sprintf("import http from 'k6/http';\nexport default function () { http.get('%s'); }\n", url)
	wrkLine := regexp.MustCompile(`([0-9]+) requests in ([0-9.]+)(m?s)`)

	var runnerReqs, wrkReqs float64
	var runnerTime, wrkTime, runnerCPU, wrkCPU time.Duration
	for i := 0; i < slices; i++ {
		d := Duration(slice)
		before := processCPU(t)
		res, err := runSource(t, src, Config{Over: Options{VUs: ptr(int64(100)), Duration: &d}})
		require.NoError(t, err)
		runnerCPU += processCPU(t) - before
		runnerReqs += count(t, res, "http_reqs")
		runnerTime += res.Duration

		ctx, cancel := context.WithTimeout(context.Background(), slice+30*time.Second)
		cmd := exec.CommandContext(ctx, wrk, "-t2", "-c100", fmt.Sprintf("-d%ds", int(slice.Seconds())), url)
		out, err := cmd.CombinedOutput()
		cancel()
		require.NoError(t, err, string(out))
		wrkCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		m := wrkLine.FindSubmatch(out)
		require.NotNil(t, m, string(out))
		n, _ := strconv.ParseFloat(string(m[1]), 64)
		secs, _ := strconv.ParseFloat(string(m[2]), 64)
		if string(m[3]) == "ms" {
			secs /= 1000
		}
		wrkReqs += n
		wrkTime += time.Duration(secs * float64(time.Second))
	}
	runnerRate := runnerReqs / runnerTime.Seconds()
	wrkRate := wrkReqs / wrkTime.Seconds()
	t.Logf("mimo-load, 100 VUs: %.0f requests in %s, %.0f req/s (GOMAXPROCS %d)", runnerReqs, runnerTime.Round(time.Millisecond), runnerRate, runtime.GOMAXPROCS(0))
	t.Logf("wrk -t2 -c100:      %.0f requests in %s, %.0f req/s", wrkReqs, wrkTime.Round(time.Millisecond), wrkRate)
	t.Logf("runner / wrk: %.2f", runnerRate/wrkRate)
	// CPU time per request depends far less than the rates on what else the machine does.
	perReq := func(cpu time.Duration, n float64) float64 { return float64(cpu.Nanoseconds()) / 1000 / n }
	t.Logf("CPU per request (user + system): mimo-load %.1f µs, wrk %.1f µs", perReq(runnerCPU, runnerReqs), perReq(wrkCPU, wrkReqs))
}

// processCPU is the CPU time (user and system) this process has used so far.
func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
