package faults_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/faults"
	"mimo/harness/standin"
)

// fakeToxiproxy answers the routes of Toxiproxy's API a profile uses, for
// the proxies it is made with, and keeps the toxics it was sent.
type fakeToxiproxy struct {
	mu      sync.Mutex
	proxies map[string]map[string]toxiclient.Toxic // proxy → toxic name → toxic
}

func (f *fakeToxiproxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "proxies" || f.proxies[parts[1]] == nil {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"proxy not found","status":404}`))
		return
	}
	name, toxics := parts[1], f.proxies[parts[1]]
	switch {
	case r.Method == http.MethodGet && len(parts) == 2:
		_ = json.NewEncoder(w).Encode(toxiclient.Proxy{Name: name, Listen: "127.0.0.1:1", Upstream: "x:1", Enabled: true})
	case r.Method == http.MethodPost && len(parts) == 3:
		var tx toxiclient.Toxic
		if err := json.NewDecoder(r.Body).Decode(&tx); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, dup := toxics[tx.Name]; dup {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"error":"toxic already exists","status":409}`))
			return
		}
		toxics[tx.Name] = tx
		_ = json.NewEncoder(w).Encode(tx)
	case r.Method == http.MethodDelete && len(parts) == 4:
		if _, ok := toxics[parts[3]]; !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":"toxic not found","status":404}`))
			return
		}
		delete(toxics, parts[3])
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeToxiproxy) toxics(proxy string) map[string]toxiclient.Toxic {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]toxiclient.Toxic{}
	for k, v := range f.proxies[proxy] {
		out[k] = v
	}
	return out
}

func newFakes(t *testing.T, proxies ...string) (*fakeToxiproxy, *toxiclient.Client, *standin.Server, *standin.Control) {
	t.Helper()
	f := &fakeToxiproxy{proxies: map[string]map[string]toxiclient.Toxic{}}
	for _, p := range proxies {
		f.proxies[p] = map[string]toxiclient.Toxic{}
	}
	tps := httptest.NewServer(f)
	t.Cleanup(tps.Close)
	s := standin.New(standin.Options{})
	ss := httptest.NewServer(s)
	t.Cleanup(ss.Close)
	return f, toxiclient.NewClient(tps.URL), s, &standin.Control{BaseURL: ss.URL}
}

func TestTenPercentFailsOneBackendCallInTen(t *testing.T) {
	p, err := faults.Lookup(faults.TenPercentName)
	require.NoError(t, err)
	require.NoError(t, p.Validate())
	require.Len(t, p.Toxics, 1)
	assert.Equal(t, "postgres", p.Toxics[0].Proxy)
	assert.Equal(t, "reset_peer", p.Toxics[0].Type)
	assert.Equal(t, float32(0.1), p.Toxics[0].Toxicity)
	require.NotNil(t, p.Standin)
	assert.Equal(t, 0.1, p.Standin.Rate)
	assert.Empty(t, p.Standin.Routes, "every model route")

	f, tp, s, ctl := newFakes(t, "postgres")
	ctx := context.Background()
	require.NoError(t, p.Apply(ctx, tp, ctl))
	got := f.toxics("postgres")
	require.Contains(t, got, "postgres_reset_one_in_ten")
	assert.Equal(t, float32(0.1), got["postgres_reset_one_in_ten"].Toxicity)
	assert.Equal(t, "reset_peer", got["postgres_reset_one_in_ten"].Type)

	// The stand-in fails exactly one call in ten.
	h := httptest.NewServer(s)
	defer h.Close()
	failed := 0
	for range 100 {
		resp, err := http.Post(h.URL+"/api/embed", "application/json", strings.NewReader(`{"model":"nomic-embed-text","input":"x"}`))
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			failed++
		}
	}
	assert.Equal(t, 10, failed)

	require.NoError(t, p.Remove(ctx, tp, ctl))
	assert.Empty(t, f.toxics("postgres"))
	fs, err := ctl.Faults(ctx)
	require.NoError(t, err)
	assert.Equal(t, standin.Faults{}, fs)
}

func TestApplyLeavesNothingBehindWhenAStepFails(t *testing.T) {
	p := faults.Profile{Name: "two", Toxics: []faults.Toxic{
		{Proxy: "postgres", Profile: faults.TenPercent.Toxics[0].Profile},
		{Proxy: "missing", Profile: faults.TenPercent.Toxics[0].Profile},
	}, Standin: &standin.Fail{}}
	f, tp, _, ctl := newFakes(t, "postgres")
	ctx := context.Background()
	err := p.Apply(ctx, tp, ctl)
	require.ErrorContains(t, err, "proxy missing")
	assert.Empty(t, f.toxics("postgres"), "the toxic put on before the failure was taken off")
	fs, err := ctl.Faults(ctx)
	require.NoError(t, err)
	assert.Nil(t, fs.Fail, "the stand-in's fault never went on")

	assert.Error(t, faults.TenPercent.Apply(ctx, tp, nil), "a profile with a stand-in fault needs the stand-in")
	assert.Empty(t, f.toxics("postgres"))
}

func TestLookupAndValidate(t *testing.T) {
	assert.Equal(t, []string{faults.TenPercentName}, faults.Names())
	_, err := faults.Lookup("chaos")
	assert.ErrorContains(t, err, faults.TenPercentName, "the error lists the known profiles")
	assert.Error(t, faults.Profile{}.Validate())
	assert.Error(t, faults.Profile{Name: "x", Toxics: []faults.Toxic{{Profile: faults.TenPercent.Toxics[0].Profile}}}.Validate())
	bad := faults.TenPercent.Toxics[0]
	bad.Toxicity = 2
	assert.Error(t, faults.Profile{Name: "x", Toxics: []faults.Toxic{bad}}.Validate())
}
