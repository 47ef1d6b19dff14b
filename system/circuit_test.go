package mimo_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
)

func TestCircuitStateNamesAndValues(t *testing.T) {
	for state, want := range map[mimo.CircuitState]struct {
		name  string
		value int
	}{
		mimo.CircuitClosed:   {"closed", 0},
		mimo.CircuitHalfOpen: {"half-open", 1},
		mimo.CircuitOpen:     {"open", 2},
	} {
		assert.Equal(t, want.name, state.String())
		assert.Equal(t, want.value, int(state), "the gauge value of %s", want.name)
		parsed, err := mimo.ParseCircuitState(want.name)
		require.NoError(t, err)
		assert.Equal(t, state, parsed)
	}
	_, err := mimo.ParseCircuitState("ajar")
	assert.ErrorContains(t, err, `"ajar"`)
	assert.Equal(t, "CircuitState(7)", mimo.CircuitState(7).String())
}

func TestCircuitStateJSON(t *testing.T) {
	b, err := json.Marshal(map[string]mimo.CircuitState{"llm": mimo.CircuitHalfOpen})
	require.NoError(t, err)
	assert.JSONEq(t, `{"llm":"half-open"}`, string(b))
	var back map[string]mimo.CircuitState
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, mimo.CircuitHalfOpen, back["llm"])
	assert.Error(t, json.Unmarshal([]byte(`{"llm":"ajar"}`), &back))
	_, err = json.Marshal(mimo.CircuitState(9))
	assert.Error(t, err)
}
