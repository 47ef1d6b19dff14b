package harness

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"mimo/harness/standin"
)

// teardownTimeout bounds the whole teardown: logs, containers, network.
const teardownTimeout = 2 * time.Minute

// Env is one running system: Mimo on Postgres, the stand-in and Toxiproxy
// on a private network. Start makes it and t.Cleanup removes it. Its
// methods are safe for concurrent use; they fail the test on errors the
// scenario cannot act on (Docker or Toxiproxy refusing), so a scenario
// reads as a list of steps.
type Env struct {
	t    testing.TB
	opts Options

	network *testcontainers.DockerNetwork

	mu         sync.Mutex
	containers map[string]*testcontainers.DockerContainer
	started    []string // names, in start order, for teardown in reverse
	toxi       *toxiproxy.Client
	proxies    map[string]*toxiproxy.Proxy
	mimoURL    string
	standinURL string
	promURL    string     // with Options.Prometheus
	prom       promv1.API // with Options.Prometheus
}

// Start runs the system for t and waits until Mimo answers GET
// /health/ready with 200. Docker not reachable skips t (fails it under
// CI=true); any other failure to start fails t. Everything Start creates is
// removed in t.Cleanup, which runs even when the test panics; when t has
// failed, the cleanup first logs every container's output with t.Log.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	RequireDocker(t)
	localHost()
	opts = opts.withDefaults()
	e := &Env{
		t:          t,
		opts:       opts,
		containers: map[string]*testcontainers.DockerContainer{},
		proxies:    map[string]*toxiproxy.Proxy{},
	}
	ctx := context.Background()

	images := []string{opts.MimoImage, opts.PostgresImage, opts.StandinImage, opts.ToxiproxyImage}
	if opts.Prometheus {
		images = append(images, opts.PrometheusImage)
	}
	if err := requireImages(ctx, images...); err != nil {
		t.Fatalf("harness: %v", err)
	}
	nw, err := network.New(ctx, network.WithLabels(map[string]string{"org.mimo.harness": "true"}))
	if err != nil {
		t.Fatalf("harness: creating the network: %v", err)
	}
	e.network = nw
	// One cleanup for everything, registered before the first container, so
	// a Start that fails half way still removes what it made.
	t.Cleanup(e.teardown)

	e.run(ctx, Postgres, opts.PostgresImage,
		testcontainers.WithEnv(map[string]string{"POSTGRES_USER": dbUser, "POSTGRES_DB": dbName}),
		testcontainers.WithExposedPorts(port(postgresPort)),
		// The log line alone would also match an earlier run's after a
		// restart; the port check is what holds then.
		testcontainers.WithWaitStrategy(wait.ForAll(
			wait.ForLog("database system is ready to accept connections"),
			wait.ForListeningPort(port(postgresPort)),
		).WithDeadline(opts.StartupTimeout)),
	)
	e.run(ctx, Standin, opts.StandinImage,
		testcontainers.WithEnv(opts.StandinEnv),
		testcontainers.WithExposedPorts(port(standinPort)),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/_control/counters").
			WithPort(port(standinPort)).WithStartupTimeout(opts.StartupTimeout)),
	)
	e.run(ctx, Toxiproxy, opts.ToxiproxyImage,
		testcontainers.WithExposedPorts(port(toxiproxyAPIPort)),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/version").
			WithPort(port(toxiproxyAPIPort)).WithStartupTimeout(opts.StartupTimeout)),
	)
	e.connectToxiproxy(ctx)

	env := map[string]string{
		"MIMO_ADDR":         "0.0.0.0:" + strconv.Itoa(mimoPort),
		"MIMO_DATABASE_URL": e.DatabaseURL(),
		"MIMO_RATE_LIMIT":   "off",
		// Answers are synthesised by the stand-in's OpenAI-compatible
		// API, through the llm proxy.
		"MIMO_LLM":       "openai",
		"MIMO_LLM_URL":   "http://" + ProxyAddr(ProxyLLM) + "/v1",
		"MIMO_LLM_MODEL": StandinLLMModel,
	}
	maps.Copy(env, opts.MimoEnv)
	e.run(ctx, Mimo, opts.MimoImage,
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(port(mimoPort)),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/health/ready").
			WithPort(port(mimoPort)).WithStartupTimeout(opts.StartupTimeout)),
	)
	e.refreshEndpoints(ctx)
	if opts.Prometheus {
		e.startPrometheus(ctx)
	}
	return e
}

func port(n int) string { return strconv.Itoa(n) + "/tcp" }

// run starts one container on the private network under its alias name,
// recording it for teardown even when it fails to become ready.
func (e *Env) run(ctx context.Context, name, image string, opts ...testcontainers.ContainerCustomizer) {
	e.t.Helper()
	opts = append(opts,
		network.WithNetwork([]string{name}, e.network),
		testcontainers.WithLabels(map[string]string{"org.mimo.harness": name}),
		// testcontainers' progress lines go to the test's log, shown with
		// -v or on failure, instead of stderr.
		testcontainers.WithLogger(tclog.TestLogger(e.t)),
	)
	c, err := testcontainers.Run(ctx, image, opts...)
	if c != nil {
		e.mu.Lock()
		e.containers[name] = c
		e.started = append(e.started, name)
		e.mu.Unlock()
	}
	if err != nil {
		e.t.Fatalf("harness: starting %s (%s): %v", name, image, err)
	}
}

// connectToxiproxy makes a client of Toxiproxy's API at its current host
// port and creates the proxies, which Toxiproxy keeps only in memory (so
// this runs again after Toxiproxy restarts).
func (e *Env) connectToxiproxy(ctx context.Context) {
	e.t.Helper()
	api, err := e.container(Toxiproxy).PortEndpoint(ctx, port(toxiproxyAPIPort), "http")
	if err != nil {
		e.t.Fatalf("harness: Toxiproxy's API address: %v", err)
	}
	cli := toxiproxy.NewClient(api)
	proxies := map[string]*toxiproxy.Proxy{}
	for _, p := range []struct {
		name     string
		listen   int
		upstream string
	}{
		{ProxyPostgres, proxyPostgresPort, Postgres + ":" + strconv.Itoa(postgresPort)},
		{ProxyOllama, proxyOllamaPort, Standin + ":" + strconv.Itoa(standinPort)},
		{ProxyLLM, proxyLLMPort, Standin + ":" + strconv.Itoa(standinPort)},
	} {
		px, err := cli.CreateProxy(p.name, "0.0.0.0:"+strconv.Itoa(p.listen), p.upstream)
		if err != nil {
			e.t.Fatalf("harness: creating proxy %s: %v", p.name, err)
		}
		proxies[p.name] = px
	}
	e.mu.Lock()
	e.toxi, e.proxies = cli, proxies
	e.mu.Unlock()
}

// refreshEndpoints reads the host ports of Mimo and the stand-in, which
// Docker picks anew each time a container starts.
func (e *Env) refreshEndpoints(ctx context.Context) {
	e.t.Helper()
	mimoURL, err := e.container(Mimo).PortEndpoint(ctx, port(mimoPort), "http")
	if err != nil {
		e.t.Fatalf("harness: Mimo's address: %v", err)
	}
	standinURL, err := e.container(Standin).PortEndpoint(ctx, port(standinPort), "http")
	if err != nil {
		e.t.Fatalf("harness: the stand-in's address: %v", err)
	}
	e.mu.Lock()
	e.mimoURL, e.standinURL = mimoURL, standinURL
	e.mu.Unlock()
}

// MimoURL is Mimo's root URL from the host, such as
// "http://127.0.0.1:32768". It changes when Mimo restarts.
func (e *Env) MimoURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mimoURL
}

// Client returns a REST client of Mimo at its current address.
func (e *Env) Client() *Client {
	return &Client{BaseURL: e.MimoURL(), APIKey: e.opts.MimoEnv["MIMO_API_KEY"]}
}

// Standin returns the control client of the stand-in at its current
// address.
func (e *Env) Standin() *standin.Control {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &standin.Control{BaseURL: e.standinURL}
}

// Proxy returns the Toxiproxy proxy name (ProxyPostgres, ProxyOllama or
// ProxyLLM), for package toxics. An unknown name fails the test.
func (e *Env) Proxy(name string) *toxiproxy.Proxy {
	e.t.Helper()
	e.mu.Lock()
	p, ok := e.proxies[name]
	e.mu.Unlock()
	if !ok {
		e.t.Fatalf("harness: no proxy %q; the proxies are %s, %s and %s", name, ProxyPostgres, ProxyOllama, ProxyLLM)
	}
	return p
}

// ProxyAddr is the host:port on the private network through which proxy
// name reaches its dependency, for pointing a Mimo setting at it.
func ProxyAddr(name string) string {
	switch name {
	case ProxyPostgres:
		return Toxiproxy + ":" + strconv.Itoa(proxyPostgresPort)
	case ProxyOllama:
		return Toxiproxy + ":" + strconv.Itoa(proxyOllamaPort)
	case ProxyLLM:
		return Toxiproxy + ":" + strconv.Itoa(proxyLLMPort)
	}
	return ""
}

// ContainerID is the Docker ID of container name (Mimo, Postgres, Standin,
// Toxiproxy or Prometheus), for looking at it with Docker's own tools.
func (e *Env) ContainerID(name string) string {
	e.t.Helper()
	return e.container(name).GetContainerID()
}

// NetworkID is the Docker ID of the environment's private network.
func (e *Env) NetworkID() string { return e.network.ID }

// DatabaseURL is the URL Mimo is given for Postgres: through the postgres
// proxy, on the private network.
func (e *Env) DatabaseURL() string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", dbUser, dbUser, ProxyAddr(ProxyPostgres), dbName)
}

func (e *Env) container(name string) *testcontainers.DockerContainer {
	e.t.Helper()
	e.mu.Lock()
	c, ok := e.containers[name]
	running := slices.Clone(e.started)
	e.mu.Unlock()
	if !ok {
		e.t.Fatalf("harness: no container %q; this environment runs %s", name, strings.Join(running, ", "))
	}
	return c
}

// teardown logs every container's output when the test failed, then
// removes the containers, newest first, and the network.
func (e *Env) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
	defer cancel()
	e.mu.Lock()
	names := append([]string(nil), e.started...)
	e.mu.Unlock()
	if e.t.Failed() {
		e.saveEvidence(ctx, names)
	}
	for i := len(names) - 1; i >= 0; i-- {
		c := e.containers[names[i]]
		// A paused container cannot be removed; unpausing a running one is
		// an error worth ignoring.
		_ = e.unpause(ctx, c)
		if err := c.Terminate(ctx); err != nil {
			e.t.Errorf("harness: removing %s: %v", names[i], err)
		}
	}
	if e.network != nil {
		if err := e.network.Remove(ctx); err != nil {
			e.t.Errorf("harness: removing the network: %v", err)
		}
	}
}
