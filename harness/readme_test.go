package harness

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeExample checks that the example of README.md is, line for
// line, the test it says it is, so that the README shows code that runs.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	src, err := os.ReadFile("../scenarios/pipeline/example_test.go")
	require.NoError(t, err)

	const start = "func TestAnAnswerComesFromMemoryThroughASlowModel("
	i := strings.Index(string(src), start)
	require.GreaterOrEqual(t, i, 0, "the example test is there")
	fn := string(src[i:])
	fn = fn[:strings.Index(fn, "\n}\n")+3]

	j := strings.Index(string(readme), "```go\n"+start)
	require.GreaterOrEqual(t, j, 0, "README.md shows the example")
	block := string(readme[j+len("```go\n"):])
	block = block[:strings.Index(block, "```")]
	assert.Equal(t, fn, block, "README.md's example is scenarios/pipeline/example_test.go's test")
	assert.LessOrEqual(t, strings.Count(fn, "\n")-2, 12, "the example stays about ten lines")
}
