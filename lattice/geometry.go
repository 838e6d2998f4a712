package lattice

import (
	"errors"
	"fmt"
)

// Geometry gives the integer coordinates of every degree of freedom (dof) of a
// model inside a periodic box. For spin models a dof is a site and its
// coordinates are the site's; for dimers a dof is a link placed on the doubled
// grid (see Dimer). Everything downstream of lattice (regions, blocks,
// coarse-graining) needs only a Geometry and flat []int8 configurations.
//
// A Geometry is immutable once built; share it freely.
type Geometry struct {
	extents []int
	coords  []int // nDOF × dim, dof-major
	kinds   []int8
	grid    []int32
	strides []int
}

// NewGeometry returns the geometry of dofs at the given coordinates inside a
// periodic box with the given extents. coords holds one row of len(extents)
// coordinates per dof; every coordinate must lie in [0, extent) and no two dofs
// may share a grid point.
func NewGeometry(extents []int, coords [][]int) (*Geometry, error) {
	dim := len(extents)
	if dim == 0 {
		return nil, errors.New("lattice: geometry needs at least one dimension")
	}
	cells := 1
	for a, e := range extents {
		if e < 1 {
			return nil, fmt.Errorf("lattice: geometry extent %d along axis %d is not positive", e, a)
		}
		if cells > (1<<31)/e {
			return nil, fmt.Errorf("lattice: geometry box %v is too large", extents)
		}
		cells *= e
	}
	if len(coords) == 0 {
		return nil, errors.New("lattice: geometry has no degrees of freedom")
	}
	g := &Geometry{
		extents: append([]int(nil), extents...),
		coords:  make([]int, 0, len(coords)*dim),
		grid:    make([]int32, cells),
		strides: make([]int, dim),
	}
	s := 1
	for a := range extents {
		g.strides[a] = s
		s *= extents[a]
	}
	for i := range g.grid {
		g.grid[i] = -1
	}
	for i, c := range coords {
		if len(c) != dim {
			return nil, fmt.Errorf("lattice: dof %d has %d coordinates, want %d", i, len(c), dim)
		}
		cell := 0
		for a, x := range c {
			if x < 0 || x >= extents[a] {
				return nil, fmt.Errorf("lattice: dof %d coordinate %d along axis %d outside [0,%d)", i, x, a, extents[a])
			}
			cell += x * g.strides[a]
		}
		if g.grid[cell] >= 0 {
			return nil, fmt.Errorf("lattice: dofs %d and %d share the grid point %v", g.grid[cell], i, c)
		}
		g.grid[cell] = int32(i)
		g.coords = append(g.coords, c...)
	}
	return g, nil
}

// Dim returns the number of spatial dimensions.
func (g *Geometry) Dim() int { return len(g.extents) }

// NumDOF returns the number of degrees of freedom.
func (g *Geometry) NumDOF() int { return len(g.coords) / len(g.extents) }

// Extents returns a copy of the periodic box extents.
func (g *Geometry) Extents() []int { return append([]int(nil), g.extents...) }

// Coord returns the coordinates of dof i, written into dst if it has room.
func (g *Geometry) Coord(i int, dst []int) []int {
	d := len(g.extents)
	return append(dst[:0], g.coords[i*d:(i+1)*d]...)
}

// At returns the dof at the given coordinates, wrapped periodically into the
// box, or -1 if no dof sits there.
func (g *Geometry) At(c ...int) int {
	if len(c) != len(g.extents) {
		panic(fmt.Sprintf("lattice: At with %d coordinates in a %d-dimensional geometry", len(c), len(g.extents)))
	}
	cell := 0
	for a, x := range c {
		e := g.extents[a]
		x %= e
		if x < 0 {
			x += e
		}
		cell += x * g.strides[a]
	}
	return int(g.grid[cell])
}

// WithKinds returns a copy of g whose dofs carry the given kinds, small
// non-negative labels for dofs of different sorts — for dimers: right link,
// up link, site spin, face spin. Without kinds every dof has kind 0. Kinds
// tell translations that are symmetries (every dof lands on a dof of its own
// kind) from those that are not, so that e.g. block positions on the doubled
// grid of dimers keep right links on right links even when noise spins fill
// the other grid points.
func (g *Geometry) WithKinds(kinds []int) (*Geometry, error) {
	if len(kinds) != g.NumDOF() {
		return nil, fmt.Errorf("lattice: %d kinds for %d dofs", len(kinds), g.NumDOF())
	}
	h := *g
	h.kinds = make([]int8, len(kinds))
	for i, k := range kinds {
		if k < 0 || k > 127 {
			return nil, fmt.Errorf("lattice: kind %d of dof %d outside [0,127]", k, i)
		}
		h.kinds[i] = int8(k)
	}
	return &h, nil
}

// Kind returns the kind of dof i (0 unless set by WithKinds).
func (g *Geometry) Kind(i int) int {
	if g.kinds == nil {
		return 0
	}
	return int(g.kinds[i])
}

// Kinds returns a copy of the kinds of all dofs, or nil if none were set.
func (g *Geometry) Kinds() []int {
	if g.kinds == nil {
		return nil
	}
	out := make([]int, len(g.kinds))
	for i, k := range g.kinds {
		out[i] = int(k)
	}
	return out
}

// Equal reports whether g and h describe the same dofs at the same
// coordinates in the same box, in the same order, with the same kinds.
func (g *Geometry) Equal(h *Geometry) bool {
	if g == h {
		return true
	}
	if g == nil || h == nil || len(g.extents) != len(h.extents) || len(g.coords) != len(h.coords) {
		return false
	}
	for a := range g.extents {
		if g.extents[a] != h.extents[a] {
			return false
		}
	}
	for i := range g.coords {
		if g.coords[i] != h.coords[i] {
			return false
		}
	}
	for i := 0; i < g.NumDOF(); i++ {
		if g.Kind(i) != h.Kind(i) {
			return false
		}
	}
	return true
}

// Coords returns a copy of all coordinates, one row per dof (for serialization).
func (g *Geometry) Coords() [][]int {
	d := len(g.extents)
	out := make([][]int, g.NumDOF())
	for i := range out {
		out[i] = append([]int(nil), g.coords[i*d:(i+1)*d]...)
	}
	return out
}
