package harness

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// ScrapeInterval is how often the harness's Prometheus scrapes Mimo and
// evaluates rules: once a second, so a scenario sees a change within a
// few seconds.
const ScrapeInterval = time.Second

// MimoJob is the job label of Mimo's series in Prometheus.
const MimoJob = "mimo"

// prometheusConfig scrapes Mimo by its name on the private network, which
// stays the same across Mimo's restarts, and Prometheus itself.
func prometheusConfig() string {
	iv := ScrapeInterval.String()
	return strings.Join([]string{
		"global:",
		"  scrape_interval: " + iv,
		"  scrape_timeout: " + iv,
		"  evaluation_interval: " + iv,
		"scrape_configs:",
		"  - job_name: " + MimoJob,
		"    static_configs:",
		"      - targets: [\"" + Mimo + ":" + strconv.Itoa(mimoPort) + "\"]",
		"  - job_name: prometheus",
		"    static_configs:",
		"      - targets: [\"localhost:" + strconv.Itoa(prometheusPort) + "\"]",
		"",
	}, "\n")
}

// startPrometheus runs Prometheus with the harness's scrape configuration
// and waits until it reports ready.
func (e *Env) startPrometheus(ctx context.Context) {
	e.t.Helper()
	e.run(ctx, Prometheus, e.opts.PrometheusImage,
		testcontainers.WithFiles(testcontainers.ContainerFile{
			Reader:            strings.NewReader(prometheusConfig()),
			ContainerFilePath: "/etc/prometheus/prometheus.yml",
			FileMode:          0o644,
		}),
		testcontainers.WithExposedPorts(port(prometheusPort)),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/-/ready").
			WithPort(port(prometheusPort)).WithStartupTimeout(e.opts.StartupTimeout)),
	)
	e.connectPrometheus(ctx)
}

// connectPrometheus reads Prometheus's host port, which Docker picks anew
// each time the container starts, and makes the query client once, so
// that polling a query does not ask Docker for the address each time.
func (e *Env) connectPrometheus(ctx context.Context) {
	e.t.Helper()
	u, err := e.container(Prometheus).PortEndpoint(ctx, port(prometheusPort), "http")
	if err != nil {
		e.t.Fatalf("harness: Prometheus's address: %v", err)
	}
	c, err := promapi.NewClient(promapi.Config{Address: u})
	if err != nil {
		e.t.Fatalf("harness: Prometheus client: %v", err)
	}
	e.mu.Lock()
	e.promURL, e.prom = u, promv1.NewAPI(c)
	e.mu.Unlock()
}

// PrometheusURL is Prometheus's root URL from the host. Without
// Options.Prometheus it fails the test.
func (e *Env) PrometheusURL() string {
	e.t.Helper()
	e.container(Prometheus) // fails the test without Options.Prometheus
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.promURL
}

// Prometheus returns the client of Prometheus's query API (Options.Prometheus
// must be set).
func (e *Env) Prometheus() promv1.API {
	e.t.Helper()
	e.container(Prometheus)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.prom
}

// Query evaluates the PromQL expression q now and returns its instant
// vector. Prometheus unreachable, the query refused, or a result other than
// an instant vector is an error.
func (e *Env) Query(ctx context.Context, q string) (model.Vector, error) {
	res, _, _, err := e.Prometheus().Query(ctx, q, time.Now())
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", q, err)
	}
	v, ok := res.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s: a %s, not an instant vector", q, res.Type())
	}
	return v, nil
}

// WaitForQuery waits until pred holds for the instant vector of the PromQL
// expression q, failing t after timeout with the last result or error, and
// returns the vector that satisfied pred.
func (e *Env) WaitForQuery(t testing.TB, q string, pred func(model.Vector) bool, timeout time.Duration) model.Vector {
	t.Helper()
	var last model.Vector
	WaitFor(t, timeout, "Prometheus: "+q, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), pollTimeout(timeout))
		defer cancel()
		v, err := e.Query(ctx, q)
		if err != nil {
			return false, err.Error()
		}
		last = v
		return pred(v), v.String()
	})
	return last
}
