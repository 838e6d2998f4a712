package rsmi

import (
	"errors"
	"fmt"
	"slices"

	"github.com/rsmi-go/rsmi/lattice"
)

// PairSymmetry is a symmetry of the distribution of (V, E) pairs: a
// permutation of the block's dofs, of the environment's dofs and of the
// states, applied together. The image of a pair (v, e) has at position
// V[i] of the block the value of dof i, and at position E[i] of the
// environment that of environment dof i, each value replaced by the value
// at position States[a] of the alphabet if it was at position a. A nil
// slice is the identity. ExactVOptions.Symmetries uses a group of them to
// augment the fine-tuning data.
type PairSymmetry struct {
	V, E, States []int
}

// Symmetries returns the symmetries of the pairs of a translation- and
// rotation-invariant model: the point group of the block (its rotations
// and reflections about its centre, lattice.PointGroup) acting on V and E,
// times the permutations statePerms of the states (nil: none; e.g.
// StatePermutations(q) for the q-state Potts model, {{0, 1}, {1, 0}} for
// the spin flip of Ising spins). Element 0 is the identity. It returns an
// error if the block is not a cube (equal extents) or the point group does
// not map V and E onto themselves (as on geometries whose dofs are not all
// alike under rotation), or if a state permutation is not one.
func (r *Regions) Symmetries(statePerms [][]int) ([]PairSymmetry, error) {
	vp, ep, err := r.pointGroup()
	if err != nil {
		return nil, err
	}
	if statePerms == nil {
		statePerms = [][]int{nil}
	}
	out := make([]PairSymmetry, 0, len(vp)*len(statePerms))
	for k := range vp {
		for j, g := range statePerms {
			if g != nil {
				if err := checkPermutation(g, len(g)); err != nil {
					return nil, fmt.Errorf("rsmi: Symmetries: state permutation %d: %w", j, err)
				}
			}
			out = append(out, PairSymmetry{V: vp[k], E: ep[k], States: slices.Clone(g)})
		}
	}
	return out, nil
}

// pointGroup returns the permutations of V and E at position 0 of the
// point group of the block about its centre, in the order of
// lattice.PointGroup.
func (r *Regions) pointGroup() (vp, ep [][]int, err error) {
	dim := len(r.block)
	for _, b := range r.block {
		if b != r.block[0] {
			return nil, nil, fmt.Errorf("rsmi: Symmetries: the block %v is not a cube", r.block)
		}
	}
	group, err := lattice.PointGroup(dim)
	if err != nil {
		return nil, nil, err
	}
	o, b, ext := r.origins[0], r.block[0], r.geom.Extents()
	c := make([]int, dim)
	for _, s := range group {
		var perms [2][]int
		for l, list := range [][]int32{r.V(0), r.E(0)} {
			pos := make(map[int32]int, len(list))
			for i, d := range list {
				pos[d] = i
			}
			perm := make([]int, len(list))
			for i, d := range list {
				// doubled displacement from the block centre, the
				// representative nearest to it
				c = r.geom.Coord(int(d), c)
				for a := range c {
					x := ((2*(c[a]-o[a])-(b-1))%(2*ext[a]) + 2*ext[a]) % (2 * ext[a])
					if x > ext[a] {
						x -= 2 * ext[a]
					}
					c[a] = x
				}
				im := s.Apply(nil, c)
				for a := range im {
					im[a] = (im[a] + b - 1 + 2*o[a]) / 2
				}
				j, ok := pos[int32(max(r.geom.At(im...), -1))]
				if !ok {
					return nil, nil, errors.New("rsmi: Symmetries: the block's point group does not map the regions onto themselves")
				}
				perm[i] = j
			}
			perms[l] = perm
		}
		vp, ep = append(vp, perms[0]), append(ep, perms[1])
	}
	return vp, ep, nil
}

// checkSymmetries validates symmetries for pairs of nv and ne dofs with q
// states.
func checkSymmetries(syms []PairSymmetry, nv, ne, q int) error {
	for k, s := range syms {
		for _, c := range []struct {
			what string
			g    []int
			n    int
		}{{"block", s.V, nv}, {"environment", s.E, ne}, {"state", s.States, q}} {
			if c.g == nil {
				continue
			}
			if err := checkPermutation(c.g, c.n); err != nil {
				return fmt.Errorf("rsmi: symmetry %d: %s permutation %w", k, c.what, err)
			}
		}
	}
	return nil
}
