package durability

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
	mimo "mimo/system"
)

// Writes keep coming while Postgres is killed and started again: the ones
// Mimo acknowledged (stored, or queued in its spool) are all there
// afterwards, once each; the ones it refused were answered with an error,
// not silently dropped.
func TestPostgresKilledDuringWritesLosesNoAcknowledgedWrite(t *testing.T) {
	rec := record.New(t, "Postgres killed with SIGKILL and started again during a stream of writes: every write Mimo acknowledged (201, or 202 queued in its spool) is there, exactly once; the others were answered with errors")
	env := harness.Start(t, harness.Options{Record: rec})
	c := env.Client()
	const ns = "durability-pg"

	st := startStream(t, c, ns, "the payroll export", false)
	harness.WaitFor(t, ackedWithin, "writes acknowledged before the kill", func() (bool, string) {
		return st.ok.Load() >= minAcked, fmt.Sprintf("%d acknowledged", st.ok.Load())
	})

	env.Kill(harness.Postgres)
	killed := st.ok.Load()
	// Down: each write is refused, or queued in the spool (202).
	harness.WaitFor(t, ackedWithin, "writes refused or queued while Postgres is down", func() (bool, string) {
		return st.failed.Load()+st.queued.Load() >= writers, fmt.Sprintf("%d refused, %d queued", st.failed.Load(), st.queued.Load())
	})
	env.StartContainer(harness.Postgres)
	harness.WaitFor(t, ackedWithin, "writes acknowledged again after Postgres is back", func() (bool, string) {
		return st.ok.Load() >= killed+minAcked, fmt.Sprintf("%d acknowledged, %d before the kill", st.ok.Load(), killed)
	})
	want := st.Stop()
	// The queued writes are applied before the list is read.
	harness.WaitFor(t, ackedWithin, "the spool drained", env.Mimo().SpoolPending(func(v float64) bool { return v == 0 }))
	seen := listContents(t, c, ns)
	missing, doubled := 0, 0
	for content, id := range want {
		if !assert.Equal(t, 1, seen[content], "acknowledged memory %s is there exactly once", id) {
			missing++
		}
	}
	for content, n := range seen {
		if !assert.Equal(t, 1, n, "%q stored once", content) {
			doubled++
		}
	}
	byCode := st.failures()
	for code := range byCode {
		assert.Contains(t, []string{mimo.EUNAVAILABLE}, code, "refused writes say the database is unavailable")
	}
	require.Positive(t, st.failed.Load()+st.queued.Load(), "Postgres's absence was seen")
	rec.Measure("acknowledged", float64(len(want)), "count")
	rec.Measure("refused_while_down", float64(st.failed.Load()), "count")
	rec.Measure("queued_while_down", float64(st.queued.Load()), "count")
	rec.Measure("acknowledged_missing", float64(missing), "count")
	rec.Measure("stored_twice", float64(doubled), "count")
	rec.Evidence("note", fmt.Sprintf("%d writes acknowledged (%d before the kill), %d refused with %v; after: %d missing, %d doubled, %d listed",
		len(want), killed, st.failed.Load(), byCode, missing, doubled, len(seen)))
}
