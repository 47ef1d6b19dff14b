// Package dashboards_test checks the shape of dashboards/ that Prometheus's
// own tools do not: the alerts a team relies on, their labels and
// annotations, their runbook sections and their unit tests' coverage.
// promtool and amtool check the rest (make dashboards-check).
package dashboards_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// wantAlerts is every alert alerts.yml must have, with its severity.
var wantAlerts = map[string]string{
	"MimoDown":               "critical",
	"MimoHighErrorRate":      "critical",
	"MimoHighLatency":        "warning",
	"MimoCircuitBreakerOpen": "warning",
	"MimoFallbackRateHigh":   "warning",
	"MimoSpoolBacklog":       "warning",
	"MimoMemoryHigh":         "warning",
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, v), path)
}

func alerts(t *testing.T) map[string]rule {
	t.Helper()
	var doc struct {
		Groups []struct {
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, filepath.Join("prometheus", "alerts.yml"), &doc)
	out := map[string]rule{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			require.NotContains(t, out, r.Alert, "alert %s defined twice", r.Alert)
			out[r.Alert] = r
		}
	}
	return out
}

// runbookAnchors are the anchors of docs/RUNBOOK.md's second-level
// headings, as GitHub makes them for one-word headings.
func runbookAnchors(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "RUNBOOK.md"))
	require.NoError(t, err)
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\S+)$`).FindAllStringSubmatch(string(b), -1) {
		out[strings.ToLower(m[1])] = true
	}
	return out
}

func TestTheAlertsAreExactlyMimosSevenWithTheirSeverities(t *testing.T) {
	got := map[string]string{}
	for name, r := range alerts(t) {
		got[name] = r.Labels["severity"]
	}
	assert.Equal(t, wantAlerts, got)
}

func TestEachAlertAddsOnlySeverityAndLinksItsRunbookSection(t *testing.T) {
	anchors := runbookAnchors(t)
	for name, r := range alerts(t) {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, []string{"severity"}, keys(r.Labels), "labels beyond the series' own")
			assert.Equal(t, []string{"description", "runbook_url", "summary"}, keys(r.Annotations))
			assert.NotEmpty(t, r.Annotations["summary"])
			assert.NotEmpty(t, r.Annotations["description"])
			anchor := strings.ToLower(name)
			assert.Equal(t, "docs/RUNBOOK.md#"+anchor, r.Annotations["runbook_url"])
			assert.True(t, anchors[anchor], "docs/RUNBOOK.md has no section %q", name)
		})
	}
	assert.Len(t, anchors, len(wantAlerts), "docs/RUNBOOK.md has a section per alert and no other")
}

// TestEachAlertHasAFiringAndAQuietUnitTest reads alerts_test.yml: every
// alert has a case that expects it firing and one that expects it not to.
func TestEachAlertHasAFiringAndAQuietUnitTest(t *testing.T) {
	var doc struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, filepath.Join("prometheus", "alerts_test.yml"), &doc)
	assert.Equal(t, []string{"alerts.yml"}, doc.RuleFiles)
	firing, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range doc.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	for name := range wantAlerts {
		assert.True(t, firing[name], "no unit test expects %s firing", name)
		assert.True(t, quiet[name], "no unit test expects %s quiet", name)
	}
}

func TestPrometheusLoadsTheRulesAndSendsToAlertmanager(t *testing.T) {
	var doc struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, filepath.Join("prometheus", "prometheus.yml"), &doc)
	assert.Equal(t, []string{"alerts.yml"}, doc.RuleFiles)
	require.NotEmpty(t, doc.Alerting.Alertmanagers)
	require.NotEmpty(t, doc.Alerting.Alertmanagers[0].StaticConfigs)
	assert.NotEmpty(t, doc.Alerting.Alertmanagers[0].StaticConfigs[0].Targets)
	var jobs []string
	for _, sc := range doc.ScrapeConfigs {
		jobs = append(jobs, sc.JobName)
	}
	assert.Contains(t, jobs, "mimo", "the alerts select job=\"mimo\"")
}

func TestAlertmanagerInhibitsTheRestWhileMimoIsDown(t *testing.T) {
	var doc struct {
		InhibitRules []struct {
			SourceMatchers []string `yaml:"source_matchers"`
			TargetMatchers []string `yaml:"target_matchers"`
			Equal          []string `yaml:"equal"`
		} `yaml:"inhibit_rules"`
	}
	readYAML(t, filepath.Join("alertmanager", "alertmanager.yml"), &doc)
	require.Len(t, doc.InhibitRules, 1)
	r := doc.InhibitRules[0]
	assert.Equal(t, []string{`alertname="MimoDown"`}, r.SourceMatchers)
	assert.Equal(t, []string{`alertname=~"Mimo.+"`, `alertname!="MimoDown"`}, r.TargetMatchers)
	assert.Equal(t, []string{"job", "instance"}, r.Equal, "only the instance that is down")
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
