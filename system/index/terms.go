package index

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"

	mimo "mimo/system"
)

// The text index's terms are the words both stores' full-text engines
// index, normalised as they normalise them, so that a search finds what
// the stores' TextSearch finds:
//
//   - a word is a run of Unicode letters, digits and combining marks, as in
//     mimo.SearchWords (the query's words), lower-cased and cut to
//     mimo.MaxSearchWordBytes bytes, so a long query word and the same long
//     word of a memory are cut alike;
//   - diacritics are removed ("café" is "cafe"), as SQLite's unicode61
//     tokenizer does, so an accent typed or left out does not decide a
//     match;
//   - English stop words (mimo.IsStopWord, Postgres's english list) are not
//     indexed, as Postgres's english configuration does not index them;
//   - each word is reduced to its Snowball English (Porter2) stem, the
//     stemmer of Postgres's english configuration and the successor of the
//     Porter stemmer of SQLite's FTS5, so "stores", "stored" and "storing"
//     meet.

// forEachTerm calls fn with the term of every indexed word of text, in
// order, repeats included. A term may share memory with text, so fn must
// copy it to keep it.
func forEachTerm(text string, fn func(term string)) {
	for field := range strings.FieldsFuncSeq(text, func(r rune) bool { return !mimo.IsWordRune(r) }) {
		if t := termOf(field); t != "" {
			fn(t)
		}
	}
}

// queryTerms returns the distinct terms of the plain user text q: the terms
// of its search words (mimo.SearchWords, so stop words go unless they are
// all it has, and common abbreviations bring their full forms). A query of
// stop words only has no terms, since none is indexed.
func queryTerms(q string) []string {
	var out []string
	for _, w := range mimo.SearchWords(q) {
		if t := termOf(w); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// termOf returns the term of one word (a run of word runes), or "" when the
// word is not indexed (a stop word, or nothing left once marks are gone).
func termOf(word string) string {
	w := mimo.TruncateWord(strings.ToLower(word), mimo.MaxSearchWordBytes)
	if mimo.IsStopWord(w) {
		return ""
	}
	w = fold(w)
	if w == "" || mimo.IsStopWord(w) {
		return ""
	}
	if len(w) <= 2 {
		return w // english.Stem leaves them as they are, at a cost
	}
	return stem(w)
}

// stems memoises the stemmer, which costs microseconds a word, far more
// than the rest of indexing one: a store's vocabulary is much smaller than
// its words. At most maxStems words are kept; the memo starts afresh when
// full, so a flood of distinct words costs memory only up to that.
var stems = struct {
	sync.RWMutex
	m map[string]string
}{m: make(map[string]string)}

const maxStems = 1 << 16

func stem(w string) string {
	stems.RLock()
	t, ok := stems.m[w]
	stems.RUnlock()
	if ok {
		return t
	}
	t = english.Stem(w, true)
	stems.Lock()
	if len(stems.m) >= maxStems {
		clear(stems.m)
	}
	// w may be a piece of a memory's content: the memo keeps copies.
	stems.m[strings.Clone(w)] = strings.Clone(t)
	stems.Unlock()
	return t
}

// fold removes diacritics: it decomposes w (NFD) and drops the combining
// marks, so "é" becomes "e". ASCII words are returned as they are.
func fold(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return w
	}
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range norm.NFD.String(w) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
