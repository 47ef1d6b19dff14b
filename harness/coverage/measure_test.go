package coverage

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/cover"
)

// twoBinaries is what one -coverpkg run writes when two test binaries link
// the same package: every block twice, run by one binary or the other.
const twoBinaries = `mode: atomic
mimo/system/a/a.go:3.10,5.2 2 0
mimo/system/a/a.go:7.10,9.2 3 4
mimo/system/a/gen.go:1.1,2.2 5 0
mimo/system/b/b.go:1.1,2.2 4 0
mimo/system/a/a.go:3.10,5.2 2 1
mimo/system/a/a.go:7.10,9.2 3 0
mimo/system/b/b.go:1.1,2.2 4 0
mimo/harness/h/h.go:1.1,2.2 1 7
`

func parse(t *testing.T, text string) []*cover.Profile {
	t.Helper()
	profiles, err := cover.ParseProfilesFromReader(strings.NewReader(text))
	require.NoError(t, err)
	return profiles
}

func TestMeasureCountsABlockRunByAnyBinaryOnce(t *testing.T) {
	pkgs, err := Measure(parse(t, twoBinaries), nil)
	require.NoError(t, err)
	assert.Equal(t, []Package{
		{Path: "mimo/harness/h", Statements: 1, Covered: 1},
		{Path: "mimo/system/a", Statements: 10, Covered: 5},
		{Path: "mimo/system/b", Statements: 4, Covered: 0},
	}, pkgs)
	assert.InDelta(t, 50.0, pkgs[1].Percent(), 1e-9)
	assert.InDelta(t, 0.0, pkgs[2].Percent(), 1e-9)
}

func TestMeasureLeavesOutSkippedFiles(t *testing.T) {
	pkgs, err := Measure(parse(t, twoBinaries), func(file string) bool { return file == "mimo/system/a/gen.go" })
	require.NoError(t, err)
	require.Len(t, pkgs, 3)
	assert.Equal(t, Package{Path: "mimo/system/a", Statements: 5, Covered: 5}, pkgs[1])
}

func TestMeasureRefusesAFileNotNamedByImportPath(t *testing.T) {
	_, err := Measure(parse(t, "mode: set\nmain.go:1.1,2.2 1 1\n"), nil)
	assert.ErrorContains(t, err, `"main.go"`)
}

func TestAPackageWithoutStatementsIsFullyCovered(t *testing.T) {
	assert.InDelta(t, 100.0, Package{Path: "mimo/system/types"}.Percent(), 1e-9)
}

func TestSumTakesTheRootAndItsSubpackagesOnly(t *testing.T) {
	pkgs := []Package{
		{Path: "mimo/system", Statements: 10, Covered: 9},
		{Path: "mimo/system/a", Statements: 10, Covered: 1},
		{Path: "mimo/systemd", Statements: 100, Covered: 0},
		{Path: "mimo/harness", Statements: 7, Covered: 7},
	}
	assert.Equal(t, Package{Path: "mimo/system", Statements: 20, Covered: 10}, Sum(pkgs, "mimo/system"))
	assert.True(t, Under("mimo/system/a/b", "mimo/system"))
	assert.False(t, Under("mimo/systemd", "mimo/system"))
}

func TestWriteProfileWritesOneLinePerMergedBlock(t *testing.T) {
	profiles := parse(t, twoBinaries)
	var b bytes.Buffer
	require.NoError(t, WriteProfile(&b, profiles))
	assert.Equal(t, 6, strings.Count(b.String(), "\n"), "mode line and five distinct blocks:\n%s", b.String())
	again := parse(t, b.String())
	assert.Equal(t, profiles, again, "the merged profile reads back as the same profiles")

	assert.Error(t, WriteProfile(&b, nil))
}
