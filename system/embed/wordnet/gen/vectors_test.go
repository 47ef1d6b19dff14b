package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// table is a word vector table as read back from the generator's output.
type table struct {
	dims    int
	words   []string
	weights map[string]int
	vecs    map[string][]int8
}

func readTable(t *testing.T, raw []byte) *table {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(zr)
	head, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	tb := &table{weights: map[string]int{}, vecs: map[string][]int8{}}
	var n int
	if _, err := fmt.Sscanf(head, "mimo-wordvec 1 %d %d\n", &tb.dims, &n); err != nil {
		t.Fatalf("header %q: %v", head, err)
	}
	for range n {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		var w string
		var weight int
		if _, err := fmt.Sscanf(line, "%s %d\n", &w, &weight); err != nil || weight < 1 || weight > 99 {
			t.Fatalf("line %q: %v", line, err)
		}
		tb.words = append(tb.words, w)
		tb.weights[w] = weight
	}
	if !slices.IsSorted(tb.words) {
		t.Fatal("words not sorted")
	}
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != n*tb.dims {
		t.Fatalf("%d bytes of vectors, want %d × %d", len(rest), n, tb.dims)
	}
	for i, w := range tb.words {
		v := make([]int8, tb.dims)
		for j := range v {
			v[j] = int8(rest[i*tb.dims+j])
		}
		tb.vecs[w] = v
	}
	return tb
}

func (tb *table) cosine(t *testing.T, a, b string) float64 {
	t.Helper()
	va, ok := tb.vecs[a]
	vb, ok2 := tb.vecs[b]
	if !ok || !ok2 {
		t.Fatalf("%q or %q has no vector (words: %v)", a, b, tb.words)
	}
	var d, na, nb float64
	for i := range va {
		d += float64(va[i]) * float64(vb[i])
		na += float64(va[i]) * float64(va[i])
		nb += float64(vb[i]) * float64(vb[i])
	}
	return d / math.Sqrt(na*nb)
}

// Words used in the same definitions and neighbourhoods get near vectors,
// words of another domain far ones; tagged words weigh less than untagged
// ones.
func TestWordVectorsGroupRelatedWords(t *testing.T) {
	syn := func(key, words, gloss string, ptrs ...string) *synset {
		s := &synset{key: key, words: strings.Fields(words), text: gloss}
		for _, p := range ptrs {
			sym, target, _ := strings.Cut(p, " ")
			s.ptrs = append(s.ptrs, pointer{sym: sym, target: target})
		}
		return s
	}
	list := []*synset{
		syn("n1", "vehicle", "a conveyance that transports people or goods", "~ n2", "~ n3"),
		syn("n2", "car auto automobile", "a motor vehicle with four wheels; usually propelled by an engine", "@ n1", "%p n4"),
		syn("n3", "truck lorry", "an automotive vehicle suitable for hauling goods; has an engine and wheels", "@ n1", "%p n4"),
		syn("n4", "wheel", "a simple machine consisting of a circular frame turning on an axle of a car or truck", "#p n2"),
		syn("n5", "engine motor", "machine that converts fuel into motion to drive a car or truck"),
		syn("n6", "bread loaf", "food made from dough of flour and baked in an oven", "~ n7"),
		syn("n7", "baguette", "a long crusty bread baked from flour", "@ n6"),
		syn("n8", "baker", "someone who bakes bread or cake in an oven"),
		syn("n9", "flour", "fine powder of ground grain used to bake bread"),
		syn("n10", "oven", "kitchen appliance used for baking bread and cake"),
		syn("n11", "cake", "baked food made from flour and sugar in an oven"),
		syn("n12", "garage", "a building where a car or truck is kept or repaired"),
	}
	synsets := map[string]*synset{}
	lemmas := map[string]bool{}
	for _, s := range list {
		synsets[s.key] = s
		for _, w := range s.words {
			lemmas[w] = true
		}
	}
	for _, w := range strings.Fields("conveyance people goods motor four wheel engine hauling circular frame machine axle fuel motion food dough flour oven crusty grain powder kitchen appliance sugar building") {
		lemmas[w] = true
	}
	tagged := map[string]int{"car": 40, "bread": 30}
	vt := wordVectors(synsets, lemmas, tagged, map[string]string{"wheels": "wheel"})
	tb := &table{dims: vt.dims, weights: map[string]int{}, vecs: map[string][]int8{}}
	for i, w := range vt.words {
		tb.words = append(tb.words, w)
		tb.weights[w], tb.vecs[w] = vt.weights[i], vt.vecs[i]
	}
	for _, c := range [][3]string{{"car", "automobile", "bread"}, {"car", "truck", "flour"}, {"bread", "flour", "wheel"}, {"oven", "cake", "engine"}} {
		if near, far := tb.cosine(t, c[0], c[1]), tb.cosine(t, c[0], c[2]); near <= far {
			t.Errorf("%s~%s %.3f is not above %s~%s %.3f", c[0], c[1], near, c[0], c[2], far)
		}
	}
	if tb.weights["car"] >= tb.weights["automobile"] {
		t.Errorf("car, tagged, weighs %d; automobile, untagged, %d", tb.weights["car"], tb.weights["automobile"])
	}
}

// The committed table is what `make wordnet` writes. It needs the WordNet
// 3.0 files and about a minute, so it runs only when MIMO_WORDNET_DIR names
// them (Debian: /usr/share/wordnet).
func TestCommittedTablesAreGenerated(t *testing.T) {
	dir := os.Getenv("MIMO_WORDNET_DIR")
	if dir == "" {
		t.Skip("MIMO_WORDNET_DIR is not set")
	}
	tmp := t.TempDir()
	if err := run(dir, filepath.Join(tmp, "wordnet.gz"), filepath.Join(tmp, "vectors.gz")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"wordnet.gz", "vectors.gz"} {
		got, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("system/embed/wordnet/%s is not what the generator writes: run make wordnet", name)
		}
	}
	readTable(t, mustRead(t, filepath.Join(tmp, "vectors.gz")))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// On testdata the vector table is well formed and the same from run to
// run.
func TestVectorTableIsWellFormedAndReproducible(t *testing.T) {
	var tables [2][]byte
	for i := range tables {
		tmp := t.TempDir()
		if err := run("testdata", filepath.Join(tmp, "wordnet.gz"), filepath.Join(tmp, "vectors.gz")); err != nil {
			t.Fatal(err)
		}
		tables[i] = mustRead(t, filepath.Join(tmp, "vectors.gz"))
	}
	if !bytes.Equal(tables[0], tables[1]) {
		t.Fatal("two runs on the same data wrote different vector tables")
	}
	tb := readTable(t, tables[0])
	if !slices.Contains(tb.words, "car") || !slices.Contains(tb.words, "automobile") {
		t.Fatalf("words %v", tb.words)
	}
}

func TestLemmatizer(t *testing.T) {
	lz := &lemmatizer{lemmas: map[string]bool{"tooth": true, "store": true, "run": true, "city": true, "box": true}, exceptions: map[string]string{"teeth": "tooth"}}
	for in, want := range map[string]string{"teeth": "tooth", "stored": "store", "cities": "city", "boxes": "box", "run": "run", "zzz": ""} {
		if got, _ := lz.lemma(in); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
	if strings.Contains(fmt.Sprint(docWeights), "NaN") {
		t.Fatal("NaN weight")
	}
}
