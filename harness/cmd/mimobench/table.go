package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// The markers of the generated block in docs/BENCHMARKS.md: `mimobench
// table --doc` rewrites what lies between them and nothing else.
const (
	blockBegin = "<!-- bench:begin -->"
	blockEnd   = "<!-- bench:end -->"
)

// verdict is a cell's standing against its row's promise.
type verdict int

const (
	noPromise verdict = iota // the row promises nothing, or not for this store
	pass
	fail
)

func (v verdict) String() string {
	switch v {
	case pass:
		return "PASS"
	case fail:
		return "FAIL"
	}
	return ""
}

// cell is one run's figure in one row.
type cell struct {
	text    string
	verdict verdict
}

// judge is the cell of a figure held to a promise: PASS when ok, else FAIL.
func judge(text string, ok bool) cell {
	if ok {
		return cell{text, pass}
	}
	return cell{text, fail}
}

// notMeasured is the cell of a promised figure the run did not measure: a
// promise nobody checked is not kept.
var notMeasured = cell{"not measured", fail}

// tableRow is one figure of the table and how to read it from a run.
type tableRow struct {
	figure  string
	promise string
	cell    func(*Report) cell
}

// tableRows are issue 12's figures with their promises (SPEC, "Numbers
// the project promises"), then the figures recorded without a promise.
// A promise stated at one size (ask at 10,000, search and memory at
// 100,000) is held against every size's run.
var tableRows = []tableRow{
	{"`/api/ask`, 100 connections each waiting 100 ms (wrk)", "p99 < 100 ms", func(r *Report) cell {
		a := r.AskThink
		if a == nil {
			return notMeasured
		}
		errs := a.Non2xx + a.SocketErrors
		return judge(fmt.Sprintf("p99 %s ms (p50 %s ms, %s/s%s)", fmtMs(a.P99Ms), fmtMs(a.P50Ms), fmtInt(a.PerSecond), errNote(errs)),
			a.P99Ms > 0 && a.P99Ms < 100 && errs == 0)
	}},
	{"`/api/ask` closed loop, 100 connections (wrk)", "≥ 2,000/s", func(r *Report) cell {
		a := r.AskClosed
		if a == nil {
			return notMeasured
		}
		errs := a.Non2xx + a.SocketErrors
		return judge(fmt.Sprintf("%s/s (p50 %s ms, p99 %s ms%s)", fmtInt(a.PerSecond), fmtMs(a.P50Ms), fmtMs(a.P99Ms), errNote(errs)),
			a.PerSecond >= 2000 && errs == 0)
	}},
	{"search, 4 connections closed loop (worse of before and after a restart)", "p50 < 5 ms, p99 < 20 ms", func(r *Report) cell {
		p50, p99, errs, ok := searchFigures(r)
		if !ok {
			return notMeasured
		}
		return judge(fmt.Sprintf("p50 %s ms, p99 %s ms%s", fmtMs(p50), fmtMs(p99), errNote(errs)), p50 < 5 && p99 < 20 && errs == 0)
	}},
	{"batch ingest, one client, batches of 1,000", "≥ 2,000/s", func(r *Report) cell {
		in := r.Ingest
		if in.PerSecond <= 0 {
			return notMeasured
		}
		text := fmt.Sprintf("%s/s", fmtInt(in.PerSecond))
		if in.Concurrency != 1 || in.BatchSize != 1000 {
			text += fmt.Sprintf(" (%d clients, batches of %d)", in.Concurrency, in.BatchSize)
		}
		return judge(text+errNote(in.Failed), in.PerSecond >= 2000 && in.Failed == 0)
	}},
	{"resident memory after that (highest VmRSS sampled)", "< 500 MB", func(r *Report) cell {
		m := r.Memory
		rss := max(m.AfterIngest.RSSMB, m.AfterSearch.RSSMB, m.AfterLoad.RSSMB, m.AfterRepeatSearch.RSSMB)
		if rss <= 0 {
			return notMeasured
		}
		return judge(fmt.Sprintf("%s MB (%s MB after restart)", fmtInt(rss), fmtInt(m.AfterLoad.RSSMB)), rss < 500)
	}},
	{"search on Postgres", "p50 < 5 ms", func(r *Report) cell {
		if r.Store != "postgres" {
			return cell{"—", noPromise}
		}
		p50, _, errs, ok := searchFigures(r)
		if !ok {
			return notMeasured
		}
		return judge(fmt.Sprintf("p50 %s ms%s", fmtMs(p50), errNote(errs)), p50 < 5 && errs == 0)
	}},
	{"ready after restart (`/health/ready`)", "< 1 s", func(r *Report) cell {
		if r.Startup.ReadyMs <= 0 {
			return notMeasured
		}
		return judge(fmt.Sprintf("%s ms", fmtMs(r.Startup.ReadyMs)), r.Startup.ReadyMs < 1000)
	}},
	{"indexes loaded after restart", "—", func(r *Report) cell {
		if r.Startup.IndexLoadedMs <= 0 {
			return cell{"not measured", noPromise}
		}
		return cell{fmt.Sprintf("%s s", fmtMs(r.Startup.IndexLoadedMs/1000)), noPromise}
	}},
	{"Mimo's search ÷ plain FTS5 `MATCH … ORDER BY rank`, same queries and clients", "—", func(r *Report) cell {
		a := r.Ratios
		if a == nil {
			return cell{"—", noPromise}
		}
		return cell{fmt.Sprintf("p50 %s× (%s ms vs %s ms), p99 %s×", fmtRatio(a.MimoOverFTSP50), fmtMs(a.Mimo.P50Ms),
			fmtMs(a.FTS.P50Ms), fmtRatio(a.MimoOverFTSP99)), noPromise}
	}},
	{"Mimo's search ÷ exact float32 vector scan, same queries and clients", "—", func(r *Report) cell {
		a := r.Ratios
		if a == nil {
			return cell{"—", noPromise}
		}
		return cell{fmt.Sprintf("p50 %s× (%s ms vs %s ms), p99 %s×", fmtRatio(a.MimoOverVectorP50), fmtMs(a.Mimo.P50Ms),
			fmtMs(a.VectorScan.P50Ms), fmtRatio(a.MimoOverVectorP99)), noPromise}
	}},
}

// searchFigures is the worse p50 and p99 of the two search phases and
// their errors; ok is false when no search was answered.
func searchFigures(r *Report) (p50, p99 float64, errs int64, ok bool) {
	if r.Search.Requests == 0 && r.SearchRepeat.Requests == 0 {
		return 0, 0, 0, false
	}
	return max(r.Search.P50Ms, r.SearchRepeat.P50Ms), max(r.Search.P99Ms, r.SearchRepeat.P99Ms),
		r.Search.Errors + r.SearchRepeat.Errors, true
}

func errNote(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %s errors", fmtInt(float64(n)))
}

// columnName names a run's column: "SQLite 100,000".
func columnName(r *Report) string {
	store := r.Store
	switch store {
	case "sqlite":
		store = "SQLite"
	case "postgres":
		store = "Postgres"
	}
	return store + " " + fmtInt(float64(r.Settings.Memories))
}

// writeMarkdown writes the table of runs, one column each, with each
// promised figure's verdict, and a line per run with its date and load.
func writeMarkdown(w io.Writer, command string, runs []*Report) {
	if len(runs) == 0 {
		return
	}
	first := runs[0]
	fmt.Fprintf(w, "`%s`, %s; %s, %d cores; mimo %s; built-in embedder; synthetic memories of %.0f bytes on average (seed %d).\n\n",
		command, dateOf(first.Date), first.CPU.Model, first.NumCPU, first.MimoVersion, first.Corpus.MeanBytes, first.Settings.Seed)
	fmt.Fprint(w, "| figure | promise |")
	sep := "|---|---|"
	for _, r := range runs {
		fmt.Fprintf(w, " %s |", columnName(r))
		sep += "---|"
	}
	fmt.Fprintf(w, "\n%s\n", sep)
	for _, row := range tableRows {
		fmt.Fprintf(w, "| %s | %s |", row.figure, row.promise)
		for _, r := range runs {
			c := row.cell(r)
			if c.verdict == noPromise {
				fmt.Fprintf(w, " %s |", c.text)
			} else {
				fmt.Fprintf(w, " %s **%s** |", c.text, c.verdict)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Each run: when it began (UTC), and the load average (1, 5, 15 minutes) at its start and end.")
	fmt.Fprintln(w)
	for _, r := range runs {
		fmt.Fprintf(w, "- %s: %s, load average %s → %s", columnName(r), r.Date, fmtLoad(r.LoadBefore), fmtLoad(r.LoadAfter))
		if a := r.AskClosed; a != nil {
			fmt.Fprintf(w, " (%s before the ask runs)", fmtLoad(a.LoadBefore))
		}
		fmt.Fprintln(w)
	}
}

// dateOf is the day of an RFC 3339 time.
func dateOf(rfc3339 string) string {
	d, _, _ := strings.Cut(rfc3339, "T")
	return d
}

func fmtLoad(l []float64) string {
	if len(l) == 0 {
		return "unknown"
	}
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}

// fmtMs shows a duration in milliseconds with three significant digits
// (at least none after the point): 0.412, 4.12, 41.2, 412, 4,120.
func fmtMs(v float64) string {
	switch {
	case v >= 1000:
		return fmtInt(v)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func fmtRatio(v float64) string {
	switch {
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v < 0.1 && v > 0:
		// Two significant digits, so that a ratio far below one (Mimo at a
		// million memories against a full scan) does not print as 0.0.
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// fmtInt rounds v to a whole number with thousands separators: 12,345.
func fmtInt(v float64) string {
	s := strconv.FormatInt(int64(math.Round(math.Abs(v))), 10)
	var b strings.Builder
	if v < 0 && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// rewriteBlock returns doc with everything from blockBegin to blockEnd
// (inclusive) replaced by block (which carries both markers); the rest of
// doc is kept byte for byte. Without the markers block is appended under
// heading. One marker without the other, or either twice, is an error.
func rewriteBlock(doc, block []byte, heading string) ([]byte, error) {
	begin, end := []byte(blockBegin), []byte(blockEnd)
	nb, ne := bytes.Count(doc, begin), bytes.Count(doc, end)
	switch {
	case nb == 0 && ne == 0:
		out := bytes.Clone(doc)
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		if len(out) > 0 {
			out = append(out, '\n')
		}
		out = append(out, heading+"\n\n"...)
		return append(append(out, block...), '\n'), nil
	case nb != 1 || ne != 1:
		return nil, fmt.Errorf("the document must hold %s and %s once each, in that order (found %d and %d)", blockBegin, blockEnd, nb, ne)
	}
	i, j := bytes.Index(doc, begin), bytes.Index(doc, end)
	if j < i {
		return nil, fmt.Errorf("%s comes before %s", blockEnd, blockBegin)
	}
	out := make([]byte, 0, len(doc)+len(block))
	out = append(out, doc[:i]...)
	out = append(out, block...)
	return append(out, doc[j+len(end):]...), nil
}

// markedBlock is the generated block: the markers around the table.
func markedBlock(command string, runs []*Report) []byte {
	var b bytes.Buffer
	b.WriteString(blockBegin + "\n")
	b.WriteString("<!-- Written by `mimobench table` (make bench) from the run's own measurements; the next run rewrites it. -->\n\n")
	writeMarkdown(&b, command, runs)
	b.WriteString(blockEnd)
	return b.Bytes()
}

// blockHeading is the heading a new block is appended under.
const blockHeading = "## The promised figures side by side (`make bench`)"

const tableUsage = `Usage: mimobench table [flags] REPORT.json...

Prints the promised figures of the runs (mimobench --json reports, one
column each, in the order given) as a Markdown table, each with PASS or
FAIL against its promise, and with --doc rewrites the block between
` + blockBegin + ` and ` + blockEnd + ` in that file (appending one
when it has none), leaving the rest of the file as it was.

Flags:
`

// runTable is the table subcommand.
func runTable(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mimobench table", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	doc := fs.String("doc", "", "rewrite the generated block of this Markdown `FILE`")
	command := fs.String("command", "make bench", "the command the table says produced it")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, tableUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintln(stderr, "run mimobench table --help for usage")
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "mimobench table: name at least one report (mimobench --json FILE)")
		return 2
	}
	var runs []*Report
	for _, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "mimobench table: %v\n", err)
			return 1
		}
		var r Report
		if err := json.Unmarshal(b, &r); err != nil {
			fmt.Fprintf(stderr, "mimobench table: %s: %v\n", path, err)
			return 1
		}
		runs = append(runs, &r)
	}
	block := markedBlock(*command, runs)
	if *doc != "" {
		old, err := os.ReadFile(*doc)
		if err != nil {
			fmt.Fprintf(stderr, "mimobench table: %v\n", err)
			return 1
		}
		updated, err := rewriteBlock(old, block, blockHeading)
		if err != nil {
			fmt.Fprintf(stderr, "mimobench table: %s: %v\n", *doc, err)
			return 1
		}
		if err := os.WriteFile(*doc, updated, 0o644); err != nil {
			fmt.Fprintf(stderr, "mimobench table: %v\n", err)
			return 1
		}
	}
	writeMarkdown(stdout, *command, runs)
	return 0
}
