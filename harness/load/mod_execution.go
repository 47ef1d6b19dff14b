package load

import (
	"errors"
	"time"

	"github.com/dop251/goja"
)

// errScriptAbort is the cause a run is cancelled with by exec.test.abort().
var errScriptAbort = errors.New("test aborted by the script")

// executionModule is "k6/execution": exec.vu, exec.scenario, exec.instance and
// exec.test.abort(), with k6's property names. Their values are read when the script reads
// them.
func executionModule(vu *VU) (*goja.Object, error) {
	rt := vu.rt
	o := rt.NewObject()
	r := vu.run
	getters := func(props map[string]func() any) *goja.Object {
		obj := rt.NewObject()
		for name, get := range props {
			err := obj.DefineAccessorProperty(name, rt.ToValue(func(goja.FunctionCall) goja.Value { return rt.ToValue(get()) }),
				nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
			if err != nil {
				panic(err)
			}
		}
		return obj
	}
	scenarioName := func() string {
		if vu.scenario == nil {
			return ""
		}
		return vu.scenario.Name
	}
	_ = o.Set("vu", getters(map[string]func() any{
		"idInInstance":        func() any { return vu.ID },
		"idInTest":            func() any { return vu.ID },
		"iterationInInstance": func() any { return max(vu.iter-1, 0) },
		"iterationInScenario": func() any { return max(vu.iterInScenario-1, 0) },
	}))
	_ = o.Set("scenario", getters(map[string]func() any{
		"name": func() any { return scenarioName() },
		"executor": func() any {
			if vu.scenario == nil {
				return ""
			}
			return vu.scenario.Executor
		},
		"iterationInInstance": func() any { return vu.iterInTest },
		"iterationInTest":     func() any { return vu.iterInTest },
		"startTime": func() any {
			return r.scenarioStart(scenarioName()).UnixMilli()
		},
	}))
	_ = o.Set("instance", getters(map[string]func() any{
		"vusActive":             func() any { return r.activeVUs.Load() },
		"vusInitialized":        func() any { return r.maxVUs.Load() },
		"iterationsCompleted":   func() any { return r.completed.Load() },
		"iterationsInterrupted": func() any { return r.interrupted.Load() },
		"currentTestRunDuration": func() any {
			if r.started.IsZero() {
				return 0.0
			}
			return ms(time.Since(r.started))
		},
	}))
	test := rt.NewObject()
	_ = test.Set("abort", func(c goja.FunctionCall) goja.Value {
		msg := "test aborted by the script"
		if a := c.Argument(0); !goja.IsUndefined(a) {
			msg += ": " + a.String()
		}
		r.logf("level=error msg=%q", msg)
		if r.abort != nil {
			r.abort(errScriptAbort)
		}
		vu.rt.Interrupt(errScriptAbort)
		return goja.Undefined()
	})
	_ = o.Set("test", test)
	return o, nil
}
