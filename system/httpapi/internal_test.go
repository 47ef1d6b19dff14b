package httpapi

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/internal/fakeclock"
)

func TestLimiterEvictsIdleBuckets(t *testing.T) {
	c := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newLimiter(10, 20, c.Now)
	for i := range 100 {
		ok, _ := l.allow(fmt.Sprintf("ip:10.0.0.%d", i))
		require.True(t, ok)
	}
	assert.Equal(t, 100, l.size())

	// One client stays active; the others go quiet for longer than a
	// bucket takes to refill.
	for range 3 {
		c.Advance(30 * time.Second)
		ok, _ := l.allow("ip:10.0.0.1")
		require.True(t, ok)
	}
	assert.Equal(t, 1, l.size(), "only the active client's bucket is kept")
}

func TestLimiterEvictionDoesNotForgiveAnEmptyBucket(t *testing.T) {
	// A bucket is kept until it would have refilled anyway, so a client
	// cannot reset its budget by waiting for a sweep.
	c := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newLimiter(0.01, 1, c.Now) // one token per 100 s
	ok, _ := l.allow("a")
	require.True(t, ok)
	c.Advance(61 * time.Second) // past minIdle, short of the refill
	ok, retry := l.allow("a")
	assert.False(t, ok)
	assert.Equal(t, 39, retry)
}

func TestLimiterIsSafeForConcurrentUse(t *testing.T) {
	c := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newLimiter(1, 50, c.Now)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range 8 {
		wg.Go(func() {
			for range 25 {
				if ok, _ := l.allow("shared"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 50, allowed, "exactly the burst passes when the clock stands still")
}

// TestUpdateRequestMirrorsTheDomain keeps the PATCH body in step with
// mimo.UpdateRequest: a field added there must be accepted here.
func TestUpdateRequestMirrorsTheDomain(t *testing.T) {
	jsonNames := func(t reflect.Type) map[string]reflect.Type {
		out := map[string]reflect.Type{}
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out[name] = f.Type
		}
		return out
	}
	domain := jsonNames(reflect.TypeFor[mimo.UpdateRequest]())
	ours := jsonNames(reflect.TypeFor[updateRequest]())
	for name, typ := range domain {
		assert.Equal(t, typ, ours[name], "field %q", name)
	}
	delete(ours, "namespace")
	assert.Len(t, ours, len(domain))
}

func TestRouteLabel(t *testing.T) {
	assert.Equal(t, "/api/memories/{id}", routeLabel("GET /api/memories/{id}"))
	assert.Equal(t, "/mcp", routeLabel("/mcp"))
	assert.Equal(t, "/x", routeLabel("GET example.com/x"))
	assert.Equal(t, "unmatched", routeLabel(""))
}
