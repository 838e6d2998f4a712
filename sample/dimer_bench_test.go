package sample

import (
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// BenchmarkDimerLoop times DimerLoop.Step (one loop) on the L×L torus:
//
//	go test ./sample -run '^$' -bench 'DimerLoop' -benchtime 3s
//
// ns/update is per loop move (one pivot step of the directed loop) or
// plaquette-flip attempt, moves/loop the mean number of moves per loop. The
// V=-1 case (T = 1) uses the exit-probability table and one sweep of L²
// plaquette-flip attempts per loop; the noise case redraws the 2L² noise
// spins at every Step (Config is called after each Step).
func BenchmarkDimerLoop(b *testing.B) {
	cases := []struct {
		name  string
		L     int
		V     float64
		flips int
		noise bool
	}{
		{"L=16", 16, 0, 0, false},
		{"L=64", 64, 0, 0, false},
		{"L=64/noise", 64, 0, 0, true},
		{"L=64/V=-1", 64, -1, 64 * 64, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m, err := lattice.NewDimer(c.L, lattice.DimerOptions{V: c.V, NoiseSpins: c.noise})
			if err != nil {
				b.Fatal(err)
			}
			s, err := NewDimerLoop(m, 1, rand.NewPCG(1, 2))
			if err != nil {
				b.Fatal(err)
			}
			s.PlaquetteFlips = c.flips
			for range 1000 {
				s.Step()
			}
			b.ReportAllocs()
			m0, l0 := s.Moves(), s.loops
			b.ResetTimer()
			for b.Loop() {
				s.Step()
				_ = s.Config()
			}
			moves := s.Moves() - m0
			updates := moves + int64(b.N)*int64(c.flips)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(updates, 1)), "ns/update")
			b.ReportMetric(float64(moves)/float64(max(s.loops-l0, 1)), "moves/loop")
		})
	}
}
