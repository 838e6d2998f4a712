// Package learn holds the steps the example programs share on the way from
// samples to a learned RSMI filter (Koch-Janusz & Ringel, Nature Physics 14,
// 578 (2018)): (V,E) pairs at block positions spread over the lattice, the Θ-RBM (ExactV), the exact
// oracle and the filter training with progress bars, and the checks and
// printing of a learned filter.
package learn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// SpreadPairs cuts (V,E) pairs from ds at ⌈pairs/N⌉ block positions per
// configuration — a random subset of the positions drawn from src, the same
// for every configuration — and keeps the first min(pairs, positions·N). It
// returns the positions, the pairs (flat, nv resp. ne values each) and their
// number n.
func SpreadPairs(reg *rsmi.Regions, ds *sample.Dataset, pairs int, src rand.Source) (pos []int, v, e []int8, n int, err error) {
	per := min(reg.NumPositions(), (pairs+ds.N-1)/ds.N)
	pos = rand.New(src).Perm(reg.NumPositions())[:per]
	v, e, n, err = reg.PairsAt(ds, pos)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	n = min(n, pairs)
	return pos, v[:n*reg.NV()], e[:n*reg.NE()], n, nil
}

// ExactV trains the Θ-RBM of the ExactV estimator on the pairs (v, e) with
// a progress bar "Θ-RBM" on stderr; opts.Progress is set to the bar.
func ExactV(ctx context.Context, v []int8, nv int, e []int8, ne int, opts rsmi.ExactVOptions) (*rsmi.ExactV, error) {
	bar := cli.NewBar("Θ-RBM")
	defer bar.Done()
	opts.Progress = bar.Update
	return rsmi.NewExactV(ctx, v, nv, e, ne, &opts)
}

// Oracle builds the exact oracle (rsmi.NewExactOracle) with a progress bar
// "exact oracle" on stderr; opts.Progress is set to the bar.
func Oracle(ctx context.Context, m lattice.Model, T float64, reg *rsmi.Regions, ds *sample.Dataset, opts rsmi.OracleOptions) (*rsmi.Table, error) {
	bar := cli.NewBar("exact oracle")
	defer bar.Done()
	opts.Progress = bar.Update
	return rsmi.NewExactOracle(ctx, m, T, reg, ds, &opts)
}

// Train maximizes est's MI over the filter f with rsmi.Train, drawing a
// progress bar labelled label on stderr; opts.Progress is set to the bar.
func Train(ctx context.Context, est rsmi.Estimator, f *rsmi.Filter, label string, opts rsmi.TrainOptions) (*rsmi.TrainResult, error) {
	bar := cli.NewBar(label)
	defer bar.Done()
	opts.Progress = func(step int, _ float64) { bar.Update(step, opts.Steps) }
	return rsmi.Train(ctx, est, f, &opts)
}

// IsMajority reports whether the single-unit filter f has weights of one
// sign and its most probable h equals ± the majority of every untied block
// state (the sign fixed by the weights' sign).
func IsMajority(f *rsmi.Filter) bool {
	sign := math.Copysign(1, f.W[0])
	for _, w := range f.W {
		if math.Copysign(1, w) != sign || w == 0 {
			return false
		}
	}
	v, h := make([]int8, f.NV), make([]int8, 1)
	src := rand.NewPCG(0, 0)
	for s := 0; s < 1<<f.NV; s++ {
		sum := 0
		for i := range v {
			v[i] = int8(2*(s>>i&1) - 1)
			sum += int(v[i])
		}
		if sum == 0 {
			continue
		}
		f.MostProbable(v, h, src)
		if float64(h[0]) != sign*math.Copysign(1, float64(sum)) {
			return false
		}
	}
	return true
}

// Rows returns a copy of f's weights, one row per hidden unit.
func Rows(f *rsmi.Filter) [][]float64 {
	out := make([][]float64, f.NH)
	for j := range out {
		out[j] = append([]float64(nil), f.W[j*f.NV:(j+1)*f.NV]...)
	}
	return out
}

// FmtRows formats weight rows with three decimals, as [a b c][d e f].
func FmtRows(w [][]float64) string {
	s := ""
	for _, r := range w {
		s += fmt.Sprintf("%.3f", r)
	}
	return s
}

// BlockGrid returns hidden unit j's weights over a b×b block (x fastest) as
// b rows of b values, a copy, for plots.Heatmaps.
func BlockGrid(f *rsmi.Filter, j, b int) [][]float64 {
	g := make([][]float64, b)
	for y := range g {
		g[y] = append([]float64(nil), f.W[j*f.NV+y*b:j*f.NV+(y+1)*b]...)
	}
	return g
}
