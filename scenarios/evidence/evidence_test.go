// Package evidence is the validation suite checking itself: a scenario
// that fails leaves behind what a reader needs to see why — the log of
// every container in the test output and beside its record, Mimo's
// metrics, and a record whose verdict is fail.
package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
	mimo "mimo/system"
)

// failOnPurposeFlag turns on TestFailingScenarioOnPurpose. Off, it skips,
// so a normal run of the suite stays green.
const failOnPurposeFlag = "mimo.fail-on-purpose"

var failOnPurpose = flag.Bool(failOnPurposeFlag, false,
	"run TestFailingScenarioOnPurpose, which fails in a sub-test to show what a failed scenario leaves behind")

// marker is stored in Mimo so that it shows in what the failure leaves.
const marker = "evidence-marker: the failing scenario stored this"

// TestFailingScenarioOnPurpose fails on purpose, in a sub-test, when run
// with -mimo.fail-on-purpose:
//
//	go test ./scenarios/evidence -run TestFailingScenarioOnPurpose -v -args -mimo.fail-on-purpose
func TestFailingScenarioOnPurpose(t *testing.T) {
	if !*failOnPurpose {
		t.Skipf("fails on purpose; run with -args -%s to see what a failure leaves behind", failOnPurposeFlag)
	}
	rec := record.New(t, "A deliberately false claim, to show the logs and evidence a failed scenario leaves")
	env := harness.Start(t, harness.Options{Record: rec})
	ctx := context.Background()
	_, err := env.Client().Store(ctx, mimo.StoreRequest{Namespace: "evidence", Content: marker})
	require.NoError(t, err)

	t.Run("a claim that does not hold", func(t *testing.T) {
		page, err := env.Client().Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: "evidence"}, Query: "evidence marker"})
		require.NoError(t, err)
		assert.Empty(t, page.Results, "deliberately false: the memory just stored is not found")
	})
}

// TestAFailedScenarioLeavesLogsAndEvidence runs TestFailingScenarioOnPurpose
// in a child process of this test binary, with its own results folder, and
// checks what it left: a failing exit, every container's log in its
// output, the logs and Mimo's metrics saved beside its record, and the
// record itself with the verdict fail and the logs as evidence.
func TestAFailedScenarioLeavesLogsAndEvidence(t *testing.T) {
	rec := record.New(t, "A failed scenario shows every container's log in the test output and leaves the logs, Mimo's metrics and a fail verdict in its record")
	harness.RequireDocker(t)
	results := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFailingScenarioOnPurpose$", "-test.v", "-test.count=1", "-"+failOnPurposeFlag)
	cmd.Env = append(os.Environ(), record.EnvResultsDir+"="+results)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the child test fails (it must not pass, nor fail to start): %v\n%s", err, out)
	text := string(out)

	assert.Contains(t, text, "--- FAIL: TestFailingScenarioOnPurpose/a_claim_that_does_not_hold", "the sub-test is what failed")
	assert.Contains(t, text, "deliberately false", "the failed assertion is shown")
	for _, name := range []string{harness.Postgres, harness.Standin, harness.Toxiproxy, harness.Mimo} {
		assert.Contains(t, text, "harness: ---- logs of "+name+" (", "the log of %s is in the test output", name)
	}

	dir := filepath.Join(results, "scenarios", "evidence")
	b, err := os.ReadFile(filepath.Join(dir, "TestFailingScenarioOnPurpose.json"))
	require.NoError(t, err, "the failed scenario wrote its record")
	var res record.Result
	require.NoError(t, json.Unmarshal(b, &res))
	assert.Equal(t, record.Fail, res.Verdict)

	files := map[string]record.Evidence{}
	for _, e := range res.Evidence {
		if e.File != "" {
			files[e.File] = e
		}
	}
	for _, name := range []string{harness.Postgres, harness.Standin, harness.Toxiproxy, harness.Mimo} {
		file := "TestFailingScenarioOnPurpose.files/" + name + ".log"
		e, ok := files[file]
		if !assert.True(t, ok, "the record's evidence names %s; it has %v", file, res.Evidence) {
			continue
		}
		assert.Equal(t, "log", e.Kind)
		assert.True(t, strings.HasPrefix(e.Text, name+": "), "the excerpt says whose log it is")
		saved, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
		if assert.NoError(t, err, "the whole log of %s is saved", name) {
			assert.NotEmpty(t, saved, "the log of %s has something in it", name)
		}
	}
	metrics, err := os.ReadFile(filepath.Join(dir, "TestFailingScenarioOnPurpose.files", "mimo-metrics.txt"))
	require.NoError(t, err, "Mimo's metrics at the failure are saved")
	assert.Contains(t, string(metrics), `mimo_http_requests_total{code="201",method="POST",route="/api/memories"} 1`,
		"they show the one store the failing scenario made")
	mimoLog, err := os.ReadFile(filepath.Join(dir, "TestFailingScenarioOnPurpose.files", "mimo.log"))
	require.NoError(t, err)
	assert.Contains(t, string(mimoLog), `"level"`, "Mimo's own log lines (JSON) are in its saved log")

	rec.Measure("containers_with_saved_logs", float64(len(files)), "count")
	rec.Evidence("note", "child run of TestFailingScenarioOnPurpose exited with "+exit.String()+"; its record has verdict "+string(res.Verdict)+" and "+strings.Join(keys(files), ", "))
}

func keys(m map[string]record.Evidence) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
