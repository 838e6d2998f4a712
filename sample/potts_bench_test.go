package sample

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the Potts cluster samplers on the 2D 3-state Potts model at
// T_c = 1/ln(1+√3):
//
//	go test ./sample -run '^$' -bench 'Potts' -benchtime 3s
//
// ns/update is per recoloured site (PottsWolff) and per site per sweep
// (PottsSwendsenWang).

func BenchmarkPottsWolff2D(b *testing.B) {
	for _, L := range []int{64, 256} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			s, err := NewPottsWolff(mustPotts(b, 3, 1, L, L), pottsTc3, rand.NewPCG(1, 2))
			if err != nil {
				b.Fatal(err)
			}
			// cold start and warm-up (from a hot start the clusters stay
			// small for many steps)
			if err := s.SetConfig(make([]int8, L*L)); err != nil {
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
			b.ReportMetric(float64(flipped)/float64(b.N), "sites/cluster")
		})
	}
}

func BenchmarkPottsSW2D(b *testing.B) {
	for _, L := range []int{64, 256} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			s, err := NewPottsSwendsenWang(mustPotts(b, 3, 1, L, L), pottsTc3, rand.NewPCG(1, 2))
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
