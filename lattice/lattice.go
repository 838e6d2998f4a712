package lattice

import (
	"fmt"
	"sync"
)

// Lattice is a finite periodic hypercubic lattice (a torus) whose sites carry
// integer coordinates, x fastest: site index i = x + Lx·(y + Ly·z).
// Build one with NewChain, NewSquare or NewCubic (or NewLattice for any
// dimension). A Lattice is immutable; share it freely (also between
// goroutines).
//
// Building a Lattice costs O(Dim) memory: neighbours and coordinates follow
// from index arithmetic. The nearest-neighbour table of Neighbors and
// NeighborTable (8·Dim bytes per site) is built on first use and then shared.
type Lattice struct {
	ext  []int
	str  []int
	n    int
	geom *Geometry

	nbrOnce sync.Once
	nbr     []int32 // n × 2·dim: +x, −x, +y, −y, …; built by table
}

// NewLattice returns the periodic hypercubic lattice with the given extents.
// Every extent must be at least 2 (an extent of 1 would make a site its own
// neighbour; 2 is allowed and the double bond is kept, as on any torus of
// width 2), and the lattice may have at most 2^30 sites: larger sizes are
// refused with an error naming the extents before anything is allocated.
func NewLattice(extents ...int) (*Lattice, error) {
	n, err := boxCells("lattice", extents, 2)
	if err != nil {
		return nil, err
	}
	g := newGrid(extents, n)
	return &Lattice{ext: g.extents, str: g.strides, n: n, geom: g}, nil
}

// table returns the nearest-neighbour table, building it on first use.
func (l *Lattice) table() []int32 {
	l.nbrOnce.Do(func() {
		d := len(l.ext)
		nbr := make([]int32, l.n*2*d)
		for a, e := range l.ext {
			s := l.str[a]
			// blocks of s sites share the coordinate x along axis a
			for x, b := 0, 0; b < l.n; x, b = (x+1)%e, b+s {
				up, down := s, -s
				if x == e-1 {
					up -= e * s
				}
				if x == 0 {
					down += e * s
				}
				for i := b; i < b+s; i++ {
					nbr[i*2*d+2*a] = int32(i + up)
					nbr[i*2*d+2*a+1] = int32(i + down)
				}
			}
		}
		l.nbr = nbr
	})
	return l.nbr
}

// NewChain returns a periodic chain of L sites.
func NewChain(L int) (*Lattice, error) { return NewLattice(L) }

// NewSquare returns an L×L periodic square lattice.
func NewSquare(L int) (*Lattice, error) { return NewLattice(L, L) }

// NewCubic returns an L×L×L periodic simple cubic lattice.
func NewCubic(L int) (*Lattice, error) { return NewLattice(L, L, L) }

// N returns the number of sites.
func (l *Lattice) N() int { return l.n }

// Dim returns the number of dimensions.
func (l *Lattice) Dim() int { return len(l.ext) }

// Extents returns a copy of the extents.
func (l *Lattice) Extents() []int { return append([]int(nil), l.ext...) }

// Index returns the site at the given coordinates, wrapped periodically.
func (l *Lattice) Index(c ...int) int {
	if len(c) != len(l.ext) {
		panic(fmt.Sprintf("lattice: Index with %d coordinates on a %d-dimensional lattice", len(c), len(l.ext)))
	}
	i := 0
	for a, x := range c {
		e := l.ext[a]
		x %= e
		if x < 0 {
			x += e
		}
		i += x * l.str[a]
	}
	return i
}

// Coords returns the coordinates of site i, written into dst if it has room.
func (l *Lattice) Coords(i int, dst []int) []int {
	if i < 0 || i >= l.n {
		panic(fmt.Sprintf("lattice: site %d outside [0,%d)", i, l.n))
	}
	dst = dst[:0]
	for a := range l.ext {
		dst = append(dst, i%l.ext[a])
		i /= l.ext[a]
	}
	return dst
}

// Neighbors returns the 2·Dim nearest neighbours of site i in the order
// +x, −x, +y, −y, +z, −z. The returned slice aliases an internal table: do not
// modify it.
func (l *Lattice) Neighbors(i int) []int32 {
	k := 2 * len(l.ext)
	return l.table()[i*k : (i+1)*k : (i+1)*k]
}

// NeighborTable returns the whole neighbour table, 2·Dim entries per site in
// the order of Neighbors. It aliases internal storage: do not modify it. The
// table is built on the first call of Neighbors or NeighborTable.
func (l *Lattice) NeighborTable() []int32 { return l.table() }

// Shift returns the site reached from site i by the displacement d (wrapped).
func (l *Lattice) Shift(i int, d []int) int {
	if len(d) != len(l.ext) {
		panic(fmt.Sprintf("lattice: displacement %v on a %d-dimensional lattice", d, len(l.ext)))
	}
	j := 0
	for a := range l.ext {
		e := l.ext[a]
		x := (i/l.str[a])%e + d[a]
		x %= e
		if x < 0 {
			x += e
		}
		j += x * l.str[a]
	}
	return j
}

// Geometry returns the geometry of the sites (one dof per site, at the site's
// coordinates, in site order).
func (l *Lattice) Geometry() *Geometry { return l.geom }
