package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generate runs the generator on testdata (a four-synset database in
// WordNet 3.0's format) and returns the table's lines.
func generate(t *testing.T) (raw []byte, lines map[string]string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "table.gz")
	if err := run("testdata", out, filepath.Join(t.TempDir(), "vectors.gz")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	if all[0] != "mimo-wordnet 1" {
		t.Fatalf("header %q", all[0])
	}
	lines = map[string]string{}
	for _, l := range all[1:] {
		lemma, rest, ok := strings.Cut(l, "\t")
		if !ok || strings.Count(rest, "\t") != 1 {
			t.Fatalf("line %q has not three columns", l)
		}
		lines[lemma] = rest
	}
	return raw, lines
}

func TestGeneratorLinksSynonymsBroaderTermsAndDefinitions(t *testing.T) {
	_, lines := generate(t)
	concepts := func(lemma string) map[string]string { // concept → kind
		refs, _, _ := strings.Cut(lines[lemma], "\t")
		m := map[string]string{}
		for _, r := range strings.Fields(refs) {
			k := strings.IndexAny(r, "SHGPD")
			m[r[:k]] = r[k : k+1]
		}
		return m
	}
	car, auto, sedan := concepts("car"), concepts("automobile"), concepts("sedan")
	var carSynset string
	for c, kind := range car {
		if kind == "S" {
			carSynset = c
		}
	}
	if carSynset == "" || auto[carSynset] != "S" {
		t.Fatalf("car %v and automobile %v do not share their synset", car, auto)
	}
	if sedan[carSynset] != "H" {
		t.Fatalf("sedan %v does not have car's synset as its broader term", sedan)
	}
	if len(concepts("entity")) != 1 {
		t.Errorf("entity: %v", concepts("entity"))
	}
	if lines["sedans"] != lines["sedan"] {
		t.Errorf("the irregular form sedans has %q, sedan %q", lines["sedans"], lines["sedan"])
	}
	_, gloss, _ := strings.Cut(lines["car"], "\t")
	if !strings.Contains(gloss, "motor") || !strings.Contains(gloss, "wheels") || strings.Contains(gloss, "needs") {
		t.Errorf("car's definition words %q: want its definition's words without the example", gloss)
	}
}

func TestGeneratorIsReproducible(t *testing.T) {
	a, _ := generate(t)
	b, _ := generate(t)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs on the same data wrote different tables")
	}
}
