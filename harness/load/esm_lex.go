package load

import (
	"fmt"
	"strings"
)

// The small lexer the module transform needs: enough of JavaScript's lexical grammar to
// step over strings, templates, comments and regular expressions without mistaking their
// contents for code, and to read import and export clauses.

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// skipSpace returns the offset of the first character at or after i that is neither
// white space nor inside a comment.
func skipSpace(src string, i int) int {
	for i < len(src) {
		switch {
		case src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return len(src)
			}
			i += end + 4
		default:
			return i
		}
	}
	return i
}

// skipString returns the offset just past the string literal opening at i.
func skipString(src string, i int) int {
	q := src[i]
	for i++; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case q, '\n':
			return i + 1
		}
	}
	return i
}

// skipTemplate steps over template text from i (just past a backquote or the closing
// brace of a substitution). At a substitution it records the depth to come back to and
// returns the offset just past "${"; at the template's end, just past the backquote.
func skipTemplate(src string, i int, templates *[]int, depth *int) int {
	for ; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '`':
			return i + 1
		case '$':
			if i+1 < len(src) && src[i+1] == '{' {
				*depth++
				*templates = append(*templates, *depth)
				return i + 2
			}
		}
	}
	return i
}

// regexAllowed says whether a slash after the given token starts a regular expression
// rather than a division: after punctuation that cannot end an operand, or a keyword.
func regexAllowed(prev byte, prevWord string) bool {
	if prevWord != "" {
		switch prevWord {
		case "return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void",
			"throw", "instanceof", "yield", "await":
			return true
		}
		return false
	}
	return prev == 0 || strings.IndexByte("(,=:[!&|?{};+-*%<>~^", prev) >= 0
}

// skipRegex returns the offset just past the regular expression literal opening at i.
func skipRegex(src string, i int) int {
	inClass := false
	for i++; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\':
			i++
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '/' && !inClass:
			i++
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			return i
		case c == '\n':
			return i
		}
	}
	return i
}

// lexer reads the tokens of one import or export clause.
type lexer struct {
	src string
	pos int
}

func (l *lexer) skip() { l.pos = skipSpace(l.src, l.pos) }

func (l *lexer) rest(n int) string {
	l.skip()
	return l.src[l.pos:min(len(l.src), l.pos+n)]
}

// peekWord returns the identifier at the current position without consuming it.
func (l *lexer) peekWord() string {
	l.skip()
	j := l.pos
	if j < len(l.src) && isIdentStart(l.src[j]) {
		for j < len(l.src) && isIdentPart(l.src[j]) {
			j++
		}
	}
	return l.src[l.pos:j]
}

// word consumes and returns the identifier at the current position ("" when none).
func (l *lexer) word() string {
	w := l.peekWord()
	l.pos += len(w)
	return w
}

// punct consumes c when it is the next token.
func (l *lexer) punct(c byte) bool {
	l.skip()
	if l.pos < len(l.src) && l.src[l.pos] == c {
		l.pos++
		return true
	}
	return false
}

func (l *lexer) peekString() bool {
	l.skip()
	return l.pos < len(l.src) && (l.src[l.pos] == '"' || l.src[l.pos] == '\'')
}

// str consumes a string literal and returns its value (escapes other than \\ and quotes
// are kept as written: module specifiers are plain paths).
func (l *lexer) str() (string, error) {
	if !l.peekString() {
		return "", fmt.Errorf("expected a module specifier string, found %q", l.rest(10))
	}
	end := skipString(l.src, l.pos)
	raw := l.src[l.pos+1 : end-1]
	l.pos = end
	r := strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\"`, `"`)
	return r.Replace(raw), nil
}

// specifierList reads "a, b as c, default as d }" (the opening brace already consumed) and
// returns [name, alias] pairs.
func (l *lexer) specifierList() ([][2]string, error) {
	var list [][2]string
	for !l.punct('}') {
		var name string
		if l.peekString() {
			s, err := l.str()
			if err != nil {
				return nil, err
			}
			name = s
		} else if name = l.word(); name == "" {
			return nil, fmt.Errorf("unexpected %q in braces", l.rest(10))
		}
		alias := name
		if l.peekWord() == "as" {
			l.word()
			if alias = l.word(); alias == "" {
				return nil, fmt.Errorf("expected a name after 'as'")
			}
		}
		list = append(list, [2]string{name, alias})
		if !l.punct(',') {
			if !l.punct('}') {
				return nil, fmt.Errorf("expected ',' or '}', found %q", l.rest(10))
			}
			break
		}
	}
	return list, nil
}

// endStatement consumes an optional import attributes clause (with { ... }) and a
// semicolon, and returns the offset where the statement ends.
func (l *lexer) endStatement() int {
	save := l.pos
	if l.peekWord() == "with" || l.peekWord() == "assert" {
		l.word()
		if l.punct('{') {
			if end := strings.IndexByte(l.src[l.pos:], '}'); end >= 0 {
				l.pos += end + 1
			}
		} else {
			l.pos = save
		}
	}
	save = l.pos
	if !l.punct(';') {
		l.pos = save
	}
	return l.pos
}
