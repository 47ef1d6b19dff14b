package embed

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	mimo "mimo/system"
)

// Feature weights. A content word counts 1; its character trigrams share
// trigramWeight between them (each gets trigramWeight/sqrt(n), so a word's
// trigrams carry about as much of the vector's energy as trigramWeight² no
// matter how long it is); a pair of consecutive content words counts
// bigramWeight; a function word counts stopWeight, enough to tell "to be or
// not to be" from silence but too little to make unrelated sentences meet.
// A common English word that is not a function word (mimo.IsCommonWord:
// "use", "need", "long", ..., in any inflection) counts commonWeight as a word, standing in for
// the low inverse document frequency an embedder without corpus statistics
// cannot know; its trigrams and bigrams count in full, since they carry the
// phrase it is part of. A common abbreviation also adds the word features of
// its full form (mimo.Expansion: "db" adds "database"), each at wordWeight,
// so the short and long spellings meet.
const (
	wordWeight    = 1.0
	trigramWeight = 1.0
	bigramWeight  = 0.5
	stopWeight    = 0.15
	commonWeight  = 0.3
)

// maxWordBytes bounds one word; the rest of a longer run of letters (a hash,
// a base64 blob) is ignored so one token cannot dominate the cost.
const maxWordBytes = 64

// Feature kinds, hashed in front of the feature's bytes so a word and a
// trigram with the same letters are different features.
const (
	kindWord    = 'w'
	kindTrigram = 't'
	kindBigram  = 'b'
)

// commonStems are the stems of mimo.CommonWords, so that every inflection
// of a common word ("stop", "stopped", "stopping") counts as one.
var commonStems = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range mimo.CommonWords() {
		m[string(appendStem(nil, []byte(w)))] = struct{}{}
	}
	return m
}()

// featurizer holds the scratch space of one embedding; it is pooled.
type featurizer struct {
	word  []byte       // the word being read, lower-cased
	stem  []byte       // its stem
	prev  []byte       // stem of the previous content word, for bigrams
	pair  []byte       // "prev stem", to look two-word terms up
	lex   *lexicon     // the WordNet table, or nil when not used
	wv    *wordVectors // the word vectors, or nil when not used
	dense []float64    // the weighted sum of the text's word vectors
	pad   []byte       // "#stem#" for trigrams
	offs  []int        // rune offsets into pad
	feats featureTable // the text's features and their summed weights
	acc   []float64    // bucket sums
}

func (fz *featurizer) accumulator(dim int) []float64 {
	if cap(fz.acc) < dim {
		fz.acc = make([]float64, dim)
	}
	fz.acc = fz.acc[:dim]
	clear(fz.acc)
	return fz.acc
}

// extract fills fz.feats with the features of text and their summed
// weights.
func (fz *featurizer) extract(text string) {
	fz.feats.reset()
	if fz.wv != nil {
		if len(fz.dense) != fz.wv.dims {
			fz.dense = make([]float64, fz.wv.dims)
		}
		clear(fz.dense)
	}
	fz.word = fz.word[:0]
	fz.prev = fz.prev[:0]
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
				fz.appendByte(c)
			case 'A' <= c && c <= 'Z':
				fz.appendByte(c + ('a' - 'A'))
			case c == '.' || c == '!' || c == '?' || c == ';' || c == ':' || c == '\n':
				// A sentence or clause ends: no bigram spans it.
				fz.flush()
				fz.prev = fz.prev[:0]
			default:
				fz.flush()
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == utf8.RuneError:
			fz.flush()
		case standsAlone(r):
			// Scripts written without spaces (Han, kana) and symbols such
			// as emoji: each character is a word of its own, and bigrams
			// of neighbouring characters carry the phrase.
			fz.flush()
			fz.word = utf8.AppendRune(fz.word, unicode.ToLower(r))
			fz.emit(false)
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r):
			if len(fz.word)+size <= maxWordBytes {
				fz.word = utf8.AppendRune(fz.word, unicode.ToLower(r))
			}
		default:
			fz.flush()
		}
	}
	fz.flush()
}

func (fz *featurizer) appendByte(c byte) {
	if len(fz.word) < maxWordBytes {
		fz.word = append(fz.word, c)
	}
}

// flush emits the word being read, if any.
func (fz *featurizer) flush() {
	if len(fz.word) > 0 {
		fz.emit(true)
	}
}

// emit adds the features of fz.word and clears it. trigrams is false for
// one-character words of scripts without spaces, whose trigrams would only
// repeat the word.
func (fz *featurizer) emit(trigrams bool) {
	w := fz.word
	fz.word = fz.word[:0]
	if isStopWord(w) {
		fz.add(hashOf(kindWord, w, nil), stopWeight)
		return
	}
	for full := range strings.FieldsSeq(mimo.Expansion(string(w))) {
		fz.stem = appendStem(fz.stem[:0], []byte(full))
		fz.add(hashOf(kindWord, fz.stem, nil), wordWeight)
	}
	fz.stem = appendStem(fz.stem[:0], w)
	s := fz.stem
	weight := wordWeight
	if _, ok := commonStems[string(s)]; ok {
		weight = commonWeight
	}
	fz.add(hashOf(kindWord, s, nil), weight)
	if lx := fz.lex; lx != nil {
		for _, r := range lx.lookup(s) {
			fz.add(lx.feats[r.feat], weight*float64(r.weight))
		}
		// Two-word terms ("travel document") by the stems of their words.
		if len(fz.prev) > 0 {
			fz.pair = append(append(append(fz.pair[:0], fz.prev...), ' '), s...)
			for _, r := range lx.lookup(fz.pair) {
				fz.add(lx.feats[r.feat], wordWeight*float64(r.weight))
			}
		}
	}
	if wv := fz.wv; wv != nil {
		// The word's vector, weighted like its word feature and by how
		// informative the table says the word is.
		if row, scale, info, ok := wv.row(w, s); ok {
			f := weight * float64(info*scale)
			for j, x := range row {
				fz.dense[j] += f * float64(x)
			}
		}
	}
	if len(fz.prev) > 0 {
		fz.add(hashOf(kindBigram, fz.prev, s), bigramWeight)
	}
	fz.prev = append(fz.prev[:0], s...)
	if trigrams {
		fz.trigrams(s)
	}
}

// trigrams adds the character trigrams of "#s#".
func (fz *featurizer) trigrams(s []byte) {
	fz.pad = append(append(append(fz.pad[:0], '#'), s...), '#')
	fz.offs = fz.offs[:0]
	for j := 0; j < len(fz.pad); {
		fz.offs = append(fz.offs, j)
		if fz.pad[j] < utf8.RuneSelf {
			j++
		} else {
			_, size := utf8.DecodeRune(fz.pad[j:])
			j += size
		}
	}
	fz.offs = append(fz.offs, len(fz.pad))
	n := len(fz.offs) - 3 // number of trigrams: runes - 2
	if n <= 0 {
		return
	}
	w := trigramWeight / math.Sqrt(float64(n))
	for j := 0; j < n; j++ {
		fz.add(hashOf(kindTrigram, fz.pad[fz.offs[j]:fz.offs[j+3]], nil), w)
	}
}

func (fz *featurizer) add(h uint64, w float64) {
	fz.feats.add(h, w)
}

// standsAlone reports whether r is a word by itself: a character of a script
// written without spaces between words, or a symbol such as an emoji.
func standsAlone(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) ||
		unicode.Is(unicode.So, r)
}

// FNV-1a, 64-bit: a published hash with fixed constants, so every process
// and platform maps a feature to the same bucket.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashOf hashes kind, a and, when b is not nil, a separator and b. The
// separator 0xff never occurs in UTF-8, so ("ab","c") and ("a","bc") differ.
// FNV-1a mixes its last bytes poorly into the high bits that pick the
// bucket, so the result goes through a finaliser (MurmurHash3's fmix64).
func hashOf(kind byte, a, b []byte) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	for _, c := range a {
		h = (h ^ uint64(c)) * fnvPrime
	}
	if b != nil {
		h = (h ^ 0xff) * fnvPrime
		for _, c := range b {
			h = (h ^ uint64(c)) * fnvPrime
		}
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
