package load

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/dop251/goja"
)

// Request is an HTTP request a module sends from a VU with VU.Do.
type Request struct {
	Method, URL string
	Body        []byte
	Header      http.Header // nil means none
	// Tags are added to the VU's tags on every sample of the request; "name" defaults to
	// the URL, as in k6/http.
	Tags Tags
	// Timeout bounds the whole request; 0 means k6's 60 s.
	Timeout time.Duration
}

// Response is what came back for a Request. A transport error is a Response with
// Status 0 and Err set, as k6/http reports it.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Duration time.Duration // http_req_duration: from sending the request to its last byte
	Err      error
}

// Do sends r through the VU's connections as k6/http does (options.hosts, its transport,
// its redirects) within the current iteration, and records the same samples a script's
// http.request would: http_reqs, http_req_duration and its parts, http_req_failed (a
// status outside 200-399 or none, unless the script set http.setResponseCallback),
// data_sent and data_received, tagged with method, url, name, status and r.Tags. An
// invalid URL is an error; so is calling it in the init context, where k6 allows no I/O.
func (vu *VU) Do(r Request) (*Response, error) {
	if vu.inInit {
		return nil, fmt.Errorf("making HTTP requests in the init context is not supported")
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q: expected http://host/path or https://host/path", r.URL)
	}
	req := &httpRequest{method: r.Method, url: r.URL, u: u, body: r.Body,
		timeout: r.Timeout, expected: vu.http.expected}
	if req.timeout <= 0 {
		req.timeout = 60 * time.Second
	}
	if r.Header != nil {
		req.header = r.Header.Clone()
	}
	req.tags = vu.tags.with("method", r.Method, "url", r.URL, "name", r.URL)
	maps.Copy(req.tags, r.Tags)
	res := vu.http.do(vu.ctx, req)
	return &Response{Status: res.status, Header: res.header, Body: res.body,
		Duration: time.Duration(res.timings.duration * float64(time.Millisecond)), Err: res.err}, nil
}

// Throw raises a JavaScript Error with the message in the VU's runtime, for a module's
// function called from a script with arguments it cannot use. It does not return.
func (vu *VU) Throw(format string, args ...any) { vu.throw(format, args...) }

// Env is the value of key in the VU's __ENV (-e flags and the scenario's env), else in
// the process's environment, as k6 passes system variables to __ENV; "" when neither has it.
func (vu *VU) Env(key string) string {
	if env := vu.rt.Get("__ENV"); env != nil && !goja.IsUndefined(env) && !goja.IsNull(env) {
		if v := env.ToObject(vu.rt).Get(key); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			return v.String()
		}
	}
	return os.Getenv(key)
}

// Push records samples of a module's own metrics (made with Registry().New) at now with
// the VU's current tags and extra.
func (vu *VU) Push(m *Metric, value float64, extra Tags) {
	tags := vu.tags
	if len(extra) > 0 {
		tags = vu.tags.with()
		maps.Copy(tags, extra)
	}
	vu.run.reg.Push(Sample{Metric: m, Time: time.Now(), Value: value, Tags: tags})
}
