package evidence

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
)

// endOnPurposeFlag turns on TestScenarioEndingOnPurpose.
const endOnPurposeFlag = "mimo.end-on-purpose"

var endOnPurpose = flag.String(endOnPurposeFlag, "",
	`run TestScenarioEndingOnPurpose, which starts an environment, prints what it made, and ends: "kill" (SIGKILL to its own process, so no cleanup runs) or "return"`)

// TestScenarioEndingOnPurpose starts an environment, prints the Docker IDs
// of what it made, and then, with -mimo.end-on-purpose=kill, kills its own
// process as a SIGKILLed test binary dies: nothing of the harness's
// cleanup runs. With =return it ends as a passing scenario does.
func TestScenarioEndingOnPurpose(t *testing.T) {
	if *endOnPurpose == "" {
		t.Skipf("ends on purpose; run with -args -%s=kill or =return", endOnPurposeFlag)
	}
	env := harness.Start(t, harness.Options{})
	fmt.Printf("harness-ids: %s\n", strings.Join(envIDs(env), " "))
	if *endOnPurpose == "kill" {
		self, err := os.FindProcess(os.Getpid())
		require.NoError(t, err)
		require.NoError(t, self.Kill())
		select {} // the kill arrives
	}
}

// envIDs are the Docker IDs of env's network and its four containers.
func envIDs(env *harness.Env) []string {
	ids := []string{env.NetworkID()}
	for _, name := range []string{harness.Postgres, harness.Standin, harness.Toxiproxy, harness.Mimo} {
		ids = append(ids, env.ContainerID(name))
	}
	return ids
}

// endingChild runs TestScenarioEndingOnPurpose in a child process of this
// test binary, ending as end says, and returns its output and what it
// made.
func endingChild(t *testing.T, end string) (string, []string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScenarioEndingOnPurpose$", "-test.v", "-test.count=1", "-"+endOnPurposeFlag+"="+end)
	cmd.Env = append(os.Environ(), record.EnvResultsDir+"="+t.TempDir())
	// CombinedOutput waits for the child: once killed it is reaped, and
	// its PID is no process's.
	out, err := cmd.CombinedOutput()
	m := idsLine.FindStringSubmatch(string(out))
	require.NotNil(t, m, "the child printed what it made:\n%s", out)
	ids := strings.Fields(m[1])
	require.Len(t, ids, 5, "a network and four containers")
	return string(out), ids, err
}

// TestAKilledScenariosContainersAreRemovedByTheNextStartAndARunningOnesAreNot
// starts an environment of its own, then a child test process that starts
// one and is SIGKILLed, leaving its containers and network behind, then
// another child that only starts one: that start removes what the killed
// child left, and leaves this test's environment, whose process still
// runs, alone.
func TestAKilledScenariosContainersAreRemovedByTheNextStartAndARunningOnesAreNot(t *testing.T) {
	rec := record.New(t, "What a SIGKILLed scenario process left behind (its containers and network) is removed by the next harness start, and the environment of a scenario process still running is not")
	harness.RequireDocker(t)
	// This test, its children (who inherit it) and nobody else sweep in
	// this scope: the harness processes of the packages running beside
	// this one would otherwise sweep the killed child's leftovers first.
	t.Setenv(harness.EnvSweepScope, fmt.Sprintf("evidence-sweep-%d", os.Getpid()))
	env := harness.Start(t, harness.Options{Record: rec})
	running := envIDs(env)

	out, killed, err := endingChild(t, "kill")
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit) && !exit.Exited(), "the child was killed: %v\n%s", err, out)
	assert.Equal(t, len(killed), countLeft(killed), "the kill left its network and containers behind")

	out, _, err = endingChild(t, "return")
	require.NoError(t, err, "the second child passes:\n%s", out)
	assert.Contains(t, out, "harness: removed what earlier, killed runs left: ", "its start says what it removed")
	for _, id := range killed {
		inspect, err := exec.Command("docker", "inspect", id).CombinedOutput()
		assert.Error(t, err, "%s of the killed child is gone", id)
		assert.Contains(t, string(inspect), "No such object", "docker inspect %s says it does not exist", id)
	}
	assert.Equal(t, len(running), countLeft(running), "this test's own environment, its process running, is all there")
	_, err = env.Client().Health(t.Context())
	require.NoError(t, err, "and its Mimo answers")
	rec.Measure("left_behind_by_the_kill", float64(len(killed)), "count")
	rec.Measure("left_after_the_next_start", float64(countLeft(killed)), "count")
	rec.Measure("removed_of_a_running_process", float64(len(running)-countLeft(running)), "count")
	rec.Evidence("note", "the killed child's "+strings.Join(killed, ", ")+" were removed by the next child's harness.Start; this test's "+strings.Join(running, ", ")+" stayed")
}
