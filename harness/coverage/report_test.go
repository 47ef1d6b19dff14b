package coverage

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var measured = []Package{
	{Path: "mimo/harness", Statements: 100, Covered: 70},
	{Path: "mimo/harness/cmd/tool", Statements: 100, Covered: 73},
	{Path: "mimo/system", Statements: 100, Covered: 90},
	{Path: "mimo/system/sqlite", Statements: 300, Covered: 249},
	{Path: "mimo/system/storetest", Statements: 50, Covered: 50},
}

var ships = map[string]bool{"mimo/system": true, "mimo/system/sqlite": true, "mimo/system/cmd/mimo": true}

func TestNewReportCountsWhatShipsAndListsTheTestKitsApart(t *testing.T) {
	r, err := NewReport("mimo", 80, measured, ships)
	require.NoError(t, err)
	assert.Equal(t, []Package{measured[0], measured[1], measured[2], measured[3]}, r.Counted)
	assert.Equal(t, []Package{measured[4]}, r.Kits)
	assert.Equal(t, Package{Path: "mimo/system", Statements: 400, Covered: 339}, r.System)
	assert.Equal(t, Package{Path: "mimo/harness", Statements: 200, Covered: 143}, r.Harness)
}

func TestNewReportRefusesAPackageOutsideTheTrees(t *testing.T) {
	_, err := NewReport("mimo", 80, append([]Package{{Path: "mimo/dashboards", Statements: 1}}, measured...), ships)
	assert.ErrorContains(t, err, "mimo/dashboards is outside")
}

func TestNewReportRefusesAProfileWithoutSystem(t *testing.T) {
	_, err := NewReport("mimo", 80, measured[:2], ships)
	assert.ErrorContains(t, err, "no statement of mimo/system/")
}

func TestCheckFloorFailsUnderTheFloorOnly(t *testing.T) {
	r, err := NewReport("mimo", 80, measured, ships)
	require.NoError(t, err)
	assert.NoError(t, r.CheckFloor(), "84.75% is above 80%")

	r.Floor = 84.75
	assert.NoError(t, r.CheckFloor(), "exactly the floor passes")

	r.Floor = 85
	err = r.CheckFloor()
	require.Error(t, err)
	assert.Equal(t, "coverage: system/ is 84.75% covered (339 of 400 statements), under the floor of 85%", err.Error())
}

func TestWriteJSONWritesTheReportsShape(t *testing.T) {
	r, err := NewReport("mimo", 80, measured, ships)
	require.NoError(t, err)
	r.Commit = "0123abc"
	r.Generated = time.Date(2026, 12, 3, 11, 0, 0, 0, time.FixedZone("CET", 3600))
	path := filepath.Join(t.TempDir(), "coverage", "coverage.json")
	require.NoError(t, r.WriteJSON(path))

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"floor": 80,
		"packages": [
			{"package": "mimo/harness", "percent": 70},
			{"package": "mimo/harness/cmd/tool", "percent": 73},
			{"package": "mimo/system", "percent": 90},
			{"package": "mimo/system/sqlite", "percent": 83}
		],
		"total": {"system": 84.8, "harness": 71.5},
		"commit": "0123abc",
		"generated": "2026-12-03T10:00:00Z"
	}`, string(b))
	var s Summary
	require.NoError(t, json.Unmarshal(b, &s))
	_, err = time.Parse(time.RFC3339, s.Generated)
	assert.NoError(t, err)
}

func TestWriteTableAndMarkdownShowEveryPackage(t *testing.T) {
	r, err := NewReport("mimo", 80, measured, ships)
	require.NoError(t, err)
	r.Commit = "0123456789abcdef0123"
	r.Generated = time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)

	var b strings.Builder
	require.NoError(t, r.WriteTable(&b))
	table := b.String()
	assert.Contains(t, table, "system/sqlite")
	assert.Regexp(t, `system/ \(floor 80%\)\s+400\s+339\s+84\.8%`, table)
	assert.Regexp(t, `system/storetest \(test kit, not counted\)\s+50\s+50\s+100\.0%`, table)

	md := r.Markdown()
	assert.Contains(t, md, "commit `0123456789ab` on 2026-12-03 11:00 (UTC)")
	assert.Contains(t, md, "| system/sqlite | 300 | 249 | 83.0% |")
	assert.Contains(t, md, "| **system/ total** | **400** | **339** | **84.8%** |")
	assert.Contains(t, md, "| **harness/ total** | **200** | **143** | **71.5%** |")
	assert.Contains(t, md, "| Test kit (not counted) |")
	assert.Less(t, strings.Index(md, "system/sqlite"), strings.Index(md, "harness/ package"), "system/'s table comes first")
}
