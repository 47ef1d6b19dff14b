package reports

import (
	"math"
	"sort"
	"strings"

	"mimo/harness/record"
)

// Regression is one figure that got worse than in the baseline beyond
// noise.
type Regression struct {
	Package  string
	Scenario string
	Name     string
	Unit     string
	Before   float64
	After    float64
	// Change is (After-Before)/|Before|, signed as the figure moved.
	Change float64
}

// Noise: a figure got worse when it moved the wrong way by more than
// RelativeNoise of its baseline value and by more than the absolute
// floor of its unit (absFloor). Both must hold: 3 ms → 4 ms is +33% but
// noise, and 20 s → 21 s is 1 s but 5%.
const RelativeNoise = 0.10

// absFloor is, per unit, the smallest move that is not noise.
var absFloor = map[string]float64{
	"ms":    5,
	"s":     0.5,
	"bytes": 1 << 20,
	"ratio": 0.01,
	"per_s": 1,
	"count": 1,
}

// direction is +1 when a larger figure is better, -1 when a smaller one
// is, 0 when the name and unit do not say (the figure is not compared).
// Times and sizes are better small, rates better large; a ratio or count
// is judged by its name: hit rates and successes up, errors, losses and
// leftovers down.
func direction(name, unit string) int {
	n := strings.ToLower(name)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(n, w) {
				return true
			}
		}
		return false
	}
	switch unit {
	case "ms", "s", "bytes":
		return -1
	case "per_s":
		return 1
	case "ratio", "count":
		switch {
		case has("hit_rate", "hits", "with_data", "acknowledged_before", "passed"):
			return 1
		case has("error", "fail", "missing", "lost", "doubled", "twice", "refused", "unavailable", "left", "growth", "cut"):
			return -1
		}
	}
	return 0
}

// Compare returns the figures of run that got worse than in baseline
// beyond noise (largest change first) and how many figures it compared:
// the same scenario's measurement of the same name and unit, in both.
func Compare(baseline, run *Run) ([]Regression, int) {
	before := map[string]record.Measurement{}
	for _, r := range baseline.Records {
		for name, m := range r.Measurements {
			before[r.Package+"\x00"+r.Scenario+"\x00"+name] = m
		}
	}
	var out []Regression
	compared := 0
	for _, r := range run.Records {
		for name, m := range r.Measurements {
			b, ok := before[r.Package+"\x00"+r.Scenario+"\x00"+name]
			if !ok || b.Unit != m.Unit {
				continue
			}
			dir := direction(name, m.Unit)
			if dir == 0 {
				continue
			}
			compared++
			worse := (b.Value - m.Value) * float64(dir) // > 0 when worse
			floor, ok := absFloor[m.Unit]
			if !ok || worse <= floor || worse <= RelativeNoise*math.Abs(b.Value) {
				continue
			}
			change := math.Inf(1)
			if b.Value != 0 {
				change = (m.Value - b.Value) / math.Abs(b.Value)
			}
			out = append(out, Regression{Package: r.Package, Scenario: r.Scenario, Name: name, Unit: m.Unit, Before: b.Value, After: m.Value, Change: change})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ai, aj := math.Abs(out[i].Change), math.Abs(out[j].Change)
		if ai != aj {
			return ai > aj
		}
		return out[i].Scenario+out[i].Name < out[j].Scenario+out[j].Name
	})
	return out, compared
}
