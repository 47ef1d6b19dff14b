package sqlite

// stopWords are the English words a text query leaves out when it has
// other words: they are in nearly every memory, so they cost the ranking
// time and tell it nothing. The list is Snowball's English stop list, the
// one Postgres's english text search configuration uses, so both stores
// match the same memories.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
		"yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
		"it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which",
		"who", "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be",
		"been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
		"the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by",
		"for", "with", "about", "against", "between", "into", "through", "during", "before",
		"after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over",
		"under", "again", "further", "then", "once", "here", "there", "when", "where", "why",
		"how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no",
		"nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will",
		"just", "don", "should", "now",
	} {
		m[w] = true
	}
	return m
}()

// withoutStopWords drops stop words from words unless nothing else is
// left, in which case the words are all the query has and are kept.
func withoutStopWords(words []string) []string {
	kept := words[:0:0]
	for _, w := range words {
		if !stopWords[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return words
	}
	return kept
}
