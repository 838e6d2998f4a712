package rbm

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// markovRows returns n rows of d bits, each a stationary binary Markov
// chain: the first bit a fair coin, every next bit a copy of the previous
// one with probability 1−pFlip (the data of ../shared/anchors/rbm_py/common.py,
// statistically identical, from a different generator). Spin=true gives ±1.
func markovRows(n, d int, pFlip float64, spin bool, src rand.Source) []int8 {
	rng := rand.New(src)
	data := make([]int8, n*d)
	for r := range n {
		b := int8(rng.IntN(2))
		for i := range d {
			if i > 0 && rng.Float64() < pFlip {
				b = 1 - b
			}
			data[r*d+i] = b
			if spin {
				data[r*d+i] = 2*b - 1
			}
		}
	}
	return data
}

// BenchmarkCD1 times one CD-1 mini-batch update (positive phase, one
// block-Gibbs step, parameter update) on binary data; it must not allocate.
func BenchmarkCD1(b *testing.B) {
	for _, c := range []struct{ nv, nh, batch int }{{24, 32, 100}, {256, 64, 100}} {
		b.Run(fmt.Sprintf("nv=%d,nh=%d,batch=%d", c.nv, c.nh, c.batch), func(b *testing.B) {
			src := rand.NewPCG(1, 2)
			r, err := New(c.nv, c.nh, Binary, src)
			if err != nil {
				b.Fatal(err)
			}
			data := markovRows(c.batch, c.nv, 0.2, false, src)
			cfg, err := (&TrainOptions{BatchSize: c.batch, Src: src}).config(c.batch)
			if err != nil {
				b.Fatal(err)
			}
			t := newTrainer(r, cfg, src)
			t.load(data, c.batch)
			t.step(c.batch, 0.05)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				t.load(data, c.batch)
				t.step(c.batch, 0.05)
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(c.batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

var benchLL = flag.Bool("rbm.ll", true, "BenchmarkFitAnchor: compute the exact log-likelihood (about 10 s)")

// BenchmarkFitAnchor reproduces the fit timed by ../shared/anchors/rbm_py
// (sklearn_rbm.py, torch_rbm.py): 100,000 rows × 24 bits of the Markov-chain
// data, 32 binary hidden units, batch 100 in order, 10 epochs of PCD-1 at
// learning rate 0.05 (scikit-learn's BernoulliRBM rule and initialisation).
// It reports the wall and CPU seconds per fit and the exact mean
// log-likelihood (nats/row) of the training data averaged over the fits
// (seeds 0, 1, …; computed after the timing, a few seconds per fit). Run with
//
//	go test -run '^$' -bench FitAnchor -benchtime 5x ./rbm/
//
// (add -args -rbm.ll=false to skip the log-likelihood).
func BenchmarkFitAnchor(b *testing.B) {
	data := markovRows(100_000, 24, 0.2, false, rand.NewPCG(12345, 0))
	var fits []*RBM
	var total, cpu time.Duration
	for i := 0; b.Loop(); i++ {
		r, err := New(24, 32, Binary, rand.NewPCG(uint64(i), 7))
		if err != nil {
			b.Fatal(err)
		}
		start, cpu0 := time.Now(), cpuTime()
		_, err = Train(context.Background(), r, data, &TrainOptions{
			Epochs: 10, BatchSize: 100, LearningRate: 0.05, K: 1, Persistent: true,
			Src: rand.NewPCG(uint64(i), 8),
		})
		total += time.Since(start)
		cpu += cpuTime() - cpu0
		if err != nil {
			b.Fatal(err)
		}
		fits = append(fits, r)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/fit")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/fit")
	if !*benchLL {
		return
	}
	b.StopTimer()
	sum := 0.0
	for _, r := range fits {
		ll, err := r.LogLikelihood(data)
		if err != nil {
			b.Fatal(err)
		}
		sum += ll
	}
	b.ReportMetric(sum/float64(len(fits)), "ll_nats")
}

// cpuTime returns the CPU time (user+system) used by the process so far: on a
// shared machine it is a steadier measure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
