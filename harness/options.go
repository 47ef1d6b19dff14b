// Package harness starts Mimo and its dependencies in Docker for the
// validation scenarios: Postgres, the stand-in for the model servers, and
// Toxiproxy between Mimo and each dependency, all on a private network.
// Scenarios talk to Mimo over HTTP only, inject faults through the proxies
// (package toxics) and the stand-in's control client, and stop, kill or
// pause containers.
//
// Nothing is pulled from a registry: every image must already be on the
// machine (make images builds them), and testcontainers' reaper, which
// would pull its own image, is disabled; the harness removes what it
// creates in t.Cleanup instead.
package harness

import (
	"time"

	"mimo/harness/record"
)

// The images Start runs when Options names none. make images builds them.
const (
	DefaultMimoImage       = "mimo-harness/mimo:latest"
	DefaultPostgresImage   = "mimo-harness/postgres:latest"
	DefaultStandinImage    = "mimo-harness/standin:latest"
	DefaultToxiproxyImage  = "mimo-harness/toxiproxy:latest"
	DefaultPrometheusImage = "mimo-harness/prometheus:latest"
)

// DefaultStartupTimeout bounds how long Start waits for one container to
// become ready.
const DefaultStartupTimeout = 2 * time.Minute

// Container names, for Env's Kill, Stop, Start, Restart, Pause and Unpause.
// Each is also the container's host name on the private network.
const (
	Mimo      = "mimo"
	Postgres  = "postgres"
	Standin   = "standin"
	Toxiproxy = "toxiproxy"
	// Prometheus runs only with Options.Prometheus.
	Prometheus = "prometheus"
)

// Proxy names, for Env.Proxy. Each routes one of Mimo's dependencies
// through Toxiproxy.
const (
	ProxyPostgres = "postgres" // Mimo's database
	ProxyOllama   = "ollama"   // the stand-in's Ollama (embedding) API
	ProxyLLM      = "llm"      // the stand-in's OpenAI-compatible API
)

// Ports inside the private network.
const (
	mimoPort          = 4000
	postgresPort      = 5432
	standinPort       = 11434
	toxiproxyAPIPort  = 8474
	proxyPostgresPort = 15432
	proxyOllamaPort   = 21434
	proxyLLMPort      = 31434
	prometheusPort    = 9090
)

// StandinLLMModel is the model name Mimo asks the stand-in's LLM for.
const StandinLLMModel = "standin-chat"

// Database credentials. The Postgres image trusts every host on the
// private network, so the password is never checked.
const (
	dbUser = "mimo"
	dbName = "mimo"
)

// Options configures Start. The zero value runs the default images with
// Mimo on Postgres through the postgres proxy.
type Options struct {
	// MimoImage, PostgresImage, StandinImage and ToxiproxyImage name the
	// images to run; "" means the Default*Image constants. Each must exist
	// locally: Start fails rather than pull.
	MimoImage      string
	PostgresImage  string
	StandinImage   string
	ToxiproxyImage string
	// PrometheusImage is the Prometheus image run with Prometheus; ""
	// means DefaultPrometheusImage.
	PrometheusImage string

	// Prometheus, when true, also runs Prometheus on the private network,
	// scraping Mimo (job "mimo") and itself every ScrapeInterval; Env's
	// Prometheus, Query and WaitForQuery reach it.
	Prometheus bool

	// MimoEnv is added to Mimo's environment after the harness's own
	// settings (MIMO_ADDR, MIMO_DATABASE_URL, MIMO_RATE_LIMIT=off, and
	// MIMO_LLM=openai with MIMO_LLM_URL through the llm proxy), so it may
	// override them (MIMO_LLM=none answers without a model). Nil adds
	// nothing.
	MimoEnv map[string]string

	// StandinEnv is added to the stand-in's environment (STANDIN_*
	// settings). Nil adds nothing.
	StandinEnv map[string]string

	// Record, when set, is the scenario's recorder: when the test fails,
	// the end of every container's log is added to it as evidence, with
	// the whole log saved in its artifact folder. Nil still saves the logs
	// there and shows them in the test output.
	Record *record.Recorder

	// StartupTimeout bounds the wait for each container to become ready.
	// Zero means DefaultStartupTimeout.
	StartupTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MimoImage == "" {
		o.MimoImage = DefaultMimoImage
	}
	if o.PostgresImage == "" {
		o.PostgresImage = DefaultPostgresImage
	}
	if o.StandinImage == "" {
		o.StandinImage = DefaultStandinImage
	}
	if o.ToxiproxyImage == "" {
		o.ToxiproxyImage = DefaultToxiproxyImage
	}
	if o.PrometheusImage == "" {
		o.PrometheusImage = DefaultPrometheusImage
	}
	if o.StartupTimeout <= 0 {
		o.StartupTimeout = DefaultStartupTimeout
	}
	return o
}
