package load

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
)

// ExportState is what --summary-export records about the terminal and the run's length.
type ExportState struct {
	IsStdOutTTY bool
	IsStdErrTTY bool
}

// WriteSummaryExport writes the run's summary as k6's --summary-export JSON: root_group
// (groups and checks keyed by name, each with k6's id, the MD5 of its path), options,
// state, and metrics — counters {count, rate}, gauges {value, min, max}, rates {passes,
// fails, value}, trends their summaryTrendStats — each with "thresholds" mapping the
// threshold's source to true when it was crossed (k6's convention).
func WriteSummaryExport(w io.Writer, res *Result, st ExportState, so SummaryOptions) error {
	metrics := map[string]map[string]any{}
	stats := res.Options.trendStats()
	add := func(name string, m *Metric, v valuer) {
		get := func(agg string) float64 { x, _ := v.Value(agg, res.Duration); return x }
		out := map[string]any{}
		switch m.Type {
		case Counter:
			out["count"], out["rate"] = get("count"), get("rate")
		case Gauge:
			out["value"], out["min"], out["max"] = get("value"), get("min"), get("max")
		case Rate:
			out["passes"], out["fails"], out["value"] = get("passes"), get("fails"), get("rate")
		case Trend:
			for _, s := range stats {
				out[s] = get(s)
			}
		}
		metrics[name] = out
	}
	for _, m := range res.Registry.Metrics() {
		if m.Observed() {
			add(m.Name, m, m)
		}
		for _, sub := range m.Submetrics() {
			if sub.observed() {
				add(sub.Name, m, sub)
			}
		}
	}
	for _, mt := range res.Thresholds.Metrics {
		out, ok := metrics[mt.Name]
		if !ok {
			out = map[string]any{}
			metrics[mt.Name] = out
		}
		th := map[string]bool{}
		for _, t := range mt.List {
			th[t.Source] = t.Crossed()
		}
		out["thresholds"] = th
	}
	doc := map[string]any{
		"root_group": exportGroup(res.Checks),
		"options": map[string]any{
			"summaryTrendStats": stats,
			"summaryTimeUnit":   "",
			"noColor":           so.NoColor,
		},
		"state": map[string]any{
			"isStdOutTTY":       st.IsStdOutTTY,
			"isStdErrTTY":       st.IsStdErrTTY,
			"testRunDurationMs": ms(res.Duration),
		},
		"metrics": metrics,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func pathID(path string) string {
	sum := md5.Sum([]byte(path))
	return hex.EncodeToString(sum[:])
}

func exportGroup(g *Group) map[string]any {
	groups := map[string]any{}
	for _, sub := range g.Groups {
		groups[sub.Name] = exportGroup(sub)
	}
	checks := map[string]any{}
	for _, c := range g.Checks {
		checks[c.Name] = map[string]any{
			"name": c.Name, "path": c.Path, "id": pathID(c.Path), "passes": c.Passes, "fails": c.Fails,
		}
	}
	return map[string]any{"name": g.Name, "path": g.Path, "id": pathID(g.Path), "groups": groups, "checks": checks}
}
