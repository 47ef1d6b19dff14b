#include "textflag.h"

// Popcounts of the sixteen nibbles, for VPSHUFB.
DATA nibbleCounts<>+0(SB)/8, $0x0302020102010100
DATA nibbleCounts<>+8(SB)/8, $0x0403030203020201
GLOBL nibbleCounts<>(SB), RODATA|NOPTR, $16

// func hamming512AVX2(sigs *uint64, q *uint64, n int, out *uint16)
//
// For j in [0, n): out[j] = the number of bits in which the 64 bytes at
// sigs+64*j differ from the 64 bytes at q. Each byte's bits are counted
// by looking up its two nibbles (VPSHUFB), and a row's 64 byte counts
// (at most 8 each) summed by VPSADBW.
TEXT ·hamming512AVX2(SB), NOSPLIT, $0-32
	MOVQ sigs+0(FP), SI
	MOVQ q+8(FP), DX
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DI

	VMOVDQU        (DX), Y0
	VMOVDQU        32(DX), Y1
	VBROADCASTI128 nibbleCounts<>(SB), Y15
	MOVL           $0x0f0f0f0f, AX
	MOVD           AX, X14
	VPBROADCASTD   X14, Y14
	VPXOR          Y13, Y13, Y13

	TESTQ CX, CX
	JZ    done

row:
	VPXOR   (SI), Y0, Y2
	VPXOR   32(SI), Y1, Y3
	VPAND   Y14, Y2, Y4
	VPSRLW  $4, Y2, Y5
	VPAND   Y14, Y5, Y5
	VPSHUFB Y4, Y15, Y4
	VPSHUFB Y5, Y15, Y5
	VPADDB  Y4, Y5, Y2
	VPAND   Y14, Y3, Y6
	VPSRLW  $4, Y3, Y7
	VPAND   Y14, Y7, Y7
	VPSHUFB Y6, Y15, Y6
	VPSHUFB Y7, Y15, Y7
	VPADDB  Y6, Y7, Y3
	VPADDB  Y2, Y3, Y2
	VPSADBW Y13, Y2, Y2

	VEXTRACTI128 $1, Y2, X3
	VPADDQ       X3, X2, X2
	VPSHUFD      $0x4E, X2, X3
	VPADDQ       X3, X2, X2
	MOVQ         X2, AX
	MOVW         AX, (DI)

	ADDQ $64, SI
	ADDQ $2, DI
	DECQ CX
	JNZ  row

done:
	VZEROUPPER
	RET

// ROWSUMS sets dst to the four qword sums of bit counts (VPSADBW; at most
// 128 each) of the 512 bits at off(SI) xored with the query (Y0, Y1).
// Clobbers Y2-Y7.
#define ROWSUMS(off, dst) \
	VPXOR   off(SI), Y0, Y2 \
	VPXOR   off+32(SI), Y1, Y3 \
	VPAND   Y14, Y2, Y4 \
	VPSRLW  $4, Y2, Y5 \
	VPAND   Y14, Y5, Y5 \
	VPSHUFB Y4, Y15, Y4 \
	VPSHUFB Y5, Y15, Y5 \
	VPADDB  Y4, Y5, Y2 \
	VPAND   Y14, Y3, Y6 \
	VPSRLW  $4, Y3, Y7 \
	VPAND   Y14, Y7, Y7 \
	VPSHUFB Y6, Y15, Y6 \
	VPSHUFB Y7, Y15, Y7 \
	VPADDB  Y6, Y7, Y3 \
	VPADDB  Y2, Y3, Y2 \
	VPSADBW Y13, Y2, dst

// func hamming512HistAVX2(sigs *uint64, q *uint64, n int, out *uint16, hist *int32)
//
// As hamming512AVX2, and adds one to hist[out[j]] for each row: the
// histogram the shortlist's cut needs, with no second pass over the
// distances. Four rows a round share one horizontal sum: their qword sums
// are packed into the 16-bit fields of one register (row r shifted 16·r
// bits; no field exceeds 4·128), so the sum of its four qwords holds the
// four distances in order, stored with one write.
TEXT ·hamming512HistAVX2(SB), NOSPLIT, $0-40
	MOVQ sigs+0(FP), SI
	MOVQ q+8(FP), DX
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DI
	MOVQ hist+32(FP), R8

	VMOVDQU        (DX), Y0
	VMOVDQU        32(DX), Y1
	VBROADCASTI128 nibbleCounts<>(SB), Y15
	MOVL           $0x0f0f0f0f, AX
	MOVD           AX, X14
	VPBROADCASTD   X14, Y14
	VPXOR          Y13, Y13, Y13

	CMPQ CX, $4
	JLT  hone

hfour:
	ROWSUMS(0, Y8)
	ROWSUMS(64, Y9)
	ROWSUMS(128, Y10)
	ROWSUMS(192, Y11)
	VPSLLQ       $16, Y9, Y9
	VPOR         Y9, Y8, Y8
	VPSLLQ       $16, Y11, Y11
	VPOR         Y11, Y10, Y10
	VPSLLQ       $32, Y10, Y10
	VPOR         Y10, Y8, Y8
	VEXTRACTI128 $1, Y8, X9
	VPADDQ       X9, X8, X8
	VPSHUFD      $0x4E, X8, X9
	VPADDQ       X9, X8, X8
	MOVQ         X8, AX
	MOVQ         AX, (DI)

	MOVWQZX AX, BX
	INCL    (R8)(BX*4)
	SHRQ    $16, AX
	MOVWQZX AX, BX
	INCL    (R8)(BX*4)
	SHRQ    $16, AX
	MOVWQZX AX, BX
	INCL    (R8)(BX*4)
	SHRQ    $16, AX
	INCL    (R8)(AX*4)

	ADDQ $256, SI
	ADDQ $8, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  hfour

hone:
	TESTQ CX, CX
	JZ    hdone

hrow:
	ROWSUMS(0, Y2)
	VEXTRACTI128 $1, Y2, X3
	VPADDQ       X3, X2, X2
	VPSHUFD      $0x4E, X2, X3
	VPADDQ       X3, X2, X2
	MOVQ         X2, AX
	MOVW         AX, (DI)
	INCL         (R8)(AX*4)

	ADDQ $64, SI
	ADDQ $2, DI
	DECQ CX
	JNZ  hrow

hdone:
	VZEROUPPER
	RET
