// Package memorytest gives tests a real memory.Service on a temporary
// SQLite store, with a fake clock, an embedder and an LLM that tests can
// make fail, and metrics on a private registry:
//
//	f := memorytest.New(t, memorytest.Options{})
//	ids := f.StoreAll(t, "team", "Staging runs on db-2.")
//	f.LLM.Fail(errors.New("connection refused"))
//	ans, err := f.Service.Ask(ctx, mimo.AskRequest{Namespace: "team", Query: "Where is staging?"})
//	// ans.Degraded, f.Fallbacks("llm", "llm_failed") == 1
//
// Everything is closed when the test ends.
package memorytest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/index"
	"mimo/system/internal/fakeclock"
	"mimo/system/memory"
	"mimo/system/metrics"
	"mimo/system/spool"
	"mimo/system/sqlite"
)

// Start is the fake clock's first instant.
var Start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Options shape a Fixture; the zero value is a service with an LLM that
// answers "OK [1]." and a loaded vector index.
type Options struct {
	// NoLLM builds the service without an LLM: answers are extractive.
	NoLLM bool
	// IndexNotLoaded leaves the vector index unloaded, as while it loads
	// at start-up: search and near-duplicates go by words only.
	IndexNotLoaded bool
	// Outage puts a SwitchStore between the service (and the index's
	// follower) and the database, so tests can make the database fail,
	// and gives the service a spool (in Dir). The drainer then tries the
	// database only at start and when the test calls Service.Drain.
	Outage bool
	// Dir holds the SQLite file and the spool; "" means a new temporary
	// directory. Two fixtures on one Dir, one after the other, are a
	// process and its restart.
	Dir string
	// SpoolMax is the spool's size cap; zero means spool.DefaultMaxBytes.
	SpoolMax int64
	// Configure, when set, changes the service's options before it is
	// made (breaker settings, thresholds, cache sizes). Store, Embedder,
	// Index, Follower, LLM, Metrics and Now are already set.
	Configure func(*memory.Options)
}

// Fixture is a service and the fakes around it.
type Fixture struct {
	Service  *memory.Service
	Store    *sqlite.Store
	Switch   *SwitchStore // with Options.Outage
	Spool    *spool.Spool // with Options.Outage
	Clock    *fakeclock.Clock
	Embedder *Embedder
	LLM      *LLM // nil with Options.NoLLM
	Metrics  *metrics.Metrics
}

// New builds a Fixture whose parts are closed when t ends.
func New(t testing.TB, o Options) *Fixture {
	t.Helper()
	ctx := context.Background()
	dir := o.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "mimo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.MigrateUp(ctx)
	require.NoError(t, err)

	f := &Fixture{
		Store:    st,
		Clock:    fakeclock.New(Start),
		Embedder: NewEmbedder(),
		Metrics:  metrics.New(metrics.Options{Registerer: prometheus.NewRegistry()}),
	}
	var store mimo.Store = st
	mo := memory.Options{Embedder: f.Embedder, Metrics: f.Metrics, Now: f.Clock.Now}
	if o.Outage {
		f.Switch = NewSwitchStore(st)
		store = f.Switch
		f.Spool, err = spool.Open(spool.Options{Dir: filepath.Join(dir, "spool"), MaxBytes: o.SpoolMax})
		require.NoError(t, err)
		t.Cleanup(func() { _ = f.Spool.Close() })
		mo.Spool, mo.Graph, mo.DrainInterval = f.Spool, st, time.Hour
	}
	idx := index.New(index.Options{Dim: f.Embedder.Dim()})
	follower := index.NewFollower(index.FollowerOptions{Store: store, Index: idx, Text: index.NewText(index.TextOptions{}), Model: f.Embedder.Model()})
	if !o.IndexNotLoaded {
		require.NoError(t, follower.Load(ctx))
	}
	mo.Store, mo.Index, mo.Follower = store, idx, follower
	if !o.NoLLM {
		f.LLM = NewLLM("OK [1].")
		mo.LLM = f.LLM
	}
	if o.Configure != nil {
		o.Configure(&mo)
	}
	f.Service, err = memory.New(mo)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Service.Close() })
	return f
}

// StoreAll stores each content in ns and returns the IDs, in order. It
// fails the test on any error.
func (f *Fixture) StoreAll(t testing.TB, ns string, contents ...string) []string {
	t.Helper()
	ids := make([]string, len(contents))
	for i, c := range contents {
		res, err := f.Service.Store(context.Background(), mimo.StoreRequest{Namespace: ns, Content: c})
		require.NoError(t, err, "store %q", c)
		ids[i] = res.Memory.ID
	}
	return ids
}

// Close closes the service, the spool and the store now rather than when
// the test ends, as a process that exits does; closing again is harmless.
func (f *Fixture) Close() {
	_ = f.Service.Close()
	if f.Spool != nil {
		_ = f.Spool.Close()
	}
	_ = f.Store.Close()
}

// Fallbacks is mimo_fallback_triggered_total{service,reason}.
func (f *Fixture) Fallbacks(service, reason string) float64 {
	return testutil.ToFloat64(f.Metrics.Fallbacks.WithLabelValues(service, reason))
}

// Compile-time checks that the fakes are what the service takes.
var (
	_ mimo.Embedder = (*Embedder)(nil)
	_ mimo.LLM      = (*LLM)(nil)
)
