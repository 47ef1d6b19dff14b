package memory

import (
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"mimo/system"
)

// Validation lives here, in the service, so that REST and MCP reject the same
// inputs with the same messages.

func normalizeNamespace(ns string) (string, error) {
	if ns == "" {
		return mimo.DefaultNamespace, nil
	}
	if len(ns) > mimo.MaxNamespaceLen {
		return "", mimo.Errorf(mimo.EINVALID, "namespace: at most %d bytes", mimo.MaxNamespaceLen)
	}
	if !utf8.ValidString(ns) {
		return "", mimo.Errorf(mimo.EINVALID, "namespace: not valid UTF-8")
	}
	if ns == "*" {
		return "", mimo.Errorf(mimo.EINVALID, `namespace: "*" is reserved`)
	}
	for _, r := range ns {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return "", mimo.Errorf(mimo.EINVALID, "namespace: no spaces or control characters allowed")
		}
	}
	return ns, nil
}

func validateContent(field, s string) error {
	if len(s) > mimo.MaxContentBytes {
		return mimo.Errorf(mimo.ETOOLARGE, "%s: %d bytes is over the limit of %d", field, len(s), mimo.MaxContentBytes)
	}
	if !utf8.ValidString(s) {
		return mimo.Errorf(mimo.EINVALID, "%s: not valid UTF-8", field)
	}
	if strings.TrimSpace(s) == "" {
		return mimo.Errorf(mimo.EINVALID, "%s: must not be empty", field)
	}
	// Postgres text cannot hold NUL; reject it everywhere so both stores
	// accept exactly the same memories.
	if strings.IndexByte(s, 0) >= 0 {
		return mimo.Errorf(mimo.EINVALID, "%s: must not contain NUL characters", field)
	}
	return nil
}

func normalizeCategory(c mimo.Category) (mimo.Category, error) {
	if c == "" {
		return mimo.CategoryFact, nil
	}
	if !c.Valid() {
		return "", mimo.Errorf(mimo.EINVALID, "category: %q is not one of fact, observation, action, plan, episode", truncate(string(c), 40))
	}
	return c, nil
}

func validateImportance(v float64) error {
	if math.IsNaN(v) || v < 0 || v > 1 {
		return mimo.Errorf(mimo.EINVALID, "importance: must be between 0 and 1")
	}
	return nil
}

// normalizeTags trims each tag, rejects empty or oversized ones, and removes
// repeats, keeping first-seen order.
func normalizeTags(tags []string) ([]string, error) {
	if len(tags) > mimo.MaxTags {
		return nil, mimo.Errorf(mimo.EINVALID, "tags: at most %d tags", mimo.MaxTags)
	}
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			return nil, mimo.Errorf(mimo.EINVALID, "tags: a tag must not be empty")
		case len(t) > mimo.MaxTagBytes:
			return nil, mimo.Errorf(mimo.EINVALID, "tags: a tag is at most %d bytes", mimo.MaxTagBytes)
		case !utf8.ValidString(t):
			return nil, mimo.Errorf(mimo.EINVALID, "tags: not valid UTF-8")
		case strings.IndexFunc(t, unicode.IsControl) >= 0:
			return nil, mimo.Errorf(mimo.EINVALID, "tags: no control characters allowed")
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func validateID(field, id string) error {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return mimo.Errorf(mimo.EINVALID, "%s: %q is not a memory id", field, truncate(id, 40))
	}
	return nil
}

func validateFilter(f *mimo.Filter) error {
	ns, err := normalizeNamespace(f.Namespace)
	if err != nil {
		return err
	}
	f.Namespace = ns
	for _, c := range f.Categories {
		if !c.Valid() {
			return mimo.Errorf(mimo.EINVALID, "category: %q is not one of fact, observation, action, plan, episode", truncate(string(c), 40))
		}
	}
	if len(f.Tags) > mimo.MaxTags {
		return mimo.Errorf(mimo.EINVALID, "tags: at most %d tags", mimo.MaxTags)
	}
	for _, t := range f.Tags {
		if t == "" || len(t) > mimo.MaxTagBytes || !utf8.ValidString(t) {
			return mimo.Errorf(mimo.EINVALID, "tags: each tag is 1 to %d bytes of UTF-8", mimo.MaxTagBytes)
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return mimo.Errorf(mimo.EINVALID, "since must be before until")
	}
	return nil
}

func validateLimit(limit, def, max int) (int, error) {
	switch {
	case limit == 0:
		return def, nil
	case limit < 0 || limit > max:
		return 0, mimo.Errorf(mimo.EINVALID, "limit: must be between 1 and %d", max)
	}
	return limit, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// micro truncates t to what both stores keep, so a memory read back equals
// the one stored.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
