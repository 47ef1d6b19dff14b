package mimo

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on the words SearchWords takes from one query: enough for any real
// question, and a cap on the work one request can ask of a text index.
const (
	MaxSearchWords     = 32
	MaxSearchWordBytes = 64
)

// SearchWords returns the words a full-text search looks for in the plain
// user text q. Both stores build their engine's query from it, so they
// match the same memories by construction.
//
// A word is a run of Unicode letters, digits and combining marks, lower-cased
// and cut to at most MaxSearchWordBytes bytes on a character boundary;
// everything else, including every character of any query syntax, is a
// separator. Words are returned in their first-seen order without repeats,
// at most MaxSearchWords of them. English stop words (IsStopWord) are left
// out unless the text has no other word, in which case they are all it has
// and are kept. Each common abbreviation among the words (Expansion) is
// followed by its full form, so "prod db" also finds "production database";
// expansions are added only while there is room. Text without words gives
// nil.
func SearchWords(q string) []string {
	var content, stop []string
	seen := map[string]bool{}
	for field := range strings.FieldsFuncSeq(q, func(r rune) bool { return !IsWordRune(r) }) {
		w := TruncateWord(strings.ToLower(field), MaxSearchWordBytes)
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		if IsStopWord(w) {
			if len(stop) < MaxSearchWords {
				stop = append(stop, w)
			}
			continue
		}
		content = append(content, w)
		if len(content) == MaxSearchWords {
			break
		}
	}
	if len(content) == 0 {
		return stop
	}
	for _, w := range content {
		if len(content) == MaxSearchWords {
			break
		}
		for _, x := range strings.Fields(Expansion(w)) {
			if !seen[x] && len(content) < MaxSearchWords {
				seen[x] = true
				content = append(content, x)
			}
		}
	}
	return content
}

// IsWordRune reports whether r belongs to a word: a letter, a digit or a
// combining mark of any script. Every other rune separates words.
func IsWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// TruncateWord cuts s to at most n bytes without splitting a character.
func TruncateWord(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// IsStopWord reports whether the lower-cased word w is an English stop
// word: Snowball's English list, the one Postgres's english text search
// configuration uses, which holds the question words (what, which, when,
// where, who, why, how, do, does) too. Stop words are in nearly every text,
// so a search learns nothing from them.
func IsStopWord(w string) bool {
	_, ok := stopWords[w]
	return ok
}

var stopWords = wordSet(`
	i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
	she her hers herself it its itself they them their theirs themselves what which who whom
	this that these those am is are was were be been being have has had having do does did
	doing a an the and but if or because as until while of at by for with about against
	between into through during before after above below to from up down in out on off over
	under again further then once here there when where why how all any both each few more
	most other some such no nor not only own same so than too very s t can will just don
	should now`)

// IsCommonWord reports whether the lower-cased word w is a frequent English
// word that is not a stop word: one of a few hundred words ("use", "get",
// "need", "long", "often", "many", "like", "main", "app", ...) that turn up
// in any kind of text, technical writing included, in their common
// inflections. A match on one says little about what a text is about, so
// ranking gives them a fraction of the weight of a rarer word, as inverse
// document frequency would; they are never dropped, since a query may have
// nothing else.
func IsCommonWord(w string) bool {
	_, ok := commonWords[w]
	return ok
}

// CommonWords returns every word IsCommonWord reports, sorted, for callers
// that match words in a normal form of their own (an embedder's stems).
func CommonWords() []string {
	out := make([]string, 0, len(commonWords))
	for w := range commonWords {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

// commonWords are frequent words of general and technical English beyond
// the stop words, in the forms they are written in.
var commonWords = wordSet(`
	able across actually add added adding adds ago allow allowed allows almost already also
	although always among another anyone anything app apps around ask asked asking asks away back
	best better big bit call called calling calls came cannot case cases change changed changes
	check checked checks come comes coming could day days default done else end ends enough even
	ever every everybody everyone everything example fact find finds fine first found full gave
	get gets getting give given gives giving go goes going gone good got gotten great handle
	happen happened happens held help helped helps high hold holds however include included
	includes instead issue issues item items keep keeping keeps kept kind kinds knew know known
	knows large last late later least less let lets level like liked likes line lines list long
	longer look looked looks lot lots low made main make makes making many may maybe mean means
	meant might mode move moved much name named names need needed needs new next note notes
	nothing number numbers often ok okay old one ones open order others part people per place
	point problem problems put puts quite ran rather really right run running runs said say says
	see seen set sets shall show showed shown shows simple since small something sometimes start
	started starts still stop stops support supported sure system systems take taken takes taking
	team teams tell tells thing things think time times today together told took top tried tries
	try trying turn two type types use used user users uses using usual usually value values
	version versions via want wanted wants way ways well went whatever whenever whether whole
	within without work worked working works would year years yes yet`)

// Expansion returns the full form of a common technical abbreviation
// ("db" → "database", "k8s" → "kubernetes", "prod" → "production"), or ""
// when w, lower-cased, is not one. A full form may be several words
// separated by spaces ("pr" → "pull request"). The table holds general
// abbreviations of software work only; it is no thesaurus.
func Expansion(w string) string {
	return abbreviations[w]
}

var abbreviations = map[string]string{
	"app":     "application",
	"apps":    "applications",
	"args":    "arguments",
	"auth":    "authentication",
	"authn":   "authentication",
	"authz":   "authorization",
	"cert":    "certificate",
	"certs":   "certificates",
	"cfg":     "configuration",
	"config":  "configuration",
	"configs": "configurations",
	"db":      "database",
	"dbs":     "databases",
	"deps":    "dependencies",
	"dep":     "dependency",
	"dev":     "development",
	"dir":     "directory",
	"dirs":    "directories",
	"doc":     "documentation",
	"docs":    "documentation",
	"env":     "environment",
	"envs":    "environments",
	"func":    "function",
	"i18n":    "internationalization",
	"info":    "information",
	"k8s":     "kubernetes",
	"lib":     "library",
	"libs":    "libraries",
	"msg":     "message",
	"msgs":    "messages",
	"perf":    "performance",
	"pkg":     "package",
	"pkgs":    "packages",
	"pr":      "pull request",
	"prs":     "pull requests",
	"prod":    "production",
	"repo":    "repository",
	"repos":   "repositories",
	"req":     "request",
	"reqs":    "requests",
	"spec":    "specification",
	"specs":   "specifications",
	"sync":    "synchronization",
	"tmp":     "temporary",
	"ui":      "user interface",
	"util":    "utility",
	"utils":   "utilities",
	"vm":      "virtual machine",
	"vms":     "virtual machines",
}

// wordSet makes a set of the space-separated words of list.
func wordSet(list string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(list) {
		m[w] = struct{}{}
	}
	return m
}
