package standin

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Feature weights of Embed. A word counts 1; the character trigrams of a
// word share trigramWeight between them, so words that share pieces
// ("memory", "memories") meet part-way however long they are.
const (
	wordWeight    = 1.0
	trigramWeight = 1.0
)

// maxWordBytes bounds one word; the rest of a longer run of letters (a hash,
// a base64 blob) is ignored, so one token cannot dominate the cost.
const maxWordBytes = 64

// emptyFeature is the one feature of a text without words, so even the
// empty text has a unit vector, as a real model's embedding does.
const emptyFeature = "\x00empty"

// Embed returns the stand-in's embedding of text: dim float32s (dim < 1 is
// taken as 1) of L2 norm 1. It is deterministic and made of hashed features
// of the text's lower-cased words and their character trigrams, so texts that
// share words or word pieces get similar vectors and unrelated texts get
// nearly orthogonal ones. It is not a language model: meaning without shared
// words is not seen.
func Embed(text string, dim int) []float32 {
	if dim < 1 {
		dim = 1
	}
	acc := make([]float64, dim)
	n := 0
	forEachWord(text, func(w string) {
		n++
		addFeature(acc, 'w', w, "", wordWeight)
		padded := "#" + w + "#"
		offs := runeOffsets(padded)
		trigrams := len(offs) - 3
		if trigrams < 1 {
			return
		}
		weight := trigramWeight / math.Sqrt(float64(trigrams))
		for i := 0; i < trigrams; i++ {
			addFeature(acc, 't', padded[offs[i]:offs[i+3]], "", weight)
		}
	})
	if n == 0 {
		addFeature(acc, 'e', emptyFeature, "", 1)
	}
	var norm float64
	for _, x := range acc {
		norm += x * x
	}
	norm = math.Sqrt(norm)
	v := make([]float32, dim)
	if norm == 0 {
		// Every feature cancelled out in its bucket (possible only with
		// tiny dimensions): fall back to a fixed unit vector.
		v[0] = 1
		return v
	}
	for i, x := range acc {
		v[i] = float32(x / norm)
	}
	return v
}

// addFeature adds weight, with the feature's hashed sign, to the bucket the
// feature hashes to. The kind byte keeps a word and a trigram with the same
// letters apart.
func addFeature(acc []float64, kind byte, a, b string, weight float64) {
	h := fnv1a(fnv1a(fnvOffset^uint64(kind), a), b)
	h = mix64(h)
	i := h % uint64(len(acc))
	if h>>63 == 1 {
		weight = -weight
	}
	acc[i] += weight
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv1a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// mix64 is the splitmix64 finaliser: FNV's low bits are weak for short
// keys, and both the bucket and the sign come from this value.
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// runeOffsets returns the byte offset of every rune of s and len(s).
func runeOffsets(s string) []int {
	offs := make([]int, 0, len(s)+1)
	for i := range s {
		offs = append(offs, i)
	}
	return append(offs, len(s))
}

// forEachWord calls f with each word of text, lower-cased: a word is a run
// of letters and digits, cut at maxWordBytes.
func forEachWord(text string, f func(word string)) {
	forEachWordSpan(text, func(start, end int) {
		w := text[start:end]
		if len(w) > maxWordBytes {
			w = w[:maxWordBytes]
			for !utf8.ValidString(w) {
				w = w[:len(w)-1]
			}
		}
		f(strings.ToLower(w))
	})
}

// forEachWordSpan calls f with the byte span of each word of text.
func forEachWordSpan(text string, f func(start, end int)) {
	start := -1
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			f(start, i)
			start = -1
		}
	}
	if start >= 0 {
		f(start, len(text))
	}
}

// countTokens is the stand-in's token count of text: its number of words.
// Usage figures in both protocols are this count.
func countTokens(text string) int {
	n := 0
	forEachWordSpan(text, func(int, int) { n++ })
	return n
}

// truncateTokens returns the prefix of text holding its first max words and
// whether anything was cut. max < 1 means no limit.
func truncateTokens(text string, max int) (string, bool) {
	if max < 1 {
		return text, false
	}
	n, end := 0, -1
	forEachWordSpan(text, func(_, e int) {
		n++
		if n == max {
			end = e
		}
	})
	if n <= max {
		return text, false
	}
	return text[:end], true
}
