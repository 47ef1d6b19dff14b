package reports

import (
	"fmt"
	"strings"

	"mimo/harness/record"
)

// Criterion is one row of the seed's success table: what it asks
// (Target, in the seed's words), whether its failure blocks production
// (Blocking, as the seed marks it), and where the suite measures it.
type Criterion struct {
	Key      string
	Title    string
	Target   string
	Blocking bool
	// Packages are the scenario packages whose records decide the row;
	// Integration tests also takes every package no row names.
	Packages []string
	// figure sums up the row's records in one line; measured is false
	// when a figure the row needs is in no record (a gate that did not
	// run), and fail is a reason the figure itself fails the row.
	figure func(rs []record.Result) (figure string, measured bool, fail string)
}

// The seed's success table ("SUCCESS CRITERIA" of the upstream project's
// production validation plan), in its order, with its "Blocks Prod?"
// column. Coverage is read from the coverage summary, not a scenario.
var criteria = []Criterion{
	{Key: "integration", Title: "Integration tests", Target: "0 failures in the integration tests", Blocking: true,
		Packages: []string{"scenarios/pipeline", "scenarios/modules", "scenarios/evidence"}, figure: passedFigure},
	{Key: "coverage", Title: "Coverage", Target: "accurate coverage figure documented (CI enforces the floor on system/)", Blocking: false},
	{Key: "telemetry", Title: "Cache telemetry", Target: "classifier-cache events appear in metrics", Blocking: false,
		Packages: []string{"scenarios/telemetry"}, figure: telemetryFigure},
	{Key: "breakers", Title: "Circuit breakers under load", Target: "all state transitions work", Blocking: true,
		Packages: []string{"scenarios/breakers"}, figure: breakerFigure},
	{Key: "degradation", Title: "Graceful degradation", Target: "fallbacks return valid data; no acknowledged write lost", Blocking: true,
		Packages: []string{"scenarios/degradation", "scenarios/durability"}, figure: degradationFigure},
	{Key: "monitoring", Title: "Monitoring", Target: "dashboards show live metrics; alerts fire and reach the receiver", Blocking: false,
		Packages: []string{"scenarios/monitoring"}, figure: monitoringFigure},
	{Key: "load", Title: "Load tests", Target: "p95 < 500 ms, errors < 1%", Blocking: true,
		Packages: []string{"scenarios/load"}, figure: loadFigure},
	{Key: "rollback", Title: "Rollback", Target: "procedure documented and drilled", Blocking: false,
		Packages: []string{"scenarios/rollback"}, figure: rollbackFigure},
}

// Criteria returns the seed's success table as the report judges it.
func Criteria() []Criterion { return append([]Criterion(nil), criteria...) }

// criterionOf is the row a scenario package counts under.
func criterionOf(pkg string) string {
	for _, c := range criteria {
		for _, p := range c.Packages {
			if p == pkg {
				return c.Key
			}
		}
	}
	return "integration"
}

func passedFigure(rs []record.Result) (string, bool, string) {
	pass := 0
	for _, r := range rs {
		if r.Verdict == record.Pass {
			pass++
		}
	}
	return fmt.Sprintf("%d of %d scenarios passed", pass, len(rs)), true, ""
}

func telemetryFigure(rs []record.Result) (string, bool, string) {
	hits, okH := find(rs, "classifier_hits")
	misses, okM := find(rs, "classifier_misses")
	if !okH || !okM {
		return "", false, ""
	}
	f := fmt.Sprintf("%g hits, %g misses counted", hits.Value, misses.Value)
	if rate, ok := find(rs, "classifier_hit_rate"); ok {
		f += fmt.Sprintf(" (hit rate %.0f%%)", rate.Value*100)
	}
	return f, true, ""
}

func breakerFigure(rs []record.Result) (string, bool, string) {
	circuits := map[string]bool{}
	transitions := 0
	for _, r := range rs {
		for name, pts := range r.Series {
			if !strings.HasPrefix(name, "breaker_") {
				continue
			}
			circuits[strings.TrimPrefix(name, "breaker_")] = true
			for i := 1; i < len(pts); i++ {
				if pts[i].V != pts[i-1].V {
					transitions++
				}
			}
		}
	}
	p, _, _ := passedFigure(rs)
	if len(circuits) == 0 {
		return p, true, ""
	}
	return fmt.Sprintf("%s; %d transitions watched on %s", p, transitions, strings.Join(sortedKeys(circuits), ", ")), true, ""
}

func degradationFigure(rs []record.Result) (string, bool, string) {
	lost := sum(rs, "acknowledged_missing", "lost", "writes_missing")
	doubled := sum(rs, "stored_twice", "doubled", "writes_doubled")
	p, _, _ := passedFigure(rs)
	f := fmt.Sprintf("%s; acknowledged writes lost: %g, applied twice: %g", p, lost, doubled)
	if lost > 0 || doubled > 0 {
		return f, true, "acknowledged writes lost or doubled"
	}
	return f, true, ""
}

func monitoringFigure(rs []record.Result) (string, bool, string) {
	p, _, _ := passedFigure(rs)
	var parts []string
	if q, ok := find(rs, "dashboard_queries_with_data"); ok {
		parts = append(parts, fmt.Sprintf("%g dashboard queries with live data", q.Value))
	}
	fired := 0
	for _, r := range rs {
		for name := range r.Measurements {
			if strings.HasSuffix(name, "_time_to_fire") {
				fired++
			}
		}
	}
	if fired > 0 {
		parts = append(parts, fmt.Sprintf("%d alerts fired and resolved", fired))
	}
	return strings.Join(append([]string{p}, parts...), "; "), true, ""
}

// loadFigure needs the seed gate's own figures: its p95 and error rate.
// A run in which the gate did not run (it was skipped, or crashed before
// its record) has not measured the row, whatever else passed.
func loadFigure(rs []record.Result) (string, bool, string) {
	var gate *record.Result
	for i, r := range rs {
		if strings.HasPrefix(r.Scenario, "TestSeedGate") && r.Verdict != record.Skip {
			gate = &rs[i]
		}
	}
	var parts []string
	measured, fail := false, ""
	if gate != nil {
		p95, ok95 := gate.Measurements["http_req_duration_p95"]
		errs, okE := gate.Measurements["http_req_failed_rate"]
		if ok95 && okE {
			measured = true
			f := fmt.Sprintf("p95 %.0f ms", p95.Value)
			if p99, ok := gate.Measurements["http_req_duration_p99"]; ok {
				f += fmt.Sprintf(", p99 %.0f ms", p99.Value)
			}
			parts = append(parts, f+fmt.Sprintf(", errors %.2f%%", errs.Value*100))
			if p95.Value >= 500 || errs.Value >= 0.01 {
				fail = "the seed's gate is crossed"
			}
		}
	}
	for _, r := range rs {
		if m, ok := r.Measurements["client_error_rate"]; ok {
			parts = append(parts, fmt.Sprintf("errors %.2f%% with 10%% backend faults", m.Value*100))
		}
		if m, ok := r.Measurements["rss_growth"]; ok {
			parts = append(parts, fmt.Sprintf("memory %+.0f%% after warm-up", m.Value*100))
		}
	}
	if !measured {
		parts = append([]string{"seed gate (p95) not run"}, parts...)
	}
	return strings.Join(parts, "; "), measured, fail
}

// rollbackFigure shows the drill's longest rollback (its rollback_total_s:
// from stopping the current release to the previous one serving the data,
// checked), the seed's "< 5 minutes"; a record without that total shows its
// timed steps added up instead.
func rollbackFigure(rs []record.Result) (string, bool, string) {
	p, _, _ := passedFigure(rs)
	longest, haveTotal := 0.0, false
	for _, r := range rs {
		if m, ok := r.Measurements["rollback_total_s"]; ok {
			longest, haveTotal = max(longest, m.Value), true
		}
	}
	if haveTotal {
		return fmt.Sprintf("%s; rolled back and serving in %.1f s at most", p, longest), true, ""
	}
	total := 0.0
	steps := 0
	for _, r := range rs {
		for _, m := range r.Measurements {
			switch m.Unit {
			case "s":
				total += m.Value
				steps++
			case "ms":
				total += m.Value / 1000
				steps++
			}
		}
	}
	if steps == 0 {
		return p, true, ""
	}
	return fmt.Sprintf("%s; %d timed steps, %.1f s in all", p, steps, total), true, ""
}

// find is the first measurement called name in rs.
func find(rs []record.Result, name string) (record.Measurement, bool) {
	for _, r := range rs {
		if m, ok := r.Measurements[name]; ok {
			return m, true
		}
	}
	return record.Measurement{}, false
}

// sum adds every measurement with one of names over rs.
func sum(rs []record.Result, names ...string) float64 {
	t := 0.0
	for _, r := range rs {
		for _, n := range names {
			if m, ok := r.Measurements[n]; ok {
				t += m.Value
			}
		}
	}
	return t
}
