// Package alertmanager is the harness's Alertmanager container, a module
// in testcontainers-go's style: Run starts it (by default every alert goes
// to one receiver with no integrations, so alerts are read back from its
// API), and the Container lists the alerts it holds.
package alertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"mimo/harness/internal/containers"
)

// DefaultImage is the image Run starts; make images builds it.
const DefaultImage = "mimo-harness/alertmanager:latest"

// Port is Alertmanager's port inside the container.
const (
	Port    = "9093/tcp"
	portNum = 9093
)

// ConfigPath is the configuration file the image reads.
const ConfigPath = "/etc/alertmanager/alertmanager.yml"

// Container is a running Alertmanager.
type Container struct {
	*testcontainers.DockerContainer
	addr *containers.Addr
}

// WithConfig replaces the image's configuration with yml, an
// alertmanager.yml.
func WithConfig(yml string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithFiles(testcontainers.ContainerFile{
		Reader:            strings.NewReader(yml),
		ContainerFilePath: ConfigPath,
		FileMode:          0o644,
	})
}

// Run starts Alertmanager and waits until it reports ready.
func Run(ctx context.Context, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	c, _, err := containers.Run(ctx, testcontainers.ContainerRequest{
		Image:        DefaultImage,
		ExposedPorts: []string{Port},
		WaitingFor:   wait.ForHTTP("/-/ready").WithPort(Port).WithStartupTimeout(containers.StartupTimeout),
	}, opts...)
	if c == nil {
		return nil, err
	}
	a := &Container{DockerContainer: c}
	if err != nil {
		return a, err
	}
	a.addr, err = containers.NewAddr(ctx, c, Port, "http")
	return a, err
}

// NetworkAddr is Alertmanager's host:port on a network where it is known
// as alias, for Prometheus's alerting configuration.
func NetworkAddr(alias string) string { return alias + ":" + strconv.Itoa(portNum) }

// URL is Alertmanager's root URL from this machine.
func (c *Container) URL() string { return c.addr.URL() }

// Start starts the container again after a stop or a kill and follows its
// new host port.
func (c *Container) Start(ctx context.Context) error {
	if err := c.DockerContainer.Start(ctx); err != nil {
		return err
	}
	return c.addr.Refresh(ctx, c.DockerContainer)
}

// Alert is one alert as Alertmanager's API v2 lists it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	Status      struct {
		// State is "active", "suppressed" or "unprocessed".
		State string `json:"state"`
	} `json:"status"`
	// Receivers are the receivers the alert was routed to.
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
}

// Alerts lists the alerts Alertmanager holds (GET /api/v2/alerts).
func (c *Container) Alerts(ctx context.Context) ([]Alert, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL()+"/api/v2/alerts", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("alertmanager: GET /api/v2/alerts: HTTP %d: %.200s", resp.StatusCode, b)
	}
	var alerts []Alert
	if err := json.Unmarshal(b, &alerts); err != nil {
		return nil, fmt.Errorf("alertmanager: decoding the alerts: %w", err)
	}
	return alerts, nil
}
