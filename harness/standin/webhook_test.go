package standin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/standin"
)

func TestWebhooksAreKeptInOrderAndReadBack(t *testing.T) {
	s, ts := start(t, standin.Options{})
	ctl := &standin.Control{BaseURL: ts.URL}
	ctx := context.Background()

	none, err := ctl.Webhooks(ctx)
	require.NoError(t, err)
	assert.Empty(t, none)

	for i := range 3 {
		resp, err := http.Post(ts.URL+standin.WebhookPath, "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp, err := http.Post(ts.URL+standin.WebhookPath, "application/json", strings.NewReader(`{"n":`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a body that is not JSON is refused")

	got, err := ctl.Webhooks(ctx)
	require.NoError(t, err)
	assert.Equal(t, []json.RawMessage{json.RawMessage(`{"n":0}`), json.RawMessage(`{"n":1}`), json.RawMessage(`{"n":2}`)}, got)
	assert.Zero(t, s.Counters().Total, "a webhook is not a model call")
}

func TestWebhooksKeepTheNewest(t *testing.T) {
	_, ts := start(t, standin.Options{})
	for i := range standin.MaxWebhooks + 5 {
		resp, err := http.Post(ts.URL+standin.WebhookPath, "application/json", strings.NewReader(fmt.Sprint(i)))
		require.NoError(t, err)
		resp.Body.Close()
	}
	got, err := (&standin.Control{BaseURL: ts.URL}).Webhooks(context.Background())
	require.NoError(t, err)
	require.Len(t, got, standin.MaxWebhooks)
	assert.Equal(t, json.RawMessage("5"), got[0], "the oldest five dropped")
	assert.Equal(t, json.RawMessage(fmt.Sprint(standin.MaxWebhooks+4)), got[len(got)-1])
}
