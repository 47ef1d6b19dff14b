// Command gen derives from WordNet 3.0 the two tables the built-in
// embedder embeds: word vectors (system/embed/wordnet/vectors.gz;
// vectors.go says how they are made and their format) and the concept
// table (system/embed/wordnet/wordnet.gz): for each lemma of one
// word or two ("travel_document"), the concepts it stands for in its common senses and the concepts
// just above them, each with a weight. Run it with `make wordnet`; it needs
// the WordNet 3.0 database files (Debian's wordnet-base), which the build
// does not.
//
// The table is gzip-compressed text. Its first line is
// "mimo-wordnet <format>"; every other line is
//
//	lemma<TAB>ref ref ...
//
// where a ref is "<concept><kind><weight>": concept a base-36 number naming
// one WordNet synset (numbers are dense and only mean something within one
// table, in lower-case base 36), kind one capital letter (S: a synset of
// the lemma; H: a hypernym, instance hypernym or similar-to head of one; G: a
// hypernym of a hypernym; P: a whole the synset is part of; D: a synset
// derivationally related to the lemma), and weight an integer 1..99, hundredths of the sense's share of
// the lemma's uses times how specific the concept is; a word is a content
// word of the definition of one of the lemma's first senses followed by the
// share (1..99) of that sense. Lemmas are sorted, so
// regenerating from the same data gives the same bytes.
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	mimo "mimo/system"
)

// Limits of the expansion, chosen so the table stays small and a word's
// rare senses do not drown its common ones.
const (
	// maxSenses is how many senses of a lemma are kept, most used first.
	maxSenses = 3
	// minShare is the smallest share of a lemma's uses a sense other than
	// the first must have to be kept.
	minShare = 0.12
	// maxRefs is how many refs one lemma keeps, heaviest first.
	maxRefs = 12
	// broadSubtree is the number of synsets below a concept from which it
	// is too broad to tell texts apart ("entity", "person", "act") and is
	// dropped; below it, a concept's weight falls with the log of its
	// subtree's size.
	broadSubtree = 400
	// maxGlossWords is how many words of a sense's definition it keeps;
	// glossSenses how many of a lemma's senses give their definition's
	// words.
	maxGlossWords = 6
	glossSenses   = 2
)

// kindOrder ranks the kinds when a lemma has more refs than maxRefs.
var kindOrder = map[byte]float64{'s': 1, 'h': 0.6, 'd': 0.45, 'p': 0.4, 'g': 0.3}

type pointer struct {
	sym      string
	target   string // pos letter + offset
	src, dst int    // word numbers (1-based), 0 for the whole synset
}

type synset struct {
	key   string
	words []string
	ptrs  []pointer
	gloss []string // content words of the definition, in order
	text  string   // the whole gloss: definition and quoted examples
}

type ref struct {
	concept string
	kind    byte
	weight  float64
}

// entry is what the table says of one lemma: its concepts and the words
// of its common senses' definitions, each with a weight.
type entry struct {
	refs  []ref
	gloss []ref // concept holds the word; kind is unused
}

func main() {
	dir := flag.String("dir", "/usr/share/wordnet", "directory of the WordNet 3.0 database files (data.noun, index.noun, cntlist.rev, ...)")
	out := flag.String("o", "system/embed/wordnet/wordnet.gz", "concept table to write")
	vecOut := flag.String("vectors", "system/embed/wordnet/vectors.gz", "word vector table to write (vectors.go)")
	flag.Parse()
	if err := run(*dir, *out, *vecOut); err != nil {
		log.Fatal(err)
	}
}

var posFiles = []struct {
	name   string
	letter byte
}{{"noun", 'n'}, {"verb", 'v'}, {"adj", 'a'}, {"adv", 'r'}}

func run(dir, out, vecOut string) error {
	synsets := map[string]*synset{}
	for _, p := range posFiles {
		if err := readData(filepath.Join(dir, "data."+p.name), p.letter, synsets); err != nil {
			return err
		}
	}
	counts, err := readCounts(filepath.Join(dir, "cntlist.rev"))
	if err != nil {
		return err
	}
	senses := map[string][]sense{} // lemma → its senses in every part of speech
	for _, p := range posFiles {
		if err := readIndex(filepath.Join(dir, "index."+p.name), p.letter, counts, senses); err != nil {
			return err
		}
	}
	subtree := subtreeSizes(synsets)
	table := map[string]entry{}
	for lemma, ss := range senses {
		if e := entryOf(lemma, ss, synsets, subtree); len(e.refs)+len(e.gloss) > 0 {
			table[lemma] = e
		}
	}
	// Irregular forms ("children", "went") get their base form's refs.
	for _, p := range posFiles {
		if err := readExceptions(filepath.Join(dir, p.name+".exc"), table); err != nil {
			return err
		}
	}
	if err := write(out, table); err != nil {
		return err
	}
	lemmas := map[string]bool{}
	for l := range senses {
		if !strings.Contains(l, "_") {
			lemmas[l] = true
		}
	}
	exceptions, err := readExceptionMap(dir)
	if err != nil {
		return err
	}
	tagged := map[string]int{} // lemma → its tagged count over all senses
	for k, n := range counts {
		lemma, _, _ := strings.Cut(k, " ")
		tagged[lemma] += n
	}
	return writeVectors(vecOut, wordVectors(synsets, lemmas, tagged, exceptions))
}

// readData reads one data.<pos> file into synsets.
func readData(path string, pos byte, synsets map[string]*synset) error {
	return eachLine(path, func(line string) error {
		var gloss string
		if i := strings.Index(line, " | "); i >= 0 {
			line, gloss = line[:i], line[i+3:]
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil
		}
		s := &synset{key: string(pos) + f[0]}
		n, err := strconv.ParseInt(f[3], 16, 0)
		if err != nil {
			return fmt.Errorf("%s: word count %q: %w", path, f[3], err)
		}
		i := 4
		for w := 0; w < int(n); w++ {
			word := strings.ToLower(f[i])
			if j := strings.IndexByte(word, '('); j > 0 { // adjective markers: "(a)", "(p)", "(ip)"
				word = word[:j]
			}
			s.words = append(s.words, word)
			i += 2
		}
		pc, err := strconv.Atoi(f[i])
		if err != nil {
			return fmt.Errorf("%s: pointer count %q: %w", path, f[i], err)
		}
		i++
		for p := 0; p < pc; p++ {
			sd, err := strconv.ParseUint(f[i+3], 16, 16)
			if err != nil {
				return fmt.Errorf("%s: pointer words %q: %w", path, f[i+3], err)
			}
			tp := f[i+2]
			if tp == "s" {
				tp = "a"
			}
			s.ptrs = append(s.ptrs, pointer{sym: f[i], target: tp + f[i+1], src: int(sd >> 8), dst: int(sd & 0xff)})
			i += 4
		}
		s.gloss = glossWords(gloss)
		s.text = gloss
		synsets[s.key] = s
		return nil
	})
}

// eachLine calls fn with each line of the WordNet file at path, up to 1 MiB
// long, skipping the licence lines (two spaces first) at the top of the
// data and index files; fn's error stops the reading and is returned.
func eachLine(path string, fn func(line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "  ") {
			continue
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	return sc.Err()
}

// glossWords returns the first maxGlossWords content words of a synset's
// definition: its text up to the first example or semicolon, without
// function words, common words and words of fewer than three letters.
func glossWords(gloss string) []string {
	if i := strings.IndexAny(gloss, ";\""); i >= 0 {
		gloss = gloss[:i]
	}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(gloss), func(r rune) bool { return r < 'a' || r > 'z' }) {
		if len(w) < 3 || mimo.IsStopWord(w) || mimo.IsCommonWord(w) || slices.Contains(out, w) {
			continue
		}
		out = append(out, w)
		if len(out) == maxGlossWords {
			break
		}
	}
	return out
}

// readCounts reads cntlist.rev: how often each sense was seen in the
// tagged corpora, by "lemma pos sense-number".
func readCounts(path string) (map[string]int, error) {
	counts := map[string]int{}
	err := eachLine(path, func(line string) error {
		fields := strings.Fields(line)
		if len(fields) != 3 {
			return nil
		}
		lemma, rest, ok := strings.Cut(fields[0], "%")
		if !ok || rest == "" {
			return nil
		}
		pos := map[byte]byte{'1': 'n', '2': 'v', '3': 'a', '4': 'r', '5': 'a'}[rest[0]]
		n, err := strconv.Atoi(fields[2])
		if err != nil {
			return fmt.Errorf("%s: %q: %w", path, line, err)
		}
		counts[lemma+" "+string(pos)+" "+fields[1]] += n
		return nil
	})
	return counts, err
}

// sense is one synset of a lemma, with its rank among the lemma's senses of
// that part of speech (0 = most used) and its tagged count.
type sense struct {
	synset string
	rank   int
	count  int
}

// readIndex reads index.<pos>: each lemma's synsets, most used first.
func readIndex(path string, pos byte, counts map[string]int, senses map[string][]sense) error {
	return eachLine(path, func(line string) error {
		f := strings.Fields(line)
		if len(f) < 4 || strings.ContainsAny(f[0], "-.'") || strings.Count(f[0], "_") > 1 {
			return nil // single words and pairs: the embedder reads words and word pairs
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return fmt.Errorf("%s: synset count %q: %w", path, f[2], err)
		}
		offsets := f[len(f)-n:]
		for rank, off := range offsets {
			c := counts[f[0]+" "+string(pos)+" "+strconv.Itoa(rank+1)]
			senses[f[0]] = append(senses[f[0]], sense{synset: string(pos) + off, rank: rank, count: c})
		}
		return nil
	})
}

// subtreeSizes counts, for each synset, the synsets below it by hypernym
// and instance links (a synset under two parents counts under both).
func subtreeSizes(synsets map[string]*synset) map[string]int {
	children := map[string][]string{}
	for _, s := range synsets {
		for _, p := range s.ptrs {
			if p.sym == "@" || p.sym == "@i" {
				children[p.target] = append(children[p.target], s.key)
			}
		}
	}
	size := map[string]int{}
	var count func(k string) int
	count = func(k string) int {
		if n, ok := size[k]; ok {
			return n
		}
		size[k] = 0 // guards against a cycle
		n := 0
		for _, c := range children[k] {
			n += 1 + count(c)
		}
		size[k] = n
		return n
	}
	for k := range synsets {
		count(k)
	}
	return size
}

// specificity is how much a concept tells texts apart: 1 for a concept
// with a small subtree, falling with the log of its size, 0 from
// broadSubtree on.
func specificity(n int) float64 {
	if n >= broadSubtree {
		return 0
	}
	return 1 / (1 + math.Log1p(float64(n)/20))
}

// entryOf chooses the lemma's common senses and returns their concepts and
// the concepts near them, heaviest first, at most maxRefs, and the words of
// the definitions of the first glossSenses.
func entryOf(lemma string, ss []sense, synsets map[string]*synset, subtree map[string]int) entry {
	// A sense's share of the lemma's uses: its tagged count, smoothed with
	// a prior falling with its rank so untagged senses keep their order.
	raw := make([]float64, len(ss))
	var total float64
	for i, s := range ss {
		raw[i] = float64(s.count) + 1/float64(1+s.rank)
		total += raw[i]
	}
	order := make([]int, len(ss))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case raw[a] > raw[b]:
			return -1
		case raw[a] < raw[b]:
			return 1
		}
		return 0
	})
	acc := map[string]*ref{}
	var gloss []ref
	put := func(concept string, kind byte, w float64) {
		// A synset of the lemma itself is a synonym, however broad; what
		// lies above it is worth less the more it covers.
		if kind != 's' {
			w *= specificity(subtree[concept])
		}
		if w <= 0 {
			return
		}
		key := concept
		if r, ok := acc[key]; ok {
			if w*kindOrder[kind] > r.weight*kindOrder[r.kind] {
				r.kind, r.weight = kind, w
			}
			return
		}
		acc[key] = &ref{concept: concept, kind: kind, weight: w}
	}
	for n, i := range order {
		share := raw[i] / total
		if n >= maxSenses || n > 0 && share < minShare {
			break
		}
		s := synsets[ss[i].synset]
		if s == nil {
			continue
		}
		put(s.key, 's', share)
		if n < glossSenses {
			for _, w := range s.gloss {
				if w == lemma {
					continue
				}
				if i := slices.IndexFunc(gloss, func(r ref) bool { return r.concept == w }); i >= 0 {
					gloss[i].weight = max(gloss[i].weight, share)
				} else {
					gloss = append(gloss, ref{concept: w, weight: share})
				}
			}
		}
		wordNo := slices.Index(s.words, lemma) + 1
		for _, p := range s.ptrs {
			switch p.sym {
			case "@", "@i", "&":
				put(p.target, 'h', share)
				if up := synsets[p.target]; up != nil {
					for _, q := range up.ptrs {
						if q.sym == "@" || q.sym == "@i" {
							put(q.target, 'g', share)
						}
					}
				}
			case "#p":
				put(p.target, 'p', share)
			case "+", "\\":
				if p.src == wordNo {
					put(p.target, 'd', share)
				}
			}
		}
	}
	refs := make([]ref, 0, len(acc))
	for _, r := range acc {
		refs = append(refs, *r)
	}
	slices.SortFunc(refs, func(a, b ref) int {
		wa, wb := a.weight*kindOrder[a.kind], b.weight*kindOrder[b.kind]
		switch {
		case wa > wb:
			return -1
		case wa < wb:
			return 1
		}
		return strings.Compare(a.concept, b.concept)
	})
	if len(refs) > maxRefs {
		refs = refs[:maxRefs]
	}
	// Weights below a hundredth round to nothing.
	tiny := func(r ref) bool { return math.Round(r.weight*100) < 1 }
	return entry{refs: slices.DeleteFunc(refs, tiny), gloss: slices.DeleteFunc(gloss, tiny)}
}

// readExceptions gives each irregular form in an <pos>.exc file the refs of
// its first base form, unless it is a lemma of its own.
func readExceptions(path string, table map[string]entry) error {
	return eachLine(path, func(line string) error {
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.ContainsAny(fields[0], "_-.'") {
			return nil
		}
		if _, ok := table[fields[0]]; !ok {
			if e, ok := table[fields[1]]; ok {
				table[fields[0]] = e
			}
		}
		return nil
	})
}

// write numbers the concepts the table uses, in order of first use by
// sorted lemma, and writes the table.
func write(path string, table map[string]entry) error {
	lemmas := make([]string, 0, len(table))
	for l := range table {
		lemmas = append(lemmas, l)
	}
	slices.Sort(lemmas)
	ids := map[string]int{}
	var b strings.Builder
	b.WriteString("mimo-wordnet 1\n")
	for _, l := range lemmas {
		b.WriteString(l)
		b.WriteByte('\t')
		for i, r := range table[l].refs {
			id, ok := ids[r.concept]
			if !ok {
				id = len(ids)
				ids[r.concept] = id
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatInt(int64(id), 36))
			b.WriteByte(r.kind - 'a' + 'A')
			b.WriteString(strconv.Itoa(min(99, int(math.Round(r.weight*100)))))
		}
		b.WriteByte('\t')
		for i, g := range table[l].gloss {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(g.concept)
			b.WriteString(strconv.Itoa(min(99, int(math.Round(g.weight*100)))))
		}
		b.WriteByte('\n')
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		f.Close()
		return err
	}
	if _, err := zw.Write([]byte(b.String())); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	log.Printf("%d lemmas, %d concepts, %d bytes before compression", len(lemmas), len(ids), b.Len())
	return nil
}
