// Package grafana builds Mimo's Grafana dashboard with the Grafana
// Foundation SDK. The JSON it makes is committed as dashboards/mimo.json,
// which Grafana's provisioning (provisioning/) loads; a test fails when
// that file is not what Dashboard builds, and `make dashboards` writes it
// again. Every query selects job="mimo", as dashboards/prometheus's scrape
// config names it, and the instances chosen in the dashboard's variable.
package grafana

//lint:file-ignore SA1019 The SDK marks the classic dashboard model deprecated in favour of its v2 schema, which only Grafana 12's new dashboard API reads; file provisioning in every Grafana since 5 reads the classic model.

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// UID is the dashboard's uid, stable so that links to it keep working.
const UID = "mimo"

// sel selects Mimo's series of the chosen instances.
const sel = `job="mimo", instance=~"$instance"`

// datasource is the dashboard's Prometheus, chosen in its variable.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// panelBuilder is what every panel kind's builder has in common here.
type panelBuilder interface {
	cog.Builder[dashboard.Panel]
}

// layout places panels two to a row of the 24-column grid.
type layout struct{ x, y uint32 }

const panelW, panelH = 12, 8

func (l *layout) next() dashboard.GridPos {
	p := dashboard.GridPos{X: l.x, Y: l.y, W: panelW, H: panelH}
	l.x += panelW
	if l.x >= 24 {
		l.x, l.y = 0, l.y+panelH
	}
	return p
}

// row starts a new row of the grid, after any half-filled one.
func (l *layout) row() dashboard.GridPos {
	if l.x != 0 {
		l.x, l.y = 0, l.y+panelH
	}
	p := dashboard.GridPos{X: 0, Y: l.y, W: 24, H: 1}
	l.y++
	return p
}

func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend).Datasource(datasource)
}

// refIDs names a panel's queries A, B, C, … as Grafana's editor would.
func refIDs(targets []cog.Builder[variants.Dataquery]) []cog.Builder[variants.Dataquery] {
	for i, t := range targets {
		if q, ok := t.(*prometheus.DataqueryBuilder); ok {
			q.RefId(string(rune('A' + i)))
		}
	}
	return targets
}

// legend is shown under a panel, a line per series.
func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().ShowLegend(true).
		DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)
}

// quantiles are p50, p95 and p99 of histogram over all its series.
func quantiles(histogram string) []cog.Builder[variants.Dataquery] {
	var out []cog.Builder[variants.Dataquery]
	for _, q := range []struct{ phi, name string }{{"0.5", "p50"}, {"0.95", "p95"}, {"0.99", "p99"}} {
		out = append(out, query(
			fmt.Sprintf(`histogram_quantile(%s, sum by (le) (rate(%s[$__rate_interval])))`, q.phi, histogram),
			q.name))
	}
	return out
}

func timeSeries(title, unit, description string, targets ...cog.Builder[variants.Dataquery]) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Title(title).Description(description).Unit(unit).
		Datasource(datasource).Targets(refIDs(targets)).FillOpacity(10).Legend(legend())
}

// Dashboard builds the dashboard.
func Dashboard() (dashboard.Dashboard, error) {
	var l layout
	circuitStates := dashboard.ValueMapping{ValueMap: &dashboard.ValueMap{
		Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": {Text: cog.ToPtr("closed"), Color: cog.ToPtr("green"), Index: cog.ToPtr[int32](0)},
			"1": {Text: cog.ToPtr("half-open"), Color: cog.ToPtr("yellow"), Index: cog.ToPtr[int32](1)},
			"2": {Text: cog.ToPtr("open"), Color: cog.ToPtr("red"), Index: cog.ToPtr[int32](2)},
		},
	}}
	api := fmt.Sprintf(`mimo_http_request_duration_seconds_bucket{%s, route=~"/api/.*"}`, sel)

	b := dashboard.NewDashboardBuilder("Mimo").
		Uid(UID).
		Description("Mimo's requests, latency, circuits, fallbacks, caches and resources, from Prometheus (job mimo).").
		Tags([]string{"mimo"}).
		Refresh("30s").
		Time("now-1h", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Prometheus").Type("prometheus")).
		WithVariable(dashboard.NewQueryVariableBuilder("instance").Label("Instance").
			Datasource(datasource).
			Query(dashboard.StringOrMap{String: cog.ToPtr(`label_values(up{job="mimo"}, instance)`)}).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Multi(true).IncludeAll(true).AllValue(".*"))

	panels := []struct {
		row    string
		panels []panelBuilder
	}{
		{"Traffic", []panelBuilder{
			timeSeries("Request rate", "reqps", "HTTP requests served per second, by route.",
				query(fmt.Sprintf(`sum by (route) (rate(mimo_http_requests_total{%s}[$__rate_interval]))`, sel), "{{route}}")),
			timeSeries("REST API latency", "s", "Quantiles of the time to serve /api/* requests. MimoHighLatency fires when p95 stays over 500 ms.",
				quantiles(api)...),
			timeSeries("Server error ratio", "percentunit", "Share of requests answered with a 5xx status. MimoHighErrorRate fires over 5%.",
				query(fmt.Sprintf(`sum(rate(mimo_http_requests_total{%s, code=~"5.."}[$__rate_interval])) / sum(rate(mimo_http_requests_total{%s}[$__rate_interval]))`, sel, sel), "5xx")),
			timeSeries("Ask and search latency", "s", "p95 of /api/ask requests, and of the hybrid search inside every search and ask.",
				query(fmt.Sprintf(`histogram_quantile(0.95, sum by (le) (rate(mimo_http_request_duration_seconds_bucket{%s, route="/api/ask"}[$__rate_interval])))`, sel), "ask p95"),
				query(fmt.Sprintf(`histogram_quantile(0.95, sum by (le) (rate(mimo_search_duration_seconds_bucket{%s}[$__rate_interval])))`, sel), "search p95")),
		}},
		{"Resilience", []panelBuilder{
			statetimeline.NewPanelBuilder().Title("Circuit states").
				Description("Each dependency's circuit breaker: closed, half-open (probing) or open (not called). MimoCircuitBreakerOpen fires on one that keeps opening.").
				Datasource(datasource).Mappings([]dashboard.ValueMapping{circuitStates}).Legend(legend()).
				WithTarget(query(fmt.Sprintf(`max by (service) (mimo_circuit_breaker_state{%s})`, sel), "{{service}}").RefId("A")),
			timeSeries("Fallbacks by service and reason", "ops", "Degraded paths taken per second. MimoFallbackRateHigh fires over 0.1/s on a failure's path.",
				query(fmt.Sprintf(`sum by (service, reason) (rate(mimo_fallback_triggered_total{%s}[$__rate_interval]))`, sel), "{{service}} {{reason}}")),
			timeSeries("Spool depth", "short", "Writes acknowledged as queued and waiting for the database. MimoSpoolBacklog fires when any wait 5 minutes.",
				query(fmt.Sprintf(`sum by (instance) (mimo_spool_pending{%s})`, sel), "{{instance}}")),
			timeSeries("Classifier cache hit ratio", "percentunit", "Share of questions whose route came from the router's cache.",
				query(fmt.Sprintf(`sum(rate(mimo_cache_classifier_hits_total{%s}[$__rate_interval])) / (sum(rate(mimo_cache_classifier_hits_total{%s}[$__rate_interval])) + sum(rate(mimo_cache_classifier_misses_total{%s}[$__rate_interval])))`, sel, sel, sel), "hit ratio")),
		}},
		{"Providers and resources", []panelBuilder{
			timeSeries("Provider latency", "s", "p95 of each embedding and language-model call, by provider.",
				query(fmt.Sprintf(`histogram_quantile(0.95, sum by (provider, le) (rate(mimo_embedding_duration_seconds_bucket{%s}[$__rate_interval])))`, sel), "embedding {{provider}} p95"),
				query(fmt.Sprintf(`histogram_quantile(0.95, sum by (provider, le) (rate(mimo_llm_duration_seconds_bucket{%s}[$__rate_interval])))`, sel), "llm {{provider}} p95")),
			stat.NewPanelBuilder().Title("Memories").Description("Memories stored, across namespaces (replicas on one database report the same count).").
				Datasource(datasource).Unit("short").
				WithTarget(query(fmt.Sprintf(`max(mimo_memories{%s})`, sel), "memories").RefId("A")),
			timeSeries("Resident memory", "bytes", "Resident memory of each Mimo process. MimoMemoryHigh fires over 1 GiB.",
				query(fmt.Sprintf(`process_resident_memory_bytes{%s}`, sel), "{{instance}}")),
			timeSeries("Goroutines", "short", "Goroutines of each Mimo process; a steady climb under steady load is a leak.",
				query(fmt.Sprintf(`go_goroutines{%s}`, sel), "{{instance}}")),
		}},
	}
	// Grafana keys a panel's state by its id: rows and panels are
	// numbered from 1 in order.
	var id uint32
	for _, r := range panels {
		id++
		b.WithRow(dashboard.NewRowBuilder(r.row).Id(id).GridPos(l.row()))
		for _, p := range r.panels {
			id++
			b.WithPanel(place(p, id, l.next()))
		}
	}
	return b.Build()
}

// place gives p its id and its place on the grid.
func place(p panelBuilder, id uint32, pos dashboard.GridPos) cog.Builder[dashboard.Panel] {
	switch p := p.(type) {
	case *timeseries.PanelBuilder:
		return p.Id(id).GridPos(pos)
	case *stat.PanelBuilder:
		return p.Id(id).GridPos(pos)
	case *statetimeline.PanelBuilder:
		return p.Id(id).GridPos(pos)
	}
	panic(fmt.Sprintf("grafana: no grid position for %T", p))
}

// JSON is the dashboard as Grafana's provisioning reads it: indented, with a
// final newline, as dashboards/mimo.json is committed.
func JSON() ([]byte, error) {
	d, err := Dashboard()
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
