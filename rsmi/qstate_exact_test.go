package rsmi

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// pottsChainJoint enumerates the q^L configurations of the q-state Potts
// chain of L sites (J = 1, field h) at temperature T and returns the
// Boltzmann joint distribution of the block and environment of the regions
// at position p: joint[e][v] with e and v indexed like block states, the
// environments of q^|E| states, and the whole dataset of configurations.
func pottsChainJoint(t *testing.T, q, L int, h, T float64, r *Regions, p int) (joint [][]float64, m *lattice.Potts, ds *sample.Dataset) {
	t.Helper()
	l, _ := lattice.NewChain(L)
	m, err := lattice.NewPottsField(l, q, 1, h)
	if err != nil {
		t.Fatal(err)
	}
	st := pottsStates(q)
	nE, _ := numOutcomes(q, len(r.E(p)), 1<<20)
	nV, _ := numOutcomes(q, len(r.V(p)), 1<<20)
	joint = make([][]float64, nE)
	for e := range joint {
		joint[e] = make([]float64, nV)
	}
	total := ipow(q, L)
	data := make([]int8, 0, total*L)
	x := make([]int8, L)
	var z float64
	for c := 0; c < total; c++ {
		decodeOutcome(x, c, st)
		data = append(data, x...)
		w := math.Exp(-m.Energy(x) / T)
		z += w
		joint[configIndex(x, r.E(p), st)][configIndex(x, r.V(p), st)] += w
	}
	for e := range joint {
		for v := range joint[e] {
			joint[e][v] /= z
		}
	}
	ds, _ = sample.NewDataset(l.Geometry(), data)
	ds.States = st
	return joint, m, ds
}

// configIndex returns Σ_k idx(x[dofs[k]]) q^k.
func configIndex(x []int8, dofs []int32, states []int8) int {
	s, m := 0, 1
	for _, d := range dofs {
		s += stateIndex(states, x[d]) * m
		m *= len(states)
	}
	return s
}

// bruteMI returns I(H:E) in bits of the rule r from the joint P(v, e) by
// the definition, P(h, e) = Σ_v P(v, e) P(h|v).
func bruteMI(t *testing.T, joint [][]float64, r Rule, nv int, states []int8) float64 {
	t.Helper()
	cond := condTable(t, r, nv, states)
	nh := len(cond[0])
	phe := make([][]float64, len(joint))
	ph := make([]float64, nh)
	pe := make([]float64, len(joint))
	for e, row := range joint {
		phe[e] = make([]float64, nh)
		for v, p := range row {
			pe[e] += p
			for h, c := range cond[v] {
				phe[e][h] += p * c
			}
		}
		for h := range ph {
			ph[h] += phe[e][h]
		}
	}
	var mi float64
	for e := range phe {
		for h, p := range phe[e] {
			if p > 0 {
				mi += p * math.Log2(p/(ph[h]*pe[e]))
			}
		}
	}
	return mi
}

// TestPottsExactBruteForce checks Exact over the 3^2 block states of a
// 3-state Potts chain (L = 8, block 2, buffer 1, environment 1, with a
// field) against the MI computed from the Boltzmann joint distribution by
// the definition — for plurality rule, decimation, a softmax filter and
// I(V:E) — and the oracle's P(v|e), by its generic enumeration and by
// elimination, against the same joint distribution for every environment.
func TestPottsExactBruteForce(t *testing.T) {
	const q, L, T = 3, 8, 0.9
	st := pottsStates(q)
	l, _ := lattice.NewChain(L)
	r, err := NewRegions(l.Geometry(), []int{2}, &RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	joint, m, ds := pottsChainJoint(t, q, L, 0.3, T, r, 0)
	pve := make([]float64, 0, len(joint)*q*q)
	pe := make([]float64, len(joint))
	for e, row := range joint {
		pve = append(pve, row...)
		for _, p := range row {
			pe[e] += p
		}
	}
	tb, err := NewExact(2, st, pve, pe)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := NewSoftmaxFilter(2, 2, st, []int8{-1, 1}, rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name string
		r    Rule
	}{{"plurality", Plurality{Values: st}}, {"decimation", Decimation{Site: 1, Values: st}}, {"softmax filter", f}} {
		got, err := tb.RuleMI(tc.r)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteMI(t, joint, tc.r, 2, st)
		t.Logf("%s: Exact %.12f, definition %.12f bit", tc.name, got, want)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: Exact %.15f, definition %.15f", tc.name, got, want)
		}
	}
	if mf, _ := tb.MI(f); math.Abs(mf-bruteMI(t, joint, f, 2, st)) > 1e-12 {
		t.Errorf("MI of the softmax filter %.15f differs from RuleMI", mf)
	}
	if got, want := tb.VisibleMI(), bruteMI(t, joint, identityRule{st, 2}, 2, st); math.Abs(got-want) > 1e-12 {
		t.Errorf("I(V:E): Exact %.15f, definition %.15f", got, want)
	}
	checkGrad(t, tb, f)
	for _, path := range []int{pathEnumerate, pathEliminate} {
		or, err := NewExactOracle(context.Background(), m, T, r, ds, &OracleOptions{Positions: []int{0}, path: path})
		if err != nil {
			t.Fatal(err)
		}
		if or.NumEnvironments() != q*q {
			t.Fatalf("%d environments, want %d", or.NumEnvironments(), q*q)
		}
		// environments in the order of first occurrence over the data
		var order []int
		for k := 0; k < ds.N; k++ {
			if e := configIndex(ds.Row(k), r.E(0), st); !slices.Contains(order, e) {
				order = append(order, e)
			}
		}
		for i, e := range order {
			for v, p := range or.Cond(i) {
				if want := joint[e][v] / pe[e]; math.Abs(p-want) > 1e-13 {
					t.Fatalf("path %d, environment %d, block state %d: oracle %v, Boltzmann %v", path, e, v, p, want)
				}
			}
		}
	}
}

// identityRule is the rule h = v (all block states as coarse states): its
// MI is I(V:E).
type identityRule struct {
	st []int8
	nv int
}

func (r identityRule) Outputs() int                 { return r.nv }
func (r identityRule) States() []int8               { return r.st }
func (r identityRule) Check(nv int, _ []int8) error { return nil }
func (r identityRule) Cond(v []int8, p []float64) {
	clear(p)
	p[blockIndex(v, r.st)] = 1
}
func (r identityRule) Apply(dst, v []int8, _ rand.Source) { copy(dst, v) }

// TestPottsOracle2DBruteForce checks the oracle on a 6×6 Potts model with a
// field (q = 3, 2×1 block, buffer 1, environment 1) against a brute-force
// sum of exp(−Energy/T) over the 3^12 configurations of block and buffer,
// for three random environments, by elimination and by enumeration.
func TestPottsOracle2DBruteForce(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const q, L, T = 3, 6, 1.1
	st := pottsStates(q)
	l, _ := lattice.NewSquare(L)
	m, _ := lattice.NewPottsField(l, q, 1, -0.4)
	r, err := NewRegions(l.Geometry(), []int{2, 1}, &RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	data := make([]int8, 3*L*L)
	for i := range data {
		data[i] = int8(rng.IntN(q))
	}
	ds, _ := sample.NewDataset(l.Geometry(), data)
	ds.States = st
	interior := r.Interior(0)
	v := r.V(0)
	for _, path := range []int{pathEliminate, pathEnumerate} {
		or, err := NewExactOracle(context.Background(), m, T, r, ds, &OracleOptions{Positions: []int{0}, path: path})
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < ds.N; k++ {
			x := slices.Clone(ds.Row(k))
			want := make([]float64, q*q)
			var z float64
			for c := 0; c < ipow(q, len(interior)); c++ {
				cc := c
				for _, d := range interior {
					x[d] = st[cc%q]
					cc /= q
				}
				w := math.Exp(-m.Energy(x) / T)
				want[configIndex(x, v, st)] += w
				z += w
			}
			for s, p := range or.Cond(k) {
				if math.Abs(p-want[s]/z) > 1e-12 {
					t.Fatalf("path %d, sample %d, block state %d: oracle %v, brute force %v", path, k, s, p, want[s]/z)
				}
			}
		}
	}
}

// plainPotts hides the concrete *lattice.Potts from the oracle, which
// then enumerates; pairPotts adds PairTerms (S = δ, u(a) = −h δ(a, 0)), a
// user's opt-in to the elimination path; wrongPotts forgets the field.
type plainPotts struct{ m *lattice.Potts }

func (p plainPotts) Geometry() *lattice.Geometry            { return p.m.Geometry() }
func (p plainPotts) States() []int8                         { return p.m.States() }
func (p plainPotts) Range() int                             { return 1 }
func (p plainPotts) Energy(x []int8) float64                { return p.m.Energy(x) }
func (p plainPotts) DeltaE(x []int8, i int, v int8) float64 { return p.m.DeltaE(x, i, v) }

type pairPotts struct{ plainPotts }

func (p pairPotts) PairTerms() ([]lattice.Bond, []float64, []float64) {
	g := pottsGraph(p.m)
	var bonds []lattice.Bond
	for i := range g.start[:len(g.start)-1] {
		for e := g.start[i]; e < g.start[i+1]; e++ {
			if int32(i) < g.nbr[e] {
				bonds = append(bonds, lattice.Bond{I: int32(i), J: g.nbr[e], K: g.j[e]})
			}
		}
	}
	return bonds, g.shape, g.site
}

type wrongPotts struct{ pairPotts }

func (p wrongPotts) PairTerms() ([]lattice.Bond, []float64, []float64) {
	b, s, u := p.pairPotts.PairTerms()
	return b, s, make([]float64, len(u))
}

// TestOraclePairModel checks the PairModel path (a user's model with
// PairTerms) against the built-in Potts path and the generic enumeration
// (6×6, field h = 0.5, 2×1 block, buffer 1: 3^12 configurations per
// environment), and that PairTerms that do not match DeltaE are refused.
func TestOraclePairModel(t *testing.T) {
	l, _ := lattice.NewSquare(6)
	m, _ := lattice.NewPottsField(l, 3, 1, 0.5)
	r, _ := NewRegions(l.Geometry(), []int{2, 1}, &RegionOptions{Buffer: 1, Env: 1})
	rng := rand.New(rand.NewPCG(8, 9))
	data := make([]int8, 4*36)
	for i := range data {
		data[i] = int8(rng.IntN(3))
	}
	ds, _ := sample.NewDataset(l.Geometry(), data)
	ds.States = m.States()
	o := &OracleOptions{Positions: []int{0, 7}}
	ctx := context.Background()
	var tables []*Exact
	for _, model := range []lattice.Model{plainPotts{m}, pairPotts{plainPotts{m}}, m} {
		tb, err := NewExactOracle(ctx, model, 1.3, r, ds, o)
		if err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	for e := 0; e < tables[0].NumEnvironments(); e++ {
		for _, tb := range tables[1:] {
			if !slices.EqualFunc(tables[0].Cond(e), tb.Cond(e), func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
				t.Fatalf("environment %d: enumeration %v, elimination %v", e, tables[0].Cond(e), tb.Cond(e))
			}
		}
	}
	if _, err := NewExactOracle(ctx, wrongPotts{pairPotts{plainPotts{m}}}, 1.3, r, ds, o); err == nil || !strings.Contains(err.Error(), "PairTerms") {
		t.Errorf("wrong PairTerms: error %v", err)
	}
}

// randomExact returns an Exact of ne environments with random P(v|e) over
// blocks of nv dofs with values st.
func randomExact(t *testing.T, ne, nv int, st []int8, rng *rand.Rand) *Exact {
	t.Helper()
	pve := make([]float64, ne*ipow(len(st), nv))
	for i := range pve {
		pve[i] = rng.Float64() * rng.Float64()
	}
	tb, err := NewExact(nv, st, pve, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestSoftmaxGradientQState checks the analytic gradient of Exact for a
// softmax filter with biases on a 3-state table, and of InfoNCE's
// Gumbel-softmax path with one-hot environments, against finite
// differences.
func TestSoftmaxGradientQState(t *testing.T) {
	st := pottsStates(3)
	rng := rand.New(rand.NewPCG(1, 2))
	tb := randomExact(t, 5, 3, st, rng)
	f, _ := NewSoftmaxFilter(2, 3, st, st, rand.NewPCG(3, 4))
	f.Bias = []float64{0.1, -0.2, 0.3, 0.4, 0, -0.1}
	checkGrad(t, tb, f)
	// InfoNCE: one fixed batch and noise, as TestInfoNCEGradient
	const nv, ne, K = 3, 4, 6
	v, e := make([]int8, 40*nv), make([]int8, 40*ne)
	for i := range v {
		v[i] = int8(rng.IntN(3))
	}
	for i := range e {
		e[i] = int8(rng.IntN(3))
	}
	pr, _ := NewPairs(v, nv, e, ne, st)
	est, err := NewInfoNCE(pr, rand.NewPCG(3, 4), &InfoNCEOptions{Batch: K, Embed: 3, CriticHidden: []int{5}, HoldOut: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if err := est.check(f, nil); err != nil {
		t.Fatal(err)
	}
	fixBatch(est, rng, 5)
	const tau = 0.7
	fgrad := make([]float64, f.NumParams())
	clear(est.cgrad)
	est.bound(f, tau, fgrad, true)
	for i := range fgrad {
		d := finiteDifference(f, i, 1e-6, func() float64 { return est.bound(f, tau, nil, false) })
		if math.Abs(d-fgrad[i]) > 1e-6+1e-5*math.Abs(d) {
			t.Errorf("InfoNCE, softmax parameter %d: analytic %.10g, finite difference %.10g", i, fgrad[i], d)
		}
	}
}

// TestQStateBadInput checks the errors of q-state input: values outside
// the declared states, block alphabets too large to enumerate, and rules
// or filters whose alphabets do not match the data's, each naming the
// values.
func TestQStateBadInput(t *testing.T) {
	st := pottsStates(3)
	ctx := context.Background()
	if _, err := NewPairs([]int8{0, 3}, 2, []int8{1, 1}, 2, st); err == nil || !strings.Contains(err.Error(), "value 3 at index 1") {
		t.Errorf("value 3 in 3-state pairs: %v", err)
	}
	if _, err := NewExact(13, st, make([]float64, 10), nil); err == nil || !strings.Contains(err.Error(), "3^13") {
		t.Errorf("3^13 block states: %v", err)
	}
	tb, _ := NewExact(2, st, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, nil)
	for _, tc := range []struct {
		name, want string
		err        func() error
	}{
		{"±1 majority on 3 states", "[0 1 2]", func() error { _, err := tb.RuleMI(Majority{}); return err }},
		{"plurality of 4 states", "[0 1 2 3]", func() error { _, err := tb.RuleMI(Plurality{Values: pottsStates(4)}); return err }},
		{"±1 filter", "[0 1 2]", func() error { f, _ := NewFilter(1, 2, rand.NewPCG(1, 1)); _, err := tb.MI(f); return err }},
		{"softmax filter on ±1", "[-1 1]", func() error {
			f, _ := NewSoftmaxFilter(1, 2, nil, st, rand.NewPCG(1, 1))
			_, err := tb.MI(f)
			return err
		}},
		{"Train softmax on ±1 table", "[-1 1]", func() error {
			f, _ := NewSoftmaxFilter(1, 2, st, st, rand.NewPCG(1, 1))
			ch, _ := NewExactChain(1, 2, 1, 1)
			_, err := Train(ctx, ch, f, nil)
			return err
		}},
		{"softmax filter 3^13 hidden", "13 coarse variables", func() error {
			_, err := NewSoftmaxFilter(13, 2, st, st, rand.NewPCG(1, 1))
			return err
		}},
	} {
		if err := tc.err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.want)
		}
	}
	// the oracle: data and model of different alphabets
	l, _ := lattice.NewSquare(6)
	m, _ := lattice.NewPotts(l, 3, 1)
	r, _ := NewRegions(l.Geometry(), []int{2, 2}, &RegionOptions{Buffer: 1})
	ds, _ := sample.NewDataset(l.Geometry(), make([]int8, 36))
	if _, err := NewExactOracle(ctx, m, 1, r, ds, nil); err == nil || !strings.Contains(err.Error(), "value 0 of sample 0 at dof 0 is not ±1") {
		t.Errorf("Potts model on ±1-declared data: %v", err)
	}
	big, _ := lattice.NewSquare(20)
	mb, _ := lattice.NewPotts(big, 3, 1)
	rb, _ := NewRegions(big.Geometry(), []int{4, 4}, &RegionOptions{Buffer: 1})
	dsb, _ := sample.NewDataset(big.Geometry(), make([]int8, 400))
	dsb.States = st
	if _, err := NewExactOracle(ctx, mb, 1, rb, dsb, nil); err == nil || !strings.Contains(err.Error(), "3^16") {
		t.Errorf("4×4 Potts block: %v", err)
	}
}

// TestSoftmaxTrainCheckpointAndBest trains a 3-state softmax filter with
// checkpoints, interrupts it, resumes it and requires the uninterrupted
// run's parameters and history bit for bit; a checkpoint written for a
// softmax filter is refused for a ±1 filter; TrainBest keeps the best of
// two softmax runs with their concrete type.
func TestSoftmaxTrainCheckpointAndBest(t *testing.T) {
	st := pottsStates(3)
	tb := randomExact(t, 40, 3, st, rand.New(rand.NewPCG(4, 4)))
	newFilter := func() *SoftmaxFilter {
		f, _ := NewSoftmaxFilter(1, 3, st, st, rand.NewPCG(7, 7))
		f.Bias = []float64{0, 0.1, 0.2}
		return f
	}
	ctx := context.Background()
	const steps = 60
	ref := newFilter()
	refRes, err := Train(ctx, tb, ref, &TrainOptions{Steps: steps, LearningRate: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	ck := &run.Checkpoint{Dir: dir, Every: 7}
	if _, err := Train(cctx, tb, newFilter(), &TrainOptions{Steps: steps, LearningRate: 0.05, Checkpoint: ck,
		Progress: func(p run.Progress) {
			if p.Done == 25 {
				cancel()
			}
		}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	got := newFilter()
	ck.Resume = true
	res, err := Train(ctx, tb, got, &TrainOptions{Steps: steps, LearningRate: 0.05, Checkpoint: ck})
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom != 21 || !slices.Equal(got.W, ref.W) || !slices.Equal(got.Bias, ref.Bias) || !slices.Equal(res.History, refRes.History) {
		t.Errorf("resumed from %d: parameters or history differ from the uninterrupted run", res.ResumedFrom)
	}
	ising, _ := NewFilter(1, 3, rand.NewPCG(7, 7))
	ch, _ := NewExactChain(1, 3, 1, 1)
	if _, err := Train(ctx, ch, ising, &TrainOptions{Steps: steps, LearningRate: 0.05, Checkpoint: ck}); err == nil || !strings.Contains(err.Error(), "type") {
		t.Errorf("a softmax checkpoint resumed for a ±1 filter: %v", err)
	}
	best, err := TrainBest(ctx, 2, func(_ context.Context, k int) (Estimator, *SoftmaxFilter, error) {
		f, err := NewSoftmaxFilter(1, 3, st, st, rand.NewPCG(uint64(k), 1))
		return tb, f, err
	}, &BestOptions{Train: &TrainOptions{Steps: 30, LearningRate: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	if mi, _ := tb.MI(best.Filter); mi != best.Runs[best.Best].MI || best.Runs[best.Best].MI < best.Runs[1-best.Best].MI {
		t.Errorf("TrainBest kept run %d (MI %v of %v)", best.Best, mi, []float64{best.Runs[0].MI, best.Runs[1].MI})
	}
}
