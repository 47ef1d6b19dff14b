#include "textflag.h"

// Fine-code nibble mask, for VPAND.
DATA nibbleMask<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbleMask<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nibbleMask<>(SB), RODATA|NOPTR, $16

// func scoreSumsAVX2(q *float32, row *uint64, words int, fine *uint64, fwords int, sums *[8]float32)
//
// The eight partial sums of scoreSumsGo, with the same operations in the
// same order, so the same float32 results: lane l of X0 is s_l, adding for
// each code word q[8w+l]·c_l + q[8w+4+l]·c_{4+l}; lane l of X5 is f_l,
// adding q[16w+j+l]·n_{j+l} for j = 0, 4, 8, 12 in turn (n_i the i-th
// nibble of fine word w). Neither multiplies and adds in one rounding.
TEXT ·scoreSumsAVX2(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), DX
	MOVQ row+8(FP), SI
	MOVQ words+16(FP), CX
	MOVQ fine+24(FP), BX
	MOVQ fwords+32(FP), R8
	MOVQ sums+40(FP), DI

	VXORPS X0, X0, X0
	VXORPS X5, X5, X5
	MOVQ   DX, R10

	TESTQ CX, CX
	JZ    fine

coarse:
	VPMOVZXBD    (SI), Y1
	VCVTDQ2PS    Y1, Y1
	VMULPS       (DX), Y1, Y1
	VEXTRACTF128 $1, Y1, X2
	VADDPS       X2, X1, X1
	VADDPS       X1, X0, X0
	ADDQ         $8, SI
	ADDQ         $32, DX
	DECQ         CX
	JNZ          coarse

fine:
	TESTQ R8, R8
	JZ    done
	VMOVDQU nibbleMask<>(SB), X15

fineword:
	VMOVQ        (BX), X1
	VPSRLW       $4, X1, X2
	VPAND        X15, X1, X1
	VPAND        X15, X2, X2
	VPUNPCKLBW   X2, X1, X1
	VPMOVZXBD    X1, Y3
	VPSRLDQ      $8, X1, X4
	VPMOVZXBD    X4, Y4
	VCVTDQ2PS    Y3, Y3
	VCVTDQ2PS    Y4, Y4
	VMULPS       (R10), Y3, Y3
	VMULPS       32(R10), Y4, Y4
	VADDPS       X3, X5, X5
	VEXTRACTF128 $1, Y3, X3
	VADDPS       X3, X5, X5
	VADDPS       X4, X5, X5
	VEXTRACTF128 $1, Y4, X4
	VADDPS       X4, X5, X5
	ADDQ         $8, BX
	ADDQ         $64, R10
	DECQ         R8
	JNZ          fineword

done:
	VMOVUPS X0, (DI)
	VMOVUPS X5, 16(DI)
	VZEROUPPER
	RET
