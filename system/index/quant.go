package index

import "math"

// A first pass over 7-bit codes lets a search skip the rows that cannot
// reach the top k without scoring them: the codes are a quarter of the size
// of float32 vectors, and on amd64 with AVX2 an assembly kernel multiplies
// 32 of them an instruction, elsewhere SWAR arithmetic (codeDotSWAR) four a
// multiply.
//
// The first pass loses nothing, by an error bound: if q̂ and v̂ are the
// dequantised query and row, and r_q, r_v the norms of what quantisation
// threw away, then for unit q
//
//	|q·v − q̂·v̂| ≤ |q·(v−v̂)| + |(q−q̂)·v̂| ≤ r_v + r_q·(1 + r_v)
//
// (Cauchy–Schwarz twice, and ‖v̂‖ ≤ ‖v‖ + r_v). A row whose upper bound is
// below the k-th best lower bound cannot be in the top k, and every other
// row is scored (scorer.score, from its codes and 4-bit fine codes; the
// bound is widened by the fine residual so it holds for that score). The
// result is the same as scoring every row.

const (
	rowLevels  = 63                 // row codes are round(x/scale) in [-rowLevels, rowLevels]
	codeOffset = rowLevels + 1      // and stored as code+codeOffset in [1, 127]: seven bits
	laneMask   = 0x00FF00FF00FF00FF // the even bytes of a word, one per 16-bit lane
	boundSlack = 1e-4               // covers float32 rounding of the exact scores
)

// Query codes: the AVX2 kernel multiplies unsigned 7-bit row codes by signed
// 8-bit query codes, and its pair sums (at most 2·127·127) fit in 16 bits;
// the SWAR kernel needs 7-bit codes on both sides.
const (
	avx2QueryLevels = 127
	swarQueryLevels = rowLevels
)

// quant is what the bound and the score need of a quantised vector.
type quant struct {
	scale float32 // value of one code step
	sum   int32   // sum of the codes (without offset)
	resid float32 // norm of v minus its dequantised form
	// fineScale is the value of one step of the 4-bit codes of what the
	// 7-bit codes left over (see refine), and fineResid the norm of what
	// both left over: how far a row's score may be from its exact cosine.
	fineScale float32
	fineResid float32
}

// wordsFor returns how many uint64 words hold the codes of dim dimensions:
// eight a word, in whole 32-byte blocks for the AVX2 kernel.
func wordsFor(dim int) int { return (dim + 31) / 32 * 4 }

// quantizeCodes quantises v to integer codes in [-levels, levels], passing
// each to emit, and returns the scale, code sum and residual norm.
func quantizeCodes(v []float32, levels int, emit func(i, c int)) quant {
	var maxAbs float32
	for _, x := range v {
		maxAbs = max(maxAbs, float32(math.Abs(float64(x))))
	}
	if maxAbs == 0 {
		for i := range v {
			emit(i, 0)
		}
		return quant{}
	}
	scale := maxAbs / float32(levels)
	s := float64(scale)
	var sum int32
	var resid float64
	for i, x := range v {
		c := math.Round(float64(x) / s)
		c = max(-float64(levels), min(float64(levels), c))
		d := float64(x) - c*s
		resid += d * d
		sum += int32(c)
		emit(i, int(c))
	}
	return quant{scale: scale, sum: sum, resid: float32(math.Sqrt(resid))}
}

// quantize writes the offset codes of a row into words (len
// wordsFor(len(v)); padding bytes stay zero, so they add nothing to a
// product) and returns its quant.
func quantize(v []float32, words []uint64) quant {
	clear(words)
	return quantizeCodes(v, rowLevels, func(i, c int) {
		words[i/8] |= uint64(c+codeOffset) << (8 * (i % 8))
	})
}

// probe is a query prepared for the first pass.
type probe struct {
	quant quant
	dim   int
	avx2  bool
	// signed holds the query's codes, for the AVX2 kernel.
	signed []int8
	// even and odd hold, for each code word of a row, two words that,
	// multiplied by the row's even and odd bytes spread into 16-bit lanes,
	// leave the sum of four products of offset codes in the top lane.
	even, odd []uint64
}

func newProbe(q []float32) *probe { return makeProbe(q, hasAVX2) }

func makeProbe(q []float32, avx2 bool) *probe {
	n := wordsFor(len(q))
	p := &probe{dim: len(q), avx2: avx2}
	if avx2 {
		p.signed = make([]int8, 8*n)
		p.quant = quantizeCodes(q, avx2QueryLevels, func(i, c int) { p.signed[i] = int8(c) })
		return p
	}
	codes := make([]uint64, n)
	p.quant = quantizeCodes(q, swarQueryLevels, func(i, c int) {
		codes[i/8] |= uint64(c+codeOffset) << (8 * (i % 8))
	})
	p.even, p.odd = make([]uint64, n), make([]uint64, n)
	for w, x := range codes {
		var b [8]uint64
		for j := range b {
			b[j] = (x >> (8 * j)) & 0xFF
		}
		// Lanes reversed: lane j of the multiplier meets lane 3-j of the
		// row, so lane 3 of the product sums the four matching pairs.
		p.even[w] = b[6] | b[4]<<16 | b[2]<<32 | b[0]<<48
		p.odd[w] = b[7] | b[5]<<16 | b[3]<<32 | b[1]<<48
	}
	return p
}

// codeDots sets out[j] to the sum of the products of the query's codes and
// the codes of row rows[j] (without offsets), for each j < len(rows). rows
// must be ascending and below len(quants); codes holds words words a row.
func (p *probe) codeDots(codes []uint64, words int, quants []quant, rows []int32, out []int32) {
	if len(rows) == 0 {
		return
	}
	out = out[:len(rows)]
	if int(rows[len(rows)-1])*words >= len(codes) || len(p.signed) < words*8 && p.avx2 {
		panic("index: code row out of range")
	}
	if p.avx2 {
		codeDotsAVX2(&codes[0], words*8, &p.signed[0], words/4, &rows[0], len(rows), &out[0])
		// Σ(b+o)·a = Σab + o·Σa, a the query's codes.
		off := codeOffset * p.quant.sum
		for j := range out {
			out[j] -= off
		}
		return
	}
	// Σ(a+o)(b+o) = Σab + o·Σa + o·Σb + o²·dim.
	off := codeOffset*int64(p.quant.sum) + codeOffset*codeOffset*int64(p.dim)
	for j, r := range rows {
		raw := int64(codeDotSWAR(p.even, p.odd, codes[int(r)*words:(int(r)+1)*words]))
		out[j] = int32(raw - off - codeOffset*int64(quants[r].sum))
	}
}

// bounds returns the lower and upper bound of the cosine of the probe's
// query with a row, given their code product (from codeDots) and the row's
// quant.
func (p *probe) bounds(ab int32, r quant) (lo, hi float64) {
	approx := float64(p.quant.scale) * float64(r.scale) * float64(ab)
	// The bound is of the score the row is given (scorer.score), which is
	// within fineResid of q·v.
	rv, rq := float64(r.resid), float64(p.quant.resid)
	eps := rv + rq*(1+rv) + float64(r.fineResid) + boundSlack
	return approx - eps, approx + eps
}

// codeDotSWAR returns the sum of the products of the offset codes of the
// query and of one row, given the query's even and odd multipliers. Each
// product is at most 127², so four of them (the top lane) and the three,
// two and one of the lanes below never carry.
func codeDotSWAR(even, odd, row []uint64) uint64 {
	n := len(row)
	even = even[:n]
	odd = odd[:n]
	const mask = laneMask
	var s0, s1, s2, s3 uint64
	i := 0
	for ; i+2 <= n; i += 2 {
		e := even[i : i+2 : i+2]
		o := odd[i : i+2 : i+2]
		r := row[i : i+2 : i+2]
		x, y := r[0], r[1]
		s0 += ((x & mask) * e[0]) >> 48
		s1 += (((x >> 8) & mask) * o[0]) >> 48
		s2 += ((y & mask) * e[1]) >> 48
		s3 += (((y >> 8) & mask) * o[1]) >> 48
	}
	if i < n {
		x := row[i]
		s0 += ((x & mask) * even[i]) >> 48
		s1 += (((x >> 8) & mask) * odd[i]) >> 48
	}
	return s0 + s1 + s2 + s3
}

// Scores come from the codes too: the index keeps no float32 vectors (at
// 384 dimensions they were 1,536 bytes a row, four times the codes). A row's
// score is q·v̂, the unit query against the row's dequantised codes, whose
// distance from the exact cosine q·v is at most the row's residual norm r_v
// (|q·(v−v̂)| ≤ ‖q‖·‖v−v̂‖), about 0.01 at 384 dimensions and in practice
// nearer 0.001 (the errors of the dimensions mostly cancel). Equal vectors
// have equal codes, so they still tie exactly. The first pass's bounds hold
// for q·v̂ as well: |q·v̂ − q̂·v̂| ≤ r_q·‖v̂‖ ≤ r_q·(1 + r_v).

// fineLevels: the fine codes are round(e/fineScale) in [-fineLevels,
// fineLevels], stored as code+fineOffset in four bits.
const (
	fineLevels = 7
	fineOffset = fineLevels + 1
)

// fineWordsFor returns how many uint64 words hold the fine codes of dim
// dimensions, sixteen a word.
func fineWordsFor(dim int) int { return (dim + 15) / 16 }

// refine writes into fine (len fineWordsFor(len(v))) 4-bit codes of what
// the row codes (words, quant q, from quantize) leave of v, and sets q's
// fineScale and fineResid. The left-over of a dimension is at most half a
// code step, so the fine codes cut the error of a score about fourteen-fold
// for 192 bytes a row at 384 dimensions, an eighth of a float32 vector.
func refine(v []float32, words []uint64, q *quant, fine []uint64) {
	clear(fine)
	s := q.scale
	// What the codes leave of dimension i (recomputed in the second pass
	// rather than kept: an index load refines every row).
	left := func(i int) float32 {
		c := int((words[i/8]>>(8*(i%8)))&0xFF) - codeOffset
		return v[i] - float32(c)*s
	}
	var maxAbs float32
	for i := range v {
		maxAbs = max(maxAbs, abs32(left(i)))
	}
	if maxAbs == 0 {
		for i := range v {
			fine[i/16] |= uint64(fineOffset) << (4 * (i % 16))
		}
		q.fineScale, q.fineResid = 0, 0
		return
	}
	fs := maxAbs / fineLevels
	inv := 1 / fs
	var resid float64
	for i := range v {
		e := left(i)
		c := max(-fineLevels, min(fineLevels, roundHalfAway(e*inv)))
		d := float64(e - float32(c)*fs)
		resid += d * d
		fine[i/16] |= uint64(c+fineOffset) << (4 * (i % 16))
	}
	q.fineScale, q.fineResid = fs, float32(math.Sqrt(resid))
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// roundHalfAway rounds x to the nearest integer, halves away from zero.
func roundHalfAway(x float32) int {
	if x < 0 {
		return -int(-x + 0.5)
	}
	return int(x + 0.5)
}

// scorer is a unit query prepared for scoring rows from their codes.
type scorer struct {
	q   []float32 // the query padded with zeros to the code words' length
	sum float32   // sum of the query's components
}

func newScorer(q []float32, words int) scorer {
	pad := make([]float32, 8*words)
	copy(pad, q)
	var sum float32
	for _, x := range q {
		sum += x
	}
	return scorer{q: pad, sum: sum}
}

// score returns q·ṽ of the row with codes row (words words), fine codes
// fine and quant r, ṽ the row's codes and fine codes dequantised: scale·Σ
// q_i·(c_i − codeOffset) + fineScale·Σ q_i·(f_i − fineOffset), each sum
// computed as Σq_i·c_i − offset·Σq_i (the padding codes and the query's
// padding components are zero). The sums come from the AVX2 kernel when
// the machine has it, which adds the same products in the same order as
// the portable code, so a score does not depend on the kernel.
func (sq *scorer) score(row, fine []uint64, r quant) float32 {
	var s [8]float32
	if hasAVX2 && len(row) > 0 && len(fine) > 0 {
		if len(sq.q) < 8*len(row) || len(sq.q) < 16*len(fine) {
			panic("index: score row longer than the query")
		}
		scoreSumsAVX2(&sq.q[0], &row[0], len(row), &fine[0], len(fine), &s)
	} else {
		s = sq.scoreSumsGo(row, fine)
	}
	coarse := (s[0] + s[1]) + (s[2] + s[3]) - codeOffset*sq.sum
	// The fine codes of the padding are zero, as are the query's padding
	// components: only the query's own components count in the offset.
	finer := (s[4] + s[5]) + (s[6] + s[7]) - fineOffset*sq.sum
	return r.scale*coarse + r.fineScale*finer
}

// scoreSumsGo returns the partial sums of a score: four of the products of
// the query's components and the row's codes (each lane adding, a word at a
// time, two products summed first), then four of those of the fine codes.
func (sq *scorer) scoreSumsGo(row, fine []uint64) [8]float32 {
	q := sq.q[:8*len(row)]
	var s0, s1, s2, s3 float32
	for w, x := range row {
		v := q[8*w : 8*w+8 : 8*w+8]
		s0 += v[0]*float32(x&0xFF) + v[4]*float32((x>>32)&0xFF)
		s1 += v[1]*float32((x>>8)&0xFF) + v[5]*float32((x>>40)&0xFF)
		s2 += v[2]*float32((x>>16)&0xFF) + v[6]*float32((x>>48)&0xFF)
		s3 += v[3]*float32((x>>24)&0xFF) + v[7]*float32(x>>56)
	}
	// The query's padding covers the fine words: 8·words ≥ 16·fwords.
	var f0, f1, f2, f3 float32
	q = sq.q[:16*len(fine)]
	for w, x := range fine {
		v := q[16*w : 16*w+16 : 16*w+16]
		for j := 0; j < 16; j += 4 {
			y := x >> (4 * j)
			f0 += v[j] * float32(y&0xF)
			f1 += v[j+1] * float32((y>>4)&0xF)
			f2 += v[j+2] * float32((y>>8)&0xF)
			f3 += v[j+3] * float32((y>>12)&0xF)
		}
	}
	return [8]float32{s0, s1, s2, s3, f0, f1, f2, f3}
}
