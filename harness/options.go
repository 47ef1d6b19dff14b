// Package harness starts Mimo and its dependencies in Docker for the
// validation scenarios: Postgres, the stand-in for the model servers, and
// Toxiproxy between Mimo and each dependency, all on a private network,
// and on request Prometheus and Alertmanager. Each container is a module
// in testcontainers-go's style (packages postgres, toxiproxy,
// standinserver, mimoserver, prometheus, alertmanager); Start composes
// them. Scenarios talk to Mimo over HTTP only (package mimoclient), inject
// faults through the proxies (package toxics) and the stand-in's control
// client, stop, kill or pause containers, and lay out what they do and
// expect on a timeline (package timeline) that goes into their record.
//
// Nothing is pulled from a registry: every image must already be on the
// machine (make images builds them), and testcontainers' reaper, which
// would pull its own image, is disabled; the harness removes what it
// creates in t.Cleanup instead.
package harness

import (
	"fmt"
	"strconv"

	"github.com/testcontainers/testcontainers-go"

	"mimo/harness/mimoserver"
	"mimo/harness/record"
	"mimo/harness/standin"
)

// Container names, for Env's Kill, Stop, StartContainer, Restart, Pause
// and Unpause. Each is also the container's host name on the private
// network. Replicas that StartMimo adds are named "mimo-2", "mimo-3", ….
const (
	Mimo      = "mimo"
	Postgres  = "postgres"
	Standin   = "standin"
	Toxiproxy = "toxiproxy"
	// Prometheus runs only with Options.Prometheus or Options.Alertmanager.
	Prometheus = "prometheus"
	// Alertmanager runs only with Options.Alertmanager.
	Alertmanager = "alertmanager"
)

// Proxy names, for Env.Proxy. Each routes one of Mimo's dependencies
// through Toxiproxy.
const (
	ProxyPostgres = "postgres" // Mimo's database
	ProxyOllama   = "ollama"   // the stand-in's Ollama (embedding) API
	ProxyLLM      = "llm"      // the stand-in's OpenAI-compatible API
)

// The port each proxy listens on inside Toxiproxy's container.
const (
	proxyPostgresPort = 15432
	proxyOllamaPort   = 21434
	proxyLLMPort      = 31434
)

// StandinLLMModel is the model name Mimo asks the stand-in's LLM for.
const StandinLLMModel = "standin-chat"

// Embedders for Options.Embedder.
const (
	// EmbedderBuiltin is Mimo's own embedder, in process: no provider to
	// fail. The default.
	EmbedderBuiltin = "builtin"
	// EmbedderOllama is the stand-in's Ollama embedding API, reached
	// through the ollama proxy, answering StandinEmbedModel vectors of
	// StandinEmbedDim numbers.
	EmbedderOllama = "ollama"
)

// The embedding model and dimension Mimo asks the stand-in for with
// EmbedderOllama: the stand-in's defaults, which it answers without being
// configured.
const (
	StandinEmbedModel = standin.DefaultEmbedModel
	StandinEmbedDim   = standin.DefaultDim
)

// MimoJob is the job label of Mimo's series in Prometheus.
const MimoJob = "mimo"

// Options configures Start. The zero value runs the default images with
// Mimo on Postgres through the postgres proxy and answering with the
// stand-in's LLM through the llm proxy.
type Options struct {
	// Mimo customizes every Mimo the environment runs, after the
	// harness's own settings (so it may override them): the options of
	// package mimoserver, such as mimoserver.WithBreaker(3, 3*time.Second)
	// or mimoserver.WithLLM("none", "", ""), or testcontainers-go's own,
	// such as testcontainers.WithImage.
	Mimo []testcontainers.ContainerCustomizer

	// Standin customizes the stand-in the same way (testcontainers.WithEnv
	// with its STANDIN_* settings, say).
	Standin []testcontainers.ContainerCustomizer

	// Embedder is the embedder every Mimo of the environment runs with:
	// "" or EmbedderBuiltin for Mimo's own, EmbedderOllama for the
	// stand-in's Ollama API through the ollama proxy (so toxics on
	// ProxyOllama and the stand-in's faults reach it). Anything else fails
	// Start. Options.Mimo may still override it.
	Embedder string

	// Prometheus, when true, also runs Prometheus on the private network,
	// scraping the first Mimo (job MimoJob) and itself every second; Env's
	// Prometheus, Query and WaitForQuery reach it.
	Prometheus bool

	// Alertmanager, when true, also runs Alertmanager, and Prometheus
	// (started as with Prometheus) sends it its alerts; Env's Alertmanager
	// reaches it.
	Alertmanager bool

	// Rules, when set, is a Prometheus rules file (as promtool check rules
	// reads it) that the environment's Prometheus evaluates every second
	// (Prometheus or Alertmanager must be set, else Start fails the test),
	// sending what fires to Alertmanager when it runs.
	Rules string

	// Record, when set, is the scenario's recorder: when the test fails,
	// the end of every container's log is added to it as evidence, with
	// the whole log saved in its artifact folder. Nil still saves the logs
	// there and shows them in the test output.
	Record *record.Recorder
}

// ProxyAddr is the host:port on the private network through which proxy
// name reaches its dependency, for pointing a Mimo setting at it; "" for
// an unknown name.
func ProxyAddr(name string) string {
	port := map[string]int{ProxyPostgres: proxyPostgresPort, ProxyOllama: proxyOllamaPort, ProxyLLM: proxyLLMPort}[name]
	if port == 0 {
		return ""
	}
	return Toxiproxy + ":" + strconv.Itoa(port)
}

// embedder returns the Mimo option selecting o.Embedder, nil for the
// builtin one, or an error for an embedder the harness cannot provide.
func (o Options) embedder() (testcontainers.ContainerCustomizer, error) {
	switch o.Embedder {
	case "", EmbedderBuiltin:
		return nil, nil
	case EmbedderOllama:
		return mimoserver.WithEmbedder(EmbedderOllama, "http://"+ProxyAddr(ProxyOllama), StandinEmbedModel, StandinEmbedDim), nil
	}
	return nil, fmt.Errorf("harness: Options.Embedder %q: want %q or %q", o.Embedder, EmbedderBuiltin, EmbedderOllama)
}
