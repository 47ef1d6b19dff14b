package mimo_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	mimo "mimo/system"
)

func TestCompactMetadata(t *testing.T) {
	ok := map[string]string{
		``:                       `{}`,
		`null`:                   `{}`,
		" {\n \"a\" : [1, 2] } ": `{"a":[1,2]}`,
		`{"ü":"✓"}`:              `{"ü":"✓"}`,
	}
	for in, want := range ok {
		got, err := mimo.CompactMetadata(json.RawMessage(in))
		assert.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	bad := []string{`[1]`, `"x"`, `12`, `{"a":}`, `{"a":1`, "{\"a\":\"\xff\"}", `{"a":"\u0000"}`,
		`{"a":"` + strings.Repeat("x", mimo.MaxMetadataBytes) + `"}`}
	for _, in := range bad {
		_, err := mimo.CompactMetadata(json.RawMessage(in))
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "%.40q", in)
	}
}
