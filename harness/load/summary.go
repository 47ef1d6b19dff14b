package load

import (
	"fmt"
	"io"
	"strings"
)

// SummaryOptions say how the end-of-test summary is printed.
type SummaryOptions struct {
	NoColor bool
}

// WriteSummary prints the end-of-test summary laid out as k6's compact summary:
// thresholds first, then total results (checks, then metrics by category: HTTP,
// EXECUTION, NETWORK, CUSTOM). Only metrics that received samples are shown.
func WriteSummary(w io.Writer, res *Result, so SummaryOptions) error {
	p := &printer{w: w, color: !so.NoColor}
	if len(res.Thresholds.Metrics) > 0 {
		p.line("")
		p.line("  █ THRESHOLDS ")
		for _, mt := range res.Thresholds.Metrics {
			m := thresholdMetric(res.Registry, mt.Name)
			p.line("")
			p.line("    " + mt.Name)
			for _, t := range mt.List {
				mark := p.green("✓")
				if t.Crossed() {
					mark = p.red("✗")
				}
				p.line(fmt.Sprintf("    %s '%s' %s=%s", mark, t.Source, t.Aggregate(), fmtValue(m, t.Aggregate(), t.Last())))
			}
		}
		p.line("")
	}
	p.line("")
	p.line("  █ TOTAL RESULTS ")
	p.checks(res)
	cats := map[string][]*Metric{}
	for _, m := range res.Registry.Metrics() {
		if m.Observed() {
			if c := category(m.Name); c != "" {
				cats[c] = append(cats[c], m)
			}
		}
	}
	stats := res.Options.trendStats()
	for _, c := range []string{"HTTP", "EXECUTION", "NETWORK", "CUSTOM"} {
		if len(cats[c]) == 0 {
			continue
		}
		p.line("")
		p.line("    " + c)
		for _, m := range cats[c] {
			p.metric("    ", m.Name, m, m, stats, res)
			for _, sub := range m.Submetrics() {
				if sub.observed() && (m.Name == "http_req_duration" || !isBuiltin(m.Name)) {
					p.metric("      ", "{ "+strings.TrimSuffix(sub.Name[len(m.Name)+1:], "}")+" }", m, sub, stats, res)
				}
			}
		}
	}
	p.line("")
	p.line("")
	return p.err
}

// thresholdMetric is the metric a thresholds key names (the parent of a sub-metric).
func thresholdMetric(reg *Registry, name string) *Metric {
	if i := strings.IndexByte(name, '{'); i >= 0 {
		name = strings.TrimSpace(name[:i])
	}
	if m := reg.Get(name); m != nil {
		return m
	}
	return &Metric{Name: name}
}

// category is the compact summary's heading for a metric; "" hides it (k6 shows the
// detailed HTTP timings and group_duration only in its full summary).
func category(name string) string {
	switch name {
	case "http_reqs", "http_req_duration", "http_req_failed":
		return "HTTP"
	case "iterations", "iteration_duration", "vus", "vus_max", "dropped_iterations":
		return "EXECUTION"
	case "data_sent", "data_received":
		return "NETWORK"
	case "checks", "group_duration":
		return ""
	}
	if strings.HasPrefix(name, "http_req_") {
		return ""
	}
	return "CUSTOM"
}

func isBuiltin(name string) bool {
	for _, b := range builtinMetrics {
		if b.name == name {
			return true
		}
	}
	return false
}

type printer struct {
	w     io.Writer
	color bool
	err   error
}

func (p *printer) line(s string) {
	if p.err == nil {
		_, p.err = fmt.Fprintln(p.w, s)
	}
}

func (p *printer) green(s string) string { return p.paint("32", s) }
func (p *printer) red(s string) string   { return p.paint("31", s) }
func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

const nameWidth = 35

func dotted(indent, name string) string {
	pad := nameWidth - len([]rune(indent+name))
	if pad < 3 {
		pad = 3
	}
	return indent + name + strings.Repeat(".", pad) + ":"
}

// checks prints checks_total, checks_succeeded, checks_failed and every check by group.
func (p *printer) checks(res *Result) {
	m := res.Registry.Get("checks")
	if m == nil || !m.Observed() {
		return
	}
	passes, _ := m.Value("passes", res.Duration)
	fails, _ := m.Value("fails", res.Duration)
	total := passes + fails
	rate := func(n float64) string { return fmtPercent(n / total) }
	p.line("")
	p.line(fmt.Sprintf("%s %-7s %s/s", dotted("    ", "checks_total"), fmtNumber(total), fmtNumber(total/res.Duration.Seconds())))
	p.line(fmt.Sprintf("%s %-7s %s out of %s", dotted("    ", "checks_succeeded"), rate(passes), fmtNumber(passes), fmtNumber(total)))
	p.line(fmt.Sprintf("%s %-7s %s out of %s", dotted("    ", "checks_failed"), rate(fails), fmtNumber(fails), fmtNumber(total)))
	p.group(res.Checks, "    ")
}

func (p *printer) group(g *Group, indent string) {
	if len(g.Checks) > 0 {
		p.line("")
	}
	for _, c := range g.Checks {
		if c.Fails == 0 {
			p.line(indent + p.green("✓ "+c.Name))
			continue
		}
		p.line(indent + p.red("✗ "+c.Name))
		pct := 100 * float64(c.Passes) / float64(c.Passes+c.Fails)
		p.line(fmt.Sprintf("%s  ↳  %.0f%% — ✓ %d / ✗ %d", indent, pct, c.Passes, c.Fails))
	}
	for _, sub := range g.Groups {
		p.line("")
		p.line(indent + "█ " + sub.Name)
		p.group(sub, indent+"  ")
	}
}

// metric prints one metric line: trends as their summary stats, counters as count and
// rate, rates as a percentage with counts, gauges as value, min and max.
func (p *printer) metric(indent, label string, m *Metric, v valuer, stats []string, res *Result) {
	var vals []string
	get := func(agg string) float64 { x, _ := v.Value(agg, res.Duration); return x }
	switch m.Type {
	case Trend:
		for _, s := range stats {
			vals = append(vals, s+"="+fmtValue(m, s, get(s)))
		}
	case Counter:
		vals = []string{fmt.Sprintf("%-7s", fmtValue(m, "count", get("count"))), fmtValue(m, "rate", get("rate"))}
	case Rate:
		vals = []string{fmt.Sprintf("%-7s", fmtPercent(get("rate"))),
			fmt.Sprintf("%s out of %s", fmtNumber(get("passes")), fmtNumber(get("passes")+get("fails")))}
	case Gauge:
		vals = []string{fmt.Sprintf("%-7s", fmtValue(m, "value", get("value"))),
			"min=" + fmtValue(m, "min", get("min")), "max=" + fmtValue(m, "max", get("max"))}
	}
	p.line(dotted(indent, label) + " " + strings.Join(vals, " "))
}
