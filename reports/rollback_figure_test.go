package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"mimo/harness/record"
)

func TestRollbackFigureShowsTheLongestRollbackOrTheStepsAddedUp(t *testing.T) {
	drill := func(m map[string]record.Measurement) record.Result {
		return record.Result{Verdict: record.Pass, Scenario: "TestRollback", Measurements: m}
	}
	withTotals := []record.Result{
		drill(map[string]record.Measurement{"migrate_down_s": {Value: 1.4, Unit: "s"}, "rollback_total_s": {Value: 2.2, Unit: "s"}}),
		drill(map[string]record.Measurement{"migrate_down_s": {Value: 1.6, Unit: "s"}, "rollback_total_s": {Value: 2.4, Unit: "s"}}),
	}
	fig, measured, fail := rollbackFigure(withTotals)
	assert.True(t, measured)
	assert.Empty(t, fail)
	assert.Contains(t, fig, "rolled back and serving in 2.4 s at most", "the longest total, not the steps added to it")

	stepsOnly := []record.Result{drill(map[string]record.Measurement{
		"migrate_down": {Value: 1.5, Unit: "s"}, "smoke": {Value: 500, Unit: "ms"}, "memories": {Value: 20, Unit: "count"},
	})}
	fig, _, _ = rollbackFigure(stepsOnly)
	assert.Contains(t, fig, "2 timed steps, 2.0 s in all", "seconds and milliseconds added, counts left out")
}
