// Package embed turns text into vectors for Mimo. Builtin is the offline,
// deterministic embedder Mimo uses when no embedding service is configured,
// and the one it falls back to for queries while that service is down.
package embed

import (
	"context"
	"math"
	"strconv"
	"sync"

	mimo "mimo/system"
)

// BuiltinVersion is the version of the feature-hashing algorithm. It is part
// of Model(), so vectors made by an older algorithm are recognised as foreign
// and re-embedded rather than compared with new ones.
const BuiltinVersion = 2

// BuiltinModelPrefix begins the Model() of every version and setting of
// the built-in embedder, and no other embedder's.
const BuiltinModelPrefix = "mimo-builtin-"

// DefaultDim is the vector length of the built-in embedder when none is set.
const DefaultDim = 384

// WordNetVersion is the version of the WordNet table and of the way the
// embedder uses it; it is part of Model() when BuiltinOptions.WordNet is
// set, so vectors made with another table are recognised as foreign.
const WordNetVersion = 1

// WordVectorsVersion is the version of the word vector table and of the
// way the embedder uses it; it is part of Model() when
// BuiltinOptions.WordVectors is set.
const WordVectorsVersion = 1

// denseWeight is the energy of a vector's word vector part relative to
// its hashed features' (1: as much). Chosen on the tuning halves of
// fixtures/retrieval (docs/BENCHMARKS.md, "Word vectors distilled from
// WordNet"): lower finds fewer paraphrases' facts, higher fewer of the
// word-sharing questions'.
const denseWeight = 1.0

// BuiltinOptions configures NewBuiltin. The zero value is ready to use.
type BuiltinOptions struct {
	// Dim is the vector length; zero or negative means DefaultDim (384).
	Dim int
	// WordNet has every word also add, at lower weights, the features of
	// its synonyms, its broader terms and its definition's words, from the
	// WordNet table embedded in the binary (see lexicon.go), so that texts
	// that say the same thing in other words land nearer. False (the
	// default) makes the same vectors as before the table existed.
	// NewBuiltin starts parsing the table in the background (about 0.5 s
	// of one core and 46 MB allocated, once per process; see
	// docs/BENCHMARKS.md); an embedding made before it is done waits.
	WordNet bool
	// WordVectors adds to each vector the weighted sum of its words'
	// dense vectors, distilled from WordNet 3.0 and embedded in the binary
	// (vectors.go): near for words used in the same definitions and
	// WordNet neighbourhoods ("dentist", "tooth", "dental"), so texts that
	// say the same thing in other words land nearer. It finds many more
	// reworded facts by vector but, through the hybrid search's fusion,
	// fewer facts of questions that share their words (docs/BENCHMARKS.md),
	// so it is off by default. NewBuiltin starts parsing the table in the
	// background; an embedding made before it is done waits.
	WordVectors bool
}

// Builtin is a deterministic, offline embedder based on signed feature
// hashing. Texts that share words, word stems, word pieces or word pairs get
// similar vectors; the same text always gets the same vector, in every
// process, for a given Model() (across CPU architectures the last bit of a
// component may differ with floating-point rounding).
//
// Features, each hashed with FNV-1a into one of Dim signed buckets:
//   - word unigrams after light normalisation (Unicode lower-casing and
//     English suffix stripping, so "running", "runs" and "run" meet); common
//     English function words, and to a lesser degree other frequent words,
//     count a fraction of a content word; common technical abbreviations
//     also count as their full form ("k8s" as "kubernetes");
//   - character trigrams of "#stem#" for sub-word overlap ("postgres" and
//     "postgresql" share most of theirs);
//   - bigrams of consecutive content words for phrase overlap;
//   - with BuiltinOptions.WordNet, the WordNet concepts of each word (and
//     of each pair of words that is a WordNet term, "travel document"):
//     its synsets in its common senses, their broader terms, and the words
//     of their definitions, at lower weights (lexicon.go);
//   - with BuiltinOptions.WordVectors, the sum of the content words' dense
//     word vectors (vectors.go), each weighted like the word's feature and
//     by how informative the table says the word is, added onto the first
//     components (folded when Dim is shorter) with denseWeight times the
//     hashed features' energy.
//
// A feature's weight grows sublinearly with its count (1 + ln tf), and the
// vector is L2-normalised. Text with no features ("" or "!!!") gives the zero
// vector, whose cosine with any vector is taken to be 0; it is never NaN.
//
// A Builtin is safe for concurrent use.
type Builtin struct {
	dim   int
	model string
	lex   bool      // use the WordNet table
	vec   bool      // use the word vectors
	pool  sync.Pool // *featurizer, so steady-state embedding does not allocate scratch space
}

var _ mimo.Embedder = (*Builtin)(nil)

// NewBuiltin returns a built-in embedder.
func NewBuiltin(o BuiltinOptions) *Builtin {
	dim := o.Dim
	if dim <= 0 {
		dim = DefaultDim
	}
	model := BuiltinModelPrefix + "v" + strconv.Itoa(BuiltinVersion) + "-"
	if o.WordNet {
		model += "wordnet" + strconv.Itoa(WordNetVersion) + "-"
	}
	if o.WordVectors {
		model += "vectors" + strconv.Itoa(WordVectorsVersion) + "-"
		go theWordVectors()
	}
	b := &Builtin{dim: dim, model: model + strconv.Itoa(dim), lex: o.WordNet, vec: o.WordVectors}
	if o.WordNet {
		// Parse the table now, in the background, so that the first
		// embedding (often a user's first query) does not wait for it.
		go theLexicon()
	}
	b.pool.New = func() any { return new(featurizer) }
	return b
}

// Model returns "mimo-builtin-v<version>-<dim>", e.g. "mimo-builtin-v2-384",
// with the WordNet table "mimo-builtin-v<version>-wordnet<table
// version>-<dim>", e.g. "mimo-builtin-v2-wordnet1-384", and with the word
// vectors "vectors<version>-" before the dim, e.g.
// "mimo-builtin-v2-vectors1-384".
func (b *Builtin) Model() string { return b.model }

// Dim returns the vector length.
func (b *Builtin) Dim() int { return b.dim }

// Embed returns one vector of Dim() float32s per text, in input order, each
// of unit length or, for text without features, all zeros. It never fails
// for any input, including invalid UTF-8; it stops between texts when ctx is
// done and then returns an EUNAVAILABLE error that wraps ctx.Err().
func (b *Builtin) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	// One backing array for the batch: a single allocation for all outputs.
	backing := make([]float32, len(texts)*b.dim)
	fz := b.pool.Get().(*featurizer)
	defer b.pool.Put(fz)
	fz.lex, fz.wv = nil, nil
	if b.lex {
		fz.lex = theLexicon()
	}
	if b.vec {
		fz.wv = theWordVectors()
	}
	for i, text := range texts {
		if err := ctx.Err(); err != nil {
			return nil, mimo.Wrap(mimo.EUNAVAILABLE, err, "embedding cancelled")
		}
		v := backing[i*b.dim : (i+1)*b.dim : (i+1)*b.dim]
		b.embedOne(fz, text, v)
		out[i] = v
	}
	return out, nil
}

// embedOne writes the vector of text into v (len Dim, all zeros on entry).
func (b *Builtin) embedOne(fz *featurizer, text string, v []float32) {
	fz.extract(text)
	t := &fz.feats
	if len(t.used) == 0 {
		return
	}
	acc := fz.accumulator(b.dim)
	dim := uint64(b.dim)
	for _, slot := range t.used {
		h, s := t.keys[slot], t.vals[slot]
		// Sublinear term frequency: a feature seen tf times counts 1+ln(tf).
		if s > 1 {
			s = 1 + math.Log(s)
		}
		// Upper 32 bits pick the bucket (multiply-shift range reduction),
		// the lowest bit picks the sign.
		bucket := ((h >> 32) * dim) >> 32
		if h&1 == 1 {
			s = -s
		}
		acc[bucket] += s
	}
	var norm float64
	for _, x := range acc {
		norm += x * x
	}
	if fz.wv != nil && norm > 0 {
		norm = fz.addDense(acc, norm)
	}
	if norm == 0 || math.IsInf(norm, 0) || math.IsNaN(norm) {
		return
	}
	inv := 1 / math.Sqrt(norm)
	for j, x := range acc {
		v[j] = float32(x * inv)
	}
}

// addDense adds the text's summed word vectors onto acc (folded when acc
// is shorter), scaled so their energy is denseWeight times hashed, the
// energy of the hashed features, and returns the energy of the whole.
func (fz *featurizer) addDense(acc []float64, hashed float64) float64 {
	var dn float64
	for _, x := range fz.dense {
		dn += x * x
	}
	if dn == 0 {
		return hashed
	}
	f := denseWeight * math.Sqrt(hashed/dn)
	for j, x := range fz.dense {
		acc[j%len(acc)] += f * x
	}
	var energy float64
	for _, x := range acc {
		energy += x * x
	}
	return energy
}
