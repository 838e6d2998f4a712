package rg

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/rsmi"
)

// PointGroup returns the point group of a hypercubic block of side b in dim
// dimensions — the 2^dim·dim! signed permutations of the axes (rotations and
// reflections) — as permutations of the block's b^dim offsets, numbered x
// fastest as in Rule. Element g maps offset i to offset g[i]: the offset δ
// goes to δ' with δ'_a = δ_σ(a), or b − 1 − δ_σ(a) where axis a is
// reflected. Element 0 is the identity. It returns an error if b < 1 or
// dim is outside 1..3.
func PointGroup(b, dim int) ([][]int, error) {
	if b < 1 {
		return nil, fmt.Errorf("rg: point group of a block of side b = %d, want ≥ 1", b)
	}
	if dim < 1 || dim > 3 {
		return nil, fmt.Errorf("rg: point group in dimension %d, want 1..3", dim)
	}
	nv := 1
	for a := 0; a < dim; a++ {
		nv *= b
	}
	sigma := make([]int, dim)
	for a := range sigma {
		sigma[a] = a
	}
	var group [][]int
	delta := make([]int, dim)
	for {
		for mask := 0; mask < 1<<dim; mask++ {
			g := make([]int, nv)
			for i := range g {
				blockCoords(i, nil, delta, b)
				j, stride := 0, 1
				for a := 0; a < dim; a++ {
					c := delta[sigma[a]]
					if mask>>a&1 == 1 {
						c = b - 1 - c
					}
					j += c * stride
					stride *= b
				}
				g[i] = j
			}
			group = append(group, g)
		}
		if !nextPermutation(sigma) {
			break
		}
	}
	return group, nil
}

// nextPermutation advances p to the next permutation in lexicographic order
// and reports whether there was one.
func nextPermutation(p []int) bool {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	for l, r := i+1, len(p)-1; l < r; l, r = l+1, r-1 {
		p[l], p[r] = p[r], p[l]
	}
	return true
}

// SymmetrizedFilterRule applies a learned filter Λ (rsmi.Filter) to each
// block after a rotation or reflection of the block drawn uniformly from the
// block's point group, independently for every block. Its conditional is the
// group average
//
//	P_sym(h|V) = (1/|G|) Σ_{g∈G} P_Λ(h | V∘g),
//
// which is invariant under the point group, P_sym(h|V∘g') = P_sym(h|V), even
// when Λ itself is not. The coarse Hamiltonian then keeps the symmetry of
// the square (cubic) lattice, so Monte Carlo RG on the symmetric operator
// sets of package lattice applies.
//
// This matters for sharp learned filters. Unconstrained RSMI training drives
// ‖λ‖ up, and the most probable h = sign(Σ λ_i v_i) of a 2×2 filter with
// nearly equal weights is majority rule whose ties are broken by the small
// differences between the weights: a fixed tie-break that prefers some
// spins of the block, breaks the rotation symmetry and generates anisotropic
// couplings (K_x ≠ K_y, …) outside the span of the symmetric operators.
// Averaging over the point group restores the symmetry. For a 2×2 block
// the average of any sharp filter without bias whose untied decisions are
// the majority's is exactly majority rule with a fair coin on ties: every
// tied 2×2 state is the image of its own spin flip under a rotation or
// reflection, so the invariant P_sym(+1|V) equals P_sym(+1|−V) =
// 1 − P_sym(+1|V) = 1/2. For larger blocks or filters that are not
// majority-like it is a genuinely different rule.
//
// The rule is immutable and safe for concurrent use: it stores the |G|
// images of Λ, the weights permuted by each group element, and picks one per
// block with one draw from the source.
type SymmetrizedFilterRule struct {
	filter     *rsmi.Filter
	images     []*rsmi.Filter
	stochastic bool
}

// NewSymmetrizedFilterRule returns the point-group average of the filter f
// on blocks of side b in dim dimensions (f.NV must be b^dim). With
// stochastic false each image contributes its most probable coarse
// variables (FilterRule's rule, a fair coin on ties); with stochastic true
// it contributes P_Λ(h|V∘g). The filter is copied.
func NewSymmetrizedFilterRule(f *rsmi.Filter, b, dim int, stochastic bool) (*SymmetrizedFilterRule, error) {
	if f == nil {
		return nil, errors.New("rg: SymmetrizedFilterRule without a filter")
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("rg: SymmetrizedFilterRule: %w", err)
	}
	group, err := PointGroup(b, dim)
	if err != nil {
		return nil, err
	}
	if nv := len(group[0]); f.NV != nv {
		return nil, fmt.Errorf("rg: filter has NV = %d visible dofs, a block of side %d in %d dimensions has %d", f.NV, b, dim, nv)
	}
	r := &SymmetrizedFilterRule{filter: f.Clone(), stochastic: stochastic}
	for _, g := range group {
		img := f.Clone()
		for j := 0; j < f.NH; j++ {
			w, out := f.W[j*f.NV:(j+1)*f.NV], img.W[j*f.NV:(j+1)*f.NV]
			for i, gi := range g {
				out[i] = w[gi]
			}
		}
		r.images = append(r.images, img)
	}
	return r, nil
}

// Filter returns a copy of the filter being symmetrized.
func (r *SymmetrizedFilterRule) Filter() *rsmi.Filter { return r.filter.Clone() }

// Images returns the number of group elements averaged over (8 for a square
// block, 48 for a cube).
func (r *SymmetrizedFilterRule) Images() int { return len(r.images) }

// Stochastic reports whether the images are applied stochastically.
func (r *SymmetrizedFilterRule) Stochastic() bool { return r.stochastic }

// Outputs implements Rule: the filter's NH.
func (r *SymmetrizedFilterRule) Outputs() int { return r.filter.NH }

// Check implements Rule: blocks must have the filter's NV dofs.
func (r *SymmetrizedFilterRule) Check(nv int) error {
	if r.filter.NV != nv {
		return fmt.Errorf("rg: filter has NV = %d visible dofs, blocks have %d", r.filter.NV, nv)
	}
	return nil
}

// Apply implements Rule: it draws a group element uniformly and applies the
// filter with its weights permuted by it.
func (r *SymmetrizedFilterRule) Apply(dst, block []int8, src rand.Source) {
	g, _ := bits.Mul64(src.Uint64(), uint64(len(r.images)))
	f := r.images[g]
	if r.stochastic {
		f.Sample(block, dst, src)
	} else {
		f.MostProbable(block, dst, src)
	}
}

// Prob returns P_sym(h|block), the probability that Apply writes h for this
// block. For the most probable rule an image contributes 1 if h_j is the
// sign of its field for every unit j, 0 if some h_j is not, and 1/2 per
// tied unit (a fair coin), with MostProbable's tie tolerance. It panics if
// the lengths do not match the filter.
func (r *SymmetrizedFilterRule) Prob(block, h []int8) float64 {
	if len(block) != r.filter.NV || len(h) != r.filter.NH {
		panic(fmt.Sprintf("rg: Prob of %d coarse variables given %d dofs, filter has NH = %d, NV = %d", len(h), len(block), r.filter.NH, r.filter.NV))
	}
	var p float64
	for _, f := range r.images {
		if r.stochastic {
			p += f.Prob(block, h)
			continue
		}
		q := 1.0
		for j := range h {
			x := f.Field(block, j)
			var scale float64
			for _, w := range f.W[j*f.NV : (j+1)*f.NV] {
				scale += math.Abs(w)
			}
			switch {
			case math.Abs(x) <= 1e-9*scale:
				q *= 0.5
			case (x > 0) != (h[j] > 0):
				q = 0
			}
		}
		p += q
	}
	return p / float64(len(r.images))
}
