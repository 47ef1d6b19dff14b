package xk6mimo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/dop251/goja"

	"mimo/harness/faults"
	"mimo/harness/load"
	"mimo/harness/standin"
)

// Environment variables the harness sets for a script it runs, naming what Faults controls.
const (
	// EnvToxiproxyURL is Toxiproxy's API, such as http://127.0.0.1:8474.
	EnvToxiproxyURL = "MIMO_TOXIPROXY_URL"
	// EnvStandinURL is the model stand-in's root, where its /_control/ endpoints are.
	EnvStandinURL = "MIMO_STANDIN_URL"
)

// Faults controls the harness's faults from a script, made by new mimo.Faults(opts) with
// opts {toxiproxy, standin} (the addresses; default __ENV.MIMO_TOXIPROXY_URL and
// __ENV.MIMO_STANDIN_URL). Its calls are control, not load: they are not recorded as
// http_reqs. A call whose address is not set, or that Toxiproxy or the stand-in refuses,
// throws, so a script never runs on believing a fault is on when it is not.
//
//	addToxic(proxy, {type, name, stream, toxicity, attributes}) → the toxic's name
//	removeToxic(proxy, name)
//	standinFail({rate, status, routes, count, seed})   the stand-in's POST /_control/fail
//	standinClear()                                     every stand-in fault removed
//	applyProfile(name)   a named profile of package faults (such as "ten_percent") put on
//	removeProfile(name)  that profile taken off (its toxics; every stand-in fault)
type Faults struct {
	vu        *load.VU
	toxiproxy string
	standin   string
	client    *http.Client
}

func newFaults(vu *load.VU, arg goja.Value) *Faults {
	f := &Faults{vu: vu, toxiproxy: vu.Env(EnvToxiproxyURL), standin: vu.Env(EnvStandinURL),
		client: &http.Client{Timeout: 10 * time.Second}}
	if o := object(vu, arg); o != nil {
		if v := str(o, "toxiproxy"); v != "" {
			f.toxiproxy = v
		}
		if v := str(o, "standin"); v != "" {
			f.standin = v
		}
	}
	return f
}

func (f *Faults) object(obj *goja.Object) *goja.Object {
	return bind(obj, map[string]func(goja.FunctionCall) goja.Value{
		"addToxic":      f.addToxic,
		"removeToxic":   f.removeToxic,
		"standinFail":   f.standinFail,
		"standinClear":  f.standinClear,
		"applyProfile":  f.applyProfile,
		"removeProfile": f.removeProfile,
	})
}

func (f *Faults) proxy(op string, name string) *toxiclient.Proxy {
	if f.vu.InInit() {
		f.vu.Throw("mimo.Faults.%s: faults cannot be changed in the init context", op)
	}
	if f.toxiproxy == "" {
		f.vu.Throw("mimo.Faults.%s: no Toxiproxy address: set %s or the toxiproxy option", op, EnvToxiproxyURL)
	}
	p, err := toxiclient.NewClient(f.toxiproxy).Proxy(name)
	if err != nil {
		f.vu.Throw("mimo.Faults.%s: proxy %q: %v", op, name, err)
	}
	return p
}

// toxicSpec is addToxic's second argument.
type toxicSpec struct {
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Stream     string         `json:"stream"`
	Toxicity   *float64       `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

func (f *Faults) addToxic(call goja.FunctionCall) goja.Value {
	p := f.proxy("addToxic", call.Argument(0).String())
	var spec toxicSpec
	if err := decodeArg(call.Argument(1), &spec); err != nil || spec.Type == "" {
		f.vu.Throw("mimo.Faults.addToxic: expected {type, name, stream, toxicity, attributes} with a type")
	}
	if spec.Stream == "" {
		spec.Stream = "downstream"
	}
	if spec.Name == "" {
		spec.Name = spec.Type + "_" + spec.Stream
	}
	toxicity := float32(1)
	if spec.Toxicity != nil {
		if *spec.Toxicity < 0 || *spec.Toxicity > 1 {
			f.vu.Throw("mimo.Faults.addToxic: toxicity %v is outside [0, 1]", *spec.Toxicity)
		}
		toxicity = float32(*spec.Toxicity)
	}
	if _, err := p.AddToxic(spec.Name, spec.Type, spec.Stream, toxicity, toxiclient.Attributes(spec.Attributes)); err != nil {
		f.vu.Throw("mimo.Faults.addToxic: %s on %s: %v", spec.Name, p.Name, err)
	}
	return f.vu.Runtime().ToValue(spec.Name)
}

func (f *Faults) removeToxic(call goja.FunctionCall) goja.Value {
	p := f.proxy("removeToxic", call.Argument(0).String())
	if err := p.RemoveToxic(call.Argument(1).String()); err != nil {
		f.vu.Throw("mimo.Faults.removeToxic: %v", err)
	}
	return goja.Undefined()
}

func (f *Faults) control(op string) *standin.Control {
	if f.vu.InInit() {
		f.vu.Throw("mimo.Faults.%s: faults cannot be changed in the init context", op)
	}
	if f.standin == "" {
		f.vu.Throw("mimo.Faults.%s: no stand-in address: set %s or the standin option", op, EnvStandinURL)
	}
	return &standin.Control{BaseURL: f.standin, HTTPClient: f.client}
}

func (f *Faults) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(f.vu.Context(), 10*time.Second)
}

func (f *Faults) standinFail(call goja.FunctionCall) goja.Value {
	ctl := f.control("standinFail")
	var fail standin.Fail
	if a := call.Argument(0); !goja.IsUndefined(a) && !goja.IsNull(a) {
		if err := decodeArg(a, &fail); err != nil {
			f.vu.Throw("mimo.Faults.standinFail: %v", err)
		}
	}
	ctx, cancel := f.ctx()
	defer cancel()
	if err := ctl.Fail(ctx, fail); err != nil {
		f.vu.Throw("mimo.Faults.standinFail: %v", err)
	}
	return goja.Undefined()
}

func (f *Faults) standinClear(goja.FunctionCall) goja.Value {
	ctx, cancel := f.ctx()
	defer cancel()
	if err := f.control("standinClear").Clear(ctx); err != nil {
		f.vu.Throw("mimo.Faults.standinClear: %v", err)
	}
	return goja.Undefined()
}

// profile returns the profile a script names, with Toxiproxy's client and the stand-in's
// control for the parts it has.
func (f *Faults) profile(op string, call goja.FunctionCall) (faults.Profile, *toxiclient.Client, *standin.Control) {
	if f.vu.InInit() {
		f.vu.Throw("mimo.Faults.%s: faults cannot be changed in the init context", op)
	}
	p, err := faults.Lookup(call.Argument(0).String())
	if err != nil {
		f.vu.Throw("mimo.Faults.%s: %v", op, err)
	}
	var tp *toxiclient.Client
	if len(p.Toxics) > 0 {
		if f.toxiproxy == "" {
			f.vu.Throw("mimo.Faults.%s: no Toxiproxy address: set %s or the toxiproxy option", op, EnvToxiproxyURL)
		}
		tp = toxiclient.NewClient(f.toxiproxy)
	}
	var ctl *standin.Control
	if p.Standin != nil {
		ctl = f.control(op)
	}
	return p, tp, ctl
}

func (f *Faults) applyProfile(call goja.FunctionCall) goja.Value {
	p, tp, ctl := f.profile("applyProfile", call)
	ctx, cancel := f.ctx()
	defer cancel()
	if err := p.Apply(ctx, tp, ctl); err != nil {
		f.vu.Throw("mimo.Faults.applyProfile: %v", err)
	}
	return goja.Undefined()
}

func (f *Faults) removeProfile(call goja.FunctionCall) goja.Value {
	p, tp, ctl := f.profile("removeProfile", call)
	ctx, cancel := f.ctx()
	defer cancel()
	if err := p.Remove(ctx, tp, ctl); err != nil {
		f.vu.Throw("mimo.Faults.removeProfile: %v", err)
	}
	return goja.Undefined()
}

// decodeArg decodes a script's object into dst by its JSON field names, refusing
// fields dst does not have (a misspelt option must not be silently ignored).
func decodeArg(v goja.Value, dst any) error {
	b, err := json.Marshal(v.Export())
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}
