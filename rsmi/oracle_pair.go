package rsmi

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/rsmi-go/rsmi/lattice"
)

// PairModel is an optional interface of a lattice.Model whose energy has
// single-dof and pair terms of one shape,
//
//	H(x) = Σ_i u(x_i) − Σ_(i,j) K_ij S(x_i, x_j),
//
// u and S functions of the values' positions in the model's States (S
// symmetric): the Ising model (S(s, s') = s s'), the Potts model (S = δ, u
// = −h δ(σ, 0)), spin 1 and the Blume–Capel model (S(s, s') = s s', u(s) =
// D s²). NewExactOracle sums the buffer of such a model out dof by dof,
// which is fast where enumerating block and buffer is not: a 2×2 block with
// a buffer of width 1 has 16 dofs, 3^16 ≈ 4.3·10^7 configurations for spin
// 1. lattice.Ising with pair couplings and lattice.Potts take this path
// without implementing the interface.
type PairModel interface {
	// PairTerms returns the bonds (I ≠ J, coupling K; a pair listed several
	// times has the sum of their couplings), S as a q×q matrix over state
	// positions (row-major) and u as q energies. They must give the
	// model's energy up to a constant: NewExactOracle checks them against
	// DeltaE on the data and refuses a model whose terms do not match.
	PairTerms() (bonds []lattice.Bond, shape, site []float64)
}

// pairGraph is a model of the PairModel form: the adjacency of every dof
// with its couplings, the alphabet, S and u. The ±1 models with S = s s'
// and u = 0 (pair-coupled Ising models) also have the independent-set path
// (split, cond), the others the elimination path (plan) only.
type pairGraph struct {
	start  []int32 // adjacency of each dof: nbr[start[i]:start[i+1]]
	nbr    []int32
	j      []float64
	q      int
	states []int8
	index  [256]int8 // value → position in states
	shape  []float64 // q×q: S(a, b)
	site   []float64 // q: u(a)
	ising  bool
}

func newPairGraph(n int, bonds []lattice.Bond, states []int8, shape, site []float64) *pairGraph {
	deg := make([]int32, n+1)
	for _, b := range bonds {
		deg[b.I+1]++
		deg[b.J+1]++
	}
	for i := 1; i <= n; i++ {
		deg[i] += deg[i-1]
	}
	g := &pairGraph{start: deg, nbr: make([]int32, deg[n]), j: make([]float64, deg[n]),
		q: len(states), states: states, shape: shape, site: site}
	for i, x := range states {
		g.index[uint8(x)] = int8(i)
	}
	g.ising = slices.Equal(states, spinStates) && slices.Equal(shape, []float64{1, -1, -1, 1}) && site[0] == 0 && site[1] == 0
	fill := append([]int32(nil), deg[:n]...)
	for _, b := range bonds {
		g.nbr[fill[b.I]], g.j[fill[b.I]] = b.J, b.K
		fill[b.I]++
		g.nbr[fill[b.J]], g.j[fill[b.J]] = b.I, b.K
		fill[b.J]++
	}
	return g
}

// pairGraphOf returns the pair form of m on n dofs, or nil if m has none
// (and an error if m is a PairModel with invalid terms).
func pairGraphOf(m lattice.Model, n int) (*pairGraph, error) {
	switch mm := m.(type) {
	case *lattice.Ising:
		if bonds, ok := mm.PairCouplings(); ok {
			return newPairGraph(n, bonds, spinStates, []float64{1, -1, -1, 1}, []float64{0, 0}), nil
		}
		return nil, nil
	case *lattice.Potts:
		return pottsGraph(mm), nil
	case PairModel:
		bonds, shape, site := mm.PairTerms()
		states := m.States()
		if err := checkPairTerms(n, bonds, states, shape, site); err != nil {
			return nil, err
		}
		return newPairGraph(n, bonds, slices.Clone(states), slices.Clone(shape), slices.Clone(site)), nil
	}
	return nil, nil
}

// pottsGraph is the pair form of the Potts model: S = δ, u(a) = −h δ(a, 0).
func pottsGraph(m *lattice.Potts) *pairGraph {
	l, q := m.Lattice(), m.Q()
	nbr := l.NeighborTable()
	z := len(nbr) / l.N()
	var bonds []lattice.Bond
	for i := 0; i < l.N(); i++ {
		for _, j := range nbr[i*z : (i+1)*z] {
			if int32(i) < j {
				bonds = append(bonds, lattice.Bond{I: int32(i), J: j, K: m.J()})
			}
		}
	}
	shape := make([]float64, q*q)
	for a := 0; a < q; a++ {
		shape[a*q+a] = 1
	}
	site := make([]float64, q)
	site[0] = -m.Field()
	return newPairGraph(l.N(), bonds, m.States(), shape, site)
}

// checkPairTerms validates the terms of a PairModel with the alphabet
// states on n dofs.
func checkPairTerms(n int, bonds []lattice.Bond, states []int8, shape, site []float64) error {
	q := len(states)
	if len(shape) != q*q || len(site) != q {
		return fmt.Errorf("rsmi: PairTerms gives S of %d entries and u of %d for %d states, want %d and %d", len(shape), len(site), q, q*q, q)
	}
	if i := nonFinite(shape); i >= 0 {
		return fmt.Errorf("rsmi: PairTerms: S entry %d is %v", i, shape[i])
	}
	if i := nonFinite(site); i >= 0 {
		return fmt.Errorf("rsmi: PairTerms: u entry %d is %v", i, site[i])
	}
	for a := 0; a < q; a++ {
		for b := 0; b < a; b++ {
			if shape[a*q+b] != shape[b*q+a] {
				return fmt.Errorf("rsmi: PairTerms: S is not symmetric (S(%d,%d) = %v, S(%d,%d) = %v)", a, b, shape[a*q+b], b, a, shape[b*q+a])
			}
		}
	}
	for k, b := range bonds {
		if b.I < 0 || b.J < 0 || int(b.I) >= n || int(b.J) >= n || b.I == b.J || math.IsNaN(b.K) || math.IsInf(b.K, 0) {
			return fmt.Errorf("rsmi: PairTerms: bond %d (%d, %d, K = %v) is not a finite coupling of two dofs in [0, %d)", k, b.I, b.J, b.K, n)
		}
	}
	return nil
}

// deltaE returns the energy change of setting dof d of x to v under the
// pair terms.
func (g *pairGraph) deltaE(x []int8, d int32, v int8) float64 {
	a, b := int(g.index[uint8(x[d])]), int(g.index[uint8(v)])
	de := g.site[b] - g.site[a]
	for e := g.start[d]; e < g.start[d+1]; e++ {
		o := int(g.index[uint8(x[g.nbr[e]])])
		de -= g.j[e] * (g.shape[b*g.q+o] - g.shape[a*g.q+o])
	}
	return de
}

// verify compares the pair terms with the model's DeltaE for every value
// of the dofs in dofs of configuration x.
func (g *pairGraph) verify(m lattice.Model, x []int8, dofs []int32) error {
	for _, d := range dofs {
		for _, v := range g.states {
			want := m.DeltaE(x, int(d), v)
			got := g.deltaE(x, d, v)
			if math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
				return fmt.Errorf("rsmi: the model's PairTerms give ΔE = %v for dof %d set to %d, its DeltaE %v", got, d, v, want)
			}
		}
	}
	return nil
}

// split returns the dofs the independent-set path enumerates (V first) and
// the independent set it sums out analytically, chosen greedily among the
// block dofs outside V and the buffer, in region order.
func (g *pairGraph) split(r *Regions, p int) (rest, indep []int32) {
	rest = append(rest, r.V(p)...)
	inI := make(map[int32]bool)
	for _, list := range [][]int32{r.Hidden(p), r.B(p)} {
		for _, d := range list {
			free := true
			for e := g.start[d]; e < g.start[d+1]; e++ {
				if inI[g.nbr[e]] {
					free = false
					break
				}
			}
			if free {
				inI[d] = true
				indep = append(indep, d)
			} else {
				rest = append(rest, d)
			}
		}
	}
	return rest, indep
}

// cond is oracleCond for H = −Σ K_ij s_i s_j (pair-coupled Ising models).
// Dofs of the buffer (and of the block outside V) that form an independent
// set I of the coupling graph are summed out analytically, each giving
// 2cosh(β f_i) with f_i its local field; the remaining dofs R are
// enumerated along a Gray code, with local fields updated incrementally.
func (g *pairGraph) cond(T float64, r *Regions, p int, row []int8, out []float64) {
	rest, indep := g.split(r, p)
	posR := make(map[int32]int32, len(rest))
	for k, d := range rest {
		posR[d] = int32(k)
	}
	posI := make(map[int32]int32, len(indep))
	for k, d := range indep {
		posI[d] = int32(k)
	}
	beta := 1 / T
	type edge struct {
		k int32
		j float64
	}
	nr := len(rest)
	adjR := make([][]edge, nr) // R–R couplings (β-scaled)
	adjI := make([][]edge, nr) // R–I couplings
	fieldR := make([]float64, nr)
	fieldI := make([]float64, len(indep))
	spin := make([]int8, nr)
	for k := range rest {
		spin[k] = -1
	}
	for k, d := range rest {
		for e := g.start[d]; e < g.start[d+1]; e++ {
			o, J := g.nbr[e], beta*g.j[e]
			if kk, in := posR[o]; in {
				adjR[k] = append(adjR[k], edge{kk, J})
				fieldR[k] -= J
			} else if ki, in := posI[o]; in {
				adjI[k] = append(adjI[k], edge{ki, J})
			} else {
				fieldR[k] += J * float64(row[o])
			}
		}
	}
	for k, d := range indep {
		for e := g.start[d]; e < g.start[d+1]; e++ {
			o, J := g.nbr[e], beta*g.j[e]
			if _, in := posR[o]; in {
				fieldI[k] -= J
			} else {
				fieldI[k] += J * float64(row[o])
			}
		}
	}
	var lw float64 // log weight relative to the energy of R all −1
	for _, f := range fieldI {
		lw += logCosh2(f)
	}
	for i := range out {
		out[i] = 0
	}
	vmask := len(out) - 1
	shift := lw
	out[0] = 1
	gray := 0
	for k := 1; k < 1<<nr; k++ {
		b := bits.TrailingZeros(uint(k))
		s := float64(spin[b])
		lw -= 2 * s * fieldR[b]
		spin[b] = -spin[b]
		for _, e := range adjR[b] {
			fieldR[e.k] -= 2 * s * e.j
		}
		for _, e := range adjI[b] {
			old := fieldI[e.k]
			nf := old - 2*s*e.j
			fieldI[e.k] = nf
			lw += logCosh2(nf) - logCosh2(old)
		}
		gray ^= 1 << b
		if lw-shift > 30 {
			f := math.Exp(shift - lw)
			for i := range out {
				out[i] *= f
			}
			shift = lw
		}
		out[gray&vmask] += math.Exp(lw - shift)
	}
}

// elimPlan sums a pair model's block and buffer out dof by dof, keeping a
// table over the frontier: V (always) and the summed-in dofs still coupled
// to dofs not yet added. Table entries are indexed by the frontier's state
// positions in base q, the first frontier dof fastest, so that the final
// table over V is indexed as Exact's block states.
type elimPlan struct {
	nv    int
	dofs  []int32     // U dofs: V first, then the others in raster order
	ext   [][]edgeExt // per U dof: couplings to fixed dofs (unscaled K)
	vv    []edgeVV    // couplings inside V
	steps []elimStep
	maxF  int     // largest frontier
	cost  float64 // Σ table sizes
}

type edgeExt struct {
	dof int32
	j   float64
}

type edgeVV struct {
	a, b int
	j    float64
}

type elimStep struct {
	k      int       // U index of the added dof
	pos    []int     // frontier positions it couples to
	j      []float64 // and the couplings
	remove []int     // frontier positions summed out after adding it, descending
}

// coupling returns the total coupling between dofs a and b.
func (g *pairGraph) coupling(a, b int32) (float64, bool) {
	var k float64
	found := false
	for e := g.start[a]; e < g.start[a+1]; e++ {
		if g.nbr[e] == b {
			k += g.j[e]
			found = true
		}
	}
	return k, found
}

// plan lays out the elimination of the block and buffer at position p.
func (g *pairGraph) plan(r *Regions, p int) *elimPlan {
	v := r.V(p)
	inV := make(map[int32]int, len(v))
	for i, d := range v {
		inV[d] = i
	}
	dofs := append([]int32(nil), v...)
	for _, d := range r.Interior(p) {
		if _, ok := inV[d]; !ok {
			dofs = append(dofs, d)
		}
	}
	uidx := make(map[int32]int, len(dofs))
	for k, d := range dofs {
		uidx[d] = k
	}
	pl := &elimPlan{nv: len(v), dofs: dofs, ext: make([][]edgeExt, len(dofs))}
	pending := make([]int, len(dofs)) // U-neighbours outside V not yet added, per U dof
	for k, d := range dofs {
		for e := g.start[d]; e < g.start[d+1]; e++ {
			kk, in := uidx[g.nbr[e]]
			switch {
			case !in:
				pl.ext[k] = append(pl.ext[k], edgeExt{g.nbr[e], g.j[e]})
			case k < pl.nv && kk < pl.nv && k < kk:
				pl.vv = append(pl.vv, edgeVV{k, kk, g.j[e]})
			}
			if in && kk >= pl.nv {
				pending[k]++
			}
		}
	}
	frontier := make([]int, pl.nv) // U indices
	for i := range frontier {
		frontier[i] = i
	}
	pl.maxF = pl.nv
	for k := pl.nv; k < len(dofs); k++ {
		st := elimStep{k: k}
		for fp, fk := range frontier {
			if J, ok := g.coupling(dofs[k], dofs[fk]); ok {
				st.pos = append(st.pos, fp)
				st.j = append(st.j, J)
			}
		}
		frontier = append(frontier, k)
		pl.maxF = max(pl.maxF, len(frontier))
		pl.cost += math.Pow(float64(g.q), float64(len(frontier)))
		d := dofs[k]
		for e := g.start[d]; e < g.start[d+1]; e++ {
			if kk, in := uidx[g.nbr[e]]; in {
				pending[kk]--
			}
		}
		for fp := len(frontier) - 1; fp >= pl.nv; fp-- {
			if pending[frontier[fp]] == 0 {
				st.remove = append(st.remove, fp)
				frontier = append(frontier[:fp], frontier[fp+1:]...)
			}
		}
		pl.steps = append(pl.steps, st)
	}
	return pl
}

// elimScratch is one worker's working memory for elimPlan.cond.
type elimScratch struct {
	cur, nxt []float64
	phi, fac []float64
	digits   []int
	wpos     []int
}

// ipow returns q^k for small results.
func ipow(q, k int) int {
	n := 1
	for ; k > 0; k-- {
		n *= q
	}
	return n
}

// cond writes the unnormalized P(v|e) for the environment in row into out.
func (pl *elimPlan) cond(g *pairGraph, T float64, row []int8, sc *elimScratch, out []float64) {
	beta, q := 1/T, g.q
	size := ipow(q, pl.maxF)
	if len(sc.cur) < size {
		sc.cur, sc.nxt = make([]float64, size), make([]float64, size)
		sc.digits, sc.wpos = make([]int, pl.maxF), make([]int, pl.maxF)
	}
	n, F := pl.initial(g, beta, row, sc), pl.nv // q^F table entries
	for _, st := range pl.steps {
		pl.add(g, st, beta, row, sc, F)
		n, F = n*q, F+1
		for _, p := range st.remove {
			sumOut(sc, n, q, p)
			n, F = n/q, F-1
		}
		var m float64
		for _, w := range sc.cur[:n] {
			m = max(m, w)
		}
		if m > 1e100 || m < 1e-100 {
			for x := range sc.cur[:n] {
				sc.cur[x] /= m
			}
		}
	}
	copy(out, sc.cur[:n])
}

// phi writes the log-weights −β u(a) + β Σ K S(a, x_o) of U dof k given
// its fixed neighbours into dst (length q).
func (pl *elimPlan) phi(g *pairGraph, k int, beta float64, row []int8, dst []float64) {
	q := g.q
	for a := range dst {
		dst[a] = -beta * g.site[a]
	}
	for _, e := range pl.ext[k] {
		b := int(g.index[uint8(row[e.dof])])
		for a := range dst {
			dst[a] += beta * e.j * g.shape[a*q+b]
		}
	}
}

// initial fills sc.cur with the weights of the q^nv states of V given the
// environment and returns q^nv.
func (pl *elimPlan) initial(g *pairGraph, beta float64, row []int8, sc *elimScratch) int {
	q, nv := g.q, pl.nv
	if cap(sc.phi) < nv*q {
		sc.phi = make([]float64, nv*q)
	}
	phi := sc.phi[:nv*q]
	for i := 0; i < nv; i++ {
		pl.phi(g, i, beta, row, phi[i*q:(i+1)*q])
	}
	n := ipow(q, nv)
	d := sc.digits[:nv]
	clear(d)
	mx := math.Inf(-1)
	for x := 0; x < n; x++ {
		var l float64
		for i, a := range d {
			l += phi[i*q+a]
		}
		for _, e := range pl.vv {
			l += beta * e.j * g.shape[d[e.a]*q+d[e.b]]
		}
		sc.cur[x] = l
		mx = max(mx, l)
		for i := range d {
			if d[i]++; d[i] < q {
				break
			}
			d[i] = 0
		}
	}
	for x := 0; x < n; x++ {
		sc.cur[x] = math.Exp(sc.cur[x] - mx)
	}
	return n
}

// add appends the step's dof to the frontier of F dofs of the table in
// sc.cur (q^F entries; the result, q^(F+1) entries, in sc.cur).
func (pl *elimPlan) add(g *pairGraph, st elimStep, beta float64, row []int8, sc *elimScratch, F int) {
	q, m := g.q, len(st.pos)
	nsub := ipow(q, m)
	if cap(sc.fac) < q*nsub+q {
		sc.fac = make([]float64, q*nsub+q)
	}
	phi := sc.fac[q*nsub : q*nsub+q]
	pl.phi(g, st.k, beta, row, phi)
	fac := sc.fac[:q*nsub]
	mx := math.Inf(-1)
	for sub := 0; sub < nsub; sub++ {
		for a := 0; a < q; a++ {
			l, r := phi[a], sub
			for c := range st.pos {
				l += beta * st.j[c] * g.shape[a*q+r%q]
				r /= q
			}
			fac[sub*q+a] = l
			mx = max(mx, l)
		}
	}
	for i := range fac {
		fac[i] = math.Exp(fac[i] - mx)
	}
	n := ipow(q, F)
	d, w := sc.digits[:F], sc.wpos[:F]
	clear(d)
	clear(w)
	for c, p := range st.pos {
		w[p] = ipow(q, c)
	}
	cur, nxt := sc.cur, sc.nxt
	sub := 0
	for x := 0; x < n; x++ {
		cx, fr := cur[x], fac[sub*q:sub*q+q]
		for a, f := range fr {
			nxt[x+a*n] = cx * f
		}
		for p := range d {
			d[p]++
			sub += w[p]
			if d[p] < q {
				break
			}
			d[p] = 0
			sub -= q * w[p]
		}
	}
	sc.cur, sc.nxt = nxt, cur
}

// sumOut sums frontier position p out of the table of n entries in sc.cur
// (the result, n/q entries, in sc.cur).
func sumOut(sc *elimScratch, n, q, p int) {
	stride := ipow(q, p)
	blocks := n / (stride * q)
	cur, nxt := sc.cur, sc.nxt
	for hi := 0; hi < blocks; hi++ {
		for lo := 0; lo < stride; lo++ {
			base := hi*stride*q + lo
			var s float64
			for a := 0; a < q; a++ {
				s += cur[base+a*stride]
			}
			nxt[hi*stride+lo] = s
		}
	}
	sc.cur, sc.nxt = nxt, cur
}
