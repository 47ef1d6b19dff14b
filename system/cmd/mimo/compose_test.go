package main

import (
	"context"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// loadCompose loads the repository's docker-compose.yml as docker compose
// would, with the variables it requires set.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root := filepath.Join("..", "..", "..")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv([]string{"POSTGRES_PASSWORD=pg-secret", "MIMO_API_KEY=api-secret", "GRAFANA_ADMIN_PASSWORD=gf-secret"}),
		cli.WithResolvedPaths(true),
	)
	require.NoError(t, err)
	p, err := opts.LoadProject(context.Background())
	require.NoError(t, err)
	return p
}

func TestComposeRunsMimoAndItsMonitoringStack(t *testing.T) {
	p := loadCompose(t)
	assert.ElementsMatch(t, []string{"mimo", "postgres", "prometheus", "alertmanager", "grafana"}, p.ServiceNames())

	// What each service publishes: its port inside the container.
	published := map[string]uint32{"mimo": 4000, "prometheus": 9090, "alertmanager": 9093, "grafana": 3000}
	for name, port := range published {
		s := p.Services[name]
		require.Len(t, s.Ports, 1, name)
		assert.Equal(t, port, s.Ports[0].Target, name)
	}

	// Every file mounted from the repository is there.
	mounted := 0
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				assert.Contains(t, p.Volumes, v.Source, "%s: a named volume the file declares", s.Name)
				continue
			}
			mounted++
			_, err := os.Stat(v.Source)
			assert.NoError(t, err, "%s mounts %s", s.Name, v.Source)
			assert.True(t, v.ReadOnly, "%s mounts %s read-only", s.Name, v.Source)
		}
	}
	assert.Equal(t, 6, mounted, "prometheus.yml, alerts.yml, alertmanager.yml, Grafana's two provisioning folders and the dashboard")
}

// TestComposeGivesMimoOnlyRealSettingsThatStartIt checks Mimo's
// environment in docker-compose.yml against Mimo's own settings: every
// MIMO_* name is one, the values pass Mimo's checks, it listens where
// Prometheus scrapes it, and its database is the postgres service.
func TestComposeGivesMimoOnlyRealSettingsThatStartIt(t *testing.T) {
	p := loadCompose(t)
	env := map[string]string{}
	for k, v := range p.Services["mimo"].Environment {
		require.NotNil(t, v, k)
		env[k] = *v
		assert.True(t, slices.ContainsFunc(settings, func(s setting) bool { return s.env == k }), "%s is not a Mimo setting", k)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig(fs, bindFlags(fs, nil), func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:4000", cfg.Addr, "listening beyond the container's loopback")
	assert.Equal(t, "api-secret", env["MIMO_API_KEY"])
	assert.True(t, strings.HasPrefix(env["MIMO_DATABASE_URL"], "postgres://mimo:pg-secret@postgres:5432/mimo"), env["MIMO_DATABASE_URL"])
	assert.Equal(t, "/data", env["MIMO_DATA_DIR"])
	assert.True(t, slices.ContainsFunc(p.Services["mimo"].Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Target == "/data" && v.Type == types.VolumeTypeVolume
	}), "the spool and backups are on a volume that outlives the container")
}

// TestPrometheusAndGrafanaReachTheComposeServices reads the addresses
// dashboards/ configures (Prometheus's scrape and Alertmanager targets,
// Grafana's datasource) and checks each is a service of docker-compose.yml
// on the port it listens on.
func TestPrometheusAndGrafanaReachTheComposeServices(t *testing.T) {
	p := loadCompose(t)
	var prom struct {
		Alerting struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAMLFile(t, filepath.Join(dashboardsDir, "prometheus", "prometheus.yml"), &prom)
	var targets []string
	for _, am := range prom.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			targets = append(targets, sc.Targets...)
		}
	}
	for _, j := range prom.ScrapeConfigs {
		if j.JobName == "prometheus" {
			continue // itself, on localhost
		}
		for _, sc := range j.StaticConfigs {
			targets = append(targets, sc.Targets...)
		}
	}
	var grafana struct {
		Datasources []struct {
			URL string `yaml:"url"`
		} `yaml:"datasources"`
	}
	readYAMLFile(t, filepath.Join(dashboardsDir, "grafana", "provisioning", "datasources", "prometheus.yml"), &grafana)
	for _, ds := range grafana.Datasources {
		targets = append(targets, strings.TrimPrefix(ds.URL, "http://"))
	}
	assert.ElementsMatch(t, []string{"alertmanager:9093", "mimo:4000", "prometheus:9090"}, targets)
	for _, target := range targets {
		host, port, err := net.SplitHostPort(target)
		require.NoError(t, err, target)
		s, ok := p.Services[host]
		require.True(t, ok, "%s: no service %s in docker-compose.yml", target, host)
		require.NotEmpty(t, s.Ports, host)
		assert.Equal(t, port, strconv.FormatUint(uint64(s.Ports[0].Target), 10), target)
	}
}

func readYAMLFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, v), path)
}
