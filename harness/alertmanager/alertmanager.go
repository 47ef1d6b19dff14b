// Package alertmanager is the harness's Alertmanager container, a module
// in testcontainers-go's style: Run starts it (by default every alert goes
// to one receiver with no integrations, so alerts are read back from its
// API), and the Container lists the alerts it holds.
package alertmanager

import (
	"bytes"
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
	"go.yaml.in/yaml/v3"

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

// Receiver is the name of the one receiver WithWebhook routes every alert
// to.
const Receiver = "harness"

// WithWebhook replaces the image's configuration with one that sends
// every alert, grouped by nothing and waiting at most a second, to the
// webhook at url (notifications of resolved alerts too).
func WithWebhook(url string) testcontainers.CustomizeRequestOption {
	return WithConfig(WebhookConfig(url))
}

// WebhookConfig is the alertmanager.yml of WithWebhook.
func WebhookConfig(url string) string {
	type webhook struct {
		URL          string `yaml:"url"`
		SendResolved bool   `yaml:"send_resolved"`
	}
	type receiver struct {
		Name           string    `yaml:"name"`
		WebhookConfigs []webhook `yaml:"webhook_configs"`
	}
	var cfg struct {
		Route struct {
			Receiver       string   `yaml:"receiver"`
			GroupBy        []string `yaml:"group_by"`
			GroupWait      string   `yaml:"group_wait"`
			GroupInterval  string   `yaml:"group_interval"`
			RepeatInterval string   `yaml:"repeat_interval"`
		} `yaml:"route"`
		Receivers []receiver `yaml:"receivers"`
	}
	cfg.Route.Receiver = Receiver
	// "..." groups by every label: one notification per alert.
	cfg.Route.GroupBy = []string{"..."}
	cfg.Route.GroupWait, cfg.Route.GroupInterval, cfg.Route.RepeatInterval = "1s", "1s", "1h"
	cfg.Receivers = []receiver{{Receiver, []webhook{{url, true}}}}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		// Only strings and slices of them: marshalling cannot fail.
		panic(err)
	}
	return string(b)
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

// Notification is the body of one webhook notification (Alertmanager's
// webhook payload, version 4), what WithWebhook's receiver gets.
type Notification struct {
	Receiver string `json:"receiver"`
	// Status is "firing" or "resolved".
	Status string `json:"status"`
	Alerts []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
	GroupLabels map[string]string `json:"groupLabels"`
}

// Fire sends Alertmanager one firing alert with labels, as Prometheus
// would (POST /api/v2/alerts): for checking the path from Alertmanager to
// its receivers without a rule.
func (c *Container) Fire(ctx context.Context, labels map[string]string) error {
	body, err := json.Marshal([]map[string]any{{"labels": labels}})
	if err != nil {
		return err
	}
	_, err = c.call(ctx, http.MethodPost, "/api/v2/alerts", body)
	return err
}

// Alerts lists the alerts Alertmanager holds (GET /api/v2/alerts).
func (c *Container) Alerts(ctx context.Context) ([]Alert, error) {
	b, err := c.call(ctx, http.MethodGet, "/api/v2/alerts", nil)
	if err != nil {
		return nil, err
	}
	var alerts []Alert
	if err := json.Unmarshal(b, &alerts); err != nil {
		return nil, fmt.Errorf("alertmanager: decoding the alerts: %w", err)
	}
	return alerts, nil
}

// call sends one request to Alertmanager's API and returns the body of a
// 200 answer; any other status is an error.
func (c *Container) call(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL()+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
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
		return nil, fmt.Errorf("alertmanager: %s %s: HTTP %d: %.200s", method, path, resp.StatusCode, b)
	}
	return b, nil
}
