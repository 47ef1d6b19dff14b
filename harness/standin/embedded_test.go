package standin_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/standin"
)

func TestEmbeddedKeepsTheTextsEveryEmbeddingRouteAnswered(t *testing.T) {
	s, ts := start(t, standin.Options{})
	ctl := &standin.Control{BaseURL: ts.URL}
	ctx := context.Background()

	require.Equal(t, http.StatusOK, post(t, ts.URL+"/api/embed", `{"model":"nomic-embed-text","input":["one","two"]}`).Status)
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/api/embeddings", `{"model":"nomic-embed-text","prompt":"three"}`).Status)
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/embeddings", `{"model":"text-embedding-3-small","input":"four"}`).Status)
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/api/chat", chatBody).Status)

	// Calls that embed nothing add nothing: an injected failure, a bad
	// request.
	require.NoError(t, ctl.Fail(ctx, standin.Fail{Status: 500, Count: 1}))
	assert.Equal(t, http.StatusInternalServerError, post(t, ts.URL+"/api/embed", `{"model":"nomic-embed-text","input":"failed"}`).Status)
	assert.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/api/embed", `{"model":"nomic-embed-text","input":7}`).Status)

	got, err := ctl.Embedded(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "two", "three", "four"}, got, "oldest first; chat is not embedding")
	assert.Equal(t, got, s.Embedded())

	require.NoError(t, ctl.Reset(ctx))
	got, err = ctl.Embedded(ctx)
	require.NoError(t, err)
	assert.Empty(t, got, "Reset empties the list")
}

func TestEmbeddedKeepsOnlyTheNewest(t *testing.T) {
	s, ts := start(t, standin.Options{})
	body := `{"model":"nomic-embed-text","input":[` + `"old"` + repeat(`,"x"`, standin.MaxEmbedded-1) + `,"new"]}`
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/api/embed", body).Status)
	got := s.Embedded()
	require.Len(t, got, standin.MaxEmbedded)
	assert.Equal(t, "x", got[0], "the oldest is dropped")
	assert.Equal(t, "new", got[len(got)-1])
}

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}
