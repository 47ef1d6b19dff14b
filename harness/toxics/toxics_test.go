package toxics_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/toxics"
)

func TestConstructorsBuildToxiproxyAttributes(t *testing.T) {
	must := func(p toxics.Profile, err error) toxics.Profile {
		t.Helper()
		require.NoError(t, err)
		return p
	}
	cases := []struct {
		got   toxics.Profile
		typ   string
		attrs toxiproxy.Attributes
	}{
		{must(toxics.Latency(250, 20)), "latency", toxiproxy.Attributes{"latency": 250, "jitter": 20}},
		{must(toxics.Timeout(0)), "timeout", toxiproxy.Attributes{"timeout": 0}},
		{must(toxics.ResetPeer(10)), "reset_peer", toxiproxy.Attributes{"timeout": 10}},
		{must(toxics.Bandwidth(64)), "bandwidth", toxiproxy.Attributes{"rate": 64}},
		{must(toxics.Slicer(100, 10, 500)), "slicer", toxiproxy.Attributes{"average_size": 100, "size_variation": 10, "delay": 500}},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			assert.Equal(t, c.typ, c.got.Type)
			assert.Equal(t, c.typ+"_downstream", c.got.Name)
			assert.Equal(t, toxics.Downstream, c.got.Stream)
			assert.Equal(t, float32(1), c.got.Toxicity)
			assert.Equal(t, c.attrs, c.got.Attributes)
			assert.NoError(t, c.got.Validate())
		})
	}
}

func TestConstructorsRefuseBadArguments(t *testing.T) {
	for name, err := range map[string]error{
		"negative latency":   second(toxics.Latency(-1, 0)),
		"negative jitter":    second(toxics.Latency(1, -1)),
		"negative timeout":   second(toxics.Timeout(-1)),
		"negative reset":     second(toxics.ResetPeer(-5)),
		"zero bandwidth":     second(toxics.Bandwidth(0)),
		"zero slice":         second(toxics.Slicer(0, 0, 0)),
		"variation too big":  second(toxics.Slicer(10, 10, 0)),
		"negative variation": second(toxics.Slicer(10, -1, 0)),
		"negative delay":     second(toxics.Slicer(10, 1, -1)),
	} {
		assert.Error(t, err, name)
	}
}

func second(_ toxics.Profile, err error) error { return err }

func TestRefinementsAndValidation(t *testing.T) {
	p, err := toxics.Latency(100, 0)
	require.NoError(t, err)

	up := p.WithStream(toxics.Upstream).WithToxicity(0.25)
	assert.Equal(t, "latency_upstream", up.Name)
	assert.Equal(t, toxics.Upstream, up.Stream)
	assert.Equal(t, float32(0.25), up.Toxicity)
	assert.Equal(t, "latency_downstream", p.Name, "refining returns a copy")

	named := p.WithName("slow-db").WithStream(toxics.Upstream)
	assert.Equal(t, "slow-db", named.Name, "a chosen name survives a change of stream")

	assert.Error(t, p.WithToxicity(1.5).Validate())
	assert.Error(t, p.WithToxicity(-0.1).Validate())
	assert.Error(t, p.WithStream("sideways").Validate())
	assert.Error(t, toxics.Profile{}.Validate())
}

// fakeToxiproxy answers the few routes of Toxiproxy's API that toxics uses
// and records the toxics it was sent.
type fakeToxiproxy struct {
	mu      sync.Mutex
	toxics  map[string]toxiproxy.Toxic
	enabled bool
}

func (f *fakeToxiproxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/proxies/db/toxics":
		var tx toxiproxy.Toxic
		if err := json.NewDecoder(r.Body).Decode(&tx); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, dup := f.toxics[tx.Name]; dup {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"error":"toxic already exists","status":409}`))
			return
		}
		f.toxics[tx.Name] = tx
		_ = json.NewEncoder(w).Encode(tx)
	case r.Method == http.MethodDelete && len(r.URL.Path) > len("/proxies/db/toxics/"):
		name := r.URL.Path[len("/proxies/db/toxics/"):]
		if _, ok := f.toxics[name]; !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":"toxic not found","status":404}`))
			return
		}
		delete(f.toxics, name)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && r.URL.Path == "/proxies":
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"name":"db","listen":"127.0.0.1:1","upstream":"db:1","enabled":true}`))
	case r.Method == http.MethodPost && r.URL.Path == "/proxies/db":
		var p toxiproxy.Proxy
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.enabled = p.Enabled
		p.Name = "db"
		_ = json.NewEncoder(w).Encode(p)
	default:
		http.NotFound(w, r)
	}
}

func newFake(t *testing.T) (*fakeToxiproxy, *toxiproxy.Proxy) {
	f := &fakeToxiproxy{toxics: map[string]toxiproxy.Toxic{}, enabled: true}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	proxy, err := toxiproxy.NewClient(srv.URL).CreateProxy("db", "127.0.0.1:1", "db:1")
	require.NoError(t, err)
	return f, proxy
}

func TestAddSendsTheToxicAndRemovesIt(t *testing.T) {
	f, proxy := newFake(t)
	p, err := toxics.Slicer(64, 8, 100)
	require.NoError(t, err)

	t.Run("applied", func(t *testing.T) {
		toxics.Add(t, proxy, p.WithToxicity(0.5))
		f.mu.Lock()
		got, ok := f.toxics["slicer_downstream"]
		f.mu.Unlock()
		require.True(t, ok, "the toxic reached Toxiproxy")
		assert.Equal(t, "slicer", got.Type)
		assert.Equal(t, float32(0.5), got.Toxicity)
		// JSON numbers come back as float64.
		assert.Equal(t, toxiproxy.Attributes{"average_size": 64.0, "size_variation": 8.0, "delay": 100.0}, got.Attributes)
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Empty(t, f.toxics, "the subtest's cleanup removed the toxic")
}

func TestAddReportsToxiproxyRefusal(t *testing.T) {
	_, proxy := newFake(t)
	p, err := toxics.Timeout(100)
	require.NoError(t, err)
	require.NoError(t, p.Add(proxy))
	assert.Error(t, p.Add(proxy), "a second toxic of the same name is refused")
	assert.Error(t, p.WithToxicity(2).Add(proxy), "an invalid profile is not sent")
}

func TestDownAndUpToggleTheProxy(t *testing.T) {
	f, proxy := newFake(t)
	require.NoError(t, toxics.Down(proxy))
	f.mu.Lock()
	assert.False(t, f.enabled)
	f.mu.Unlock()
	require.NoError(t, toxics.Up(proxy))
	f.mu.Lock()
	assert.True(t, f.enabled)
	f.mu.Unlock()
}

func TestAddRemovesEarlyOnceAndCutRestores(t *testing.T) {
	f, proxy := newFake(t)
	t.Run("cut and toxic", func(t *testing.T) {
		remove := toxics.Add(t, proxy, toxics.Must(toxics.Latency(10, 0)))
		restore := toxics.Cut(t, proxy)
		f.mu.Lock()
		assert.False(t, f.enabled, "cut")
		assert.Len(t, f.toxics, 1)
		f.mu.Unlock()

		remove()
		restore()
		f.mu.Lock()
		assert.True(t, f.enabled, "restored early")
		assert.Empty(t, f.toxics, "removed early")
		f.mu.Unlock()
		// The cleanups run again at the end of the subtest and do nothing:
		// a second removal would be refused (404) and fail the subtest.
	})
	t.Run("cut until the end", func(t *testing.T) {
		toxics.Cut(t, proxy)
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.True(t, f.enabled, "the cleanup enabled the proxy again")
}

func TestMustPanicsOnABadProfile(t *testing.T) {
	assert.Panics(t, func() { toxics.Must(toxics.Latency(-1, 0)) })
	assert.Equal(t, "latency", toxics.Must(toxics.Latency(1, 0)).Type)
}
