package lattice

import (
	"errors"
	"fmt"
	"math"
)

// Link directions of the square lattice, for Dimer.LinkIndex.
const (
	DimerRight = 0 // the link from site (x, y) to (x+1, y)
	DimerUp    = 1 // the link from site (x, y) to (x, y+1)
)

// maxDimerL bounds L so that the doubled grid (2L)² fits in an int32 index.
const maxDimerL = 16384

// DimerOptions configures NewDimer. The zero value is the non-interacting
// close-packed dimer model without noise spins.
type DimerOptions struct {
	// V is the aligned-plaquette interaction: the energy is V times the
	// number of flippable plaquettes (plaquettes holding two parallel
	// dimers), E = V·N_flippable, as in Alet et al. (2005). V < 0 favours
	// columnar order, V > 0 the staggered phase. It must be finite.
	V float64
	// NoiseSpins appends one ±1 spin per site and one per face to the
	// degrees of freedom. They carry no energy (independent fair coins),
	// as the auxiliary noise variables of the RSMI dimer study.
	NoiseSpins bool
}

// Dimer is the model of close-packed hard-core dimers on the L×L square
// torus (L even): every site is covered by exactly one dimer, a dimer
// occupying one link (Fisher–Stephenson 1963, Rokhsar–Kivelson 1988). With
// V ≠ 0 each flippable plaquette costs V (Alet et al. 2005),
//
//	E = V · N_flippable,
//
// and a configuration has weight exp(−E/T); at V = 0 all coverings are
// equally likely.
//
// # Degrees of freedom
//
// The dofs are the 2L² links: link index 2·s + d for site s = x + L·y and
// direction d (DimerRight = 0, DimerUp = 1), i.e. for each site in x-fastest
// order its right link, then its up link. A link holds +1 if a dimer occupies
// it and −1 if it is empty. With NoiseSpins the L² site spins follow (index
// 2L² + s) and then the L² face spins (index 3L² + s, the face whose lower-left
// corner is site s), each ±1.
//
// The geometry is the doubled grid of extents (2L, 2L): site (x, y) sits at
// (2x, 2y), its right link at (2x+1, 2y), its up link at (2x, 2y+1) and the
// face above-right of it at (2x+1, 2y+1).
//
// # Electric field and winding numbers
//
// The square lattice is bipartite: site (x, y) is on sublattice A if x+y is
// even, on B otherwise. Each link carries the electric field E = +3/4 if it
// holds a dimer and −1/4 if empty, oriented from its A end to its B end, so
// that the field is divergence-free on every close-packed configuration
// (Huse et al. 2003; Alet et al. 2006). ElectricField returns the component
// along +x (right links) or +y (up links). The winding numbers are the fluxes
// through a vertical and a horizontal cut,
//
//	Wx = Σ_y E_x(0, y),   Wy = Σ_x E_y(x, 0),
//
// over the right links of the sites with x = 0 and the up links of the sites
// with y = 0. Because the field is divergence-free, the flux is the same
// through every vertical (horizontal) cut; the −1/4 offsets cancel since L is
// even, so Wx = Σ_y (−1)^y n_right(0, y) is an integer in [−L/2, L/2].
// Local plaquette flips conserve (Wx, Wy); only loops winding around the
// torus change them. The columnar states have W = (0, 0), the staggered state
// of StaggeredConfig has W = (L/2, 0).
//
// # Sampling
//
// Energy is +Inf on configurations that violate the hard-core or
// close-packing constraint, so DeltaE of any single link change is +Inf on a
// valid configuration: generic single-dof samplers (Metropolis, heat bath)
// never move the dimers. Use sample.DimerLoop.
//
// Dimer implements Model and Ranged. It is immutable; share it freely.
//
// References: M. E. Fisher and J. Stephenson, Phys. Rev. 132, 1411 (1963);
// D. S. Rokhsar and S. A. Kivelson, Phys. Rev. Lett. 61, 2376 (1988);
// F. Alet, J. L. Jacobsen, G. Misguich, V. Pasquier, F. Mila and M. Troyer,
// Phys. Rev. Lett. 94, 235702 (2005); F. Alet, Y. Ikhlef, J. L. Jacobsen,
// G. Misguich and V. Pasquier, Phys. Rev. E 74, 041124 (2006); D. A. Huse,
// W. Krauth, R. Moessner and S. L. Sondhi, Phys. Rev. Lett. 91, 167004
// (2003); A. W. Sandvik and R. Moessner, Phys. Rev. B 73, 144504 (2006).
type Dimer struct {
	l     int
	v     float64
	noise bool
	nlink int
	geom  *Geometry
	// ends[2ℓ], ends[2ℓ+1]: the sites at the start and end of link ℓ.
	ends []int32
	// plaq[4p..4p+3]: bottom, top, left, right links of plaquette p (lower-left corner site p).
	plaq []int32
}

// NewDimer returns the dimer model on the L×L torus. L must be even (odd L
// has no close-packed covering) and at least 2.
func NewDimer(L int, opts DimerOptions) (*Dimer, error) {
	if L < 2 {
		return nil, fmt.Errorf("lattice: dimer lattice size L = %d is smaller than 2", L)
	}
	if L%2 != 0 {
		return nil, fmt.Errorf("lattice: dimer lattice size L = %d is odd (close packing needs an even number of sites per row)", L)
	}
	if L > maxDimerL {
		return nil, fmt.Errorf("lattice: dimer lattice size L = %d exceeds %d", L, maxDimerL)
	}
	if !finite(opts.V) {
		return nil, fmt.Errorf("lattice: dimer interaction V = %v is not finite", opts.V)
	}
	n := L * L
	m := &Dimer{l: L, v: opts.V, noise: opts.NoiseSpins, nlink: 2 * n}
	nd := 2 * n
	if m.noise {
		nd = 4 * n
	}
	coords := make([][]int, nd)
	flat := make([]int, 2*nd)
	for i := range coords {
		coords[i] = flat[2*i : 2*i+2 : 2*i+2]
	}
	m.ends = make([]int32, 2*m.nlink)
	m.plaq = make([]int32, 4*n)
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			s := x + L*y
			r, u := 2*s, 2*s+1
			coords[r][0], coords[r][1] = 2*x+1, 2*y
			coords[u][0], coords[u][1] = 2*x, 2*y+1
			m.ends[2*r], m.ends[2*r+1] = int32(s), int32(m.site(x+1, y))
			m.ends[2*u], m.ends[2*u+1] = int32(s), int32(m.site(x, y+1))
			m.plaq[4*s] = int32(r)
			m.plaq[4*s+1] = int32(2 * m.site(x, y+1))
			m.plaq[4*s+2] = int32(u)
			m.plaq[4*s+3] = int32(2*m.site(x+1, y) + 1)
			if m.noise {
				coords[2*n+s][0], coords[2*n+s][1] = 2*x, 2*y
				coords[3*n+s][0], coords[3*n+s][1] = 2*x+1, 2*y+1
			}
		}
	}
	g, err := NewGeometry([]int{2 * L, 2 * L}, coords)
	if err != nil {
		return nil, err
	}
	// kinds: right link 0, up link 1, site spin 2, face spin 3
	kinds := make([]int, len(coords))
	for i := range kinds {
		switch {
		case i < 2*n:
			kinds[i] = i % 2
		case i < 3*n:
			kinds[i] = 2
		default:
			kinds[i] = 3
		}
	}
	if g, err = g.WithKinds(kinds); err != nil {
		return nil, err
	}
	m.geom = g
	return m, nil
}

func (m *Dimer) site(x, y int) int {
	L := m.l
	x %= L
	if x < 0 {
		x += L
	}
	y %= L
	if y < 0 {
		y += L
	}
	return x + L*y
}

// L returns the linear size of the torus.
func (m *Dimer) L() int { return m.l }

// V returns the aligned-plaquette interaction.
func (m *Dimer) V() float64 { return m.v }

// NoiseSpins reports whether site and face noise spins are part of the dofs.
func (m *Dimer) NoiseSpins() bool { return m.noise }

// NumLinks returns the number of links, 2L²; links are dofs 0 … NumLinks()−1.
func (m *Dimer) NumLinks() int { return m.nlink }

// NumSites returns the number of sites, L².
func (m *Dimer) NumSites() int { return m.l * m.l }

// Geometry implements Model.
func (m *Dimer) Geometry() *Geometry { return m.geom }

// States implements Model: {−1, +1} (empty, occupied for links).
func (m *Dimer) States() []int8 { return []int8{-1, 1} }

// Range implements Ranged: 2 in doubled-grid units (the hard-core constraint
// couples the links at a site, the interaction the links of a plaquette).
func (m *Dimer) Range() int { return 2 }

// LinkIndex returns the dof index of the link leaving site (x, y) (wrapped
// periodically) in direction dir (DimerRight or DimerUp).
func (m *Dimer) LinkIndex(x, y, dir int) int {
	if dir != DimerRight && dir != DimerUp {
		panic(fmt.Sprintf("lattice: dimer link direction %d", dir))
	}
	return 2*m.site(x, y) + dir
}

// Link returns the site (x, y) a link starts from and its direction.
func (m *Dimer) Link(i int) (x, y, dir int) {
	if i < 0 || i >= m.nlink {
		panic(fmt.Sprintf("lattice: dimer link %d outside [0,%d)", i, m.nlink))
	}
	s := i / 2
	return s % m.l, s / m.l, i % 2
}

// LinkSites returns the sites (index x + L·y) at the two ends of link i: a is
// the site the link starts from, b = a + x̂ or a + ŷ.
func (m *Dimer) LinkSites(i int) (a, b int) {
	if i < 0 || i >= m.nlink {
		panic(fmt.Sprintf("lattice: dimer link %d outside [0,%d)", i, m.nlink))
	}
	return int(m.ends[2*i]), int(m.ends[2*i+1])
}

// PlaquetteLinks returns the bottom, top, left and right links of the
// plaquette whose lower-left corner is site s = x + L·y.
func (m *Dimer) PlaquetteLinks(s int) (bottom, top, left, right int) {
	if s < 0 || 4*s >= len(m.plaq) {
		panic(fmt.Sprintf("lattice: dimer plaquette %d outside [0,%d)", s, len(m.plaq)/4))
	}
	p := m.plaq[4*s : 4*s+4 : 4*s+4]
	return int(p[0]), int(p[1]), int(p[2]), int(p[3])
}

// SiteSpinIndex returns the dof index of the noise spin on site (x, y), or −1
// without noise spins.
func (m *Dimer) SiteSpinIndex(x, y int) int {
	if !m.noise {
		return -1
	}
	return m.nlink + m.site(x, y)
}

// FaceSpinIndex returns the dof index of the noise spin on the face whose
// lower-left corner is site (x, y), or −1 without noise spins.
func (m *Dimer) FaceSpinIndex(x, y int) int {
	if !m.noise {
		return -1
	}
	return m.nlink + m.l*m.l + m.site(x, y)
}

func (m *Dimer) check(x []int8) {
	if len(x) != m.geom.NumDOF() {
		panic(fmt.Sprintf("lattice: dimer configuration of length %d, want %d", len(x), m.geom.NumDOF()))
	}
}

// Valid returns nil if x is a close-packed hard-core dimer configuration
// (every link and noise spin ±1, every site touched by exactly one occupied
// link), and otherwise an error naming the first offending dof or site.
func (m *Dimer) Valid(x []int8) error {
	if len(x) != m.geom.NumDOF() {
		return fmt.Errorf("lattice: dimer configuration of length %d, want %d", len(x), m.geom.NumDOF())
	}
	for i, v := range x {
		if v != 1 && v != -1 {
			return fmt.Errorf("lattice: dimer dof %d has value %d, want ±1", i, v)
		}
	}
	deg := make([]int8, m.l*m.l)
	for i := 0; i < m.nlink; i++ {
		if x[i] == 1 {
			deg[m.ends[2*i]]++
			deg[m.ends[2*i+1]]++
		}
	}
	for s, d := range deg {
		if d != 1 {
			return fmt.Errorf("lattice: dimer site (%d,%d) is touched by %d dimers, want 1", s%m.l, s/m.l, d)
		}
	}
	return nil
}

// Flippable returns the number of flippable plaquettes of x: plaquettes whose
// bottom and top links, or whose left and right links, are both occupied.
// (On a valid configuration a plaquette cannot be both.)
func (m *Dimer) Flippable(x []int8) int {
	m.check(x)
	nf := 0
	for p := 0; p < len(m.plaq); p += 4 {
		if x[m.plaq[p]] == 1 && x[m.plaq[p+1]] == 1 {
			nf++
		}
		if x[m.plaq[p+2]] == 1 && x[m.plaq[p+3]] == 1 {
			nf++
		}
	}
	return nf
}

// Energy implements Model: +Inf if x violates the constraints (see Valid),
// otherwise V·Flippable(x).
func (m *Dimer) Energy(x []int8) float64 {
	m.check(x)
	if m.Valid(x) != nil {
		return math.Inf(1)
	}
	nf := m.Flippable(x)
	if m.v == 0 || nf == 0 {
		return 0 // not −0
	}
	return m.v * float64(nf)
}

// DeltaE implements Model for a valid configuration x: changing a link
// breaks the hard-core or close-packing constraint and costs +Inf; noise
// spins and unchanged values cost 0. (x is assumed valid, as every sampler
// maintains; DeltaE does not check it.)
func (m *Dimer) DeltaE(x []int8, i int, v int8) float64 {
	m.check(x)
	if v != 1 && v != -1 {
		panic(fmt.Sprintf("lattice: dimer dof value %d", v))
	}
	if x[i] == v || i >= m.nlink {
		return 0
	}
	return math.Inf(1)
}

// ElectricField returns the electric field on every link of x, written into
// dst if it has room: entry ℓ is the component along +x (right links) or +y
// (up links) of the field ±(3/4 if occupied, −1/4 if empty), with sign + when
// the link starts on sublattice A ((x+y) even).
func (m *Dimer) ElectricField(x []int8, dst []float64) []float64 {
	m.check(x)
	if cap(dst) < m.nlink {
		dst = make([]float64, m.nlink)
	}
	dst = dst[:m.nlink]
	for i := 0; i < m.nlink; i++ {
		e := -0.25
		if x[i] == 1 {
			e = 0.75
		}
		s := i / 2
		if (s%m.l+s/m.l)%2 != 0 {
			e = -e
		}
		dst[i] = e
	}
	return dst
}

// Winding returns the winding numbers (Wx, Wy): the electric flux through
// the vertical cut crossing the right links of the sites with x = 0 and
// through the horizontal cut crossing the up links of the sites with y = 0
// (see Dimer). They are integers for any configuration whose links are ±1
// and independent of the cut for valid ones.
func (m *Dimer) Winding(x []int8) (wx, wy int) {
	m.check(x)
	for y := 0; y < m.l; y++ {
		if x[2*m.l*y] == 1 {
			wx += 1 - 2*(y%2)
		}
	}
	for xx := 0; xx < m.l; xx++ {
		if x[2*xx+1] == 1 {
			wy += 1 - 2*(xx%2)
		}
	}
	return wx, wy
}

// ColumnarConfig returns a columnar covering: horizontal dimers on the right
// links of all sites with x even (N_flippable = L²/2, winding (0, 0)). Noise
// spins, if any, are +1.
func (m *Dimer) ColumnarConfig() []int8 {
	x := m.emptyConfig()
	for y := 0; y < m.l; y++ {
		for xx := 0; xx < m.l; xx += 2 {
			x[m.LinkIndex(xx, y, DimerRight)] = 1
		}
	}
	return x
}

// StaggeredConfig returns a staggered covering: horizontal dimers on the
// right links of all sublattice-A sites ((x+y) even), with no flippable
// plaquette and winding (L/2, 0). Noise spins, if any, are +1.
func (m *Dimer) StaggeredConfig() []int8 {
	x := m.emptyConfig()
	for y := 0; y < m.l; y++ {
		for xx := y % 2; xx < m.l; xx += 2 {
			x[m.LinkIndex(xx, y, DimerRight)] = 1
		}
	}
	return x
}

func (m *Dimer) emptyConfig() []int8 {
	x := make([]int8, m.geom.NumDOF())
	for i := range x {
		if i < m.nlink {
			x[i] = -1
		} else {
			x[i] = 1
		}
	}
	return x
}

var (
	_ Model  = (*Dimer)(nil)
	_ Ranged = (*Dimer)(nil)
)

var errNoDimer = errors.New("lattice: nil dimer model")

// Coverings is a helper for exact enumeration in tests and small-system
// oracles: it calls visit with every close-packed covering of the torus (noise
// spins +1), in a fixed order, reusing one slice (copy it to keep it), and
// returns the number of coverings. visit may stop the enumeration by
// returning false. The count grows like exp(0.2916·L²) (Catalan's constant
// G/π per site), so use it only for L ≤ 6 or 8.
func (m *Dimer) Coverings(visit func(x []int8) bool) (int, error) {
	if m == nil {
		return 0, errNoDimer
	}
	if m.l > 8 {
		return 0, fmt.Errorf("lattice: enumerating the dimer coverings of L = %d is too large (L ≤ 8)", m.l)
	}
	x := m.emptyConfig()
	n := m.l * m.l
	covered := make([]bool, n)
	count := 0
	stop := false
	var rec func(s int)
	rec = func(s int) {
		for s < n && covered[s] {
			s++
		}
		if s == n {
			count++
			if visit != nil && !visit(x) {
				stop = true
			}
			return
		}
		// Site s is the first uncovered site: all sites before it are
		// covered, so its dimer goes right, up, left (wrap) or down (wrap).
		xx, yy := s%m.l, s/m.l
		cands := [4][2]int{ // link, partner
			{2 * s, m.site(xx+1, yy)},
			{2*s + 1, m.site(xx, yy+1)},
			{2 * m.site(xx-1, yy), m.site(xx-1, yy)},
			{2*m.site(xx, yy-1) + 1, m.site(xx, yy-1)},
		}
		for _, c := range cands {
			if stop {
				return
			}
			ln, t := c[0], c[1]
			if covered[t] || t == s || x[ln] == 1 {
				continue
			}
			covered[s], covered[t] = true, true
			x[ln] = 1
			rec(s + 1)
			x[ln] = -1
			covered[s], covered[t] = false, false
		}
	}
	rec(0)
	return count, nil
}
