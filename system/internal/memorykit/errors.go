package memorykit

import (
	"unicode/utf8"

	"mimo/system"
)

// The errors both stores return for the same causes, with the same words.
// IDs come from callers, so they are quoted and clipped.

// NotFound is the ENOTFOUND of a memory the namespace does not hold.
func NotFound(id string) error {
	return mimo.Errorf(mimo.ENOTFOUND, "memory %q not found", Clip(id))
}

// IDTaken is the ECONFLICT of a create whose ID another memory has.
func IDTaken(id string) error {
	return mimo.Errorf(mimo.ECONFLICT, "memory ID %q is already in use", Clip(id))
}

// SupersededNotFound is the ENOTFOUND of a create whose Supersedes names no
// memory of its namespace.
func SupersededNotFound(id string) error {
	return mimo.Errorf(mimo.ENOTFOUND, "memory %q to supersede not found", Clip(id))
}

// ContentTaken is the ECONFLICT of an update to content another memory of
// the namespace holds. cause is the database's error, or nil.
func ContentTaken(cause error) error {
	const msg = "another memory of the namespace already holds this content"
	if cause != nil {
		return mimo.Wrap(mimo.ECONFLICT, cause, msg)
	}
	return mimo.Errorf(mimo.ECONFLICT, msg)
}

// Clip shortens caller-supplied text quoted in an error message, so a
// message stays readable whatever the caller sent. It never splits a
// character.
func Clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
