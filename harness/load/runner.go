package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// Exit codes, as k6 uses them.
const (
	ExitOK               = 0
	ExitThresholdsFailed = 99
	ExitInvalidConfig    = 104
	ExitInterrupted      = 105
	ExitScriptError      = 107
	ExitScriptAborted    = 108
)

// Config is what a run takes besides its script. The zero value runs the script with its
// own options, an empty __ENV, and logs discarded.
type Config struct {
	// Base are options below the script's own (k6's --config file); Over are options
	// above them (flags such as --vus and --duration).
	Base, Over Options
	// Env is __ENV; scenarios' env entries are added over it.
	Env map[string]string
	// Log receives console output and script errors, one line each; nil discards them.
	Log io.Writer
	// Outputs receive every sample (--out).
	Outputs []Output
	// Progress, when set, is called about once a second with the run's progress.
	Progress func(Progress)
	// Start, when set, is called with the scenarios, sorted by name, once the options are
	// known and before any VU is made (for a start-up banner).
	Start func([]*Scenario)
}

// Progress is a snapshot of a running test, for a live progress line.
type Progress struct {
	Elapsed                time.Duration
	ActiveVUs, MaxVUs      int64
	Completed, Interrupted int64
}

// testRun is one execution of a script: its options, metrics, VUs and what they did.
type testRun struct {
	script *Script
	cfg    Config
	opts   Options
	reg    *Registry
	env    map[string]string
	ctx    context.Context

	builtin builtinSet
	checks  *groupTree

	logMu sync.Mutex

	setupJSON string // setup()'s result as JSON; "" when there is none

	completed, interrupted atomic.Int64
	activeVUs, maxVUs      atomic.Int64
	peakVUs                atomic.Int64 // the most VUs active at once
	freeVUs                chan execVU
	// makeVU initialises VU number id (a script's, or a Go function's).
	makeVU func(id int64) (execVU, error)

	// abort ends the run early (exec.test.abort, abortOnFail); started is when the
	// scenarios began; scenarios holds each scenario's start and iteration counter.
	abort     context.CancelCauseFunc
	started   time.Time
	scenarios map[string]*scenarioState
}

// scenarioState is what the run tracks of one scenario while it goes.
type scenarioState struct {
	start atomic.Int64 // Unix milliseconds; 0 before it starts
	iters atomic.Int64
}

// scenarioIteration returns the scenario-wide number of a new iteration (from 0).
func (r *testRun) scenarioIteration(name string) int64 {
	if st := r.scenarios[name]; st != nil {
		return st.iters.Add(1) - 1
	}
	return 0
}

// scenarioStart is when the scenario started (the zero time before).
func (r *testRun) scenarioStart(name string) time.Time {
	if st := r.scenarios[name]; st != nil && st.start.Load() != 0 {
		return time.UnixMilli(st.start.Load())
	}
	return time.Time{}
}

type builtinSet struct {
	vus, vusMax, iterations, iterationDuration, dropped, dataSent, dataReceived,
	checks, groupDuration, httpReqs, httpReqDuration, httpReqFailed, httpReqBlocked,
	httpReqConnecting, httpReqTLS, httpReqSending, httpReqWaiting, httpReqReceiving *Metric
}

// Result is what a run ends with.
type Result struct {
	Options    Options
	Registry   *Registry
	Thresholds *Thresholds
	Checks     *Group // the root of the group tree, with every check's passes and fails
	// Duration is the time from the first scenario's start to the last one's end.
	Duration time.Duration
	// Crossed: a threshold failed. Aborted: one with abortOnFail stopped the test.
	// Interrupted: the caller's context was cancelled (Ctrl-C) before the end.
	// ScriptAborted: the script called exec.test.abort().
	Crossed, Aborted, Interrupted, ScriptAborted bool
	Completed, InterruptedIterations             int64
}

// ExitCode is the code k6 would exit with: 0, 99 for a crossed threshold, 105 when
// interrupted from outside, 108 when the script called exec.test.abort().
func (r *Result) ExitCode() int {
	switch {
	case r.ScriptAborted:
		return ExitScriptAborted
	case r.Crossed:
		return ExitThresholdsFailed
	case r.Interrupted:
		return ExitInterrupted
	}
	return ExitOK
}

// ConfigError is an invalid option; k6 exits 104 on it.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Execute runs the script: the init context (once to read options, then once per VU),
// setup, every scenario, teardown. Errors are *ScriptError (exit 107) or *ConfigError
// (exit 104); a run that started returns its Result even when ctx is cancelled.
func Execute(ctx context.Context, script *Script, cfg Config) (*Result, error) {
	r := &testRun{script: script, cfg: cfg, reg: NewRegistry(), env: cfg.Env, ctx: ctx, checks: newGroupTree(), opts: cfg.Base}
	if r.env == nil {
		r.env = map[string]string{}
	}
	r.bindBuiltins()
	for _, o := range cfg.Outputs {
		r.reg.AddOutput(o)
	}

	vu0, err := newVU(r, 0)
	if err != nil {
		return nil, err
	}
	var scriptOpts Options
	if o := vu0.exports.Get("options"); o != nil && !goja.IsUndefined(o) {
		b, err := json.Marshal(o.Export())
		if err == nil {
			err = json.Unmarshal(b, &scriptOpts)
		}
		if err != nil {
			return nil, &ConfigError{fmt.Errorf("options: %w", err)}
		}
	}
	r.opts = cfg.Base.Apply(scriptOpts).Apply(cfg.Over)
	vu0.http = newHTTPClient(r)
	scenarios, err := r.opts.scenarios()
	if err != nil {
		return nil, &ConfigError{err}
	}
	for _, s := range scenarios {
		if _, ok := goja.AssertFunction(vu0.exports.Get(s.Exec)); !ok {
			return nil, &ConfigError{fmt.Errorf("scenario %q: the script exports no function %q", s.Name, s.Exec)}
		}
	}
	thresholds, err := newThresholds(r.reg, r.opts.Thresholds)
	if err != nil {
		return nil, &ConfigError{err}
	}
	if cfg.Start != nil {
		cfg.Start(sortedScenarios(scenarios))
	}
	for _, o := range cfg.Outputs {
		if ts, ok := o.(interface{ SetThresholds(map[string][]string) }); ok {
			ts.SetThresholds(thresholds.sources())
		}
	}

	r.makeVU = func(id int64) (execVU, error) {
		vu, err := newVU(r, id)
		if err != nil {
			return nil, err
		}
		return vu, nil
	}
	if err := r.allocateVUs(scenarios); err != nil {
		return nil, err
	}

	if err := r.setup(vu0); err != nil {
		return nil, err
	}

	res := r.runScenarios(ctx, scenarios, thresholds)
	if err := r.teardown(vu0); err != nil {
		return nil, err
	}
	r.finish(res)
	return res, nil
}

// allocateVUs initialises every VU the scenarios start with (more may be made later for
// arrival-rate scenarios, up to their maxVUs).
func (r *testRun) allocateVUs(scenarios map[string]*Scenario) error {
	var total int64
	for _, s := range scenarios {
		total += s.preAllocated()
	}
	r.freeVUs = make(chan execVU, total+1)
	for i := int64(0); i < total; i++ {
		vu, err := r.newVU()
		if err != nil {
			return err
		}
		r.freeVUs <- vu
	}
	return nil
}

// runScenarios runs every scenario at once, with the watch beside them (vus samples,
// progress, abortOnFail thresholds), and returns the run's Result so far.
func (r *testRun) runScenarios(ctx context.Context, scenarios map[string]*Scenario, thresholds *Thresholds) *Result {
	res := &Result{Registry: r.reg, Thresholds: thresholds}
	r.scenarios = map[string]*scenarioState{}
	for name := range scenarios {
		r.scenarios[name] = &scenarioState{}
	}
	runCtx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	r.abort = abort
	start := time.Now()
	r.started = start
	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		r.watch(start, done, thresholds, abort, &res.Aborted)
	}()

	var wg sync.WaitGroup
	for _, s := range sortedScenarios(scenarios) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runScenario(runCtx, s)
		}()
	}
	wg.Wait()
	res.Duration = time.Since(start)
	close(done)
	bg.Wait()
	res.Interrupted = ctx.Err() != nil
	res.ScriptAborted = errors.Is(context.Cause(runCtx), errScriptAbort)
	return res
}

// finish evaluates the thresholds over the whole run and completes res.
func (r *testRun) finish(res *Result) {
	res.Crossed, _ = res.Thresholds.evaluate(res.Duration)
	res.Options = r.opts
	res.Checks = r.checks.Root()
	res.Completed, res.InterruptedIterations = r.completed.Load(), r.interrupted.Load()
}

func sortedScenarios(m map[string]*Scenario) []*Scenario {
	out := make([]*Scenario, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r *testRun) bindBuiltins() {
	g := r.reg.Get
	r.builtin = builtinSet{
		vus: g("vus"), vusMax: g("vus_max"), iterations: g("iterations"),
		iterationDuration: g("iteration_duration"), dropped: g("dropped_iterations"),
		dataSent: g("data_sent"), dataReceived: g("data_received"), checks: g("checks"),
		groupDuration: g("group_duration"), httpReqs: g("http_reqs"),
		httpReqDuration: g("http_req_duration"), httpReqFailed: g("http_req_failed"),
		httpReqBlocked: g("http_req_blocked"), httpReqConnecting: g("http_req_connecting"),
		httpReqTLS: g("http_req_tls_handshaking"), httpReqSending: g("http_req_sending"),
		httpReqWaiting: g("http_req_waiting"), httpReqReceiving: g("http_req_receiving"),
	}
	// k6 shows the durations of expected responses as a sub-metric of their own.
	_, _ = r.reg.Submetric("http_req_duration{expected_response:true}")
}

// newVU initialises one more VU (counted in vus_max).
func (r *testRun) newVU() (execVU, error) {
	vu, err := r.makeVU(r.maxVUs.Add(1))
	if err != nil {
		r.maxVUs.Add(-1)
		return nil, err
	}
	return vu, nil
}

// logf writes one log line (console output, script errors).
func (r *testRun) logf(format string, args ...any) {
	if r.cfg.Log == nil {
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(r.cfg.Log, "time=%q "+format+"\n", append([]any{time.Now().Format(time.RFC3339)}, args...)...)
}

// setup runs the script's setup() in vu0, within setupTimeout, and keeps its result as
// JSON: like k6, every VU gets its own copy of the data, decoded from that JSON.
func (r *testRun) setup(vu0 *VU) error {
	fn, ok := goja.AssertFunction(vu0.exports.Get("setup"))
	if !ok {
		return nil
	}
	v, err := r.callLifecycle(vu0, fn, r.opts.setupTimeout(), "setup", goja.Undefined())
	if err != nil {
		return err
	}
	if v == nil || goja.IsUndefined(v) {
		return nil
	}
	b, err := json.Marshal(v.Export())
	if err != nil {
		return &ScriptError{Msg: fmt.Sprintf("setup() returned data that is not JSON: %v", err)}
	}
	r.setupJSON = string(b)
	return nil
}

func (r *testRun) teardown(vu0 *VU) error {
	fn, ok := goja.AssertFunction(vu0.exports.Get("teardown"))
	if !ok {
		return nil
	}
	data, err := r.setupValue(vu0.rt)
	if err != nil {
		return err
	}
	_, err = r.callLifecycle(vu0, fn, r.opts.teardownTimeout(), "teardown", data)
	return err
}

// callLifecycle calls setup or teardown, interrupting it after timeout.
func (r *testRun) callLifecycle(vu *VU, fn goja.Callable, timeout time.Duration, name string, arg goja.Value) (goja.Value, error) {
	// Lifecycle functions run to completion even after Ctrl-C (k6 runs teardown then).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), timeout)
	defer cancel()
	vu.ctx = ctx
	vu.baseTags = Tags(r.opts.Tags).with()
	vu.setGroup("::" + name)
	stop := context.AfterFunc(ctx, func() { vu.rt.Interrupt(fmt.Errorf("%s() timed out after %s", name, timeout)) })
	v, err := fn(goja.Undefined(), arg)
	stop()
	vu.rt.ClearInterrupt()
	if ctx.Err() != nil {
		// Cut short even if the script did not notice (sleep returns early then).
		return nil, &ScriptError{Msg: fmt.Sprintf("%s() timed out after %s", name, timeout)}
	}
	if err != nil {
		return nil, &ScriptError{Msg: jsError(err)}
	}
	return v, nil
}

// setupValue decodes setup()'s data for one runtime.
func (r *testRun) setupValue(rt *goja.Runtime) (goja.Value, error) {
	if r.setupJSON == "" {
		return goja.Undefined(), nil
	}
	var v any
	if err := json.Unmarshal([]byte(r.setupJSON), &v); err != nil {
		return nil, err
	}
	return rt.ToValue(v), nil
}

// watch samples vus and vus_max every second, reports progress, and evaluates the
// thresholds every two seconds (as k6 does) to abort the run on an abortOnFail one.
func (r *testRun) watch(start time.Time, done <-chan struct{}, ts *Thresholds, abort context.CancelCauseFunc, aborted *bool) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-done:
			if n == 1 {
				// A run shorter than a second still reports its VUs once: the most active.
				r.reg.Push(
					Sample{Metric: r.builtin.vus, Time: time.Now(), Value: float64(r.peakVUs.Load()), Tags: Tags{}},
					Sample{Metric: r.builtin.vusMax, Time: time.Now(), Value: float64(r.maxVUs.Load()), Tags: Tags{}},
				)
			}
			return
		case now := <-tick.C:
			r.sampleVUs(now)
			if r.cfg.Progress != nil {
				r.cfg.Progress(Progress{Elapsed: now.Sub(start), ActiveVUs: r.activeVUs.Load(), MaxVUs: r.maxVUs.Load(),
					Completed: r.completed.Load(), Interrupted: r.interrupted.Load()})
			}
			if n%2 == 0 {
				if _, ab := ts.evaluate(now.Sub(start)); ab {
					*aborted = true
					r.logf("level=error msg=%q", "a threshold with abortOnFail was crossed; stopping the test")
					abort(errThresholdAbort)
					return
				}
			}
		}
	}
}

func (r *testRun) sampleVUs(now time.Time) {
	r.reg.Push(
		Sample{Metric: r.builtin.vus, Time: now, Value: float64(r.activeVUs.Load()), Tags: Tags{}},
		Sample{Metric: r.builtin.vusMax, Time: now, Value: float64(r.maxVUs.Load()), Tags: Tags{}},
	)
}

// errThresholdAbort is the cause a run is cancelled with by an abortOnFail threshold.
var errThresholdAbort = errors.New("a threshold with abortOnFail was crossed")

// vuStarted counts a VU becoming active, keeping the peak.
func (r *testRun) vuStarted() {
	n := r.activeVUs.Add(1)
	for {
		p := r.peakVUs.Load()
		if n <= p || r.peakVUs.CompareAndSwap(p, n) {
			return
		}
	}
}
