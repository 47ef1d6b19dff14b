//go:build !amd64

package index

// hasAVX2 is false off amd64: the first pass uses the portable kernel.
var hasAVX2 = false

func codeDotsAVX2(codes *uint64, stride int, q *int8, blocks int, rows *int32, n int, out *int32) {
	panic("index: codeDotsAVX2 without AVX2")
}

func scoreSumsAVX2(q *float32, row *uint64, words int, fine *uint64, fwords int, sums *[8]float32) {
	panic("index: scoreSumsAVX2 without AVX2")
}
