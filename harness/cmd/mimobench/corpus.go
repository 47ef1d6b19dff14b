package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"

	mimo "mimo/system"
)

// Bounds of a generated memory's content, in bytes.
const (
	minContentBytes = 60
	maxContentBytes = 300
)

// Independent random streams per product, so the queries do not change when
// the number of memories does, and the first n memories of a larger corpus
// are the corpus of n.
const (
	streamMemories = 1
	streamQueries  = 2
)

// Corpus makes a deterministic synthetic corpus of agent memories and the
// queries searched against it. The same seed gives the same memories and
// queries on every machine and every run (math/rand/v2's PCG is specified
// bit for bit); the zero seed is as good as any other.
type Corpus struct {
	seed uint64
}

// NewCorpus returns the corpus of seed.
func NewCorpus(seed uint64) *Corpus { return &Corpus{seed: seed} }

// Memories returns n memories with distinct content of 60 to 300 bytes, in
// every category, with tags, importance and metadata varied the way an
// agent's memories are. Memories(n) is a prefix of Memories(m) for n <= m.
func (c *Corpus) Memories(n int) []mimo.StoreRequest {
	g := &gen{r: rand.New(rand.NewPCG(c.seed, streamMemories))}
	out := make([]mimo.StoreRequest, 0, n)
	seen := make(map[string]struct{}, n)
	for len(out) < n {
		m := g.memory()
		// Identical content is stored once by Mimo; a repeat would be
		// answered "existing" and make the ingest figure lie.
		if _, dup := seen[m.Content]; dup {
			continue
		}
		seen[m.Content] = struct{}{}
		out = append(out, m)
	}
	return out
}

// Queries returns n search queries of 2 to 8 words from the corpus's
// vocabulary.
func (c *Corpus) Queries(n int) []string {
	g := &gen{r: rand.New(rand.NewPCG(c.seed, streamQueries))}
	out := make([]string, n)
	for i := range out {
		out[i] = g.query()
	}
	return out
}

// categoryWeights is how often each category occurs, in mimo.Categories
// order: facts and observations dominate an agent's memory.
var categoryWeights = []float64{0.30, 0.25, 0.20, 0.10, 0.15}

// baseImportance is the mean importance per category, in mimo.Categories
// order.
var baseImportance = []float64{0.6, 0.45, 0.4, 0.55, 0.5}

// tagCountWeights is how often a memory has 0, 1, 2, 3 or 4 tags.
var tagCountWeights = []float64{0.15, 0.30, 0.30, 0.15, 0.10}

// gen draws from one random stream.
type gen struct {
	r *rand.Rand
}

func (g *gen) pick(words []string) string { return words[g.r.IntN(len(words))] }

// weighted returns an index of weights drawn in proportion to them.
func (g *gen) weighted(weights []float64) int {
	x := g.r.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func (g *gen) memory() mimo.StoreRequest {
	ci := g.weighted(categoryWeights)
	cat := mimo.Categories[ci]
	content := g.content(cat)

	imp := baseImportance[ci] + 0.2*g.r.NormFloat64()
	imp = math.Round(math.Min(1, math.Max(0.05, imp))*100) / 100

	var tags []string
	for range g.weighted(tagCountWeights) {
		t := g.pick(tagWords)
		if g.r.IntN(4) == 0 {
			t = g.pick(teams)
		}
		if !contains(tags, t) {
			tags = append(tags, t)
		}
	}

	var meta json.RawMessage
	if g.r.IntN(10) < 7 {
		meta, _ = json.Marshal(struct {
			Source  string `json:"source"`
			Session string `json:"session"`
			Turn    int    `json:"turn"`
		}{g.pick(sources), fmt.Sprintf("s-%04d", g.r.IntN(5000)), 1 + g.r.IntN(60)})
	}
	return mimo.StoreRequest{Content: content, Category: cat, Importance: &imp, Tags: tags, Metadata: meta}
}

// content is one sentence of the category's templates, followed by zero to
// three more general ones, cut to maxContentBytes at a word boundary.
func (g *gen) content(cat mimo.Category) string {
	var b strings.Builder
	b.WriteString(g.fill(templates[cat][g.r.IntN(len(templates[cat]))]))
	for extra := 0; extra < 3 && (b.Len() < minContentBytes || g.r.IntN(100) < 40); extra++ {
		b.WriteByte(' ')
		b.WriteString(g.fill(clauses[g.r.IntN(len(clauses))]))
	}
	return truncateWords(b.String(), maxContentBytes)
}

// truncateWords cuts s to at most limit bytes at a space and ends it with a
// full stop, so a cut sentence still reads as one.
func truncateWords(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := strings.LastIndexByte(s[:limit], ' ')
	if cut <= 0 {
		cut = limit - 1
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	s = strings.TrimRight(s[:cut], " ,;:.")
	return s + "."
}

// query is 2 to 8 words, each from a word list chosen at random, so short
// lists (technologies, people, teams) are asked about as often as the long
// list of nouns, as they are in real questions.
func (g *gen) query() string {
	n := 2 + g.r.IntN(7)
	words := make([]string, n)
	for i := range words {
		words[i] = g.pick(queryLists[g.r.IntN(len(queryLists))])
	}
	return strings.Join(words, " ")
}

// queryLists are the lists query words come from.
var queryLists = [][]string{
	nouns, components, techs, topics, projectHeads, projectTails, adjectives,
	verbsBase, people, teams, places, environments,
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
