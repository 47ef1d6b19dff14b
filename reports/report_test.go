package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/record"
)

// fixtureSource is a module root whose scenarios/ names the tests the
// fixture runs record, as the real scenarios/ does for a real run.
const fixtureSource = "testdata/src"

func build(t *testing.T, run string) *Report {
	t.Helper()
	r, err := Load(filepath.Join("testdata", "runs", run))
	require.NoError(t, err)
	exp, err := Expected(fixtureSource)
	require.NoError(t, err)
	return Build(r, exp, nil)
}

func row(t *testing.T, rep *Report, key string) *Row {
	t.Helper()
	for _, r := range rep.Rows {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no row %s", key)
	return nil
}

func TestExpectedScenariosComeFromTheSource(t *testing.T) {
	exp, err := Expected(fixtureSource)
	require.NoError(t, err)
	names := map[string]Scenario{}
	for _, s := range exp {
		names[s.Package+" "+s.Test] = s
	}
	assert.Len(t, exp, 15)
	assert.Contains(t, names, "scenarios/degradation TestPostgresOutageReadsFromTheCacheQueuesWritesAndAppliesEachOnce",
		"a test whose record starts in a helper, in a sub-test, is expected")
	assert.NotContains(t, names, "scenarios/monitoring TestRulesParse", "a test that records nothing is not a scenario")
	gate := names["scenarios/load TestSeedGatePassesAt100VUsOver10000Memories"]
	assert.True(t, gate.OptIn)
	assert.Equal(t, "set MIMO_LOAD_GATES=1 to run: the seed's latency gate", gate.SkipReason, "the skip's message, its constant filled in")
	assert.True(t, names["scenarios/evidence TestFailingScenarioOnPurpose"].OptIn)
	assert.False(t, names["scenarios/load TestResidentMemoryStaysFlatUnderTheGate"].OptIn)
}

func TestAPassingRunIsReady(t *testing.T) {
	rep := build(t, "pass")
	assert.True(t, rep.Ready, rep.Why)
	assert.True(t, strings.HasPrefix(rep.Why, "Ready"), rep.Why)
	for _, r := range rep.Rows {
		assert.Equal(t, Pass, r.Status, "%s: %s", r.Title, r.Why)
		assert.False(t, r.Blocks, r.Title)
		assert.NotEmpty(t, r.Figure, r.Title)
	}
	assert.Contains(t, row(t, rep, "load").Figure, "p95 212 ms")
	assert.Contains(t, row(t, rep, "coverage").Figure, "system/ 83.1% (floor 80%)")
	assert.Contains(t, row(t, rep, "breakers").Figure, "3 of 3 scenarios passed")
	for _, v := range rep.Scenarios {
		if v.Test == "TestFailingScenarioOnPurpose" {
			assert.Equal(t, NotRun, v.Status, "an opt-in scenario not asked for is not run, not missing")
		}
	}
}

func TestAFailingScenarioMakesTheRunNotReady(t *testing.T) {
	rep := build(t, "fail")
	assert.False(t, rep.Ready)
	assert.Contains(t, rep.Why, "Not ready")
	assert.Contains(t, rep.Why, "circuit breakers under load: 1 scenario failed")
	b := row(t, rep, "breakers")
	assert.Equal(t, Fail, b.Status)
	assert.True(t, b.Blocks)

	var page bytes.Buffer
	require.NoError(t, RenderHTML(&page, rep, t.TempDir()))
	html := page.String()
	assert.Contains(t, html, "NOT READY for production")
	assert.Contains(t, html, "still open after 12s", "the failure's evidence is on the page")
	assert.Contains(t, html, `<details open><summary>Evidence: log`, "a failed scenario's evidence is shown open")
	assert.Contains(t, html, "TestLLMCircuitTransitionsAndIsNotCalledWhileOpen.files/mimo.log", "the whole log is linked")
}

func TestAMissingScenarioMakesTheRunNotReady(t *testing.T) {
	rep := build(t, "missing")
	assert.False(t, rep.Ready, "a run without one expected record is never ready")
	d := row(t, rep, "degradation")
	assert.Equal(t, Missing, d.Status)
	assert.True(t, d.Blocks)
	assert.Contains(t, rep.Why, "graceful degradation: no record of 1 scenario")
	for _, v := range rep.Scenarios {
		if v.Test == "TestSIGKILLDuringWritesLosesNoAcknowledgedWrite" {
			assert.Equal(t, Missing, v.Status)
		}
	}
}

// copyRun copies a fixture run into a temporary folder the test may change.
func copyRun(t *testing.T, run string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "runs", run)
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

func TestANonBlockingRowWithoutRecordsStillBlocks(t *testing.T) {
	dir := copyRun(t, "pass")
	require.NoError(t, os.Remove(filepath.Join(dir, filepath.FromSlash(CoverageFile))))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "scenarios", "rollback")))
	r, err := Load(dir)
	require.NoError(t, err)
	exp, err := Expected(fixtureSource)
	require.NoError(t, err)
	rep := Build(r, exp, nil)
	assert.False(t, rep.Ready)
	for _, key := range []string{"coverage", "rollback"} {
		rw := row(t, rep, key)
		assert.False(t, rw.Blocking, "the seed does not mark %s blocking", key)
		assert.Equal(t, Missing, rw.Status)
		assert.True(t, rw.Blocks, "%s with no record at all blocks: it was not shown to hold", key)
	}
}

func TestWithoutTheSeedGateTheLoadRowIsNotMeasuredAndBlocks(t *testing.T) {
	dir := copyRun(t, "pass")
	require.NoError(t, os.Remove(filepath.Join(dir, "scenarios", "load", "TestSeedGatePassesAt100VUsOver10000Memories.json")))
	r, err := Load(dir)
	require.NoError(t, err)
	exp, err := Expected(fixtureSource)
	require.NoError(t, err)
	rep := Build(r, exp, nil)
	l := row(t, rep, "load")
	assert.Equal(t, NotRun, l.Status)
	assert.True(t, l.Blocks, "the seed marks load tests blocking, and its p95 was not measured")
	assert.False(t, rep.Ready)
	assert.Contains(t, l.Figure, "seed gate (p95) not run")
}

func TestCoverageBelowItsFloorFailsWithoutBlocking(t *testing.T) {
	dir := copyRun(t, "pass")
	path := filepath.Join(dir, filepath.FromSlash(CoverageFile))
	require.NoError(t, os.WriteFile(path, []byte(`{"floor":80,"packages":[],"total":{"system":79.9,"harness":60}}`), 0o644))
	r, err := Load(dir)
	require.NoError(t, err)
	exp, err := Expected(fixtureSource)
	require.NoError(t, err)
	rep := Build(r, exp, nil)
	c := row(t, rep, "coverage")
	assert.Equal(t, Fail, c.Status)
	assert.False(t, c.Blocks, "the seed does not mark coverage blocking")
	assert.True(t, rep.Ready, rep.Why)
	assert.Contains(t, rep.Why, "not blocking: coverage fail")
}

func TestARecordFromAnEarlierRunIsStale(t *testing.T) {
	dir := copyRun(t, "pass")
	// The run's window opens after the rollback drill's record started.
	env := filepath.Join(dir, EnvironmentFile)
	e, err := ReadEnvironment(env)
	require.NoError(t, err)
	e.Started = e.Started.Add(900e9)
	require.NoError(t, WriteEnvironment(env, e))
	r, err := Load(dir)
	require.NoError(t, err)
	require.NotEmpty(t, r.Stale)
	exp, err := Expected(fixtureSource)
	require.NoError(t, err)
	rep := Build(r, exp, nil)
	assert.False(t, rep.Ready, "a leftover record is no evidence of this run")
	assert.Equal(t, Missing, row(t, rep, "rollback").Status)
}

func TestAnUnknownRecordFormatIsRefused(t *testing.T) {
	dir := copyRun(t, "pass")
	path := filepath.Join(dir, "scenarios", "rollback", "TestRollbackDrill.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, bytes.Replace(b, []byte(`"format": 1`), []byte(`"format": 2`), 1), 0o644))
	_, err = Load(dir)
	assert.ErrorContains(t, err, "format 2")
}

func TestJUnitCountsFailuresAndMissingScenarios(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, RenderJUnit(&out, build(t, "missing")))
	var s junitSuites
	require.NoError(t, xml.Unmarshal(out.Bytes(), &s))
	assert.Equal(t, 1, s.Errors, "the missing scenario is an error case")
	assert.Equal(t, 1, s.Failures, "the sign-off row it blocks is a failure")
	assert.Positive(t, s.Skipped, "opt-in scenarios not run are skipped")
	assert.Equal(t, "release sign-off", s.Suites[0].Name)
}

func TestWriteLeavesThePageJUnitAndRawJSON(t *testing.T) {
	out := t.TempDir()
	rep := build(t, "pass")
	require.NoError(t, Write(rep, out))
	for _, f := range []string{HTMLFile, JUnitFile, RecordsFile} {
		info, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err)
		assert.Positive(t, info.Size(), f)
	}
	page, err := os.ReadFile(filepath.Join(out, HTMLFile))
	require.NoError(t, err)
	html := string(page)
	for _, external := range []string{"<script", "<link", "http://", "https://", "@import", "url("} {
		if external == "http://" {
			// The SVG namespace is a name, not a fetch.
			html = strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, "")
		}
		assert.NotContains(t, html, external, "the page is self-contained")
	}
	assert.Contains(t, html, "<svg", "charts are inline SVG")
	base, err := LoadBaseline(out)
	require.NoError(t, err, "a report's output folder serves as a baseline")
	assert.Len(t, base.Records, len(rep.Run.Records))
}

func TestComparisonFlagsWhatGotWorseBeyondNoise(t *testing.T) {
	mk := func(vals map[string]record.Measurement) *Run {
		return &Run{Records: []record.Result{{Package: "scenarios/load", Scenario: "TestGate", Measurements: vals}}}
	}
	before := mk(map[string]record.Measurement{
		"p95":           {Value: 200, Unit: "ms"},
		"p50":           {Value: 3, Unit: "ms"},
		"rate":          {Value: 1000, Unit: "per_s"},
		"hit_rate":      {Value: 0.9, Unit: "ratio"},
		"error_rate":    {Value: 0.001, Unit: "ratio"},
		"writes_lost":   {Value: 0, Unit: "count"},
		"rss":           {Value: 100 << 20, Unit: "bytes"},
		"seeded_things": {Value: 10, Unit: "count"},
	})
	after := mk(map[string]record.Measurement{
		"p95":           {Value: 260, Unit: "ms"},      // +30%, +60 ms: worse
		"p50":           {Value: 4, Unit: "ms"},        // +33% but 1 ms: noise
		"rate":          {Value: 850, Unit: "per_s"},   // -15%: worse
		"hit_rate":      {Value: 0.95, Unit: "ratio"},  // better
		"error_rate":    {Value: 0.005, Unit: "ratio"}, // +0.4 points: under the floor
		"writes_lost":   {Value: 2, Unit: "count"},     // from 0: worse
		"rss":           {Value: 105 << 20, Unit: "bytes"},
		"seeded_things": {Value: 2, Unit: "count"}, // no direction: not compared
	})
	regs, compared := Compare(before, after)
	var names []string
	for _, r := range regs {
		names = append(names, r.Name)
	}
	assert.ElementsMatch(t, []string{"p95", "rate", "writes_lost"}, names)
	assert.Equal(t, 7, compared)
}

func TestTheLoadGateDrawsItsPercentilesOverTime(t *testing.T) {
	rep := build(t, "pass")
	var titles []string
	for _, v := range rep.Scenarios {
		if v.Test != "TestSeedGatePassesAt100VUsOver10000Memories" {
			continue
		}
		for _, c := range Charts(v.Records[0]) {
			titles = append(titles, c.Title)
		}
	}
	assert.Equal(t, []string{"Latency percentiles over time", "Latency distribution", "Latency percentiles"}, titles)
}
