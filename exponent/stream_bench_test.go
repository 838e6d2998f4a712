package exponent

import (
	"context"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// benchCase is one benchmark workload: critical Ising configurations and
// an explicit operator set (the same in every version of the code).
type benchCase struct {
	name      string
	lat       *lattice.Lattice
	ds        *sample.Dataset
	even, odd []lattice.Operator
	levels    int
}

func mustSymB(b *testing.B, name string, offsets ...[]int) lattice.Operator {
	op, err := lattice.Symmetrized(name, offsets...)
	if err != nil {
		b.Fatal(err)
	}
	return op
}

// cpuTime returns the CPU time (user + system) of the process so far: on a
// shared machine a steadier measure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchCases returns 2D L = 64 with 6 even and 6 odd operators and 3D
// L = 32 with 8 + 5, both with 3 levels, on n Swendsen–Wang configurations
// at the critical point.
func benchCases(b *testing.B, n int, dims ...int) []benchCase {
	var out []benchCase
	for _, c := range []struct {
		L, dim int
		K      float64
	}{{64, 2, math.Log(1+math.Sqrt2) / 2}, {32, 3, 0.221654626}} {
		if len(dims) > 0 && dims[0] != c.dim {
			continue
		}
		ext := make([]int, c.dim)
		for i := range ext {
			ext[i] = c.L
		}
		lat, _ := lattice.NewLattice(ext...)
		m, err := lattice.NewNearestNeighborIsing(lat, 1)
		if err != nil {
			b.Fatal(err)
		}
		ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
			return sample.NewSwendsenWang(m, 1/c.K, src)
		}, sample.Plan{Chains: 1, BurnIn: 50, Every: 1, PerChain: n}, rand.NewPCG(1, 2))
		if err != nil {
			b.Fatal(err)
		}
		bc := benchCase{lat: lat, ds: ds, levels: 3}
		d := c.dim
		u := func(a, k int) []int { v := make([]int, d); v[a] = k; return v }
		o := make([]int, d)
		if d == 2 {
			bc.name = "2D-L64-6+6ops"
			bc.even, _ = lattice.EvenOperators(2, 6)
			bc.odd, _ = lattice.OddOperators(2, 6)
		} else {
			bc.name = "3D-L32-8+5ops"
			bc.even, _ = lattice.EvenOperators(3, 5) // nn, (1,1,0), plaquette, (1,1,1), (2,0,0)
			for _, p := range [][]int{{2, 1, 0}, {2, 1, 1}, {2, 2, 0}} {
				op, _ := lattice.Pair(p...)
				bc.even = append(bc.even, op)
			}
			bc.odd = []lattice.Operator{lattice.Field(3),
				mustSymB(b, "L3", o, u(0, 1), u(1, 1)),
				mustSymB(b, "line3", o, u(0, 1), u(0, 2)),
				mustSymB(b, "cross5", o, u(0, 1), u(0, -1), u(1, 1), u(1, -1)),
				mustSymB(b, "diag3", o, []int{1, 1, 0}, []int{2, 2, 0})}
		}
		out = append(out, bc)
	}
	return out
}

// BenchmarkMCRGAccumulate measures MCRGStream.Add with the majority rule
// (-table: tabulated through its Cond, as rsmi's rules will be):
// coarse-graining and operator evaluation of every level, moments (the
// per-configuration cost of MCRG; the final linear algebra is not
// included), in CPU time per configuration; cpu-ns/config/step divides by
// the 3 RG steps.
func BenchmarkMCRGAccumulate(b *testing.B) {
	for _, dim := range []int{2, 3} {
		c := benchCases(b, 200, dim)[0]
		for _, v := range []struct {
			suffix string
			first  int
			rule   rsmi.Rule
		}{{"", 1, rsmi.Majority{}}, {"-FirstLevel2", 2, rsmi.Majority{}}, {"-table", 1, condMajority{}}} {
			name, first := c.name+v.suffix, v.first
			b.Run(name, func(b *testing.B) {
				o := &MCRGOptions{Levels: c.levels, Even: c.even, Odd: c.odd, Blocks: 10, FirstLevel: first}
				b.ReportAllocs()
				cpu0 := cpuTime()
				for b.Loop() {
					st, err := NewMCRGStream(c.lat, c.ds.N, []rsmi.Rule{v.rule}, rand.NewPCG(1, 2), o)
					if err != nil {
						b.Fatal(err)
					}
					if err := st.Add(context.Background(), 0, c.ds.Data); err != nil {
						b.Fatal(err)
					}
				}
				per := float64((cpuTime() - cpu0).Nanoseconds()) / float64(b.N) / float64(c.ds.N)
				b.ReportMetric(per, "cpu-ns/config")
				b.ReportMetric(per/float64(c.levels), "cpu-ns/config/step")
			})
		}
	}
}
