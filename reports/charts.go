package reports

import (
	"html/template"
	"math"
	"sort"
	"strings"
	"time"

	"mimo/harness/record"
)

// Chart is one drawn figure of a record.
type Chart struct {
	Title   string
	Caption string
	// Legend names the colours, when the chart has no legend of its own.
	Legend []Swatch
	SVG    template.HTML
}

// Swatch is a colour and what it means.
type Swatch struct{ Colour, Name string }

var breakerLegend = []Swatch{{stateColour(0), "closed"}, {stateColour(1), "half-open"}, {stateColour(2), "open"}}

// maxLines bounds the lines of one chart: more is a tangle on a phone.
const maxLines = 6

// Charts draws what a record's series and figures show, by the record
// format's conventions (harness/record's README): breaker timelines as
// state bands, latency distributions as bars, alert times as grouped
// bars, dashboard panels as the lines Grafana would draw, errors and
// other labelled observations as events, and numbers over time as
// lines.
func Charts(r record.Result) []Chart {
	var out []Chart
	names := sortedKeys(r.Series)
	t0, t1 := seriesSpan(r, func(n string) bool { return !strings.HasPrefix(n, "panel ") && n != "latency_histogram" })

	// Breakers, and other few-valued labelled series, as bands.
	var breakers, states []band
	var latencies, percentiles []line
	for _, n := range names {
		pts := r.Series[n]
		switch {
		case strings.HasPrefix(n, "breaker_"):
			breakers = append(breakers, toBand(strings.TrimPrefix(n, "breaker_"), pts, t0))
		case n == "latency_histogram", n == "actions", n == "expectations", strings.HasPrefix(n, "panel "):
		case isPercentile(n):
			percentiles = append(percentiles, toLine(strings.TrimPrefix(n, "latency_"), pts, t0, false))
		case strings.Contains(n, "latency"):
			l := toLine(n, pts, t0, false)
			l.Dots = true
			latencies = append(latencies, l)
		case isEvents(pts):
		case isState(pts):
			states = append(states, toBand(n, pts, t0))
		}
	}
	span := t1.Sub(t0).Seconds()
	if len(breakers) > 0 {
		out = append(out, Chart{Title: "Circuit breaker states", Caption: "mimo_circuit_breaker_state as watched every 100 ms.", Legend: breakerLegend,
			SVG: stateChart("circuit breaker states", breakers, span)})
	}
	if len(states) > 0 {
		out = append(out, Chart{Title: "States over time", Caption: "Each labelled state from when it was seen until the next.", Legend: []Swatch{{stateColour(0), "well"}, {stateColour(1), "other"}, {stateColour(2), "down or failing"}},
			SVG: stateChart("states over time", states, span)})
	}
	if len(latencies) > 0 {
		out = append(out, Chart{Title: "Latency of timed calls", Caption: "Each call's latency at the time it was made, a dot per call.",
			SVG: lineChart("latency of timed calls", "ms", capLines(latencies), span)})
	}
	if len(percentiles) > 0 {
		out = append(out, Chart{Title: "Latency percentiles over time", Caption: "p50, p95 and p99 of the requests of each 5-second window, in ms.",
			SVG: lineChart("latency percentiles over time", "ms", percentiles, span)})
	}
	if pts, ok := r.Series["latency_histogram"]; ok && len(pts) > 0 {
		var bars []bar
		for _, p := range pts {
			bars = append(bars, bar{Label: p.Label, Values: []float64{p.V}})
		}
		out = append(out, Chart{Title: "Latency distribution", Caption: "Requests per latency bucket over the whole run.",
			SVG: barChart("latency distribution", "count", bars, nil)})
	}
	if c, ok := percentileChart(r); ok {
		out = append(out, c)
	}
	for _, n := range names {
		pts := r.Series[n]
		if strings.HasPrefix(n, "breaker_") || strings.HasPrefix(n, "panel ") || strings.Contains(n, "latency") ||
			n == "actions" || n == "expectations" || (isState(pts) && !isEvents(pts)) {
			continue
		}
		if isEvents(pts) {
			out = append(out, Chart{Title: "Events: " + n, Caption: "One tick per observation, a row per label.",
				SVG: eventChart(n, toEvents(pts, t0), span)})
			continue
		}
		unit := seriesUnit(n)
		l := toLine(n, pts, t0, n == "spool_pending")
		out = append(out, Chart{Title: n, Caption: "Sampled during the scenario.", SVG: lineChart(n, unit, []line{l}, span)})
	}
	if c, ok := alertChart(r); ok {
		out = append(out, c)
	}
	out = append(out, panelCharts(r)...)
	return out
}

// isPercentile reports whether a series is a latency percentile over time
// (latency_p50, latency_p95, latency_p99), as the load gates record them.
func isPercentile(name string) bool {
	rest, ok := strings.CutPrefix(name, "latency_p")
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// seriesSpan is the first and last time of the series keep selects.
func seriesSpan(r record.Result, keep func(string) bool) (time.Time, time.Time) {
	var t0, t1 time.Time
	for n, pts := range r.Series {
		if !keep(n) {
			continue
		}
		for _, p := range pts {
			if t0.IsZero() || p.T.Before(t0) {
				t0 = p.T
			}
			if p.T.After(t1) {
				t1 = p.T
			}
		}
	}
	return t0, t1
}

// isState reports whether a series reads as a few named states: every
// point labelled, whole values, and few points.
func isState(pts []record.Point) bool {
	if len(pts) == 0 || len(pts) > 16 {
		return false
	}
	labels := map[string]bool{}
	for _, p := range pts {
		if p.Label == "" || p.V != math.Trunc(p.V) {
			return false
		}
		labels[p.Label] = true
	}
	// A label per point, over more than a few points, names each
	// observation (a question asked), not a state the series was in.
	return len(labels) < len(pts) || len(pts) <= 3
}

// isEvents reports whether a series is one point per event: labelled
// points of value 1, as an error timeline has them.
func isEvents(pts []record.Point) bool {
	labels := map[string]bool{}
	for _, p := range pts {
		if p.Label == "" || p.V != 1 {
			return false
		}
		labels[p.Label] = true
	}
	return len(pts) > 0 && len(labels) <= maxEventRows
}

// maxEventRows bounds the rows of an event chart; a series with more
// labels is drawn as its values over time.
const maxEventRows = 8

func toBand(name string, pts []record.Point, t0 time.Time) band {
	b := band{Name: name}
	for _, p := range pts {
		b.Points = append(b.Points, xyLabel{X: p.T.Sub(t0).Seconds(), V: stateValue(name, p), Label: p.Label})
	}
	return b
}

// stateValue maps a state to the colour scale of breakers (0 well, 1
// between, 2 broken) by its name for series other than breakers.
func stateValue(series string, p record.Point) float64 {
	if !strings.Contains(series, "breaker") {
		l := strings.ToLower(p.Label)
		switch {
		case strings.Contains(l, "down") || strings.Contains(l, "fail") || strings.Contains(l, "open"):
			return 2
		case strings.Contains(l, "up") || strings.Contains(l, "ok") || strings.Contains(l, "synthesised") || strings.Contains(l, "closed"):
			return 0
		default:
			return 1
		}
	}
	return p.V
}

func toLine(name string, pts []record.Point, t0 time.Time, step bool) line {
	l := line{Name: name, Step: step}
	for _, p := range pts {
		l.Pts = append(l.Pts, xy{X: p.T.Sub(t0).Seconds(), Y: p.V})
	}
	sort.SliceStable(l.Pts, func(i, j int) bool { return l.Pts[i].X < l.Pts[j].X })
	return l
}

func toEvents(pts []record.Point, t0 time.Time) []eventRow {
	idx := map[string]int{}
	var rows []eventRow
	for _, p := range pts {
		i, ok := idx[p.Label]
		if !ok {
			i = len(rows)
			idx[p.Label] = i
			rows = append(rows, eventRow{Label: p.Label})
		}
		rows[i].Xs = append(rows[i].Xs, p.T.Sub(t0).Seconds())
	}
	return rows
}

func capLines(ls []line) []line {
	if len(ls) > maxLines {
		return ls[:maxLines]
	}
	return ls
}

// seriesUnit guesses a series' unit from its name, as records name them.
func seriesUnit(name string) string {
	switch {
	case strings.Contains(name, "bytes") || strings.HasPrefix(name, "rss"):
		return "bytes"
	case strings.Contains(name, "latency") || strings.HasSuffix(name, "_ms"):
		return "ms"
	}
	return ""
}

// percentileChart draws a load gate's latency percentiles (the summary
// export's med, p90, p95, p99, max) against the seed's thresholds.
func percentileChart(r record.Result) (Chart, bool) {
	var bars []bar
	for _, s := range []struct{ name, label string }{
		{"http_req_duration_med", "median"}, {"http_req_duration_p90", "p90"}, {"http_req_duration_p95", "p95 (gate 500 ms)"},
		{"http_req_duration_p99", "p99 (gate 1000 ms)"}, {"http_req_duration_max", "max"},
	} {
		if m, ok := r.Measurements[s.name]; ok {
			bars = append(bars, bar{Label: s.label, Values: []float64{m.Value}})
		}
	}
	if len(bars) == 0 {
		return Chart{}, false
	}
	return Chart{Title: "Latency percentiles", Caption: "http_req_duration over the run, as the runner's summary export gives it.",
		SVG: barChart("latency percentiles", "ms", bars, nil)}, true
}

// alertChart draws, for each alert a monitoring scenario waited for, how
// long it took to fire after its condition began and to resolve after it
// ended (<alert>_time_to_fire, <alert>_time_to_resolve, in s).
func alertChart(r record.Result) (Chart, bool) {
	var bars []bar
	for _, n := range sortedKeys(r.Measurements) {
		alert, ok := strings.CutSuffix(n, "_time_to_fire")
		if !ok {
			continue
		}
		b := bar{Label: alert, Values: []float64{r.Measurements[n].Value, 0}}
		if m, ok := r.Measurements[alert+"_time_to_resolve"]; ok {
			b.Values[1] = m.Value
		}
		bars = append(bars, b)
	}
	if len(bars) == 0 {
		return Chart{}, false
	}
	return Chart{Title: "Alerts: time to fire and to resolve", Caption: "Seconds from the condition's start to the alert firing at Alertmanager's receiver, and from its end to the resolution.",
		SVG: barChart("alert times", "s", bars, []string{"to fire", "to resolve"})}, true
}

// panelCharts re-draws the Grafana dashboard's panels from the
// Prometheus range queries the monitoring scenario recorded: a series
// "panel <title> <refID>" per query, a line per Prometheus series
// (the point's label), the largest lines first.
func panelCharts(r record.Result) []Chart {
	var out []Chart
	for _, n := range sortedKeys(r.Series) {
		title, ok := strings.CutPrefix(n, "panel ")
		if !ok {
			continue
		}
		pts := r.Series[n]
		t0, t1 := seriesSpan(r, func(s string) bool { return s == n })
		byLabel := map[string]*line{}
		var lines []*line
		for _, p := range pts {
			l, ok := byLabel[p.Label]
			if !ok {
				l = &line{Name: shortLabels(p.Label)}
				byLabel[p.Label] = l
				lines = append(lines, l)
			}
			l.Pts = append(l.Pts, xy{X: p.T.Sub(t0).Seconds(), Y: p.V})
		}
		sort.SliceStable(lines, func(i, j int) bool { return peak(lines[i]) > peak(lines[j]) })
		var ls []line
		for _, l := range lines {
			ls = append(ls, *l)
		}
		caption := "Re-drawn from the Prometheus range query the scenario recorded."
		if len(ls) > maxLines {
			caption += " The " + trimFloat(float64(maxLines)) + " highest of " + trimFloat(float64(len(ls))) + " series."
		}
		if i := strings.LastIndexByte(title, ' '); i > 0 {
			title = title[:i] + " (" + title[i+1:] + ")" // the query's refID
		}
		out = append(out, Chart{Title: "Panel: " + title, Caption: caption,
			SVG: lineChart(title, panelUnit(title), capLines(ls), t1.Sub(t0).Seconds())})
	}
	return out
}

func peak(l *line) float64 {
	m := math.Inf(-1)
	for _, p := range l.Pts {
		m = math.Max(m, p.Y)
	}
	return m
}

// shortLabels drops the labels every Mimo series has from a Prometheus
// label set, so a legend names what differs.
func shortLabels(s string) string {
	s = strings.Trim(s, "{}")
	var keep []string
	for _, kv := range strings.Split(s, ", ") {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "instance", "job", "":
			continue
		}
		keep = append(keep, kv)
	}
	if len(keep) == 0 {
		return "value"
	}
	return strings.Join(keep, ", ")
}

func panelUnit(title string) string {
	t := strings.ToLower(title)
	switch {
	case strings.Contains(t, "memory") && !strings.Contains(t, "memories"):
		return "bytes"
	case strings.Contains(t, "ratio") || strings.Contains(t, "rate") && strings.Contains(t, "hit"):
		return "ratio"
	}
	return ""
}
