package load

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// How the summary prints figures, as k6 does.

// fmtTime prints milliseconds as k6 prints durations: "663.96µs", "148.21ms", "1.14s",
// "1m2.5s".
func fmtTime(ms float64) string {
	switch {
	case ms == 0:
		return "0s"
	case math.Abs(ms) < 1:
		return trimFloat(ms*1000, 2) + "µs"
	case math.Abs(ms) < 1000:
		return trimFloat(ms, 2) + "ms"
	case math.Abs(ms) < 60000:
		return trimFloat(ms/1000, 2) + "s"
	}
	m := math.Floor(ms / 60000)
	return fmt.Sprintf("%dm%ss", int64(m), trimFloat((ms-m*60000)/1000, 1))
}

// fmtData prints bytes in SI units: "81 kB", "1.3 MB".
func fmtData(b float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for math.Abs(b) >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(b, 'f', 0, 64) + " B"
	}
	if math.Abs(b) < 10 {
		return strconv.FormatFloat(b, 'f', 1, 64) + " " + units[i]
	}
	return strconv.FormatFloat(b, 'f', 0, 64) + " " + units[i]
}

// fmtNumber prints a plain figure with up to six significant digits.
func fmtNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func fmtPercent(rate float64) string { return strconv.FormatFloat(rate*100, 'f', 2, 64) + "%" }

// fmtValue prints one aggregate of a metric in the metric's unit.
func fmtValue(m *Metric, agg string, v float64) string {
	switch {
	case agg == "rate" && m.Type == Rate:
		return fmtPercent(v)
	case agg == "rate" && m.Type == Counter:
		if m.Contains == Data {
			return fmtData(v) + "/s"
		}
		return fmtNumber(v) + "/s"
	case agg == "count" && m.Type == Trend:
		return fmtNumber(v)
	case m.Contains == Time:
		return fmtTime(v)
	case m.Contains == Data:
		return fmtData(v)
	}
	return fmtNumber(v)
}

func trimFloat(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
