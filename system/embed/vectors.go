package embed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// vectorsTable holds dense word vectors distilled from WordNet by
// system/embed/wordnet/gen (`make wordnet`; its format is described
// there): for each of some 60,000 words, a short vector that is near the
// vectors of words used in the same definitions and WordNet neighbourhoods
// ("dentist", "tooth", "dental").
//
//go:embed wordnet/vectors.gz
var vectorsTable []byte

// wordVectors maps a word to its dense vector.
type wordVectors struct {
	dims   int
	lemmas map[string]int32 // lemma → row
	stems  map[string]int32 // stem → row of the most used lemma with that stem
	// Per row: the factor that makes its vector unit length, and the
	// word's weight (how informative it is, 0.1..0.99).
	scale  []float32
	weight []float32
	vecs   []int8 // rows × dims
}

// theWordVectors parses the embedded table the first time it is needed.
var theWordVectors = embeddedTable("word vector table", vectorsTable, parseWordVectors)

// row returns the vector of the word w (lower-case) with stem s and its
// weight; ok is false when the table has no such word. The word is looked
// up as a lemma, then as a regular inflection of one ("wages" → "wage",
// "cities" → "city", as WordNet's morphy does), and only then by its stem
// ("running" → "run"): stems are coarser and join words apart ("car",
// "care").
func (wv *wordVectors) row(w, s []byte) (v []int8, scale, weight float32, ok bool) {
	i, ok := wv.lemmas[string(w)]
	if !ok {
		i, ok = wv.inflected(w)
	}
	if !ok {
		i, ok = wv.stems[string(s)]
	}
	if !ok {
		return nil, 0, 0, false
	}
	return wv.vecs[int(i)*wv.dims : (int(i)+1)*wv.dims], wv.scale[i], wv.weight[i], true
}

// inflections are WordNet's detachment rules: an ending and what replaces
// it.
var inflections = [...][2]string{
	{"ies", "y"}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"},
	{"s", ""}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""},
}

// inflected finds the row of the lemma w is a regular inflection of.
func (wv *wordVectors) inflected(w []byte) (int32, bool) {
	var buf [64]byte
	for _, r := range inflections {
		base, ok := bytes.CutSuffix(w, []byte(r[0]))
		if !ok || len(base) < 2 {
			continue
		}
		if i, ok := wv.lemmas[string(append(append(buf[:0], base...), r[1]...))]; ok {
			return i, true
		}
	}
	return 0, false
}

// parseWordVectors reads the gzip-compressed table.
func parseWordVectors(gz []byte) (*wordVectors, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(zr, 1<<16)
	head, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("no header: %w", err)
	}
	var dims, n int
	if _, err := fmt.Sscanf(head, "mimo-wordvec 1 %d %d\n", &dims, &n); err != nil || dims <= 0 || dims > 1024 || n <= 0 || n > 1<<20 {
		return nil, fmt.Errorf("not a mimo-wordvec 1 table: %q", strings.TrimSpace(head))
	}
	lemmas := make([]string, n)
	weights := make([]float32, n)
	for i := range n {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("word %d: %w", i, err)
		}
		lemma, w, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		x, err := strconv.Atoi(w)
		if !ok || lemma == "" || err != nil || x < 1 || x > 99 {
			return nil, fmt.Errorf("word %d: bad line %q", i, line)
		}
		lemmas[i], weights[i] = lemma, float32(x)/100
	}
	raw := make([]byte, n*dims)
	if _, err := io.ReadFull(br, raw); err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("bytes after the vectors")
	}
	wv := &wordVectors{dims: dims, lemmas: make(map[string]int32, n), stems: make(map[string]int32, n)}
	var stem []byte
	for i, lemma := range lemmas {
		wv.lemmas[lemma] = int32(i)
		stem = appendStem(stem[:0], []byte(lemma))
		// The most used lemma keeps the stem ("care" rather than "car");
		// a lower weight means more uses.
		if j, ok := wv.stems[string(stem)]; ok && (weights[j] < weights[i] || weights[j] == weights[i] && len(lemmas[j]) <= len(lemma)) {
			continue
		}
		wv.stems[string(stem)] = int32(i)
	}
	wv.vecs = make([]int8, n*dims)
	wv.scale = make([]float32, n)
	for i := range n {
		var norm float64
		for j, b := range raw[i*dims : (i+1)*dims] {
			wv.vecs[i*dims+j] = int8(b)
			norm += float64(int8(b)) * float64(int8(b))
		}
		if norm > 0 {
			wv.scale[i] = float32(1 / math.Sqrt(norm))
		}
	}
	wv.weight = weights
	return wv, nil
}
