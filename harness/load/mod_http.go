package load

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// httpModule is "k6/http": request, get, post, put, patch, del, head, options, batch.
func httpModule(vu *VU) (*goja.Object, error) {
	o := vu.rt.NewObject()
	withBody := func(method string) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			return vu.httpCall(method, c.Argument(0), c.Argument(1), c.Argument(2))
		}
	}
	noBody := func(method string) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			return vu.httpCall(method, c.Argument(0), goja.Undefined(), c.Argument(1))
		}
	}
	fns := map[string]func(goja.FunctionCall) goja.Value{
		"get":     noBody(http.MethodGet),
		"head":    noBody(http.MethodHead),
		"post":    withBody(http.MethodPost),
		"put":     withBody(http.MethodPut),
		"patch":   withBody(http.MethodPatch),
		"del":     withBody(http.MethodDelete),
		"options": withBody(http.MethodOptions),
		"request": func(c goja.FunctionCall) goja.Value {
			return vu.httpCall(strings.ToUpper(c.Argument(0).String()), c.Argument(1), c.Argument(2), c.Argument(3))
		},
		"batch":               vu.httpBatch,
		"expectedStatuses":    vu.expectedStatuses,
		"setResponseCallback": vu.setResponseCallback,
	}
	for name, fn := range fns {
		if err := o.Set(name, fn); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (vu *VU) httpCall(method string, u, body, params goja.Value) goja.Value {
	req := vu.httpPrepare(method, u, body, params)
	return vu.httpResponse(vu.http.do(vu.ctx, req))
}

// httpPrepare turns a script's (method, url, body, params) into a request: body a string,
// an ArrayBuffer, or an object sent as a form; params headers, tags, timeout (ms or a
// duration string; default 60s), responseType ("text", "binary" or "none").
func (vu *VU) httpPrepare(method string, u, body, params goja.Value) *httpRequest {
	if vu.inInit {
		vu.throw("making HTTP requests in the init context is not supported")
	}
	// header stays nil unless the script sets one: do gives it the client's own.
	r := &httpRequest{method: method, url: u.String(), timeout: 60 * time.Second,
		expected: vu.http.expected}
	r.u = vu.parseURL(r.url)
	r.discardBody = vu.run.opts.DiscardResponseBodies != nil && *vu.run.opts.DiscardResponseBodies
	var userTags map[string]string
	if p := params; p != nil && !goja.IsUndefined(p) && !goja.IsNull(p) {
		po := p.ToObject(vu.rt)
		if h := po.Get("headers"); h != nil && !goja.IsUndefined(h) && !goja.IsNull(h) {
			ho := h.ToObject(vu.rt)
			r.header = http.Header{}
			for _, k := range ho.Keys() {
				r.header.Set(k, ho.Get(k).String())
			}
		}
		userTags = vu.tagsArg(po.Get("tags"))
		if t := po.Get("timeout"); t != nil && !goja.IsUndefined(t) {
			if s, ok := t.Export().(string); ok {
				d, err := ParseDuration(s)
				if err != nil {
					vu.throw("params.timeout: %v", err)
				}
				r.timeout = d
			} else {
				r.timeout = time.Duration(t.ToFloat() * float64(time.Millisecond))
			}
		}
		if rt := po.Get("responseType"); rt != nil && !goja.IsUndefined(rt) {
			r.discardBody = rt.String() == "none"
		}
		if cb := po.Get("responseCallback"); cb != nil && !goja.IsUndefined(cb) {
			r.expected = vu.statusSetArg(cb)
		}
	}
	switch b := body.Export().(type) {
	case nil:
	case string:
		r.body = []byte(b)
	case goja.ArrayBuffer:
		r.body = b.Bytes()
	case []byte:
		r.body = b
	case map[string]any:
		form := url.Values{}
		for k, v := range b {
			form.Set(k, fmt.Sprint(v))
		}
		r.body = []byte(form.Encode())
		if r.header.Get("Content-Type") == "" {
			if r.header == nil {
				r.header = http.Header{}
			}
			r.header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	default:
		r.body = []byte(body.String())
	}
	name := r.url
	if n, ok := userTags["name"]; ok {
		name = n
	}
	r.tags = vu.tags.with("method", method, "url", r.url, "name", name)
	for k, v := range userTags {
		r.tags[k] = v
	}
	return r
}

// parseURL parses a request's URL, or throws. Scripts tend to request the same URL over
// and over, so the VU keeps the last one parsed; nothing changes a parsed URL.
func (vu *VU) parseURL(raw string) *url.URL {
	if raw == vu.lastURL && vu.lastParsed != nil {
		return vu.lastParsed
	}
	pu, err := url.Parse(raw)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		vu.throw("invalid URL %q: expected http://host/... or https://host/...", raw)
	}
	vu.lastURL, vu.lastParsed = raw, pu
	return pu
}

// httpBatch sends requests in parallel (at most options.batch at once, default 20) and
// returns their responses in an array, or an object with the same keys. Each request is a
// URL string, an array [method, url, body, params] or an object {method, url, body, params}.
func (vu *VU) httpBatch(c goja.FunctionCall) goja.Value {
	arg := c.Argument(0).ToObject(vu.rt)
	keys := arg.Keys()
	isArray := arg.ClassName() == "Array"
	reqs := make([]*httpRequest, len(keys))
	for i, k := range keys {
		item := arg.Get(k)
		var method, u, body, params goja.Value = vu.rt.ToValue("GET"), item, goja.Undefined(), goja.Undefined()
		if o, ok := item.(*goja.Object); ok {
			if o.ClassName() == "Array" {
				method, u, body, params = o.Get("0"), o.Get("1"), o.Get("2"), o.Get("3")
			} else {
				if m := o.Get("method"); m != nil && !goja.IsUndefined(m) {
					method = m
				}
				u, body, params = o.Get("url"), o.Get("body"), o.Get("params")
			}
		}
		for _, p := range []*goja.Value{&body, &params} {
			if *p == nil {
				*p = goja.Undefined()
			}
		}
		reqs[i] = vu.httpPrepare(strings.ToUpper(method.String()), u, body, params)
	}
	limit := 20
	if b := vu.run.opts.Batch; b != nil && *b > 0 {
		limit = int(*b)
	}
	results := make([]*httpResult, len(reqs))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = vu.http.do(vu.ctx, r)
		}()
	}
	wg.Wait()
	var out *goja.Object
	if isArray {
		out = vu.rt.NewArray()
	} else {
		out = vu.rt.NewObject()
	}
	for i, k := range keys {
		_ = out.Set(k, vu.httpResponse(results[i]))
	}
	return out
}
