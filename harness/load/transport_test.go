package load

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hangingServer answers nothing until the test ends: a request to it ends only when the
// runner cuts it.
func hangingServer(t *testing.T) (string, *atomic.Int64) {
	release := make(chan struct{})
	var arrived atomic.Int64
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	return srv.URL, &arrived
}

// TestGracefulStopCutsRequestsInFlight: when a scenario's gracefulStop ends, requests in
// flight are cut — a single one and a batch's, each on its own connection — rather than
// waited for, so the run ends on its own, not by the test's timeout.
func TestGracefulStopCutsRequestsInFlight(t *testing.T) {
	url, arrived := hangingServer(t)
	src := fmt.Sprintf(`
import http from 'k6/http';
export const options = { scenarios: {
  single: { executor: 'constant-vus', vus: 2, duration: '200ms', gracefulStop: '0s', exec: 'single' },
  batch: { executor: 'constant-vus', vus: 1, duration: '200ms', gracefulStop: '0s', exec: 'batch' },
} };
export function single() { http.get('%[1]s/one'); }
export function batch() { http.batch(['%[1]s/b1', '%[1]s/b2', '%[1]s/b3']); }
`, url)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	assert.False(t, res.Interrupted, "the run ended by itself")
	assert.Equal(t, int64(3), res.InterruptedIterations)
	assert.Zero(t, res.Completed)
	assert.Equal(t, int64(5), arrived.Load(), "two single requests and a batch of three were in flight")
}

// TestRequestTimeoutOnAReusedConnection: a timeout on a kept-alive connection is reported
// as k6's request timeout (1050), not retried on a new connection.
func TestRequestTimeoutOnAReusedConnection(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var hits atomic.Int64
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) > 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	src := fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  check(http.get('%[1]s/first'), { 'first answered': (r) => r.status === 200 });
  const t = http.get('%[1]s/second', { timeout: '200ms' });
  check(t, { 'timed out': (r) => r.status === 0 && r.error_code === 1050 });
}
`, srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	requireAllChecksPass(t, res)
	assert.Equal(t, int64(2), hits.Load(), "the timed-out request was sent once")
}
