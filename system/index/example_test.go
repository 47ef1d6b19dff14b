package index_test

import (
	"fmt"

	mimo "mimo/system"
	"mimo/system/index"
)

func ExampleIndex_Search() {
	x := index.New(index.Options{Dim: 3})
	_ = x.Upsert(index.Entry{ID: "a", Vector: []float32{1, 0, 0}, Category: mimo.CategoryFact})
	_ = x.Upsert(index.Entry{ID: "b", Vector: []float32{1, 1, 0}, Category: mimo.CategoryPlan})
	_ = x.Upsert(index.Entry{ID: "c", Vector: []float32{0, 0, 1}, Category: mimo.CategoryFact})
	for _, h := range x.Search([]float32{2, 0, 0}, mimo.Filter{}, 2) {
		fmt.Printf("%s %.3f\n", h.ID, h.Score)
	}
	for _, h := range x.Search([]float32{2, 0, 0}, mimo.Filter{Categories: []mimo.Category{mimo.CategoryPlan}}, 2) {
		fmt.Printf("plan: %s %.3f\n", h.ID, h.Score)
	}
	// Output:
	// a 1.000
	// b 0.707
	// plan: b 0.707
}

func ExampleText_Search() {
	x := index.NewText(index.TextOptions{})
	_ = x.Upsert(index.TextDoc{ID: "a", Content: "The backup job runs nightly", Category: mimo.CategoryFact})
	_ = x.Upsert(index.TextDoc{ID: "b", Content: "Backups are stored in the eu-west bucket; backups older than 30 days expire", Category: mimo.CategoryFact})
	_ = x.Upsert(index.TextDoc{ID: "c", Content: "Deploys go out on Tuesdays", Category: mimo.CategoryPlan})
	for _, h := range x.Search("where are backups stored?", mimo.Filter{}, 10) {
		fmt.Printf("%s %.3f\n", h.ID, h.Rank)
	}
	// Output:
	// b 1.467
	// a 0.494
}
