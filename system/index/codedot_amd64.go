package index

import "golang.org/x/sys/cpu"

// hasAVX2 selects the AVX2 kernel for the first pass; tests turn it off to
// check the portable kernel against it.
var hasAVX2 = cpu.X86.HasAVX2

// codeDotsAVX2 sets out[j], for j < n, to the sum of the products of the
// blocks*32 bytes of row rows[j] (stride bytes apart from codes; unsigned,
// at most 127) and of q (signed, at least -127).
//
//go:noescape
func codeDotsAVX2(codes *uint64, stride int, q *int8, blocks int, rows *int32, n int, out *int32)

// scoreSumsAVX2 sets sums to the partial sums scoreSumsGo returns for the
// query q (at least 8·words and 16·fwords components), words code words at
// row and fwords fine code words at fine, computed in the same order.
//
//go:noescape
func scoreSumsAVX2(q *float32, row *uint64, words int, fine *uint64, fwords int, sums *[8]float32)
