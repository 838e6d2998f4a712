package lattice

import (
	"errors"
	"fmt"
)

// Lattice is a finite periodic hypercubic lattice (a torus) whose sites carry
// integer coordinates, x fastest: site index i = x + Lx·(y + Ly·z).
// Build one with NewChain, NewSquare or NewCubic (or NewLattice for any
// dimension). A Lattice is immutable; share it freely.
type Lattice struct {
	ext  []int
	str  []int
	n    int
	nbr  []int32 // n × 2·dim: +x, −x, +y, −y, …
	geom *Geometry
}

// NewLattice returns the periodic hypercubic lattice with the given extents.
// Every extent must be at least 2 (an extent of 1 or 2 would make a site its own
// neighbour or a neighbour twice; 2 is allowed and the double bond is kept, as
// on any torus of width 2).
func NewLattice(extents ...int) (*Lattice, error) {
	if len(extents) == 0 {
		return nil, errors.New("lattice: no extents (a lattice needs at least one axis)")
	}
	n := 1
	for a, e := range extents {
		if e < 2 {
			return nil, fmt.Errorf("lattice: extent %d along axis %d is smaller than 2", e, a)
		}
		if n > (1<<30)/e {
			return nil, fmt.Errorf("lattice: %v has too many sites", extents)
		}
		n *= e
	}
	l := &Lattice{ext: append([]int(nil), extents...), str: make([]int, len(extents)), n: n}
	s := 1
	for a := range extents {
		l.str[a] = s
		s *= extents[a]
	}
	d := len(extents)
	l.nbr = make([]int32, n*2*d)
	c := make([]int, d)
	coords := make([][]int, n)
	for i := 0; i < n; i++ {
		c = l.Coords(i, c)
		coords[i] = append([]int(nil), c...)
		for a := 0; a < d; a++ {
			c[a]++
			l.nbr[i*2*d+2*a] = int32(l.Index(c...))
			c[a] -= 2
			l.nbr[i*2*d+2*a+1] = int32(l.Index(c...))
			c[a]++
		}
	}
	g, err := NewGeometry(extents, coords)
	if err != nil {
		return nil, err
	}
	l.geom = g
	return l, nil
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
	return l.nbr[i*k : (i+1)*k : (i+1)*k]
}

// NeighborTable returns the whole neighbour table, 2·Dim entries per site in
// the order of Neighbors. It aliases internal storage: do not modify it.
func (l *Lattice) NeighborTable() []int32 { return l.nbr }

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
