// Package prometheus is the harness's Prometheus container, a module in
// testcontainers-go's style: Run starts it with a configuration made from
// typed options (what to scrape, how often, which Alertmanager to notify),
// and the Container gives the client of its query API at its current
// address.
package prometheus

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"go.yaml.in/yaml/v3"

	"mimo/harness/internal/containers"
)

// DefaultImage is the image Run starts; make images builds it.
const DefaultImage = "mimo-harness/prometheus:latest"

// Port is Prometheus's port inside the container.
const (
	Port    = "9090/tcp"
	portNum = 9090
)

// DefaultInterval is how often Prometheus scrapes and evaluates rules
// unless WithInterval says otherwise: once a second, so that a scenario
// sees a change within a few seconds.
const DefaultInterval = time.Second

// ConfigPath is where the configuration Run writes is read from.
const ConfigPath = "/etc/prometheus/prometheus.yml"

// RulesPath is where Run writes the rules of WithRules; the configuration
// names it among its rule files.
const RulesPath = "/etc/prometheus/rules.yml"

// Container is a running Prometheus. Its methods are safe for concurrent
// use.
type Container struct {
	*testcontainers.DockerContainer
	addr *containers.Addr

	mu  sync.Mutex
	api promv1.API
}

// config is what the options build; Prometheus's own job is always there.
type config struct {
	interval     time.Duration
	jobs         []job
	alertmanager string
	rules        string
}

type job struct {
	name    string
	targets []string
}

// Option configures what Run's Prometheus scrapes. It is a
// testcontainers.ContainerCustomizer, so it mixes with testcontainers-go's
// own options.
type Option func(*config)

// Customize does nothing: Run reads the Option itself.
func (Option) Customize(*testcontainers.GenericContainerRequest) error { return nil }

// WithScrape adds the job name scraping targets (host:port on the
// container's network) at /metrics.
func WithScrape(name string, targets ...string) Option {
	return func(c *config) { c.jobs = append(c.jobs, job{name, targets}) }
}

// WithInterval sets the scrape and rule evaluation interval (and the
// scrape timeout, which may not exceed it).
func WithInterval(d time.Duration) Option {
	return func(c *config) { c.interval = d }
}

// WithAlertmanager sends alerts to the Alertmanager at target (host:port
// on the container's network).
func WithAlertmanager(target string) Option {
	return func(c *config) { c.alertmanager = target }
}

// WithRules has Prometheus evaluate the rules file yml (alerting and
// recording rules, as promtool check rules reads them) every interval
// (WithInterval), sending the alerts to WithAlertmanager's target. Rules
// Prometheus refuses make Run fail, with Prometheus's reason in the
// container's log.
func WithRules(yml string) Option {
	return func(c *config) { c.rules = yml }
}

// configFile is prometheus.yml, what of it the harness sets.
type configFile struct {
	Global        globalConfig    `yaml:"global"`
	RuleFiles     []string        `yaml:"rule_files,omitempty"`
	Alerting      *alertingConfig `yaml:"alerting,omitempty"`
	ScrapeConfigs []scrapeConfig  `yaml:"scrape_configs"`
}

type globalConfig struct {
	ScrapeInterval     string `yaml:"scrape_interval"`
	ScrapeTimeout      string `yaml:"scrape_timeout"`
	EvaluationInterval string `yaml:"evaluation_interval"`
}

type alertingConfig struct {
	Alertmanagers []alertmanagerConfig `yaml:"alertmanagers"`
}

type alertmanagerConfig struct {
	StaticConfigs []staticConfig `yaml:"static_configs"`
}

type scrapeConfig struct {
	JobName       string         `yaml:"job_name"`
	StaticConfigs []staticConfig `yaml:"static_configs"`
}

type staticConfig struct {
	Targets []string `yaml:"targets"`
}

// options applies the Options among opts.
func options(opts []testcontainers.ContainerCustomizer) config {
	cfg := config{interval: DefaultInterval}
	for _, o := range opts {
		if o, ok := o.(Option); ok {
			o(&cfg)
		}
	}
	return cfg
}

// Config is the prometheus.yml the options make.
func Config(opts ...testcontainers.ContainerCustomizer) string {
	cfg := options(opts)
	var doc configFile
	if cfg.rules != "" {
		doc.RuleFiles = []string{RulesPath}
	}
	iv := model.Duration(cfg.interval).String()
	doc.Global = globalConfig{iv, iv, iv}
	for _, j := range append(cfg.jobs, job{"prometheus", []string{"localhost:" + strconv.Itoa(portNum)}}) {
		doc.ScrapeConfigs = append(doc.ScrapeConfigs, scrapeConfig{j.name, []staticConfig{{j.targets}}})
	}
	if cfg.alertmanager != "" {
		doc.Alerting = &alertingConfig{[]alertmanagerConfig{{[]staticConfig{{[]string{cfg.alertmanager}}}}}}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		// Only strings and slices of them: marshalling cannot fail.
		panic(err)
	}
	return string(b)
}

// Run starts Prometheus with the configuration of opts (and the rules of
// WithRules) and waits until it reports ready.
func Run(ctx context.Context, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	files := []testcontainers.ContainerFile{{
		Reader:            strings.NewReader(Config(opts...)),
		ContainerFilePath: ConfigPath,
		FileMode:          0o644,
	}}
	if rules := options(opts).rules; rules != "" {
		files = append(files, testcontainers.ContainerFile{
			Reader:            strings.NewReader(rules),
			ContainerFilePath: RulesPath,
			FileMode:          0o644,
		})
	}
	c, _, err := containers.Run(ctx, testcontainers.ContainerRequest{
		Image:        DefaultImage,
		ExposedPorts: []string{Port},
		Files:        files,
		WaitingFor:   wait.ForHTTP("/-/ready").WithPort(Port).WithStartupTimeout(containers.StartupTimeout),
	}, opts...)
	if c == nil {
		return nil, err
	}
	p := &Container{DockerContainer: c}
	if err != nil {
		return p, err
	}
	return p, p.connect(ctx)
}

// connect reads the host port, which Docker picks anew each time the
// container starts, and makes the query client once, so that polling a
// query does not ask Docker for the address each time.
func (c *Container) connect(ctx context.Context) error {
	var err error
	if c.addr == nil {
		c.addr, err = containers.NewAddr(ctx, c.DockerContainer, Port, "http")
	} else {
		err = c.addr.Refresh(ctx, c.DockerContainer)
	}
	if err != nil {
		return fmt.Errorf("prometheus: %w", err)
	}
	cli, err := promapi.NewClient(promapi.Config{Address: c.addr.URL()})
	if err != nil {
		return fmt.Errorf("prometheus client: %w", err)
	}
	c.mu.Lock()
	c.api = promv1.NewAPI(cli)
	c.mu.Unlock()
	return nil
}

// URL is Prometheus's root URL from this machine.
func (c *Container) URL() string { return c.addr.URL() }

// API is the client of Prometheus's HTTP API at its current address.
func (c *Container) API() promv1.API {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.api
}

// Query evaluates the PromQL expression q now and returns its instant
// vector. Prometheus unreachable, the query refused, or a result other
// than an instant vector is an error.
func (c *Container) Query(ctx context.Context, q string) (model.Vector, error) {
	res, _, _, err := c.API().Query(ctx, q, time.Now())
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", q, err)
	}
	v, ok := res.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s: a %s, not an instant vector", q, res.Type())
	}
	return v, nil
}

// QueryRange evaluates the PromQL expression q at every step from start
// to end and returns its range matrix, a series per label set. Prometheus
// unreachable, the query refused, or a result other than a matrix is an
// error.
func (c *Container) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	res, _, _, err := c.API().QueryRange(ctx, q, promv1.Range{Start: start, End: end, Step: step})
	if err != nil {
		return nil, fmt.Errorf("query range %s: %w", q, err)
	}
	m, ok := res.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("query range %s: a %s, not a range matrix", q, res.Type())
	}
	return m, nil
}

// Start starts the container again after a stop or a kill (what it had
// scraped is gone) and follows its new host port.
func (c *Container) Start(ctx context.Context) error {
	if err := c.DockerContainer.Start(ctx); err != nil {
		return err
	}
	return c.connect(ctx)
}
