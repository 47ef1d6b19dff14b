#include "textflag.h"

// func codeDotsAVX2(codes *uint64, stride int, q *int8, blocks int, rows *int32, n int, out *int32)
//
// For j in [0, n): out[j] = the sum over blocks*32 bytes of row*q, where row
// starts stride bytes times rows[j] after codes. Row bytes are unsigned (at
// most 127) and q bytes signed (at least -127), so VPMADDUBSW's pair sums
// (at most 2*127*127 in magnitude) never saturate a 16-bit lane.
//
// The rows of a shortlist are scattered over the codes, so each would wait
// on memory: the codes of the row prefetchDist rows ahead are prefetched,
// a cache line at a time, while this one is multiplied.
#define prefetchDist 4

TEXT ·codeDotsAVX2(SB), NOSPLIT, $0-56
	MOVQ codes+0(FP), R8
	MOVQ stride+8(FP), R9
	MOVQ q+16(FP), R10
	MOVQ blocks+24(FP), R11
	MOVQ rows+32(FP), R12
	MOVQ n+40(FP), R13
	MOVQ out+48(FP), R14

	// Y4: sixteen 16-bit ones, for VPMADDWD to widen pair sums to 32 bits.
	MOVL         $0x00010001, AX
	MOVD         AX, X4
	VPBROADCASTD X4, Y4

	TESTQ R13, R13
	JZ    end

row:
	CMPQ R13, $prefetchDist
	JLE  noprefetch
	MOVLQSX 4*prefetchDist(R12), BX
	IMULQ   R9, BX
	LEAQ    (R8)(BX*1), BX
	MOVQ    R11, DX
	SHLQ    $5, DX
	ADDQ    BX, DX

prefetch:
	PREFETCHT0 (BX)
	ADDQ       $64, BX
	CMPQ       BX, DX
	JLT        prefetch

noprefetch:
	MOVLQSX (R12), AX
	IMULQ   R9, AX
	LEAQ    (R8)(AX*1), SI
	MOVQ    R10, DI
	MOVQ    R11, CX
	VPXOR   Y0, Y0, Y0
	VPXOR   Y5, Y5, Y5

	// Two blocks a round into two accumulators, to overlap latencies.
	CMPQ CX, $2
	JLT  tail

pairs:
	VMOVDQU    (SI), Y1
	VMOVDQU    32(SI), Y2
	VPMADDUBSW (DI), Y1, Y1
	VPMADDUBSW 32(DI), Y2, Y2
	VPMADDWD   Y4, Y1, Y1
	VPMADDWD   Y4, Y2, Y2
	VPADDD     Y1, Y0, Y0
	VPADDD     Y2, Y5, Y5
	ADDQ       $64, SI
	ADDQ       $64, DI
	SUBQ       $2, CX
	CMPQ       CX, $2
	JGE        pairs

tail:
	TESTQ CX, CX
	JZ    sum
	VMOVDQU    (SI), Y1
	VPMADDUBSW (DI), Y1, Y1
	VPMADDWD   Y4, Y1, Y1
	VPADDD     Y1, Y0, Y0

sum:
	VPADDD       Y5, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	MOVD         X0, AX
	MOVL         AX, (R14)

	ADDQ $4, R12
	ADDQ $4, R14
	DECQ R13
	JNZ  row

end:
	VZEROUPPER
	RET
