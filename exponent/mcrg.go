package exponent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// MCRGOptions configures MCRG. The zero value (or nil) asks for the defaults.
type MCRGOptions struct {
	// B is the block side of the RG step (default 2).
	B int
	// Rule maps a block to one coarse spin (default rsmi.Majority{}). Rules
	// with several outputs per block are not supported.
	Rule rsmi.Rule
	// Levels is the number of RG steps. The default is the largest number
	// for which the coarsest lattice has extents of at least 4.
	Levels int
	// Even and Odd are the operators spanning the thermal and the magnetic
	// sector. Defaults: lattice.EvenOperators(d, n) and OddOperators(d, n)
	// with n = 4 (2 in one dimension). Every operator must be valid on every
	// lattice used (Operator.Validate). Either may be empty, not both.
	Even, Odd []lattice.Operator
	// NoEven and NoOdd skip a sector instead of using its default set.
	NoEven, NoOdd bool
	// Blocks is the number of contiguous blocks of configurations for the
	// jackknife (default 20, at least 2). Blocks should be much longer than
	// the autocorrelation time of the data.
	Blocks int
	// Src supplies randomness for the rule (tie-breaks, stochastic
	// filters); required. MCRG draws two Uint64 values per chunk of 64
	// configurations before any work, so the result depends only on Src.
	Src rand.Source
	// Progress, if non-nil, is called with the number of configurations
	// coarse-grained so far and the total, from the calling goroutine.
	Progress func(done, total int)
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
	// Level is n ≥ 1; level 0 is the input data.
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
	Levels              []MCRGLevel
}

// MCRG runs Swendsen's Monte Carlo renormalization group on ds, a set of
// equilibrium configurations of a model on lat (usually at its critical
// point). It coarse-grains every configuration opts.Levels times with
// blocks of side b and the rule, evaluates the operators S_α on every level,
// and at each level n ≥ 1 solves
//
//	Σ_α <S^(n)_γ S^(n)_α>_c T_αβ = <S^(n)_γ S^(n−1)_β>_c,   T = A⁻¹B,
//
// for the linearized transformation T_αβ = ∂K^(n)_α/∂K^(n−1)_β, separately
// for the even and the odd operators and for every truncation to the first
// k operators. Its leading eigenvalue λ gives y = ln λ / ln b: y_t in the
// even sector (ν = 1/y_t), y_h in the odd one (η = d + 2 − 2y_h). Errors are
// jackknife errors over opts.Blocks contiguous blocks of configurations.
//
// It returns an error for invalid options, a dataset not on lat, a singular
// correlation matrix or a non-positive leading eigenvalue.
func MCRG(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, opts *MCRGOptions) (*MCRGResult, error) {
	if ds == nil || lat == nil {
		return nil, errors.New("exponent: MCRG needs a dataset and a lattice")
	}
	var o MCRGOptions
	if opts != nil {
		o = *opts
	}
	if err := o.setDefaults(lat); err != nil {
		return nil, err
	}
	if !ds.Geom.Equal(lat.Geometry()) {
		return nil, fmt.Errorf("exponent: dataset geometry (extents %v) is not the lattice's (extents %v)", ds.Geom.Extents(), lat.Extents())
	}
	if ds.N < 2*o.Blocks {
		return nil, fmt.Errorf("exponent: %d configurations for %d jackknife blocks, want at least 2 per block", ds.N, o.Blocks)
	}
	meas, err := measure(ctx, ds, lat, &o)
	if err != nil {
		return nil, err
	}
	res := &MCRGResult{B: o.B, Dim: lat.Dim(), N: ds.N, Blocks: o.Blocks}
	for _, op := range o.Even {
		res.EvenNames = append(res.EvenNames, op.Name)
	}
	for _, op := range o.Odd {
		res.OddNames = append(res.OddNames, op.Name)
	}
	nE, nO := len(o.Even), len(o.Odd)
	even := make([]int, nE)
	for i := range even {
		even[i] = i
	}
	odd := make([]int, nO)
	for i := range odd {
		odd[i] = nE + i
	}
	for n := 1; n <= o.Levels; n++ {
		lv := MCRGLevel{Level: n, Extents: meas.lats[n].Extents()}
		self, cross := meas.self[n], meas.cross[n]
		for k := 1; k <= nE; k++ {
			t, err := truncation(self, cross, even[:k], o.B, o.Blocks)
			if err != nil {
				return nil, fmt.Errorf("exponent: level %d, first %d even operators: %w", n, k, err)
			}
			lv.Even = append(lv.Even, t)
		}
		for k := 1; k <= nO; k++ {
			t, err := truncation(self, cross, odd[:k], o.B, o.Blocks)
			if err != nil {
				return nil, fmt.Errorf("exponent: level %d, first %d odd operators: %w", n, k, err)
			}
			lv.Odd = append(lv.Odd, t)
		}
		res.Levels = append(res.Levels, lv)
	}
	return res, nil
}

func (o *MCRGOptions) setDefaults(lat *lattice.Lattice) error {
	d := lat.Dim()
	if o.B == 0 {
		o.B = 2
	}
	if o.B < 2 {
		return fmt.Errorf("exponent: MCRG block side B = %d, want ≥ 2", o.B)
	}
	if o.Rule == nil {
		o.Rule = rsmi.Majority{}
	}
	if o.Rule.Outputs() != 1 {
		return fmt.Errorf("exponent: MCRG needs a rule with one output per block, got %d", o.Rule.Outputs())
	}
	if o.Src == nil {
		return errors.New("exponent: MCRG needs a random source (MCRGOptions.Src)")
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
	n := 4
	if d == 1 {
		n = 2
	}
	var err error
	if o.Even == nil && !o.NoEven {
		if o.Even, err = lattice.EvenOperators(d, n); err != nil {
			return err
		}
	}
	if o.Odd == nil && !o.NoOdd {
		if o.Odd, err = lattice.OddOperators(d, n); err != nil {
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

// moments accumulates, per jackknife block, Σ x, Σ y and Σ x yᵀ of centred
// operator vectors x (level n) and y (level n or n−1).
type moments struct {
	p      int
	m      []float64   // per block count
	sx, sy [][]float64 // per block, p
	sxy    [][]float64 // per block, p×p row-major
}

func newMoments(blocks, p int) *moments {
	mo := &moments{p: p, m: make([]float64, blocks)}
	for b := 0; b < blocks; b++ {
		mo.sx = append(mo.sx, make([]float64, p))
		mo.sy = append(mo.sy, make([]float64, p))
		mo.sxy = append(mo.sxy, make([]float64, p*p))
	}
	return mo
}

func (mo *moments) add(b int, x, y []float64) {
	mo.m[b]++
	p := mo.p
	sx, sy, sxy := mo.sx[b], mo.sy[b], mo.sxy[b]
	for i := 0; i < p; i++ {
		sx[i] += x[i]
		sy[i] += y[i]
		row := sxy[i*p : (i+1)*p]
		for j := 0; j < p; j++ {
			row[j] += x[i] * y[j]
		}
	}
}

// cov returns the connected correlation <x_i y_j> − <x_i><y_j> restricted to
// the operator indices idx, from all blocks except skip (−1: all).
func (mo *moments) cov(idx []int, skip int) *mat.Dense {
	k := len(idx)
	var m float64
	sx := make([]float64, k)
	sy := make([]float64, k)
	sxy := make([]float64, k*k)
	p := mo.p
	for b := range mo.m {
		if b == skip {
			continue
		}
		m += mo.m[b]
		for a, i := range idx {
			sx[a] += mo.sx[b][i]
			sy[a] += mo.sy[b][i]
			for c, j := range idx {
				sxy[a*k+c] += mo.sxy[b][i*p+j]
			}
		}
	}
	out := mat.NewDense(k, k, nil)
	for a := 0; a < k; a++ {
		for c := 0; c < k; c++ {
			out.Set(a, c, sxy[a*k+c]/m-(sx[a]/m)*(sy[c]/m))
		}
	}
	return out
}

// measurement holds the accumulated moments of every level.
type measurement struct {
	lats  []*lattice.Lattice // per level 0..Levels
	self  []*moments         // per level: (n, n)
	cross []*moments         // per level n ≥ 1: (n, n−1); cross[0] nil
}

const chunkRows = 64

// measure coarse-grains every configuration and accumulates the moments.
func measure(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, o *MCRGOptions) (*measurement, error) {
	ops := append(append([]lattice.Operator(nil), o.Even...), o.Odd...)
	p := len(ops)
	L := o.Levels
	meas := &measurement{lats: []*lattice.Lattice{lat}}
	var blockings []*rg.Blocking
	var evals []*lattice.Evaluator
	for n := 0; n <= L; n++ {
		if n > 0 {
			bl, err := rg.NewBlocking(meas.lats[n-1], o.B, o.Rule)
			if err != nil {
				return nil, fmt.Errorf("exponent: level %d: %w", n, err)
			}
			blockings = append(blockings, bl)
			meas.lats = append(meas.lats, bl.Coarse())
		}
		ev, err := lattice.NewEvaluator(meas.lats[n], ops...)
		if err != nil {
			return nil, fmt.Errorf("exponent: operators on the level-%d lattice %v: %w", n, meas.lats[n].Extents(), err)
		}
		evals = append(evals, ev)
	}
	// Operator values of every configuration at every level.
	N := ds.N
	vals := make([][]float64, L+1) // level → N×p
	for n := range vals {
		vals[n] = make([]float64, N*p)
	}
	nChunks := (N + chunkRows - 1) / chunkRows
	srcs := make([]rand.Source, nChunks)
	for c := range srcs {
		srcs[c] = rand.NewPCG(o.Src.Uint64(), o.Src.Uint64())
	}
	var (
		mu   sync.Mutex
		done int
	)
	work := func(c int) {
		if ctx.Err() != nil {
			return
		}
		cfg := make([][]int8, L+1)
		lo, hi := c*chunkRows, min((c+1)*chunkRows, N)
		for i := lo; i < hi; i++ {
			cfg[0] = ds.Row(i)
			for n := 0; n <= L; n++ {
				if n > 0 {
					cfg[n] = blockings[n-1].Apply(cfg[n], cfg[n-1], srcs[c])
				}
				evals[n].Values(vals[n][i*p:(i+1)*p], cfg[n])
			}
		}
		mu.Lock()
		done += hi - lo
		mu.Unlock()
	}
	progress := func() {
		if o.Progress != nil {
			mu.Lock()
			d := done
			mu.Unlock()
			o.Progress(d, N)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), nChunks)
	next := make(chan int)
	finished := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				work(c)
			}
		}()
	}
	go func() { wg.Wait(); close(finished) }()
feed:
	for c := 0; c < nChunks; c++ {
		select {
		case next <- c:
			if c%16 == 0 {
				progress()
			}
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	<-finished
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	progress()
	// Centre each level's values on their overall mean (for accuracy) and
	// accumulate moments per jackknife block.
	for n := 0; n <= L; n++ {
		mean := make([]float64, p)
		for i := 0; i < N; i++ {
			for a := 0; a < p; a++ {
				mean[a] += vals[n][i*p+a]
			}
		}
		for a := range mean {
			mean[a] /= float64(N)
		}
		for i := 0; i < N; i++ {
			for a := 0; a < p; a++ {
				vals[n][i*p+a] -= mean[a]
			}
		}
	}
	meas.self = make([]*moments, L+1)
	meas.cross = make([]*moments, L+1)
	for n := 0; n <= L; n++ {
		meas.self[n] = newMoments(o.Blocks, p)
		if n > 0 {
			meas.cross[n] = newMoments(o.Blocks, p)
		}
	}
	for b := 0; b < o.Blocks; b++ {
		lo, hi := sample.BlockBounds(N, o.Blocks, b)
		for i := lo; i < hi; i++ {
			for n := 0; n <= L; n++ {
				x := vals[n][i*p : (i+1)*p]
				meas.self[n].add(b, x, x)
				if n > 0 {
					meas.cross[n].add(b, x, vals[n-1][i*p:(i+1)*p])
				}
			}
		}
	}
	return meas, nil
}

// linearize returns the eigenvalues of T = A⁻¹B in decreasing order of real
// part.
func linearize(A, B *mat.Dense) ([]complex128, error) {
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

// truncation computes the leading eigenvalue for the operators idx and its
// jackknife error.
func truncation(self, cross *moments, idx []int, b, blocks int) (Truncation, error) {
	lnb := math.Log(float64(b))
	lead := func(skip int) (float64, []complex128, error) {
		ev, err := linearize(self.cov(idx, skip), cross.cov(idx, skip))
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
	t := Truncation{NumOps: len(idx), Lambda: lam, Y: math.Log(lam) / lnb, Eigenvalues: ev}
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
