package exponent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// MCRGOptions configures MCRG and NewMCRGStream. nil, and every zero field,
// asks for the defaults.
type MCRGOptions struct {
	// B is the block side of the RG step (default 2).
	B int
	// Rule maps a block to one coarse spin (default rsmi.Majority{}; MCRG
	// only: NewMCRGStream takes its rules as an argument). Rules with
	// several outputs per block are not supported.
	Rule rsmi.Rule
	// Levels is the number of RG steps. The default is the largest number
	// for which the coarsest lattice has extents of at least 4.
	Levels int
	// FirstLevel is the first level n whose T^(n) is measured (default 1,
	// at most Levels). Operators are evaluated on levels FirstLevel−1 …
	// Levels only: FirstLevel = 2 skips level 0, which feeds only the
	// always-biased T^(1) and is 1 − 1/b^d of the evaluation work (7/8 for
	// 2×2×2 blocks). Configurations are still coarse-grained from level 0.
	FirstLevel int
	// States are the values of the dofs: nil for ±1 spins (default; MCRG
	// takes the dataset's States when this is nil), or 0 … q−1 for q-state
	// (Potts) variables, whose operators are read as clusters of equal
	// states (lattice.PottsEvenOperators) and whose rules must map blocks of
	// these states to one of them (rsmi.Plurality, a q-state
	// rsmi.SoftmaxFilter, …; tabulated over the q^(b^d) block states).
	States []int8
	// Even and Odd are the operators spanning the thermal and the magnetic
	// sector. Defaults: lattice.EvenOperators(d, n) and OddOperators(d, n)
	// with n = 4 (2 in one dimension); lattice.PottsEvenOperators(d, n) and
	// PottsOddOperators(d, n) for q-state variables. Every operator must be valid on every
	// lattice used (Operator.Validate). Either may be empty, not both.
	Even, Odd []lattice.Operator
	// NoEven and NoOdd skip a sector instead of using its default set.
	NoEven, NoOdd bool
	// Blocks is the number of contiguous blocks of configurations for the
	// jackknife (default 20, at least 2). Blocks should be much longer than
	// the autocorrelation time of the data.
	Blocks int
	// Progress, if not nil, receives Stage "exponent.MCRG", Done and Total
	// counting configurations, from the calling goroutine (MCRG only;
	// default nil).
	Progress run.ProgressFunc
}

// Truncation is the linearized RG transformation restricted to the first
// NumOps operators of one sector at one level.
type Truncation struct {
	NumOps int
	// Lambda is the leading eigenvalue of T (the one with the largest real
	// part; its real part if complex) with its jackknife standard error.
	Lambda, LambdaErr float64
	// Y = ln Lambda / ln b, the RG eigenvalue, with its jackknife error.
	Y, YErr float64
	// Eigenvalues are all eigenvalues of T from the full data, in
	// decreasing order of real part.
	Eigenvalues []complex128
}

// Nu returns ν = 1/y and its error (for the even sector, y = y_t).
func (t Truncation) Nu() (nu, err float64) { return 1 / t.Y, t.YErr / (t.Y * t.Y) }

// Eta returns η = d + 2 − 2y and its error (for the odd sector, y = y_h).
func (t Truncation) Eta(d int) (eta, err float64) { return float64(d) + 2 - 2*t.Y, 2 * t.YErr }

// MCRGLevel holds the results of T^(n), which links level n−1 (finer) with
// level n (coarser).
type MCRGLevel struct {
	// Level is n ≥ FirstLevel; level 0 is the input data.
	Level int
	// Extents are those of the level-n lattice.
	Extents []int
	// Even[k−1] and Odd[k−1] use the first k operators of each sector.
	Even, Odd []Truncation
}

// MCRGResult is the outcome of MCRG.
type MCRGResult struct {
	// B is the block side, Dim the dimension, N the number of
	// configurations and Blocks the number of jackknife blocks.
	B, Dim, N, Blocks int
	// EvenNames and OddNames name the operators of each sector, in order.
	EvenNames, OddNames []string
	// Levels holds levels FirstLevel … Levels, in order.
	Levels []MCRGLevel
}

// MCRG runs Swendsen's Monte Carlo renormalization group on ds, a set of
// equilibrium configurations of a model on lat (usually at its critical
// point). It coarse-grains every configuration opts.Levels times with
// blocks of side b and the rule, evaluates the operators S_α on every level,
// and at each level n ≥ 1 (n ≥ opts.FirstLevel) solves
//
//	Σ_α <S^(n)_γ S^(n)_α>_c T_αβ = <S^(n)_γ S^(n−1)_β>_c,   T = A⁻¹B,
//
// for the linearized transformation T_αβ = ∂K^(n)_α/∂K^(n−1)_β, separately
// for the even and the odd operators and for every truncation to the first
// k operators. Its leading eigenvalue λ gives y = ln λ / ln b: y_t in the
// even sector (ν = 1/y_t), y_h in the odd one (η = d + 2 − 2y_h). Errors are
// jackknife errors over opts.Blocks contiguous blocks of configurations.
// MCRG runs one MCRGStream over ds; use the stream directly to analyse data
// that do not fit in memory, or several rules in one pass.
//
// q-state (Potts) data, values 0 … q−1 (opts.States or the dataset's
// States), take q-state rules and operators (see MCRGOptions.States).
//
// It returns an error for invalid options, a dataset not on lat or with
// values other than its states, a singular correlation matrix or a non-positive
// leading eigenvalue.
func MCRG(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, src rand.Source, opts *MCRGOptions) (*MCRGResult, error) {
	if ds == nil || lat == nil {
		return nil, errors.New("exponent: MCRG needs a dataset and a lattice")
	}
	var o MCRGOptions
	if opts != nil {
		o = *opts
	}
	if o.States == nil {
		o.States = ds.States
	}
	if err := o.setDefaults(lat); err != nil {
		return nil, err
	}
	if !ds.Geom.Equal(lat.Geometry()) {
		return nil, fmt.Errorf("exponent: dataset geometry (extents %v) is not the lattice's (extents %v)", ds.Geom.Extents(), lat.Extents())
	}
	st, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{o.Rule}, src, &o)
	if err != nil {
		return nil, err
	}
	batch := chunkRows * 16 * runtime.GOMAXPROCS(0) // the result does not depend on it
	for lo := 0; lo < ds.N; {
		hi := min(ds.N, lo+batch)
		if err := st.Add(ctx, lo, ds.Data[lo*ds.D:hi*ds.D]); err != nil {
			return nil, err
		}
		lo = hi
		if o.Progress != nil {
			o.Progress(run.Progress{Stage: "exponent.MCRG", Done: lo, Total: ds.N, Value: math.NaN()})
		}
	}
	return st.Result(0)
}

func (o *MCRGOptions) setDefaults(lat *lattice.Lattice) error {
	d := lat.Dim()
	if o.B == 0 {
		o.B = 2
	}
	if o.B < 2 {
		return fmt.Errorf("exponent: MCRG block side B = %d, want ≥ 2", o.B)
	}
	q, err := statesQ(o.States)
	if err != nil {
		return err
	}
	if q == 0 {
		o.States = nil
	}
	if o.Rule == nil {
		o.Rule = rsmi.Majority{}
		if q > 0 {
			o.Rule = rsmi.Plurality{Values: o.States}
		}
	}
	if o.Rule.Outputs() != 1 {
		return fmt.Errorf("exponent: MCRG needs a rule with one output per block, got %d", o.Rule.Outputs())
	}
	if o.Blocks == 0 {
		o.Blocks = 20
	}
	if o.Blocks < 2 {
		return fmt.Errorf("exponent: MCRG jackknife blocks = %d, want ≥ 2", o.Blocks)
	}
	ext := lat.Extents()
	if o.Levels == 0 {
		for {
			ok := true
			for _, e := range ext {
				if e%o.B != 0 || e/o.B < 4 {
					ok = false
				}
			}
			if !ok {
				break
			}
			for a := range ext {
				ext[a] /= o.B
			}
			o.Levels++
		}
		if o.Levels == 0 {
			return fmt.Errorf("exponent: lattice %v admits no RG step of side %d leaving extents ≥ 4", lat.Extents(), o.B)
		}
	}
	if o.Levels < 1 {
		return fmt.Errorf("exponent: MCRG levels = %d, want ≥ 1", o.Levels)
	}
	if o.FirstLevel == 0 {
		o.FirstLevel = 1
	}
	if o.FirstLevel < 1 || o.FirstLevel > o.Levels {
		return fmt.Errorf("exponent: MCRG first level = %d, want 1 … %d (the levels)", o.FirstLevel, o.Levels)
	}
	n := 4
	if d == 1 {
		n = 2
	}
	evenSet, oddSet := lattice.EvenOperators, lattice.OddOperators
	if q > 0 {
		evenSet, oddSet = lattice.PottsEvenOperators, lattice.PottsOddOperators
	}
	if o.Even == nil && !o.NoEven {
		if o.Even, err = evenSet(d, n); err != nil {
			return err
		}
	}
	if o.Odd == nil && !o.NoOdd {
		if o.Odd, err = oddSet(d, n); err != nil {
			return err
		}
	}
	if o.NoEven {
		o.Even = nil
	}
	if o.NoOdd {
		o.Odd = nil
	}
	if len(o.Even)+len(o.Odd) == 0 {
		return errors.New("exponent: MCRG has no operators")
	}
	return nil
}

// linearize returns the eigenvalues of T = A⁻¹B in decreasing order of real
// part.
func linearize(A, B mat.Matrix) ([]complex128, error) {
	var T mat.Dense
	if err := T.Solve(A, B); err != nil {
		return nil, fmt.Errorf("correlation matrix is singular: %w", err)
	}
	var eig mat.Eigen
	if !eig.Factorize(&T, mat.EigenNone) {
		return nil, errors.New("eigen-decomposition of T failed")
	}
	ev := eig.Values(nil)
	for _, v := range ev {
		if cmplx.IsNaN(v) || cmplx.IsInf(v) {
			return nil, fmt.Errorf("eigenvalue %v", v)
		}
	}
	slices.SortFunc(ev, func(a, b complex128) int { return cmp.Compare(real(b), real(a)) })
	return ev, nil
}

// truncation computes the leading eigenvalue of T = A⁻¹B restricted to the
// first k operators of a sector, and its jackknife error; A[0], B[0] are the
// full-data correlation matrices and A[s+1], B[s+1] those without block s.
func truncation(A, B []*mat.Dense, k, b int) (Truncation, error) {
	blocks := len(A) - 1
	lnb := math.Log(float64(b))
	lead := func(skip int) (float64, []complex128, error) {
		ev, err := linearize(A[skip+1].Slice(0, k, 0, k), B[skip+1].Slice(0, k, 0, k))
		if err != nil {
			return 0, nil, err
		}
		l := real(ev[0])
		if !(l > 0) {
			return 0, nil, fmt.Errorf("leading eigenvalue %v is not positive", ev[0])
		}
		return l, ev, nil
	}
	lam, ev, err := lead(-1)
	if err != nil {
		return Truncation{}, err
	}
	lams := make([]float64, blocks)
	for s := range lams {
		if lams[s], _, err = lead(s); err != nil {
			return Truncation{}, fmt.Errorf("jackknife sample %d: %w", s, err)
		}
	}
	t := Truncation{NumOps: k, Lambda: lam, Y: math.Log(lam) / lnb, Eigenvalues: ev}
	_, t.LambdaErr = sample.Jackknife(blocks, func(skip int) float64 {
		if skip < 0 {
			return lam
		}
		return lams[skip]
	})
	_, t.YErr = sample.Jackknife(blocks, func(skip int) float64 {
		if skip < 0 {
			return t.Y
		}
		return math.Log(lams[skip]) / lnb
	})
	return t, nil
}

// Result returns the MCRG result of rule r (its index in the rules given to
// NewMCRGStream) from all N configurations. It returns an error if the
// stream is incomplete, for a singular correlation matrix or a non-positive
// leading eigenvalue. Covariances are formed exactly from the integer
// moments (rounded once to float64).
func (st *MCRGStream) Result(r int) (*MCRGResult, error) {
	if r < 0 || r >= len(st.rules) {
		return nil, fmt.Errorf("exponent: rule index %d, the stream has %d rules", r, len(st.rules))
	}
	if st.broken != nil {
		return nil, st.broken
	}
	if st.done < st.n {
		return nil, fmt.Errorf("exponent: the MCRG stream holds %d of its %d configurations", st.done, st.n)
	}
	o := &st.o
	res := &MCRGResult{B: o.B, Dim: st.lat.Dim(), N: st.n, Blocks: o.Blocks}
	for _, op := range o.Even {
		res.EvenNames = append(res.EvenNames, op.Name)
	}
	for _, op := range o.Odd {
		res.OddNames = append(res.OddNames, op.Name)
	}
	for n := o.FirstLevel; n <= o.Levels; n++ {
		lv := MCRGLevel{Level: n, Extents: st.lats[n].Extents()}
		for g, sec := range st.lay.sectors {
			name, out := "even", &lv.Even
			if g == 1 {
				name, out = "odd", &lv.Odd
			}
			if sec[1] == 0 {
				continue
			}
			A, B := st.correlations(r, n, g)
			for k := 1; k <= sec[1]; k++ {
				t, err := truncation(A, B, k, o.B)
				if err != nil {
					return nil, fmt.Errorf("exponent: level %d, first %d %s operators: %w", n, k, name, err)
				}
				*out = append(*out, t)
			}
		}
		res.Levels = append(res.Levels, lv)
	}
	return res, nil
}

// correlations returns the connected correlation matrices of sector g for
// T^(n) of rule r, A = <S^(n) S^(n)>_c and B = <S^(n) S^(n−1)>_c: index 0
// from all configurations, index s+1 without jackknife block s. B is nil
// for the lowest evaluated level, FirstLevel−1.
func (st *MCRGStream) correlations(r, n, g int) (A, B []*mat.Dense) {
	lay := &st.lay
	off, k := lay.sectors[g][0], lay.sectors[g][1]
	tri, sq := lay.tri, lay.sq
	for h := 0; h < g; h++ {
		m := lay.sectors[h][1]
		tri += m * (m + 1) / 2
		sq += m * m
	}
	blocks := st.o.Blocks
	lvl := n - st.o.FirstLevel + 1
	here := st.mom[r][lvl]
	below := here // no cross moments at the lowest level
	if lvl > 0 {
		below = st.mom[r][lvl-1]
	}
	th, tb := sumBlocks(here, lay.stride), sumBlocks(below, lay.stride)
	xh, xb := make([]int128, lay.stride), make([]int128, lay.stride)
	var c exactCov
	for s := -1; s < blocks; s++ {
		copy(xh, th)
		copy(xb, tb)
		m := int64(st.n)
		if s >= 0 {
			for i := range xh {
				xh[i].sub(here[s*lay.stride+i])
				xb[i].sub(below[s*lay.stride+i])
			}
			lo, hi := sample.BlockBounds(st.n, blocks, s)
			m -= int64(hi - lo)
		}
		a, b := mat.NewDense(k, k, nil), mat.NewDense(k, k, nil)
		t := tri
		for i := 0; i < k; i++ {
			for j := i; j < k; j++ {
				v := c.cov(m, xh[t], xh[off+i], xh[off+j])
				a.Set(i, j, v)
				a.Set(j, i, v)
				t++
			}
			for j := 0; j < k; j++ {
				b.Set(i, j, c.cov(m, xh[sq+i*k+j], xh[off+i], xb[off+j]))
			}
		}
		A = append(A, a)
		if lvl > 0 {
			B = append(B, b)
		}
	}
	return A, B
}

// sumBlocks returns the sum over jackknife blocks of moments laid out
// blocks × stride.
func sumBlocks(m []int128, stride int) []int128 {
	t := make([]int128, stride)
	for b := 0; b < len(m)/stride; b++ {
		for i, v := range m[b*stride : (b+1)*stride] {
			t[i].add(v)
		}
	}
	return t
}

// exactCov forms covariances from exact integer sums.
type exactCov struct{ a, b, c, m big.Int }

// cov returns (m·Σxy − Σx·Σy)/m², the covariance of m samples, with the
// numerator exact.
func (e *exactCov) cov(m int64, sxy, sx, sy int128) float64 {
	sxy.big(&e.a)
	e.a.Mul(&e.a, e.m.SetInt64(m))
	sx.big(&e.b)
	e.b.Mul(&e.b, sy.big(&e.c))
	e.a.Sub(&e.a, &e.b)
	f, _ := e.a.Float64()
	return f / float64(m) / float64(m)
}
