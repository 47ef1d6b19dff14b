package harness

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recordingTB records whether a test was skipped or failed, without
// stopping the real one.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                      {}
func (r *recordingTB) Skipf(f string, args ...any)  { r.skipped = fmt.Sprintf(f, args...) }
func (r *recordingTB) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }

func TestNoDockerSkipsOutsideCIAndFailsInCI(t *testing.T) {
	down := errors.New("docker engine: connection refused")

	t.Setenv("CI", "")
	r := &recordingTB{}
	skipOrFail(r, down)
	assert.Contains(t, r.skipped, "connection refused")
	assert.Empty(t, r.failed)

	t.Setenv("CI", "true")
	r = &recordingTB{}
	skipOrFail(r, down)
	assert.Contains(t, r.failed, "CI=true")
	assert.Empty(t, r.skipped)

	r = &recordingTB{}
	skipOrFail(r, nil)
	assert.Empty(t, r.failed+r.skipped, "a reachable engine neither skips nor fails")
}
