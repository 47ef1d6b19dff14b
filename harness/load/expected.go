package load

import (
	"github.com/dop251/goja"
)

// statusSet is what http.expectedStatuses returns: the statuses a response may have and
// still count as expected (http_req_failed false, tag expected_response:true). nil means
// k6's default, 200 to 399.
type statusSet struct {
	codes  map[int]bool
	ranges [][2]int
}

func (s *statusSet) expected(status int) bool {
	if s == nil {
		return status >= 200 && status < 400
	}
	if s.codes[status] {
		return true
	}
	for _, r := range s.ranges {
		if status >= r[0] && status <= r[1] {
			return true
		}
	}
	return false
}

// expectedStatuses is http.expectedStatuses(200, 404, {min: 500, max: 503}, ...).
func (vu *VU) expectedStatuses(c goja.FunctionCall) goja.Value {
	s := &statusSet{codes: map[int]bool{}}
	for _, a := range c.Arguments {
		if o, ok := a.(*goja.Object); ok {
			lo, hi := o.Get("min"), o.Get("max")
			if lo == nil || hi == nil {
				vu.throw("expectedStatuses: a range is {min: N, max: M}")
			}
			s.ranges = append(s.ranges, [2]int{int(lo.ToInteger()), int(hi.ToInteger())})
			continue
		}
		s.codes[int(a.ToInteger())] = true
	}
	return vu.rt.ToValue(s)
}

// setResponseCallback is http.setResponseCallback(expectedStatuses(...)): the VU's
// default for every later request; null restores k6's default.
func (vu *VU) setResponseCallback(c goja.FunctionCall) goja.Value {
	vu.http.expected = vu.statusSetArg(c.Argument(0))
	return goja.Undefined()
}

// statusSetArg reads a value made by expectedStatuses (null or undefined: the default).
func (vu *VU) statusSetArg(v goja.Value) *statusSet {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	s, ok := v.Export().(*statusSet)
	if !ok {
		vu.throw("a response callback must come from http.expectedStatuses()")
	}
	return s
}
