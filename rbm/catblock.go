package rbm

import "fmt"

// Block evaluates a categorical RBM on every joint state of a block of
// visible units at once, the other visible units held fixed: the free
// energies F(v) and the exact conditional P(v_block | v_rest) over the
// q^|block| block states. This is what an estimator that enumerates a
// block V given its environment E needs (log P(v, e) = −F(v, e) − log Z).
//
// The block state of a configuration is s = Σ_k idx(v_{units[k]})·q^k,
// idx being the position of a value in States() (for ±1 alphabets: bit k
// set ⇔ unit units[k] is +1). A Block precomputes the hidden
// contributions of all block states (q^|block| × nh numbers); it reads
// the RBM's parameters when it is made and does not see later changes.
// Its methods are safe for concurrent use.
type Block struct {
	c       *Categorical
	units   []int
	in      []bool    // in[i]: unit i belongs to the block
	u       []float64 // S×nh: Σ_k W_{units[k], s_k; j}
	bv      []float64 // S: Σ_k b_{units[k], s_k}
	nstates int
}

// Block returns the evaluator for the visible units listed in units
// (distinct, each in [0, nv)). It returns an error if the block has more
// than MaxExactStates states or its table would exceed the parameter limit.
func (c *Categorical) Block(units []int) (*Block, error) {
	nv, nh, q := c.NumVisible(), c.NumHidden(), c.NumStates()
	if len(units) == 0 {
		return nil, fmt.Errorf("rbm: empty block")
	}
	b := &Block{c: c, units: append([]int(nil), units...), in: make([]bool, nv), nstates: 1}
	for _, i := range units {
		if i < 0 || i >= nv || b.in[i] {
			return nil, fmt.Errorf("rbm: block unit %d is out of range [0,%d) or repeated in %v", i, nv, units)
		}
		b.in[i] = true
		if b.nstates > MaxExactStates/q {
			return nil, fmt.Errorf("rbm: a block of %d units with %d states has more than %d states", len(units), q, MaxExactStates)
		}
		b.nstates *= q
	}
	if b.nstates > maxParams/nh {
		return nil, fmt.Errorf("rbm: the table of %d block states × %d hidden units exceeds the limit of %d numbers", b.nstates, nh, maxParams)
	}
	b.u = make([]float64, b.nstates*nh)
	b.bv = make([]float64, b.nstates)
	for s := range b.nstates {
		us := b.u[s*nh : (s+1)*nh]
		r := s
		for _, i := range units {
			a := r % q
			r /= q
			b.bv[s] += c.VisBias[i*q+a]
			for j, w := range c.wrow(i, a) {
				us[j] += w
			}
		}
	}
	return b, nil
}

// States returns the number of block states q^|block|.
func (b *Block) States() int { return b.nstates }

// Index returns the block state s of the visible configuration v.
func (b *Block) Index(v []int8) int {
	b.c.checkV(v)
	s, q := 0, b.c.NumStates()
	for k := len(b.units) - 1; k >= 0; k-- {
		s = s*q + b.c.idx(b.units[k], v[b.units[k]])
	}
	return s
}

// FreeEnergies stores in dst[s] the free energy F of v with its block set
// to state s, for every block state, and returns dst[:States()]. The
// values of v on the block are ignored. dst is reused if its capacity is
// at least States() + NumHidden(); nothing is allocated then.
func (b *Block) FreeEnergies(v []int8, dst []float64) []float64 {
	c := b.c
	c.checkV(v)
	S, nh, q := b.nstates, c.NumHidden(), c.NumStates()
	if cap(dst) < S+nh {
		dst = make([]float64, S+nh)
	}
	dst = dst[:S+nh]
	a := dst[S:]
	copy(a, c.HidBias)
	rest := 0.0
	for i, x := range v {
		if b.in[i] {
			continue
		}
		k := c.idx(i, x)
		rest += c.VisBias[i*q+k]
		for j, w := range c.wrow(i, k) {
			a[j] += w
		}
	}
	for s := range S {
		f := -rest - b.bv[s]
		for j, x := range b.u[s*nh : (s+1)*nh] {
			f -= softplus(a[j] + x)
		}
		dst[s] = f
	}
	return dst[:S]
}

// Cond stores in dst[s] the conditional probability P(block = s | the
// other units of v) and returns dst[:States()], as FreeEnergies (whose
// buffer rules it follows).
func (b *Block) Cond(v []int8, dst []float64) []float64 {
	f := b.FreeEnergies(v, dst)
	for s, x := range f {
		f[s] = -x
	}
	softmaxGroups(f, len(f))
	return f
}
