package rsmi

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/lattice"
)

// Pairs is a set of N (V, E) pairs, the samples every estimator learns
// from: pair k has the block values V[k·NV:(k+1)·NV] and the environment
// values E[k·NE:(k+1)·NE], in the order of Regions.V and Regions.E.
// Regions.Pairs, PairsAt and SpreadPairs cut them from a sample.Dataset;
// NewPairs wraps pairs from elsewhere.
//
// States lists the values one dof takes, sorted and distinct, as in
// sample.Dataset: nil means Ising spins ±1. Every value of V and E lies in
// States (Validate). Exact, the oracles and InfoNCE take any alphabet;
// ExactV and RBMProxy take ±1 spins only and say so for other states.
//
// Pairs are passed by pointer and not copied: do not modify them while an
// estimator built on them is in use.
type Pairs struct {
	V, E      []int8
	N, NV, NE int
	States    []int8
}

// NewPairs wraps v (n rows of nv values) and e (n rows of ne values) as
// Pairs without copying, n = len(v)/nv, after Validate.
func NewPairs(v []int8, nv int, e []int8, ne int, states []int8) (*Pairs, error) {
	if nv < 1 {
		return nil, fmt.Errorf("rsmi: |V| = %d is smaller than 1", nv)
	}
	p := &Pairs{V: v, E: e, N: len(v) / nv, NV: nv, NE: ne, States: states}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate checks the shapes (N ≥ 1 pairs, NV ≥ 1, NE ≥ 1, len(V) = N·NV,
// len(E) = N·NE), the alphabet States (at least two values, sorted and
// distinct) and that every value lies in States. Errors name the first bad
// value and its position.
func (p *Pairs) Validate() error {
	if p == nil {
		return errors.New("rsmi: the pairs are nil (cut them with Regions.Pairs or wrap them with NewPairs)")
	}
	switch {
	case p.NV < 1:
		return fmt.Errorf("rsmi: |V| = %d is smaller than 1", p.NV)
	case p.NE < 1:
		return fmt.Errorf("rsmi: |E| = %d is smaller than 1", p.NE)
	case p.N < 1:
		return fmt.Errorf("rsmi: %d pairs, need at least 1", p.N)
	}
	if nv, err := size.Mul(p.N, p.NV); err != nil || len(p.V) != nv {
		return fmt.Errorf("rsmi: %d visible values for %d pairs of |V| = %d", len(p.V), p.N, p.NV)
	}
	if ne, err := size.Mul(p.N, p.NE); err != nil || len(p.E) != ne {
		return fmt.Errorf("rsmi: %d environment values for %d pairs of |E| = %d", len(p.E), p.N, p.NE)
	}
	if err := checkAlphabet(p.States); err != nil {
		return err
	}
	if err := checkValues("visible", p.V, p.States); err != nil {
		return err
	}
	return checkValues("environment", p.E, p.States)
}

// spins validates p and requires ±1 values: what names the caller in the
// error ("ExactV").
func (p *Pairs) spins(what string) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !isSpins(p.States) {
		return fmt.Errorf("rsmi: %s takes ±1 spins only, the pairs' values are %v", what, p.States)
	}
	return nil
}

// checkValues returns an error naming the first value of x outside states
// (nil: ±1) and its index; what says what x is ("visible").
func checkValues(what string, x, states []int8) error {
	if i := lattice.Outside(x, states); i >= 0 {
		return fmt.Errorf("rsmi: %s value %d at index %d is not %s", what, x[i], i, describeStates(states))
	}
	return nil
}

// describeStates names an alphabet in messages: "±1" or "one of the states
// [0 1 2]".
func describeStates(states []int8) string {
	if isSpins(states) {
		return "±1"
	}
	return fmt.Sprintf("one of the states %v", states)
}

// spreadIndex returns the k-th of n indices spread evenly over [0, total),
// ⌊k·total/n⌋ for 0 ≤ k < n ≤ total: the subsample every "n of total" in
// the package takes (increasing, the first is 0, all of them for n = total),
// computed without overflow.
func spreadIndex(k, total, n int) int {
	hi, lo := bits.Mul64(uint64(k), uint64(total))
	q, _ := bits.Div64(hi, lo, uint64(n))
	return int(q)
}
