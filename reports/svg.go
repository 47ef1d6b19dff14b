package reports

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// The charts are small hand-written SVG, not a charting library's. The
// permissive Go libraries that draw SVG (gonum.org/v1/plot, BSD; and
// wcharczuk/go-chart, MIT, unmaintained since 2021) draw fixed-size
// pictures in inches or pixels with their own fonts, and none draws a
// state timeline (a breaker's closed, half-open and open as coloured
// bands); the page needs charts that scale with a phone's width through
// a viewBox, take the page's font and print colours from its CSS, and
// stay a few kilobytes each, inline, with no script. The helpers below
// draw the four shapes the records need: lines over time, state bands
// over time, events over time and bars.

// Chart geometry, in viewBox units; the SVG scales to its container.
const (
	chartW   = 560
	plotL    = 66 // room for the y axis's labels
	plotR    = 12
	plotT    = 10
	axisH    = 30 // x axis labels and title below the plot
	bandH    = 22 // one state band or event row
	legendH  = 18
	fontSize = 12
)

// palette is Okabe and Ito's colour-blind-safe set.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

// xy is one point of a line: x in seconds from the chart's start.
type xy struct{ X, Y float64 }

// line is one named line of a line chart.
type line struct {
	Name string
	Pts  []xy
	Step bool // drawn as steps: a gauge's value holds until the next sample
	Dots bool // drawn as dots only: separate calls, between which nothing was measured
}

type svgBuilder struct {
	b strings.Builder
	h int
}

func newSVG(h int, label string) *svgBuilder {
	s := &svgBuilder{h: h}
	fmt.Fprintf(&s.b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg" font-size="%d">`,
		chartW, h, html.EscapeString(label), fontSize)
	return s
}

func (s *svgBuilder) f(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

func (s *svgBuilder) text(x, y float64, anchor, class, t string) {
	s.f(`<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, html.EscapeString(t))
}

func (s *svgBuilder) done() template.HTML {
	s.b.WriteString(`</svg>`)
	return template.HTML(s.b.String()) //nolint:gosec // every text node went through html.EscapeString
}

// ticks returns about n round values covering [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// xAxis draws the time axis under a plot from y0 to y1, for 0..span s.
func (s *svgBuilder) xAxis(y0, y1, span float64, xOf func(float64) float64) {
	for _, t := range ticks(0, span, 6) {
		x := xOf(t)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, x, y0, x, y1)
		s.text(x, y1+14, "middle", "tick", trimFloat(t)+"s")
	}
}

// lineChart draws lines over time, y from 0 (or the data's minimum when
// it is negative) to the data's maximum, values formatted by unit.
func lineChart(label, unit string, lines []line, span float64) template.HTML {
	plotH := 150
	legendRows := (len(lines) + 1) / 2
	if len(lines) < 2 {
		legendRows = 0
	}
	h := plotT + plotH + axisH + legendRows*legendH
	s := newSVG(h, label)
	lo, hi := 0.0, 0.0
	for _, l := range lines {
		for _, p := range l.Pts {
			lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
		}
	}
	// Ticks fall on round numbers of the unit the reader sees (MiB, not
	// bytes; s, not thousands of ms): scale the data to it.
	div, shown := displayUnit(unit, math.Max(math.Abs(lo), math.Abs(hi)))
	lo, hi = lo/div, hi/div
	scaled := make([]line, len(lines))
	for i, l := range lines {
		scaled[i] = line{Name: l.Name, Step: l.Step, Dots: l.Dots, Pts: make([]xy, len(l.Pts))}
		for j, p := range l.Pts {
			scaled[i].Pts[j] = xy{p.X, p.Y / div}
		}
	}
	lines, unit = scaled, shown
	if hi == lo {
		hi = lo + 1
	}
	yt := ticks(lo, hi, 4)
	hi = math.Max(hi, yt[len(yt)-1])
	if span <= 0 {
		span = 1
	}
	x0, x1 := float64(plotL), float64(chartW-plotR)
	y0, y1 := float64(plotT), float64(plotT+plotH)
	xOf := func(t float64) float64 { return x0 + (x1-x0)*t/span }
	yOf := func(v float64) float64 { return y1 - (y1-y0)*(v-lo)/(hi-lo) }
	for _, v := range yt {
		y := yOf(v)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, x0, y, x1, y)
		s.text(x0-4, y+4, "end", "tick", formatValue(v, unit))
	}
	s.xAxis(y0, y1, span, xOf)
	for i, l := range lines {
		c := palette[i%len(palette)]
		var pts []string
		for j, p := range l.Pts {
			if l.Step && j > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(p.X), yOf(l.Pts[j-1].Y)))
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(p.X), yOf(p.Y)))
		}
		if len(l.Pts) > 1 && !l.Dots {
			s.f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="1.6" stroke-linejoin="round"/>`, strings.Join(pts, " "), c)
		}
		// Few samples: mark each, so a line between two is not read as data.
		if (len(l.Pts) <= 40 || l.Dots) && !l.Step {
			for _, p := range l.Pts {
				s.f(`<circle cx="%.1f" cy="%.1f" r="2.6" fill="%s"/>`, xOf(p.X), yOf(p.Y), c)
			}
		}
	}
	if legendRows > 0 {
		for i, l := range lines {
			x := float64(plotL) + float64(i%2)*float64(chartW-plotL)/2
			y := float64(plotT+plotH+axisH) + float64(i/2)*legendH + 10
			s.f(`<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`, x, y-9, palette[i%len(palette)])
			s.text(x+14, y, "start", "legend", ellipsis(l.Name, 40))
		}
	}
	return s.done()
}

// band is one row of a state chart: the state's value and name from
// each point on, until the next.
type band struct {
	Name   string
	Points []xyLabel
}

type xyLabel struct {
	X     float64
	V     float64
	Label string
}

// stateColour colours a breaker's states as its gauge encodes them (0
// closed, 1 half-open, 2 open), and anything else by its value.
func stateColour(v float64) string {
	switch v {
	case 0:
		return "#009E73"
	case 1:
		return "#F0E442"
	case 2:
		return "#D55E00"
	}
	return palette[int(math.Abs(v))%len(palette)]
}

// stateChart draws each band as coloured segments over 0..span seconds,
// with the state's name in the segment when it fits.
func stateChart(label string, bands []band, span float64) template.HTML {
	h := plotT + len(bands)*(bandH+6) + axisH
	s := newSVG(h, label)
	if span <= 0 {
		span = 1
	}
	x0, x1 := float64(plotL+40), float64(chartW-plotR)
	xOf := func(t float64) float64 { return x0 + (x1-x0)*t/span }
	bottom := float64(plotT + len(bands)*(bandH+6))
	s.xAxis(plotT, bottom, span, xOf)
	for i, b := range bands {
		y := float64(plotT + i*(bandH+6))
		s.text(x0-6, y+bandH/2+4, "end", "legend", ellipsis(b.Name, 16))
		// A point that repeats the state before it (a label seen again)
		// continues its segment: one rect per state, no seams.
		var merged []xyLabel
		for _, p := range b.Points {
			if n := len(merged); n > 0 && merged[n-1].V == p.V && merged[n-1].Label == p.Label {
				continue
			}
			merged = append(merged, p)
		}
		b.Points = merged
		for j, p := range b.Points {
			end := span
			if j+1 < len(b.Points) {
				end = b.Points[j+1].X
			}
			w := math.Max(xOf(end)-xOf(p.X), 0.8)
			s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" shape-rendering="crispEdges"><title>%s at %.2fs</title></rect>`,
				xOf(p.X), y, w, bandH, stateColour(p.V), html.EscapeString(p.Label), p.X)
			if w > float64(len(p.Label))*6.5+6 {
				class := "inband"
				if stateColour(p.V) == "#F0E442" {
					class = "inband dark" // white on yellow cannot be read
				}
				s.text(xOf(p.X)+w/2, y+bandH/2+4, "middle", class, p.Label)
			}
		}
	}
	return s.done()
}

// eventRow is one label's events on an event strip.
type eventRow struct {
	Label string
	Xs    []float64
}

// eventChart draws each label's events as ticks on its own row over
// 0..span seconds, with the count at the row's end.
func eventChart(label string, rows []eventRow, span float64) template.HTML {
	h := plotT + len(rows)*(bandH) + axisH
	s := newSVG(h, label)
	if span <= 0 {
		span = 1
	}
	x0, x1 := float64(plotL+90), float64(chartW-plotR-40)
	xOf := func(t float64) float64 { return x0 + (x1-x0)*t/span }
	bottom := float64(plotT + len(rows)*bandH)
	s.xAxis(plotT, bottom, span, xOf)
	for i, r := range rows {
		y := float64(plotT + i*bandH)
		c := palette[i%len(palette)]
		s.text(x0-6, y+bandH/2+4, "end", "legend", ellipsis(r.Label, 22))
		for _, x := range r.Xs {
			s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, xOf(x), y+4, xOf(x), y+bandH-4, c)
		}
		s.text(x1+6, y+bandH/2+4, "start", "tick", fmt.Sprintf("×%d", len(r.Xs)))
	}
	return s.done()
}

// bar is one bar; Values holds one value per series of a grouped chart.
type bar struct {
	Label  string
	Values []float64
}

// barChart draws horizontal bars, one row per bar (grouped when bars
// carry several values, named by series), values formatted by unit.
func barChart(label, unit string, bars []bar, series []string) template.HTML {
	per := max(len(series), 1)
	rowH := 8 + per*12
	legend := 0
	if len(series) > 1 {
		legend = legendH
	}
	h := plotT + len(bars)*rowH + axisH + legend
	s := newSVG(h, label)
	hi := 0.0
	for _, b := range bars {
		for _, v := range b.Values {
			hi = math.Max(hi, v)
		}
	}
	yt := ticks(0, math.Max(hi, 1e-9), 5)
	hi = math.Max(yt[len(yt)-1], hi)
	if hi == 0 {
		hi = 1
	}
	x0, x1 := float64(plotL+100), float64(chartW-plotR-60)
	xOf := func(v float64) float64 { return x0 + (x1-x0)*v/hi }
	bottom := float64(plotT + len(bars)*rowH)
	for _, v := range yt {
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, xOf(v), float64(plotT), xOf(v), bottom)
		s.text(xOf(v), bottom+14, "middle", "tick", formatValue(v, unit))
	}
	for i, b := range bars {
		y := float64(plotT + i*rowH)
		s.text(x0-6, y+float64(rowH)/2+4, "end", "legend", ellipsis(b.Label, 24))
		for k, v := range b.Values {
			by := y + 4 + float64(k*12)
			s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="10" fill="%s"/>`, x0, by, math.Max(xOf(v)-x0, 0.5), palette[k%len(palette)])
			s.text(math.Max(xOf(v), x0)+4, by+9, "start", "tick", formatValue(v, unit))
		}
	}
	if legend > 0 {
		for k, name := range series {
			x := x0 + float64(k)*140
			y := bottom + axisH + 8
			s.f(`<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`, x, y-9, palette[k%len(palette)])
			s.text(x+14, y, "start", "legend", name)
		}
	}
	return s.done()
}

// displayUnit is the divisor and unit a chart's axis shows values of
// unit in, given their largest magnitude: bytes as MiB, ms from 2,000 on
// as s.
func displayUnit(unit string, largest float64) (float64, string) {
	switch {
	case unit == "bytes":
		return 1 << 20, "MiB"
	case unit == "ms" && largest >= 2000:
		return 1000, "s"
	}
	return 1, unit
}

// formatValue writes v in its unit, compactly: bytes as MiB, ratios as
// percentages.
func formatValue(v float64, unit string) string {
	switch unit {
	case "bytes":
		return trimFloat(v/(1<<20)) + " MiB"
	case "ratio":
		return trimFloat(v*100) + "%"
	case "ms":
		if math.Abs(v) >= 10000 {
			return trimFloat(v/1000) + " s"
		}
		return trimFloat(v) + " ms"
	case "s", "MiB":
		return trimFloat(v) + " " + unit
	case "per_s":
		return trimFloat(v) + "/s"
	case "", "count":
		return trimFloat(v)
	}
	return trimFloat(v) + " " + unit
}

// trimFloat writes v with at most 3 significant decimals and no trailing
// zeros; large values as whole numbers.
func trimFloat(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 100 || v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		s = fmt.Sprintf("%.2f", v)
	default:
		s = fmt.Sprintf("%.3f", v)
	}
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
