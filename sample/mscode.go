package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/lattice"
)

// The multi-spin-coded Metropolis engine shared by Multispin (64 replicas of
// one lattice) and MSC (one lattice cut into 64 blocks): a packedLattice
// swept in checkerboard order, 64 lanes of a word updated at once by bitwise
// logic.
//
// A lane's spin has m anti-aligned neighbours among z = 2d; m is computed
// bit-sliced by a few word-wide adders, and ΔE = 4J(d − m). A lane flips
// with probability q_c = exp(−4J(d − c)/T) when its class c = m < d
// (ΔE > 0), always when m > d (ΔE < 0), and with probability 15/16 when
// m = d (ΔE = 0; see zeroFlip for why not 1). Every q is rounded once to a
// 64-bit threshold Q_c, and each lane compares its own 64-bit uniform number
// u with the Q of its class bit-serially from the most significant bit, so
// that it flips iff u < Q: the flip probability is Q/2⁶⁴ exactly (within
// 2⁻⁶⁴ of q, limited in practice by the 53-bit precision of q). Bit k of the
// uniforms of all 64 lanes is one 64-bit word of the generator. A lane is
// decided at the first bit where u and Q differ, with probability 1/2 per
// bit, whatever Q, so each lane reads 2 bits on average and the word's lanes
// that need a draw (about 57 of 64 at T_c in 2D) are all decided after about
// log₂ 57 + 1.3 ≈ 7.1 words. The sweep draws msUnroll = 9 words
// unconditionally (cheaper than mispredicting the loop exit at nearly every
// word) and continues while lanes are undecided: about 9.2 words per word of
// 64 spins. Each bit of the generator serves one lane's decision at most, so
// all decisions are independent.
//
// Random streams. A half-sweep updates words of one parity, which do not
// interact, so the order among them is free. Word j of every row of a
// worker's rows draws from stream j mod msStreams of that worker: the
// sampler's bytes depend on the number of workers but not on the order in
// which words are visited. The portable kernels (msRow2D, msRow3D) visit
// the words of one stream together; on amd64 processors with AVX-512 the
// vector kernels (mskernel_amd64.s) update 8 words at once, one stream per
// 64-bit lane of a 512-bit register, about four times faster, with the same
// bytes. Build with -tags purego to use the portable kernels only.
type msEngine struct {
	pl      *packedLattice
	tab     [64]msBits
	gen     xrand.Xoshiro // hot start and stream seeds
	streams []msState     // one set of streams per worker
	start   []chan int    // per worker (n > 1): parity of the next half-sweep
	done    chan struct{} // a worker finished its half-sweep
}

// msStreams is the number of generator streams of each worker (word j of a
// row draws from stream j mod msStreams).
const msStreams = 8

// msState holds the xoshiro256** states of msStreams streams, word by word:
// s[w][k] is state word S_w of stream k (the layout a vector kernel loads).
type msState [4][msStreams]uint64

// msBits is one bit of the four class thresholds Q_0…Q_3 (each bit widened
// to 0 or all ones), stored so that for the lane masks c0, c1 of the class
// index bits the lane-wise threshold bit is
//
//	th = a ^ (c0 & b) ^ (c1 & c) ^ (c0 & c1 & d),
//
// a = Q_0, b = Q_0^Q_1, c = Q_0^Q_2, d = Q_0^Q_1^Q_2^Q_3.
type msBits struct{ a, b, c, d uint64 }

// msZeroThreshold is the 64-bit threshold of the flip probability 15/16 at
// ΔE = 0 (zeroFlip).
const msZeroThreshold = 0xF000_0000_0000_0000

// newMSEngine returns an engine for a nearest-neighbour ferromagnet with
// coupling J at temperature T on pl, seeded from src.
func newMSEngine(pl *packedLattice, J, T float64, src rand.Source) *msEngine {
	e := &msEngine{pl: pl, gen: xrand.New(src)}
	d := pl.dim
	// The class of a lane is its number c of anti-aligned neighbours while
	// c ≤ d, with ΔE = 4J(d − c); c = d is ΔE = 0. In 2D class 3 flips
	// without a draw and its threshold is immaterial; it is chosen to make
	// msBits.d = 0.
	var q [4]uint64
	for c := 0; c <= d; c++ {
		if c == d {
			q[c] = msZeroThreshold
		} else {
			q[c] = xrand.Threshold64(math.Exp(-4 * J * float64(d-c) / T))
		}
	}
	if d == 2 {
		q[3] = q[0] ^ q[1] ^ q[2]
	}
	for k := range e.tab {
		var t [4]uint64
		for c := range t {
			t[c] = -(q[c] >> (63 - k) & 1)
		}
		e.tab[k] = msBits{a: t[0], b: t[0] ^ t[1], c: t[0] ^ t[2], d: t[0] ^ t[1] ^ t[2] ^ t[3]}
	}
	e.setWorkers(1)
	return e
}

// setWorkers derives msStreams streams for each of n workers from gen and,
// for n > 1, starts one goroutine per worker (stopping earlier ones).
func (e *msEngine) setWorkers(n int) {
	e.stop()
	e.streams = make([]msState, n)
	for w := range e.streams {
		for k := range msStreams {
			g := xrand.New(&e.gen)
			e.streams[w][0][k], e.streams[w][1][k], e.streams[w][2][k], e.streams[w][3][k] = g.S0, g.S1, g.S2, g.S3
		}
	}
	if n == 1 {
		return
	}
	e.start = make([]chan int, n)
	e.done = make(chan struct{}, n)
	for w := range e.start {
		e.start[w] = make(chan int, 1)
		go e.work(w, n, e.start[w], e.done)
	}
}

// work runs worker w's half-sweeps, of the parity received on start, until
// start is closed.
func (e *msEngine) work(w, n int, start <-chan int, done chan<- struct{}) {
	msWorkers.Add(1)
	defer msWorkers.Add(-1)
	for p := range start {
		e.half(p, w, n)
		done <- struct{}{}
	}
}

// msWorkers counts the running worker goroutines of all engines.
var msWorkers atomic.Int64

// stop ends the worker goroutines.
func (e *msEngine) stop() {
	for _, c := range e.start {
		close(c)
	}
	e.start = nil
}

// sweep updates sublattice 0, then 1; with several workers, each updates
// its contiguous share of the rows of a sublattice on its own goroutine
// while the caller waits. (Had the caller done a share itself, the Go
// scheduler would often run the worker it just woke on the caller's own
// processor after the caller's share, one after the other.)
func (e *msEngine) sweep() {
	n := len(e.streams)
	for p := range 2 {
		if n == 1 {
			e.half(p, 0, 1)
			continue
		}
		for _, c := range e.start {
			c <- p
		}
		for range e.start {
			<-e.done
		}
	}
}

// half updates worker w's share of the rows of sublattice p and refreshes
// the ghost words that copy them.
func (e *msEngine) half(p, w, n int) {
	pl := e.pl
	lo, hi := w*pl.rows/n, (w+1)*pl.rows/n
	st := &e.streams[w]
	h, sy, sz := pl.h, pl.sy, pl.sz
	own, q := pl.sub[p], pl.sub[1-p]
	for r := lo; r < hi; r++ {
		y, z := pl.row(r)
		b := pl.base(y, z)
		o := (p + y + z) & 1
		row, oth := own[b:b+h], q[b-1+o:b+o+h]
		up, dn := q[b-sy:b-sy+h], q[b+sy:b+sy+h]
		if pl.dim == 2 {
			j := msVector2D(row, up, dn, oth, pl.used, &e.tab, st)
			if j < h {
				msRow2D(row[j:], up[j:], dn[j:], oth[j:], pl.used, &e.tab, st)
			}
		} else {
			bk, fr := q[b-sz:b-sz+h], q[b+sz:b+sz+h]
			j := msVector3D(row, up, dn, bk, fr, oth, pl.used, &e.tab, st)
			if j < h {
				msRow3D(row[j:], up[j:], dn[j:], bk[j:], fr[j:], oth[j:], pl.used, &e.tab, st)
			}
		}
	}
	pl.refresh(p, lo, hi)
}

// msUnroll is the number of bit-serial iterations done unconditionally (in
// straight-line code) for every word before a loop starts testing whether
// lanes are left undecided: the exit of a data-dependent loop costs a branch
// misprediction at nearly every word. After 9 iterations some of the ≈57
// lanes that draw at T_c in 2D are still undecided about one time in ten.
// (Measured at L = 64, T_c: 7, 8, 9, 10, 12 unconditional iterations give
// 3.05, 3.35, 3.42, 3.31, 2.98 replica-flips per CPU ns.) The kernels spell
// out exactly msUnroll steps.
const msUnroll = 9

// msCmp2 is one step of the bit-serial comparison: given the next word u of
// the generator (one bit of every lane's uniform number), it compares u with
// the thresholds' bit q for lanes of class (c1 c0) and returns the lanes
// decided below the threshold added to yes and the lanes still undecided (u
// bit = threshold bit) left in need. It is small enough to be inlined: the
// kernels call it, after xrand.Step, in straight-line code, which the
// register allocator handles far better than a loop nested in the kernel's
// loop.
func msCmp2(q *msBits, c0, c1, u, yes, need uint64) (y, n uint64) {
	th := q.a ^ c0&q.b ^ c1&q.c
	d := th ^ u // lanes decided at this bit: below the threshold where th is set
	return yes | need&d&th, need &^ d
}

// msCmp3 is msCmp2 for four classes (3D), c01 = c0 & c1.
func msCmp3(q *msBits, c0, c1, c01, u, yes, need uint64) (y, n uint64) {
	th := q.a ^ c0&q.b ^ c1&q.c ^ c01&q.d
	d := th ^ u
	return yes | need&d&th, need &^ d
}

// msRow2D updates the words of one row of a square-lattice sublattice: word
// j has neighbours up[j], dn[j], oth[j] and oth[j+1] (the −x and +x words),
// and draws from stream j mod 8 of st. The words of one stream are visited
// together, so that its state stays in registers. It is the portable kernel:
// msVector2D, where available, does the same to 8 words at a time.
func msRow2D(row, up, dn, oth []uint64, used uint64, tab *[64]msBits, st *msState) {
	up, dn, oth = up[:len(row)], dn[:len(row)], oth[:len(row)+1]
	for k := range msStreams {
		s0, s1, s2, s3 := st[0][k], st[1][k], st[2][k], st[3][k]
		for j := k; j < len(row); j += msStreams {
			v := row[j]
			a1, a2, a3, a4 := v^up[j], v^dn[j], v^oth[j], v^oth[j+1]
			// bit-sliced m = a1+a2+a3+a4 = c0 + 2 c1 + 4 (ca&cb); the class of
			// a lane with m ≤ 2 is (c1 c0) = m
			sa, ca := a1^a2, a1&a2
			sb, cb := a3^a4, a3&a4
			c0 := sa ^ sb
			c1 := ca ^ cb ^ sa&sb
			forced := ca&cb | c0&c1 // m ≥ 3: ΔE < 0
			need := used &^ forced
			v ^= forced & used // the flips decided so far; yes ⊆ need is disjoint
			var yes, u uint64
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[0], c0, c1, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[1], c0, c1, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[2], c0, c1, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[3], c0, c1, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[4], c0, c1, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[5], c0, c1, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[6], c0, c1, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[7], c0, c1, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp2(&tab[8], c0, c1, u, yes, need)
			for k := msUnroll; need != 0 && k < 64; k++ {
				u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
				yes, need = msCmp2(&tab[k], c0, c1, u, yes, need)
			}
			row[j] = v ^ yes
		}
		st[0][k], st[1][k], st[2][k], st[3][k] = s0, s1, s2, s3
	}
}

// msRow3D is msRow2D on the cubic lattice, with the ±z neighbours bk[j],
// fr[j].
func msRow3D(row, up, dn, bk, fr, oth []uint64, used uint64, tab *[64]msBits, st *msState) {
	up, dn, oth = up[:len(row)], dn[:len(row)], oth[:len(row)+1]
	bk, fr = bk[:len(row)], fr[:len(row)]
	for k := range msStreams {
		s0, s1, s2, s3 := st[0][k], st[1][k], st[2][k], st[3][k]
		for j := k; j < len(row); j += msStreams {
			v := row[j]
			a1, a2, a3 := v^oth[j], v^oth[j+1], v^up[j]
			a4, a5, a6 := v^dn[j], v^bk[j], v^fr[j]
			// bit-sliced m = a1+…+a6 = c0 + 2 c1 + 4 forced; the class of a
			// lane with m ≤ 3 is (c1 c0) = m
			sa, ca := a1^a2^a3, a1&a2|a3&(a1^a2)
			sb, cb := a4^a5^a6, a4&a5|a6&(a4^a5)
			c0, cc := sa^sb, sa&sb
			c1 := ca ^ cb ^ cc
			forced := ca&cb | cc&(ca^cb) // m ≥ 4: ΔE < 0
			need := used &^ forced
			v ^= forced & used // the flips decided so far; yes ⊆ need is disjoint
			c01 := c0 & c1
			var yes, u uint64
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[0], c0, c1, c01, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[1], c0, c1, c01, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[2], c0, c1, c01, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[3], c0, c1, c01, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[4], c0, c1, c01, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[5], c0, c1, c01, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[6], c0, c1, c01, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[7], c0, c1, c01, u, yes, need)
			u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
			yes, need = msCmp3(&tab[8], c0, c1, c01, u, yes, need)
			for k := msUnroll; need != 0 && k < 64; k++ {
				u, s0, s1, s2, s3 = xrand.Step(s0, s1, s2, s3)
				yes, need = msCmp3(&tab[k], c0, c1, c01, u, yes, need)
			}
			row[j] = v ^ yes
		}
		st[0][k], st[1][k], st[2][k], st[3][k] = s0, s1, s2, s3
	}
}

// checkPackedIsing validates the model of a multi-spin-coded sampler: a pure
// nearest-neighbour ferromagnet (exactly one term, lattice.NearestNeighbor
// or an operator with the same bonds, finite J > 0) on a 2D or 3D lattice
// with even extents, at finite T > 0. It returns J.
func checkPackedIsing(m *lattice.Ising, T float64, src rand.Source, who string) (float64, error) {
	if m == nil {
		return 0, fmt.Errorf("sample: %s needs an Ising model, got nil", who)
	}
	if src == nil {
		return 0, fmt.Errorf("sample: %s needs a rand.Source, got nil", who)
	}
	if !(T > 0) || math.IsInf(T, 1) {
		return 0, fmt.Errorf("sample: %s temperature T = %v, want finite T > 0", who, T)
	}
	l := m.Lattice()
	dim := l.Dim()
	if dim != 2 && dim != 3 {
		return 0, fmt.Errorf("sample: %s needs a 2D or 3D lattice, got dimension %d", who, dim)
	}
	for a, e := range l.Extents() {
		if e%2 != 0 {
			return 0, fmt.Errorf("sample: %s needs even extents for the checkerboard, extent %d along axis %d is odd", who, e, a)
		}
	}
	terms := m.Terms()
	if len(terms) != 1 {
		return 0, fmt.Errorf("sample: %s needs a single nearest-neighbour coupling, model has %d terms", who, len(terms))
	}
	if !msIsNearestNeighbor(terms[0].Op, dim) {
		return 0, fmt.Errorf("sample: %s needs a nearest-neighbour coupling, got operator %q", who, terms[0].Op.Name)
	}
	J := terms[0].J
	if !(J > 0) || math.IsInf(J, 1) {
		return 0, fmt.Errorf("sample: %s needs a finite ferromagnetic coupling J > 0, got J = %v", who, J)
	}
	return J, nil
}

// msIsNearestNeighbor reports whether op is a pair operator whose patterns
// are exactly the dim unit bonds, one per axis.
func msIsNearestNeighbor(op lattice.Operator, dim int) bool {
	if len(op.Patterns) != dim {
		return false
	}
	seen := make([]bool, dim)
	for _, p := range op.Patterns {
		if len(p) != 2 || len(p[0]) != dim || len(p[1]) != dim {
			return false
		}
		axis := -1
		for a := 0; a < dim; a++ {
			switch d := p[1][a] - p[0][a]; d {
			case 0:
			case 1, -1:
				if axis >= 0 {
					return false
				}
				axis = a
			default:
				return false
			}
		}
		if axis < 0 || seen[axis] {
			return false
		}
		seen[axis] = true
	}
	return true
}
