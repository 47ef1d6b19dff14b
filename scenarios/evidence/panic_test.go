package evidence

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
)

// panicOnPurposeFlag turns on TestPanickingScenarioOnPurpose.
const panicOnPurposeFlag = "mimo.panic-on-purpose"

var panicOnPurpose = flag.Bool(panicOnPurposeFlag, false,
	"run TestPanickingScenarioOnPurpose, which panics after starting an environment")

// idsLine is how the panicking scenario tells its parent what it made.
var idsLine = regexp.MustCompile(`harness-ids: ([0-9a-f ]+)`)

// TestPanickingScenarioOnPurpose starts an environment, prints the Docker
// IDs of what it made and panics, when run with -mimo.panic-on-purpose.
func TestPanickingScenarioOnPurpose(t *testing.T) {
	if !*panicOnPurpose {
		t.Skipf("panics on purpose; run with -args -%s", panicOnPurposeFlag)
	}
	env := harness.Start(t, harness.Options{})
	ids := []string{env.NetworkID()}
	for _, name := range []string{harness.Postgres, harness.Standin, harness.Toxiproxy, harness.Mimo} {
		ids = append(ids, env.ContainerID(name))
	}
	fmt.Printf("harness-ids: %s\n", strings.Join(ids, " "))
	panic("a scenario panicking on purpose")
}

// TestAPanickingScenarioLeavesNothingRunning runs
// TestPanickingScenarioOnPurpose in a child process and checks that the
// harness's own cleanup removed every container and the network it made
// though the test panicked (testcontainers' reaper, which would otherwise
// do this, is off).
func TestAPanickingScenarioLeavesNothingRunning(t *testing.T) {
	rec := record.New(t, "A scenario that panics still has every container and its network removed by the harness")
	harness.RequireDocker(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanickingScenarioOnPurpose$", "-test.v", "-test.count=1", "-"+panicOnPurposeFlag)
	cmd.Env = append(os.Environ(), record.EnvResultsDir+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the child test fails: %v\n%s", err, out)
	require.Contains(t, string(out), "panic: a scenario panicking on purpose", "it failed by panicking")
	m := idsLine.FindStringSubmatch(string(out))
	require.NotNil(t, m, "the child printed what it made:\n%s", out)
	ids := strings.Fields(m[1])
	require.Len(t, ids, 5, "a network and four containers")

	for _, id := range ids {
		inspect, err := exec.Command("docker", "inspect", id).CombinedOutput()
		assert.Error(t, err, "%s is gone after the panic", id)
		assert.Contains(t, string(inspect), "No such object", "docker inspect %s says it does not exist", id)
	}
	rec.Measure("left_behind", float64(countLeft(ids)), "count")
	rec.Evidence("note", "after the child scenario panicked, docker inspect finds none of "+strings.Join(ids, ", "))
}

func countLeft(ids []string) int {
	n := 0
	for _, id := range ids {
		if exec.Command("docker", "inspect", id).Run() == nil {
			n++
		}
	}
	return n
}
