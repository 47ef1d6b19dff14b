// Package toxiproxy is the harness's Toxiproxy container, a module in
// testcontainers-go's style: Run starts it, and the Container makes
// proxies through its API and remembers them, so that a restart, which
// loses every proxy Toxiproxy held in memory, can make them again.
// Package toxics puts faults on the proxies.
package toxiproxy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"mimo/harness/internal/containers"
)

// DefaultImage is the image Run starts; make images builds it.
const DefaultImage = "mimo-harness/toxiproxy:latest"

// APIPort is Toxiproxy's API port inside the container.
const APIPort = "8474/tcp"

// Container is a running Toxiproxy. Its methods are safe for concurrent
// use.
type Container struct {
	*testcontainers.DockerContainer

	mu      sync.Mutex
	client  *toxiclient.Client
	api     string
	specs   []spec // in creation order, to make again after a restart
	proxies map[string]*toxiclient.Proxy
}

type spec struct{ name, listen, upstream string }

// Run starts Toxiproxy and waits until its API answers.
func Run(ctx context.Context, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	c, _, err := containers.Run(ctx, testcontainers.ContainerRequest{
		Image:        DefaultImage,
		ExposedPorts: []string{APIPort},
		WaitingFor:   wait.ForHTTP("/version").WithPort(APIPort).WithStartupTimeout(containers.StartupTimeout),
	}, opts...)
	if c == nil {
		return nil, err
	}
	tp := &Container{DockerContainer: c, proxies: map[string]*toxiclient.Proxy{}}
	if err != nil {
		return tp, err
	}
	return tp, tp.connect(ctx)
}

// connect makes a client of the API at its current host port.
func (c *Container) connect(ctx context.Context) error {
	api, err := containers.Endpoint(ctx, c.DockerContainer, APIPort, "http")
	if err != nil {
		return fmt.Errorf("toxiproxy: %w", err)
	}
	c.mu.Lock()
	c.client, c.api = toxiclient.NewClient(api), api
	c.mu.Unlock()
	return nil
}

// Client is the client of Toxiproxy's API at its current address.
func (c *Container) Client() *toxiclient.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}

// URL is the root of Toxiproxy's API at its current address (for clients other than
// Client, such as a load script's fault control).
func (c *Container) URL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.api
}

// CreateProxy makes the proxy name listening on listen inside the
// container (such as "0.0.0.0:15432") and forwarding to upstream (a
// host:port Toxiproxy reaches, such as "postgres:5432").
func (c *Container) CreateProxy(name, listen, upstream string) (*toxiclient.Proxy, error) {
	p, err := c.Client().CreateProxy(name, listen, upstream)
	if err != nil {
		return nil, fmt.Errorf("toxiproxy: creating proxy %s: %w", name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.specs = append(c.specs, spec{name, listen, upstream})
	c.proxies[name] = p
	return p, nil
}

// Proxy returns the proxy name as last made; false when there is none.
func (c *Container) Proxy(name string) (*toxiclient.Proxy, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.proxies[name]
	return p, ok
}

// Names lists the proxies made, sorted.
func (c *Container) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.proxies))
}

// Start starts the container again after a stop or a kill and makes every
// proxy again, without toxics (Toxiproxy keeps them only in memory);
// Proxy then returns the new ones.
func (c *Container) Start(ctx context.Context) error {
	if err := c.DockerContainer.Start(ctx); err != nil {
		return err
	}
	if err := c.connect(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	specs := slices.Clone(c.specs)
	c.specs = nil
	c.mu.Unlock()
	var failed []string
	for _, s := range specs {
		if _, err := c.CreateProxy(s.name, s.listen, s.upstream); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return nil
}
