package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"

	"mimo/harness/alertmanager"
	"mimo/harness/internal/containers"
	"mimo/harness/mimoclient"
	"mimo/harness/mimoserver"
	"mimo/harness/postgres"
	"mimo/harness/prometheus"
	"mimo/harness/standin"
	"mimo/harness/standinserver"
	"mimo/harness/toxiproxy"
)

// teardownTimeout bounds the whole teardown: logs, containers, network.
const teardownTimeout = 2 * time.Minute

// Env is one running system: Mimo on Postgres, the stand-in and Toxiproxy
// on a private network, and Prometheus and Alertmanager when asked. Start
// makes it and t.Cleanup removes it. Its methods are safe for concurrent
// use; they fail the test on errors the scenario cannot act on (Docker or
// Toxiproxy refusing), so a scenario reads as a list of steps.
type Env struct {
	t    testing.TB
	opts Options
	// embedder selects Options.Embedder in every Mimo; nil for the builtin.
	embedder testcontainers.ContainerCustomizer

	network      *testcontainers.DockerNetwork
	postgres     *postgres.Container
	standin      *standinserver.Container
	toxiproxy    *toxiproxy.Container
	mimo         *MimoServer // the first
	prometheus   *prometheus.Container
	alertmanager *alertmanager.Container

	mu         sync.Mutex
	containers map[string]testcontainers.Container
	started    []string // names, in start order, for teardown in reverse
}

// Start runs the system for t and waits until Mimo answers GET
// /health/ready with 200. Docker not reachable skips t (fails it under
// CI=true); any other failure to start fails t. Everything Start creates is
// removed in t.Cleanup, which runs even when the test panics; when t has
// failed, the cleanup first logs every container's output with t.Log.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	RequireDocker(t)
	if opts.Rules != "" && !opts.Prometheus && !opts.Alertmanager {
		t.Fatalf("harness: Options.Rules needs a Prometheus to evaluate them: set Options.Prometheus or Options.Alertmanager")
	}
	embedder, err := opts.embedder()
	if err != nil {
		t.Fatalf("%v", err)
	}
	sweep(t)
	e := &Env{t: t, opts: opts, embedder: embedder, containers: map[string]testcontainers.Container{}}
	ctx := context.Background()

	// The network's Label is "true": it is not one container's.
	nw, err := network.New(ctx, network.WithLabels(containers.Self().Labels("true")))
	if err != nil {
		t.Fatalf("harness: creating the network: %v", err)
	}
	e.network = nw
	// One cleanup for everything, registered before the first container, so
	// a Start that fails half way still removes what it made.
	t.Cleanup(e.teardown)

	// Postgres, the stand-in and Toxiproxy need nothing of each other to
	// start (a proxy connects to its upstream only when a client connects
	// through it): started at once, the environment waits for the slowest
	// (Postgres's first start makes its cluster), not for the three in turn.
	var wg sync.WaitGroup
	var errs [3]error
	wg.Go(func() { e.postgres, errs[0] = tryStart(e, Postgres, postgres.Run) })
	wg.Go(func() { e.standin, errs[1] = tryStart(e, Standin, standinserver.Run, opts.Standin...) })
	wg.Go(func() { e.toxiproxy, errs[2] = tryStart(e, Toxiproxy, toxiproxy.Run) })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("%v", err)
		}
	}
	for name, upstream := range map[string]string{
		ProxyPostgres: Postgres + ":" + port(postgres.Port),
		ProxyOllama:   Standin + ":" + port(standinserver.Port),
		ProxyLLM:      Standin + ":" + port(standinserver.Port),
	} {
		listen := "0.0.0.0:" + strings.TrimPrefix(ProxyAddr(name), Toxiproxy+":")
		if _, err := e.toxiproxy.CreateProxy(name, listen, upstream); err != nil {
			t.Fatalf("harness: %v", err)
		}
	}
	e.mimo = e.startMimo(t, Mimo)
	if opts.Alertmanager {
		// Every notification goes to the stand-in's webhook sink, where
		// Notifications reads it back.
		e.alertmanager = start(e, t, Alertmanager, alertmanager.Run,
			alertmanager.WithWebhook("http://"+Standin+":"+port(standinserver.Port)+standin.WebhookPath))
	}
	if opts.Prometheus || opts.Alertmanager {
		popts := []testcontainers.ContainerCustomizer{prometheus.WithScrape(MimoJob, mimoserver.NetworkAddr(Mimo))}
		if opts.Alertmanager {
			popts = append(popts, prometheus.WithAlertmanager(alertmanager.NetworkAddr(Alertmanager)))
		}
		if opts.Rules != "" {
			popts = append(popts, prometheus.WithRules(opts.Rules))
		}
		e.prometheus = start(e, t, Prometheus, prometheus.Run, popts...)
	}
	return e
}

// EnvSweepScope names the environment variable that sets the sweep scope
// of what Start makes from then on: a start sweeps only the leftovers of
// its own scope (empty by default). A test that kills harness processes on
// purpose and checks what the next start sweeps sets a scope of its own.
const EnvSweepScope = containers.EnvScope

// sweepTimeout bounds the sweep of earlier runs' leftovers.
const sweepTimeout = time.Minute

// sweep removes, once per process, the containers and networks that
// harness processes killed before their cleanup ran (a test binary
// SIGKILLed) left behind; those of harness processes still running stay.
// A failed sweep is only logged: the leftovers are not this test's.
var sweep = func() func(t testing.TB) {
	var once sync.Once
	return func(t testing.TB) {
		t.Helper()
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), sweepTimeout)
			defer cancel()
			removed, err := containers.SweepSelf(ctx)
			if len(removed) > 0 {
				t.Logf("harness: removed what earlier, killed runs left: %s", strings.Join(removed, ", "))
			}
			if err != nil {
				t.Logf("harness: removing what earlier, killed runs left: %v", err)
			}
		})
	}
}()

// port is the number of a port such as "5432/tcp".
func port(p string) string { return strings.TrimSuffix(p, "/tcp") }

// start runs one container with a module's Run on the private network
// under its alias name, recording it for teardown even when it fails to
// become ready.
func start[C interface {
	comparable
	testcontainers.Container
}](e *Env, t testing.TB, name string, run func(context.Context, ...testcontainers.ContainerCustomizer) (C, error), opts ...testcontainers.ContainerCustomizer) C {
	t.Helper()
	c, err := tryStart(e, name, run, opts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return c
}

// tryStart is start returning its error rather than failing the test, so
// that it can run on a goroutine of its own.
func tryStart[C interface {
	comparable
	testcontainers.Container
}](e *Env, name string, run func(context.Context, ...testcontainers.ContainerCustomizer) (C, error), opts ...testcontainers.ContainerCustomizer) (C, error) {
	opts = append(opts,
		network.WithNetwork([]string{name}, e.network),
		testcontainers.WithLabels(containers.Self().Labels(name)),
		// testcontainers' progress lines go to the test's log, shown with
		// -v or on failure, instead of stderr.
		testcontainers.WithLogger(tclog.TestLogger(e.t)),
	)
	c, err := run(context.Background(), opts...)
	var none C
	if c != none {
		e.mu.Lock()
		e.containers[name] = c
		e.started = append(e.started, name)
		e.mu.Unlock()
	}
	if err != nil {
		return c, fmt.Errorf("harness: starting %s: %w", name, err)
	}
	return c, nil
}

// startMimo runs a Mimo named name on the environment's Postgres and the
// stand-in's LLM, both through their proxies.
func (e *Env) startMimo(t testing.TB, name string, opts ...testcontainers.ContainerCustomizer) *MimoServer {
	t.Helper()
	base := []testcontainers.ContainerCustomizer{
		mimoserver.WithDatabaseURL(e.DatabaseURL()),
		// Answers are synthesised by the stand-in's OpenAI-compatible
		// API, through the llm proxy.
		mimoserver.WithLLM("openai", "http://"+ProxyAddr(ProxyLLM)+"/v1", StandinLLMModel),
	}
	if e.embedder != nil {
		base = append(base, e.embedder)
	}
	all := slices.Concat(base, e.opts.Mimo, opts)
	c := start(e, t, name, mimoserver.Run, all...)
	return &MimoServer{Container: c, Name: name, client: c.Client}
}

// StartMimo runs one more Mimo in the environment, a replica on the same
// Postgres and the same proxies as the first, customized by Options.Mimo
// and then opts, and waits until it is ready. It is named "mimo-2",
// "mimo-3", … on the network and for Kill and the like, and removed with
// the environment. Prometheus scrapes only the first.
func (e *Env) StartMimo(t testing.TB, opts ...testcontainers.ContainerCustomizer) *MimoServer {
	t.Helper()
	e.mu.Lock()
	n := 1
	for _, name := range e.started {
		if name == Mimo || strings.HasPrefix(name, Mimo+"-") {
			n++
		}
	}
	e.mu.Unlock()
	return e.startMimo(t, Mimo+"-"+strconv.Itoa(n), opts...)
}

// Mimo is the first Mimo, which Start ran.
func (e *Env) Mimo() *MimoServer { return e.mimo }

// MimoURL is the first Mimo's root URL from the host, such as
// "http://127.0.0.1:32768". It changes when Mimo restarts.
func (e *Env) MimoURL() string { return e.mimo.URL() }

// Client returns a REST client of the first Mimo at its current address.
func (e *Env) Client() *mimoclient.Client { return e.mimo.Client() }

// MCP connects an MCP client to the first Mimo; see MimoServer.MCP.
func (e *Env) MCP(t testing.TB) *mcp.ClientSession { return e.mimo.MCP(t) }

// Metrics fetches the first Mimo's /metrics.
func (e *Env) Metrics(ctx context.Context) (mimoclient.Metrics, error) {
	return e.Client().Metrics(ctx)
}

// Health fetches the first Mimo's /health.
func (e *Env) Health(ctx context.Context) (*mimoclient.Health, error) {
	return e.Client().Health(ctx)
}

// Standin returns the control client of the stand-in at its current
// address.
func (e *Env) Standin() *standin.Control { return e.standin.Control() }

// Postgres is the Postgres container.
func (e *Env) Postgres() *postgres.Container { return e.postgres }

// Toxiproxy is the Toxiproxy container, for its API client.
func (e *Env) Toxiproxy() *toxiproxy.Container { return e.toxiproxy }

// Proxy returns the Toxiproxy proxy name (ProxyPostgres, ProxyOllama or
// ProxyLLM), for package toxics. An unknown name fails the test.
func (e *Env) Proxy(name string) *toxiclient.Proxy {
	e.t.Helper()
	p, ok := e.toxiproxy.Proxy(name)
	if !ok {
		e.t.Fatalf("harness: no proxy %q; the proxies are %s", name, strings.Join(e.toxiproxy.Names(), ", "))
	}
	return p
}

// Prometheus is the Prometheus container (Options.Prometheus or
// Options.Alertmanager must be set, else the test fails).
func (e *Env) Prometheus() *prometheus.Container {
	e.t.Helper()
	e.container(Prometheus)
	return e.prometheus
}

// Alertmanager is the Alertmanager container (Options.Alertmanager must
// be set, else the test fails).
func (e *Env) Alertmanager() *alertmanager.Container {
	e.t.Helper()
	e.container(Alertmanager)
	return e.alertmanager
}

// Notifications returns the notifications Alertmanager has sent its
// receiver (alertmanager.Receiver, a webhook into the stand-in), oldest
// first (Options.Alertmanager must be set, else the test fails). A body
// that is not a notification is an error.
func (e *Env) Notifications(ctx context.Context) ([]alertmanager.Notification, error) {
	e.t.Helper()
	e.container(Alertmanager)
	bodies, err := e.Standin().Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]alertmanager.Notification, len(bodies))
	for i, b := range bodies {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("notification %d: %w: %.200s", i, err, b)
		}
	}
	return out, nil
}

// ContainerID is the Docker ID of container name (Mimo, Postgres, Standin,
// Toxiproxy, …), for looking at it with Docker's own tools.
func (e *Env) ContainerID(name string) string {
	e.t.Helper()
	return e.container(name).GetContainerID()
}

// NetworkID is the Docker ID of the environment's private network.
func (e *Env) NetworkID() string { return e.network.ID }

// DatabaseURL is the URL Mimo is given for Postgres: through the postgres
// proxy, on the private network.
func (e *Env) DatabaseURL() string { return e.postgres.URL(ProxyAddr(ProxyPostgres)) }

func (e *Env) container(name string) testcontainers.Container {
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
	names := slices.Clone(e.started)
	e.mu.Unlock()
	if e.t.Failed() {
		e.saveEvidence(ctx, names)
	}
	for i := len(names) - 1; i >= 0; i-- {
		c := e.containers[names[i]]
		// A paused container cannot be removed; unpausing a running one is
		// an error worth ignoring.
		_ = containers.Unpause(ctx, c.GetContainerID())
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
