package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestPrometheusConfigScrapesMimoEverySecond(t *testing.T) {
	var cfg struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
			ScrapeTimeout  string `yaml:"scrape_timeout"`
		} `yaml:"global"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(prometheusConfig()), &cfg))
	assert.Equal(t, "1s", cfg.Global.ScrapeInterval)
	assert.Equal(t, "1s", cfg.Global.ScrapeTimeout, "a scrape may not outlast its interval")
	targets := map[string][]string{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets[sc.JobName] = append(targets[sc.JobName], st.Targets...)
		}
	}
	assert.Equal(t, []string{"mimo:4000"}, targets[MimoJob], "Mimo by its name on the private network")
	assert.Equal(t, []string{"localhost:9090"}, targets["prometheus"])
}
