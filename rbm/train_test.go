package rbm

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/run"
)

// isingRing returns the exact distribution of an n-spin periodic Ising ring
// at coupling K (state k: spin i = +1 if bit i is set) and n exact samples.
func isingRing(t testing.TB, nspin int, K float64, n int, src rand.Source) (p []float64, data []int8) {
	t.Helper()
	p = make([]float64, 1<<nspin)
	s := make([]int8, nspin)
	z := 0.0
	for k := range p {
		config(k, nspin, Spin, s)
		e := 0.0
		for i := range nspin {
			e += float64(s[i]) * float64(s[(i+1)%nspin])
		}
		p[k] = math.Exp(K * e)
		z += p[k]
	}
	cdf := make([]float64, len(p))
	c := 0.0
	for k := range p {
		p[k] /= z
		c += p[k]
		cdf[k] = c
	}
	rng := rand.New(src)
	data = make([]int8, 0, n*nspin)
	for range n {
		x := rng.Float64()
		k := 0
		for k < len(cdf)-1 && cdf[k] <= x {
			k++
		}
		data = append(data, config(k, nspin, Spin, s)...)
	}
	return p, data
}

// klToModel returns KL(p‖P_model) in nats, P_model computed exactly.
func klToModel(t testing.TB, r *RBM, p []float64) float64 {
	t.Helper()
	logZ, err := r.LogZ()
	if err != nil {
		t.Fatal(err)
	}
	nv := r.NumVisible()
	v := make([]int8, nv)
	kl := 0.0
	for k, pk := range p {
		lq := -r.FreeEnergy(config(k, nv, r.Units(), v)) - logZ
		kl += pk * (math.Log(pk) - lq)
	}
	return kl
}

// TestTrainIsingRing trains spin RBMs on exact samples of an 8-spin Ising
// ring at K = 0.5 and requires KL(target‖model) < 0.02 nats, with the
// model distribution computed exactly, for CD-k and PCD.
func TestTrainIsingRing(t *testing.T) {
	p, data := isingRing(t, 8, 0.5, 20000, rand.NewPCG(1, 2))
	bin := make([]int8, len(data))
	for i, x := range data {
		bin[i] = (x + 1) / 2
	}
	for _, c := range []struct {
		name  string
		units Units
		opts  TrainOptions
	}{
		{"spin CD-2", Spin, TrainOptions{Epochs: 60, BatchSize: 50, LearningRate: 0.05, Decay: 0.05, Momentum: 0.5, K: 2, Shuffle: true}},
		{"spin PCD-1", Spin, TrainOptions{Epochs: 60, BatchSize: 100, LearningRate: 0.05, Decay: 0.2, Momentum: 0.5, Persistent: true, Shuffle: true}},
		// binary units: PCD-2 at rate 0.3 lands at 0.005–0.017 nats over
		// seeds; PCD-1 at rate 0.5 at 0.018–0.048
		{"binary PCD-2", Binary, TrainOptions{Epochs: 100, BatchSize: 100, LearningRate: 0.3, Decay: 0.1, Momentum: 0.5, Persistent: true, K: 2, Shuffle: true}},
	} {
		r, err := New(8, 8, c.units, rand.NewPCG(3, 4))
		if err != nil {
			t.Fatal(err)
		}
		kl0 := klToModel(t, r, p)
		o := c.opts
		o.Src = rand.NewPCG(5, 6)
		d := data
		if c.units == Binary {
			d = bin
		}
		if _, err := Train(context.Background(), r, d, &o); err != nil {
			t.Fatal(err)
		}
		kl := klToModel(t, r, p)
		t.Logf("%s: KL %.4f → %.4f nats", c.name, kl0, kl)
		if kl > 0.02 {
			t.Errorf("%s: KL(target‖model) = %.4f nats, want < 0.02", c.name, kl)
		}
	}
}

// TestTrainDeterministic trains twice with the same seed (with shuffling,
// momentum, weight decay and a progress callback on one of the runs) and
// requires byte-identical models; another seed must give another model.
func TestTrainDeterministic(t *testing.T) {
	data := markovRows(3000, 10, 0.2, false, rand.NewPCG(1, 1))
	run := func(seed uint64, progress bool) []byte {
		r, err := New(10, 6, Binary, rand.NewPCG(2, 2))
		if err != nil {
			t.Fatal(err)
		}
		o := &TrainOptions{Epochs: 3, BatchSize: 64, Momentum: 0.5, WeightDecay: 1e-3, Shuffle: true,
			Persistent: true, K: 2, Src: rand.NewPCG(seed, 3)}
		if progress {
			o.Progress = func(run.Progress) {}
		}
		if _, err := Train(context.Background(), r, data, o); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := r.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b, c := run(7, false), run(7, true), run(8, false)
	if !bytes.Equal(a, b) {
		t.Error("same seed gave different models")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave identical models")
	}
}

// TestTrainLogLikelihoodRises follows the exact log-likelihood of the
// training data through the Progress callback.
func TestTrainLogLikelihoodRises(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		data := markovRows(4000, 12, 0.2, u == Spin, rand.NewPCG(1, 5))
		r, err := New(12, 10, u, rand.NewPCG(2, 5))
		if err != nil {
			t.Fatal(err)
		}
		ll0, err := r.LogLikelihood(data)
		if err != nil {
			t.Fatal(err)
		}
		lr := 0.1
		if u == Spin { // spin products are 4 times larger: a smaller step
			lr = 0.03
		}
		lls := []float64{ll0}
		var last run.Progress
		res, err := Train(context.Background(), r, data, &TrainOptions{
			Epochs: 8, BatchSize: 20, LearningRate: lr, Decay: 0.3, Momentum: 0.5, Persistent: true, Src: rand.NewPCG(3, 5),
			Progress: func(p run.Progress) {
				ll, err := r.LogLikelihood(data)
				if err != nil {
					t.Fatal(err)
				}
				lls = append(lls, ll)
				last = p
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: log-likelihood per epoch %.3f; last progress %+v", u, lls, last)
		if len(lls) != 9 || last.Stage != "rbm.Train" || last.Done != 8 || last.Total != 8 {
			t.Fatalf("%v: %d progress calls, last %+v", u, len(lls)-1, last)
		}
		// bound: the entropy of the generating process, 12.2024·(12/24)…
		// computed exactly: log 2 + 11·H(0.2)
		hmin := -(math.Ln2 + 11*(-0.2*math.Log(0.2)-0.8*math.Log(0.8)))
		early := (lls[1] + lls[2] + lls[3]) / 3
		late := (lls[6] + lls[7] + lls[8]) / 3
		if lls[8] < lls[0]+1 || late < early+0.1 || lls[8] > hmin+0.05 {
			t.Errorf("%v: log-likelihood did not rise as expected: %v (bound %v)", u, lls, hmin)
		}
		if last.Value >= 0 || last.Value != res.PseudoLogLikelihood || res.ReconstructionError <= 0 || res.ReconstructionError > 1 {
			t.Errorf("%v: implausible progress figures %+v, result %+v", u, last, res)
		}
	}
}

// TestStepGradient checks one trainer update against the exact gradient
// computed in float64 from FreeEnergyGrad, on the data batch and on the
// negative samples the step drew: ΔW = ε(⟨−∂F/∂W⟩_data − ⟨−∂F/∂W⟩_neg − λW).
func TestStepGradient(t *testing.T) {
	for _, c := range []struct {
		u          Units
		persistent bool
		k          int
		wd         float64
	}{{Binary, false, 1, 0}, {Spin, false, 2, 0.01}, {Binary, true, 1, 0.01}, {Spin, true, 3, 0}} {
		const nv, nh, rows = 7, 5, 9
		r := randomRBM(t, nv, nh, c.u, 0.5, 0.3, 12)
		data := markovRows(rows, nv, 0.3, c.u == Spin, rand.NewPCG(1, 9))
		cfg, err := (&TrainOptions{BatchSize: rows, K: c.k, Persistent: c.persistent, WeightDecay: c.wd, Src: rand.NewPCG(1, 1)}).config(rows)
		if err != nil {
			t.Fatal(err)
		}
		tr := newTrainer(r, cfg, rand.NewPCG(4, 4))
		if c.persistent { // one warm-up step so the chains are persistent
			tr.load(data, rows)
			tr.step(rows, 0.05)
			tr.store(r)
		}
		old := r.Clone()
		const eps = 0.05
		tr.load(data, rows)
		tr.step(rows, eps)
		// expected update from the samples left in the buffers
		gW := mat.NewDense(nv, nh, nil)
		gV := make([]float64, nv)
		gH := make([]float64, nh)
		nW := mat.NewDense(nv, nh, nil)
		nV := make([]float64, nv)
		nH := make([]float64, nh)
		for k := range rows {
			old.FreeEnergyGrad(data[k*nv:(k+1)*nv], gW, gV, gH)
			neg := make([]int8, nv)
			for i := range nv {
				neg[i] = int8(tr.vt[i*tr.stride+rows+k])
			}
			old.FreeEnergyGrad(neg, nW, nV, nH)
		}
		tr.store(r)
		for i := range nv {
			for j := range nh {
				want := eps * ((nW.At(i, j)-gW.At(i, j))/rows - c.wd*float64(float32(old.W.At(i, j))))
				if got := r.W.At(i, j) - float64(float32(old.W.At(i, j))); math.Abs(got-want) > 2e-6 {
					t.Errorf("%+v: ΔW[%d,%d] = %v, want %v", c, i, j, got, want)
				}
			}
			want := eps * (nV[i] - gV[i]) / rows
			if got := r.VisBias[i] - float64(float32(old.VisBias[i])); math.Abs(got-want) > 2e-6 {
				t.Errorf("%+v: Δb[%d] = %v, want %v", c, i, got, want)
			}
		}
		for j := range nh {
			want := eps * (nH[j] - gH[j]) / rows
			if got := r.HidBias[j] - float64(float32(old.HidBias[j])); math.Abs(got-want) > 2e-6 {
				t.Errorf("%+v: Δc[%d] = %v, want %v", c, j, got, want)
			}
		}
	}
}

func TestTrainErrors(t *testing.T) {
	r, _ := New(4, 3, Binary, rand.NewPCG(1, 2))
	good := []int8{0, 1, 1, 0, 1, 1, 1, 1}
	src := rand.NewPCG(1, 1)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		data []int8
		opts *TrainOptions
		want string
	}{
		{"nil options", good, nil, "Src"},
		{"nil Src", good, &TrainOptions{}, "Src"},
		{"width", []int8{0, 1, 1, 0, 1}, &TrainOptions{Src: src}, "multiple"},
		{"empty", nil, &TrainOptions{Src: src}, "empty"},
		{"alphabet", []int8{0, 1, 2, 0}, &TrainOptions{Src: src}, "value 2"},
		{"spin value in binary", []int8{0, 1, -1, 0}, &TrainOptions{Src: src}, "value -1"},
		{"NaN rate", good, &TrainOptions{LearningRate: math.NaN(), Src: src}, "learning rate"},
		{"negative rate", good, &TrainOptions{LearningRate: -0.1, Src: src}, "learning rate"},
		{"Inf rate", good, &TrainOptions{LearningRate: math.Inf(1), Src: src}, "learning rate"},
		{"momentum", good, &TrainOptions{Momentum: 1, Src: src}, "momentum"},
		{"weight decay", good, &TrainOptions{WeightDecay: -1, Src: src}, "weight decay"},
		{"decay", good, &TrainOptions{Decay: math.NaN(), Src: src}, "decay"},
		{"epochs", good, &TrainOptions{Epochs: -1, Src: src}, "epochs"},
		{"batch", good, &TrainOptions{BatchSize: -5, Src: src}, "batch"},
		{"K", good, &TrainOptions{K: -1, Src: src}, "K=-1"},
	} {
		_, err := Train(ctx, r, c.data, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	s, _ := New(4, 3, Spin, rand.NewPCG(1, 2))
	if _, err := Train(ctx, s, good, &TrainOptions{Src: src}); err == nil || !strings.Contains(err.Error(), "value 0") {
		t.Errorf("0 in spin data: error %v", err)
	}
	if _, err := Train(ctx, nil, good, &TrainOptions{Src: src}); err == nil {
		t.Error("nil RBM: no error")
	}
}

// TestTrainDiverges makes the weights overflow with an absurd learning rate:
// the run must stop with an error naming the epoch and leave finite weights.
func TestTrainDiverges(t *testing.T) {
	data := markovRows(500, 6, 0.2, false, rand.NewPCG(1, 1))
	r, _ := New(6, 4, Binary, rand.NewPCG(1, 2))
	_, err := Train(context.Background(), r, data, &TrainOptions{Epochs: 5, LearningRate: 1e300, Src: rand.NewPCG(3, 3)})
	if err == nil || !strings.Contains(err.Error(), "epoch 1") {
		t.Fatalf("error %v, want one naming epoch 1", err)
	}
	for _, x := range r.W.RawMatrix().Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatal("non-finite weights left in the RBM")
		}
	}
}

func TestTrainCancel(t *testing.T) {
	data := markovRows(500, 6, 0.2, false, rand.NewPCG(1, 1))
	r, _ := New(6, 4, Binary, rand.NewPCG(1, 2))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	res, err := Train(ctx, r, data, &TrainOptions{Epochs: 50, Src: rand.NewPCG(3, 3),
		Progress: func(p run.Progress) {
			n++
			if p.Done == 2 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || n != 2 || res.Epochs != 2 {
		t.Errorf("cancel after epoch 2: err %v, %d progress calls, result %+v", err, n, res)
	}
}

// TestTrainerChain runs the trainer's persistent chains with a zero
// learning rate and compares the visited visible states with the exact
// P(v) (each state's frequency within 5 standard errors, the variance
// inflated by a factor 4 for autocorrelation).
func TestTrainerChain(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		const nv, nh, chains, steps = 4, 3, 50, 4000
		r := randomRBM(t, nv, nh, u, 0.8, 0.5, 17)
		logZ, _ := r.LogZ()
		data := markovRows(chains, nv, 0.5, u == Spin, rand.NewPCG(2, 2))
		cfg, err := (&TrainOptions{BatchSize: chains, Persistent: true, Src: rand.NewPCG(1, 1)}).config(chains)
		if err != nil {
			t.Fatal(err)
		}
		tr := newTrainer(r, cfg, rand.NewPCG(5, 5))
		counts := make([]float64, 1<<nv)
		for s := range steps {
			tr.load(data, chains)
			tr.step(chains, 0)
			if s < 50 {
				continue
			}
			for c := range chains {
				k := 0
				for i := range nv {
					if tr.vt[i*tr.stride+chains+c] == 1 {
						k |= 1 << i
					}
				}
				counts[k]++
			}
		}
		n := float64(chains * (steps - 50))
		v := make([]int8, nv)
		for k := range counts {
			p := math.Exp(-r.FreeEnergy(config(k, nv, u, v)) - logZ)
			se := math.Sqrt(4 * p * (1 - p) / n)
			if f := counts[k] / n; math.Abs(f-p) > 5*se {
				t.Errorf("%v: state %d frequency %.5f, exact %.5f (se %.5f)", u, k, f, p, se)
			}
		}
	}
}

// TestTrainOptionsDefaults checks, for Train and TrainCategorical, that
// zero fields are the defaults the godoc states: 10 epochs, batches of 100,
// ε = 0.05, K = 1, no decay, no momentum, no weight decay, CD (not
// persistent), batches in order.
func TestTrainOptionsDefaults(t *testing.T) {
	data := markovRows(300, 8, 0.2, false, rand.NewPCG(1, 1))
	_, cdata := pottsRing(8, 3, 0.8, 300, rand.NewPCG(1, 1))
	check := func(name string, fit func(o *TrainOptions) ([]float64, *TrainResult, error)) {
		params := func(o *TrainOptions) []byte {
			p, res, err := fit(o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Epochs != 10 || res.Updates != 30 {
				t.Errorf("%s, options %+v: %d epochs, %d updates, want 10 and 30", name, o, res.Epochs, res.Updates)
			}
			return f64Bytes(p)
		}
		zero := params(&TrainOptions{Src: rand.NewPCG(3, 3)})
		explicit := params(&TrainOptions{Epochs: 10, BatchSize: 100, LearningRate: 0.05, K: 1, Src: rand.NewPCG(3, 3)})
		if !bytes.Equal(zero, explicit) {
			t.Errorf("%s: zero options differ from the documented defaults", name)
		}
		if _, _, err := fit(nil); err == nil {
			t.Errorf("%s: nil options (no Src) accepted", name)
		}
	}
	check("Train", func(o *TrainOptions) ([]float64, *TrainResult, error) {
		r, _ := New(8, 4, Binary, rand.NewPCG(1, 2))
		res, err := Train(context.Background(), r, data, o)
		return slices.Concat(r.W.RawMatrix().Data, r.VisBias, r.HidBias), res, err
	})
	check("TrainCategorical", func(o *TrainOptions) ([]float64, *TrainResult, error) {
		c, _ := NewCategorical(8, 4, States(3), rand.NewPCG(1, 2))
		res, err := TrainCategorical(context.Background(), c, cdata, o)
		return slices.Concat(c.W.RawMatrix().Data, c.VisBias, c.HidBias), res, err
	})
}

// TestTrainGolden pins the bits of two short training runs (a spin RBM
// with PCD-2, momentum and weight decay; a categorical RBM with CD-1): the
// same seed must give the same parameters on every architecture, with or
// without the assembly kernels (-tags purego) and at every GOAMD64 level.
// A deliberate change of the arithmetic updates the constants.
func TestTrainGolden(t *testing.T) {
	r, _ := New(10, 7, Spin, rand.NewPCG(1, 2))
	data := markovRows(600, 10, 0.3, true, rand.NewPCG(3, 4))
	if _, err := Train(context.Background(), r, data, &TrainOptions{Epochs: 3, BatchSize: 30, K: 2, Persistent: true,
		Momentum: 0.5, WeightDecay: 1e-3, Shuffle: true, Src: rand.NewPCG(5, 6)}); err != nil {
		t.Fatal(err)
	}
	c, _ := NewCategorical(6, 5, []int8{-1, 0, 1}, rand.NewPCG(1, 2))
	_, cdata := pottsRing(6, 3, 0.8, 600, rand.NewPCG(3, 4))
	for k := range cdata {
		cdata[k]--
	}
	if _, err := TrainCategorical(context.Background(), c, cdata, &TrainOptions{Epochs: 3, BatchSize: 20,
		LearningRate: 0.1, Src: rand.NewPCG(5, 6)}); err != nil {
		t.Fatal(err)
	}
	got := [2]uint32{paramCRC(r.W, r.VisBias, r.HidBias), paramCRC(c.W, c.VisBias, c.HidBias)}
	if want := [2]uint32{0x052a2538, 0xaf28ecf9}; got != want {
		t.Errorf("parameter CRCs %08x, want %08x (assembly kernels: %v)", got, want, useAVX2)
	}
}
