package rbm

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"strconv"
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

// BenchmarkRBMFit times the fit of ../shared/anchors/rbm_py (sklearn_rbm.py,
// torch_rbm.py): one op is the whole fit of a binary RBM with 32 hidden
// units to the anchors' data (anchorData: the same 100,000 × 24 bits),
// batch 100 in order, 10 epochs of PCD-1 at learning rate 0.05
// (scikit-learn's BernoulliRBM rule and initialisation). It reports the CPU
// seconds per fit (the steady measure on a shared machine) and the wall
// seconds; with RSMI_RBM_LL=1 it also reports the exact mean log-likelihood
// (nats/row, all 2^24 visible states enumerated) of the training data
// averaged over the fits (seeds 0, 1, …), computed after the timing, to
// compare with the anchors' --ll figure. Run with
//
//	go test -run '^$' -bench RBMFit -benchtime 5x ./rbm/
//	RSMI_RBM_LL=1 go test -run '^$' -bench RBMFit -benchtime 5x ./rbm/
//
// RSMI_RBM_SEED0=s starts the seeds at s instead of 0.
func BenchmarkRBMFit(b *testing.B) {
	data := anchorData()
	var fits []*RBM
	var total, cpu time.Duration
	seed0, _ := strconv.Atoi(os.Getenv("RSMI_RBM_SEED0"))
	for i := seed0; b.Loop(); i++ {
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
	if os.Getenv("RSMI_RBM_LL") == "" {
		return
	}
	b.StopTimer()
	sum := 0.0
	for i, r := range fits {
		ll, err := r.LogLikelihood(data)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("fit %d: exact mean log-likelihood %.4f nats", seed0+i, ll)
		sum += ll
	}
	// the entropy of the generating process bounds the mean log-likelihood
	bound := -(math.Ln2 + 23*(-0.2*math.Log(0.2)-0.8*math.Log(0.8)))
	b.ReportMetric(sum/float64(len(fits)), "ll_nats")
	b.ReportMetric(bound-sum/float64(len(fits)), "ll_gap_nats")
}

// anchorData returns the data of ../shared/anchors/rbm_py/common.py,
// make_data(), bit for bit: 100,000 rows of 24 bits from NumPy's
// default_rng(12345) (PCG64 seeded by SeedSequence), steps =
// random((n, 24)) < 0.2, steps[:, 0] = random(n) < 0.5, and the row-wise
// cumulative XOR of the steps.
func anchorData() []int8 {
	const n, d = 100_000, 24
	g := newNumpyPCG64(12345)
	data := make([]int8, n*d)
	for k := range data {
		if g.random() < 0.2 {
			data[k] = 1
		}
	}
	for r := range n {
		row := data[r*d : r*d+d]
		row[0] = 0
		if g.random() < 0.5 {
			row[0] = 1
		}
		for i := 1; i < d; i++ {
			row[i] ^= row[i-1]
		}
	}
	return data
}

// numpyPCG64 is NumPy's PCG64 bit generator (PCG XSL-RR 128/64).
type numpyPCG64 struct{ hi, lo, incHi, incLo uint64 }

// newNumpyPCG64 seeds a generator as np.random.default_rng(seed) does for a
// seed below 2^32: SeedSequence(seed).generate_state(4, uint64) gives the
// initial state (words 0, 1) and the increment (words 2, 3).
func newNumpyPCG64(seed uint32) *numpyPCG64 {
	const (
		initA, multA = 0x43b0d7e5, 0x931e8875
		initB, multB = 0x8b51f9dd, 0x58f38ded
		mixL, mixR   = 0xca01f9dd, 0x4973f715
	)
	hc := uint32(initA)
	hashmix := func(v uint32) uint32 {
		v ^= hc
		hc *= multA
		v *= hc
		return v ^ v>>16
	}
	var pool [4]uint32
	for i := range pool {
		e := uint32(0)
		if i == 0 {
			e = seed
		}
		pool[i] = hashmix(e)
	}
	for src := range pool {
		for dst := range pool {
			if src != dst {
				x := mixL*pool[dst] - mixR*hashmix(pool[src])
				pool[dst] = x ^ x>>16
			}
		}
	}
	hb := uint32(initB)
	var w [8]uint32
	for i := range w {
		v := pool[i%4] ^ hb
		hb *= multB
		v *= hb
		w[i] = v ^ v>>16
	}
	word := func(i int) uint64 { return uint64(w[2*i]) | uint64(w[2*i+1])<<32 }
	g := &numpyPCG64{incHi: word(2)<<1 | word(3)>>63, incLo: word(3)<<1 | 1}
	g.step()
	var c uint64
	g.lo, c = bits.Add64(g.lo, word(1), 0)
	g.hi += word(0) + c
	g.step()
	return g
}

func (g *numpyPCG64) step() {
	const mHi, mLo = 2549297995355413924, 4865540595714422341
	hi, lo := bits.Mul64(g.lo, mLo)
	hi += g.hi*mLo + g.lo*mHi
	var c uint64
	g.lo, c = bits.Add64(lo, g.incLo, 0)
	g.hi = hi + g.incHi + c
}

// random returns the next double of Generator.random().
func (g *numpyPCG64) random() float64 {
	g.step()
	x := bits.RotateLeft64(g.hi^g.lo, -int(g.hi>>58))
	return float64(x>>11) * 0x1p-53
}

// TestAnchorData checks anchorData against figures printed by NumPy:
// default_rng(12345).random(3), the sum of make_data() and its first row.
func TestAnchorData(t *testing.T) {
	g := newNumpyPCG64(12345)
	for _, want := range []float64{0.22733602, 0.31675834, 0.79736546} {
		if got := g.random(); math.Abs(got-want) > 5e-9 {
			t.Fatalf("PCG64 draw %v, NumPy %v", got, want)
		}
	}
	data := anchorData()
	sum, wsum := 0, 0
	for k, x := range data {
		sum += int(x)
		wsum += int(x) * (k%24 + 1)
	}
	first := fmt.Sprint(data[:24])
	if sum != 1200818 || wsum != 15028277 || first != "[1 1 1 1 1 1 1 0 0 0 0 0 0 1 1 1 1 1 1 1 0 1 1 1]" {
		t.Errorf("anchor data: sum %d, weighted sum %d, first row %s; NumPy 1200818, 15028277, [1 1 1 1 1 1 1 0 0 0 0 0 0 1 1 1 1 1 1 1 0 1 1 1]", sum, wsum, first)
	}
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
