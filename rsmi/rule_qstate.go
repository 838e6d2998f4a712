package rsmi

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/rsmi-go/rsmi/lattice"
)

// Plurality is the plurality rule, the q-state analogue of majority rule:
// the coarse variable is the most frequent value of the block, and a tie
// between several values is broken uniformly at random among them (one
// draw from the source). Values is the alphabet of the block's dofs and of
// the coarse variable (default nil: ±1 spins, where Plurality is Majority —
// the same distribution and, from the same source, the same draws). Like
// majority rule with random ties, it commutes with the lattice's rotations
// and with every permutation of the states, so it keeps the S_q symmetry of
// the Potts model.
type Plurality struct {
	Values []int8
}

// Outputs implements Rule: one coarse variable per block.
func (Plurality) Outputs() int { return 1 }

// States implements Rule: Values, or ±1.
func (p Plurality) States() []int8 {
	if p.Values == nil {
		return spinStates
	}
	return p.Values
}

// Check implements Rule: any non-empty block whose values are the rule's.
func (p Plurality) Check(nv int, states []int8) error {
	if nv < 1 {
		return fmt.Errorf("rsmi: plurality rule on a block of %d dofs", nv)
	}
	if err := checkAlphabet(p.Values); err != nil {
		return err
	}
	if states == nil {
		states = spinStates
	}
	if want := p.States(); !slices.Equal(states, want) {
		return fmt.Errorf("rsmi: plurality rule with values %v on a block with values %v", want, states)
	}
	return nil
}

// counts fills c with the number of dofs of v in each state and returns the
// largest count and the number of states that reach it.
func (p Plurality) counts(v []int8, c []int) (best, ties int) {
	st := p.States()
	for _, x := range v {
		c[stateIndex(st, x)]++
	}
	for _, n := range c {
		switch {
		case n > best:
			best, ties = n, 1
		case n == best:
			ties++
		}
	}
	return best, ties
}

// Cond implements Rule.
func (p Plurality) Cond(v []int8, out []float64) {
	var buf [256]int
	c := buf[:len(p.States())]
	best, ties := p.counts(v, c)
	for a, n := range c {
		out[a] = 0
		if n == best {
			out[a] = 1 / float64(ties)
		}
	}
}

// Apply implements Rule. A tie among k states takes the ⌊k·u/2^64⌋-th of
// them, in the order of Values, for one draw u from src (for ±1 spins the
// draw's top bit, as in Majority).
func (p Plurality) Apply(dst, v []int8, src rand.Source) {
	var buf [256]int
	st := p.States()
	c := buf[:len(st)]
	best, ties := p.counts(v, c)
	k := 0
	if ties > 1 {
		hi, _ := bits.Mul64(src.Uint64(), uint64(ties))
		k = int(hi)
	}
	for a, n := range c {
		if n == best {
			if k == 0 {
				dst[0] = st[a]
				return
			}
			k--
		}
	}
}

// StatePermutations returns the q! permutations of q states (1 ≤ q ≤ 6),
// the symmetric group S_q in lexicographic order (element 0 the identity),
// for SymmetrizeStates: S_3 has 6 elements, S_4 24.
func StatePermutations(q int) ([][]int, error) {
	if q < 1 || q > 6 {
		return nil, fmt.Errorf("rsmi: permutations of %d states, want 1..6", q)
	}
	g, err := lattice.PointGroup(q) // signed permutations of q axes, 2^q per permutation
	if err != nil {
		return nil, err
	}
	perms := make([][]int, 0, len(g)>>q)
	for k := 0; k < len(g); k += 1 << q {
		perms = append(perms, slices.Clone(g[k].Perm))
	}
	return perms, nil
}

// SymmetrizeStates returns the average of r over the permutations perms of
// the states,
//
//	P_sym(h|v) = (1/|G|) Σ_{π∈G} P_r(π(h) | π(v)),
//
// π acting on every dof of the block and every coarse variable alike, by
// the positions of their values: the block's values are states (sorted;
// nil means ±1), the coarse variables' r.States(), of the same number q,
// and π maps the value at position a to the value at position perms[k][a].
// If perms is a group (StatePermutations(q) gives S_q), P_sym is invariant,
// P_sym(σ(h)|σ(v)) = P_sym(h|v) for every σ in it, even when r is not: use
// it for models with that symmetry — S_q for the Potts model, the flip
// s → −s ({2, 1, 0} on {−1, 0, 1}) for spin 1, the spin flip for Ising —
// and compose it with Symmetrize for the product with the point group.
// Apply draws π uniformly (one draw from src), applies r to π(v) and maps
// its coarse variables back with π⁻¹.
func SymmetrizeStates(r Rule, states []int8, perms [][]int) (Rule, error) {
	if r == nil {
		return nil, errors.New("rsmi: SymmetrizeStates of a nil rule")
	}
	if err := checkAlphabet(states); err != nil {
		return nil, err
	}
	if states == nil {
		states = spinStates
	}
	q, outs := len(states), r.States()
	if len(outs) != q {
		return nil, fmt.Errorf("rsmi: SymmetrizeStates: the block has %d states %v, the rule's coarse variables %d %v", q, states, len(outs), outs)
	}
	if len(perms) == 0 {
		return nil, errors.New("rsmi: SymmetrizeStates needs at least one permutation")
	}
	s := &stateSymmetrized{r: r, states: slices.Clone(states), outs: slices.Clone(outs), perms: make([][]int, len(perms))}
	for k, g := range perms {
		if err := checkPermutation(g, q); err != nil {
			return nil, fmt.Errorf("rsmi: SymmetrizeStates: element %d: %w", k, err)
		}
		s.perms[k] = slices.Clone(g)
	}
	hs, err := numOutcomes(q, r.Outputs(), maxRuleOutcomes)
	if err != nil {
		return nil, err
	}
	s.hperm = make([][]int32, len(perms))
	for k, g := range s.perms {
		s.hperm[k] = make([]int32, hs)
		for x := range s.hperm[k] {
			y, m := 0, 1
			for range r.Outputs() {
				y += g[x/m%q] * m
				m *= q
			}
			s.hperm[k][x] = int32(y)
		}
	}
	return s, nil
}

// checkPermutation checks that g is a permutation of 0..q−1.
func checkPermutation(g []int, q int) error {
	if len(g) != q {
		return fmt.Errorf("%v has length %d, want %d", g, len(g), q)
	}
	seen := make([]bool, q)
	for _, x := range g {
		if x < 0 || x >= q || seen[x] {
			return fmt.Errorf("%v is not a permutation of 0..%d", g, q-1)
		}
		seen[x] = true
	}
	return nil
}

type stateSymmetrized struct {
	r      Rule
	states []int8 // the block's values
	outs   []int8 // the coarse values
	perms  [][]int
	hperm  [][]int32 // per permutation: index of π(h) for every joint h
}

func (s *stateSymmetrized) Outputs() int   { return s.r.Outputs() }
func (s *stateSymmetrized) States() []int8 { return s.outs }
func (s *stateSymmetrized) Check(nv int, states []int8) error {
	if states == nil {
		states = spinStates
	}
	if !slices.Equal(states, s.states) {
		return fmt.Errorf("rsmi: rule symmetrized over permutations of the states %v, blocks have values %v", s.states, states)
	}
	return s.r.Check(nv, states)
}

// permuteValues writes π(v) into w: the value at position a of states
// becomes the value at position g[a].
func permuteValues(w, v []int8, g []int, states []int8) {
	for i, x := range v {
		w[i] = states[g[stateIndex(states, x)]]
	}
}

func (s *stateSymmetrized) Cond(v []int8, p []float64) {
	w := make([]int8, len(v))
	tmp := make([]float64, len(p))
	clear(p)
	for k, g := range s.perms {
		permuteValues(w, v, g, s.states)
		s.r.Cond(w, tmp)
		for h, y := range s.hperm[k] {
			p[h] += tmp[y]
		}
	}
	for h := range p {
		p[h] /= float64(len(s.perms))
	}
}

func (s *stateSymmetrized) Apply(dst, v []int8, src rand.Source) {
	k, _ := bits.Mul64(src.Uint64(), uint64(len(s.perms)))
	g := s.perms[k]
	var buf [64]int8
	w := buf[:0]
	if len(v) <= len(buf) {
		w = buf[:len(v)]
	} else {
		w = make([]int8, len(v))
	}
	permuteValues(w, v, g, s.states)
	s.r.Apply(dst, w, src)
	for j, x := range dst { // π⁻¹
		dst[j] = s.outs[slices.Index(g, stateIndex(s.outs, x))]
	}
}
