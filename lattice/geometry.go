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
// A full grid — one dof per cell of the box, dof i at the cell of index i, x
// fastest — is stored by its extents alone (O(1) memory, whether built by
// GridGeometry, by a Lattice or by NewGeometry); any other geometry stores
// its coordinates and a cell lookup, O(dofs) memory. A Geometry is immutable
// once built; share it freely.
type Geometry struct {
	extents []int
	strides []int
	n       int     // number of dofs
	kinds   []int8  // nil: every dof has kind 0
	coords  []int   // nil for a full grid; else n × dim, dof-major
	grid    []int32 // cell → dof or −1 (dense boxes)
	sparse  map[int]int32
}

// maxSites bounds the number of sites of a Lattice and the number of cells of
// a Geometry's box (2^30): larger sizes are refused before anything is
// allocated. A lattice of maxSites sites has at most 30 axes (every extent is
// at least 2), which bounds maxDim.
const (
	maxSites = 1 << 30
	maxDim   = 30
)

// boxCells returns the number of cells of a box with the given extents, or
// an error naming the extents if an extent is below min or the product
// exceeds maxSites. The product is checked before it is formed, so it cannot
// overflow. what names the thing built ("lattice", "geometry") in errors.
func boxCells(what string, extents []int, min int) (int, error) {
	if len(extents) == 0 {
		return 0, fmt.Errorf("lattice: a %s needs at least one axis (no extents given)", what)
	}
	for a, e := range extents {
		if e < min {
			return 0, fmt.Errorf("lattice: %s extents %v: extent %d along axis %d is smaller than %d", what, extents, e, a, min)
		}
	}
	n := 1
	for _, e := range extents {
		if n > maxSites/e {
			return 0, fmt.Errorf("lattice: %s extents %v have too many cells (more than 2^30)", what, extents)
		}
		n *= e
	}
	return n, nil
}

// newGrid returns the full-grid geometry of a box whose extents were checked
// by boxCells and have n cells.
func newGrid(extents []int, n int) *Geometry {
	g := &Geometry{extents: append([]int(nil), extents...), strides: make([]int, len(extents)), n: n}
	s := 1
	for a, e := range extents {
		g.strides[a] = s
		s *= e
	}
	return g
}

// GridGeometry returns the full-grid geometry of a box: one dof per cell, dof
// i at the cell of index i = x + Lx·(y + Ly·z …). Every extent must be at
// least 1 and the box must have at most 2^30 cells. It costs O(len(extents))
// memory, whatever the size of the box.
func GridGeometry(extents ...int) (*Geometry, error) {
	n, err := boxCells("geometry", extents, 1)
	if err != nil {
		return nil, err
	}
	return newGrid(extents, n), nil
}

// NewGeometry returns the geometry of dofs at the given coordinates inside a
// periodic box with the given extents. coords holds one row of len(extents)
// coordinates per dof; every coordinate must lie in [0, extent) and no two dofs
// may share a grid point. The box may have at most 2^30 cells. If the dofs
// fill the box in index order the result is the compact full grid (as
// GridGeometry); otherwise it holds the coordinates and a cell lookup, of
// size proportional to the number of dofs (a sparse box is indexed by a map).
func NewGeometry(extents []int, coords [][]int) (*Geometry, error) {
	if len(extents) == 0 {
		return nil, errors.New("lattice: geometry needs at least one dimension")
	}
	cells, err := boxCells("geometry", extents, 1)
	if err != nil {
		return nil, err
	}
	if len(coords) == 0 {
		return nil, errors.New("lattice: geometry has no degrees of freedom")
	}
	g := newGrid(extents, len(coords))
	dim := len(extents)
	g.coords = make([]int, 0, len(coords)*dim)
	if cells <= 4*len(coords) {
		g.grid = make([]int32, cells)
		for i := range g.grid {
			g.grid[i] = -1
		}
	} else {
		g.sparse = make(map[int]int32, len(coords))
	}
	inOrder := cells == len(coords)
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
		if j := g.lookup(cell); j >= 0 {
			return nil, fmt.Errorf("lattice: dofs %d and %d share the grid point %v", j, i, c)
		}
		if g.grid != nil {
			g.grid[cell] = int32(i)
		} else {
			g.sparse[cell] = int32(i)
		}
		g.coords = append(g.coords, c...)
		inOrder = inOrder && cell == i
	}
	if inOrder {
		g.coords, g.grid = nil, nil
	}
	return g, nil
}

// lookup returns the dof in cell, or −1.
func (g *Geometry) lookup(cell int) int {
	switch {
	case g.coords == nil && g.grid == nil && g.sparse == nil:
		return cell
	case g.grid != nil:
		return int(g.grid[cell])
	}
	if j, ok := g.sparse[cell]; ok {
		return int(j)
	}
	return -1
}

// Dim returns the number of spatial dimensions.
func (g *Geometry) Dim() int { return len(g.extents) }

// NumDOF returns the number of degrees of freedom.
func (g *Geometry) NumDOF() int { return g.n }

// Extents returns a copy of the periodic box extents.
func (g *Geometry) Extents() []int { return append([]int(nil), g.extents...) }

// IsGrid reports whether g is a full grid: one dof per cell of the box, dof i
// at the cell of index i, x fastest (as GridGeometry and every Lattice).
func (g *Geometry) IsGrid() bool { return g.coords == nil }

// Coord returns the coordinates of dof i, written into dst if it has room.
func (g *Geometry) Coord(i int, dst []int) []int {
	if i < 0 || i >= g.n {
		panic(fmt.Sprintf("lattice: dof %d outside [0,%d)", i, g.n))
	}
	d := len(g.extents)
	if g.coords != nil {
		return append(dst[:0], g.coords[i*d:(i+1)*d]...)
	}
	dst = dst[:0]
	for _, e := range g.extents {
		dst = append(dst, i%e)
		i /= e
	}
	return dst
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
	return g.lookup(cell)
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
	if g == nil || h == nil || len(g.extents) != len(h.extents) || g.n != h.n {
		return false
	}
	for a := range g.extents {
		if g.extents[a] != h.extents[a] {
			return false
		}
	}
	// a full grid and an explicit geometry never hold the same dofs:
	// NewGeometry stores every full grid compactly
	if g.IsGrid() != h.IsGrid() {
		return false
	}
	for i := range g.coords {
		if g.coords[i] != h.coords[i] {
			return false
		}
	}
	for i := 0; i < g.n; i++ {
		if g.Kind(i) != h.Kind(i) {
			return false
		}
	}
	return true
}

// Coords returns a copy of all coordinates, one row per dof (for
// serialization; it allocates n·(Dim+3) words).
func (g *Geometry) Coords() [][]int {
	d := len(g.extents)
	flat := make([]int, g.n*d)
	out := make([][]int, g.n)
	for i := range out {
		out[i] = g.Coord(i, flat[i*d:(i+1)*d:(i+1)*d])
	}
	return out
}
