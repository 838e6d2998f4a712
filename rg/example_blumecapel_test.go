package rg_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
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

// Example_blumeCapel coarse-grains a spin-1 model end to end, as a user
// with their own Hamiltonian would: heat-bath samples of the Blume–Capel
// model near its critical line (D = 0.5, T_c ≈ 1.57), the (V, E) pairs of
// 2×2 blocks with the alphabet {−1, 0, 1}, the exact oracle of the model,
// and a learned filter with one coarse spin 1 — three hidden states rather
// than ±1 units, so that the coarse configurations are spin-1
// configurations again and the step can be iterated (rg.Flow) and fitted
// with the same model. Its most probable rule, averaged over the model's
// symmetries (the flip s → −s and the square's point group), makes one RG
// step with rg.Coarsen.
func Example_blumeCapel() {
	const L, T = 12, 1.57
	lat, _ := lattice.NewSquare(L)
	m := &BlumeCapel{Lat: lat, J: 1, D: 0.5}
	ctx := context.Background()
	ds, err := sample.Collect(ctx, func(src rand.Source) (sample.Sampler, error) {
		return sample.NewHeatBath(m, T, src)
	}, sample.Plan{Chains: 2, BurnIn: 2000, Every: 100, PerChain: 100}, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	r, _ := rsmi.NewRegions(lat.Geometry(), []int{2, 2}, &rsmi.RegionOptions{Buffer: 1, Env: 1})
	pairs, _ := r.Pairs(ds)
	fmt.Printf("%d pairs of |V| = %d, |E| = %d, values %v\n", pairs.N, pairs.NV, pairs.NE, pairs.States)

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
	if err := f.AlignStates(); err != nil { // coarse state s ↔ the uniform block of s
		panic(err)
	}
	flip, _ := rsmi.SymmetrizeStates(rsmi.MostProbable(f), m.States(), [][]int{{0, 1, 2}, {2, 1, 0}})
	square, _ := lattice.BlockSymmetries(2, 2)
	rule, _ := rsmi.Symmetrize(flip, square)
	ruleMI, _ := oracle.RuleMI(rule)
	fmt.Printf("MI: learned filter %.2f, its symmetrized rule %.2f, plurality %.2f, I(V:E) %.2f bit\n", res.MI, ruleMI, plurality, oracle.VisibleMI())

	coarse, err := rg.Coarsen(ds, lat, 2, rule, rand.NewPCG(5, 6))
	if err != nil {
		panic(err)
	}
	fmt.Printf("coarse: %d samples of %d spins, values %v, vacancies %.2f (fine %.2f)\n", coarse.N, coarse.D, coarse.States, vacancies(coarse), vacancies(ds))
	// Output:
	// 28800 pairs of |V| = 4, |E| = 20, values [-1 0 1]
	// MI: learned filter 0.65, its symmetrized rule 0.67, plurality 0.60, I(V:E) 0.76 bit
	// coarse: 200 samples of 36 spins, values [-1 0 1], vacancies 0.15 (fine 0.19)
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
