package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	mimo "mimo/system"
)

// Dense word vectors, distilled from WordNet alone. Each synset is read as a
// short document: its own words, the words of its definition and examples,
// and the words of the synsets it links to (broader and narrower terms,
// parts and wholes, derivations, topic domains, similar adjectives). A
// word × synset-document matrix of weighted counts, reweighted by positive
// pointwise mutual information and reduced by a truncated SVD, gives each
// word a vector; words that occur in the same kinds of definitions and
// neighbourhoods ("dentist", "tooth", "dentistry", "filling") get near
// vectors even when no WordNet relation joins them.
//
// The table (system/embed/wordnet/vectors.gz) is gzip-compressed: a first
// line "mimo-wordvec 1 <dims> <words>", then one line "lemma weight" per
// word, lemmas sorted (weight 1..99: hundredths of how informative the word
// is, falling with how often it was tagged in WordNet's corpora), then
// dims signed bytes per word in the same order: its unit vector scaled so
// its largest component is ±127.
const (
	// vecDims is the vectors' length.
	vecDims = 96
	// vecOversample and vecPowerIters are the randomized SVD's extra
	// columns and power iterations (Halko, Martinsson and Tropp, 2011).
	vecOversample = 16
	vecPowerIters = 3
	// vecMinDocs is how many synset documents a word without a tagged
	// count must occur in to get a vector; fewer, and its vector is noise.
	vecMinDocs = 3
	// vecSigmaPower weights the singular vectors by Σ^vecSigmaPower; below
	// 1 the strongest directions dominate the similarity less.
	vecSigmaPower = 0.5
	// vecContextSmoothing raises context counts to this power in PMI, so
	// rare contexts do not get inflated associations (Levy et al., 2015).
	vecContextSmoothing = 0.75
)

// Weights of the words of a synset document by where they come from.
var docWeights = map[string]float64{
	"member": 1, "gloss": 0.7, "example": 0.4,
	"@": 0.5, "@i": 0.5, "~": 0.3, "~i": 0.3, // broader, narrower
	"#m": 0.3, "#s": 0.3, "#p": 0.3, "%m": 0.3, "%s": 0.3, "%p": 0.3, // wholes, parts
	"+": 0.6, "\\": 0.5, "&": 0.5, "^": 0.3, "=": 0.3, // derivations, pertainyms, similar, also see, attributes
	";c": 0.4, "-c": 0.4, ";r": 0.3, "-r": 0.3, ";u": 0.2, "-u": 0.2, // topic, region and usage domains
	"*": 0.3, ">": 0.3, "<": 0.3, // entailment, cause, participle
}

// lemmatizer maps inflected words of definitions to WordNet lemmas, as
// WordNet's morphy does: the exception lists first, then suffix rules.
type lemmatizer struct {
	lemmas     map[string]bool
	exceptions map[string]string
}

var morphRules = [][2]string{
	{"ies", "y"}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"},
	{"s", ""}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""},
	{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"},
}

func (lz *lemmatizer) lemma(w string) (string, bool) {
	if b, ok := lz.exceptions[w]; ok && lz.lemmas[b] {
		return b, true
	}
	if lz.lemmas[w] {
		return w, true
	}
	for _, r := range morphRules {
		if base, ok := strings.CutSuffix(w, r[0]); ok && len(base) >= 2 && lz.lemmas[base+r[1]] {
			return base + r[1], true
		}
	}
	return "", false
}

// readExceptionMap reads every <pos>.exc file: irregular form → its first
// base form.
func readExceptionMap(dir string) (map[string]string, error) {
	m := map[string]string{}
	for _, p := range posFiles {
		err := eachLine(filepath.Join(dir, p.name+".exc"), func(line string) error {
			f := strings.Fields(line)
			if len(f) >= 2 {
				if _, ok := m[f[0]]; !ok {
					m[f[0]] = f[1]
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// vectorTable is what writeVectors writes.
type vectorTable struct {
	dims    int
	words   []string // sorted
	weights []int    // 1..99
	vecs    [][]int8
}

// wordVectors builds the table from the synsets, the single-word lemmas
// and their tagged counts (lemma → count over all its senses).
func wordVectors(synsets map[string]*synset, lemmas map[string]bool, tagged map[string]int, exceptions map[string]string) *vectorTable {
	lz := &lemmatizer{lemmas: lemmas, exceptions: exceptions}
	keys := make([]string, 0, len(synsets))
	for k := range synsets {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	// The documents, as bags of lemma → weight.
	docs := make([]map[string]float64, len(keys))
	addWords := func(bag map[string]float64, text string, w float64) {
		for _, t := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return r < 'a' || r > 'z' }) {
			if len(t) < 2 || mimo.IsStopWord(t) {
				continue
			}
			if l, ok := lz.lemma(t); ok {
				bag[l] = max(bag[l], w)
			}
		}
	}
	addMembers := func(bag map[string]float64, s *synset, w float64) {
		for _, m := range s.words {
			for part := range strings.SplitSeq(m, "_") {
				pw := w
				if strings.Contains(m, "_") {
					pw = w / 2
				}
				if lz.lemmas[part] && !mimo.IsStopWord(part) {
					bag[part] = max(bag[part], pw)
				}
			}
		}
	}
	for i, k := range keys {
		s := synsets[k]
		bag := map[string]float64{}
		def, examples := splitGloss(s.text)
		addWords(bag, examples, docWeights["example"])
		addWords(bag, def, docWeights["gloss"])
		for _, p := range s.ptrs {
			if w, ok := docWeights[p.sym]; ok {
				if t := synsets[p.target]; t != nil {
					addMembers(bag, t, w)
				}
			}
		}
		addMembers(bag, s, docWeights["member"])
		docs[i] = bag
	}

	// The vocabulary: words tagged in the corpora, and words of a few
	// documents.
	df := map[string]int{}
	for _, bag := range docs {
		for l := range bag {
			df[l]++
		}
	}
	var words []string
	for l, n := range df {
		if tagged[l] > 0 || n >= vecMinDocs {
			words = append(words, l)
		}
	}
	slices.Sort(words)
	row := make(map[string]int, len(words))
	for i, w := range words {
		row[w] = i
	}

	// The sparse matrix as triplets, in document order, and its PPMI.
	var rows, cols []int32
	var vals []float64
	rowSum := make([]float64, len(words))
	colSum := make([]float64, len(docs))
	var total float64
	for j, bag := range docs {
		ls := make([]string, 0, len(bag))
		for l := range bag {
			if _, ok := row[l]; ok {
				ls = append(ls, l)
			}
		}
		slices.Sort(ls)
		for _, l := range ls {
			i := row[l]
			rows, cols, vals = append(rows, int32(i)), append(cols, int32(j)), append(vals, bag[l])
			rowSum[i] += bag[l]
			colSum[j] += bag[l]
			total += bag[l]
		}
	}
	var smoothed float64
	for j := range colSum {
		colSum[j] = math.Pow(colSum[j], vecContextSmoothing)
		smoothed += colSum[j]
	}
	for n := range vals {
		pmi := math.Log(vals[n] * total * smoothed / (rowSum[rows[n]] * total * colSum[cols[n]]))
		vals[n] = max(0, pmi)
	}
	a := &sparse{r: len(words), c: len(docs), rows: rows, cols: cols, vals: vals}
	u := a.truncatedSVD(vecDims)

	t := &vectorTable{dims: u.dims, words: words}
	var maxTagged int
	for _, w := range words {
		maxTagged = max(maxTagged, tagged[w])
	}
	rowsOf := make([][]float64, len(words))
	mean := make([]float64, u.dims)
	for i := range words {
		rowsOf[i] = u.row(i)
		for j, x := range rowsOf[i] {
			mean[j] += x
		}
	}
	// Every word vector shares a component, the direction of the average
	// word; removed, sums of word vectors are told apart by what their
	// words have that others lack (as in SIF sentence embeddings, Arora et
	// al., 2017).
	{
		var n float64
		for _, x := range mean {
			n += x * x
		}
		n = math.Sqrt(n)
		for j := range mean {
			mean[j] /= n
		}
		for _, r := range rowsOf {
			var d float64
			for j := range r {
				d += r[j] * mean[j]
			}
			for j := range r {
				r[j] -= d * mean[j]
			}
		}
	}
	for i, w := range words {
		t.weights = append(t.weights, informativeness(tagged[w], maxTagged))
		t.vecs = append(t.vecs, quantize(rowsOf[i]))
	}
	log.Printf("word vectors: %d words × %d dims from %d synsets, %d nonzero counts", len(words), u.dims, len(docs), len(vals))
	return t
}

// splitGloss splits a synset's gloss into its definition and its quoted
// examples.
func splitGloss(g string) (def, examples string) {
	var d, e strings.Builder
	for i, part := range strings.Split(g, "\"") {
		if i%2 == 0 {
			d.WriteString(part)
			d.WriteByte(' ')
		} else {
			e.WriteString(part)
			e.WriteByte(' ')
		}
	}
	return d.String(), e.String()
}

// informativeness is 99 for a word never tagged, falling with the log of
// its tagged count to 10 for the most tagged.
func informativeness(n, most int) int {
	f := 1 - math.Log1p(float64(n))/math.Log1p(float64(most))
	return max(10, min(99, int(math.Round(10+89*f))))
}

// quantize scales the unit vector of v so its largest component is ±127.
func quantize(v []float64) []int8 {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	q := make([]int8, len(v))
	if m == 0 {
		return q
	}
	for i, x := range v {
		q[i] = int8(math.Round(x * 127 / m))
	}
	return q
}

// sparse is a matrix of r rows and c columns given by triplets.
type sparse struct {
	r, c       int
	rows, cols []int32
	vals       []float64
}

// mul returns a·x (transpose false) or aᵀ·x, x dense.
func (a *sparse) mul(x *mat.Dense, transpose bool) *mat.Dense {
	_, k := x.Dims()
	n := a.r
	if transpose {
		n = a.c
	}
	out := mat.NewDense(n, k, nil)
	od, xd := out.RawMatrix().Data, x.RawMatrix().Data
	for e, v := range a.vals {
		if v == 0 {
			continue
		}
		i, j := int(a.rows[e]), int(a.cols[e])
		if transpose {
			i, j = j, i
		}
		dst, src := od[i*k:(i+1)*k], xd[j*k:(j+1)*k]
		for t := range dst {
			dst[t] += v * src[t]
		}
	}
	return out
}

// orthonormal returns an orthonormal basis of y's columns: modified
// Gram-Schmidt, twice for accuracy; a column that depends on the ones
// before it becomes zero.
func orthonormal(y *mat.Dense) *mat.Dense {
	r, c := y.Dims()
	cols := make([][]float64, c)
	for j := range cols {
		cols[j] = mat.Col(nil, j, y)
	}
	for range 2 {
		for j, v := range cols {
			for _, u := range cols[:j] {
				var d float64
				for i := range v {
					d += u[i] * v[i]
				}
				for i := range v {
					v[i] -= d * u[i]
				}
			}
			var n float64
			for _, x := range v {
				n += x * x
			}
			if n < 1e-20 {
				clear(v)
				continue
			}
			n = 1 / math.Sqrt(n)
			for i := range v {
				v[i] *= n
			}
		}
	}
	q := mat.NewDense(r, c, nil)
	for j, v := range cols {
		q.SetCol(j, v)
	}
	return q
}

// rowVectors are the word vectors: U Σ^vecSigmaPower, rows unit length.
type rowVectors struct {
	dims int
	m    *mat.Dense
}

func (u *rowVectors) row(i int) []float64 {
	v := slices.Clone(u.m.RawRowView(i))
	var n float64
	for _, x := range v {
		n += x * x
	}
	if n > 0 {
		n = 1 / math.Sqrt(n)
		for j := range v {
			v[j] *= n
		}
	}
	return v
}

// truncatedSVD returns the first k left singular vectors of a, each
// scaled by its singular value to the power vecSigmaPower, by randomized
// SVD with a fixed seed (the same matrix gives the same vectors).
func (a *sparse) truncatedSVD(k int) *rowVectors {
	l := min(k+vecOversample, a.r, a.c)
	k = min(k, l)
	rng := rand.New(rand.NewPCG(1, 2))
	omega := mat.NewDense(a.c, l, nil)
	for i := range omega.RawMatrix().Data {
		omega.RawMatrix().Data[i] = rng.NormFloat64()
	}
	q := orthonormal(a.mul(omega, false))
	for range vecPowerIters {
		z := orthonormal(a.mul(q, true))
		q = orthonormal(a.mul(z, false))
	}
	// B = Qᵀ A (l × c); B Bᵀ = Ũ Σ² Ũᵀ; U = Q Ũ.
	bt := a.mul(q, true) // c × l: Bᵀ
	var bbt mat.SymDense
	bbt.SymOuterK(1, bt.T())
	var eig mat.EigenSym
	if !eig.Factorize(&bbt, true) {
		panic("eigendecomposition failed")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	// The k largest, descending, each column's sign fixed so that its
	// largest entry is positive (eigenvectors are defined up to sign).
	ut := mat.NewDense(l, k, nil)
	for c := 0; c < k; c++ {
		src := l - 1 - c
		scale := math.Pow(math.Sqrt(max(0, vals[src])), vecSigmaPower)
		var big float64
		for r := 0; r < l; r++ {
			if x := vecs.At(r, src); math.Abs(x) > math.Abs(big) {
				big = x
			}
		}
		if big < 0 {
			scale = -scale
		}
		for r := 0; r < l; r++ {
			ut.Set(r, c, vecs.At(r, src)*scale)
		}
	}
	var u mat.Dense
	u.Mul(q, ut)
	return &rowVectors{dims: k, m: &u}
}

// writeVectors writes the table, gzip-compressed, to path.
func writeVectors(path string, t *vectorTable) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "mimo-wordvec 1 %d %d\n", t.dims, len(t.words))
	for i, w := range t.words {
		b.WriteString(w)
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(t.weights[i]))
		b.WriteByte('\n')
	}
	for _, v := range t.vecs {
		for _, x := range v {
			b.WriteByte(byte(x))
		}
	}
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(b.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	log.Printf("word vectors: %d bytes, %d compressed", b.Len(), z.Len())
	return os.WriteFile(path, z.Bytes(), 0o644)
}
