package embed

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// wordnetTable is the lexical table derived from WordNet 3.0 by
// system/embed/wordnet/gen (`make wordnet`); its format is described there
// and its licence is system/embed/wordnet/LICENSE.
//
//go:embed wordnet/wordnet.gz
var wordnetTable []byte

// Lexicon feature weights. Each is multiplied by the table's weight (the
// sense's share of the word's uses, for a broader term also how specific it
// is; at most 0.99) and by the word's own weight. Synonyms meet on their
// synset (synonymWeight on both sides); a word meets its broader term on
// the broader term's synset (synonymWeight on one side, hypernymWeight on
// the other); two words with a common broader term meet there. A word also
// adds the words of its common senses' definitions at glossWeight, so
// "passport" meets "travel" and "document". Chosen on the tuning halves of
// fixtures/retrieval (see docs/BENCHMARKS.md).
const (
	synonymWeight    = 0.6
	hypernymWeight   = 0.4
	grandWeight      = 0.2
	partWeight       = 0.2
	derivationWeight = 0.3
	glossWeight      = 0.3
)

// maxConcepts bounds the features (concepts and definition words) one word
// adds, so a word with many senses cannot dominate a text.
const maxConcepts = 12

// kindConcept marks concept features in hashOf.
const kindConcept = 'c'

// lexRef is one concept of a word: its feature hash and its weight.
type lexRef struct {
	hash   uint64
	weight float32
}

// lexicon maps a word's stem (or two words' stems joined by a space) to the
// features it adds.
type lexicon struct {
	words map[string][2]uint32 // stem → [offset, count] in refs
	refs  []lexRef
}

var (
	lexOnce sync.Once
	lex     *lexicon
	lexErr  error
)

// theLexicon parses the embedded table the first time it is needed, so
// that commands that embed nothing do not pay for it.
func theLexicon() *lexicon {
	lexOnce.Do(func() {
		lex, lexErr = parseLexicon(wordnetTable)
		if lexErr != nil {
			// The table is part of the binary and checked by the tests; a
			// broken one is a build error.
			panic(fmt.Sprintf("embed: the embedded WordNet table: %v", lexErr))
		}
	})
	return lex
}

// lookup returns the concepts of the word with stem s; nil when it has none.
func (l *lexicon) lookup(s []byte) []lexRef {
	e, ok := l.words[string(s)]
	if !ok {
		return nil
	}
	return l.refs[e[0] : e[0]+e[1]]
}

// parseLexicon reads the gzip-compressed table. Lemmas with the same stem
// ("running" and "run") pool their concepts, keeping each concept's largest
// weight and the heaviest maxConcepts.
func parseLexicon(gz []byte) (*lexicon, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(zr)
	if !sc.Scan() || sc.Text() != "mimo-wordnet 1" {
		return nil, fmt.Errorf("not a mimo-wordnet 1 table")
	}
	byStem := map[string][]lexRef{}
	var stem, word []byte
	var idBuf [4]byte
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 {
			return nil, fmt.Errorf("line %q has not three columns", sc.Text())
		}
		lemma, rest, gloss := cols[0], cols[1], cols[2]
		stem = stem[:0]
		for i, w := range strings.Split(lemma, "_") {
			if i > 0 {
				stem = append(stem, ' ')
			}
			stem = appendStem(stem, []byte(w))
		}
		refs := byStem[string(stem)]
		for f := range strings.FieldsSeq(rest) {
			k := strings.IndexAny(f, "SHGPD")
			if k <= 0 {
				return nil, fmt.Errorf("ref %q of %q has no kind", f, lemma)
			}
			id, err := strconv.ParseUint(f[:k], 36, 32)
			if err != nil {
				return nil, fmt.Errorf("ref %q of %q: %w", f, lemma, err)
			}
			w, err := strconv.Atoi(f[k+1:])
			if err != nil || w < 1 || w > 99 {
				return nil, fmt.Errorf("ref %q of %q: bad weight", f, lemma)
			}
			binary.LittleEndian.PutUint32(idBuf[:], uint32(id))
			r := lexRef{hash: hashOf(kindConcept, idBuf[:], nil), weight: float32(kindWeight(f[k]) * float64(w) / 100)}
			refs = mergeRef(refs, r)
		}
		for f := range strings.FieldsSeq(gloss) {
			k := strings.IndexAny(f, "0123456789")
			if k <= 0 {
				return nil, fmt.Errorf("gloss word %q of %q has no weight", f, lemma)
			}
			w, err := strconv.Atoi(f[k:])
			if err != nil || w < 1 || w > 99 {
				return nil, fmt.Errorf("gloss word %q of %q: bad weight", f, lemma)
			}
			word = appendStem(word[:0], []byte(f[:k]))
			refs = mergeRef(refs, lexRef{hash: hashOf(kindWord, word, nil), weight: float32(glossWeight * float64(w) / 100)})
		}
		byStem[string(stem)] = refs
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	l := &lexicon{words: make(map[string][2]uint32, len(byStem))}
	for s, refs := range byStem {
		if len(refs) > maxConcepts {
			sortRefs(refs)
			refs = refs[:maxConcepts]
		}
		l.words[s] = [2]uint32{uint32(len(l.refs)), uint32(len(refs))}
		l.refs = append(l.refs, refs...)
	}
	return l, nil
}

func kindWeight(kind byte) float64 {
	switch kind {
	case 'S':
		return synonymWeight
	case 'H':
		return hypernymWeight
	case 'G':
		return grandWeight
	case 'P':
		return partWeight
	default:
		return derivationWeight
	}
}

// mergeRef adds r to refs, or raises the weight of the ref with its
// concept.
func mergeRef(refs []lexRef, r lexRef) []lexRef {
	for i := range refs {
		if refs[i].hash == r.hash {
			refs[i].weight = max(refs[i].weight, r.weight)
			return refs
		}
	}
	return append(refs, r)
}

// sortRefs orders refs heaviest first (ties by hash, so the order is the
// same in every process).
func sortRefs(refs []lexRef) {
	slices.SortFunc(refs, func(a, b lexRef) int {
		if c := cmp.Compare(b.weight, a.weight); c != 0 {
			return c
		}
		return cmp.Compare(a.hash, b.hash)
	})
}
