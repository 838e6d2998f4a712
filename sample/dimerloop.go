package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/lattice"
)

// DimerLoop samples close-packed dimer coverings of a lattice.Dimer model at
// temperature T with a directed-loop (worm) algorithm that is ergodic across
// winding sectors and exact for any aligned-plaquette interaction V.
//
// # Algorithm
//
// One Step is one loop, in the formulation of Sandvik and Moessner (2006)
// and Alet et al. (2006):
//
//  1. Start: pick a pivot site p uniformly; its dimer (p, t) is the
//     entrance, and t is the tail.
//  2. Move: the pivot moves its dimer from the entrance onto one of its 4
//     links, the exit, chosen with the probabilities below (exit = entrance
//     is a bounce). If the exit reaches the tail, the loop closes: the
//     configuration is again a covering. Otherwise the exit's far end y now
//     holds two dimers; the other end of y's older dimer is the next pivot,
//     that dimer its entrance. (After a bounce the older dimer at y is the one
//     placed by the previous move, so the loop retraces its path.)
//  3. Repeat 2 until the loop closes.
//
// Intermediate configurations (a monomer at the tail, a doubly covered site)
// have the weight exp(−V·N/T) with N = Σ over plaquettes of [bottom ∧ top] +
// [left ∧ right], which counts the flippable plaquettes on a covering. At a
// pivot the four configurations "its dimer on link d" have weights W_d, and
// the exit probabilities solve the directed-loop equations W_in·P(in→out) =
// W_out·P(out→in) (Metropolized Gibbs solution: P(in→out) = min(W_out/(Σ−W_in),
// W_out/(Σ−W_out)) for out ≠ in, the rest is the bounce). A loop from C to C'
// retraced backwards is a loop from C' to C of the same algorithm (same tail,
// pivots in reverse order, exits and entrances swapped, start probability
// 1/L² both ways), so the product of the equations along the loop gives
// detailed balance w(C)·P(C→C') = w(C')·P(C'→C) with w = exp(−V·N_flippable/T).
// Loops may wind around the torus, so winding numbers change and the chain is
// ergodic (checked by χ² tests over all coverings of the 2×2 and 4×4 tori).
//
// At V = 0 the exit is uniform among the three links other than the entrance
// (no bounce), and the uniform measure on all (configuration, pivot,
// entrance) states is stationary, which gives the exact mean loop length
// 4·W/(L²·Z), W the number of two-monomer configurations with ordered
// monomers — about L^{3/2} (the monomer correlator decays as r^{−1/2}); the
// tests check it on the 2×2, 4×4 and 6×6 tori.
//
// At V ≠ 0 loops are short in the ordered and strongly correlated regimes (on
// the 32×32 torus at V = −1, T = 1: about 9 moves per loop, τ_int of the
// flippable density ≈ 100 loops). A Step therefore adds PlaquetteFlips
// attempts (default 0 at V = 0, L² otherwise) to flip a uniformly chosen
// plaquette, accepted if it is flippable with the Metropolis probability
// (Rokhsar–Kivelson moves; each attempt preserves the Boltzmann weights, so
// the composition does too; they never change the winding numbers). With one
// sweep of flips per loop τ_int(flippable) ≈ 2 Steps there, while
// winding-number fluctuations, carried by the loops only, stay slow (τ_int(W²)
// ≈ 80 Steps).
//
// With noise spins, each Step redraws all noise spins as independent fair
// coins. They come from a separate random stream and are drawn lazily, on the
// first Config call after the Step, so thinned sampling does not pay for
// unobserved draws; the dimer chain is the same whether or not Config is
// called.
//
// References: A. W. Sandvik and R. Moessner, Phys. Rev. B 73, 144504 (2006);
// F. Alet, Y. Ikhlef, J. L. Jacobsen, G. Misguich and V. Pasquier, Phys. Rev.
// E 74, 041124 (2006); O. F. Syljuåsen and A. W. Sandvik, Phys. Rev. E 66,
// 046701 (2002) (directed loops); J. S. Liu, Biometrika 83, 681 (1996)
// (Metropolized Gibbs); D. S. Rokhsar and S. A. Kivelson, Phys. Rev. Lett.
// 61, 2376 (1988).
type DimerLoop struct {
	// PlaquetteFlips is the number of local plaquette-flip attempts made
	// after each loop: by default 0 at V = 0 and L² (one sweep) at V ≠ 0.
	// Set it before sampling; it is part of the definition of one Step.
	PlaquetteFlips int

	m          *lattice.Dimer
	t          float64
	nsite      int
	nlink      int
	x          []int8
	mlink      []int32 // per site: its occupied link
	nbr        []int32 // 4 per site: the +x, −x, +y, −y neighbours
	slink      []int32 // 4 per site: the links to them
	ends       []int32 // 2 per link: start and end site
	opp        []int32 // 2 per link: the opposite links in its two plaquettes
	plaq       []int32 // 4 per plaquette: bottom, top, left, right
	acc        [17]uint64
	exits      []uint64 // directed-loop exit table, see dimerExitTable
	accAll     bool     // every acceptance is 1 (V = 0)
	rng        xrand.Xoshiro
	noiseRNG   xrand.Xoshiro // a separate stream, so the dimer chain does not depend on when Config is called
	noiseStale bool

	loops, moves int64
}

// NewDimerLoop returns a directed-loop sampler for m at temperature T > 0, driven by
// src (which seeds a private fast generator), starting from the columnar
// covering (noise spins drawn at random).
func NewDimerLoop(m *lattice.Dimer, T float64, src rand.Source) (*DimerLoop, error) {
	if m == nil {
		return nil, errors.New("sample: DimerLoop needs a dimer model")
	}
	if !(T > 0) || math.IsInf(T, 0) {
		return nil, fmt.Errorf("sample: DimerLoop temperature T = %v must be positive and finite", T)
	}
	if src == nil {
		return nil, errors.New("sample: DimerLoop needs a random source")
	}
	L := m.L()
	s := &DimerLoop{m: m, t: T, nsite: L * L, nlink: m.NumLinks()}
	s.slink = make([]int32, 4*s.nsite)
	s.nbr = make([]int32, 4*s.nsite)
	s.ends = make([]int32, 2*s.nlink)
	s.opp = make([]int32, 2*s.nlink)
	s.plaq = make([]int32, 4*s.nsite)
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			i := x + L*y
			s.slink[4*i] = int32(m.LinkIndex(x, y, lattice.DimerRight))
			s.slink[4*i+1] = int32(m.LinkIndex(x-1, y, lattice.DimerRight))
			s.slink[4*i+2] = int32(m.LinkIndex(x, y, lattice.DimerUp))
			s.slink[4*i+3] = int32(m.LinkIndex(x, y-1, lattice.DimerUp))
			s.nbr[4*i] = int32((x+1)%L + L*y)
			s.nbr[4*i+1] = int32((x+L-1)%L + L*y)
			s.nbr[4*i+2] = int32(x + L*((y+1)%L))
			s.nbr[4*i+3] = int32(x + L*((y+L-1)%L))
			r, u := m.LinkIndex(x, y, lattice.DimerRight), m.LinkIndex(x, y, lattice.DimerUp)
			s.opp[2*r] = int32(m.LinkIndex(x, y+1, lattice.DimerRight))
			s.opp[2*r+1] = int32(m.LinkIndex(x, y-1, lattice.DimerRight))
			s.opp[2*u] = int32(m.LinkIndex(x+1, y, lattice.DimerUp))
			s.opp[2*u+1] = int32(m.LinkIndex(x-1, y, lattice.DimerUp))
			b, t, l, rr := m.PlaquetteLinks(i)
			s.plaq[4*i], s.plaq[4*i+1], s.plaq[4*i+2], s.plaq[4*i+3] = int32(b), int32(t), int32(l), int32(rr)
		}
	}
	for l := 0; l < s.nlink; l++ {
		a, b := m.LinkSites(l)
		s.ends[2*l], s.ends[2*l+1] = int32(a), int32(b)
	}
	s.accAll = m.V() == 0
	if !s.accAll {
		s.PlaquetteFlips = s.nsite
	}
	s.exits = dimerExitTable(m.V() / T)
	for d := -8; d <= 8; d++ {
		p := math.Exp(-m.V() * float64(d) / T)
		s.acc[d+8] = dimerThreshold(p)
	}
	s.rng = xrand.New(src)
	s.noiseRNG = xrand.New(src)
	s.mlink = make([]int32, s.nsite)
	if err := s.SetConfig(m.ColumnarConfig()); err != nil {
		return nil, err
	}
	s.redrawNoise()
	return s, nil
}

var _ Sampler = (*DimerLoop)(nil)

// dimerThreshold converts an acceptance probability p into a threshold on a
// uniform 53-bit integer u: accept iff u < threshold (p ≥ 1 always accepts).
func dimerThreshold(p float64) uint64 {
	if !(p < 1) {
		return 1 << 53
	}
	if p <= 0 {
		return 0
	}
	return uint64(p * 0x1p53)
}

// Model returns the dimer model.
func (s *DimerLoop) Model() *lattice.Dimer { return s.m }

// T returns the temperature.
func (s *DimerLoop) T() float64 { return s.t }

// Geometry implements Sampler.
func (s *DimerLoop) Geometry() *lattice.Geometry { return s.m.Geometry() }

// Config implements Sampler. The slice aliases the sampler's state. With
// noise spins, the spins of the current Step are drawn here on the first call
// after the Step (see DimerLoop).
func (s *DimerLoop) Config() []int8 {
	if s.noiseStale {
		s.redrawNoise()
	}
	return s.x
}

// SetConfig replaces the current configuration by a copy of x, which must be
// a valid covering (see lattice.Dimer.Valid).
func (s *DimerLoop) SetConfig(x []int8) error {
	if err := s.m.Valid(x); err != nil {
		return err
	}
	if s.x == nil {
		s.x = make([]int8, len(x))
	}
	copy(s.x, x)
	for l := int32(0); l < int32(s.nlink); l++ {
		if s.x[l] == 1 {
			s.setMates([2]int32{l, l})
		}
	}
	return nil
}

// MeanLoopLength returns the mean number of moves (pivot steps, bounces
// included) per loop so far, or 0 before the first Step.
func (s *DimerLoop) MeanLoopLength() float64 {
	if s.loops == 0 {
		return 0
	}
	return float64(s.moves) / float64(s.loops)
}

// Moves returns the total number of loop moves (pivot steps, including
// rejected proposals) made so far.
func (s *DimerLoop) Moves() int64 { return s.moves }

// SweepSteps returns the number of Steps whose loop moves and
// plaquette-flip attempts together number about NumSites() = L² elementary
// updates (each changes two links, so about one sweep of the NumLinks
// links), estimated from the Steps run so far (call it after burn-in and keep
// the value fixed); at least 1.
func (s *DimerLoop) SweepSteps() int {
	if s.loops == 0 {
		return 1
	}
	per := float64(s.moves)/float64(s.loops) + float64(max(s.PlaquetteFlips, 0))
	if per <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(float64(s.nsite)/per)))
}

// oppOcc returns the number of occupied links opposite to link l in its two
// plaquettes: toggling l changes N by ± this.
func (s *DimerLoop) oppOcc(l int32) int {
	o := s.opp[2*l : 2*l+2 : 2*l+2]
	return int(s.x[o[0]]+1)/2 + int(s.x[o[1]]+1)/2
}

func (s *DimerLoop) accept(dn int) bool {
	if s.accAll {
		return true
	}
	return s.rng.Uint64()>>11 < s.acc[dn+8]
}

// Step implements Sampler: one loop (start, move until closed), then
// PlaquetteFlips plaquette-flip attempts, then a redraw of the noise spins.
func (s *DimerLoop) Step() {
	s.loop()
	for range s.PlaquetteFlips {
		s.flipPlaquette()
	}
	s.noiseStale = s.m.NoiseSpins()
}

// loop runs one directed loop (see DimerLoop).
func (s *DimerLoop) loop() {
	x, mlink, ends, slink, nbr := s.x, s.mlink, s.ends, s.slink, s.nbr
	s.loops++
	p := int32(s.rng.Intn(s.nsite)) // pivot
	e := mlink[p]                   // entrance: the pivot's dimer
	tail := ends[2*e] ^ ends[2*e+1] ^ p
	// ein is the entrance's index among the pivot's links (+x, −x, +y, −y):
	// 2·(up link) + (the pivot is the link's far end).
	ein := 2*(e&1) + int32(b2i(ends[2*e] != p))
	var buf uint64
	nb := 0
	var moves int64
	for {
		moves++
		var d int32
		if s.accAll {
			// V = 0: uniformly one of the three other links, never a bounce.
			for {
				if nb == 0 {
					buf, nb = s.rng.Uint64(), 32
				}
				d = int32(buf & 3)
				buf >>= 2
				nb--
				if d != ein {
					break
				}
			}
		} else {
			q := slink[4*p : 4*p+4 : 4*p+4]
			k := s.oppOcc(q[0]) + 3*s.oppOcc(q[1]) + 9*s.oppOcc(q[2]) + 27*s.oppOcc(q[3])
			cum := s.exits[16*k+4*int(ein) : 16*k+4*int(ein)+4 : 16*k+4*int(ein)+4]
			u := s.rng.Uint64() >> 11
			for d = 0; d < 3 && u >= cum[d]; d++ {
			}
		}
		l := slink[4*p+d]
		y := nbr[4*p+d]
		if l != e {
			x[e] = -1
			x[l] = 1
			mlink[p] = l
		}
		if y == tail {
			mlink[tail] = l
			break
		}
		// y now holds two dimers, l and its old one; the old one's other
		// end is the next pivot.
		old := mlink[y]
		mlink[y] = l
		a := ends[2*old]
		p = a ^ ends[2*old+1] ^ y
		e = old
		ein = 2*(e&1) + int32(b2i(a == y))
	}
	s.moves += moves
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dimerExitTable returns the cumulative exit probabilities of a pivot, as
// 53-bit thresholds: entry 16·k + 4·in + out, where k = Σ_d 3^d k_d encodes
// the number k_d ∈ {0,1,2} of occupied links opposite to the pivot's link d
// (so that the vertex weight of putting its dimer on d is exp(−V·k_d/T)), in
// is the entrance and out the exit. The probabilities are the
// Metropolized Gibbs solution of the directed-loop equations,
//
//	P(in→out) = min(W_out/(Σ−W_in), W_out/(Σ−W_out))  (out ≠ in),
//
// with the bounce P(in→in) taking the rest: W_in·P(in→out) is symmetric.
func dimerExitTable(vOverT float64) []uint64 {
	t := make([]uint64, 81*16)
	for k := range 81 {
		// W_d = exp(−(V/T)·k_d), scaled so that the largest is 1 (no
		// overflow; underflow to 0 only for negligible weights).
		var kd [4]float64
		for d, kk := 0, k; d < 4; d, kk = d+1, kk/3 {
			kd[d] = float64(kk % 3)
		}
		top := math.Inf(-1)
		for _, v := range kd {
			top = max(top, -vOverT*v)
		}
		var w [4]float64
		sum := 0.0
		for d, v := range kd {
			w[d] = math.Exp(-vOverT*v - top)
			sum += w[d]
		}
		for in := range 4 {
			var p [4]float64
			out := 0.0
			for o := range 4 {
				if o != in && w[o] > 0 {
					p[o] = min(w[o]/(sum-w[in]), w[o]/(sum-w[o]))
					out += p[o]
				}
			}
			p[in] = max(0, 1-out)
			c := 0.0
			for o := range 4 {
				c += p[o]
				t[16*k+4*in+o] = uint64(min(c, 1) * 0x1p53)
			}
			t[16*k+4*in+3] = 1 << 53
		}
	}
	return t
}

func (s *DimerLoop) flipPlaquette() {
	p := s.rng.Intn(s.nsite)
	q := s.plaq[4*p : 4*p+4 : 4*p+4]
	x := s.x
	var on, off [2]int32
	switch {
	case x[q[0]] == 1 && x[q[1]] == 1:
		on, off = [2]int32{q[2], q[3]}, [2]int32{q[0], q[1]}
	case x[q[2]] == 1 && x[q[3]] == 1:
		on, off = [2]int32{q[0], q[1]}, [2]int32{q[2], q[3]}
	default:
		return
	}
	if !s.accAll {
		// ΔN by toggling the four links one by one; the plaquette's own
		// pairs appear in oppOcc and are accounted for exactly.
		dn := 0
		for _, l := range off {
			dn -= s.oppOcc(l)
			x[l] = -1
		}
		for _, l := range on {
			dn += s.oppOcc(l)
			x[l] = 1
		}
		if s.accept(dn) {
			s.setMates(on)
			return
		}
		for _, l := range on {
			x[l] = -1
		}
		for _, l := range off {
			x[l] = 1
		}
		return
	}
	for _, l := range off {
		x[l] = -1
	}
	for _, l := range on {
		x[l] = 1
	}
	s.setMates(on)
}

func (s *DimerLoop) setMates(on [2]int32) {
	for _, l := range on {
		s.mlink[s.ends[2*l]], s.mlink[s.ends[2*l+1]] = l, l
	}
}

// dimerSpinBytes[b] holds the 8 spins ±1 encoded by the bits of b.
var dimerSpinBytes = func() (t [256][8]int8) {
	for b := range t {
		for k := range t[b] {
			t[b][k] = int8(b>>k&1)*2 - 1
		}
	}
	return t
}()

// redrawNoise draws all noise spins as fair coins from the noise stream.
func (s *DimerLoop) redrawNoise() {
	s.noiseStale = false
	x := s.x[s.nlink:]
	i := 0
	for ; i+64 <= len(x); i += 64 {
		r := s.noiseRNG.Uint64()
		for k := i; k < i+64; k += 8 {
			copy(x[k:k+8], dimerSpinBytes[r&255][:])
			r >>= 8
		}
	}
	if i < len(x) {
		r := s.noiseRNG.Uint64()
		for k := i; k < len(x); k++ {
			x[k] = int8(r&1)*2 - 1
			r >>= 1
		}
	}
}
