package sample

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// Benchmarks of the nearest-neighbour Ising samplers at T_c, to compare with
// the C anchors in shared/anchors/ising_c (bash bench/run.sh does it):
//
//	go test ./sample -run '^$' -bench 'Ising2D' -benchtime 3s
//
// Every benchmark reports ns/update, wall-clock time per spin update (per
// attempted single-spin update for Metropolis, HeatBath and MSC, per
// replica-spin update for Multispin, per flipped spin for Wolff, per spin per
// sweep for SwendsenWang), and cpu-ns/update, the same with the process's
// CPU time, which a busy machine disturbs far less: compare CPU figures when
// other work shares the cores. Steps allocate nothing (allocs/op).

// isingTc2D is the critical temperature 2/ln(1+√2) of the square lattice.
const isingTc2D = 2.269185314213022

// benchUpdates times b.N calls of step, each returning its number of spin
// updates, and reports ns/update and cpu-ns/update.
func benchUpdates(b *testing.B, step func() int) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	updates := 0
	for b.Loop() {
		updates += step()
	}
	cpu := cpuNanos() - cpu0
	b.StopTimer()
	u := float64(max(updates, 1))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/u, "ns/update")
	if cpu > 0 {
		b.ReportMetric(float64(cpu)/u, "cpu-ns/update")
	}
}

// benchSweeps benchmarks s after warm steps, counting n spin updates per step.
func benchSweeps(b *testing.B, s Sampler, warm, n int) {
	b.Helper()
	for range warm {
		s.Step()
	}
	benchUpdates(b, func() int { s.Step(); return n })
}

// forSizes runs f as sub-benchmarks L=… for each size.
func forSizes(b *testing.B, sizes []int, f func(b *testing.B, L int)) {
	for _, L := range sizes {
		b.Run("L="+strconv.Itoa(L), func(b *testing.B) { f(b, L) })
	}
}

func BenchmarkMetropolisIsing2D(b *testing.B) {
	forSizes(b, []int{64, 256}, func(b *testing.B, L int) {
		s := mustSampler(NewMetropolis(mustSquareIsing(b, L), isingTc2D, rand.NewPCG(1, 2)))
		benchSweeps(b, s, 100, L*L)
	})
}

func BenchmarkHeatBathIsing2D(b *testing.B) {
	forSizes(b, []int{64}, func(b *testing.B, L int) {
		s := mustSampler(NewHeatBath(mustSquareIsing(b, L), isingTc2D, rand.NewPCG(1, 2)))
		benchSweeps(b, s, 100, L*L)
	})
}

// BenchmarkMetropolisGeneric is the interface path (a Model hiding *Ising).
func BenchmarkMetropolisGeneric(b *testing.B) {
	L := 64
	s := mustSampler(NewMetropolis(hiddenModel{mustSquareIsing(b, L)}, isingTc2D, rand.NewPCG(1, 2)))
	benchSweeps(b, s, 10, L*L)
}

// BenchmarkWolffIsing2D counts flipped spins as updates, from a cold start
// and warm-up as in the C anchor (a hot start takes many more clusters to
// reach typical cluster sizes at T_c).
func BenchmarkWolffIsing2D(b *testing.B) {
	forSizes(b, []int{64, 256}, func(b *testing.B, L int) {
		s := mustSampler(NewWolff(mustSquareIsing(b, L), isingTc2D, rand.NewPCG(1, 2)))
		if err := s.SetConfig(uniform(L*L, 1)); err != nil {
			b.Fatal(err)
		}
		for range 1000 {
			s.Step()
		}
		steps, flipped := 0, 0
		benchUpdates(b, func() int {
			s.Step()
			steps++
			flipped += s.LastClusterSize()
			return s.LastClusterSize()
		})
		b.ReportMetric(float64(flipped)/float64(steps), "spins/cluster")
	})
}

func BenchmarkSwendsenWangIsing2D(b *testing.B) {
	forSizes(b, []int{64}, func(b *testing.B, L int) {
		s := mustSampler(NewSwendsenWang(mustSquareIsing(b, L), isingTc2D, rand.NewPCG(1, 2)))
		benchSweeps(b, s, 100, L*L)
	})
}

// uniform returns n copies of v.
func uniform(n int, v int8) []int8 {
	x := make([]int8, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// BenchmarkMultispinIsing2D measures one checkerboard sweep of 64 replicas of
// the L×L Ising model at T_c; an update is one replica-spin update (flips/ns
// is the figure the C anchor ./multispin prints).
func BenchmarkMultispinIsing2D(b *testing.B) {
	forSizes(b, []int{64, 256}, func(b *testing.B, L int) {
		s := mustSampler(NewMultispin(mustSquareIsing(b, L), isingTc2D, rand.NewPCG(1, 2)))
		benchSweeps(b, s, 200, L*L*MultispinReplicas)
	})
}

// BenchmarkMultispinIsing3D measures one checkerboard sweep of 64 replicas of
// the L³ Ising model near its critical temperature T_c ≈ 4.5115.
func BenchmarkMultispinIsing3D(b *testing.B) {
	forSizes(b, []int{16, 64}, func(b *testing.B, L int) {
		lat := mustSampler(lattice.NewCubic(L))
		m := mustSampler(lattice.NewNearestNeighborIsing(lat, 1))
		s := mustSampler(NewMultispin(m, 4.5115, rand.NewPCG(1, 2)))
		benchSweeps(b, s, 20, lat.N()*MultispinReplicas)
	})
}

// BenchmarkMultispinMeasure measures Energies and Magnetizations of all 64
// replicas of the 64×64 model (compare with one sweep,
// BenchmarkMultispinIsing2D/L=64).
func BenchmarkMultispinMeasure(b *testing.B) {
	s := mustSampler(NewMultispin(mustSquareIsing(b, 64), isingTc2D, rand.NewPCG(1, 2)))
	for range 200 {
		s.Step()
	}
	es := make([]float64, MultispinReplicas)
	ms := make([]float64, MultispinReplicas)
	b.ReportAllocs()
	for b.Loop() {
		s.Energies(es)
		s.Magnetizations(ms)
	}
}

// BenchmarkMSCIsing2D measures one checkerboard sweep of the single-lattice
// multi-spin-coded sampler on the L×L Ising model at T_c (compare with
// BenchmarkMetropolisIsing2D and the C anchor ./metropolis).
func BenchmarkMSCIsing2D(b *testing.B) {
	forSizes(b, []int{64, 256}, func(b *testing.B, L int) {
		s := mustSampler(NewMSC(mustSquareIsing(b, L), isingTc2D, rand.NewPCG(1, 2)))
		benchSweeps(b, s, 200, L*L)
	})
}

// BenchmarkMSCWorkers measures MSC sweeps shared among 1 or 2 goroutines
// (MSC.SetWorkers): with 2 workers on 2 free cores, ns/update (wall) halves
// at best, while cpu-ns/update shows the cost of the hand-offs.
func BenchmarkMSCWorkers(b *testing.B) {
	for _, L := range []int{256, 1024, 4096} {
		for _, n := range []int{1, 2} {
			b.Run("L="+strconv.Itoa(L)+"/workers="+strconv.Itoa(n), func(b *testing.B) {
				s := mustSampler(newMSCWorkers(mustSquareIsing(b, L), isingTc2D, rand.NewPCG(1, 2), n))
				benchSweeps(b, s, 20, L*L)
			})
		}
	}
}
