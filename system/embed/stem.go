package embed

// appendStem appends to dst the stem of the lower-cased word w under a light
// English suffix stripper. It is far simpler than Porter's and only aims to
// make the common inflections of a word meet: plurals and third persons
// ("stores", "queries", "boxes"), past tenses and gerunds ("stored",
// "storing", "running"), -ly adverbs and a final silent e ("store"). Stems
// need not be words ("stor"); they only have to agree. Words not ending in
// these ASCII suffixes, including every word of other scripts, are kept as
// they are.
func appendStem(dst, w []byte) []byte {
	start := len(dst)
	s := w
	// Plurals and third persons.
	switch {
	case hasSuffix(s, "sses"):
		s = s[:len(s)-2]
	case hasSuffix(s, "ies") && len(s) >= 5:
		dst = append(dst, s[:len(s)-3]...)
		dst = append(dst, 'y')
		return stripTail(dst, start)
	case hasSuffix(s, "xes") || hasSuffix(s, "ches") || hasSuffix(s, "shes") || hasSuffix(s, "zzes"):
		s = s[:len(s)-2]
	case len(s) >= 4 && s[len(s)-1] == 's' && !isOneOf(s[len(s)-2], "siu"):
		s = s[:len(s)-1]
	}
	// Past tenses and gerunds; the stem left must keep a vowel ("string",
	// "shed" stay whole) and "eed" words ("need", "speed") are not pasts.
	switch {
	case hasSuffix(s, "ied") && len(s) >= 5:
		dst = append(dst, s[:len(s)-3]...)
		dst = append(dst, 'y')
		return stripTail(dst, start)
	case hasSuffix(s, "ed") && !hasSuffix(s, "eed") && len(s) >= 4 && hasVowel(s[:len(s)-2]):
		s = undouble(s[:len(s)-2])
	case hasSuffix(s, "ing") && len(s) >= 5 && hasVowel(s[:len(s)-3]):
		s = undouble(s[:len(s)-3])
	}
	dst = append(dst, s...)
	return stripTail(dst, start)
}

// stripTail removes an -ly adverb ending and then a final silent e from the
// stem in dst[from:], keeping at least two bytes of it.
func stripTail(dst []byte, from int) []byte {
	s := dst[from:]
	if hasSuffix(s, "ly") && len(s) >= 5 && hasVowel(s[:len(s)-2]) {
		s = s[:len(s)-2]
	}
	if len(s) >= 3 && s[len(s)-1] == 'e' {
		s = s[:len(s)-1]
	}
	return dst[:from+len(s)]
}

// undouble turns the doubled final consonant a suffix left behind into one
// ("runn" → "run", "stopp" → "stop"), except l, s and z, which English
// doubles in the word itself ("fall", "miss", "buzz").
func undouble(s []byte) []byte {
	n := len(s)
	if n >= 3 && s[n-1] == s[n-2] && isConsonant(s[n-1]) && !isOneOf(s[n-1], "lsz") {
		return s[:n-1]
	}
	return s
}

func hasSuffix(s []byte, suffix string) bool {
	return len(s) >= len(suffix) && string(s[len(s)-len(suffix):]) == suffix
}

func isOneOf(c byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

func hasVowel(s []byte) bool {
	for _, c := range s {
		if isOneOf(c, "aeiouy") {
			return true
		}
	}
	return false
}

func isConsonant(c byte) bool {
	return 'a' <= c && c <= 'z' && !isOneOf(c, "aeiou")
}

// isStopWord reports whether w is an English function word, the first half
// of a contraction split at its apostrophe ("don" of "don't"), or a lone
// Latin letter (the "s" of "alice's", the "t" of "don't").
func isStopWord(w []byte) bool {
	if len(w) == 1 && 'a' <= w[0] && w[0] <= 'z' {
		return true
	}
	_, ok := stopWords[string(w)]
	return ok
}

var stopWords = func() map[string]struct{} {
	m := make(map[string]struct{}, len(stopWordList))
	for _, w := range stopWordList {
		m[w] = struct{}{}
	}
	return m
}()

var stopWordList = []string{
	"about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
	"be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
	"can", "could", "did", "do", "does", "doing", "down", "during",
	"each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here",
	"hers", "herself", "him", "himself", "his", "how", "if", "in", "into", "is", "it", "its", "itself",
	"just", "ll", "me", "might", "more", "most", "must", "my", "myself", "no", "nor", "not", "now",
	"of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own",
	"re", "same", "shall", "she", "should", "so", "some", "such",
	"than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
	"this", "those", "through", "to", "too", "under", "until", "up", "us", "ve", "very",
	"was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
	"with", "would", "you", "your", "yours", "yourself", "yourselves",
	// Contractions, split at the apostrophe.
	"aren", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "mightn", "mustn",
	"shan", "shouldn", "wasn", "weren", "won", "wouldn",
}
