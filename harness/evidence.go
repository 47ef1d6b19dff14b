package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"mimo/harness/record"
)

// What a failing test shows of each container's log: the end, where the
// failure usually is. The whole log is saved to a file.
const (
	maxLogBytes      = 256 << 10 // in the test output
	maxEvidenceBytes = 8 << 10   // in the record
)

// metricsTimeout bounds the last read of Mimo's /metrics on failure; Mimo
// may be the thing that is stuck.
const metricsTimeout = 5 * time.Second

// saveEvidence runs when the test has failed, before the containers are
// removed: every container's whole log, and Mimo's /metrics when it still
// answers, are saved in the test's artifact folder beside its record; the
// end of each log is shown in the test output and, with Options.Record,
// added to the record. What cannot be saved is said in the test output and
// does not stop the rest.
func (e *Env) saveEvidence(ctx context.Context, names []string) {
	dir, err := record.ArtifactDir(e.t)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		e.t.Logf("harness: no artifact folder for the logs: %v", err)
		dir = ""
	}
	for _, name := range names {
		b, err := e.containerLog(ctx, name)
		if err != nil {
			e.t.Logf("harness: logs of %s: %v", name, err)
			continue
		}
		path := e.save(dir, name+".log", b)
		saved := ""
		if path != "" {
			saved = ", whole in " + path
		}
		e.t.Logf("harness: ---- logs of %s (%s)%s ----\n%s", name, e.containers[name].GetContainerID()[:12], saved, tail(b, maxLogBytes))
		e.attach("log", name+": "+string(tail(b, maxEvidenceBytes)), path)
	}
	if b, err := e.lastMetrics(ctx); err != nil {
		e.t.Logf("harness: Mimo's /metrics at failure: %v", err)
	} else {
		path := e.save(dir, "mimo-metrics.txt", b)
		e.attach("metrics", "Mimo's /metrics when the test failed: "+string(tail(b, maxEvidenceBytes)), path)
	}
}

func (e *Env) containerLog(ctx context.Context, name string) ([]byte, error) {
	r, err := e.containers[name].Logs(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// save writes b to file in dir and returns its path, or "" when dir is ""
// or the write fails.
func (e *Env) save(dir, file string, b []byte) string {
	if dir == "" {
		return ""
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		e.t.Logf("harness: saving %s: %v", file, err)
		return ""
	}
	return path
}

// attach adds text to the record, with the whole at path when it was
// saved.
func (e *Env) attach(kind, text, path string) {
	switch {
	case e.opts.Record == nil:
	case path == "":
		e.opts.Record.Evidence(kind, text)
	default:
		e.opts.Record.EvidenceFile(kind, text, path)
	}
}

func (e *Env) lastMetrics(ctx context.Context) ([]byte, error) {
	if e.mimo == nil {
		return nil, fmt.Errorf("the first Mimo did not start")
	}
	ctx, cancel := context.WithTimeout(ctx, metricsTimeout)
	defer cancel()
	r, err := e.Client().Do(ctx, http.MethodGet, "/metrics", nil)
	if err != nil {
		return nil, err
	}
	if r.Status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", r.Status)
	}
	return r.Body, nil
}

// tail is the last n bytes of b, whole lines where it can.
func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[len(b)-n:]
	for i, c := range b {
		if c == '\n' && i < len(b)-1 {
			return b[i+1:]
		}
	}
	return b
}
