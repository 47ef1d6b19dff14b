package load

import (
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// k6Module is the "k6" module: check, group, sleep, fail.
func k6Module(vu *VU) (*goja.Object, error) {
	o := vu.rt.NewObject()
	for name, fn := range map[string]func(goja.FunctionCall) goja.Value{
		"check": vu.check,
		"group": vu.groupCall,
		"sleep": vu.sleep,
		"fail":  vu.fail,
	} {
		if err := o.Set(name, fn); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// throw raises a JavaScript Error with msg in the VU's runtime.
func (vu *VU) throw(format string, args ...any) {
	ctor := vu.rt.Get("Error")
	e, err := vu.rt.New(ctor, vu.rt.ToValue(fmt.Sprintf(format, args...)))
	if err != nil {
		panic(err)
	}
	panic(e)
}

// check(value, {name: fn | value, ...}[, tags]): each named condition is called with
// value (or, when not a function, taken for its truth); each outcome is a sample of the
// checks rate tagged check=name and counted in the group tree. Returns whether all passed.
func (vu *VU) check(c goja.FunctionCall) goja.Value {
	if vu.inInit {
		vu.throw("check() can only be called in VU code, not in the init context")
	}
	val := c.Argument(0)
	sets := c.Argument(1)
	if goja.IsUndefined(sets) || goja.IsNull(sets) {
		return vu.rt.ToValue(true)
	}
	obj := sets.ToObject(vu.rt)
	extra := vu.tagsArg(c.Argument(2))
	all := true
	now := time.Now()
	for _, name := range obj.Keys() {
		cond := obj.Get(name)
		var ok bool
		if fn, isFn := goja.AssertFunction(cond); isFn {
			v, err := fn(goja.Undefined(), val)
			if err != nil {
				panic(err)
			}
			ok = v.ToBoolean()
		} else {
			ok = cond.ToBoolean()
		}
		tags := vu.tags.with("check", name)
		for k, v := range extra {
			tags[k] = v
		}
		var v float64
		if ok {
			v = 1
		} else {
			all = false
		}
		vu.run.reg.Push(Sample{Metric: vu.run.builtin.checks, Time: now, Value: v, Tags: tags})
		vu.run.checks.check(vu.group, name, ok)
	}
	return vu.rt.ToValue(all)
}

// group(name, fn) runs fn inside the named group (tag group="::outer::name"), records
// its duration in group_duration, and returns what fn returns.
func (vu *VU) groupCall(c goja.FunctionCall) goja.Value {
	if vu.inInit {
		vu.throw("group() can only be called in VU code, not in the init context")
	}
	name := c.Argument(0).String()
	if strings.Contains(name, "::") {
		vu.throw("group and check names may not contain '::'")
	}
	fn, ok := goja.AssertFunction(c.Argument(1))
	if !ok {
		vu.throw("group(%q, fn): fn must be a function", name)
	}
	outer := vu.group
	vu.setGroup(outer + "::" + name)
	vu.run.checks.enter(vu.group)
	tags := vu.tags
	start := time.Now()
	v, err := fn(goja.Undefined())
	end := time.Now()
	vu.setGroup(outer)
	if err != nil {
		panic(err)
	}
	vu.run.reg.Push(Sample{Metric: vu.run.builtin.groupDuration, Time: end, Value: ms(end.Sub(start)), Tags: tags})
	return v
}

// sleep(seconds) waits, returning early when the iteration is being stopped.
func (vu *VU) sleep(c goja.FunctionCall) goja.Value {
	d := time.Duration(c.Argument(0).ToFloat() * float64(time.Second))
	if d <= 0 {
		return goja.Undefined()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-vu.ctx.Done():
	}
	return goja.Undefined()
}

// fail(message) throws an Error, ending the iteration as k6's fail does.
func (vu *VU) fail(c goja.FunctionCall) goja.Value {
	msg := "test aborted"
	if a := c.Argument(0); !goja.IsUndefined(a) {
		msg = a.String()
	}
	vu.throw("%s", msg)
	return nil
}

// tagsArg reads a {name: value} tags argument.
func (vu *VU) tagsArg(v goja.Value) map[string]string {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	obj := v.ToObject(vu.rt)
	out := map[string]string{}
	for _, k := range obj.Keys() {
		out[k] = obj.Get(k).String()
	}
	return out
}
