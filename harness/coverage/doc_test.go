package coverage

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRewriteDocReplacesOnlyTheTextBetweenTheMarkers(t *testing.T) {
	doc := "# Coverage\n\nBy hand.\n\n" + BeginMarker + "\nold figures\n" + EndMarker + "\n\nAlso by hand.\n"
	out, err := RewriteDoc([]byte(doc), "new figures\n")
	require.NoError(t, err)
	want := "# Coverage\n\nBy hand.\n\n" + BeginMarker + "\nnew figures\n\n" + EndMarker + "\n\nAlso by hand.\n"
	assert.Equal(t, want, string(out))

	again, err := RewriteDoc(out, "new figures\n")
	require.NoError(t, err)
	assert.Equal(t, want, string(again), "rewriting is idempotent")
}

func TestRewriteDocRefusesMissingRepeatedOrSwappedMarkers(t *testing.T) {
	for name, doc := range map[string]string{
		"no markers":  "# Coverage\n",
		"no end":      BeginMarker + "\n",
		"two begins":  BeginMarker + "\n" + BeginMarker + "\n" + EndMarker + "\n",
		"end first":   EndMarker + "\n" + BeginMarker + "\n",
		"two ends":    BeginMarker + "\n" + EndMarker + "\n" + EndMarker + "\n",
		"begin alone": "text " + BeginMarker,
	} {
		_, err := RewriteDoc([]byte(doc), "x")
		assert.Error(t, err, name)
	}
}
