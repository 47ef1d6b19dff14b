package mimo

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// CompactMetadata returns a memory's metadata as it is stored: a compact
// JSON object, "{}" when raw is empty or null. Anything else is EINVALID:
// not an object, over MaxMetadataBytes, invalid UTF-8, or holding a NUL
// character (Postgres text cannot hold one, so neither store accepts it).
// The service validates with it and both stores store with it, so all three
// agree by construction.
func CompactMetadata(raw json.RawMessage) (string, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return "{}", nil
	}
	if len(trimmed) > MaxMetadataBytes {
		return "", Errorf(EINVALID, "metadata: at most %d bytes", MaxMetadataBytes)
	}
	if !utf8.Valid(trimmed) {
		return "", Errorf(EINVALID, "metadata: not valid UTF-8")
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return "", Errorf(EINVALID, "metadata: must be a JSON object")
	}
	if bytes.Contains(trimmed, []byte(`\u0000`)) {
		return "", Errorf(EINVALID, "metadata: must not contain NUL characters")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return "", Wrap(EINVALID, err, "metadata: must be a JSON object")
	}
	return buf.String(), nil
}
