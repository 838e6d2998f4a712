package rsmi

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// RegionOptions configures NewRegions: the widths of the buffer and of the
// environment around the block, and which dofs and positions are used. All
// lengths are in Geometry units (lattice spacings for spin models; on the
// doubled grid of dimers one lattice spacing is 2 units). Nil, and every
// zero field, means the default in the field's comment.
type RegionOptions struct {
	// Buffer is the width L_B of the buffer shell around the block (default
	// 0: no buffer; negative is an error).
	Buffer int
	// Env is the width L_E of the environment shell beyond the buffer
	// (default 1, the range of nearest-neighbour couplings; negative is an
	// error).
	Env int
	// ExcludeV, if not nil, removes the dofs for which it returns true from
	// V (they stay in the block but are not seen by the filter; the exact
	// oracle sums over them like buffer dofs). Use it e.g. for noise spins.
	// (Default nil: V holds every dof of the block.)
	ExcludeV func(dof int) bool
	// ExcludeE, if not nil, removes the dofs for which it returns true from
	// E (default nil: E holds every dof of the shell).
	ExcludeE func(dof int) bool
	// Stride, if not nil, restricts block origins to multiples of Stride[a]
	// along each axis a (default nil: the geometry's own period along each
	// axis, the smallest shift along that axis alone that maps every dof
	// onto a dof of the same kind (lattice.Geometry.Kind): 1 on a
	// hypercubic lattice, 2 on the doubled grid of dimers — with or without
	// noise spins — so that right links stay right links). Whatever the
	// stride, a position is used only if every dof of its box meets a dof of
	// the same kind and inclusion as at origin 0.
	Stride []int
}

// Regions holds the visible block V, the buffer B and the environment E at
// every block position of a periodic Geometry.
//
// Distances are Chebyshev (max over axes) distances to the block box,
// measured periodically: a dof at distance 0 is in the block, at distance
// d with 0 < d ≤ Buffer in the buffer, and with Buffer < d ≤ Buffer+Env in
// the environment shell. Everything farther is outside and ignored. The whole
// box of extent block[a] + 2(Buffer+Env) must fit in the periodic box along
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

// NewRegions builds the regions of blocks of extent block on g: block has
// one entry per axis, [b] in 1D, [b, b] in 2D, [b, b, b] in 3D, and a block
// at origin o covers the coordinates o_a ≤ x_a < o_a + block[a]. It returns
// an error if the block, buffer or environment widths are invalid, if the
// box of block, buffer and environment does not fit in the periodic box (a
// block larger than the lattice, or a buffer that leaves no room for the
// environment), if V or E is empty at origin 0, or if no position is found.
func NewRegions(g *lattice.Geometry, block []int, opts *RegionOptions) (*Regions, error) {
	if g == nil {
		return nil, errors.New("rsmi: regions need a geometry")
	}
	o := opts.resolve()
	block = slices.Clone(block)
	stride, err := checkRegionOptions(g, block, &o)
	if err != nil {
		return nil, err
	}
	b := newRegionBuilder(g, block, &o)
	r := &Regions{geom: g, block: block, buffer: o.Buffer, env: o.Env}
	ref, _ := b.pattern(make([]int, b.dim), nil, nil)
	var pat []int8
	var dofs []int32
	for cell := 0; cell < b.ncell; cell++ {
		origin := b.origin(cell)
		if !onStride(origin, stride) {
			continue
		}
		pat, dofs = b.pattern(origin, pat, dofs)
		if !slices.Equal(pat, ref) {
			continue
		}
		if err := r.add(origin, b.classify(pat, dofs)); err != nil {
			return nil, err
		}
	}
	if len(r.origins) == 0 {
		return nil, errors.New("rsmi: no block position found")
	}
	r.nv, r.ne = len(r.v[0]), len(r.e[0])
	return r, nil
}

// resolve returns the options with the defaults filled in (Stride stays nil
// for the geometry's periods).
func (opts *RegionOptions) resolve() RegionOptions {
	var o RegionOptions
	if opts != nil {
		o = *opts
	}
	if o.Env == 0 {
		o.Env = 1
	}
	return o
}

// checkRegionOptions validates opts on g with overflow-safe arithmetic and
// returns the stride.
func checkRegionOptions(g *lattice.Geometry, block []int, opts *RegionOptions) ([]int, error) {
	dim, ext := g.Dim(), g.Extents()
	if len(block) != dim {
		return nil, fmt.Errorf("rsmi: block %v has %d axes, geometry has %d", block, len(block), dim)
	}
	if opts.Buffer < 0 {
		return nil, fmt.Errorf("rsmi: buffer width %d is negative", opts.Buffer)
	}
	if opts.Env < 1 {
		return nil, fmt.Errorf("rsmi: environment width %d is smaller than 1", opts.Env)
	}
	for a, b := range block {
		if b < 1 {
			return nil, fmt.Errorf("rsmi: block extent %d along axis %d is smaller than 1", b, a)
		}
		if b > ext[a] {
			return nil, fmt.Errorf("rsmi: block extent %d along axis %d is larger than the lattice (%d)", b, a, ext[a])
		}
		if w, err := boxWidth(b, opts.Buffer, 0); err != nil || w >= ext[a] {
			return nil, fmt.Errorf("rsmi: block %d plus buffer 2×%d along axis %d leaves no room for the environment in a box of %d", b, opts.Buffer, a, ext[a])
		}
		if w, err := boxWidth(b, opts.Buffer, opts.Env); err != nil || w > ext[a] {
			return nil, fmt.Errorf("rsmi: block %d + 2×(buffer %d + environment %d) along axis %d exceeds the box (%d): the environment shell would wrap onto itself", b, opts.Buffer, opts.Env, a, ext[a])
		}
	}
	stride := opts.Stride
	if stride == nil {
		return geometryPeriods(g), nil
	}
	if len(stride) != dim {
		return nil, fmt.Errorf("rsmi: stride %v has %d axes, geometry has %d", stride, len(stride), dim)
	}
	for a, s := range stride {
		if s < 1 || s > ext[a] {
			return nil, fmt.Errorf("rsmi: stride %d along axis %d outside [1,%d]", s, a, ext[a])
		}
	}
	return stride, nil
}

// boxWidth returns block + 2·(buffer + env), or an error if it overflows.
func boxWidth(block, buffer, env int) (int, error) {
	reach, err := size.Add(buffer, env)
	if err != nil {
		return 0, err
	}
	w, err := size.Mul(2, reach)
	if err != nil {
		return 0, err
	}
	return size.Add(block, w)
}

func onStride(origin, stride []int) bool {
	for a, o := range origin {
		if o%stride[a] != 0 {
			return false
		}
	}
	return true
}

// regionBuilder holds the box of block, buffer and environment around an
// origin: its offsets (x fastest) and their Chebyshev distances to the block.
type regionBuilder struct {
	g      *lattice.Geometry
	block  []int
	opts   *RegionOptions
	dim    int
	ext    []int
	offs   [][]int
	dist   []int
	ncell  int   // grid points
	coords []int // scratch
}

func newRegionBuilder(g *lattice.Geometry, block []int, opts *RegionOptions) *regionBuilder {
	b := &regionBuilder{g: g, block: block, opts: opts, dim: g.Dim(), ext: g.Extents()}
	reach := opts.Buffer + opts.Env // checked by checkRegionOptions
	box := make([]int, b.dim)
	nbox := 1
	for a := range box {
		box[a] = block[a] + 2*reach
		nbox *= box[a] // at most the number of grid points
	}
	b.offs = make([][]int, nbox)
	b.dist = make([]int, nbox)
	for k := range b.offs {
		o := make([]int, b.dim)
		rem, d := k, 0
		for a := range o {
			o[a] = rem%box[a] - reach
			rem /= box[a]
			da := 0
			if o[a] < 0 {
				da = -o[a]
			} else if o[a] >= block[a] {
				da = o[a] - block[a] + 1
			}
			d = max(d, da)
		}
		b.offs[k], b.dist[k] = o, d
	}
	b.ncell = 1
	for _, e := range b.ext {
		b.ncell *= e
	}
	b.coords = make([]int, b.dim)
	return b
}

// origin returns the grid point of cell index cell (x fastest).
func (b *regionBuilder) origin(cell int) []int {
	o := make([]int, b.dim)
	for a := range o {
		o[a] = cell % b.ext[a]
		cell /= b.ext[a]
	}
	return o
}

// pattern returns, for every offset of the box around origin, −1 for an
// empty grid point and otherwise 2·kind + (0 excluded, 1 included), so that
// only positions where every dof meets a dof of its own kind match, and
// the dofs at the offsets.
func (b *regionBuilder) pattern(origin []int, dst []int8, dofs []int32) ([]int8, []int32) {
	dst, dofs = dst[:0], dofs[:0]
	c, o := b.coords, b.opts
	for k, off := range b.offs {
		for a := range c {
			c[a] = origin[a] + off[a]
		}
		i := b.g.At(c...)
		switch {
		case i < 0:
			dst = append(dst, -1)
		case b.dist[k] == 0 && o.ExcludeV != nil && o.ExcludeV(i):
			dst = append(dst, int8(2*b.g.Kind(i)))
		case b.dist[k] > o.Buffer && o.ExcludeE != nil && o.ExcludeE(i):
			dst = append(dst, int8(2*b.g.Kind(i)))
		default:
			dst = append(dst, int8(2*b.g.Kind(i)+1))
		}
		dofs = append(dofs, int32(i))
	}
	return dst, dofs
}

// position is the dof lists of one block position.
type position struct {
	v, b, e, hidden, exclE, interior []int32
}

// classify sorts the dofs of a matching pattern into V, B, E and the rest.
func (b *regionBuilder) classify(pat []int8, dofs []int32) position {
	var p position
	for k, t := range pat {
		i, d := dofs[k], b.dist[k]
		if t >= 0 && d <= b.opts.Buffer {
			p.interior = append(p.interior, i)
		}
		switch {
		case t < 0:
		case d == 0 && t%2 == 1:
			p.v = append(p.v, i)
		case d == 0:
			p.hidden = append(p.hidden, i)
		case d <= b.opts.Buffer:
			p.b = append(p.b, i)
		case t%2 == 1:
			p.e = append(p.e, i)
		default:
			p.exclE = append(p.exclE, i)
		}
	}
	return p
}

// add appends a position; V and E must not be empty at the first.
func (r *Regions) add(origin []int, p position) error {
	if len(r.origins) == 0 {
		if len(p.v) == 0 {
			return errors.New("rsmi: the visible block V holds no degree of freedom at origin 0")
		}
		if len(p.e) == 0 {
			return errors.New("rsmi: the environment E holds no degree of freedom at origin 0")
		}
	}
	r.origins = append(r.origins, origin)
	r.v = append(r.v, p.v)
	r.b = append(r.b, p.b)
	r.e = append(r.e, p.e)
	r.hiddenBlock = append(r.hiddenBlock, p.hidden)
	r.exclE = append(r.exclE, p.exclE)
	r.interior = append(r.interior, p.interior)
	return nil
}

// Geometry returns the geometry the regions live on.
func (r *Regions) Geometry() *lattice.Geometry { return r.geom }

// NumPositions returns the number of block positions.
func (r *Regions) NumPositions() int { return len(r.origins) }

// Origin returns the grid coordinates of the block origin at position p
// (nil if p is not in [0, NumPositions())).
func (r *Regions) Origin(p int) []int {
	if !r.valid(p) {
		return nil
	}
	return append([]int(nil), r.origins[p]...)
}

// valid reports whether p is a block position.
func (r *Regions) valid(p int) bool { return p >= 0 && p < len(r.origins) }

// at returns lists[p], or nil if p is not a position.
func (r *Regions) at(lists [][]int32, p int) []int32 {
	if !r.valid(p) {
		return nil
	}
	return lists[p]
}

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

// The dof lists of a position below alias internal storage: do not modify
// them. Each is nil if p is not in [0, NumPositions()): the calls that take
// positions from users (PairsAt, OracleOptions.Positions) return errors
// naming a bad one.

// V returns the visible dofs at position p.
func (r *Regions) V(p int) []int32 { return r.at(r.v, p) }

// B returns the buffer dofs at position p.
func (r *Regions) B(p int) []int32 { return r.at(r.b, p) }

// E returns the environment dofs at position p.
func (r *Regions) E(p int) []int32 { return r.at(r.e, p) }

// Hidden returns the dofs of the block excluded from V at position p.
func (r *Regions) Hidden(p int) []int32 { return r.at(r.hiddenBlock, p) }

// Interior returns the dofs of the block (in V or not) and of the buffer at
// position p, in the order of their offsets from the origin, x fastest.
func (r *Regions) Interior(p int) []int32 { return r.at(r.interior, p) }

// ExcludedE returns the dofs of the environment shell excluded from E at
// position p.
func (r *Regions) ExcludedE(p int) []int32 { return r.at(r.exclE, p) }

// Pairs extracts (V,E) pairs from every sample of ds at every block
// position: pair k = sample·NumPositions() + position. The pairs' States are
// ds.States. It returns an error if ds is malformed (its Data shorter than
// N·D, say), if its geometry differs from the regions', if a value lies
// outside ds.States (nil: ±1), or if the pairs would exceed the memory
// budget.
func (r *Regions) Pairs(ds *sample.Dataset) (*Pairs, error) {
	return r.PairsAt(ds, nil)
}

// PairsAt is Pairs restricted to the given positions (nil means all), pair
// k = sample·len(positions) + index in positions.
func (r *Regions) PairsAt(ds *sample.Dataset, positions []int) (*Pairs, error) {
	positions, err := r.checkPositions(positions)
	if err != nil {
		return nil, err
	}
	if err := r.checkDataset(ds); err != nil {
		return nil, err
	}
	total, err := size.Mul(ds.N, len(positions))
	if err != nil {
		return nil, fmt.Errorf("rsmi: %d samples × %d positions: %w", ds.N, len(positions), err)
	}
	return r.spread(ds, positions, total)
}

// SpreadPairs subsamples n (V,E) pairs of ds, spread over all its samples
// and over the lattice: it draws ⌈n/N⌉ block positions at random with src
// (at most all of them; the same positions in every sample), cuts the pairs
// at these positions from every sample as PairsAt does, and keeps n of them
// evenly spaced in that order, or all of them if there are fewer. It
// returns the pairs and the positions. The exact oracle averages over the
// same pairs when given OracleOptions{Positions: positions, MaxPairs: p.N}.
//
// Using every sample (rather than all positions of the first samples)
// matters: consecutive samples of a Markov chain are correlated, and a
// dataset of several chains in an ordered phase holds one ordered state per
// chain.
func (r *Regions) SpreadPairs(ds *sample.Dataset, n int, src rand.Source) (p *Pairs, positions []int, err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("rsmi: SpreadPairs of %d pairs, want at least 1", n)
	}
	if src == nil {
		return nil, nil, errors.New("rsmi: SpreadPairs needs a random source")
	}
	if err := r.checkDataset(ds); err != nil {
		return nil, nil, err
	}
	per := n / ds.N
	if n%ds.N != 0 {
		per++
	}
	per = min(per, len(r.origins))
	positions = rand.New(src).Perm(len(r.origins))[:per]
	total, err := size.Mul(ds.N, per)
	if err != nil {
		return nil, nil, fmt.Errorf("rsmi: %d samples × %d positions: %w", ds.N, per, err)
	}
	p, err = r.spread(ds, positions, min(n, total))
	if err != nil {
		return nil, nil, err
	}
	return p, positions, nil
}

// spread cuts m of the N·len(positions) pairs of ds (in the order of
// PairsAt) at the indices spreadIndex(k, N·len(positions), m).
func (r *Regions) spread(ds *sample.Dataset, positions []int, m int) (*Pairs, error) {
	nv, err := size.Elements("rsmi: visible values of the pairs", 1, m, r.nv)
	if err != nil {
		return nil, err
	}
	ne, err := size.Elements("rsmi: environment values of the pairs", 1, m, r.ne)
	if err != nil {
		return nil, err
	}
	p := &Pairs{V: make([]int8, nv), E: make([]int8, ne), N: m, NV: r.nv, NE: r.ne, States: ds.States}
	total := ds.N * len(positions)
	for k := 0; k < m; k++ {
		j := spreadIndex(k, total, m)
		row, pos := ds.Row(j/len(positions)), positions[j%len(positions)]
		dv, de := p.V[k*r.nv:(k+1)*r.nv], p.E[k*r.ne:(k+1)*r.ne]
		for i, d := range r.v[pos] {
			dv[i] = row[d]
		}
		for i, d := range r.e[pos] {
			de[i] = row[d]
		}
	}
	return p, nil
}

// checkPositions validates positions (nil means all) and returns them.
func (r *Regions) checkPositions(positions []int) ([]int, error) {
	if positions == nil {
		positions = make([]int, len(r.origins))
		for i := range positions {
			positions[i] = i
		}
	}
	if len(positions) == 0 {
		return nil, errors.New("rsmi: an empty list of positions")
	}
	for _, p := range positions {
		if p < 0 || p >= len(r.origins) {
			return nil, fmt.Errorf("rsmi: position %d outside [0,%d)", p, len(r.origins))
		}
	}
	return positions, nil
}

// checkDataset validates ds as input for the regions: its shape, its
// geometry (equal to the regions'), its alphabet and every value.
//
// INTEGRATOR: the shape and value checks belong in sample (a
// Dataset.Validate method); replace the first part when it exists.
func (r *Regions) checkDataset(ds *sample.Dataset) error {
	if ds == nil {
		return errors.New("rsmi: nil dataset")
	}
	if !r.geom.Equal(ds.Geom) {
		return fmt.Errorf("rsmi: dataset geometry (extents %v, %d dofs) does not match the regions' (extents %v, %d dofs)",
			geomExtents(ds.Geom), geomDOF(ds.Geom), r.geom.Extents(), r.geom.NumDOF())
	}
	if ds.D != r.geom.NumDOF() {
		return fmt.Errorf("rsmi: dataset has D = %d dofs per sample, its geometry %d", ds.D, r.geom.NumDOF())
	}
	if ds.N < 1 {
		return fmt.Errorf("rsmi: dataset has N = %d samples", ds.N)
	}
	if n, err := size.Mul(ds.N, ds.D); err != nil || len(ds.Data) < n {
		return fmt.Errorf("rsmi: dataset of N = %d samples of D = %d dofs holds only %d values", ds.N, ds.D, len(ds.Data))
	}
	if err := checkAlphabet(ds.States); err != nil {
		return err
	}
	if i := lattice.Outside(ds.Data[:ds.N*ds.D], ds.States); i >= 0 {
		return fmt.Errorf("rsmi: dataset value %d of sample %d at dof %d is not %s", ds.Data[i], i/ds.D, i%ds.D, describeStates(ds.States))
	}
	return nil
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
