//go:build unix

package containers

import (
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProbeTellsARunningProcessFromAGoneOne(t *testing.T) {
	running, started := probe(os.Getpid())
	assert.True(t, running, "this process runs")
	assert.Equal(t, Self().Started, started, "its start time is the same each time it is read")

	// A child that has exited and been waited for is gone; its PID is
	// free until the system hands it out again.
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	pid := cmd.ProcessState.Pid()
	running, _ = probe(pid)
	assert.False(t, running, "process %d has exited", pid)
}

func TestStartTimeIsThe22ndFieldAfterAnyCommandName(t *testing.T) {
	fields := func(name string) string {
		s := "1234 (" + name + ") S"
		for i := 4; i <= 25; i++ {
			s += " " + strconv.Itoa(i*10)
		}
		return s
	}
	assert.Equal(t, "220", startTime(fields("go")))
	assert.Equal(t, "220", startTime(fields("a) b (c")), "a name with spaces and parentheses")
	assert.Empty(t, startTime("1234 (go) S 1 2"), "too few fields")
	assert.Empty(t, startTime("garbage"))
}
