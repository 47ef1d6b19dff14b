package coverage

import (
	"bytes"
	"fmt"
)

// The markers between which docs/COVERAGE.md carries the generated figures;
// everything outside them is written by hand and kept.
const (
	BeginMarker = "<!-- coverage:begin (written by mimo-coverage -doc) -->"
	EndMarker   = "<!-- coverage:end -->"
)

// RewriteDoc returns doc with the text between its markers replaced by
// section. It is an error when the markers are missing, repeated or out of
// order: the figures must never be appended somewhere a reader won't look.
func RewriteDoc(doc []byte, section string) ([]byte, error) {
	begin := []byte(BeginMarker)
	end := []byte(EndMarker)
	if bytes.Count(doc, begin) != 1 || bytes.Count(doc, end) != 1 {
		return nil, fmt.Errorf("coverage: the document needs exactly one %q and one %q line", BeginMarker, EndMarker)
	}
	i := bytes.Index(doc, begin) + len(begin)
	j := bytes.Index(doc, end)
	if j < i {
		return nil, fmt.Errorf("coverage: %q comes before %q", EndMarker, BeginMarker)
	}
	var out bytes.Buffer
	out.Write(doc[:i])
	out.WriteString("\n")
	out.WriteString(section)
	out.WriteString("\n")
	out.Write(doc[j:])
	return out.Bytes(), nil
}
