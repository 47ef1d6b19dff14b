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

// DefaultDim is the vector length of the built-in embedder when none is set.
const DefaultDim = 384

// BuiltinOptions configures NewBuiltin. The zero value is ready to use.
type BuiltinOptions struct {
	// Dim is the vector length; zero or negative means DefaultDim (384).
	Dim int
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
//   - bigrams of consecutive content words for phrase overlap.
//
// A feature's weight grows sublinearly with its count (1 + ln tf), and the
// vector is L2-normalised. Text with no features ("" or "!!!") gives the zero
// vector, whose cosine with any vector is taken to be 0; it is never NaN.
//
// A Builtin is safe for concurrent use.
type Builtin struct {
	dim   int
	model string
	pool  sync.Pool // *featurizer, so steady-state embedding does not allocate scratch space
}

var _ mimo.Embedder = (*Builtin)(nil)

// NewBuiltin returns a built-in embedder.
func NewBuiltin(o BuiltinOptions) *Builtin {
	dim := o.Dim
	if dim <= 0 {
		dim = DefaultDim
	}
	b := &Builtin{
		dim:   dim,
		model: "mimo-builtin-v" + strconv.Itoa(BuiltinVersion) + "-" + strconv.Itoa(dim),
	}
	b.pool.New = func() any { return new(featurizer) }
	return b
}

// Model returns "mimo-builtin-v<version>-<dim>", e.g. "mimo-builtin-v2-384".
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
	if norm == 0 || math.IsInf(norm, 0) || math.IsNaN(norm) {
		return
	}
	inv := 1 / math.Sqrt(norm)
	for j, x := range acc {
		v[j] = float32(x * inv)
	}
}
