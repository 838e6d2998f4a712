package sample

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/lattice"
)

// BenchmarkCollectScaling measures how Collect's throughput scales from one
// chain to two: each chain does the same work (Metropolis sweeps of a 64×64
// Ising model at T_c), so on two idle cores the reported "speedup" —
// 2·t(1 chain)/t(2 chains) — should be close to 2.
func BenchmarkCollectScaling(b *testing.B) {
	l, _ := lattice.NewSquare(64)
	m, _ := lattice.NewNearestNeighborIsing(l, 1)
	factory := func(src rand.Source) (Sampler, error) { return NewMetropolis(m, 2.269185, src) }
	run := func(chains int) time.Duration {
		start := time.Now()
		_, err := Collect(context.Background(), factory, Plan{Chains: chains, BurnIn: 0, Every: 10, PerChain: 1000}, rand.NewPCG(1, 2))
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var t1, t2 time.Duration
	for b.Loop() {
		t1 += run(1)
		t2 += run(2)
	}
	b.ReportMetric(2*t1.Seconds()/t2.Seconds(), "speedup")
}
