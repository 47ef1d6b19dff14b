package load

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// Module makes a JavaScript module's exports for one VU. The returned object's own
// properties are the named exports; "default" is the object itself unless it sets one.
type Module func(vu *VU) (*goja.Object, error)

var (
	modulesMu sync.RWMutex
	modules   = map[string]Module{}
)

// RegisterModule makes name (e.g. "k6/x/mimo") importable by scripts, as k6's
// modules.Register does for extensions. Registering a name twice panics.
func RegisterModule(name string, m Module) {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if _, dup := modules[name]; dup {
		panic("load: module " + name + " registered twice")
	}
	modules[name] = m
}

func init() {
	RegisterModule("k6", k6Module)
	RegisterModule("k6/http", httpModule)
	RegisterModule("k6/metrics", metricsModule)
	RegisterModule("k6/execution", executionModule)
}

// errInterrupted is what a VU's runtime is interrupted with when its iteration's time is up.
var errInterrupted = errors.New("iteration interrupted")

// VU is one virtual user: its own JavaScript runtime with the script evaluated in it, its
// own HTTP connections, and what it is doing now. A VU runs on one goroutine at a time.
type VU struct {
	ID  int64 // __VU: 1.., or 0 for the VU that reads options and runs setup and teardown
	run *testRun
	rt  *goja.Runtime

	exports *goja.Object
	modules map[string]*goja.Object
	inInit  bool

	ctx  context.Context // the current iteration's (or setup's) context
	iter int64           // iterations this VU has started (__ITER of the next)
	// curIter is __ITER, unless the script assigned it iterSet.
	curIter int64
	iterSet goja.Value
	// iterInScenario counts the iterations this VU started in its current scenario;
	// iterInTest is the scenario-wide number of the current one.
	iterInScenario, iterInTest int64
	scenario                   *Scenario
	baseTags                   Tags   // options.tags + scenario tags + scenario name
	tags                       Tags   // baseTags + group
	group                      string // "" at the root, "::a::b" inside groups a then b
	setupData                  goja.Value
	args                       []goja.Value  // {setupData}
	fn                         goja.Callable // the scenario's exec function in this VU's runtime
	http                       *httpClient
	lastURL                    string   // the URL last parsed for a request,
	lastParsed                 *url.URL // and what it parsed to

	// iterParent is the context iterate was last given, iterChild the VU's own child of it;
	// running says whether an iteration runs, under intr.
	iterParent, iterChild context.Context
	iterCancel            context.CancelFunc
	intr                  sync.Mutex
	running               bool
}

// Runtime is the VU's JavaScript runtime (for modules).
func (vu *VU) Runtime() *goja.Runtime { return vu.rt }

// Context is cancelled when the VU's current iteration must stop (for modules' I/O).
func (vu *VU) Context() context.Context { return vu.ctx }

// Registry is the run's metrics (for modules that record their own).
func (vu *VU) Registry() *Registry { return vu.run.reg }

// Tags are the tags samples taken now carry (scenario, group, the script's own).
func (vu *VU) Tags() Tags { return vu.tags }

// InInit says whether the VU is evaluating the script's init context.
func (vu *VU) InInit() bool { return vu.inInit }

// newVU makes a runtime and evaluates the script's init context in it.
func newVU(run *testRun, id int64) (*VU, error) {
	vu := &VU{ID: id, run: run, rt: goja.New(), modules: map[string]*goja.Object{}, inInit: true, ctx: run.ctx}
	vu.rt.SetFieldNameMapper(goja.TagFieldNameMapper("js", true))
	vu.http = newHTTPClient(run)
	vu.baseTags = Tags(run.opts.Tags).with()
	vu.setGroup("")
	g := vu.rt.GlobalObject()
	for k, v := range map[string]any{
		"__VU":  id,
		"__ENV": maps.Clone(run.env), // a VU's own: scripts may write to it
		"open":  vu.open,
		// CommonJS-style scripts (k6 accepts them too) load modules with require.
		"require": func(spec string) (*goja.Object, error) { return vu.require(run.script.Path, spec) },
		"console": vu.console(),
	} {
		if err := g.Set(k, v); err != nil {
			return nil, err
		}
	}
	// __ITER is read through a getter rather than set before every iteration, which cost
	// more than most scripts' reads of it. A script may still assign it, as a plain global;
	// the value lasts until the next iteration.
	iterGet := func(goja.FunctionCall) goja.Value {
		if vu.iterSet != nil {
			return vu.iterSet
		}
		return vu.rt.ToValue(vu.curIter)
	}
	iterSet := func(c goja.FunctionCall) goja.Value { vu.iterSet = c.Argument(0); return goja.Undefined() }
	if err := g.DefineAccessorProperty("__ITER", vu.rt.ToValue(iterGet), vu.rt.ToValue(iterSet), goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
		return nil, err
	}
	prog := run.script.programs[run.script.Path]
	exports, err := vu.evalModule(run.script.Path, prog)
	if err != nil {
		return nil, &ScriptError{Msg: jsError(err)}
	}
	vu.exports = exports
	vu.inInit = false
	return vu, nil
}

// evalModule runs a compiled module and returns its exports.
func (vu *VU) evalModule(name string, prog *goja.Program) (*goja.Object, error) {
	wrapper, err := vu.rt.RunProgram(prog)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(wrapper)
	if !ok {
		return nil, fmt.Errorf("%s: module did not compile to a function", name)
	}
	exports := vu.rt.NewObject()
	module := vu.rt.NewObject()
	_ = module.Set("exports", exports)
	require := func(spec string) (*goja.Object, error) { return vu.require(name, spec) }
	if _, err := fn(goja.Undefined(), exports, vu.rt.ToValue(require), exports, module); err != nil {
		return nil, err
	}
	if o, ok := module.Get("exports").(*goja.Object); ok && o != exports {
		return o, nil // module.exports = {...}
	}
	return exports, nil
}

// require resolves an import: a registered module, or a file relative to the importer.
func (vu *VU) require(from, spec string) (*goja.Object, error) {
	if o, ok := vu.modules[spec]; ok {
		return o, nil
	}
	modulesMu.RLock()
	m, ok := modules[spec]
	modulesMu.RUnlock()
	var o *goja.Object
	switch {
	case ok:
		var err error
		if o, err = m(vu); err != nil {
			return nil, err
		}
		if d := o.Get("default"); d == nil || goja.IsUndefined(d) {
			_ = o.Set("default", o)
		}
		vu.modules[spec] = o
	case strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || strings.HasPrefix(spec, "/"):
		name, prog, err := vu.run.script.localModule(from, spec)
		if err != nil {
			return nil, err
		}
		if o, ok := vu.modules[name]; ok {
			return o, nil
		}
		if o, err = vu.evalModule(name, prog); err != nil {
			return nil, err
		}
		vu.modules[name] = o
	default:
		return nil, fmt.Errorf("unknown module %q: this runner provides k6, k6/http, k6/metrics and registered extensions", spec)
	}
	return o, nil
}

// open is the init-context global open(path[, "b"]): the file as a string, or as an
// ArrayBuffer with "b".
func (vu *VU) open(path string, mode string) (goja.Value, error) {
	if !vu.inInit {
		return nil, errors.New("open() can only be called in the init context")
	}
	b, err := vu.run.script.readFile(path)
	if err != nil {
		return nil, err
	}
	if mode == "b" {
		return vu.rt.ToValue(vu.rt.NewArrayBuffer(append([]byte(nil), b...))), nil
	}
	return vu.rt.ToValue(string(b)), nil
}

func (vu *VU) console() map[string]any {
	logf := func(level string) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			parts := make([]string, len(c.Arguments))
			for i, a := range c.Arguments {
				parts[i] = a.String()
			}
			vu.run.logf("level=%s msg=%q source=console vu=%d", level, strings.Join(parts, " "), vu.ID)
			return goja.Undefined()
		}
	}
	return map[string]any{"log": logf("info"), "info": logf("info"), "warn": logf("warning"),
		"error": logf("error"), "debug": logf("debug")}
}

// setGroup enters the group path and recomputes the tags samples carry.
func (vu *VU) setGroup(path string) {
	vu.group = path
	vu.tags = vu.baseTags.with("group", path)
}

// activate prepares the VU to run iterations of a scenario: its tags, its __ENV, and the
// function it runs.
func (vu *VU) activate(s *Scenario) error {
	if vu.scenario == s {
		return nil
	}
	vu.scenario = s
	vu.iterInScenario = 0
	vu.baseTags = Tags(vu.run.opts.Tags).with()
	maps.Copy(vu.baseTags, s.Tags)
	vu.baseTags["scenario"] = s.Name
	vu.setGroup("")
	env := maps.Clone(vu.run.env)
	maps.Copy(env, s.Env)
	if err := vu.rt.Set("__ENV", env); err != nil {
		return err
	}
	if vu.setupData == nil {
		data, err := vu.run.setupValue(vu.rt)
		if err != nil {
			return err
		}
		vu.setupData = data
		vu.args = []goja.Value{data} // made once: a call's variadic arguments would be made every time
	}
	fn, ok := goja.AssertFunction(vu.exports.Get(s.Exec))
	if !ok {
		return fmt.Errorf("scenario %q: the script exports no function %q", s.Name, s.Exec)
	}
	vu.fn = fn
	return nil
}

// iterate runs one iteration of the activated scenario's function, interrupting it when
// ctx is done, and records iterations and iteration_duration for it unless it was
// interrupted. An exception thrown by the script is logged with its position and ends
// only this iteration.
func (vu *VU) iterate(parent context.Context) (completed bool) {
	ctx := vu.iterCtx(parent)
	vu.ctx = ctx
	vu.curIter, vu.iterSet = vu.iter, nil
	vu.iter++
	vu.iterInScenario++
	vu.iterInTest = vu.run.scenarioIteration(vu.scenario.Name)
	vu.http.cookies.reset()
	vu.intr.Lock()
	vu.running = true
	vu.intr.Unlock()
	if ctx.Err() != nil {
		// Ended before the watch could see this iteration running.
		vu.rt.Interrupt(errInterrupted)
	}
	start := time.Now()
	_, err := vu.fn(goja.Undefined(), vu.args...)
	vu.intr.Lock()
	vu.running = false
	vu.intr.Unlock()
	vu.rt.ClearInterrupt()
	if vu.group != "" { // an exception thrown inside a group leaves it set
		vu.setGroup("")
	}
	end := time.Now()
	// An iteration whose context ended was cut short even when the script did not notice
	// (sleep and HTTP calls return early then).
	if ctx.Err() != nil || interrupted(err) {
		vu.run.interrupted.Add(1)
		return false
	}
	if err != nil {
		vu.run.logf("level=error msg=%q source=stacktrace vu=%d iter=%d", jsError(err), vu.ID, vu.iter-1)
	}
	vu.run.completed.Add(1)
	b := vu.run.builtin
	vu.run.reg.Push(
		Sample{Metric: b.iterations, Time: end, Value: 1, Tags: vu.tags},
		Sample{Metric: b.iterationDuration, Time: end, Value: ms(end.Sub(start)), Tags: vu.tags},
	)
	return true
}

// interrupted says whether err is the runtime's being interrupted.
func interrupted(err error) bool {
	if err == nil {
		return false
	}
	var ie *goja.InterruptedError
	return errors.As(err, &ie)
}

// iterCtx returns the VU's own child of parent, made once for each context the VU iterates
// in, and watched once: when it ends, the iteration running then is interrupted. The
// interrupt must not land between iterations (it would stop the VU's next one), hence the
// running flag under a lock. A child of its own means that what the VU's iterations and
// requests register on their context contends with no other VU.
func (vu *VU) iterCtx(parent context.Context) context.Context {
	if parent == vu.iterParent {
		return vu.iterChild
	}
	if vu.iterCancel != nil {
		vu.iterCancel()
	}
	child, cancel := context.WithCancel(parent)
	vu.intr.Lock()
	vu.iterParent, vu.iterChild, vu.iterCancel = parent, child, cancel
	vu.intr.Unlock()
	context.AfterFunc(child, func() {
		vu.intr.Lock()
		defer vu.intr.Unlock()
		// A child left behind ends (asynchronously) when the VU moves on.
		if vu.running && vu.iterChild == child {
			vu.rt.Interrupt(errInterrupted)
		}
	})
	return vu.iterChild
}

// ms is a duration in (fractional) milliseconds, the unit of Time metrics.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
