// Package learn holds the program concerns the example programs share on
// the way from samples to a learned RSMI filter (Koch-Janusz & Ringel,
// Nature Physics 14, 578 (2018)): the checks and printing of a learned
// filter. The thinning of the Wolff sampler is sample.PilotEvery's. The
// learning itself is package rsmi's (Regions.SpreadPairs, NewExactV,
// NewExactOracle, Train, TrainBest).
package learn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/rsmi"
)

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
