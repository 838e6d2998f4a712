package lattice

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
)

// PackedEvaluator computes spin-product operators on ±1 configurations
// through bit planes, about a hundred times faster than a loop over sites:
// with s = (−1)^bit, a product of spins is (−1) to the XOR of their bits, so
//
//	Σ_x Π_k s_{x+δ_k} = N − 2·popcount(⊕_k shift_{δ_k}(bits)),
//
// one XOR per factor and one popcount per 64 sites.
//
// Packing convention: the lattice is cut into rows along x (row r = y + Ly·z
// holds the sites (0…Lx−1, y, z), the lattice's own site order); row r
// occupies the W = ⌈Lx/64⌉ words r·W … r·W+W−1, site x being bit x mod 64 of
// word r·W + x/64. The bit is 1 for spin −1 and 0 for spin +1. Bits beyond
// Lx in a row's last word are 0. A shift along x rotates each row within its
// Lx bits; a shift along y or z maps row indices. Any extents work (Lx below,
// equal to or above 64, odd or even).
//
// A PackedEvaluator is immutable and safe for concurrent use; each goroutine
// needs its own PackedWork.
type PackedEvaluator struct {
	lat     *Lattice
	nops    int
	lx, w   int
	rows    int
	shifts  []int   // distinct x displacements mod Lx; shifts[0] = 0
	rowMaps [][]run // per distinct (y, z) displacement: runs of rows; rowMaps[0] is the identity
	terms   []packedTerm
	base    []int64 // per operator: N · (number of patterns)
}

// packedTerm is one pattern of one operator: the XOR of its factors.
type packedTerm struct {
	op      int
	factors []packedFactor
}

// packedFactor reads the plane rotated by shifts[shift] at the rows of
// rowMaps[rowMap].

// run says that the n words from dst on read the plane's words from src on:
// consecutive rows shifted along y and z stay consecutive, so a row shift is
// a few contiguous runs (two per z slab).
type run struct{ dst, src, n int }
type packedFactor struct{ shift, rowMap int }

// PackedWork is the scratch space of PackedEvaluator.Values for one
// goroutine: the bit planes of one configuration and its x-rotations.
type PackedWork struct {
	planes [][]uint64 // per shift: rows × W words
	acc    []uint64   // rows × W
	vals   []int64    // Evaluator.Values' operator values
}

// NewPackedEvaluator returns a packed evaluator of ops on l. Every operator
// must be valid on l (Operator.Validate); at least one is required.
func NewPackedEvaluator(l *Lattice, ops ...Operator) (*PackedEvaluator, error) {
	if l == nil {
		return nil, errors.New("lattice: packed evaluator needs a lattice")
	}
	if len(ops) == 0 {
		return nil, errors.New("lattice: packed evaluator needs at least one operator")
	}
	lx := l.ext[0]
	e := &PackedEvaluator{lat: l, nops: len(ops), lx: lx, w: (lx + 63) / 64, rows: l.n / lx,
		shifts: []int{0}, base: make([]int64, len(ops))}
	shiftIdx := map[int]int{0: 0}
	rowIdx := map[int]int{0: 0} // keyed by the image of row 0
	e.rowMaps = [][]run{e.rowMap(make([]int, l.Dim()))}
	for k, op := range ops {
		if err := op.Validate(l); err != nil {
			return nil, err
		}
		for _, p := range op.Patterns {
			t := packedTerm{op: k}
			for _, d := range p {
				dx := ((d[0] % lx) + lx) % lx
				si, ok := shiftIdx[dx]
				if !ok {
					si = len(e.shifts)
					shiftIdx[dx] = si
					e.shifts = append(e.shifts, dx)
				}
				dr := append([]int{0}, d[1:]...)
				key := l.Shift(0, dr) / lx
				ri, ok := rowIdx[key]
				if !ok {
					ri = len(e.rowMaps)
					rowIdx[key] = ri
					e.rowMaps = append(e.rowMaps, e.rowMap(dr))
				}
				t.factors = append(t.factors, packedFactor{shift: si, rowMap: ri})
			}
			// Factors without a row shift first (oddSites reads them in place).
			slices.SortStableFunc(t.factors, func(a, b packedFactor) int { return min(a.rowMap, 1) - min(b.rowMap, 1) })
			e.terms = append(e.terms, t)
			e.base[k] += int64(l.n)
		}
	}
	return e, nil
}

// rowMap returns the runs of words that shift every row by the
// displacement d (whose x component is ignored).
func (e *PackedEvaluator) rowMap(d []int) []run {
	var runs []run
	for r := 0; r < e.rows; r++ {
		src := e.lat.Shift(r*e.lx, d) / e.lx
		if k := len(runs) - 1; k >= 0 && runs[k].src+runs[k].n == src*e.w {
			runs[k].n += e.w
			continue
		}
		runs = append(runs, run{dst: r * e.w, src: src * e.w, n: e.w})
	}
	return runs
}

// Lattice returns the lattice the evaluator was built for.
func (e *PackedEvaluator) Lattice() *Lattice { return e.lat }

// Len returns the number of operators.
func (e *PackedEvaluator) Len() int { return e.nops }

// Words returns the number of 64-bit words of a packed configuration.
func (e *PackedEvaluator) Words() int { return e.rows * e.w }

// NewWork returns the scratch space one goroutine needs for Values.
func (e *PackedEvaluator) NewWork() *PackedWork {
	w := &PackedWork{acc: make([]uint64, e.rows*e.w)}
	for range e.shifts {
		w.planes = append(w.planes, make([]uint64, e.rows*e.w))
	}
	return w
}

// Bits returns the packed configuration last packed into w (see the
// packing convention of PackedEvaluator). It aliases w's storage.
func (w *PackedWork) Bits() []uint64 { return w.planes[0] }

// Values writes O_k(s) for every operator k into dst (reallocated if too
// short) and returns it with ok = true. If s holds a value other than ±1, it
// returns ok = false and the contents of dst are unspecified. It panics if
// len(s) is not the number of sites or w was made by another evaluator's
// NewWork (of other sizes). It does not allocate when dst has room.
func (e *PackedEvaluator) Values(dst []int64, s []int8, w *PackedWork) (vals []int64, ok bool) {
	if !e.Pack(w, s) {
		return dst, false
	}
	return e.Eval(dst, w), true
}

// Pack packs the ±1 configuration s into w and reports whether every value
// of s was ±1. It panics under the conditions of Values.
func (e *PackedEvaluator) Pack(w *PackedWork, s []int8) bool {
	if len(s) != e.lat.n {
		panic(fmt.Sprintf("lattice: configuration of length %d on %d sites", len(s), e.lat.n))
	}
	if len(w.planes) != len(e.shifts) || len(w.acc) != e.rows*e.w {
		panic("lattice: PackedWork of another evaluator")
	}
	plane := w.planes[0]
	for r := 0; r < e.rows; r++ {
		if !packRow(plane[r*e.w:(r+1)*e.w], s[r*e.lx:(r+1)*e.lx]) {
			return false
		}
	}
	return true
}

// Eval writes the operator values of the configuration packed in w (by
// Pack) into dst (reallocated if too short) and returns it.
func (e *PackedEvaluator) Eval(dst []int64, w *PackedWork) []int64 {
	if cap(dst) < e.nops {
		dst = make([]int64, e.nops)
	}
	dst = dst[:e.nops]
	copy(dst, e.base)
	e.rotate(w)
	for i := range e.terms {
		dst[e.terms[i].op] -= 2 * int64(e.oddSites(&e.terms[i], w))
	}
	return dst
}

// oddSites returns the number of sites x at which the term's product is −1:
// the popcount of the XOR of its factors' planes. The first factor (without
// a row shift if the term has one: they are sorted first) is read in place,
// the last one fused with the popcount.
func (e *PackedEvaluator) oddSites(t *packedTerm, w *PackedWork) int {
	fs := t.factors
	plane := func(i int) []uint64 { return w.planes[fs[i].shift] }
	runs := func(i int) []run { return e.rowMaps[fs[i].rowMap] }
	if len(fs) == 1 { // a permutation of the rows keeps the popcount
		n := 0
		for _, v := range plane(0) {
			n += bits.OnesCount64(v)
		}
		return n
	}
	acc, next := w.acc, 1
	switch {
	case fs[0].rowMap != 0:
		for _, r := range runs(0) {
			copy(acc[r.dst:r.dst+r.n], plane(0)[r.src:r.src+r.n])
		}
	case len(fs) == 2:
		acc = plane(0)
	default:
		p0, p1 := plane(0), plane(1)
		for _, r := range runs(1) {
			a, x, y := acc[r.dst:r.dst+r.n], p0[r.dst:r.dst+r.n], p1[r.src:r.src+r.n]
			for j := range a {
				a[j] = x[j] ^ y[j]
			}
		}
		next = 2
	}
	last := len(fs) - 1
	for i := next; i < last; i++ {
		p := plane(i)
		for _, r := range runs(i) {
			a, x := acc[r.dst:r.dst+r.n], p[r.src:r.src+r.n]
			for j := range a {
				a[j] ^= x[j]
			}
		}
	}
	n, p := 0, plane(last)
	for _, r := range runs(last) {
		a, x := acc[r.dst:r.dst+r.n], p[r.src:r.src+r.n]
		for j := range a {
			n += bits.OnesCount64(a[j] ^ x[j])
		}
	}
	return n
}

// rotate fills the planes of the non-zero x shifts from plane 0: plane k
// holds at site x the bit of site x + shifts[k] (mod Lx).
func (e *PackedEvaluator) rotate(w *PackedWork) {
	src := w.planes[0]
	L := e.lx
	if e.w == 1 {
		mask := ^uint64(0) >> (64 - L)
		for k := 1; k < len(e.shifts); k++ {
			d := e.shifts[k]
			dst := w.planes[k][:len(src)]
			for r, v := range src {
				dst[r] = (v>>d | v<<(L-d)) & mask
			}
		}
		return
	}
	W := e.w
	last := ^uint64(0) >> ((64 - L%64) % 64)
	for k := 1; k < len(e.shifts); k++ {
		d := e.shifts[k]
		dst := w.planes[k]
		for r := 0; r < e.rows; r++ {
			row, out := src[r*W:(r+1)*W], dst[r*W:(r+1)*W]
			for j := range out {
				out[j] = periodicWindow(row, L, (64*j+d)%L)
			}
			out[W-1] &= last
		}
	}
}

// periodicWindow returns the 64 bits of the periodic row of L > 64 bits
// starting at bit pos (0 ≤ pos < L), wrapping past bit L−1 to bit 0.
func periodicWindow(row []uint64, L, pos int) uint64 {
	v := window(row, pos)
	if pos+64 > L {
		v |= window(row, 0) << (L - pos)
	}
	return v
}

// window returns the 64 bits of row starting at bit pos, bits beyond the
// row's last word being 0.
func window(row []uint64, pos int) uint64 {
	k, s := pos>>6, uint(pos&63)
	v := row[k] >> s
	if s != 0 && k+1 < len(row) {
		v |= row[k+1] << (64 - s)
	}
	return v
}

// spinBytes reports whether the 8 bytes of v (little-endian int8 values)
// are all ±1: a byte is 0x01 or 0xFF exactly when its xor with 0x01 is 0x00
// or 0xFE, i.e. 0xFE times its sign bit.
func spinBytes(v uint64) bool {
	const ones = 0x0101010101010101
	return v^ones == (v>>7&ones)*0xFE
}

// load8 returns 8 int8 values as the bytes of a little-endian word.
func load8(b []int8) uint64 {
	b = b[:8:8]
	return uint64(uint8(b[0])) | uint64(uint8(b[1]))<<8 | uint64(uint8(b[2]))<<16 | uint64(uint8(b[3]))<<24 |
		uint64(uint8(b[4]))<<32 | uint64(uint8(b[5]))<<40 | uint64(uint8(b[6]))<<48 | uint64(uint8(b[7]))<<56
}

// NonSpin returns the index of the first value of s other than ±1, or −1 if
// there is none.
func NonSpin(s []int8) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if !spinBytes(load8(s[i:])) {
			break
		}
	}
	for ; i < len(s); i++ {
		if s[i] != 1 && s[i] != -1 {
			return i
		}
	}
	return -1
}

// Outside returns the index of the first value of s not in states (nil:
// ±1, as NonSpin), or −1 if there is none.
func Outside(s, states []int8) int {
	if states == nil {
		return NonSpin(s)
	}
	var ok [256]bool
	for _, x := range states {
		ok[uint8(x)] = true
	}
	for i, v := range s {
		if !ok[uint8(v)] {
			return i
		}
	}
	return -1
}

// packRow packs one row of ±1 spins into dst (bit 1 for −1) and reports
// whether every value was ±1.
func packRow(dst []uint64, s []int8) bool {
	const ones = 0x0101010101010101
	bad := false
	for j := range dst {
		seg := s[64*j : min(64*j+64, len(s))]
		var word uint64
		i := 0
		for ; i+8 <= len(seg); i += 8 {
			v := load8(seg[i:])
			bad = bad || !spinBytes(v)
			// The sign bits of the 8 bytes, gathered into the top byte.
			word |= ((v >> 7 & ones) * 0x0102040810204080 >> 56) << i
		}
		for ; i < len(seg); i++ {
			v := seg[i]
			bad = bad || (v != 1 && v != -1)
			word |= uint64(uint8(v)>>7) << i
		}
		dst[j] = word
	}
	return !bad
}
