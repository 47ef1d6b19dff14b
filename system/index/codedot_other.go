//go:build !amd64

package index

// hasAVX2 is false off amd64: the first pass uses the portable kernel.
var hasAVX2 = false

func codeDotsAVX2(codes *uint64, stride int, q *int8, blocks int, rows *int32, n int, out *int32) {
	panic("index: codeDotsAVX2 without AVX2")
}
