// Package mimoserver is the harness's container of Mimo itself, a module
// in testcontainers-go's style: Run starts `mimo serve` from the locally
// built image, configured by typed options over Mimo's settings
// (MIMO_*), and the Container gives Mimo's address and a client
// (package mimoclient) that follow it across restarts. Several may run on
// one network: replicas on one Postgres.
package mimoserver

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"mimo/harness/internal/containers"
	"mimo/harness/mimoclient"
)

// DefaultImage is the image Run starts; make images builds it.
const DefaultImage = "mimo-harness/mimo:latest"

// Port is Mimo's HTTP port inside the container.
const (
	Port    = "4000/tcp"
	portNum = 4000
)

// Container is a running Mimo.
type Container struct {
	*testcontainers.DockerContainer
	addr   *containers.Addr
	apiKey string
}

// WithDatabaseURL points Mimo at Postgres (MIMO_DATABASE_URL); without it
// Mimo runs on SQLite in its data folder.
func WithDatabaseURL(url string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"MIMO_DATABASE_URL": url})
}

// UID is the user Mimo's image runs as (and its group): a folder given
// to WithSQLite must be writable by it, and file modes apply to it, as
// they do to any user but root.
const UID = 65532

// DataDir is Mimo's data folder inside the container (MIMO_DATA_DIR): the
// SQLite database, the write spool and backups.
const DataDir = "/data"

// WithSQLite runs Mimo on SQLite instead of the harness's Postgres
// (MIMO_DATABASE_URL unset), with hostDir, a folder on this machine,
// bind-mounted as its data folder, so that a scenario can see and change
// the database's files between runs (their modes, say). hostDir must be
// writable by UID; what Mimo creates in it is owned by UID. Given after
// WithDatabaseURL, it wins.
func WithSQLite(hostDir string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		if err := testcontainers.WithEnv(map[string]string{"MIMO_DATABASE_URL": "", "MIMO_DATA_DIR": DataDir})(req); err != nil {
			return err
		}
		return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.Binds = append(hc.Binds, hostDir+":"+DataDir)
		})(req)
	}
}

// WithLLM selects the language model that synthesises answers: provider
// "ollama" or "openai" (MIMO_LLM) at url (MIMO_LLM_URL) asking for model
// (MIMO_LLM_MODEL); provider "none" answers without one.
func WithLLM(provider, url, model string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"MIMO_LLM": provider, "MIMO_LLM_URL": url, "MIMO_LLM_MODEL": model})
}

// WithBreaker sets every circuit breaker's consecutive failures to open
// (MIMO_BREAKER_FAILURES) and its wait before half-open
// (MIMO_BREAKER_RESET).
func WithBreaker(failures int, reset time.Duration) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{
		"MIMO_BREAKER_FAILURES": strconv.Itoa(failures),
		"MIMO_BREAKER_RESET":    reset.String(),
	})
}

// WithEmbedder selects the embedding provider: "builtin", "ollama" or
// "openai" (MIMO_EMBEDDER) at url (MIMO_EMBED_URL, the provider's base;
// Mimo adds /api/embed or /embeddings) asking for model (MIMO_EMBED_MODEL)
// vectors of dim numbers (MIMO_EMBED_DIM). An empty url or model, or a dim
// of 0, leaves that setting to Mimo's default for the provider.
func WithEmbedder(provider, url, model string, dim int) testcontainers.CustomizeRequestOption {
	env := map[string]string{"MIMO_EMBEDDER": provider}
	if url != "" {
		env["MIMO_EMBED_URL"] = url
	}
	if model != "" {
		env["MIMO_EMBED_MODEL"] = model
	}
	if dim != 0 {
		env["MIMO_EMBED_DIM"] = strconv.Itoa(dim)
	}
	return testcontainers.WithEnv(env)
}

// WithEmbedTimeout bounds one call to the embedding provider
// (MIMO_EMBED_TIMEOUT; Mimo's default is 10 s).
func WithEmbedTimeout(d time.Duration) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"MIMO_EMBED_TIMEOUT": d.String()})
}

// WithReadCache sets the size of the cache that answers reads while the
// database is unreachable (MIMO_READ_CACHE), in bytes; 0 disables it.
// Mimo's default is 64 MiB.
func WithReadCache(bytes int64) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"MIMO_READ_CACHE": strconv.FormatInt(bytes, 10)})
}

// WithSpoolMax caps the spool that queues writes while the database is
// unreachable (MIMO_SPOOL_MAX), in bytes; a write that would pass it is
// refused with 503. Mimo's default is 256 MiB.
func WithSpoolMax(bytes int64) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"MIMO_SPOOL_MAX": strconv.FormatInt(bytes, 10)})
}

// WithAPIKey makes Mimo require key (MIMO_API_KEY); the Container's
// clients send it.
func WithAPIKey(key string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"MIMO_API_KEY": key})
}

// Run starts Mimo, listening on all addresses with its rate limit off (a
// scenario is one client firing fast), and waits until GET /health/ready
// answers 200.
func Run(ctx context.Context, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	c, req, err := containers.Run(ctx, testcontainers.ContainerRequest{
		Image: DefaultImage,
		Env: map[string]string{
			"MIMO_ADDR":       "0.0.0.0:" + strconv.Itoa(portNum),
			"MIMO_RATE_LIMIT": "off",
		},
		ExposedPorts: []string{Port},
		WaitingFor:   wait.ForHTTP("/health/ready").WithPort(Port).WithStartupTimeout(containers.StartupTimeout),
	}, opts...)
	if c == nil {
		return nil, err
	}
	m := &Container{DockerContainer: c, apiKey: req.Env["MIMO_API_KEY"]}
	if err != nil {
		return m, err
	}
	m.addr, err = containers.NewAddr(ctx, c, Port, "http")
	if err != nil {
		return m, fmt.Errorf("mimo: %w", err)
	}
	return m, nil
}

// NetworkAddr is Mimo's host:port on a network where it is known as
// alias, for a scraper or a peer.
func NetworkAddr(alias string) string { return alias + ":" + strconv.Itoa(portNum) }

// URL is Mimo's root URL from this machine, such as
// "http://127.0.0.1:32768". It changes when the container restarts.
func (c *Container) URL() string { return c.addr.URL() }

// Client returns a client of Mimo at its current address, with its API
// key if it has one.
func (c *Container) Client() *mimoclient.Client {
	return &mimoclient.Client{BaseURL: c.URL(), APIKey: c.apiKey}
}

// Start starts the container again after a stop or a kill, waits until it
// is ready, and follows its new host port.
func (c *Container) Start(ctx context.Context) error {
	if err := c.DockerContainer.Start(ctx); err != nil {
		return err
	}
	return c.addr.Refresh(ctx, c.DockerContainer)
}
