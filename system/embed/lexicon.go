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

// lexRef is one feature a word adds: an index into lexicon.feats and a
// weight.
type lexRef struct {
	feat   uint32
	weight float32
}

// lexicon maps a word's stem (or two words' stems joined by a space) to the
// features it adds. It is compact because it lives as long as the process:
// each distinct feature hash is stored once.
type lexicon struct {
	words map[string][2]uint32 // stem → [offset, count] in refs
	refs  []lexRef
	feats []uint64 // feature hashes
}

// theLexicon parses the embedded table the first time it is needed, so
// that commands that embed nothing do not pay for it.
var theLexicon = embeddedTable("WordNet table", wordnetTable, parseLexicon)

// embeddedTable returns a function that parses data with parse once, on
// its first call, and then returns the result. The tables are part of the
// binary and checked by the tests, so a broken one is a build error: it
// panics, naming what.
func embeddedTable[T any](what string, data []byte, parse func([]byte) (T, error)) func() T {
	return sync.OnceValue(func() T {
		t, err := parse(data)
		if err != nil {
			panic(fmt.Sprintf("embed: the embedded %s: %v", what, err))
		}
		return t
	})
}

// lookup returns the features of the word with stem s; nil when it has
// none.
func (l *lexicon) lookup(s []byte) []lexRef {
	e, ok := l.words[string(s)]
	if !ok {
		return nil
	}
	return l.refs[e[0] : e[0]+e[1]]
}

// lexParser holds the state of one parse.
type lexParser struct {
	l     *lexicon
	index map[uint64]uint32 // feature hash → index in l.feats
	line  []lexRef          // the features of the line being read
	stem  []byte
}

// feat returns the index of the feature hash h, adding it if new.
func (p *lexParser) feat(h uint64) uint32 {
	i, ok := p.index[h]
	if !ok {
		i = uint32(len(p.l.feats))
		p.l.feats = append(p.l.feats, h)
		p.index[h] = i
	}
	return i
}

// parseLexicon reads the gzip-compressed table. Lemmas with the same stem
// ("running" and "run") pool their features, keeping each feature's
// largest weight and the heaviest maxConcepts.
func parseLexicon(gz []byte) (*lexicon, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(zr)
	if !sc.Scan() || sc.Text() != "mimo-wordnet 1" {
		return nil, fmt.Errorf("not a mimo-wordnet 1 table")
	}
	p := &lexParser{
		l:     &lexicon{words: make(map[string][2]uint32, 140000), refs: make([]lexRef, 0, 1<<20), feats: make([]uint64, 0, 1<<18)},
		index: make(map[uint64]uint32, 1<<18),
	}
	for sc.Scan() {
		if err := p.parseLine(sc.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	l := p.l
	l.refs = slices.Clip(l.refs)
	l.feats = slices.Clip(l.feats)
	return l, nil
}

// parseLine reads "lemma<TAB>refs<TAB>gloss words" into the lexicon.
func (p *lexParser) parseLine(line []byte) error {
	lemma, rest, ok := bytes.Cut(line, []byte{'\t'})
	refs, gloss, ok2 := bytes.Cut(rest, []byte{'\t'})
	if !ok || !ok2 || bytes.IndexByte(gloss, '\t') >= 0 {
		return fmt.Errorf("line %q has not three columns", line)
	}
	p.stem = p.stem[:0]
	for i, w := range bytes.Split(lemma, []byte{'_'}) {
		if i > 0 {
			p.stem = append(p.stem, ' ')
		}
		p.stem = appendStem(p.stem, w)
	}
	// Another lemma with this stem may have come first: the two pool their
	// features, in a new span at the end of refs (the old one is left
	// unused).
	l := p.l
	p.line = p.line[:0]
	if e, ok := l.words[string(p.stem)]; ok {
		p.line = append(p.line, l.refs[e[0]:e[0]+e[1]]...)
	}
	var idBuf [4]byte
	for f := range bytes.FieldsSeq(refs) {
		k := bytes.IndexAny(f, "SHGPD")
		if k <= 0 {
			return fmt.Errorf("ref %q of %q has no kind", f, lemma)
		}
		id, err := strconv.ParseUint(string(f[:k]), 36, 32)
		if err != nil {
			return fmt.Errorf("ref %q of %q: %w", f, lemma, err)
		}
		w, err := strconv.Atoi(string(f[k+1:]))
		if err != nil || w < 1 || w > 99 {
			return fmt.Errorf("ref %q of %q: bad weight", f, lemma)
		}
		binary.LittleEndian.PutUint32(idBuf[:], uint32(id))
		p.line = mergeRef(p.line, lexRef{feat: p.feat(hashOf(kindConcept, idBuf[:], nil)), weight: float32(kindWeight(f[k]) * float64(w) / 100)})
	}
	var word []byte
	for f := range bytes.FieldsSeq(gloss) {
		k := bytes.IndexAny(f, "0123456789")
		if k <= 0 {
			return fmt.Errorf("gloss word %q of %q has no weight", f, lemma)
		}
		w, err := strconv.Atoi(string(f[k:]))
		if err != nil || w < 1 || w > 99 {
			return fmt.Errorf("gloss word %q of %q: bad weight", f, lemma)
		}
		word = appendStem(word[:0], f[:k])
		p.line = mergeRef(p.line, lexRef{feat: p.feat(hashOf(kindWord, word, nil)), weight: float32(glossWeight * float64(w) / 100)})
	}
	if len(p.line) > maxConcepts {
		p.sortLine()
		p.line = p.line[:maxConcepts]
	}
	l.words[string(p.stem)] = [2]uint32{uint32(len(l.refs)), uint32(len(p.line))}
	l.refs = append(l.refs, p.line...)
	return nil
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

// mergeRef adds r to refs, or raises the weight of the ref to its
// feature.
func mergeRef(refs []lexRef, r lexRef) []lexRef {
	for i := range refs {
		if refs[i].feat == r.feat {
			refs[i].weight = max(refs[i].weight, r.weight)
			return refs
		}
	}
	return append(refs, r)
}

// sortLine orders the line's refs heaviest first (ties by feature hash, so
// the order is the same in every process).
func (p *lexParser) sortLine() {
	slices.SortFunc(p.line, func(a, b lexRef) int {
		if c := cmp.Compare(b.weight, a.weight); c != 0 {
			return c
		}
		return cmp.Compare(p.l.feats[a.feat], p.l.feats[b.feat])
	})
}
