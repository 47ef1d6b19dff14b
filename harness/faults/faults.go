// Package faults names the backend fault profiles that scenarios and the
// load gates share: a Profile is a set of Toxiproxy toxics, each on a
// proxy of the harness, and a fault of the model stand-in, put on and
// taken off together. One definition serves a Go scenario (harness's
// Env.Faults) and a load script (k6/x/mimo's Faults.applyProfile), so the
// two cannot drift apart.
package faults

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"mimo/harness/standin"
	"mimo/harness/toxics"
)

// Toxic is one toxic on one proxy. Proxy is a proxy name of the harness
// ("postgres", "ollama", "llm"; package harness's Proxy constants).
type Toxic struct {
	Proxy string
	toxics.Profile
}

// Profile is a named set of backend faults.
type Profile struct {
	// Name identifies the profile for Lookup and in a load script.
	Name string
	// Toxics go on Toxiproxy's proxies.
	Toxics []Toxic
	// Standin, when not nil, is the stand-in's Fail fault (it has one at a
	// time: the profile replaces whatever Fail was set).
	Standin *standin.Fail
}

// TenPercentName names TenPercent.
const TenPercentName = "ten_percent"

// TenPercent is "10% of backend calls fail": Toxiproxy resets one Postgres
// connection in ten at once (a reset_peer toxic of toxicity 0.1; Toxiproxy
// draws per connection), and the stand-in fails one model call in ten, on
// every route (its LLM and, with the Ollama embedder, its embeddings),
// with 503, spread evenly.
var TenPercent = Profile{
	Name: TenPercentName,
	Toxics: []Toxic{{
		Proxy:   "postgres",
		Profile: toxics.Must(toxics.ResetPeer(0)).WithToxicity(0.1).WithName("postgres_reset_one_in_ten"),
	}},
	Standin: &standin.Fail{Rate: 0.1},
}

var profiles = []Profile{TenPercent}

// Names returns the names of the profiles Lookup knows.
func Names() []string {
	out := make([]string, len(profiles))
	for i, p := range profiles {
		out[i] = p.Name
	}
	return out
}

// Lookup returns the profile named name; an unknown name is an error
// listing the known ones.
func Lookup(name string) (Profile, error) {
	i := slices.IndexFunc(profiles, func(p Profile) bool { return p.Name == name })
	if i < 0 {
		return Profile{}, fmt.Errorf("faults: no profile %q; the profiles are %s", name, strings.Join(Names(), ", "))
	}
	return profiles[i], nil
}

// Validate reports what is wrong with p, or nil.
func (p Profile) Validate() error {
	if p.Name == "" {
		return errors.New("faults: a profile needs a name")
	}
	for _, tx := range p.Toxics {
		if tx.Proxy == "" {
			return fmt.Errorf("faults: %s: toxic %s names no proxy", p.Name, tx.Profile.Name)
		}
		if err := tx.Validate(); err != nil {
			return fmt.Errorf("faults: %s: %w", p.Name, err)
		}
	}
	return nil
}

// Apply puts p on: each toxic on its proxy of tp, then the stand-in's
// fault through ctl (either may be nil when p has nothing for it). When a
// step fails, what was already put on is taken off again, so an error
// leaves no part of p behind.
func (p Profile) Apply(ctx context.Context, tp *toxiclient.Client, ctl *standin.Control) (err error) {
	if err := p.Validate(); err != nil {
		return err
	}
	var undo []func() error
	defer func() {
		if err != nil {
			for _, u := range slices.Backward(undo) {
				err = errors.Join(err, u())
			}
		}
	}()
	for _, tx := range p.Toxics {
		proxy, err := proxyOf(tp, tx.Proxy)
		if err != nil {
			return fmt.Errorf("faults: %s: %w", p.Name, err)
		}
		if err := tx.Add(proxy); err != nil {
			return fmt.Errorf("faults: %s: %w", p.Name, err)
		}
		undo = append(undo, func() error { return tx.Remove(proxy) })
	}
	if p.Standin != nil {
		if ctl == nil {
			return fmt.Errorf("faults: %s: the profile fails stand-in calls and no stand-in was given", p.Name)
		}
		if err := ctl.Fail(ctx, *p.Standin); err != nil {
			return fmt.Errorf("faults: %s: %w", p.Name, err)
		}
	}
	return nil
}

// Remove takes p off: each of its toxics, and every fault of the stand-in
// (Clear: a Fail set over p's is gone too). It goes on past a failing
// step and reports every failure.
func (p Profile) Remove(ctx context.Context, tp *toxiclient.Client, ctl *standin.Control) error {
	var errs []error
	for _, tx := range p.Toxics {
		proxy, err := proxyOf(tp, tx.Proxy)
		if err == nil {
			err = tx.Remove(proxy)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if p.Standin != nil {
		if ctl == nil {
			errs = append(errs, errors.New("no stand-in was given"))
		} else if err := ctl.Clear(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("faults: removing %s: %w", p.Name, err)
	}
	return nil
}

func proxyOf(tp *toxiclient.Client, name string) (*toxiclient.Proxy, error) {
	if tp == nil {
		return nil, fmt.Errorf("no Toxiproxy was given for proxy %s", name)
	}
	proxy, err := tp.Proxy(name)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", name, err)
	}
	return proxy, nil
}
