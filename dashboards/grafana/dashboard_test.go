package grafana_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/dashboards/grafana"
)

// committed is the dashboard Grafana's provisioning loads.
var committed = filepath.Join("dashboards", "mimo.json")

func TestTheCommittedDashboardIsTheGeneratedOne(t *testing.T) {
	want, err := grafana.JSON()
	require.NoError(t, err)
	got, err := os.ReadFile(committed)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "%s is stale: run make dashboards", committed)
}

// TestTheDashboardHasThePanelsTheIssueLists reads the JSON Grafana gets:
// every panel has a title and at least one query, on the dashboard's
// Prometheus variable, and the panels a team needs are all there.
func TestTheDashboardHasThePanelsTheIssueLists(t *testing.T) {
	b, err := grafana.JSON()
	require.NoError(t, err)
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &d))
	assert.Equal(t, grafana.UID, d.UID)
	var titles []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		titles = append(titles, p.Title)
		assert.Equal(t, "${datasource}", p.Datasource.UID, p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		for _, q := range p.Targets {
			assert.NotEmpty(t, q.Expr, p.Title)
		}
	}
	assert.ElementsMatch(t, []string{
		"Request rate", "REST API latency", "Server error ratio", "Ask and search latency",
		"Circuit states", "Fallbacks by service and reason", "Spool depth", "Classifier cache hit ratio",
		"Provider latency", "Memories", "Resident memory", "Goroutines",
	}, titles)
}

// TestQueriesAreThoseOfTheJSON checks Queries against the JSON Grafana
// gets: the same expressions, panel by panel, and the instance variable's
// series.
func TestQueriesAreThoseOfTheJSON(t *testing.T) {
	b, err := grafana.JSON()
	require.NoError(t, err)
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &d))
	var want []grafana.Query
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			want = append(want, grafana.Query{Panel: p.Title, RefID: q.RefID, Expr: q.Expr})
		}
	}
	want = append(want, grafana.Query{Panel: "variable instance", Expr: `up{job="mimo"}`})
	got, err := grafana.Queries()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}
