package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"mimo/harness/mimoclient"
)

// AssertAPIError asserts that r is Mimo's error answer: HTTP status, and
// a JSON body {"error":{"code":code,"message":…}} whose message says
// something. what names the request in the failure messages. It reports
// whether all held.
func AssertAPIError(t testing.TB, what string, r *mimoclient.Response, status int, code string) bool {
	t.Helper()
	ok := assert.Equal(t, status, r.Status, "%s: the status; body %s", what, r.Body)
	e, isAPI := r.APIError()
	if !assert.True(t, isAPI, "%s answers Mimo's JSON error: %s", what, r.Body) {
		return false
	}
	ok = assert.Equal(t, code, e.Code, "%s: the error code", what) && ok
	return assert.NotEmpty(t, e.Message, "%s says why", what) && ok
}
