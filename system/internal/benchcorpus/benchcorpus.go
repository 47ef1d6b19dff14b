// Package benchcorpus makes the synthetic memories and queries of the text
// search benchmarks: memories of about ten words drawn from the vocabulary
// of mimobench's corpus (its vocab.go, read as Go source so the word lists
// are the same without a copy), and its kind of query, 2 to 8 words each
// from a list chosen at random. The same seed gives the same memories and
// queries on every run.
package benchcorpus

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"strconv"
	"strings"
)

// VocabFile is mimobench's vocabulary, relative to a package directory two
// levels below the module root (system/index, system/memory).
const VocabFile = "../../harness/cmd/mimobench/vocab.go"

// Corpus draws memories and queries from one random stream.
type Corpus struct {
	lists [][]string
	r     *rand.Rand
}

// glue are the function words between a memory's vocabulary words.
var glue = strings.Fields("the a of for and in on with is to our we uses runs")

// Load reads the word lists of the Go file at path (the variables set to
// strings.Fields of a string literal) and returns a corpus drawing from
// them with seed.
func Load(path string, seed uint64) (*Corpus, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	var lists [][]string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Fields" {
			return true
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			if err == nil && len(strings.Fields(s)) > 0 {
				lists = append(lists, strings.Fields(s))
			}
		}
		return false
	})
	if len(lists) < 5 {
		return nil, fmt.Errorf("benchcorpus: %s: only %d word lists", path, len(lists))
	}
	return &Corpus{lists: lists, r: rand.New(rand.NewPCG(seed, 1))}, nil
}

func (c *Corpus) word() string {
	l := c.lists[c.r.IntN(len(c.lists))]
	return l[c.r.IntN(len(l))]
}

// Content is a memory of ten words: seven from the vocabulary, three
// function words.
func (c *Corpus) Content() string {
	words := make([]string, 0, 10)
	for i := range 10 {
		if i%3 == 1 {
			words = append(words, glue[c.r.IntN(len(glue))])
		} else {
			words = append(words, c.word())
		}
	}
	return strings.Join(words, " ")
}

// Query is 2 to 8 vocabulary words.
func (c *Corpus) Query() string {
	words := make([]string, 2+c.r.IntN(7))
	for i := range words {
		words[i] = c.word()
	}
	return strings.Join(words, " ")
}
