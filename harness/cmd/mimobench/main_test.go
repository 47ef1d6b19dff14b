package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	code, out, _ := runMain("--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Usage: mimobench")
	for _, flag := range []string{"-mimo", "-database-url", "-memories", "-ingest-concurrency", "-searches", "-search-concurrency", "-json"} {
		assert.Contains(t, out, flag)
	}
}

func TestBadFlagsStopBeforeAnythingRuns(t *testing.T) {
	for _, args := range [][]string{
		{"--memories", "0"},
		{"--batch-size", "1001"},
		{"--ingest-concurrency", "0"},
		{"--searches", "-1"},
		{"--search-concurrency", "0"},
		{"--search-limit", "101"},
		{"--no-such-flag"},
		{"extra-argument"},
	} {
		code, out, errOut := runMain(args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Empty(t, out, "%v", args)
		assert.NotEmpty(t, errOut, "%v", args)
	}
}
