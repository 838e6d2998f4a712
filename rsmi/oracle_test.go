package rsmi

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// skipShort skips the physics validations of more than about five seconds
// of CPU time under -short (CI's race-detector run, 5–10× slower); the
// full run has them, and smaller tests cover the same code under -short.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a long physics validation: run without -short")
	}
}

// tc2D is the critical temperature of the square-lattice Ising model (J = 1).
var tc2D = 2 / math.Log(1+math.Sqrt2)

// isingSamples returns n Wolff samples of the L×L Ising model at T.
func isingSamples(t testing.TB, L int, T float64, n int, seed uint64) (*lattice.Ising, *sample.Dataset) {
	t.Helper()
	l, err := lattice.NewSquare(L)
	if err != nil {
		t.Fatal(err)
	}
	m, err := lattice.NewNearestNeighborIsing(l, 1)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
		return sample.NewWolff(m, T, src)
	}, sample.Plan{Chains: 2, BurnIn: 200, Every: 10, PerChain: n / 2}, rand.NewPCG(seed, 99))
	if err != nil {
		t.Fatal(err)
	}
	return m, ds
}

// critical2D returns the 2D critical Ising samples, the 2×2-block regions
// (L_B = 1, L_E = 1) and the positions on the even sublattice of origins,
// built once for all tests.
func critical2D(t testing.TB) (*lattice.Ising, *sample.Dataset, *Regions, []int) {
	t.Helper()
	c := &crit2D
	c.data.Do(func() {
		c.m, c.ds = isingSamples(t, 16, tc2D, 400, 1)
		c.r, c.pos, c.err = evenBlocks(c.m.Geometry())
	})
	if c.err != nil {
		t.Fatal(c.err)
	}
	return c.m, c.ds, c.r, c.pos
}

// evenBlocks returns the regions of 2×2 blocks with L_B = 1, L_E = 1 on g
// and their positions on the even sublattice of origins.
func evenBlocks(g *lattice.Geometry) (*Regions, []int, error) {
	r, err := NewRegions(g, []int{2, 2}, &RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		return nil, nil, err
	}
	var pos []int
	for p := 0; p < r.NumPositions(); p++ {
		if o := r.Origin(p); o[0]%2 == 0 && o[1]%2 == 0 {
			pos = append(pos, p)
		}
	}
	return r, pos, nil
}

// critical2DOracle returns the exact oracle of critical2D's data at its
// positions, built once for all tests.
func critical2DOracle(t testing.TB) *Exact {
	t.Helper()
	m, ds, r, pos := critical2D(t)
	c := &crit2D
	c.oracle.Do(func() {
		c.exact, c.oracleErr = NewExactOracle(context.Background(), m, tc2D, r, ds, &OracleOptions{Positions: pos})
	})
	if c.oracleErr != nil {
		t.Fatal(c.oracleErr)
	}
	return c.exact
}

var crit2D struct {
	data, oracle   sync.Once
	m              *lattice.Ising
	ds             *sample.Dataset
	r              *Regions
	pos            []int
	exact          *Exact
	err, oracleErr error
}

// TestOracle2DCritical checks the 2D Ising figures at T_c under the exact
// oracle: Kadanoff's block spin (equal weights) is the optimum at fixed
// ‖λ‖ = 1, majority rule beats decimation, unconstrained filters have one sign
// and agree with majority rule, and nh = 4 reaches I(V:E).
func TestOracle2DCritical(t *testing.T) {
	skipShort(t)
	t.Parallel() // several seconds of work: overlap it with the other long tests
	m, ds, r, pos := critical2D(t)
	tb := critical2DOracle(t)
	dec, _ := tb.RuleMI(Decimation{Site: 0})
	maj, _ := tb.RuleMI(Majority{})
	ive := tb.VisibleMI()
	t.Logf("%d environments: decimation %.4f, majority %.4f, I(V:E) %.4f bit", tb.NumEnvironments(), dec, maj, ive)
	if maj-dec < 0.05 {
		t.Errorf("majority %.4f does not beat decimation %.4f by 0.05 bit", maj, dec)
	}
	equal := &Filter{NH: 1, NV: 4, W: []float64{0.5, 0.5, 0.5, 0.5}}
	eqMI, _ := tb.MI(equal)
	for seed := uint64(1); seed <= 2; seed++ {
		f, _ := NewFilter(1, 4, rand.NewPCG(seed, 3))
		res, err := Train(context.Background(), tb, f, &TrainOptions{Steps: 1000, Norm: 1})
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, w := range f.W {
			lo, hi = min(lo, math.Abs(w)), max(hi, math.Abs(w))
		}
		t.Logf("‖λ‖ = 1, seed %d: weights %.4f, MI %.5f (equal weights %.5f)", seed, f.W, res.MI, eqMI)
		if hi/lo > 1.01 || f.W[0]*f.W[1] < 0 || f.W[0]*f.W[2] < 0 || f.W[0]*f.W[3] < 0 {
			t.Errorf("seed %d: fixed-norm optimum %v is not the block spin (equal weights within 1%%)", seed, f.W)
		}
		if res.MI < eqMI-1e-9 {
			t.Errorf("seed %d: trained MI %.6f below equal weights' %.6f", seed, res.MI, eqMI)
		}
	}
	// unconstrained: the norm grows, one sign, majority rule on untied states
	f, _ := NewFilter(1, 4, rand.NewPCG(9, 9))
	res, err := Train(context.Background(), tb, f, &TrainOptions{Steps: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unconstrained: weights %.3f, MI %.4f", f.W, res.MI)
	if f.Norms()[0] < 2 {
		t.Errorf("unconstrained norm %.3f did not grow", f.Norms()[0])
	}
	v, h := make([]int8, 4), make([]int8, 1)
	sign := int8(1)
	if f.W[0] < 0 {
		sign = -1
	}
	for s := 0; s < 16; s++ {
		decodeSpins(s, v)
		sum := int8(0)
		for _, x := range v {
			sum += x
		}
		if sum == 0 {
			continue
		}
		f.MostProbable(v, h, rand.NewPCG(1, 1))
		if want := sign * sum / int8(math.Abs(float64(sum))); h[0] != want {
			t.Errorf("block %v: learned filter gives %d, majority rule %d", v, h[0], want)
		}
	}
	if res.MI < maj-0.01 || res.MI > ive {
		t.Errorf("unconstrained MI %.4f not near majority %.4f (≤ I(V:E) %.4f)", res.MI, maj, ive)
	}
	// nh = 4: each unit couples to one spin and MI reaches I(V:E) (on a
	// subset of the environments, to keep the test short)
	sub, err := NewExactOracle(context.Background(), m, tc2D, r, ds, &OracleOptions{Positions: pos, MaxPairs: 2000})
	if err != nil {
		t.Fatal(err)
	}
	f2, _ := NewFilter(2, 4, rand.NewPCG(2, 4))
	res2, err := Train(context.Background(), sub, f2, &TrainOptions{Steps: 2000, LearningRate: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	maj1, _ := sub.RuleMI(Majority{})
	t.Logf("subset: nh = 1 majority %.4f, nh = 2 learned %.4f bit", maj1, res2.MI)
	if !(res2.MI > maj1) {
		t.Errorf("nh = 2: MI %.4f not above one majority spin's %.4f", res2.MI, maj1)
	}
	f4, _ := NewFilter(4, 4, rand.NewPCG(4, 4))
	res4, err := Train(context.Background(), sub, f4, &TrainOptions{Steps: 2000, LearningRate: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	subIVE := sub.VisibleMI()
	t.Logf("nh = 4: MI %.4f, I(V:E) %.4f; weights %.2f", res4.MI, subIVE, f4.W)
	if subIVE-res4.MI > 0.001 {
		t.Errorf("nh = 4: MI %.4f short of I(V:E) %.4f by more than 0.001 bit", res4.MI, subIVE)
	}
	for j := 0; j < 4; j++ {
		row := f4.W[4*j : 4*j+4]
		big := 0
		for i := range row {
			if math.Abs(row[i]) > math.Abs(row[big]) {
				big = i
			}
		}
		for i := range row {
			if i != big && math.Abs(row[i]) > math.Abs(row[big])/2 {
				t.Errorf("nh = 4: unit %d couples to more than one spin: %.2f", j, row)
			}
		}
	}
}

// TestOracleScreening checks that a wider environment changes nothing (the
// shell of width ≥ range screens) and that the generic DeltaE path agrees
// with the pair-coupling fast path.
func TestOracleScreening(t *testing.T) {
	t.Parallel() // several seconds of work: overlap it with the other long tests
	m, ds := isingSamples(t, 8, tc2D, 40, 2)
	r1, _ := NewRegions(m.Geometry(), []int{2, 2}, &RegionOptions{Buffer: 1, Env: 1})
	r2, _ := NewRegions(m.Geometry(), []int{2, 2}, &RegionOptions{Buffer: 1, Env: 2})
	t1, err := NewExactOracle(context.Background(), m, tc2D, r1, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := NewExactOracle(context.Background(), m, tc2D, r2, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := NewExactOracle(context.Background(), hidden{m}, tc2D, r1, ds, &OracleOptions{MaxPairs: 300})
	if err != nil {
		t.Fatal(err)
	}
	tf, _ := NewExactOracle(context.Background(), m, tc2D, r1, ds, &OracleOptions{MaxPairs: 300})
	f, _ := NewFilter(2, 4, rand.NewPCG(1, 1))
	a, _ := t1.MI(f)
	b, _ := t2.MI(f)
	if math.Abs(a-b) > 1e-12 {
		t.Errorf("L_E = 1: %.15f, L_E = 2: %.15f", a, b)
	}
	c, _ := tg.MI(f)
	d, _ := tf.MI(f)
	if math.Abs(c-d) > 1e-12 {
		t.Errorf("generic path %.15f, fast path %.15f", c, d)
	}
	// the two pair-model paths, at L_B = 1 and 2
	for lb, pairs := range map[int]int{1: 300, 2: 4} {
		r, _ := NewRegions(m.Geometry(), []int{2, 2}, &RegionOptions{Buffer: lb, Env: 1})
		var mis [2]float64
		for i, path := range []int{pathEnumerate, pathEliminate} {
			tb, err := NewExactOracle(context.Background(), m, tc2D, r, ds, &OracleOptions{MaxPairs: pairs, path: path})
			if err != nil {
				t.Fatal(err)
			}
			mis[i], _ = tb.MI(f)
		}
		if math.Abs(mis[0]-mis[1]) > 1e-12 {
			t.Errorf("L_B = %d: enumeration %.15f, elimination %.15f", lb, mis[0], mis[1])
		}
	}
}

// hidden hides the concrete *lattice.Ising so the oracle takes its generic path.
type hidden struct{ m *lattice.Ising }

func (h hidden) Geometry() *lattice.Geometry            { return h.m.Geometry() }
func (h hidden) States() []int8                         { return h.m.States() }
func (h hidden) Energy(x []int8) float64                { return h.m.Energy(x) }
func (h hidden) DeltaE(x []int8, i int, v int8) float64 { return h.m.DeltaE(x, i, v) }
func (h hidden) Range() int                             { return h.m.Range() }

type noRange struct{ m *lattice.Ising }

func (h noRange) Geometry() *lattice.Geometry            { return h.m.Geometry() }
func (h noRange) States() []int8                         { return h.m.States() }
func (h noRange) Energy(x []int8) float64                { return h.m.Energy(x) }
func (h noRange) DeltaE(x []int8, i int, v int8) float64 { return h.m.DeltaE(x, i, v) }

func TestOracleErrors(t *testing.T) {
	l, _ := lattice.NewChain(12)
	nnn, err := lattice.NewIsing(l, lattice.Term{Op: lattice.NearestNeighbor(1), J: 1}, lattice.Term{Op: lattice.NextNearest(1), J: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := sample.NewDataset(l.Geometry(), make([]int8, 12))
	for i := range ds.Data {
		ds.Data[i] = 1
	}
	r, _ := NewRegions(l.Geometry(), []int{2}, &RegionOptions{Buffer: 1, Env: 1})
	if _, err := NewExactOracle(context.Background(), nnn, 1, r, ds, nil); err == nil || !strings.Contains(err.Error(), "interaction range 2") {
		t.Errorf("environment narrower than the range: err = %v", err)
	}
	if _, err := NewExactOracle(context.Background(), noRange{nnn}, 1, r, ds, nil); err == nil || !strings.Contains(err.Error(), "Ranged") {
		t.Errorf("model without range: err = %v", err)
	}
	other, _ := lattice.NewChain(10)
	ds2, _ := sample.NewDataset(other.Geometry(), make([]int8, 10))
	if _, err := NewExactOracle(context.Background(), nnn, 1, r, ds2, nil); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("dataset geometry mismatch: err = %v", err)
	}
	if _, err := NewExactOracle(context.Background(), nnn, 0, r, ds, nil); err == nil {
		t.Error("T = 0 accepted")
	}
}

// BenchmarkExactOracle measures the exact oracle on the 2D Ising model at
// T_c (2×2 block, L_B = 1): P(v|e) for 2000 (sample, position) pairs.
func BenchmarkExactOracle(b *testing.B) {
	m, ds, r, pos := critical2D(b)
	benchOracle(b, m, tc2D, r, ds, pos)
}

// benchOracle times NewExactOracle on 2000 (sample, position) pairs and
// reports the time per environment.
func benchOracle(b *testing.B, m lattice.Model, T float64, r *Regions, ds *sample.Dataset, pos []int) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewExactOracle(context.Background(), m, T, r, ds, &OracleOptions{Positions: pos, MaxPairs: 2000}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/2000, "µs/env")
}

// BenchmarkExactMIGrad measures one MI-and-gradient evaluation of a filter
// with nh = 1 over 16,000 environments of a 2×2 block.
func BenchmarkExactMIGrad(b *testing.B) {
	tb := critical2DOracle(b)
	f, _ := NewFilter(1, 4, rand.NewPCG(1, 1))
	grad := make([]float64, f.NumParams())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tb.MIGrad(f, grad); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOracleChainHiddenSpin checks the oracle in 1D, with the middle block
// spin excluded from V (summed over like the buffer), against the exact chain
// table marginalized over that spin. The dataset holds all 2^10
// configurations of a periodic chain, so every environment appears equally
// often and both tables weight environments uniformly.
func TestOracleChainHiddenSpin(t *testing.T) {
	const K = 0.8
	l, _ := lattice.NewChain(10)
	m, _ := lattice.NewNearestNeighborIsing(l, 1)
	r, err := NewRegions(l.Geometry(), []int{3}, &RegionOptions{Buffer: 1, Env: 2, ExcludeV: func(i int) bool { return i == 1 }})
	if err != nil {
		t.Fatal(err)
	}
	if r.NumPositions() != 1 || r.NV() != 2 || len(r.Hidden(0)) != 1 {
		t.Fatalf("positions %d, |V| = %d, hidden %v", r.NumPositions(), r.NV(), r.Hidden(0))
	}
	data := make([]int8, 0, 1024*10)
	for s := 0; s < 1024; s++ {
		for i := 0; i < 10; i++ {
			data = append(data, int8(2*((s>>i)&1))-1)
		}
	}
	ds, _ := sample.NewDataset(l.Geometry(), data)
	chain, err := NewExactChain(K, 3, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	marg := make([]float64, 16*4)
	for e := 0; e < 16; e++ {
		for s, p := range chain.Cond(e) {
			marg[e*4+(s&1)|((s>>2)&1)<<1] += p
		}
	}
	want, _ := NewExact(2, nil, marg, nil)
	for _, model := range []lattice.Model{m, hidden{m}} {
		got, err := NewExactOracle(context.Background(), model, 1/K, r, ds, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.NumEnvironments() != 16 {
			t.Fatalf("%d distinct environments, want 16", got.NumEnvironments())
		}
		for _, w := range [][]float64{{1, 0}, {0.7, -0.4}, {2, 2}} {
			f := &Filter{NH: 1, NV: 2, W: w}
			a, _ := got.MI(f)
			b, _ := want.MI(f)
			if math.Abs(a-b) > 1e-12 {
				t.Errorf("%T, λ = %v: oracle %.15f, marginalized chain %.15f", model, w, a, b)
			}
		}
	}
}

// TestOracleBufferWidth checks that a wider buffer lowers the MI at T_c (the
// environment is farther from the block): majority rule loses about 0.05
// bit from L_B = 1 to 2 (0.605 → 0.557 on the full test data set).
func TestOracleBufferWidth(t *testing.T) {
	t.Parallel() // several seconds of work: overlap it with the other long tests
	m, ds, _, _ := critical2D(t)
	var maj [2]float64
	for i, lb := range []int{1, 2} {
		r, err := NewRegions(m.Geometry(), []int{2, 2}, &RegionOptions{Buffer: lb, Env: 1})
		if err != nil {
			t.Fatal(err)
		}
		var pos []int
		for p := 0; p < r.NumPositions(); p++ {
			if o := r.Origin(p); o[0]%4 == 0 && o[1]%4 == 0 {
				pos = append(pos, p)
			}
		}
		tb, err := NewExactOracle(context.Background(), m, tc2D, r, ds, &OracleOptions{Positions: pos, MaxPairs: 3200})
		if err != nil {
			t.Fatal(err)
		}
		maj[i], _ = tb.RuleMI(Majority{})
	}
	t.Logf("majority rule: %.4f bit at L_B = 1, %.4f at L_B = 2", maj[0], maj[1])
	if d := maj[0] - maj[1]; d < 0.03 || d > 0.08 {
		t.Errorf("majority MI falls by %.4f bit from L_B = 1 to 2, want about 0.05", d)
	}
}

// TestOracleMaxPairsSpread is issue 14.5: data of an ordered phase from
// several chains, each chain in its own ordered state (here the first half
// of the samples near all +1, the second near all −1), with MaxPairs below
// the number of pairs. The oracle's subsample must cover all samples, so
// that majority rule keeps most of the bit that tells the two states apart,
// as on all pairs; the former prefix (the first chain's samples only) saw
// one state and gave a few hundredths of a bit.
func TestOracleMaxPairsSpread(t *testing.T) {
	l, _ := lattice.NewSquare(8)
	m, _ := lattice.NewNearestNeighborIsing(l, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	const N = 40
	data := make([]int8, N*64)
	for k := 0; k < N; k++ {
		sign := int8(1)
		if k >= N/2 {
			sign = -1
		}
		for i := 0; i < 64; i++ {
			data[k*64+i] = sign
			if rng.Float64() < 0.1 {
				data[k*64+i] = -sign
			}
		}
	}
	ds, _ := sample.NewDataset(l.Geometry(), data)
	r, _ := NewRegions(l.Geometry(), []int{2, 2}, &RegionOptions{Buffer: 1, Env: 1})
	ctx := context.Background()
	all, err := NewExactOracle(ctx, m, 1.5, r, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := NewExactOracle(ctx, m, 1.5, r, ds, &OracleOptions{MaxPairs: N * 64 / 4})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := all.RuleMI(Majority{})
	b, _ := sub.RuleMI(Majority{})
	t.Logf("majority rule: %.4f bit on all pairs, %.4f on a quarter", a, b)
	if a < 0.8 || math.Abs(a-b) > 0.05 {
		t.Errorf("majority rule: %.4f bit on all pairs, %.4f on a quarter spread over the samples; want > 0.8 and within 0.05", a, b)
	}
}
