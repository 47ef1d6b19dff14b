package xk6mimo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dop251/goja"

	"mimo/harness/load"
	mimo "mimo/system"
)

// Client is one VU's client of a Mimo server, made in a script by new mimo.Client(opts):
//
//	url       Mimo's root (default http://localhost:4000, Mimo's own default address)
//	namespace the namespace of every call whose argument names none (default: Mimo's)
//	apiKey    sent as a bearer token (default: __ENV.MIMO_API_KEY)
//	timeout   per call, in ms or as a duration string (default 60s, as k6/http)
//	tags      added to every sample of the client's calls
//
// Each call is an HTTP request made as k6/http makes it (the hosts option, http_reqs,
// http_req_duration, http_req_failed…, tagged name, method, status and mimo_op) and
// returns a result {status, ok, body, error, duration}: body is the decoded JSON, error
// Mimo's {code, message} or a transport error's text. A call throws only for arguments
// it cannot send.
type Client struct {
	vu        *load.VU
	m         *metrics
	base      string
	namespace string
	apiKey    string
	timeout   time.Duration
	tags      load.Tags
	rpcID     int64
}

func newClient(vu *load.VU, m *metrics, arg goja.Value) *Client {
	c := &Client{vu: vu, m: m, base: "http://localhost:4000", apiKey: vu.Env("MIMO_API_KEY"), tags: load.Tags{}}
	opts := object(vu, arg)
	if opts == nil {
		return c
	}
	if v := str(opts, "url"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			vu.Throw("mimo.Client: url %q: expected http://host[:port]", v)
		}
		c.base = strings.TrimRight(v, "/")
	}
	c.namespace = str(opts, "namespace")
	if v := str(opts, "apiKey"); v != "" {
		c.apiKey = v
	}
	if t := opts.Get("timeout"); t != nil && !goja.IsUndefined(t) {
		if s, ok := t.Export().(string); ok {
			d, err := load.ParseDuration(s)
			if err != nil {
				vu.Throw("mimo.Client: timeout: %v", err)
			}
			c.timeout = d
		} else {
			c.timeout = time.Duration(t.ToFloat() * float64(time.Millisecond))
		}
	}
	if t := opts.Get("tags"); t != nil && !goja.IsUndefined(t) && !goja.IsNull(t) {
		to := t.ToObject(vu.Runtime())
		for _, k := range to.Keys() {
			c.tags[k] = to.Get(k).String()
		}
	}
	return c
}

// object binds the client's methods on obj.
func (c *Client) object(obj *goja.Object) *goja.Object {
	return bind(obj, map[string]func(goja.FunctionCall) goja.Value{
		"store":      c.store,
		"storeBatch": c.storeBatch,
		"search":     c.search,
		"ask":        c.ask,
		"get":        c.get,
		"tool":       c.tool,
	})
}

// bind sets each method on obj by its name.
func bind(obj *goja.Object, methods map[string]func(goja.FunctionCall) goja.Value) *goja.Object {
	for name, fn := range methods {
		_ = obj.Set(name, fn)
	}
	return obj
}

// store(memory) stores one memory: POST /api/memories with the object (or a string as
// its content).
func (c *Client) store(call goja.FunctionCall) goja.Value {
	body := c.request(call.Argument(0), "content", "store")
	return c.call("store", http.MethodPost, "/api/memories", "", body, nil)
}

// storeBatch(memories) stores many: POST /api/memories/batch.
func (c *Client) storeBatch(call goja.FunctionCall) goja.Value {
	var items []any
	if err := c.vu.Runtime().ExportTo(call.Argument(0), &items); err != nil || items == nil {
		c.vu.Throw("mimo.storeBatch: expected an array of memories")
	}
	body := map[string]any{"memories": items}
	if c.namespace != "" {
		body["namespace"] = c.namespace
	}
	return c.call("store_batch", http.MethodPost, "/api/memories/batch", "", body, nil)
}

// search(query) searches: POST /api/search with the object (or a string as its query).
func (c *Client) search(call goja.FunctionCall) goja.Value {
	body := c.request(call.Argument(0), "query", "search")
	return c.call("search", http.MethodPost, "/api/search", "", body, nil)
}

// ask(query) asks: POST /api/ask with the object (or a string as its query). It records
// mimo_degraded_answers, mimo_cached_answers and mimo_ask_latency for every answer.
func (c *Client) ask(call goja.FunctionCall) goja.Value {
	body := c.request(call.Argument(0), "query", "ask")
	return c.call("ask", http.MethodPost, "/api/ask", "", body, func(b []byte) {
		var a mimo.Answer
		if json.Unmarshal(b, &a) == nil {
			c.answered(a, "ask")
		}
	})
}

// get(id) reads one memory: GET /api/memories/{id}.
func (c *Client) get(call goja.FunctionCall) goja.Value {
	id := call.Argument(0).String()
	if goja.IsUndefined(call.Argument(0)) || id == "" {
		c.vu.Throw("mimo.get: expected a memory id")
	}
	path := "/api/memories/" + url.PathEscape(id)
	if c.namespace != "" {
		path += "?namespace=" + url.QueryEscape(c.namespace)
	}
	return c.call("get", http.MethodGet, path, "/api/memories/{id}", nil, nil)
}

// answered records an answer's Mimo-specific metrics.
func (c *Client) answered(a mimo.Answer, op string) {
	tags := c.opTags(op)
	c.vu.Push(c.m.degraded, bool01(a.Degraded), tags)
	c.vu.Push(c.m.cached, bool01(a.Route.Cached), tags)
	c.vu.Push(c.m.askLatency, a.LatencyMS, tags)
}

// request makes a call's JSON body from an object, or a string as its field key, with
// the client's namespace when the object names none.
func (c *Client) request(arg goja.Value, key, op string) map[string]any {
	body := map[string]any{}
	switch v := arg.Export().(type) {
	case string:
		body[key] = v
	case map[string]any:
		body = v
	default:
		c.vu.Throw("mimo.%s: expected an object or a string", op)
	}
	if _, ok := body["namespace"]; !ok && c.namespace != "" {
		body["namespace"] = c.namespace
	}
	return body
}

func (c *Client) opTags(op string) load.Tags {
	tags := load.Tags{"mimo_op": op}
	for k, v := range c.tags {
		tags[k] = v
	}
	return tags
}

// call sends one request and makes its result; onOK sees a 2xx body.
func (c *Client) call(op, method, path, name string, body any, onOK func([]byte)) goja.Value {
	res, out := c.send(op, method, path, name, body, nil)
	if res != nil && res.Err == nil && res.Status/100 == 2 && onOK != nil {
		onOK(res.Body)
	}
	ok := out.ok()
	c.vu.Push(c.m.failed, bool01(!ok), c.opTags(op))
	return c.vu.Runtime().ToValue(out.js())
}

// send encodes body, sends it with the client's headers and tags, and decodes the answer.
func (c *Client) send(op, method, path, name string, body any, header http.Header) (*load.Response, *result) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			c.vu.Throw("mimo.%s: %v", op, err)
		}
	}
	h := http.Header{}
	if b != nil {
		h.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		h.Set("Authorization", "Bearer "+c.apiKey)
	}
	for k, vs := range header {
		h[k] = vs
	}
	tags := c.opTags(op)
	u := c.base + path
	if name != "" {
		tags["name"] = c.base + name
	}
	res, err := c.vu.Do(load.Request{Method: method, URL: u, Body: b, Header: h, Tags: tags, Timeout: c.timeout})
	if err != nil {
		c.vu.Throw("mimo.%s: %v", op, err)
	}
	out := &result{Status: res.Status, Duration: float64(res.Duration) / float64(time.Millisecond)}
	switch {
	case res.Err != nil:
		out.Error = map[string]any{"code": "transport", "message": res.Err.Error()}
	case len(res.Body) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json"):
		var v any
		if err := json.Unmarshal(res.Body, &v); err != nil {
			out.Error = map[string]any{"code": "decode", "message": err.Error()}
		} else {
			out.Body = v
		}
	}
	if res.Err == nil && res.Status/100 != 2 && out.Error == nil {
		out.Error = apiError(out.Body, res.Status)
	}
	return res, out
}

// apiError is Mimo's {"error":{code,message}} from body, or one naming the status.
func apiError(body any, status int) map[string]any {
	if m, ok := body.(map[string]any); ok {
		if e, ok := m["error"].(map[string]any); ok {
			return e
		}
	}
	return map[string]any{"code": "http_" + fmt.Sprint(status), "message": http.StatusText(status)}
}

// result is what every call returns to the script.
type result struct {
	Status   int
	Body     any
	Error    map[string]any
	Duration float64 // ms
}

func (r *result) ok() bool { return r.Error == nil && r.Status/100 == 2 }

func (r *result) js() map[string]any {
	out := map[string]any{"status": r.Status, "ok": r.ok(), "body": r.Body, "duration": r.Duration, "error": nil}
	if r.Error != nil {
		out["error"] = r.Error
	}
	return out
}

// object returns arg as an object, or nil when it is absent.
func object(vu *load.VU, arg goja.Value) *goja.Object {
	if arg == nil || goja.IsUndefined(arg) || goja.IsNull(arg) {
		return nil
	}
	return arg.ToObject(vu.Runtime())
}

// str is the string property key of o, "" when absent.
func str(o *goja.Object, key string) string {
	v := o.Get(key)
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return ""
	}
	return v.String()
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
