// Package xk6mimo is Mimo's k6 extension, k6/x/mimo: a client of Mimo's REST API and MCP
// tools whose calls are recorded as k6 metrics, and control of the harness's faults
// (Toxiproxy's toxics, the stand-in's failures) from a script. It registers itself with
// the suite's k6-compatible runner (harness/load) the way an xk6 extension registers
// with k6: a blank import of this package makes the module importable.
//
//	import mimo from 'k6/x/mimo';
//	const client = new mimo.Client({ url: 'http://localhost:4000', namespace: 'load' });
//	export default function () {
//	  const r = client.ask({ query: 'test query' });
//	}
//
// README.md says why it is not built against k6 itself and which of k6's APIs it mirrors.
package xk6mimo

import (
	"github.com/dop251/goja"

	"mimo/harness/load"
)

// ModuleName is what scripts import.
const ModuleName = "k6/x/mimo"

// The module's own metrics, next to k6's http_* ones that every call also records.
const (
	// MetricDegraded is a Rate: of the answers /api/ask and memory_ask gave, the share
	// marked degraded (no LLM answer: cached or extractive).
	MetricDegraded = "mimo_degraded_answers"
	// MetricCached is a Rate: of the answers, the share whose route came from the cache.
	MetricCached = "mimo_cached_answers"
	// MetricAskLatency is a Trend (time): the latency_ms Mimo reports in each answer,
	// its own time without the network's.
	MetricAskLatency = "mimo_ask_latency"
	// MetricCallFailed is a Rate: of all the client's calls, the share that failed (a
	// transport error, a status outside 200-299, or an MCP tool error), tagged op.
	MetricCallFailed = "mimo_call_failed"
	// MetricToolCalls is a Counter of MCP tool calls, tagged tool.
	MetricToolCalls = "mimo_mcp_tool_calls"
)

func init() { load.RegisterModule(ModuleName, New) }

// metrics are the module's metrics in one run.
type metrics struct {
	degraded, cached, askLatency, failed, toolCalls *load.Metric
}

// New makes the module's exports for one VU: the constructors Client and Faults. The
// module's metrics are declared here, in the init context, as k6 requires.
func New(vu *load.VU) (*goja.Object, error) {
	reg := vu.Registry()
	var m metrics
	for _, d := range []struct {
		dst      **load.Metric
		name     string
		typ      load.MetricType
		contains load.ValueType
	}{
		{&m.degraded, MetricDegraded, load.Rate, load.Default},
		{&m.cached, MetricCached, load.Rate, load.Default},
		{&m.askLatency, MetricAskLatency, load.Trend, load.Time},
		{&m.failed, MetricCallFailed, load.Rate, load.Default},
		{&m.toolCalls, MetricToolCalls, load.Counter, load.Default},
	} {
		mt, err := reg.New(d.name, d.typ, d.contains)
		if err != nil {
			return nil, err
		}
		*d.dst = mt
	}
	rt := vu.Runtime()
	o := rt.NewObject()
	if err := o.Set("Client", func(c goja.ConstructorCall) *goja.Object {
		return newClient(vu, &m, c.Argument(0)).object(c.This)
	}); err != nil {
		return nil, err
	}
	if err := o.Set("Faults", func(c goja.ConstructorCall) *goja.Object {
		return newFaults(vu, c.Argument(0)).object(c.This)
	}); err != nil {
		return nil, err
	}
	return o, nil
}
