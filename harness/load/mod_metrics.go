package load

import (
	"time"

	"github.com/dop251/goja"
)

// metricsModule is "k6/metrics": the constructors Counter, Gauge, Rate and Trend. A
// metric must be made in the init context; every VU making the same name gets the same
// metric. Each has add(value[, tags]) and name.
func metricsModule(vu *VU) (*goja.Object, error) {
	o := vu.rt.NewObject()
	for name, typ := range map[string]MetricType{"Counter": Counter, "Gauge": Gauge, "Rate": Rate, "Trend": Trend} {
		if err := o.Set(name, vu.metricConstructor(typ)); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (vu *VU) metricConstructor(typ MetricType) func(goja.ConstructorCall) *goja.Object {
	return func(c goja.ConstructorCall) *goja.Object {
		if !vu.inInit {
			vu.throw("metrics must be declared in the init context")
		}
		name := c.Argument(0).String()
		contains := Default
		if typ == Trend && c.Argument(1).ToBoolean() {
			contains = Time
		}
		m, err := vu.run.reg.New(name, typ, contains)
		if err != nil {
			vu.throw("%v", err)
		}
		obj := c.This
		_ = obj.Set("name", name)
		_ = obj.Set("add", func(call goja.FunctionCall) goja.Value {
			if vu.inInit {
				vu.throw("metric %s: add() cannot be called in the init context", name)
			}
			arg := call.Argument(0)
			var v float64
			switch {
			case typ == Rate:
				if arg.ToBoolean() {
					v = 1
				}
			default:
				v = arg.ToFloat()
			}
			tags := vu.tags
			if extra := vu.tagsArg(call.Argument(1)); len(extra) > 0 {
				tags = tags.with()
				for k, x := range extra {
					tags[k] = x
				}
			}
			vu.run.reg.Push(Sample{Metric: m, Time: time.Now(), Value: v, Tags: tags})
			return vu.rt.ToValue(true)
		})
		return nil
	}
}
