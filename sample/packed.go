package sample

import (
	"fmt"
	"math/bits"
)

// packedLattice is the storage shared by the multi-spin-coded samplers
// (Multispin, MSC): a periodic 2D or 3D grid of 64-bit words with even
// extents, split into its two checkerboard sublattices (words with even and
// odd x+y+z), each stored with one layer of ghost words on every face.
//
// Bit b of a word is lane b. What a lane means is the sampler's business:
// Multispin puts replica b of the whole lattice in lane b (the word grid is
// the lattice); MSC cuts one lattice into blocks and puts block b in lane b
// (the word grid is one block). Crossing a face of the word grid then moves
// to the neighbouring block, which is a permutation of lanes: the ghost
// words hold the wrapped neighbours with their lanes already permuted
// (laneMap), so a sweep reads every neighbour of every word from plain
// offsets, without wrap logic.
//
// Layout of sublattice p: planes z = −g…Z−1+g (g = 1 in 3D, 0 in 2D), rows
// y = −1…Y, words j = −1…H with H = X/2; word (x, y, z) of parity p (x+y+z ≡
// p mod 2) is j = x>>1. In a row (y, z) the words of parity p sit at
// x = o + 2j with o = (p+y+z)&1, their ±y and ±z neighbours at the same j in
// the other sublattice, their −x and +x neighbours at j−1+o and j+o of the
// other sublattice's row (y, z).
type packedLattice struct {
	dim   int
	n     [3]int // word-grid extents X, Y, Z (Z = 1 in 2D)
	h     int    // X/2: words per sublattice row
	rows  int    // Y·Z: rows per sublattice
	sy    int    // stride of a row (h+2)
	sz    int    // stride of a plane ((Y+2)·sy)
	gz    int    // ghost planes on each side (1 in 3D, 0 in 2D)
	sub   [2][]uint64
	plus  [3]laneMap // lanes of the word across the + face of each axis
	minus [3]laneMap // and across the − face
	used  uint64     // lanes in use
}

// laneMap is a permutation of lanes by shifts and masks:
// (w>>s)&m1 | (w<<t)&m2, or with left set (w<<s)&m1 | (w>>t)&m2.
type laneMap struct {
	s, t   uint
	m1, m2 uint64
	left   bool
}

func (m *laneMap) apply(w uint64) uint64 {
	if m.left {
		return w<<m.s&m.m1 | w>>m.t&m.m2
	}
	return w>>m.s&m.m1 | w<<m.t&m.m2
}

// maxPackedWords bounds the storage of a packedLattice (2^28 words, 2 GiB).
const maxPackedWords = 1 << 28

// newPackedLattice returns a zero packedLattice of dim = 2 or 3 with word
// extents n (even, n[2] ignored in 2D) using the first lanes lanes, which
// form a blk[0]×blk[1]×blk[2] grid of blocks (lane b = b_0 + blk[0]·(b_1 +
// blk[1]·b_2) + copy·∏blk): crossing the + face of axis a moves to block
// b_a + 1 (mod blk[a]). Multispin has blocks 1×1×1 and 64 lanes (copies).
func newPackedLattice(dim int, n, blk [3]int, lanes int) (*packedLattice, error) {
	if dim == 2 {
		n[2], blk[2] = 1, 1
	}
	if nb := blk[0] * blk[1] * blk[2]; nb < 1 || lanes < nb || lanes > 64 || lanes%nb != 0 {
		panic(fmt.Sprintf("sample: %d lanes of %d blocks", lanes, nb))
	}
	pl := &packedLattice{dim: dim, n: n, h: n[0] / 2, rows: n[1] * n[2]}
	pl.sy = pl.h + 2
	pl.sz = (n[1] + 2) * pl.sy
	if dim == 3 {
		pl.gz = 1
	}
	size := (n[2] + 2*pl.gz) * pl.sz
	if n[0] <= 0 || n[1] <= 0 || size <= 0 || size > maxPackedWords || size/pl.sz != n[2]+2*pl.gz {
		return nil, fmt.Errorf("sample: a packed lattice of %d×%d×%d words is too large", n[0], n[1], n[2])
	}
	pl.sub[0] = make([]uint64, size)
	pl.sub[1] = make([]uint64, size)
	pl.used = ^uint64(0) >> (64 - uint(lanes))
	stride := 1
	for a := 0; a < 3; a++ {
		pl.plus[a], pl.minus[a] = blockLaneMaps(stride, blk[a], lanes)
		stride *= blk[a]
	}
	return pl, nil
}

// blockLaneMaps returns the lane maps across the + and − faces of an axis
// whose block coordinate has stride s and extent nb, among the first lanes
// lanes: lane b reads lane b+s (b−s), wrapping within the axis.
func blockLaneMaps(s, nb, lanes int) (plus, minus laneMap) {
	var top, bottom uint64 // lanes with block coordinate nb−1, 0
	for b := 0; b < lanes; b++ {
		switch c := b / s % nb; {
		case c == nb-1 && c == 0:
			top |= 1 << uint(b)
			bottom |= 1 << uint(b)
		case c == nb-1:
			top |= 1 << uint(b)
		case c == 0:
			bottom |= 1 << uint(b)
		}
	}
	used := ^uint64(0) >> (64 - uint(lanes))
	wrap := uint((nb - 1) * s)
	plus = laneMap{s: uint(s), m1: used &^ top, t: wrap, m2: top}
	minus = laneMap{left: true, s: uint(s), m1: used &^ bottom, t: wrap, m2: bottom}
	return plus, minus
}

// base returns the index of word j = 0 of row (y, z) in a sublattice array.
func (pl *packedLattice) base(y, z int) int {
	return (z+pl.gz)*pl.sz + (y+1)*pl.sy + 1
}

// row returns the y and z of row r (r = y + Y·z).
func (pl *packedLattice) row(r int) (y, z int) { return r % pl.n[1], r / pl.n[1] }

// index returns the sublattice and array index of word (x, y, z).
func (pl *packedLattice) index(x, y, z int) (p, i int) {
	p = (x + y + z) & 1
	return p, pl.base(y, z) + x>>1
}

// refresh rewrites the ghost words of sublattice p that copy rows
// [lo, hi): the two ends of each row, and the ghost rows and planes
// across the faces of the word grid.
func (pl *packedLattice) refresh(p, lo, hi int) {
	s, h := pl.sub[p], pl.h
	for r := lo; r < hi; r++ {
		y, z := pl.row(r)
		b := pl.base(y, z)
		row := s[b : b+h]
		s[b-1] = pl.minus[0].apply(row[h-1])
		s[b+h] = pl.plus[0].apply(row[0])
		if y == 0 {
			pl.copyRow(s[pl.base(pl.n[1], z):], row, &pl.plus[1])
		}
		if y == pl.n[1]-1 {
			pl.copyRow(s[pl.base(-1, z):], row, &pl.minus[1])
		}
		if pl.dim == 3 && z == 0 {
			pl.copyRow(s[pl.base(y, pl.n[2]):], row, &pl.plus[2])
		}
		if pl.dim == 3 && z == pl.n[2]-1 {
			pl.copyRow(s[pl.base(y, -1):], row, &pl.minus[2])
		}
	}
}

func (pl *packedLattice) copyRow(dst, src []uint64, m *laneMap) {
	dst = dst[:len(src)]
	for j, w := range src {
		dst[j] = m.apply(w)
	}
}

// refreshAll rewrites every ghost word.
func (pl *packedLattice) refreshAll() {
	pl.refresh(0, 0, pl.rows)
	pl.refresh(1, 0, pl.rows)
}

// words calls f with the words of every row of sublattice p (no ghosts).
func (pl *packedLattice) words(p int, f func(row []uint64)) {
	for r := 0; r < pl.rows; r++ {
		b := pl.base(pl.row(r))
		f(pl.sub[p][b : b+pl.h])
	}
}

// unpack writes into dst (x fastest) the configuration of the lattice of
// extents blk[a]·n[a] held in the lanes: its site (x, y, z) is word
// (x mod X, y mod Y, z mod Z), lane lane0 + x/X + blk[0]·(y/Y + blk[1]·z/Z).
// dst must have that length.
func (pl *packedLattice) unpack(dst []int8, blk [3]int, lane0 int) {
	pl.scan(blk, lane0, func(d []int8, r0, r1 []uint64, o0 int, lane uint) {
		for j := range r0 {
			d[2*j+o0] = int8(r0[j]>>lane&1)*2 - 1
			d[2*j+1-o0] = int8(r1[j]>>lane&1)*2 - 1
		}
	}, dst)
}

// unpackBlocks is unpack with lane0 = 0 for a configuration spread over all
// ∏blk lanes (MSC), about five times faster: it transposes 64×64 bit blocks
// (64 words of a row × 64 lanes) so that each lane's bits become one word,
// and expands them 8 sites at a time through spinPairs.
func (pl *packedLattice) unpackBlocks(dst []int8, blk [3]int) {
	n, h := pl.n, pl.h
	if pl.dim == 2 {
		blk[2] = 1
	}
	lanes := blk[0] * blk[1] * blk[2]
	X, XY := blk[0]*n[0], blk[0]*n[0]*blk[1]*n[1]
	if len(dst) != XY*blk[2]*n[2] {
		panic(fmt.Sprintf("sample: configuration of length %d, want %d", len(dst), XY*blk[2]*n[2]))
	}
	var ev, od [64]uint64
	for r := 0; r < pl.rows; r++ {
		yi, zi := pl.row(r)
		b := pl.base(yi, zi)
		even, odd := pl.sub[0][b:b+h], pl.sub[1][b:b+h] // x = 2j and x = 2j+1
		if (yi+zi)&1 == 1 {
			even, odd = odd, even
		}
		for j0 := 0; j0 < h; j0 += 64 {
			m := min(64, h-j0)
			clear(ev[m:])
			clear(od[m:])
			copy(ev[:], even[j0:j0+m])
			copy(od[:], odd[j0:j0+m])
			transpose64(&ev)
			transpose64(&od)
			for lane := range lanes {
				bx, by, bz := lane%blk[0], lane/blk[0]%blk[1], lane/(blk[0]*blk[1])
				i := (bz*n[2]+zi)*XY + (by*n[1]+yi)*X + bx*n[0] + 2*j0
				d := dst[i : i+2*m]
				e, o := ev[lane], od[lane]
				for k := 0; k+8 <= len(d); k += 8 {
					*(*[8]int8)(d[k:]) = spinPairs[e&15|o&15<<4]
					e, o = e>>4, o>>4
				}
				for k := len(d) &^ 7; k < len(d); k += 2 {
					d[k], d[k+1] = int8(e&1)*2-1, int8(o&1)*2-1
					e, o = e>>1, o>>1
				}
			}
		}
	}
}

// spinPairs[e | o<<4] holds the spins of 4 even and 4 odd sites,
// interleaved, from their bits e and o (1 = +1).
var spinPairs = func() (t [256][8]int8) {
	for v := range t {
		for k := range 4 {
			t[v][2*k] = int8(v>>k&1)*2 - 1
			t[v][2*k+1] = int8(v>>(4+k)&1)*2 - 1
		}
	}
	return t
}()

// transpose64 transposes the 64×64 bit matrix a in place: afterwards bit j
// of a[i] is what bit i of a[j] was (Hacker's Delight, section 7-3).
func transpose64(a *[64]uint64) {
	m := uint64(0x00000000FFFFFFFF)
	for j := 32; j != 0; j, m = j>>1, m^m<<(j>>1) {
		for k := 0; k < 64; k = (k + j + 1) &^ j {
			t := (a[k]>>uint(j) ^ a[k+j]) & m
			a[k] ^= t << uint(j)
			a[k+j] ^= t
		}
	}
}

// pack is the inverse of unpack: it stores the ±1 configuration src in the
// lanes (values other than +1 store −1) and refreshes the ghost words.
func (pl *packedLattice) pack(src []int8, blk [3]int, lane0 int) {
	pl.scan(blk, lane0, func(d []int8, r0, r1 []uint64, o0 int, lane uint) {
		bit := uint64(1) << lane
		for j := range r0 {
			r0[j] = r0[j]&^bit | uint64(b2u(d[2*j+o0] == 1))<<lane
			r1[j] = r1[j]&^bit | uint64(b2u(d[2*j+1-o0] == 1))<<lane
		}
	}, src)
	pl.refreshAll()
}

// scan calls f for every row of X sites of the lattice of extents
// blk[a]·n[a], in site order (x fastest): with the slice of x of the row, the
// row's words of parity 0 and 1 (parity-0 word j is at x = o0 + 2j) and the
// lane.
func (pl *packedLattice) scan(blk [3]int, lane0 int, f func(x []int8, r0, r1 []uint64, o0 int, lane uint), x []int8) {
	n, h := pl.n, pl.h
	if pl.dim == 2 {
		blk[2] = 1
	}
	if len(x) != blk[0]*n[0]*blk[1]*n[1]*blk[2]*n[2] {
		panic(fmt.Sprintf("sample: configuration of length %d, want %d", len(x), blk[0]*n[0]*blk[1]*n[1]*blk[2]*n[2]))
	}
	i := 0
	for z := 0; z < blk[2]*n[2]; z++ {
		bz, zi := z/n[2], z%n[2]
		for y := 0; y < blk[1]*n[1]; y++ {
			by, yi := y/n[1], y%n[1]
			b := pl.base(yi, zi)
			r0, r1 := pl.sub[0][b:b+h], pl.sub[1][b:b+h]
			for bx := 0; bx < blk[0]; bx++ {
				lane := uint(lane0 + bx + blk[0]*(by+blk[1]*bz))
				f(x[i:i+n[0]], r0, r1, (yi+zi)&1, lane)
				i += n[0]
			}
		}
	}
}

// antiBonds counts, per lane, the anti-aligned bonds of the word grid:
// every bond has one end of each parity, so the bonds are the 2·dim
// neighbours of every word of parity p (the ±x neighbours of a word on an
// axis of extent 2 are the same word: its two bonds count twice).
func (pl *packedLattice) antiBonds(p int, c *msCounter, buf []uint64) {
	own, q, h := pl.sub[p], pl.sub[1-p], pl.h
	for r := 0; r < pl.rows; r++ {
		y, z := pl.row(r)
		b, o := pl.base(y, z), (p+y+z)&1
		buf = buf[:0]
		for j, v := range own[b : b+h] {
			i := b + j
			buf = append(buf, v^q[i-1+o], v^q[i+o], v^q[i-pl.sy], v^q[i+pl.sy])
			if pl.dim == 3 {
				buf = append(buf, v^q[i-pl.sz], v^q[i+pl.sz])
			}
		}
		c.addWords(buf)
	}
}

// ones counts, per lane, the set bits of all words (no ghosts).
func (pl *packedLattice) ones(c *msCounter) {
	for p := range 2 {
		pl.words(p, c.addWords)
	}
}

// msCounter counts set bits per lane over many words: a bit-sliced
// (vertical) binary counter, slice k of big holding bit k of the 64 lane
// counts. Words are reduced 16 at a time with a Harley–Seal carry-save adder
// tree into the weight-1, 2, 4, 8 accumulators, so that only one word in 16
// (of weight 16) is rippled into big.
type msCounter struct {
	big                       [40]uint64
	ones, twos, fours, eights uint64
}

// addWords adds the bits of every word of xs.
func (c *msCounter) addWords(xs []uint64) {
	for len(xs) >= 16 {
		c.add16((*[16]uint64)(xs))
		xs = xs[16:]
	}
	for _, x := range xs {
		c.addAt(0, x)
	}
}

// msCSA is a bit-parallel full adder.
func msCSA(a, b, x uint64) (carry, sum uint64) {
	u := a ^ b
	return a&b | u&x, u ^ x
}

func (c *msCounter) add16(x *[16]uint64) {
	twosA, ones := msCSA(c.ones, x[0], x[1])
	twosB, ones := msCSA(ones, x[2], x[3])
	foursA, twos := msCSA(c.twos, twosA, twosB)
	twosA, ones = msCSA(ones, x[4], x[5])
	twosB, ones = msCSA(ones, x[6], x[7])
	foursB, twos := msCSA(twos, twosA, twosB)
	eightsA, fours := msCSA(c.fours, foursA, foursB)
	twosA, ones = msCSA(ones, x[8], x[9])
	twosB, ones = msCSA(ones, x[10], x[11])
	foursA, twos = msCSA(twos, twosA, twosB)
	twosA, ones = msCSA(ones, x[12], x[13])
	twosB, ones = msCSA(ones, x[14], x[15])
	foursB, twos = msCSA(twos, twosA, twosB)
	eightsB, fours := msCSA(fours, foursA, foursB)
	sixteens, eights := msCSA(c.eights, eightsA, eightsB)
	c.ones, c.twos, c.fours, c.eights = ones, twos, fours, eights
	c.addAt(4, sixteens)
}

// addAt adds x at weight 2^k into big.
func (c *msCounter) addAt(k int, x uint64) {
	for ; x != 0 && k < len(c.big); k++ {
		c.big[k], x = c.big[k]^x, c.big[k]&x
	}
}

// lane returns the count of lane r, reading the low k slices of big (enough
// for counts below 2^k), after folding the buffered words and the
// accumulators into big.
func (c *msCounter) lane(r, k int) int {
	if c.ones|c.twos|c.fours|c.eights != 0 {
		c.addAt(0, c.ones)
		c.addAt(1, c.twos)
		c.addAt(2, c.fours)
		c.addAt(3, c.eights)
		c.ones, c.twos, c.fours, c.eights = 0, 0, 0, 0
	}
	var n int
	for i, v := range c.big[:k] {
		n += int(v>>uint(r)&1) << uint(i)
	}
	return n
}

// countBits returns the number of bits needed for counts up to n.
func countBits(n int) int { return bits.Len(uint(n)) }
