package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the suffixes parseSize takes, longest first so that "MiB"
// is not read as "B".
var sizeUnits = []struct {
	suffix string
	bytes  float64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30},
	{"B", 1},
}

// parseSize reads a byte size: a whole or decimal number with an optional
// unit (KiB, MiB, GiB, KB, MB, GB, any case; no unit means bytes), such
// as 64MiB or 1.5GB. Negative sizes and sizes past 2^62 are errors.
func parseSize(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := 1.0
	for _, u := range sizeUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.bytes
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsNaN(f) || f*mult > 1<<62 {
		return 0, fmt.Errorf("not a size; set it like 64MiB (bytes, or a number with KiB, MiB, GiB, KB, MB or GB)")
	}
	return int64(f * mult), nil
}
