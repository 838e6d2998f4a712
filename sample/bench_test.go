package sample

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the 2D nearest-neighbour Ising fast paths at T_c, to compare
// with the C anchors in shared/anchors/ising_c (same algorithms, xoshiro256**):
//
//	go test ./sample -run '^$' -bench 'Ising2D' -benchtime 3s
//	./metropolis 64 2.269185 20000 1   (prints flips/ns; ns/update = 1/that)
//	./wolff 64 2.269185 200000 1
//
// ns/update is per attempted single-spin update (Metropolis, HeatBath), per
// flipped spin (Wolff) and per spin per sweep (SwendsenWang).

const benchTc = 2.269185

func BenchmarkMetropolisIsing2D(b *testing.B) {
	for _, L := range []int{64, 256} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			s, err := NewMetropolis(mustSquareIsing(b, L), benchTc, rand.NewPCG(1, 2))
			if err != nil {
				b.Fatal(err)
			}
			for range 100 {
				s.Step()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s.Step()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(L*L), "ns/update")
		})
	}
}

func BenchmarkHeatBathIsing2D(b *testing.B) {
	L := 64
	b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
		s, err := NewHeatBath(mustSquareIsing(b, L), benchTc, rand.NewPCG(1, 2))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			s.Step()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(L*L), "ns/update")
	})
}

// BenchmarkMetropolisGeneric is the interface path (a Model hiding *Ising).
func BenchmarkMetropolisGeneric(b *testing.B) {
	L := 64
	s, err := NewMetropolis(hiddenModel{mustSquareIsing(b, L)}, benchTc, rand.NewPCG(1, 2))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Step()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(L*L), "ns/update")
}

func BenchmarkWolffIsing2D(b *testing.B) {
	for _, L := range []int{64, 256} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			s, err := NewWolff(mustSquareIsing(b, L), benchTc, rand.NewPCG(1, 2))
			if err != nil {
				b.Fatal(err)
			}
			// cold start and warm-up as in the C anchor (a hot start takes
			// many more clusters to reach typical cluster sizes at T_c)
			up := make([]int8, L*L)
			for i := range up {
				up[i] = 1
			}
			if err := s.SetConfig(up); err != nil {
				b.Fatal(err)
			}
			for range 1000 {
				s.Step()
			}
			flipped := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s.Step()
				flipped += s.LastClusterSize()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(flipped), "ns/update")
			b.ReportMetric(float64(flipped)/float64(b.N), "spins/cluster")
		})
	}
}

func BenchmarkSwendsenWangIsing2D(b *testing.B) {
	L := 64
	b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
		s, err := NewSwendsenWang(mustSquareIsing(b, L), benchTc, rand.NewPCG(1, 2))
		if err != nil {
			b.Fatal(err)
		}
		for range 100 {
			s.Step()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			s.Step()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(L*L), "ns/update")
	})
}
