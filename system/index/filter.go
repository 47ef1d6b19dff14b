package index

import (
	"slices"
	"time"

	mimo "mimo/system"
)

// Row flags: the filter fields tested on every row of most searches are
// kept in one byte a row, so a scan reads 1 byte of them, not a meta.
const (
	flagSuperseded = 1 << 7
	flagCategories = 1<<7 - 1 // one bit per known category (categoryBit)
)

// meta is what the rarer filters test, and what Ranking returns.
type meta struct {
	created    time.Time
	tags       []string
	category   mimo.Category
	importance float64
	updated    int64 // Unix nanoseconds
}

// categoryBit returns the flag bit of a known category, 0 for others
// (which filters compare by name).
func categoryBit(c mimo.Category) uint8 {
	for i, k := range mimo.Categories {
		if c == k && i < 7 {
			return 1 << i
		}
	}
	return 0
}

func flagsOf(e *Entry) uint8 {
	f := categoryBit(e.Category)
	if e.Superseded {
		f |= flagSuperseded
	}
	return f
}

// matcher is a mimo.Filter prepared for testing many rows.
type matcher struct {
	active            bool // false: every row matches, skip the tests
	includeSuperseded bool
	categories        bool            // filter by category
	catMask           uint8           // flag bits of the known categories asked for
	catOther          []mimo.Category // categories asked for that have no bit
	slow              bool            // tags or time bounds to test in meta
	tags              []string
	since, until      time.Time
}

func newMatcher(f mimo.Filter) matcher {
	m := matcher{
		includeSuperseded: f.IncludeSuperseded,
		categories:        len(f.Categories) > 0,
		tags:              f.Tags,
		since:             f.Since,
		until:             f.Until,
	}
	for _, c := range f.Categories {
		if b := categoryBit(c); b != 0 {
			m.catMask |= b
		} else {
			m.catOther = append(m.catOther, c)
		}
	}
	m.slow = len(m.tags) > 0 || !m.since.IsZero() || !m.until.IsZero()
	m.active = m.categories || m.slow || !m.includeSuperseded
	return m
}

// match reports whether the row with the given flags and meta passes.
func (m *matcher) match(flags uint8, e *meta) bool {
	if flags&flagSuperseded != 0 && !m.includeSuperseded {
		return false
	}
	if m.categories && flags&m.catMask == 0 &&
		(flags&flagCategories != 0 || !slices.Contains(m.catOther, e.category)) {
		return false
	}
	if !m.slow {
		return true
	}
	if !m.since.IsZero() && e.created.Before(m.since) {
		return false
	}
	if !m.until.IsZero() && !e.created.Before(m.until) {
		return false
	}
	for _, t := range m.tags {
		if !slices.Contains(e.tags, t) {
			return false
		}
	}
	return true
}
