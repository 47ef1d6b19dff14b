package embed

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
)

func TestBuiltinWordVectorsModel(t *testing.T) {
	for o, want := range map[BuiltinOptions]string{
		{WordVectors: true}:                "mimo-builtin-v2-vectors1-384",
		{WordVectors: true, WordNet: true}: "mimo-builtin-v2-wordnet1-vectors1-384",
		{WordVectors: true, Dim: 64}:       "mimo-builtin-v2-vectors1-64",
	} {
		if got := NewBuiltin(o).Model(); got != want {
			t.Errorf("%+v: model %q, want %q", o, got, want)
		}
	}
}

func TestEmbeddedWordVectorsParse(t *testing.T) {
	wv, err := parseWordVectors(vectorsTable)
	if err != nil {
		t.Fatal(err)
	}
	if len(wv.lemmas) < 50000 || wv.dims < 32 {
		t.Fatalf("the table holds %d words of %d dims, want tens of thousands", len(wv.lemmas), wv.dims)
	}
	for _, w := range []string{"physician", "knee", "automobile", "teeth", "wages", "running"} {
		row, scale, weight, ok := wv.row([]byte(w), appendStem(nil, []byte(w)))
		if !ok || len(row) != wv.dims || scale <= 0 || weight <= 0 || weight >= 1 {
			t.Errorf("%q: ok %v, %d dims, scale %f, weight %f", w, ok, len(row), scale, weight)
		}
	}
}

func TestParseWordVectorsRejectsBrokenTables(t *testing.T) {
	for name, text := range map[string]string{
		"no header":      "car 50\n\x01\x02",
		"bad header":     "mimo-wordvec 1 x 1\ncar 50\n\x01\x02",
		"bad weight":     "mimo-wordvec 1 2 1\ncar 500\n\x01\x02",
		"no weight":      "mimo-wordvec 1 2 1\ncar\n\x01\x02",
		"short vectors":  "mimo-wordvec 1 2 1\ncar 50\n\x01",
		"too many bytes": "mimo-wordvec 1 2 1\ncar 50\n\x01\x02\x03",
		"too few words":  "mimo-wordvec 1 2 2\ncar 50\n\x01\x02",
		"empty lemma":    "mimo-wordvec 1 2 1\n 50\n\x01\x02",
	} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(text))
		_ = zw.Close()
		if _, err := parseWordVectors(buf.Bytes()); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := parseWordVectors([]byte("not gzip")); err == nil {
		t.Error("not gzip: parsed")
	}
}

// A word is looked up as itself, then as a regular inflection of a lemma,
// then by its stem, where the more used of two lemmas wins.
func TestWordVectorsLookUpWordsThenInflectionsThenStems(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte("mimo-wordvec 1 2 3\ncar 40\ncare 20\nrun 30\n\x7f\x00\x00\x7f\x40\x40"))
	_ = zw.Close()
	wv, err := parseWordVectors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for w, want := range map[string]float32{"car": 0.4, "cars": 0.4, "care": 0.2, "cared": 0.2, "running": 0.3} {
		_, _, weight, ok := wv.row([]byte(w), appendStem(nil, []byte(w)))
		if !ok || weight != want {
			t.Errorf("%s: ok %v weight %.2f, want %.2f", w, ok, weight, want)
		}
	}
	if _, _, _, ok := wv.row([]byte("zebra"), []byte("zebra")); ok {
		t.Error("zebra found")
	}
}

// With the table, texts that say the same thing in other words come
// closer; without it they share nothing.
func TestBuiltinWordVectorsBringRelatedWordsCloser(t *testing.T) {
	plain, wn := NewBuiltin(BuiltinOptions{}), NewBuiltin(BuiltinOptions{WordVectors: true})
	for _, p := range [][2]string{
		{"the automobile", "the car"},
		{"my physician", "my doctor"},
		{"an appointment with the dentist", "a check-up of my teeth"},
		{"renew the passport", "apply for a visa"},
		{"my knee hurts", "my leg joint hurts"},
	} {
		before := cosine(embedOne(t, plain, p[0]), embedOne(t, plain, p[1]))
		after := cosine(embedOne(t, wn, p[0]), embedOne(t, wn, p[1]))
		if after <= before+0.05 {
			t.Errorf("%q ~ %q: %.3f with WordNet, %.3f without", p[0], p[1], after, before)
		}
	}
	related := cosine(embedOne(t, wn, "my physician"), embedOne(t, wn, "my doctor"))
	unrelated := cosine(embedOne(t, wn, "my physician"), embedOne(t, wn, "my banana"))
	if related <= unrelated {
		t.Errorf("physician~doctor %.3f is not above physician~banana %.3f", related, unrelated)
	}
}

// The word vectors change nothing for a text none of whose words the table
// knows; vectors stay deterministic and of unit length, at any Dim.
func TestBuiltinWordVectorsDeterministicUnitVectors(t *testing.T) {
	a, b := NewBuiltin(BuiltinOptions{WordVectors: true}), NewBuiltin(BuiltinOptions{WordVectors: true})
	text := "Dr Okafor is the orthopaedist I see for my leg joint."
	va, vb := embedOne(t, a, text), embedOne(t, b, text)
	for i := range va {
		if va[i] != vb[i] {
			t.Fatalf("not deterministic at %d", i)
		}
	}
	if n := norm(va); n < 0.999 || n > 1.001 {
		t.Fatalf("norm %f", n)
	}
	plain := NewBuiltin(BuiltinOptions{})
	if c := cosine(embedOne(t, plain, text), va); c > 0.9 {
		t.Fatalf("the word vectors changed a text of known words little: cosine %f with the plain vector", c)
	}
	unknown := "zxqv 12345 k9q"
	if c := cosine(embedOne(t, plain, unknown), embedOne(t, a, unknown)); c < 0.9999 {
		t.Fatalf("a text of words the table does not know changed: cosine %f", c)
	}
	small := NewBuiltin(BuiltinOptions{WordVectors: true, Dim: 16})
	if n := norm(embedOne(t, small, text)); n < 0.999 || n > 1.001 {
		t.Fatalf("Dim 16: norm %f", n)
	}
	if v, err := a.Embed(context.Background(), []string{""}); err != nil || norm(v[0]) != 0 {
		t.Fatalf("empty text: %v, %v", v, err)
	}
}

func BenchmarkBuiltinEmbedWordVectors(b *testing.B) {
	sentence := "The deployment uses Postgres 16 behind a connection pooler; queries time out after thirty seconds under load. "
	text := strings.Repeat(sentence, 2)[:200]
	e := NewBuiltin(BuiltinOptions{WordVectors: true})
	ctx := context.Background()
	texts := []string{text}
	if _, err := e.Embed(ctx, texts); err != nil { // parses the table
		b.Fatal(err)
	}
	b.SetBytes(200)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWordVectorsParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseWordVectors(vectorsTable); err != nil {
			b.Fatal(err)
		}
	}
}
