package prometheus

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestConfigScrapesEveryJobAndItselfEverySecond(t *testing.T) {
	var cfg configFile
	require.NoError(t, yaml.Unmarshal([]byte(Config(WithScrape("mimo", "mimo:4000", "mimo-2:4000"))), &cfg))
	assert.Equal(t, "1s", cfg.Global.ScrapeInterval)
	assert.Equal(t, "1s", cfg.Global.ScrapeTimeout, "a scrape may not outlast its interval")
	assert.Equal(t, "1s", cfg.Global.EvaluationInterval)
	assert.Nil(t, cfg.Alerting, "no Alertmanager unless asked")
	targets := map[string][]string{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets[sc.JobName] = append(targets[sc.JobName], st.Targets...)
		}
	}
	assert.Equal(t, []string{"mimo:4000", "mimo-2:4000"}, targets["mimo"])
	assert.Equal(t, []string{"localhost:9090"}, targets["prometheus"])
}

func TestConfigIntervalAndAlertmanager(t *testing.T) {
	var cfg configFile
	require.NoError(t, yaml.Unmarshal([]byte(Config(WithInterval(500*time.Millisecond), WithAlertmanager("alertmanager:9093"))), &cfg))
	assert.Equal(t, "500ms", cfg.Global.ScrapeInterval)
	require.NotNil(t, cfg.Alerting)
	require.Len(t, cfg.Alerting.Alertmanagers, 1)
	assert.Equal(t, []string{"alertmanager:9093"}, cfg.Alerting.Alertmanagers[0].StaticConfigs[0].Targets)
}

func TestConfigNamesTheRulesFileOnlyWithRules(t *testing.T) {
	var cfg configFile
	require.NoError(t, yaml.Unmarshal([]byte(Config()), &cfg))
	assert.Empty(t, cfg.RuleFiles, "no rules unless asked")
	require.NoError(t, yaml.Unmarshal([]byte(Config(WithRules("groups: []\n"))), &cfg))
	assert.Equal(t, []string{RulesPath}, cfg.RuleFiles)
}
