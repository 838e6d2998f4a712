package rbm

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestLogZExact compares LogZ with brute-force enumeration of all (v,h),
// for both unit types and both enumerated layers.
func TestLogZExact(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		for _, sz := range [][3]int{{3, 5, 1}, {6, 4, 1}, {5, 5, 1}, {1, 7, 1}, {8, 1, 1}, {6, 5, 30}, {4, 7, 30}} {
			// weight scale sz[2] = 30 takes the logarithmic (slow) path
			r := randomRBM(t, sz[0], sz[1], u, 0.9*float64(sz[2]), 0.6, uint64(10*sz[0]+sz[1]))
			got, err := r.LogZ()
			if err != nil {
				t.Fatal(err)
			}
			if want := bruteLogZ(r); math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
				t.Errorf("%v %v: LogZ %v, brute force %v", u, sz, got, want)
			}
		}
	}
}

// TestLogZChunks covers the chunked parallel enumeration (more than 2^14
// states): 17 hidden units against enumeration of 17 visible units of the
// transposed model, which must have the same Z.
func TestLogZChunks(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		r := randomRBM(t, 18, 17, u, 0.3, 0.3, 21)
		if u == Spin { // some chunks on each path
			r.W.Set(17, 3, 40)
		}
		// transposed model: visible ↔ hidden
		rt, _ := New(17, 18, u, rand.NewPCG(1, 1))
		for i := range 18 {
			for j := range 17 {
				rt.W.Set(j, i, r.W.At(i, j))
			}
		}
		copy(rt.VisBias, r.HidBias)
		copy(rt.HidBias, r.VisBias)
		a, err := r.LogZ() // enumerates 17 hidden units
		if err != nil {
			t.Fatal(err)
		}
		b, _ := rt.LogZ() // enumerates 17 visible units
		if math.Abs(a-b) > 1e-9 {
			t.Errorf("%v: LogZ %v, transposed %v", u, a, b)
		}
	}
}

func TestLogZLimit(t *testing.T) {
	r, _ := New(25, 30, Binary, rand.NewPCG(1, 2))
	_, err := r.LogZ()
	if err == nil || !strings.Contains(err.Error(), "24") || !strings.Contains(err.Error(), "AIS") {
		t.Errorf("LogZ beyond the limit: error %v", err)
	}
	if _, err := r.LogLikelihood(make([]int8, 25)); err == nil {
		t.Error("LogLikelihood beyond the limit: no error")
	}
}

// TestLogLikelihood checks the average log-likelihood against P(v) summed
// by brute force, and that P sums to one.
func TestLogLikelihood(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		r := randomRBM(t, 4, 3, u, 1, 0.5, 8)
		logZ := bruteLogZ(r)
		data := make([]int8, 0, 64)
		want, tot := 0.0, 0.0
		v := make([]int8, 4)
		for k := range 16 {
			config(k, 4, u, v)
			lp := -r.FreeEnergy(v) - logZ
			tot += math.Exp(lp)
			if k%3 == 0 {
				data = append(data, v...)
				want += lp
			}
		}
		want /= float64(len(data) / 4)
		got, err := r.LogLikelihood(data)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-12 || math.Abs(tot-1) > 1e-12 {
			t.Errorf("%v: log-likelihood %v, want %v; ΣP = %v", u, got, want, tot)
		}
		if _, err := r.LogLikelihood(append(data, 1)); err == nil {
			t.Error("ragged data: no error")
		}
		bad := append([]int8(nil), data...)
		bad[2] = 3
		if _, err := r.LogLikelihood(bad); err == nil {
			t.Error("value outside the alphabet: no error")
		}
	}
}

// TestAIS checks AIS against the exact log Z of a 20×16 RBM: within 0.05
// nats and within 4 reported standard errors (plus a 0.01 allowance for
// the AIS bias).
func TestAIS(t *testing.T) {
	for _, c := range []struct {
		u      Units
		sw, sb float64
	}{{Binary, 0.5, 0.5}, {Spin, 0.2, 0.3}} {
		r := randomRBM(t, 20, 16, c.u, c.sw, c.sb, 31)
		exact, err := r.LogZ()
		if err != nil {
			t.Fatal(err)
		}
		got, se, err := r.AIS(context.Background(), &AISOptions{Runs: 100, Steps: 5000, Src: rand.NewPCG(4, 5)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: exact log Z %.4f, AIS %.4f ± %.4f", c.u, exact, got, se)
		if d := math.Abs(got - exact); d > 0.05 || d > 4*se+0.01 {
			t.Errorf("%v: AIS log Z %v ± %v, exact %v", c.u, got, se, exact)
		}
		if se <= 0 || se > 0.05 {
			t.Errorf("%v: implausible standard error %v", c.u, se)
		}
	}
}

func TestAISErrors(t *testing.T) {
	r := randomRBM(t, 4, 3, Binary, 1, 0.5, 8)
	ctx := context.Background()
	if _, _, err := r.AIS(ctx, nil); err == nil {
		t.Error("nil options: no error")
	}
	if _, _, err := r.AIS(ctx, &AISOptions{Betas: []float64{0, 0.7, 0.5, 1}, Src: rand.NewPCG(1, 1)}); err == nil {
		t.Error("decreasing schedule: no error")
	}
	if _, _, err := r.AIS(ctx, &AISOptions{BaseVisBias: []float64{1}, Src: rand.NewPCG(1, 1)}); err == nil {
		t.Error("wrong base length: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := r.AIS(cctx, &AISOptions{Src: rand.NewPCG(1, 1)}); err == nil {
		t.Error("cancelled context: no error")
	}
}

// BenchmarkLogZ times the exact log Z of the anchor-sized model (24 visible
// units enumerated, 32 hidden units summed).
func BenchmarkLogZ(b *testing.B) {
	r := randomRBM(b, 24, 32, Binary, 0.3, 0.3, 3)
	for b.Loop() {
		if _, err := r.LogZ(); err != nil {
			b.Fatal(err)
		}
	}
}
