package rbm

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/internal/ckpt/ckpttest"
	"github.com/rsmi-go/rsmi/run"
)

// pottsRing returns the exact distribution of the q-state Potts ring of n
// sites, P(s) ∝ exp(K Σ_i δ(s_i, s_{i+1})) (state index Σ_i s_i q^i), and
// m exact samples (values 0…q−1).
func pottsRing(n, q int, K float64, m int, src rand.Source) (p []float64, data []int8) {
	S := ipow(q, n)
	p = make([]float64, S)
	s := make([]int8, n)
	z := 0.0
	for k := range p {
		catConfig(k, n, States(q), s)
		e := 0
		for i := range n {
			if s[i] == s[(i+1)%n] {
				e++
			}
		}
		p[k] = math.Exp(K * float64(e))
		z += p[k]
	}
	cdf := make([]float64, S)
	c := 0.0
	for k := range p {
		p[k] /= z
		c += p[k]
		cdf[k] = c
	}
	rng := rand.New(src)
	data = make([]int8, 0, m*n)
	for range m {
		x := rng.Float64()
		lo, hi := 0, S-1
		for lo < hi {
			mid := (lo + hi) / 2
			if cdf[mid] <= x {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		data = append(data, catConfig(lo, n, States(q), s)...)
	}
	return p, data
}

// catKL returns KL(p‖P_model) in nats, P_model computed exactly.
func catKL(t testing.TB, c *Categorical, p []float64) float64 {
	t.Helper()
	logZ, err := c.LogZ()
	if err != nil {
		t.Fatal(err)
	}
	nv := c.NumVisible()
	v := make([]int8, nv)
	kl := 0.0
	for k, pk := range p {
		lq := -c.FreeEnergy(catConfig(k, nv, c.states, v)) - logZ
		kl += pk * (math.Log(pk) - lq)
	}
	return kl
}

// TestTrainCategoricalPotts trains categorical RBMs with 16 hidden units
// on 20,000 exact samples of the 3-state Potts ring of 6 sites at K = 1
// (729 states; KL 0.76 nats at the start) and requires a small
// KL(target‖model), the model distribution computed exactly: below 0.02
// nats for CD-5 and 0.04 for PCD-2 over 40 epochs (over training seeds 5–8
// these land at 0.013–0.017 and 0.017–0.033). Under -short only PCD-2 runs,
// for 30 epochs, with the bound 0.045.
func TestTrainCategoricalPotts(t *testing.T) {
	p, data := pottsRing(6, 3, 1, 20000, rand.NewPCG(1, 2))
	cases := []struct {
		name  string
		bound float64
		opts  TrainOptions
	}{
		{"CD-5", 0.02, TrainOptions{Epochs: 40, BatchSize: 50, LearningRate: 0.1, Decay: 0.1, Momentum: 0.5, K: 5, Shuffle: true}},
		{"PCD-2", 0.04, TrainOptions{Epochs: 40, BatchSize: 100, LearningRate: 0.2, Decay: 0.2, Momentum: 0.5, K: 2, Persistent: true, Shuffle: true}},
	}
	if testing.Short() {
		cases = cases[1:]
		cases[0].opts.Epochs, cases[0].bound = 30, 0.045
	}
	for _, c := range cases {
		m, err := NewCategorical(6, 16, States(3), rand.NewPCG(3, 4))
		if err != nil {
			t.Fatal(err)
		}
		kl0 := catKL(t, m, p)
		o := c.opts
		o.Src = rand.NewPCG(5, 6)
		if _, err := TrainCategorical(context.Background(), m, data, &o); err != nil {
			t.Fatal(err)
		}
		kl := catKL(t, m, p)
		t.Logf("%s: KL %.4f → %.4f nats", c.name, kl0, kl)
		if kl > c.bound {
			t.Errorf("%s: KL(target‖model) = %.4f nats, want < %v", c.name, kl, c.bound)
		}
	}
}

// TestTrainCategoricalDeterministic trains twice with the same seed (one
// run with a progress callback) and requires identical parameters, and
// checks the progress figures.
func TestTrainCategoricalDeterministic(t *testing.T) {
	_, data := pottsRing(5, 4, 0.8, 2000, rand.NewPCG(1, 1))
	fit := func(seed uint64, progress run.ProgressFunc) (*Categorical, *TrainResult) {
		m, _ := NewCategorical(5, 6, States(4), rand.NewPCG(2, 2))
		o := &TrainOptions{Epochs: 3, BatchSize: 64, Momentum: 0.5, WeightDecay: 1e-3, Shuffle: true,
			Persistent: true, K: 2, Src: rand.NewPCG(seed, 3), Progress: progress}
		res, err := TrainCategorical(context.Background(), m, data, o)
		if err != nil {
			t.Fatal(err)
		}
		return m, res
	}
	var last run.Progress
	a, _ := fit(7, nil)
	b, res := fit(7, func(p run.Progress) { last = p })
	c, _ := fit(8, nil)
	same := func(x, y *Categorical) bool {
		return bytes.Equal(f64Bytes(x.W.RawMatrix().Data), f64Bytes(y.W.RawMatrix().Data)) &&
			bytes.Equal(f64Bytes(x.VisBias), f64Bytes(y.VisBias)) && bytes.Equal(f64Bytes(x.HidBias), f64Bytes(y.HidBias))
	}
	if !same(a, b) {
		t.Error("same seed gave different models")
	}
	if same(a, c) {
		t.Error("different seeds gave identical models")
	}
	if last.Stage != "rbm.TrainCategorical" || last.Done != 3 || last.Total != 3 || !(last.Value < 0) || last.Value != res.PseudoLogLikelihood ||
		!(res.ReconstructionError > 0 && res.ReconstructionError < 2) {
		t.Errorf("implausible progress %+v, result %+v", last, res)
	}
}

func f64Bytes(x []float64) []byte {
	b := make([]byte, 0, 8*len(x))
	for _, v := range x {
		u := math.Float64bits(v)
		for k := range 8 {
			b = append(b, byte(u>>(8*k)))
		}
	}
	return b
}

// TestCategoricalStepGradient checks one trainer update of a categorical
// RBM against the exact gradient computed in float64 from FreeEnergyGrad
// on the data batch and on the negative samples the step drew.
func TestCategoricalStepGradient(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		const nv, nh, rows, q = 5, 4, 9, 3
		c := randomCat(t, nv, nh, States(q), 0.5, 0.3, 12)
		_, data := pottsRing(nv, q, 0.5, rows, rand.NewPCG(1, 9))
		cfg, err := (&TrainOptions{BatchSize: rows, K: 2, Persistent: persistent, WeightDecay: 0.01, Src: rand.NewPCG(1, 1)}).config(rows)
		if err != nil {
			t.Fatal(err)
		}
		tr := newTrainer(c, cfg, rand.NewPCG(4, 4))
		x := c.rows(data)
		if persistent {
			tr.load(x, rows)
			tr.step(rows, 0.05)
			tr.store(c)
		}
		old := c.Clone()
		const eps = 0.05
		tr.load(x, rows)
		tr.step(rows, eps)
		tr.store(c)
		gW, nW := mat.NewDense(nv*q, nh, nil), mat.NewDense(nv*q, nh, nil)
		gV, nV := make([]float64, nv*q), make([]float64, nv*q)
		gH, nH := make([]float64, nh), make([]float64, nh)
		for k := range rows {
			old.FreeEnergyGrad(data[k*nv:(k+1)*nv], gW, gV, gH)
			neg := make([]int8, nv)
			for i := range nv {
				for a := range q {
					if tr.vt[(i*q+a)*tr.stride+rows+k] == 1 {
						neg[i] = int8(a)
					}
				}
			}
			old.FreeEnergyGrad(neg, nW, nV, nH)
		}
		for r := range nv * q {
			for j := range nh {
				w0 := float64(float32(old.W.At(r, j)))
				want := eps * ((nW.At(r, j)-gW.At(r, j))/rows - 0.01*w0)
				if got := c.W.At(r, j) - w0; math.Abs(got-want) > 2e-6 {
					t.Errorf("persistent %v: ΔW[%d,%d] = %v, want %v", persistent, r, j, got, want)
				}
			}
			want := eps * (nV[r] - gV[r]) / rows
			if got := c.VisBias[r] - float64(float32(old.VisBias[r])); math.Abs(got-want) > 2e-6 {
				t.Errorf("persistent %v: Δb[%d] = %v, want %v", persistent, r, got, want)
			}
		}
		for j := range nh {
			want := eps * (nH[j] - gH[j]) / rows
			if got := c.HidBias[j] - float64(float32(old.HidBias[j])); math.Abs(got-want) > 2e-6 {
				t.Errorf("persistent %v: Δc[%d] = %v, want %v", persistent, j, got, want)
			}
		}
	}
}

// TestCategoricalTrainerChain runs the trainer's persistent chains with a
// zero learning rate and compares the visited visible states with the
// exact P(v) (each state within 5 standard errors, the variance inflated
// by 4 for autocorrelation).
func TestCategoricalTrainerChain(t *testing.T) {
	const nv, nh, q, chains, steps = 3, 3, 3, 50, 4000
	c := randomCat(t, nv, nh, States(q), 0.8, 0.5, 17)
	logZ, _ := c.LogZ()
	_, data := pottsRing(nv, q, 0, chains, rand.NewPCG(2, 2))
	cfg, err := (&TrainOptions{BatchSize: chains, Persistent: true, Src: rand.NewPCG(1, 1)}).config(chains)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(c, cfg, rand.NewPCG(5, 5))
	x := c.rows(data)
	counts := make([]float64, ipow(q, nv))
	for s := range steps {
		tr.load(x, chains)
		tr.step(chains, 0)
		if s < 50 {
			continue
		}
		for ch := range chains {
			k := 0
			for i := nv - 1; i >= 0; i-- {
				for a := range q {
					if tr.vt[(i*q+a)*tr.stride+chains+ch] == 1 {
						k = k*q + a
					}
				}
			}
			counts[k]++
		}
	}
	n := float64(chains * (steps - 50))
	v := make([]int8, nv)
	for k := range counts {
		p := math.Exp(-c.FreeEnergy(catConfig(k, nv, c.states, v)) - logZ)
		se := math.Sqrt(4 * p * (1 - p) / n)
		if f := counts[k] / n; math.Abs(f-p) > 5*se {
			t.Errorf("state %d frequency %.5f, exact %.5f (se %.5f)", k, f, p, se)
		}
	}
}

// catCkptChildEnv names the checkpoint directory of the helper process of
// TestCategoricalCheckpointKillResume.
const catCkptChildEnv = "RBM_CAT_CHECKPOINT_CHILD_DIR"

// catCkptRun trains a categorical PCD run with momentum and shuffling with
// checkpoints in dir ("" for none).
func catCkptRun(dir string, resume bool, progress run.ProgressFunc) (*Categorical, *TrainResult, error) {
	_, data := pottsRing(8, 3, 0.8, 2000, rand.NewPCG(1, 1))
	m, err := NewCategorical(8, 6, []int8{-1, 0, 1}, rand.NewPCG(1, 2))
	if err != nil {
		return nil, nil, err
	}
	for k, x := range data { // values −1, 0, 1
		data[k] = x - 1
	}
	opts := &TrainOptions{Epochs: ckptEpochs, BatchSize: 50, Momentum: 0.5, Persistent: true, K: 2,
		Shuffle: true, Src: rand.NewPCG(3, 4), Progress: progress}
	if dir != "" {
		opts.Checkpoint = &run.Checkpoint{Dir: dir, Resume: resume}
	}
	res, err := TrainCategorical(context.Background(), m, data, opts)
	return m, res, err
}

// TestCategoricalCheckpointChild is the helper process of
// TestCategoricalCheckpointKillResume: it trains slowly until killed.
func TestCategoricalCheckpointChild(t *testing.T) {
	dir := os.Getenv(catCkptChildEnv)
	if dir == "" {
		t.Skip("helper process of TestCategoricalCheckpointKillResume")
	}
	catCkptRun(dir, false, ckpttest.Pace(40*time.Millisecond))
}

// TestCategoricalCheckpointKillResume kills a categorical training process
// with SIGKILL after its first checkpoint, resumes the run and requires
// parameters and result identical, bit for bit, to an uninterrupted run's;
// damaged files, a binary run and a categorical RBM of other states refuse
// the checkpoint.
func TestCategoricalCheckpointKillResume(t *testing.T) {
	noop := func(run.Progress) {}
	dir := killResume(t, "TestCategoricalCheckpointChild", catCkptChildEnv, "rbm-categorical.ckpt",
		func(dir string, resume bool, p run.ProgressFunc) ([]byte, *TrainResult, error) {
			m, res, err := catCkptRun(dir, resume, p)
			if err != nil {
				return nil, res, err
			}
			return f64Bytes(slices.Concat(m.W.RawMatrix().Data, m.VisBias, m.HidBias)), res, nil
		})
	ckpttest.RefusesCorrupt(t, filepath.Join(dir, "rbm-categorical.ckpt"), func() error {
		_, _, err := catCkptRun(dir, true, noop)
		return err
	})
	// a binary RBM's run does not take the categorical checkpoint, even under its name
	r, _ := New(8, 6, Binary, rand.NewPCG(1, 2))
	_, err := Train(context.Background(), r, make([]int8, 80), &TrainOptions{Src: rand.NewPCG(1, 1),
		Checkpoint: &run.Checkpoint{Dir: dir, Resume: true, Name: "rbm-categorical.ckpt"}})
	if err == nil || !strings.Contains(err.Error(), "rbm.TrainCategorical") {
		t.Errorf("binary run resuming a categorical checkpoint: error %v", err)
	}
	// nor a categorical RBM with other states
	m, _ := NewCategorical(8, 6, States(3), rand.NewPCG(1, 2))
	_, data := pottsRing(8, 3, 0.8, 2000, rand.NewPCG(1, 1))
	_, err = TrainCategorical(context.Background(), m, data, &TrainOptions{Epochs: ckptEpochs, BatchSize: 50, Momentum: 0.5,
		Persistent: true, K: 2, Shuffle: true, Src: rand.NewPCG(3, 4), Checkpoint: &run.Checkpoint{Dir: dir, Resume: true}})
	if err == nil || !strings.Contains(err.Error(), "states [-1 0 1]") {
		t.Errorf("other states: error %v", err)
	}
}
