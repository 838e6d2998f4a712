package learn

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// TestIsMajority checks the rule test on 2×2 filters: equal weights of
// either sign and weights with a small spread are majority rule; a dominant
// weight (decimation-like), a weight of the other sign or a zero weight are
// not.
func TestIsMajority(t *testing.T) {
	for _, tc := range []struct {
		w    []float64
		want bool
	}{
		{[]float64{1, 1, 1, 1}, true},
		{[]float64{-2, -2, -2, -2}, true},
		{[]float64{2.5, 2.8, 0.9, 2.6}, true},
		{[]float64{5, 1, 1, 1}, false},
		{[]float64{1, 1, 1, -1}, false},
		{[]float64{1, 1, 1, 0}, false},
	} {
		f := &rsmi.Filter{NH: 1, NV: 4, W: tc.w}
		if got := IsMajority(f); got != tc.want {
			t.Errorf("IsMajority(%v) = %v, want %v", tc.w, got, tc.want)
		}
	}
}

// TestRowsGrid checks that Rows and BlockGrid copy unit j's weights in
// x-fastest order.
func TestRowsGrid(t *testing.T) {
	f := &rsmi.Filter{NH: 2, NV: 4, W: []float64{1, 2, 3, 4, 5, 6, 7, 8}}
	rows := Rows(f)
	if !reflect.DeepEqual(rows, [][]float64{{1, 2, 3, 4}, {5, 6, 7, 8}}) {
		t.Errorf("Rows = %v", rows)
	}
	g := BlockGrid(f, 1, 2)
	if !reflect.DeepEqual(g, [][]float64{{5, 6}, {7, 8}}) {
		t.Errorf("BlockGrid(unit 1) = %v", g)
	}
	rows[0][0], g[0][0] = -1, -1
	if f.W[0] != 1 || f.W[4] != 5 {
		t.Errorf("Rows or BlockGrid share storage with the filter: W = %v", f.W)
	}
	if s := FmtRows(rows); s != "[-1.000 2.000 3.000 4.000][5.000 6.000 7.000 8.000]" {
		t.Errorf("FmtRows = %q", s)
	}
}

// TestSpreadPairs checks the pair count min(pairs, ⌈pairs/N⌉·N), that the
// positions are distinct and that every kept pair is the block at its
// position in its configuration.
func TestSpreadPairs(t *testing.T) {
	sq, _ := lattice.NewSquare(8)
	rng := rand.New(rand.NewPCG(1, 2))
	const N = 7
	data := make([]int8, N*64)
	for i := range data {
		data[i] = int8(2*rng.IntN(2) - 1)
	}
	ds, err := sample.NewDataset(sq.Geometry(), data)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := rsmi.NewRegions(ds.Geom, rsmi.RegionOptions{Block: []int{2, 2}, Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, pairs := range []int{1, 20, 21, 1000} {
		pos, v, e, n, err := SpreadPairs(reg, ds, pairs, rand.NewPCG(3, 4))
		if err != nil {
			t.Fatal(err)
		}
		per := min(reg.NumPositions(), (pairs+N-1)/N)
		if len(pos) != per || n != min(pairs, per*N) || len(v) != n*reg.NV() || len(e) != n*reg.NE() {
			t.Fatalf("pairs %d: %d positions, n = %d, %d v and %d e values; want %d positions, n = %d",
				pairs, len(pos), n, len(v), len(e), per, min(pairs, per*N))
		}
		seen := map[int]bool{}
		for _, p := range pos {
			if seen[p] {
				t.Fatalf("pairs %d: position %d twice in %v", pairs, p, pos)
			}
			seen[p] = true
		}
		for k := 0; k < n; k++ {
			row, p := ds.Row(k/per), pos[k%per]
			for i, d := range reg.V(p) {
				if v[k*reg.NV()+i] != row[d] {
					t.Fatalf("pairs %d: pair %d, v[%d] is not dof %d of configuration %d", pairs, k, i, d, k/per)
				}
			}
		}
	}
}

// TestTrainProgress checks that Train and ExactV pass their options through
// (the step count and the estimator's inputs) and leave a working filter.
func TestTrainProgress(t *testing.T) {
	ch, _ := lattice.NewChain(16)
	m, _ := lattice.NewNearestNeighborIsing(ch, 1)
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(m, 1, src) },
		sample.Plan{Chains: 1, BurnIn: 50, Every: 5, PerChain: 100}, rand.NewPCG(5, 6))
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := rsmi.NewRegions(ds.Geom, rsmi.RegionOptions{Block: []int{2}, Buffer: 1, Env: 1})
	v, e, _, err := reg.Pairs(ds)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ExactV(context.Background(), v, reg.NV(), e, reg.NE(), rsmi.ExactVOptions{Src: rand.NewPCG(1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := rsmi.NewFilter(1, reg.NV(), rand.NewPCG(1, 2))
	res, err := Train(context.Background(), ev, f, "test", rsmi.TrainOptions{Steps: 30, Norm: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.History) != 30 || math.Abs(f.Norms()[0]-1) > 1e-9 {
		t.Errorf("%d history entries, ‖λ‖ = %v; want 30 and 1", len(res.History), f.Norms()[0])
	}
}
