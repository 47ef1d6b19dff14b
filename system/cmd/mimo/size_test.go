package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "4096": 4096, "64MiB": 64 << 20, "64mib": 64 << 20, "256MiB": 256 << 20,
		"1KiB": 1024, "1GiB": 1 << 30, "2KB": 2000, "3MB": 3e6, "1GB": 1e9, "1.5GiB": 3 << 29,
		"512B": 512, "8M": 8 << 20, " 16 MiB ": 16 << 20,
	} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "lots", "-1", "-1MiB", "MiB", "1TiB", "NaN", "1e30GB"} {
		_, err := parseSize(in)
		assert.Error(t, err, in)
	}
}
