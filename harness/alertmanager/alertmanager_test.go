package alertmanager_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"mimo/harness/alertmanager"
)

func TestWebhookConfigRoutesEveryAlertToTheWebhook(t *testing.T) {
	var cfg struct {
		Route struct {
			Receiver  string   `yaml:"receiver"`
			GroupBy   []string `yaml:"group_by"`
			GroupWait string   `yaml:"group_wait"`
		} `yaml:"route"`
		Receivers []struct {
			Name           string `yaml:"name"`
			WebhookConfigs []struct {
				URL          string `yaml:"url"`
				SendResolved bool   `yaml:"send_resolved"`
			} `yaml:"webhook_configs"`
		} `yaml:"receivers"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(alertmanager.WebhookConfig("http://standin:11434/_control/webhook")), &cfg))
	assert.Equal(t, alertmanager.Receiver, cfg.Route.Receiver)
	assert.Equal(t, []string{"..."}, cfg.Route.GroupBy, "one notification per alert")
	assert.Equal(t, "1s", cfg.Route.GroupWait)
	require.Len(t, cfg.Receivers, 1)
	assert.Equal(t, alertmanager.Receiver, cfg.Receivers[0].Name)
	require.Len(t, cfg.Receivers[0].WebhookConfigs, 1)
	assert.Equal(t, "http://standin:11434/_control/webhook", cfg.Receivers[0].WebhookConfigs[0].URL)
	assert.True(t, cfg.Receivers[0].WebhookConfigs[0].SendResolved)
}
