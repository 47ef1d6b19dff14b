package load

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runSource writes src as a script in a temporary directory and runs it.
func runSource(t *testing.T, src string, cfg Config) (*Result, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.js")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	return runFile(t, path, cfg)
}

func runFile(t *testing.T, path string, cfg Config) (*Result, error) {
	t.Helper()
	script, err := LoadScript(path)
	if err != nil {
		return nil, err
	}
	var log bytes.Buffer
	if cfg.Log == nil {
		cfg.Log = &log
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Execute(ctx, script, cfg)
	if t.Failed() || err != nil {
		t.Logf("run log:\n%s", log.String())
	}
	return res, err
}

// server starts an httptest server (on 127.0.0.1) with handler h.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// count returns a metric's count aggregate.
func count(t *testing.T, res *Result, name string) float64 {
	t.Helper()
	m := res.Registry.Get(name)
	require.NotNil(t, m, name)
	v, ok := m.Value("count", res.Duration)
	require.True(t, ok)
	return v
}

func ptr[T any](v T) *T { return &v }

func exactPercentile(vals []float64, q float64) float64 {
	s := append([]float64(nil), vals...)
	sort.Float64s(s)
	i := int(math.Ceil(q/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func percentileName(q float64) string {
	return "p(" + strconv.FormatFloat(q, 'f', -1, 64) + ")"
}

// recorder is an Output that keeps every sample.
type recorder struct {
	mu      sync.Mutex
	samples []Sample
}

func (r *recorder) AddSample(s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, s)
}

// of returns the samples of the named metric.
func (r *recorder) of(name string) []Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Sample
	for _, s := range r.samples {
		if s.Metric.Name == name {
			out = append(out, s)
		}
	}
	return out
}
