// Package metrics defines every Prometheus metric Mimo exports, registered on
// an injected registry so that tests and embedders never share global state.
// Other packages receive a *Metrics and record into its fields; none of them
// defines metrics of its own, so the names in SPEC's table live in one file.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace is the prefix of every Mimo metric.
const Namespace = "mimo"

// DurationBuckets are the histogram buckets, in seconds, for the server's own
// work (HTTP requests, searches, embeddings): a local search answers in well
// under a millisecond, while a remote call that is about to time out takes
// seconds, so the buckets span 100 µs to 10 s.
var DurationBuckets = []float64{
	0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5, 10,
}

// LLMBuckets are DurationBuckets extended to 60 s: answer synthesis by a
// language model routinely takes seconds, and a bucket boundary at the
// longest plausible call keeps its quantiles meaningful.
var LLMBuckets = append(append([]float64(nil), DurationBuckets...), 30, 60)

// Options configures New. The zero value is usable.
type Options struct {
	// Registerer receives every metric. Nil means a new private registry,
	// never the global default one.
	Registerer prometheus.Registerer
	// Version is the build version reported by mimo_build_info; "" is
	// reported as "unknown".
	Version string
	// EmbedProvider and LLMProvider name the configured providers
	// ("builtin", "ollama", "openai"), as the provider label of
	// mimo_embedding_duration_seconds and mimo_llm_duration_seconds
	// carries them; their histograms are exported from the start. ""
	// means none is configured: no series until the first call.
	EmbedProvider string
	LLMProvider   string
}

// Metrics holds every metric of SPEC's table. Each field is safe for
// concurrent use. The label names of each vector are given in its comment,
// in order.
type Metrics struct {
	// Gatherer reads what was registered: the private registry when
	// Options.Registerer was nil, the Registerer itself when it also
	// gathers (a *prometheus.Registry does), and nil otherwise.
	Gatherer prometheus.Gatherer

	// HTTPRequests counts finished HTTP requests. Labels: route (the
	// matched pattern's path, or "unmatched"), method, code.
	HTTPRequests *prometheus.CounterVec
	// HTTPDuration observes HTTP request durations in seconds. Labels:
	// route, method.
	HTTPDuration *prometheus.HistogramVec
	// MCPToolCalls counts MCP tool calls. Labels: tool, outcome.
	MCPToolCalls *prometheus.CounterVec
	// BreakerState is each circuit breaker's state as a
	// mimo.CircuitState value (0 closed, 1 half-open, 2 open). Labels:
	// service.
	BreakerState *prometheus.GaugeVec
	// BreakerTransitions counts state changes of each breaker. Labels:
	// service, to (the new state's name).
	BreakerTransitions *prometheus.CounterVec
	// Fallbacks counts every degraded path taken. Labels: service, reason.
	Fallbacks *prometheus.CounterVec
	// ClassifierHits and ClassifierMisses count lookups in the router's
	// classifier cache.
	ClassifierHits   prometheus.Counter
	ClassifierMisses prometheus.Counter
	// EmbeddingDuration observes embedding calls in seconds. Labels:
	// provider.
	EmbeddingDuration *prometheus.HistogramVec
	// LLMDuration observes language-model calls in seconds. Labels:
	// provider.
	LLMDuration *prometheus.HistogramVec
	// SearchDuration observes whole hybrid searches in seconds.
	SearchDuration prometheus.Histogram
	// Memories is the number of memories stored, across namespaces.
	Memories prometheus.Gauge
	// SpoolPending is the number of writes waiting in the durable spool.
	SpoolPending prometheus.Gauge
	// BuildInfo is always 1; its label carries the version. Labels: version.
	BuildInfo *prometheus.GaugeVec
}

// New defines every metric, registers it with the Go and process collectors
// on opts.Registerer, sets mimo_build_info, and exports at zero every series
// whose labels are known at start-up: each of Circuits closed with no
// transitions, each of Fallbacks never taken, and the histograms of the
// providers opts names. It panics if any of them is already registered
// there, as prometheus.MustRegister does: that is a wiring bug (two Metrics
// on one registry), not a runtime condition.
func New(opts Options) *Metrics {
	reg := opts.Registerer
	var gatherer prometheus.Gatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		reg, gatherer = r, r
	} else if g, ok := reg.(prometheus.Gatherer); ok {
		gatherer = g
	}
	version := opts.Version
	if version == "" {
		version = "unknown"
	}

	m := &Metrics{
		Gatherer: gatherer,
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by matched route, method and status code.",
		}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by matched route and method.",
			Buckets: DurationBuckets,
		}, []string{"route", "method"}),
		MCPToolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "mcp_tool_calls_total",
			Help: "MCP tool calls, by tool and outcome.",
		}, []string{"tool", "outcome"}),
		BreakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "circuit_breaker_state",
			Help: "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
		}, []string{"service"}),
		BreakerTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "circuit_breaker_transitions_total",
			Help: "Circuit breaker state changes, by service and new state.",
		}, []string{"service", "to"}),
		Fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "fallback_triggered_total",
			Help: "Degraded paths taken, by service and reason.",
		}, []string{"service", "reason"}),
		ClassifierHits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "cache_classifier_hits_total",
			Help: "Classifier cache lookups that found an entry.",
		}),
		ClassifierMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "cache_classifier_misses_total",
			Help: "Classifier cache lookups that found no entry.",
		}),
		EmbeddingDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "embedding_duration_seconds",
			Help:    "Time of one embedding call, by provider.",
			Buckets: DurationBuckets,
		}, []string{"provider"}),
		LLMDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "llm_duration_seconds",
			Help:    "Time of one language-model call, by provider.",
			Buckets: LLMBuckets,
		}, []string{"provider"}),
		SearchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "search_duration_seconds",
			Help:    "Time of one hybrid search.",
			Buckets: DurationBuckets,
		}),
		Memories: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "memories",
			Help: "Memories stored, across all namespaces.",
		}),
		SpoolPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "spool_pending",
			Help: "Writes waiting in the durable spool for the database.",
		}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "build_info",
			Help: "Always 1; the version label names the running build.",
		}, []string{"version"}),
	}

	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.MCPToolCalls,
		m.BreakerState, m.BreakerTransitions, m.Fallbacks,
		m.ClassifierHits, m.ClassifierMisses,
		m.EmbeddingDuration, m.LLMDuration, m.SearchDuration,
		m.Memories, m.SpoolPending, m.BuildInfo,
	)
	m.BuildInfo.WithLabelValues(version).Set(1)
	m.initialise(opts)
	return m
}
