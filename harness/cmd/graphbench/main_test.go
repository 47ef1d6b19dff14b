package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSmallRunReportsLatencies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mimo")
	}
	out := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--entities", "1200", "--searches", "20", "--json", out}, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr:\n%s", stderr.String())
	assert.Contains(t, stdout.String(), "1200 entities, 1199 relations, 20 searches of mixed")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var rep Report
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, 1200, rep.Entities, "seeded over two create batches")
	assert.Positive(t, rep.P50ms)
	assert.GreaterOrEqual(t, rep.P95ms, rep.P50ms)
	assert.Positive(t, rep.MeanHits, "searches find entities")
}

func TestBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"--entities", "1"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"--nope"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"--queries", "all"}, &stdout, &stderr))
}
