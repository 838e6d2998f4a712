package rsmi_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// BlumeCapel is the spin-1 Blume–Capel model on a periodic lattice,
//
//	H = −J Σ_<ij> s_i s_j + D Σ_i s_i²,   s_i ∈ {−1, 0, 1},
//
// written against lattice.Model as a user would: Geometry, States, Energy
// and DeltaE (and Range for the exact oracle). PairTerms, optional, tells
// the oracle that the energy has single-dof and pair terms only, which lets
// it sum a block's buffer out dof by dof.
type BlumeCapel struct {
	Lat  *lattice.Lattice
	J, D float64
}

func (m *BlumeCapel) Geometry() *lattice.Geometry { return m.Lat.Geometry() }
func (m *BlumeCapel) States() []int8              { return []int8{-1, 0, 1} }
func (m *BlumeCapel) Range() int                  { return 1 }

func (m *BlumeCapel) Energy(x []int8) float64 {
	var e float64
	for i, s := range x {
		for _, j := range m.Lat.Neighbors(i) {
			if int(j) > i {
				e -= m.J * float64(s) * float64(x[j])
			}
		}
		e += m.D * float64(s) * float64(s)
	}
	return e
}

func (m *BlumeCapel) DeltaE(x []int8, i int, v int8) float64 {
	var h float64
	for _, j := range m.Lat.Neighbors(i) {
		h += float64(x[j])
	}
	s, t := float64(x[i]), float64(v)
	return -m.J*h*(t-s) + m.D*(t*t-s*s)
}

// PairTerms implements rsmi.PairModel: the bonds J, S(s, s') = s s' and
// u(s) = D s² over the state positions of {−1, 0, 1}.
func (m *BlumeCapel) PairTerms() ([]lattice.Bond, []float64, []float64) {
	var bonds []lattice.Bond
	for i := 0; i < m.Lat.N(); i++ {
		for _, j := range m.Lat.Neighbors(i) {
			if int(j) > i {
				bonds = append(bonds, lattice.Bond{I: int32(i), J: j, K: m.J})
			}
		}
	}
	return bonds, []float64{1, 0, -1, 0, 0, 0, -1, 0, 1}, []float64{m.D, 0, m.D}
}

// Example_blumeCapel coarse-grains a spin-1 model end to end: heat-bath
// samples of the Blume–Capel model near its critical line, (V, E) pairs of
// 2×2 blocks with the alphabet {−1, 0, 1}, the exact oracle of the model, a
// learned filter with one coarse spin 1 (three hidden states, so that the
// coarse configurations are spin-1 configurations again and the step can be
// iterated), its most probable rule averaged over the flip s → −s and the
// square's point group, and one RG step applied block by block.
func Example_blumeCapel() {
	const L, T = 12, 1.57 // D = 0.5: T_c ≈ 1.57
	lat, _ := lattice.NewSquare(L)
	m := &BlumeCapel{Lat: lat, J: 1, D: 0.5}
	hb, err := sample.NewHeatBath(m, T, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	var data []int8
	for k := 0; k < 2000+150*20; k++ { // 2000 sweeps of burn-in, then 150 samples 20 sweeps apart
		hb.Step()
		if k >= 2000 && (k-2000)%20 == 19 {
			data = append(data, hb.Config()...)
		}
	}
	ds, _ := sample.NewDataset(lat.Geometry(), data)
	ds.States = m.States()

	r, _ := rsmi.NewRegions(lat.Geometry(), []int{2, 2}, &rsmi.RegionOptions{Buffer: 1, Env: 1})
	pairs, _ := r.Pairs(ds)
	fmt.Printf("%d pairs of |V| = %d, |E| = %d, values %v\n", pairs.N, pairs.NV, pairs.NE, pairs.States)

	ctx := context.Background()
	oracle, err := rsmi.NewExactOracle(ctx, m, T, r, ds, &rsmi.OracleOptions{MaxPairs: 3000})
	if err != nil {
		panic(err)
	}
	f, _ := rsmi.NewSoftmaxFilter(1, 4, m.States(), m.States(), rand.NewPCG(3, 4))
	res, err := rsmi.Train(ctx, oracle, f, &rsmi.TrainOptions{Steps: 200, LearningRate: 0.1})
	if err != nil {
		panic(err)
	}
	plurality, _ := oracle.RuleMI(rsmi.Plurality{Values: m.States()})

	if err := f.AlignStates(); err != nil { // coarse state s ↔ uniform block of s
		panic(err)
	}
	flip, _ := rsmi.SymmetrizeStates(rsmi.MostProbable(f), m.States(), [][]int{{0, 1, 2}, {2, 1, 0}})
	square, _ := lattice.BlockSymmetries(2, 2)
	rule, _ := rsmi.Symmetrize(flip, square)
	ruleMI, _ := oracle.RuleMI(rule)
	fmt.Printf("MI: learned filter %.2f, its symmetrized rule %.2f, plurality %.2f, I(V:E) %.2f bit\n", res.MI, ruleMI, plurality, oracle.VisibleMI())

	coarse, err := coarsen(ds, L, 2, rule, rand.NewPCG(5, 6))
	if err != nil {
		panic(err)
	}
	fmt.Printf("coarse: %d samples of %d spins, values %v, vacancies %.2f (fine %.2f)\n", coarse.N, coarse.D, coarse.States, vacancies(coarse), vacancies(ds))
	// Output:
	// 21600 pairs of |V| = 4, |E| = 20, values [-1 0 1]
	// MI: learned filter 0.36, its symmetrized rule 0.37, plurality 0.33, I(V:E) 0.44 bit
	// coarse: 150 samples of 36 spins, values [-1 0 1], vacancies 0.14 (fine 0.19)
}

// coarsen applies rule to the b×b blocks of every sample of ds on an L×L
// lattice.
func coarsen(ds *sample.Dataset, L, b int, rule rsmi.Rule, src rand.Source) (*sample.Dataset, error) {
	table, err := rsmi.TabulateRule(rule, b*b, ds.States)
	if err != nil {
		return nil, err
	}
	lc := L / b
	clat, _ := lattice.NewSquare(lc)
	out := make([]int8, 0, ds.N*lc*lc)
	v, h := make([]int8, b*b), make([]int8, 1)
	for k := 0; k < ds.N; k++ {
		row := ds.Row(k)
		for by := 0; by < lc; by++ {
			for bx := 0; bx < lc; bx++ {
				for dy := 0; dy < b; dy++ {
					for dx := 0; dx < b; dx++ {
						v[dy*b+dx] = row[(by*b+dy)*L+bx*b+dx]
					}
				}
				table.Apply(h, v, src)
				out = append(out, h[0])
			}
		}
	}
	c, err := sample.NewDataset(clat.Geometry(), out)
	if err != nil {
		return nil, err
	}
	c.States = ds.States
	return c, nil
}

// vacancies returns the fraction of dofs in state 0.
func vacancies(ds *sample.Dataset) float64 {
	n := 0
	for _, x := range ds.Data {
		if x == 0 {
			n++
		}
	}
	return float64(n) / float64(len(ds.Data))
}

// TestOraclePairModel checks the PairModel fast path on the Blume–Capel
// model against the generic enumeration (2×1 block, buffer 1: 3^12
// configurations per environment), and that PairTerms that do not match
// DeltaE are refused.
func TestOraclePairModel(t *testing.T) {
	l, _ := lattice.NewSquare(6)
	bc := &BlumeCapel{Lat: l, J: 1, D: 0.6}
	r, _ := rsmi.NewRegions(l.Geometry(), []int{2, 1}, &rsmi.RegionOptions{Buffer: 1, Env: 1})
	rng := rand.New(rand.NewPCG(8, 9))
	data := make([]int8, 4*36)
	for i := range data {
		data[i] = int8(rng.IntN(3) - 1)
	}
	ds, _ := sample.NewDataset(l.Geometry(), data)
	ds.States = bc.States()
	o := &rsmi.OracleOptions{Positions: []int{0, 7}}
	ctx := context.Background()
	slow, err := rsmi.NewExactOracle(ctx, plainModel{bc}, 1.3, r, ds, o)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := rsmi.NewExactOracle(ctx, bc, 1.3, r, ds, o)
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < slow.NumEnvironments(); e++ {
		if !slices.EqualFunc(slow.Cond(e), fast.Cond(e), func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
			t.Fatalf("environment %d: enumeration %v, elimination %v", e, slow.Cond(e), fast.Cond(e))
		}
	}
	if _, err := rsmi.NewExactOracle(ctx, wrongPairs{bc}, 1.3, r, ds, o); err == nil || !strings.Contains(err.Error(), "PairTerms") {
		t.Errorf("wrong PairTerms: error %v", err)
	}
}

// plainModel hides PairTerms: the oracle enumerates.
type plainModel struct{ m *BlumeCapel }

func (p plainModel) Geometry() *lattice.Geometry            { return p.m.Geometry() }
func (p plainModel) States() []int8                         { return p.m.States() }
func (p plainModel) Range() int                             { return 1 }
func (p plainModel) Energy(x []int8) float64                { return p.m.Energy(x) }
func (p plainModel) DeltaE(x []int8, i int, v int8) float64 { return p.m.DeltaE(x, i, v) }

// wrongPairs forgets the D term of PairTerms.
type wrongPairs struct{ *BlumeCapel }

func (w wrongPairs) PairTerms() ([]lattice.Bond, []float64, []float64) {
	b, s, _ := w.BlumeCapel.PairTerms()
	return b, s, []float64{0, 0, 0}
}
