// Package httpkit makes the HTTP clients Mimo calls its providers with (the
// language model, a remote embedder), so both keep their connections alike.
package httpkit

import (
	"net/http"
	"time"
)

// MaxIdleConnsPerHost is how many idle connections to one provider host a
// client from Client keeps for reuse: enough for the calls of a hundred
// clients at once. Go's default transport keeps two, so with a hundred
// questions at once every other call dialled a new connection (a tenth of a
// loaded server's CPU) and left one in TIME_WAIT.
const MaxIdleConnsPerHost = 128

// Client returns a client whose every request is bounded by timeout (zero
// means none, as in http.Client) over a copy of the default transport that
// keeps MaxIdleConnsPerHost idle connections a host.
func Client(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return &http.Client{Timeout: timeout, Transport: t}
}
