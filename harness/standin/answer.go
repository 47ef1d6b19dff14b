package standin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Message is one chat message as both protocols carry it, reduced to its
// text (OpenAI content parts of type "text" are joined with newlines).
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// AnswerPrefix starts every answer that quotes something.
const AnswerPrefix = "Based on memory: "

// NoAnswer is the answer to a conversation with no text to quote.
const NoAnswer = "I don't know."

// maxQuoteBytes bounds the quoted sentence, so a memory with no full stop
// cannot make an answer of 64 KiB.
const maxQuoteBytes = 500

// contextNames are the headers that open a context section.
var contextNames = []string{"context", "memories", "memory", "sources", "retrieved memories", "relevant memories"}

// endNames are the headers that close a context section.
var endNames = []string{"question", "query", "user question"}

// Answer is the stand-in's deterministic reply to a conversation:
// AnswerPrefix followed by the first sentence of its context, so a test can
// check that the answer used the context it was given.
//
// The context is the first of:
//  1. the context section of the last user message;
//  2. the context section of a system (or developer) message, last first;
//  3. the whole last user message.
//
// A context section starts after a header line — "Context", "Memories",
// "Memory", "Sources", "Retrieved memories" or "Relevant memories", alone on
// the line or followed by ':' and text that belongs to the section (any
// case, markdown '#' or '*' around it allowed), or any line ending in ':'
// that names one of them as a word ("Answer using these memories:") — or
// after a "<context>" tag. It ends at a "Question", "Query" or "User
// question" header line (alone, or followed by ':'), at "</context>", or at
// the end of the message.
//
// The first sentence is taken from the first non-blank line of the context,
// with a leading list marker ("- ", "* ", "• ", "1. ", "1) ") removed, up to
// and including the first '.', '!' or '?' followed by a space or the end of
// the line, and at most maxQuoteBytes (cut at a word). A conversation with
// nothing to quote gets NoAnswer.
func Answer(messages []Message) string {
	lastUser := -1
	for i := len(messages) - 1; i >= 0; i-- {
		if messages[i].Role == "user" {
			lastUser = i
			break
		}
	}
	var candidates []string
	if lastUser >= 0 {
		if sec, ok := contextSection(messages[lastUser].Content); ok {
			candidates = append(candidates, sec)
		}
	}
	for i := len(messages) - 1; i >= 0; i-- {
		if r := messages[i].Role; r == "system" || r == "developer" {
			if sec, ok := contextSection(messages[i].Content); ok {
				candidates = append(candidates, sec)
			}
		}
	}
	if lastUser >= 0 {
		candidates = append(candidates, messages[lastUser].Content)
	}
	for _, c := range candidates {
		if s := firstSentence(c); s != "" {
			return AnswerPrefix + s
		}
	}
	return NoAnswer
}

// contextSection returns the context section of text, if it has one.
func contextSection(text string) (string, bool) {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		rest, closed, ok := contextHeader(line)
		if !ok {
			continue
		}
		section := []string{rest}
		for _, l := range lines[i+1:] {
			if closed || isEndHeader(l) {
				break
			}
			if j := strings.Index(l, "</context>"); j >= 0 {
				section = append(section, l[:j])
				break
			}
			section = append(section, l)
		}
		return strings.Join(section, "\n"), true
	}
	return "", false
}

// contextHeader reports whether line opens a context section, returns the
// text after the header on the same line, and whether the section closes on
// that line too.
func contextHeader(line string) (rest string, closed, ok bool) {
	if i := strings.Index(line, "<context>"); i >= 0 {
		rest := line[i+len("<context>"):]
		if j := strings.Index(rest, "</context>"); j >= 0 {
			return rest[:j], true, true
		}
		return rest, false, true
	}
	bare := strings.ToLower(stripMarkdown(line))
	for _, name := range contextNames {
		after, found := strings.CutPrefix(bare, name)
		if !found {
			continue
		}
		after = strings.TrimLeft(after, " \t*")
		if after == "" {
			return "", false, true
		}
		if strings.HasPrefix(after, ":") {
			// The original text after the colon: the quote keeps its case.
			return strings.TrimLeft(line[strings.Index(line, ":")+1:], " \t*"), false, true
		}
	}
	if strings.HasSuffix(bare, ":") {
		for _, w := range strings.FieldsFunc(bare, func(r rune) bool { return !unicode.IsLetter(r) }) {
			for _, name := range contextNames {
				if w == name {
					return "", false, true
				}
			}
		}
	}
	return "", false, false
}

// isEndHeader reports whether line is a header that closes a context
// section.
func isEndHeader(line string) bool {
	bare := strings.ToLower(stripMarkdown(line))
	for _, name := range endNames {
		if after, ok := strings.CutPrefix(bare, name); ok {
			after = strings.TrimLeft(after, " \t*")
			if after == "" || strings.HasPrefix(after, ":") {
				return true
			}
		}
	}
	return false
}

// stripMarkdown removes spaces and the markdown '#' and '*' around a line.
func stripMarkdown(line string) string {
	return strings.Trim(line, " \t\r#*")
}

// firstSentence returns the first sentence of the first non-blank line of
// text, without its list marker, at most maxQuoteBytes long.
func firstSentence(text string) string {
	for line := range strings.SplitSeq(text, "\n") {
		line = stripListMarker(strings.TrimSpace(line))
		if line == "" {
			continue
		}
		return clip(cutSentence(line), maxQuoteBytes)
	}
	return ""
}

// stripListMarker removes one leading "- ", "* ", "• ", "N. " or "N) ".
func stripListMarker(line string) string {
	for _, m := range []string{"- ", "* ", "• "} {
		if rest, ok := strings.CutPrefix(line, m); ok {
			return strings.TrimSpace(rest)
		}
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' ' {
		return strings.TrimSpace(line[i+2:])
	}
	return line
}

// cutSentence returns line up to and including its first sentence end: '.',
// '!' or '?' followed by white space or the end of the line.
func cutSentence(line string) string {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '.', '!', '?':
			if i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t' {
				return line[:i+1]
			}
		}
	}
	return line
}

// clip shortens s to at most max bytes, at the last space before the limit
// when there is one, never inside a rune.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := s[:max]
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		return cut[:i]
	}
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut
}
