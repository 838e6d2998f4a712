package rsmi

import (
	"errors"
	"fmt"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// RegionOptions fixes the shape of the visible block, its buffer and its
// environment. All lengths are in Geometry units (lattice spacings for spin
// models; on the doubled grid of dimers one lattice spacing is 2 units).
type RegionOptions struct {
	// Block is the extent of the block along each axis: [b] in 1D, [b, b] in
	// 2D, [b, b, b] in 3D. A block at origin o covers the coordinates
	// o_a ≤ x_a < o_a + Block[a].
	Block []int
	// Buffer is the width L_B of the buffer shell around the block (≥ 0).
	Buffer int
	// Env is the width L_E of the environment shell beyond the buffer (≥ 1).
	Env int
	// ExcludeV, if not nil, removes the dofs for which it returns true from
	// V (they stay in the block but are not seen by the filter; the exact
	// oracle sums over them like buffer dofs). Use it e.g. for noise spins.
	ExcludeV func(dof int) bool
	// ExcludeE, if not nil, removes the dofs for which it returns true from E.
	ExcludeE func(dof int) bool
	// Stride, if not nil, restricts block origins to multiples of Stride[a]
	// along each axis a. The default is the geometry's own period along each
	// axis: the smallest shift along that axis alone that maps every dof onto
	// a dof of the same kind (lattice.Geometry.Kind): 1 on a hypercubic
	// lattice, 2 on the doubled grid of dimers — with or without noise spins
	// — so that right links stay right links. Whatever the stride, a position
	// is used only if every dof of its box meets a dof of the same kind and
	// inclusion as at origin 0.
	Stride []int
}

// Regions holds the visible block V, the buffer B and the environment E at
// every block position of a periodic Geometry.
//
// Distances are Chebyshev (max over axes) distances to the block box,
// measured periodically: a dof at distance 0 is in the block, at distance
// d with 0 < d ≤ Buffer in the buffer, and with Buffer < d ≤ Buffer+Env in
// the environment shell. Everything farther is outside and ignored. The whole
// box of extent Block[a] + 2(Buffer+Env) must fit in the periodic box along
// every axis, so that no shell wraps onto itself or onto the block.
//
// Block positions: every grid point o whose coordinates are multiples of the
// stride (RegionOptions.Stride) is a candidate origin; the accepted positions are those whose pattern of occupied (and not excluded)
// grid points in the whole box, relative to o, equals the pattern at origin
// 0. On a hypercubic lattice every site is a position; on the doubled grid of
// dimers only translations by even vectors are. Within one position, V, B and
// E list dofs in the order of their offsets from the origin, x fastest, so
// the i-th entry of V means the same relative dof at every position (this is
// what makes (V,E) pairs from different positions samples of one
// distribution for a translation-invariant model: translation augmentation).
type Regions struct {
	geom        *lattice.Geometry
	block       []int
	buffer, env int
	origins     [][]int
	v, b, e     [][]int32 // per position
	hiddenBlock [][]int32 // block dofs excluded from V, per position
	interior    [][]int32 // block and buffer dofs in offset order, per position
	exclE       [][]int32 // shell dofs excluded from E, per position
	nv, ne      int
}

// NewRegions builds the regions on g. It returns an error if the block, buffer
// or environment widths are invalid, if the box of block, buffer and
// environment does not fit in the periodic box (a block larger than the
// lattice, or a buffer that leaves no room for the environment), if V or E is
// empty at origin 0, or if no position is found.
func NewRegions(g *lattice.Geometry, opts RegionOptions) (*Regions, error) {
	if g == nil {
		return nil, errors.New("rsmi: regions need a geometry")
	}
	dim := g.Dim()
	ext := g.Extents()
	if len(opts.Block) != dim {
		return nil, fmt.Errorf("rsmi: block %v has %d axes, geometry has %d", opts.Block, len(opts.Block), dim)
	}
	if opts.Buffer < 0 {
		return nil, fmt.Errorf("rsmi: buffer width %d is negative", opts.Buffer)
	}
	if opts.Env < 1 {
		return nil, fmt.Errorf("rsmi: environment width %d is smaller than 1", opts.Env)
	}
	for a, b := range opts.Block {
		if b < 1 {
			return nil, fmt.Errorf("rsmi: block extent %d along axis %d is smaller than 1", b, a)
		}
		if b > ext[a] {
			return nil, fmt.Errorf("rsmi: block extent %d along axis %d is larger than the lattice (%d)", b, a, ext[a])
		}
		if b+2*opts.Buffer >= ext[a] {
			return nil, fmt.Errorf("rsmi: block %d plus buffer 2×%d along axis %d leaves no room for the environment in a box of %d", b, opts.Buffer, a, ext[a])
		}
		if w := b + 2*(opts.Buffer+opts.Env); w > ext[a] {
			return nil, fmt.Errorf("rsmi: block %d + 2×(buffer %d + environment %d) = %d along axis %d exceeds the box (%d): the environment shell would wrap onto itself", b, opts.Buffer, opts.Env, w, a, ext[a])
		}
	}
	stride := opts.Stride
	if stride == nil {
		stride = geometryPeriods(g)
	} else if len(stride) != dim {
		return nil, fmt.Errorf("rsmi: stride %v has %d axes, geometry has %d", stride, len(stride), dim)
	}
	for a, s := range stride {
		if s < 1 || s > ext[a] {
			return nil, fmt.Errorf("rsmi: stride %d along axis %d outside [1,%d]", s, a, ext[a])
		}
	}
	r := &Regions{geom: g, block: append([]int(nil), opts.Block...), buffer: opts.Buffer, env: opts.Env}
	reach := opts.Buffer + opts.Env
	box := make([]int, dim)
	nbox := 1
	for a := range box {
		box[a] = opts.Block[a] + 2*reach
		nbox *= box[a]
	}
	// offsets of the box, x fastest, with their Chebyshev distance to the block
	offs := make([][]int, nbox)
	dist := make([]int, nbox)
	for k := range offs {
		o := make([]int, dim)
		rem := k
		d := 0
		for a := 0; a < dim; a++ {
			o[a] = rem%box[a] - reach
			rem /= box[a]
			da := 0
			if o[a] < 0 {
				da = -o[a]
			} else if o[a] >= opts.Block[a] {
				da = o[a] - opts.Block[a] + 1
			}
			d = max(d, da)
		}
		offs[k] = o
		dist[k] = d
	}
	// pattern: -1 empty, else 2·kind + (0 excluded, 1 included), so that
	// only positions where every dof meets a dof of its own kind match
	pattern := func(origin []int, dst []int8, dofs []int32) ([]int8, []int32) {
		dst, dofs = dst[:0], dofs[:0]
		c := make([]int, dim)
		for k, o := range offs {
			for a := range c {
				c[a] = origin[a] + o[a]
			}
			i := g.At(c...)
			switch {
			case i < 0:
				dst = append(dst, -1)
			case dist[k] == 0 && opts.ExcludeV != nil && opts.ExcludeV(i):
				dst = append(dst, int8(2*g.Kind(i)))
			case dist[k] > opts.Buffer && opts.ExcludeE != nil && opts.ExcludeE(i):
				dst = append(dst, int8(2*g.Kind(i)))
			default:
				dst = append(dst, int8(2*g.Kind(i)+1))
			}
			dofs = append(dofs, int32(i))
		}
		return dst, dofs
	}
	ref, _ := pattern(make([]int, dim), nil, nil)
	var pat []int8
	var dofs []int32
	ncell := 1
	for _, e := range ext {
		ncell *= e
	}
	origin := make([]int, dim)
	for cell := 0; cell < ncell; cell++ {
		rem := cell
		for a := range origin {
			origin[a] = rem % ext[a]
			rem /= ext[a]
		}
		onStride := true
		for a := range origin {
			if origin[a]%stride[a] != 0 {
				onStride = false
			}
		}
		if !onStride {
			continue
		}
		pat, dofs = pattern(origin, pat, dofs)
		same := true
		for k := range pat {
			if pat[k] != ref[k] {
				same = false
				break
			}
		}
		if !same {
			continue
		}
		var v, b, e, hb, xe, in []int32
		for k, p := range pat {
			i := dofs[k]
			if p >= 0 && dist[k] <= opts.Buffer {
				in = append(in, i)
			}
			switch {
			case p < 0:
			case dist[k] == 0 && p%2 == 1:
				v = append(v, i)
			case dist[k] == 0:
				hb = append(hb, i)
			case dist[k] <= opts.Buffer:
				b = append(b, i)
			case p%2 == 1:
				e = append(e, i)
			default:
				xe = append(xe, i)
			}
		}
		if len(r.origins) == 0 {
			if len(v) == 0 {
				return nil, errors.New("rsmi: the visible block V holds no degree of freedom at origin 0")
			}
			if len(e) == 0 {
				return nil, errors.New("rsmi: the environment E holds no degree of freedom at origin 0")
			}
		}
		r.origins = append(r.origins, append([]int(nil), origin...))
		r.v = append(r.v, v)
		r.b = append(r.b, b)
		r.e = append(r.e, e)
		r.hiddenBlock = append(r.hiddenBlock, hb)
		r.exclE = append(r.exclE, xe)
		r.interior = append(r.interior, in)
	}
	if len(r.origins) == 0 {
		return nil, errors.New("rsmi: no block position found")
	}
	r.nv, r.ne = len(r.v[0]), len(r.e[0])
	return r, nil
}

// Geometry returns the geometry the regions live on.
func (r *Regions) Geometry() *lattice.Geometry { return r.geom }

// NumPositions returns the number of block positions.
func (r *Regions) NumPositions() int { return len(r.origins) }

// Origin returns the grid coordinates of the block origin at position p.
func (r *Regions) Origin(p int) []int { return append([]int(nil), r.origins[p]...) }

// NV returns |V|, the number of visible dofs (the same at every position).
func (r *Regions) NV() int { return r.nv }

// NE returns |E|, the number of environment dofs.
func (r *Regions) NE() int { return r.ne }

// Block returns a copy of the block extents.
func (r *Regions) Block() []int { return append([]int(nil), r.block...) }

// Buffer returns the buffer width L_B.
func (r *Regions) Buffer() int { return r.buffer }

// Env returns the environment width L_E.
func (r *Regions) Env() int { return r.env }

// V returns the visible dofs at position p. The slice aliases internal
// storage: do not modify it.
func (r *Regions) V(p int) []int32 { return r.v[p] }

// B returns the buffer dofs at position p (aliasing internal storage).
func (r *Regions) B(p int) []int32 { return r.b[p] }

// E returns the environment dofs at position p (aliasing internal storage).
func (r *Regions) E(p int) []int32 { return r.e[p] }

// Hidden returns the dofs of the block excluded from V at position p
// (aliasing internal storage).
func (r *Regions) Hidden(p int) []int32 { return r.hiddenBlock[p] }

// Interior returns the dofs of the block (in V or not) and of the buffer at
// position p, in the order of their offsets from the origin, x fastest
// (aliasing internal storage).
func (r *Regions) Interior(p int) []int32 { return r.interior[p] }

// ExcludedE returns the dofs of the environment shell excluded from E at
// position p (aliasing internal storage).
func (r *Regions) ExcludedE(p int) []int32 { return r.exclE[p] }

// Pairs extracts (V,E) pairs from every sample of ds at every block position:
// pair k = sample·NumPositions() + position has v[k·NV():(k+1)·NV()] and
// e[k·NE():(k+1)·NE()]. It returns an error if ds's geometry differs from the
// regions'.
func (r *Regions) Pairs(ds *sample.Dataset) (v, e []int8, n int, err error) {
	return r.PairsAt(ds, nil)
}

// PairsAt is Pairs restricted to the given positions (nil means all), pair
// k = sample·len(positions) + index in positions.
func (r *Regions) PairsAt(ds *sample.Dataset, positions []int) (v, e []int8, n int, err error) {
	if ds == nil {
		return nil, nil, 0, errors.New("rsmi: nil dataset")
	}
	if !r.geom.Equal(ds.Geom) {
		return nil, nil, 0, fmt.Errorf("rsmi: dataset geometry (extents %v, %d dofs) does not match the regions' (extents %v, %d dofs)",
			geomExtents(ds.Geom), geomDOF(ds.Geom), r.geom.Extents(), r.geom.NumDOF())
	}
	if positions == nil {
		positions = make([]int, len(r.origins))
		for i := range positions {
			positions[i] = i
		}
	}
	for _, p := range positions {
		if p < 0 || p >= len(r.origins) {
			return nil, nil, 0, fmt.Errorf("rsmi: position %d outside [0,%d)", p, len(r.origins))
		}
	}
	n = ds.N * len(positions)
	v = make([]int8, n*r.nv)
	e = make([]int8, n*r.ne)
	k := 0
	for s := 0; s < ds.N; s++ {
		row := ds.Row(s)
		for _, p := range positions {
			dv := v[k*r.nv : (k+1)*r.nv]
			for i, d := range r.v[p] {
				dv[i] = row[d]
			}
			de := e[k*r.ne : (k+1)*r.ne]
			for i, d := range r.e[p] {
				de[i] = row[d]
			}
			k++
		}
	}
	return v, e, n, nil
}

// geometryPeriods returns, per axis, the smallest shift along that axis that
// maps every dof's grid point onto a dof's grid point.
func geometryPeriods(g *lattice.Geometry) []int {
	ext := g.Extents()
	out := make([]int, len(ext))
	var c []int
	for a := range ext {
	shifts:
		for p := 1; p <= ext[a]; p++ {
			if ext[a]%p != 0 {
				continue
			}
			for i := 0; i < g.NumDOF(); i++ {
				c = g.Coord(i, c)
				c[a] += p
				if j := g.At(c...); j < 0 || g.Kind(j) != g.Kind(i) {
					continue shifts
				}
			}
			out[a] = p
			break
		}
	}
	return out
}

func geomExtents(g *lattice.Geometry) []int {
	if g == nil {
		return nil
	}
	return g.Extents()
}

func geomDOF(g *lattice.Geometry) int {
	if g == nil {
		return 0
	}
	return g.NumDOF()
}
