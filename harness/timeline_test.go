package harness

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/record"
	mimo "mimo/system"
)

func TestTimelineRecordsActionsExpectationsWatchesAndTimes(t *testing.T) {
	t.Setenv(record.EnvResultsDir, t.TempDir())
	var state atomic.Int64 // what the fake Mimo's gauge says
	m := fakeMimo(t,
		func() string {
			return fmt.Sprintf("# TYPE mimo_circuit_breaker_state gauge\nmimo_circuit_breaker_state{service=\"llm\"} %d\n", state.Load())
		},
		func() (int, string) { return http.StatusOK, `{}` })

	var res record.Result
	var text string
	t.Run("scenario", func(t *testing.T) {
		rec := record.New(t, "a timeline")
		var tl *Timeline
		// Registered before the timeline's own cleanup, so it runs after.
		t.Cleanup(func() { res, text = rec.Result(), tl.String() })
		tl = NewTimeline(t, rec)
		tl.WatchCircuit(m, "llm")
		tl.Expect("the watcher sees closed", time.Minute, func() (bool, string) {
			return strings.Contains(tl.String(), "breaker_llm closed"), tl.String()
		})
		tl.Do("open the circuit", func() { state.Store(int64(mimo.CircuitOpen)) })
		tl.ExpectBy("the watcher sees open", tl.Since()+time.Minute, func() (bool, string) {
			return strings.Contains(tl.String(), "breaker_llm open"), tl.String()
		})
		var ran atomic.Int64
		tl.Concurrently("three at once", 3, func(i int) { ran.Add(int64(i + 1)) })
		assert.Equal(t, int64(6), ran.Load(), "f(0), f(1) and f(2), all done when it returns")
		require.NoError(t, tl.Time("ask", func() error { return nil }))
		err := tl.Time("ask", func() error { return mimo.Errorf(mimo.EUNAVAILABLE, "down") })
		require.Error(t, err)
	})

	assert.Equal(t, []string{"open the circuit", "three at once"}, labels(res.Series["actions"]))
	assert.Equal(t, 1.0, res.Series["actions"][0].V, "the first action")
	exp := res.Series["expectations"]
	require.Len(t, exp, 2)
	assert.Equal(t, 1.0, exp[0].V, "met")
	assert.Contains(t, exp[0].Label, "the watcher sees closed (by t=")
	assert.Equal(t, []string{"closed", "open"}, labels(res.Series["breaker_llm"]), "a point per change, not per sample")
	assert.Equal(t, []float64{0, 2}, values(res.Series["breaker_llm"]))
	assert.Equal(t, []string{"ok", mimo.EUNAVAILABLE}, labels(res.Series["ask"]))
	assert.Equal(t, []string{mimo.EUNAVAILABLE}, labels(res.Series["errors"]))
	require.NotEmpty(t, res.Evidence)
	last := res.Evidence[len(res.Evidence)-1]
	assert.Equal(t, "timeline", last.Kind)
	assert.Equal(t, text, last.Text)
	assert.Regexp(t, `(?m)^t=\d+\.\d{3}s +do +open the circuit$`, text)
	assert.Regexp(t, `(?m)^t=\d+\.\d{3}s +met +the watcher sees open \(by t=`, text)
}

func TestTimelineRecordsAMissedExpectation(t *testing.T) {
	t.Setenv(record.EnvResultsDir, t.TempDir())
	ft := &fatalT{TB: t}
	rec := record.New(t, "a timeline that misses")
	tl := NewTimeline(ft, rec)
	tl.Expect("never", 100*time.Millisecond, func() (bool, string) { return false, "still not" })
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], "never (by t=")
	assert.Contains(t, ft.fatal[0], "last: still not")

	tl.finish()
	exp := rec.Result().Series["expectations"]
	require.Len(t, exp, 1)
	assert.Equal(t, 0.0, exp[0].V, "missed")
	assert.Contains(t, tl.String(), "miss never (by t=")
	assert.NotContains(t, tl.String(), " met ")
}

func TestWatchSpoolRecordsTheBacklogAsItChanges(t *testing.T) {
	t.Setenv(record.EnvResultsDir, t.TempDir())
	var pending atomic.Int64
	m := fakeMimo(t,
		func() string {
			return fmt.Sprintf("# TYPE mimo_spool_pending gauge\nmimo_spool_pending %d\n", pending.Load())
		},
		func() (int, string) { return http.StatusOK, `{}` })
	var res record.Result
	t.Run("scenario", func(t *testing.T) {
		rec := record.New(t, "a spool watched")
		t.Cleanup(func() { res = rec.Result() })
		tl := NewTimeline(t, rec)
		tl.WatchSpool(m)
		seen := func(v string) func() (bool, string) {
			return func() (bool, string) {
				return strings.Contains(tl.String(), "spool_pending  ("+v+")"), tl.String()
			}
		}
		tl.Expect("the watcher sees 0", time.Minute, seen("0"))
		tl.Do("queue three writes", func() { pending.Store(3) })
		tl.Expect("the watcher sees 3", time.Minute, seen("3"))
		tl.Expect("the condition holds", time.Minute, m.SpoolPending(func(v float64) bool { return v == 3 }))
		tl.Do("replay them", func() { pending.Store(0) })
		tl.Expect("the watcher sees 0 again", time.Minute, func() (bool, string) {
			return strings.Count(tl.String(), "spool_pending  (0)") == 2, tl.String()
		})
	})
	assert.Equal(t, []float64{0, 3, 0}, values(res.Series["spool_pending"]), "a point per change")
}

func labels(ps []record.Point) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Label)
	}
	return out
}

func values(ps []record.Point) []float64 {
	out := []float64{}
	for _, p := range ps {
		out = append(out, p.V)
	}
	return out
}
