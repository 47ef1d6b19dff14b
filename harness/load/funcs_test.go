package load

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seen collects the iterations a Func was called with.
type seen struct {
	mu    sync.Mutex
	iters []Iteration
}

func (s *seen) fn(ctx context.Context, it *Iteration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.iters = append(s.iters, *it)
	return nil
}

func (s *seen) inTest() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int64, 0, len(s.iters))
	for _, it := range s.iters {
		out = append(out, it.InTest)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func scenarioOpts(name string, s Scenario) Options {
	return Options{Scenarios: map[string]*Scenario{name: &s}}
}

func TestRunFuncsZeroValueRunsOneIterationOnOneVU(t *testing.T) {
	var s seen
	res, err := RunFuncs(context.Background(), FuncTest{Funcs: map[string]Func{"default": s.fn}})
	require.NoError(t, err)
	require.Len(t, s.iters, 1)
	assert.Equal(t, Iteration{VU: 1, Iter: 0, InTest: 0, Scenario: "default", Tags: Tags{"scenario": "default"}}, stripReg(s.iters[0]))
	assert.Equal(t, int64(1), res.Completed)
	assert.Equal(t, 1.0, count(t, res, "iterations"))
	assert.Equal(t, ExitOK, res.ExitCode())
}

func stripReg(it Iteration) Iteration { it.reg = nil; return it }

func TestRunFuncsSharedIterationsNumbersEveryIterationOnce(t *testing.T) {
	var s seen
	opts := scenarioOpts("search", Scenario{Executor: SharedIterations, VUs: ptr(int64(4)), Iterations: ptr(int64(100))})
	res, err := RunFuncs(context.Background(), FuncTest{Options: opts, Funcs: map[string]Func{"default": s.fn}})
	require.NoError(t, err)
	want := make([]int64, 100)
	for i := range want {
		want[i] = int64(i)
	}
	assert.Equal(t, want, s.inTest(), "iterations 0..99, each once")
	vus := map[int64]bool{}
	for _, it := range s.iters {
		vus[it.VU] = true
		assert.Equal(t, "search", it.Scenario)
	}
	assert.Subset(t, []int64{1, 2, 3, 4}, keys(vus))
	assert.Equal(t, 100.0, count(t, res, "iterations"))
	assert.Equal(t, int64(100), res.Completed)
	assert.Nil(t, opts.Scenarios["search"].GracefulStop, "the caller's options are not changed")
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRunFuncsPerVUIterationsCountsEachVUsOwn(t *testing.T) {
	var s seen
	opts := scenarioOpts("s", Scenario{Executor: PerVUIterations, VUs: ptr(int64(3)), Iterations: ptr(int64(5))})
	_, err := RunFuncs(context.Background(), FuncTest{Options: opts, Funcs: map[string]Func{"default": s.fn}})
	require.NoError(t, err)
	perVU := map[int64][]int64{}
	for _, it := range s.iters {
		perVU[it.VU] = append(perVU[it.VU], it.Iter)
	}
	require.Len(t, perVU, 3)
	for vu, iters := range perVU {
		assert.Equal(t, []int64{0, 1, 2, 3, 4}, iters, "VU %d", vu)
	}
}

func TestRunFuncsConstantArrivalRateStartsIterationsAtTheRate(t *testing.T) {
	var s seen
	opts := scenarioOpts("s", Scenario{Executor: ConstantArrivalRate, Rate: 100, TimeUnit: Duration(time.Second),
		Duration: Duration(2 * time.Second), PreAllocatedVUs: ptr(int64(10))})
	res, err := RunFuncs(context.Background(), FuncTest{Options: opts, Funcs: map[string]Func{"default": s.fn}})
	require.NoError(t, err)
	assert.InEpsilon(t, 200, count(t, res, "iterations"), 0.02)
	assert.Zero(t, droppedCount(res), "10 VUs suffice for instant iterations")
}

func TestRunFuncsRunsEachScenariosFuncWithItsTags(t *testing.T) {
	var reads, writes seen
	opts := Options{
		Tags: map[string]string{"run": "r1"},
		Scenarios: map[string]*Scenario{
			"readers": {Executor: SharedIterations, Exec: "read", VUs: ptr(int64(2)), Iterations: ptr(int64(6)), Tags: map[string]string{"kind": "r"}},
			"writers": {Executor: PerVUIterations, Exec: "write", VUs: ptr(int64(1)), Iterations: ptr(int64(2))},
		},
		Thresholds: map[string][]ThresholdSpec{"iterations{scenario:readers}": {{Threshold: "count==6"}}},
	}
	res, err := RunFuncs(context.Background(), FuncTest{Options: opts, Funcs: map[string]Func{"read": reads.fn, "write": writes.fn}})
	require.NoError(t, err)
	assert.Len(t, reads.iters, 6)
	assert.Len(t, writes.iters, 2)
	assert.Equal(t, Tags{"run": "r1", "kind": "r", "scenario": "readers"}, reads.iters[0].Tags)
	assert.Equal(t, Tags{"run": "r1", "scenario": "writers"}, writes.iters[0].Tags)
	assert.False(t, res.Crossed, "the readers' sub-metric counted their six iterations")
}

func TestRunFuncsRecordsCustomMetricsAndCrossesThresholds(t *testing.T) {
	reg := NewRegistry()
	lat, err := reg.New("search_duration", Trend, Time)
	require.NoError(t, err)
	fn := func(ctx context.Context, it *Iteration) error {
		mode := "hybrid"
		if it.InTest%4 == 0 {
			mode = "lexical"
		}
		it.Record(lat, float64(10+it.InTest), Tags{"mode": mode})
		return nil
	}
	opts := Options{Iterations: ptr(int64(100)), VUs: ptr(int64(2)), Thresholds: map[string][]ThresholdSpec{
		"search_duration":               {{Threshold: "p(50)<40"}},
		"search_duration{mode:lexical}": {{Threshold: "min==10"}},
	}}
	res, err := RunFuncs(context.Background(), FuncTest{Options: opts, Funcs: map[string]Func{"default": fn}, Registry: reg})
	require.NoError(t, err)
	assert.Same(t, reg, res.Registry)
	med, _ := lat.Value("med", res.Duration)
	assert.InDelta(t, 59.5, med, 0.6, "values 10..109")
	assert.True(t, res.Crossed, "p(50) is near 60, not below 40")
	assert.Equal(t, ExitThresholdsFailed, res.ExitCode())
	for _, mt := range res.Thresholds.Metrics {
		if mt.Name == "search_duration{mode:lexical}" {
			assert.False(t, mt.List[0].Crossed(), "the lexical samples start at 10")
		}
	}
	var out bytes.Buffer
	require.NoError(t, WriteSummary(&out, res, SummaryOptions{NoColor: true}))
	assert.Contains(t, out.String(), "search_duration")
	assert.Contains(t, out.String(), "✗ 'p(50)<40'")
}

func TestRunFuncsLogsErrorsAndCountsTheIteration(t *testing.T) {
	var log bytes.Buffer
	fn := func(ctx context.Context, it *Iteration) error {
		if it.InTest == 1 {
			return errors.New("search failed: status 503")
		}
		return nil
	}
	res, err := RunFuncs(context.Background(), FuncTest{Options: Options{Iterations: ptr(int64(3))},
		Funcs: map[string]Func{"default": fn}, Log: &log})
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.Completed)
	assert.Contains(t, log.String(), `msg="search failed: status 503"`)
}

func TestRunFuncsGracefulStopEndsTheIterationsContext(t *testing.T) {
	fn := func(ctx context.Context, it *Iteration) error {
		<-ctx.Done() // a Func that waits for as long as it may
		return ctx.Err()
	}
	stop := Duration(0)
	opts := scenarioOpts("s", Scenario{Executor: ConstantVUs, VUs: ptr(int64(3)), Duration: Duration(100 * time.Millisecond), GracefulStop: &stop})
	res, err := RunFuncs(context.Background(), FuncTest{Options: opts, Funcs: map[string]Func{"default": fn}})
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.InterruptedIterations)
	assert.Zero(t, res.Completed)
	assert.False(t, res.Registry.Get("iterations").Observed())
}

func TestRunFuncsStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	fn := func(ctx context.Context, it *Iteration) error {
		if it.InTest == 10 {
			once.Do(cancel)
		}
		return nil
	}
	opts := Options{VUs: ptr(int64(2)), Duration: ptr(Duration(time.Hour))}
	res, err := RunFuncs(ctx, FuncTest{Options: opts, Funcs: map[string]Func{"default": fn}})
	require.NoError(t, err)
	assert.True(t, res.Interrupted)
	assert.Equal(t, ExitInterrupted, res.ExitCode())
	assert.GreaterOrEqual(t, res.Completed, int64(10))
}

func TestRunFuncsRefusesMissingFuncsAndInvalidOptions(t *testing.T) {
	var ce *ConfigError
	_, err := RunFuncs(context.Background(), FuncTest{})
	require.ErrorAs(t, err, &ce, "no default function")
	_, err = RunFuncs(context.Background(), FuncTest{Funcs: map[string]Func{"default": (&seen{}).fn},
		Options: scenarioOpts("s", Scenario{Executor: SharedIterations, VUs: ptr(int64(5)), Iterations: ptr(int64(2))})})
	require.ErrorAs(t, err, &ce, "fewer iterations than VUs")
	_, err = RunFuncs(context.Background(), FuncTest{Funcs: map[string]Func{"default": (&seen{}).fn},
		Options: Options{Thresholds: map[string][]ThresholdSpec{"iterations": {{Threshold: "bogus<1"}}}}})
	require.ErrorAs(t, err, &ce, "a threshold k6 would not parse")
}
