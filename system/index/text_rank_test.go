package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// searchExhaustive is Search written out plainly: every match is scored,
// its terms summed in query order, and offered. Search must return exactly
// this, ranks bit for bit.
func searchExhaustive(x *Text, query string, f mimo.Filter, k int) []mimo.TextHit {
	terms := queryTerms(query)
	m := newMatcher(f)
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.spaces[memorykit.Namespace(f.Namespace)]
	if s == nil || k <= 0 {
		return nil
	}
	var lists []*postings
	for _, t := range terms {
		if p := s.terms[t]; p != nil {
			lists = append(lists, p)
		}
	}
	n := float64(s.live)
	avg := math.Max(float64(s.total)/n, 1)
	w := make([]float64, len(lists))
	for i, p := range lists {
		df := 0
		for _, d := range p.docs {
			if !s.isDead(d) {
				df++
			}
		}
		w[i] = math.Log(1+(n-float64(df)+0.5)/(float64(df)+0.5)) * (x.k1 + 1)
	}
	c0, c1 := x.k1*(1-x.b), x.k1*x.b/avg
	scores := map[uint32]float64{}
	for i, p := range lists {
		for j, doc := range p.docs {
			tf := float64(p.tfs[j])
			norm := c0 + c1*float64(s.lens[doc])
			scores[doc] += w[i] * tf / (tf + norm)
		}
	}
	top := &textTop{ids: s.ids, keys: s.keys, k: k}
	for doc, score := range scores {
		if !s.isDead(doc) && (!m.active || m.match(s.flags[doc], &s.meta[doc])) {
			top.offer(score, doc)
		}
	}
	return top.sorted()
}

// zipfDocs makes n documents whose words follow a Zipf law over a
// vocabulary of v words, as natural text does: a few words in most
// documents, most words in few. Some repeat a word, and lengths vary.
func zipfDocs(rng *rand.Rand, n, v int) []TextDoc {
	z := rand.NewZipf(rng, 1.1, 2, uint64(v-1))
	cats := mimo.Categories
	out := make([]TextDoc, n)
	for i := range out {
		var words []string
		for range 1 + rng.IntN(14) {
			words = append(words, fmt.Sprintf("w%dx", z.Uint64()))
		}
		out[i] = TextDoc{
			ID:         fmt.Sprintf("d%05d", rng.IntN(1_000_000)),
			Content:    strings.Join(words, " "),
			Category:   cats[i%len(cats)],
			Superseded: i%7 == 0,
		}
		if i%3 == 0 {
			out[i].Tags = []string{"ops"}
		}
	}
	return out
}

func TestTextRankingIsTheExhaustiveOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := NewText(TextOptions{})
	docs := zipfDocs(rng, 3*rankBlock+500, 400)
	for _, d := range docs {
		require.NoError(t, x.Upsert(d))
	}
	// Fewer deletes and rewrites than a compaction needs: the lists keep
	// dead documents, and bounds from documents no longer there.
	for i := 0; i < 200; i++ {
		d := docs[rng.IntN(len(docs))]
		if i%2 == 0 {
			x.Delete("", d.ID)
		} else {
			d.Content = zipfDocs(rng, 1, 400)[0].Content
			require.NoError(t, x.Upsert(d))
		}
	}
	require.Positive(t, x.spaces[mimo.DefaultNamespace].nDead, "dead documents are still in the lists")

	filters := []mimo.Filter{{}, {IncludeSuperseded: true}, {Categories: []mimo.Category{mimo.CategoryFact}, Tags: []string{"ops"}}}
	ranked := 0
	for q := range 100 {
		var words []string
		for range 1 + q%6 {
			words = append(words, fmt.Sprintf("w%dx", rng.IntN(60)*rng.IntN(8)))
		}
		query := strings.Join(words, " ")
		for _, f := range filters {
			for _, k := range []int{1, 3, 10, 50} {
				want := searchExhaustive(x, query, f, k)
				got := x.Search(query, f, k)
				require.Equal(t, want, got, "query %q, filter %+v, k %d", query, f, k)
				ranked++
			}
		}
	}
	require.Equal(t, 100*len(filters)*4, ranked)
}

func TestTextIDKeysOrderAsTheIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	alphabet := []byte("\x00019af-z\xff")
	ids := []string{"", "a", "a\x00", "a\x00\x00", "0193a0b1-0000-7000-8000-000000000001", "0193a0b1-0000-7000-8000-000000000002"}
	for range 2000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		ids = append(ids, string(b))
	}
	for _, a := range ids {
		for _, b := range ids[:200] {
			ka, kb := keyOf(a), keyOf(b)
			if ka != kb {
				require.Equal(t, a < b, ka.less(kb), "%q vs %q", a, b)
			}
		}
	}
}
