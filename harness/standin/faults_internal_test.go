package standin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvenSpreadFailsExactlyItsShare(t *testing.T) {
	// Rates as fractions num/den, so the expected count is exact integer
	// arithmetic; 29/100 is one where 100*0.29 falls short of 29 in
	// floating point.
	for _, r := range [][2]int{{1, 1}, {1, 2}, {1, 3}, {3, 10}, {1, 4}, {1, 10}, {7, 100}, {29, 100}, {57, 100}, {1, 100}} {
		num, den := r[0], r[1]
		rate := float64(num) / float64(den)
		var fs faultState
		f := Fail{Rate: rate}
		require.NoError(t, f.validate())
		fs.setFail(f)
		for range 7 {
			fs.takeFail(RouteOllamaEmbed)
		}
		fs.setFail(f) // setting the fault again starts the spread again
		failed := 0
		for n := 1; n <= 1000; n++ {
			if fs.takeFail(RouteOllamaEmbed) != nil {
				failed++
			}
			require.Equal(t, n*num/den, failed, "rate %d/%d after %d calls", num, den, n)
		}
	}
}

func TestFailDefaults(t *testing.T) {
	var f Fail
	require.NoError(t, f.validate())
	assert.Equal(t, 503, f.Status)
	assert.InDelta(t, 1.0, f.Rate, 0)
}

func TestJitterIsSeededAndBounded(t *testing.T) {
	delays := func(seed uint64) []time.Duration {
		fs := faultState{jitter: newRand(seed)}
		fs.slow = &Slow{DelayMS: 10, JitterMS: 5}
		var out []time.Duration
		for range 50 {
			d, ok := fs.takeSlow(RouteOpenAIChat)
			require.True(t, ok)
			require.GreaterOrEqual(t, d, 10*time.Millisecond)
			require.LessOrEqual(t, d, 15*time.Millisecond)
			out = append(out, d)
		}
		return out
	}
	a := delays(3)
	assert.Equal(t, a, delays(3))
	assert.NotEqual(t, a, delays(4))
	distinct := map[time.Duration]bool{}
	for _, d := range a {
		distinct[d] = true
	}
	assert.Greater(t, len(distinct), 10, "jitter varies the delay")
}

func TestTruncateTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
		cut  bool
	}{
		{"a b c", 5, "a b c", false},
		{"a b c", 3, "a b c", false},
		{"a, b, c, d", 2, "a, b", true},
		{"  x y ", 1, "  x", true},
		{"a b", 0, "a b", false},
	} {
		got, cut := truncateTokens(tc.in, tc.max)
		assert.Equal(t, tc.want, got, "%q %d", tc.in, tc.max)
		assert.Equal(t, tc.cut, cut, "%q %d", tc.in, tc.max)
	}
}

func TestAnswerPiecesJoinToTheAnswer(t *testing.T) {
	pieces, reason := answerPieces("Based on  memory: x.", 0)
	assert.Equal(t, []string{"Based ", "on  ", "memory: ", "x."}, pieces)
	assert.Equal(t, "stop", reason)
	pieces, reason = answerPieces("a b c", 2)
	assert.Equal(t, []string{"a ", "b "}, pieces)
	assert.Equal(t, "length", reason)
}
