package load

import (
	"context"
	"fmt"
	"io"
	"maps"
	"time"
)

// Func is one iteration of a test written in Go: what a script's exported function is to
// a script. ctx ends when the iteration must stop — its scenario's gracefulStop has
// passed, or the run was cancelled — and the Func must then return soon: unlike a
// script's function, it cannot be interrupted from outside. A returned error is logged
// and ends only this iteration, which still counts as completed, as an exception thrown
// by a script's function does.
type Func func(ctx context.Context, it *Iteration) error

// Iteration is what a Func knows of the iteration it runs. It is valid for the length of
// the call.
type Iteration struct {
	// VU is the number of the VU running it, from 1 (a script's __VU).
	VU int64
	// Iter is how many iterations this VU started before this one (__ITER).
	Iter int64
	// InTest is the iteration's number within its scenario, from 0 across all its VUs
	// (k6/execution's scenario.iterationInTest): the shared-iterations executor numbers
	// its iterations 0 to iterations−1, each once.
	InTest int64
	// Scenario is the name of the scenario it belongs to.
	Scenario string
	// Tags are the tags its samples carry: options.tags, the scenario's tags and
	// scenario=name. They must not be changed.
	Tags Tags

	reg *Registry
}

// Record pushes a sample of m, taken now, tagged with the iteration's tags and extra
// (nil for none). Values of Time metrics are milliseconds; see Sample.
func (it *Iteration) Record(m *Metric, value float64, extra Tags) {
	tags := it.Tags
	if len(extra) > 0 {
		tags = it.Tags.with()
		maps.Copy(tags, extra)
	}
	it.reg.Push(Sample{Metric: m, Time: time.Now(), Value: value, Tags: tags})
}

// FuncTest is a test written in Go: functions in the place of a script, run by the same
// executors and measured by the same metrics. With a "default" function, the zero value
// of every other field runs one iteration on one VU, as k6 runs a script without options.
type FuncTest struct {
	// Options are what a script's options would be: scenarios (each one's Exec names an
	// entry of Funcs) or the vus, duration, iterations and stages shortcuts; thresholds;
	// tags; summaryTrendStats. The options about HTTP, setup and teardown have no effect.
	// RunFuncs does not change them.
	Options Options
	// Funcs are the functions the scenarios run, by the name in their Exec ("default"
	// when a scenario sets none).
	Funcs map[string]Func
	// Registry holds the run's metrics; nil means a new one. Make custom metrics in it
	// with Registry.New before the run for the Funcs to record into (Iteration.Record).
	// It must come from NewRegistry.
	Registry *Registry
	// Log receives the errors Funcs return, one line each; nil discards them.
	Log io.Writer
	// Outputs receive every sample (as --out does).
	Outputs []Output
	// Progress, when set, is called about once a second with the run's progress.
	Progress func(Progress)
}

// RunFuncs runs the test: every scenario at once with its executor, each iteration a call
// of the scenario's Func on the goroutine of the VU running it. It records iterations,
// iteration_duration, vus, vus_max and dropped_iterations as a script's run does,
// evaluates the thresholds (stopping the test early for one with abortOnFail), and
// returns the Result, which WriteSummary prints and whose ExitCode is k6's. Cancelling
// ctx ends every iteration's context and returns what was measured, with Interrupted
// set. Invalid options, or a scenario whose Func is missing, are a *ConfigError.
func RunFuncs(ctx context.Context, t FuncTest) (*Result, error) {
	reg := t.Registry
	if reg == nil {
		reg = NewRegistry()
	}
	opts := t.Options
	// scenarios() fills the scenarios' defaults in place: on copies, not the caller's.
	if opts.Scenarios != nil {
		opts.Scenarios = make(map[string]*Scenario, len(t.Options.Scenarios))
		for name, s := range t.Options.Scenarios {
			c := *s
			opts.Scenarios[name] = &c
		}
	}
	r := &testRun{cfg: Config{Log: t.Log, Outputs: t.Outputs, Progress: t.Progress}, reg: reg,
		env: map[string]string{}, ctx: ctx, checks: newGroupTree(), opts: opts}
	r.bindBuiltins()
	for _, o := range t.Outputs {
		reg.AddOutput(o)
	}
	scenarios, err := opts.scenarios()
	if err != nil {
		return nil, &ConfigError{err}
	}
	for _, s := range scenarios {
		if t.Funcs[s.Exec] == nil {
			return nil, &ConfigError{fmt.Errorf("scenario %q: no function %q", s.Name, s.Exec)}
		}
	}
	thresholds, err := newThresholds(reg, opts.Thresholds)
	if err != nil {
		return nil, &ConfigError{err}
	}
	r.makeVU = func(id int64) (execVU, error) { return &funcVU{id: id, run: r, funcs: t.Funcs}, nil }
	if err := r.allocateVUs(scenarios); err != nil {
		return nil, err
	}
	res := r.runScenarios(ctx, scenarios, thresholds)
	r.finish(res)
	return res, nil
}

// funcVU is a VU of a FuncTest: no runtime, just the function its scenario runs.
type funcVU struct {
	id       int64
	run      *testRun
	funcs    map[string]Func
	scenario *Scenario
	fn       Func
	tags     Tags
	iter     int64
}

func (v *funcVU) activate(s *Scenario) error {
	if v.scenario == s {
		return nil
	}
	fn := v.funcs[s.Exec]
	if fn == nil {
		return fmt.Errorf("scenario %q: no function %q", s.Name, s.Exec)
	}
	v.scenario, v.fn = s, fn
	v.tags = Tags(v.run.opts.Tags).with()
	maps.Copy(v.tags, s.Tags)
	v.tags["scenario"] = s.Name
	return nil
}

func (v *funcVU) iterate(ctx context.Context) bool {
	it := Iteration{VU: v.id, Iter: v.iter, InTest: v.run.scenarioIteration(v.scenario.Name),
		Scenario: v.scenario.Name, Tags: v.tags, reg: v.run.reg}
	v.iter++
	start := time.Now()
	err := v.fn(ctx, &it)
	end := time.Now()
	if ctx.Err() != nil {
		v.run.interrupted.Add(1)
		return false
	}
	if err != nil {
		v.run.logf("level=error msg=%q vu=%d iter=%d scenario=%s", err.Error(), v.id, it.Iter, it.Scenario)
	}
	v.run.completed.Add(1)
	b := v.run.builtin
	v.run.reg.Push(
		Sample{Metric: b.iterations, Time: end, Value: 1, Tags: v.tags},
		Sample{Metric: b.iterationDuration, Time: end, Value: ms(end.Sub(start)), Tags: v.tags},
	)
	return true
}
