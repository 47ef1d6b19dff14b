package load

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// responseKeys are a Response's properties, as k6 names them.
var responseKeys = []string{"status", "status_text", "proto", "url", "body", "headers", "cookies",
	"timings", "error", "error_code", "request", "json"}

// response is the script's view of an HTTP result: a goja dynamic object whose properties
// are made when first read, because most scripts read two or three of them and making
// every one for every request would cost the runner a third of its throughput. Scripts
// may set their own properties on it too.
type response struct {
	vu    *VU
	res   *httpResult
	cache map[string]goja.Value
}

// httpResponse makes the script's Response object and logs a failed request as k6 does.
func (vu *VU) httpResponse(res *httpResult) goja.Value {
	if res.err != nil {
		vu.run.logf("level=warning msg=%q error=%q vu=%d", "Request Failed", res.err.Error(), vu.ID)
	}
	return vu.rt.NewDynamicObject(&response{vu: vu, res: res})
}

func (r *response) Get(key string) goja.Value {
	if v, ok := r.cache[key]; ok {
		return v
	}
	v := r.make(key)
	if v == nil {
		return nil
	}
	if r.cache == nil {
		r.cache = map[string]goja.Value{}
	}
	r.cache[key] = v
	return v
}

// make builds one property's value, or nil for a key a Response does not have.
func (r *response) make(key string) goja.Value {
	rt, res := r.vu.rt, r.res
	switch key {
	case "status":
		return rt.ToValue(res.status)
	case "status_text":
		if res.status == 0 {
			return rt.ToValue("")
		}
		return rt.ToValue(strconv.Itoa(res.status) + " " + http.StatusText(res.status))
	case "proto":
		return rt.ToValue(res.proto)
	case "url":
		return rt.ToValue(res.finalURL.String())
	case "body":
		if res.req.discardBody {
			return goja.Null()
		}
		return rt.ToValue(string(res.body))
	case "headers":
		return headerObject(rt, res.header)
	case "cookies":
		// k6's shape: name → [{name, value, domain, path, http_only, secure, max_age, expires}].
		o := rt.NewObject()
		if res.header != nil {
			for _, ck := range (&http.Response{Header: res.header}).Cookies() {
				var list []any
				if v := o.Get(ck.Name); v != nil {
					list = v.Export().([]any)
				}
				expires := int64(0)
				if !ck.Expires.IsZero() {
					expires = ck.Expires.UnixMilli()
				}
				list = append(list, map[string]any{"name": ck.Name, "value": ck.Value, "domain": ck.Domain,
					"path": ck.Path, "http_only": ck.HttpOnly, "secure": ck.Secure, "max_age": ck.MaxAge, "expires": expires})
				_ = o.Set(ck.Name, list)
			}
		}
		return o
	case "timings":
		t := res.timings
		o := rt.NewObject()
		for k, v := range map[string]float64{
			"blocked": t.blocked, "connecting": t.connecting, "tls_handshaking": t.tlsHandshaking,
			"sending": t.sending, "waiting": t.waiting, "receiving": t.receiving, "duration": t.duration,
		} {
			_ = o.Set(k, v)
		}
		return o
	case "error":
		if res.err != nil {
			return rt.ToValue(res.err.Error())
		}
		return rt.ToValue("")
	case "error_code":
		return rt.ToValue(res.errorCode)
	case "request":
		o := rt.NewObject()
		_ = o.Set("method", res.req.method)
		_ = o.Set("url", res.req.url)
		_ = o.Set("headers", headerObject(rt, res.req.header))
		_ = o.Set("body", string(res.req.body))
		return o
	case "json":
		var parsed goja.Value
		return rt.ToValue(func(c goja.FunctionCall) goja.Value {
			if parsed == nil {
				v, err := r.vu.jsonParse(string(res.body))
				if err != nil {
					panic(err)
				}
				parsed = v
			}
			if sel := c.Argument(0); !goja.IsUndefined(sel) {
				return jsonSelect(parsed, sel.String())
			}
			return parsed
		})
	}
	return nil
}

func (r *response) Set(key string, val goja.Value) bool {
	if r.cache == nil {
		r.cache = map[string]goja.Value{}
	}
	r.cache[key] = val
	return true
}

func (r *response) Has(key string) bool {
	if _, ok := r.cache[key]; ok {
		return true
	}
	for _, k := range responseKeys {
		if k == key {
			return true
		}
	}
	return false
}

func (r *response) Delete(key string) bool {
	if r.cache == nil {
		r.cache = map[string]goja.Value{}
	}
	r.cache[key] = goja.Undefined()
	return true
}

func (r *response) Keys() []string {
	keys := append([]string(nil), responseKeys...)
	for k := range r.cache {
		if !contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// headerObject is a header as k6 shows it: canonical names, repeated values joined.
func headerObject(rt *goja.Runtime, h http.Header) *goja.Object {
	o := rt.NewObject()
	for k, v := range h {
		_ = o.Set(k, strings.Join(v, ", "))
	}
	return o
}

func (vu *VU) jsonParse(s string) (goja.Value, error) {
	parse, _ := goja.AssertFunction(vu.rt.Get("JSON").ToObject(vu.rt).Get("parse"))
	return parse(goja.Undefined(), vu.rt.ToValue(s))
}

// jsonSelect walks a dotted path ("a.b.0.c"; "#" is an array's length), the part of
// k6's selector syntax scripts use. A missing step gives undefined.
func jsonSelect(v goja.Value, path string) goja.Value {
	for _, step := range strings.Split(path, ".") {
		o, ok := v.(*goja.Object)
		if !ok {
			return goja.Undefined()
		}
		if step == "#" {
			step = "length"
		}
		if v = o.Get(step); v == nil {
			return goja.Undefined()
		}
	}
	return v
}
