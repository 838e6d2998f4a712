package rg

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
)

// blockState returns the block state numbered s (bit i = dof i up).
func blockState(s, nv int) []int8 {
	v := make([]int8, nv)
	for i := range v {
		v[i] = int8(2*(s>>i&1) - 1)
	}
	return v
}

// TestCoarsenDrawsTheRulesConditional checks that Coarsen with the
// symmetrized learned filter — stochastic and most probable, both through
// the tabulated fast path — draws h with the rule's conditional: for every
// 2×2 block state the frequency of h = +1 over many random blocks is within
// 4 binomial standard errors of P(h=+1|V) (rule.Cond). The rule's own
// physics (invariance, the sharp filter's average being majority rule) is
// tested in package rsmi.
func TestCoarsenDrawsTheRulesConditional(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	lat, _ := lattice.NewSquare(8)
	ds := randomDataset(t, lat, 3000, r)
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{1.0, 0.2, -0.4, 0.1}}
	G, err := lattice.BlockSymmetries(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []rsmi.Rule{rsmi.MostProbable(f), f} {
		rule, err := rsmi.Symmetrize(base, G)
		if err != nil {
			t.Fatal(err)
		}
		bl, err := NewBlocking(lat, 2, rule)
		if err != nil {
			t.Fatal(err)
		}
		c, err := bl.Dataset(ds, rand.NewPCG(5, 6))
		if err != nil {
			t.Fatal(err)
		}
		var up, n [16]float64
		for i := 0; i < ds.N; i++ {
			for B := 0; B < lat.N()/4; B++ {
				s := 0
				for o, site := range bl.BlockSites(B) {
					if ds.Row(i)[site] > 0 {
						s |= 1 << o
					}
				}
				n[s]++
				if c.Row(i)[B] > 0 {
					up[s]++
				}
			}
		}
		nontrivial := 0
		p := make([]float64, 2)
		for s := 0; s < 16; s++ {
			rule.Cond(blockState(s, 4), p)
			if p[1] > 0 && p[1] < 1 {
				nontrivial++
			}
			se := math.Sqrt(p[1] * (1 - p[1]) / n[s])
			if got := up[s] / n[s]; math.Abs(got-p[1]) > 4*se {
				t.Errorf("%T: V=%v: frequency of h=+1 %.4f over %v blocks, want %.4f ± %.4f", base, blockState(s, 4), got, n[s], p[1], se)
			}
		}
		if nontrivial < 8 {
			t.Errorf("%T: only %d block states with 0 < P < 1", base, nontrivial)
		}
	}
}

// TestCoarsenUntabulated checks the direct path for blocks too large to
// tabulate (5×5 = 25 spins, 2^25 states): majority rule, which has no ties
// on odd blocks, against the block sums, and the rule's own stream for a
// stochastic filter (the same seed gives the same bytes, another seed other
// ones).
func TestCoarsenUntabulated(t *testing.T) {
	lat, _ := lattice.NewSquare(10)
	ds := randomDataset(t, lat, 20, rand.New(rand.NewPCG(1, 2)))
	bl, err := NewBlocking(lat, 5, rsmi.Majority{})
	if err != nil {
		t.Fatal(err)
	}
	if bl.table != nil {
		t.Fatal("5×5 blocks were tabulated")
	}
	c, err := bl.Dataset(ds, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < ds.N; i++ {
		for B := 0; B < 4; B++ {
			sum := 0
			for _, site := range bl.BlockSites(B) {
				sum += int(ds.Row(i)[site])
			}
			if want := int8(math.Copysign(1, float64(sum))); c.Row(i)[B] != want {
				t.Fatalf("config %d block %d: sum %d, coarse %d", i, B, sum, c.Row(i)[B])
			}
		}
	}
	f := &rsmi.Filter{NH: 1, NV: 25, W: make([]float64, 25)}
	for i := range f.W {
		f.W[i] = 0.05 * float64(i%7)
	}
	a, _ := Coarsen(ds, lat, 5, f, rand.NewPCG(3, 3))
	b, _ := Coarsen(ds, lat, 5, f, rand.NewPCG(3, 3))
	d, _ := Coarsen(ds, lat, 5, f, rand.NewPCG(3, 4))
	if !bytes.Equal(int8Bytes(a.Data), int8Bytes(b.Data)) || bytes.Equal(int8Bytes(a.Data), int8Bytes(d.Data)) {
		t.Error("the stochastic filter's coarse data do not depend on the seed alone")
	}
}

func BenchmarkCoarsenSymmetrizedFilter(b *testing.B) {
	lat, _ := lattice.NewSquare(64)
	ds := randomDataset(b, lat, 256, rand.New(rand.NewPCG(1, 2)))
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{1.2, 1.9, 1.8, 2.3}}
	G, _ := lattice.BlockSymmetries(2, 2)
	rule, err := rsmi.Symmetrize(rsmi.MostProbable(f), G)
	if err != nil {
		b.Fatal(err)
	}
	src := rand.NewPCG(1, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Coarsen(ds, lat, 2, rule, src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ds.N*lat.N()), "ns/spin")
}
