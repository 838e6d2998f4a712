package exponent

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/run"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

func spins(n int, seed uint64) []int8 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]int8, n)
	for i := range x {
		x[i] = int8(2*r.IntN(2) - 1)
	}
	return x
}

// TestBadInputSweep feeds MCRG and Collapse invalid values.
func TestBadInputSweep(t *testing.T) {
	ctx := context.Background()
	src := rand.NewPCG(1, 2)
	nan, inf := math.NaN(), math.Inf(1)
	sq, _ := lattice.NewSquare(16)
	ch, _ := lattice.NewChain(16)
	ds, _ := sample.NewDataset(sq.Geometry(), spins(40*256, 1))
	dsChain, _ := sample.NewDataset(ch.Geometry(), spins(16, 2))
	mcrg := func(d *sample.Dataset, l *lattice.Lattice, o *MCRGOptions) func() (any, error) {
		return func() (any, error) { return MCRG(ctx, d, l, src, o) }
	}
	curve := func(level int, T, Q, E []float64) Curve { return Curve{Level: level, T: T, Q: Q, Err: E} }
	good := []Curve{
		curve(0, []float64{1, 2, 3}, []float64{0.1, 0.5, 0.9}, []float64{0.01, 0.01, 0.01}),
		curve(1, []float64{1, 2, 3}, []float64{0.05, 0.5, 0.95}, []float64{0.01, 0.01, 0.01}),
	}
	collapse := func(c []Curve, edit func(o *CollapseOptions)) func() (any, error) {
		return func() (any, error) {
			o := CollapseOptions{B: 2, Tc: 2, Nu: 1, Resamples: 10}
			edit(&o)
			return Collapse(c, src, &o)
		}
	}
	keep := func(*CollapseOptions) {}
	badinput.Sweep(t, "exponent:", badinput.Calls{
		{"MCRG nil dataset", mcrg(nil, sq, &MCRGOptions{})},
		{"MCRG nil lattice", mcrg(ds, nil, &MCRGOptions{})},
		{"MCRG geometry mismatch", mcrg(dsChain, sq, &MCRGOptions{})},
		{"MCRG block side 1", mcrg(ds, sq, &MCRGOptions{B: 1})},
		{"MCRG negative block side", mcrg(ds, sq, &MCRGOptions{B: -2})},
		{"MCRG negative levels", mcrg(ds, sq, &MCRGOptions{Levels: -1})},
		{"MCRG too many levels", mcrg(ds, sq, &MCRGOptions{Levels: 9})},
		{"MCRG one block", mcrg(ds, sq, &MCRGOptions{Blocks: 1})},
		{"MCRG too many blocks", mcrg(ds, sq, &MCRGOptions{Blocks: 100})},
		{"MCRG two-output rule", mcrg(ds, sq, &MCRGOptions{Rule: twoOut{}})},
		{"MCRG no operators", mcrg(ds, sq, &MCRGOptions{NoEven: true, NoOdd: true})},
		{"MCRG operator dimension", mcrg(ds, sq, &MCRGOptions{Even: []lattice.Operator{lattice.NearestNeighbor(3)}})},
		{"MCRG nil source", func() (any, error) { return MCRG(ctx, ds, sq, nil, &MCRGOptions{}) }},
		{"Collapse no curves", collapse(nil, keep)},
		{"Collapse one curve", collapse(good[:1], keep)},
		{"Collapse B 1", collapse(good, func(o *CollapseOptions) { o.B = 1 })},
		{"Collapse NaN B", collapse(good, func(o *CollapseOptions) { o.B = nan })},
		{"Collapse Inf B", collapse(good, func(o *CollapseOptions) { o.B = inf })},
		{"Collapse zero nu", collapse(good, func(o *CollapseOptions) { o.Nu = -1 })},
		{"Collapse NaN nu", collapse(good, func(o *CollapseOptions) { o.Nu = nan })},
		{"Collapse NaN Tc", collapse(good, func(o *CollapseOptions) { o.Tc = nan })},
		{"Collapse one resample", collapse(good, func(o *CollapseOptions) { o.Resamples = 1 })},
		{"Collapse nil source", func() (any, error) { return Collapse(good, nil, nil) }},
		{"Collapse length mismatch", collapse([]Curve{good[0], curve(1, []float64{1, 2}, []float64{0.1}, []float64{0.1})}, keep)},
		{"Collapse NaN value", collapse([]Curve{good[0], curve(1, []float64{1, 2}, []float64{nan, 1}, []float64{0.1, 0.1})}, keep)},
		{"Collapse negative error", collapse([]Curve{good[0], curve(1, []float64{1, 2}, []float64{0, 1}, []float64{-0.1, 0.1})}, keep)},
		{"Collapse decreasing T", collapse([]Curve{good[0], curve(1, []float64{2, 1}, []float64{0, 1}, []float64{0.1, 0.1})}, keep)},
		{"Collapse Inf T", collapse([]Curve{good[0], curve(1, []float64{1, inf}, []float64{0, 1}, []float64{0.1, 0.1})}, keep)},
	})
}

// twoOut is a rule with two outputs per block.
type twoOut struct{ rsmi.Majority }

func (twoOut) Outputs() int { return 2 }

// TestMCRGCancelPrompt cancels an MCRG run from its first progress report
// and requires an error wrapping context.Canceled before the work is done
// (no report of all configurations coarse-grained). Nothing depends on the
// time the call takes.
func TestMCRGCancelPrompt(t *testing.T) {
	lat, _ := lattice.NewSquare(64)
	ds, _ := sample.NewDataset(lat.Geometry(), spins(4000*4096, 3))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	finished := false
	_, err := MCRG(ctx, ds, lat, rand.NewPCG(1, 1), &MCRGOptions{Levels: 3, Progress: func(p run.Progress) {
		cancel()
		finished = finished || p.Done == p.Total
	}})
	if !errors.Is(err, context.Canceled) || finished {
		t.Errorf("MCRG cancelled at its first progress report: error %v, all configurations done: %v", err, finished)
	}
}
