package lattice

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// constructCase is one model-construction benchmark: a lattice shape and a
// set of terms.
type constructCase struct {
	name  string
	ext   []int
	terms func(dim int) []Term
}

func nnTerms(dim int) []Term { return []Term{{Op: NearestNeighbor(dim), J: 1}} }

// fourTerms is a model with several terms of different orders: field,
// nearest and next-nearest pairs and the plaquette.
func fourTerms(dim int) []Term {
	return []Term{
		{Op: NearestNeighbor(dim), J: 1},
		{Op: NextNearest(dim), J: -0.25},
		{Op: Plaquette(dim), J: 0.1},
		{Op: Field(dim), J: 0.05},
	}
}

var constructCases = []constructCase{
	{"L=256", []int{256, 256}, nnTerms},
	{"L=1024", []int{1024, 1024}, nnTerms},
	{"L=256,terms=4", []int{256, 256}, fourTerms},
	{"L=1024,terms=4", []int{1024, 1024}, fourTerms},
	{"3D,L=64", []int{64, 64, 64}, nnTerms},
	{"3D,L=128", []int{128, 128, 128}, nnTerms},
	{"3D,L=64,terms=4", []int{64, 64, 64}, fourTerms},
}

// retained returns the heap bytes still reachable after build, measured
// with runtime.MemStats around one extra call outside the timed loop.
func retained(b *testing.B, build func() any) float64 {
	b.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return float64(int64(after.HeapAlloc) - int64(before.HeapAlloc))
}

// BenchmarkNewIsing measures what a user pays before the first sweep: the
// lattice and the model (NewLattice + NewIsing). B/op and allocs/op are the
// allocations of one construction; B/site is B/op per site,
// retained-B/site the heap still held by the result and cpu-ns/op the
// process CPU time per construction (garbage collection included).
func BenchmarkNewIsing(b *testing.B) {
	for _, c := range constructCases {
		b.Run(c.name, func(b *testing.B) {
			build := func() any {
				l, err := NewLattice(c.ext...)
				if err != nil {
					b.Fatal(err)
				}
				m, err := NewIsing(l, c.terms(len(c.ext))...)
				if err != nil {
					b.Fatal(err)
				}
				return m
			}
			n := 1
			for _, e := range c.ext {
				n *= e
			}
			keep := retained(b, build)
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0 := cpuNanos()
			for b.Loop() {
				build()
			}
			cpu := cpuNanos() - cpu0
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/float64(n), "B/site")
			b.ReportMetric(keep/float64(n), "retained-B/site")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/site")
		})
	}
}

// BenchmarkPairCouplings measures the explicit bond list that cluster
// samplers and the exact oracle ask for (once, at construction).
func BenchmarkPairCouplings(b *testing.B) {
	for _, ext := range [][]int{{256, 256}, {1024, 1024}, {64, 64, 64}} {
		b.Run(fmt.Sprint(ext), func(b *testing.B) {
			l, _ := NewLattice(ext...)
			m, _ := NewIsing(l, Term{Op: NearestNeighbor(len(ext)), J: 1}, Term{Op: NextNearest(len(ext)), J: 0.5})
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := m.PairCouplings(); !ok {
					b.Fatal("not pairs")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(l.N()), "ns/site")
		})
	}
}

// BenchmarkLocalField compares the compact model's LocalField (every site
// of a random configuration) and Energy with the per-site tables they
// replaced (refIsing, test-only); on small lattices most sites are near the
// boundary.
func BenchmarkLocalField(b *testing.B) {
	for _, ext := range [][]int{{8, 8}, {64, 64}, {8, 8, 8}} {
		l, _ := NewLattice(ext...)
		d := len(ext)
		terms := []Term{{NearestNeighbor(d), 0.3}, {NextNearest(d), -0.1}, {Plaquette(d), 0.2}}
		m, _ := NewIsing(l, terms...)
		ref := newRefIsing(l, terms...)
		x := randomConfig(l.N(), rand.New(rand.NewPCG(1, 2)))
		for _, impl := range []struct {
			name string
			f    func(x []int8, i int) float64
		}{{"compact", m.LocalField}, {"tables", ref.localField}} {
			b.Run(fmt.Sprint(ext, "/", impl.name), func(b *testing.B) {
				var s float64
				b.ReportAllocs()
				cpu0 := cpuNanos()
				for b.Loop() {
					for i := range x {
						s += impl.f(x, i)
					}
				}
				sink = s
				b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N)/float64(l.N()), "cpu-ns/site")
			})
		}
		for _, impl := range []struct {
			name string
			f    func(x []int8) float64
		}{{"compact", m.Energy}, {"tables", ref.energy}} {
			b.Run(fmt.Sprint(ext, "/Energy/", impl.name), func(b *testing.B) {
				var s float64
				b.ReportAllocs()
				cpu0 := cpuNanos()
				for b.Loop() {
					s += impl.f(x)
				}
				sink = s
				b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N)/float64(l.N()), "cpu-ns/site")
			})
		}
	}
}

var sink float64
