package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// mimoBinary builds the real binary once per test run, for tests that need
// a separate process (to SIGKILL it, or to share a store between two).
func mimoBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mimo-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "mimo")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// child is a `mimo serve` in its own process.
type child struct {
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
}

// startChild runs `mimo serve` with env added to this process's, each of
// opts changing the command first, and waits until it listens.
func startChild(t *testing.T, env map[string]string, opts ...func(*exec.Cmd)) *child {
	t.Helper()
	cmd := childCmd(t, env, opts...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &child{cmd: cmd, logs: &syncBuffer{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Bytes()
			c.logs.Write(append(append([]byte{}, line...), '\n'))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" {
				addr <- rec.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		c.URL = "http://" + a
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("child mimo did not listen:\n%s", c.logs.String())
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return c
}

// childCmd is the command startChild runs.
func childCmd(t *testing.T, env map[string]string, opts ...func(*exec.Cmd)) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(mimoBinary(t), "serve")
	cmd.Env = append(os.Environ(), "MIMO_ADDR=127.0.0.1:0", "MIMO_RATE_LIMIT=off")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for _, o := range opts {
		o(cmd)
	}
	return cmd
}

func (c *child) kill(t *testing.T) {
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	_ = c.cmd.Wait()
}

// TestSIGKILLLosesNoAcknowledgedWrite kills Mimo with SIGKILL while several
// clients store memories; after a restart every acknowledged memory is there,
// exactly once.
func TestSIGKILLLosesNoAcknowledgedWrite(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			env := b.env(t)
			env["MIMO_DATA_DIR"] = t.TempDir()
			c := startChild(t, env)

			var mu sync.Mutex
			acked := map[string]string{} // id → content
			var attempted atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						content := fmt.Sprintf("writer %d wrote memory number %d", w, i)
						attempted.Add(1)
						code, raw, err := post(c.URL+"/api/memories", map[string]any{"content": content})
						if err != nil {
							return // the server died mid-request: not acknowledged
						}
						if code == 201 {
							var out struct{ Memory struct{ ID string } }
							if json.Unmarshal(raw, &out) == nil {
								mu.Lock()
								acked[out.Memory.ID] = content
								mu.Unlock()
							}
						}
					}
				}(w)
			}
			require.Eventually(t, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(acked) >= 300
			}, 60*time.Second, 5*time.Millisecond)
			c.kill(t)
			close(stop)
			wg.Wait()
			t.Logf("acknowledged %d of %d attempted writes before SIGKILL", len(acked), attempted.Load())

			c2 := startChild(t, env)
			for id, content := range acked {
				code, out := call(t, "GET", c2.URL+"/api/memories/"+id, nil)
				require.Equal(t, 200, code, "acknowledged memory %s lost after SIGKILL", id)
				require.Equal(t, content, out["content"])
			}
			// Exactly once: list everything and look for repeated content.
			contents := map[string]int{}
			cursor := ""
			for {
				url := c2.URL + "/api/memories?limit=200"
				if cursor != "" {
					url += "&cursor=" + cursor
				}
				code, out := call(t, "GET", url, nil)
				require.Equal(t, 200, code)
				for _, m := range out["memories"].([]any) {
					contents[m.(map[string]any)["content"].(string)]++
				}
				next, _ := out["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			for content, n := range contents {
				assert.Equal(t, 1, n, "content stored %d times: %q", n, content)
			}
			assert.GreaterOrEqual(t, len(contents), len(acked))
			assert.LessOrEqual(t, int64(len(contents)), attempted.Load())
		})
	}
}

// TestTwoProcessesShareOneStore: a memory stored through one process is
// found by a search in another sharing the same store (one SQLite file, or
// one Postgres database), by meaning as well as by words.
func TestTwoProcessesShareOneStore(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			env := b.env(t)
			env["MIMO_DATA_DIR"] = t.TempDir()
			a := startChild(t, env)
			bb := startChild(t, env)
			for _, c := range []*child{a, bb} {
				(&server{URL: c.URL}).waitIndexed(t)
			}
			id := store(t, a.URL, "shared", "The build cache lives on the fast NVMe volume", nil)
			code, out := call(t, "POST", bb.URL+"/api/search", map[string]any{"namespace": "shared", "query": "where is the build cache kept?"})
			require.Equal(t, 200, code, "%v", out)
			assert.Equal(t, "hybrid", out["mode"])
			res := out["results"].([]any)
			require.NotEmpty(t, res, "process B does not see process A's write")
			top := res[0].(map[string]any)
			assert.Equal(t, id, top["memory"].(map[string]any)["id"])
			assert.Greater(t, top["score"].(map[string]any)["vector"].(float64), 0.0, "B's vector index did not follow A's write")

			// Writes from both at once: nothing lost.
			var wg sync.WaitGroup
			for _, c := range []*child{a, bb} {
				wg.Add(1)
				go func(c *child) {
					defer wg.Done()
					for i := 0; i < 40; i++ {
						code, raw, err := post(c.URL+"/api/memories", map[string]any{"namespace": "shared", "content": fmt.Sprintf("%s note %d", c.URL, i)})
						assert.NoError(t, err)
						assert.Equal(t, 201, code, "%s", raw)
					}
				}(c)
			}
			wg.Wait()
			for _, c := range []*child{a, bb} {
				code, out := call(t, "GET", c.URL+"/health", nil)
				require.Equal(t, 200, code)
				assert.EqualValues(t, 81, out["memories"])
			}
			// Deleting in B removes it from A's search too.
			code, _ = call(t, "DELETE", bb.URL+"/api/memories/"+id+"?namespace=shared", nil)
			require.Equal(t, 200, code)
			assert.NotContains(t, searchIDs(t, a.URL, map[string]any{"namespace": "shared", "query": "where is the build cache kept?", "limit": 100}), id)
		})
	}
}
