package mcpserver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/mcpserver"
	"mimo/system/memory/memorytest"
)

func TestMemoryStoreSaysQueuedWhileTheDatabaseIsDown(t *testing.T) {
	mf := memorytest.New(t, memorytest.Options{NoLLM: true, Outage: true})
	srv := mcpserver.New(mcpserver.Options{Service: mf.Service, Metrics: mf.Metrics, Version: "test"})
	st1, st2 := mcp.NewInMemoryTransports()
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, st1) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(context.Background(), st2, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = cs.Close()
		cancel()
		<-done
	})
	f := &fixture{session: cs, metrics: mf.Metrics}

	mf.Switch.Fail(mimo.Wrap(mimo.EUNAVAILABLE, errors.New("connection refused"), "database unavailable"))
	var out struct {
		Status string     `json:"status"`
		Queued bool       `json:"queued"`
		Memory memoryView `json:"memory"`
	}
	f.call(t, "memory_store", map[string]any{"content": "Remember this while the database is down."}, &out)
	assert.Equal(t, "queued", out.Status)
	assert.True(t, out.Queued)
	require.NotEmpty(t, out.Memory.ID)

	var got memoryView
	f.call(t, "memory_get", map[string]any{"id": out.Memory.ID}, &got)
	assert.Equal(t, "Remember this while the database is down.", got.Content)

	var del struct {
		Deleted bool `json:"deleted"`
		Queued  bool `json:"queued"`
	}
	f.call(t, "memory_delete", map[string]any{"id": out.Memory.ID}, &del)
	assert.True(t, del.Deleted)
	assert.True(t, del.Queued)
}
