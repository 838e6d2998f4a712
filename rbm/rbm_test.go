package rbm

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomRBM returns an RBM with N(0, sw²) weights and N(0, sb²) biases.
func randomRBM(t testing.TB, nv, nh int, u Units, sw, sb float64, seed uint64) *RBM {
	t.Helper()
	src := rand.NewPCG(seed, 99)
	r, err := New(nv, nh, u, src)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(src)
	for i := range nv {
		for j := range nh {
			r.W.Set(i, j, sw*rng.NormFloat64())
		}
		r.VisBias[i] = sb * rng.NormFloat64()
	}
	for j := range nh {
		r.HidBias[j] = sb * rng.NormFloat64()
	}
	return r
}

// config writes state number k (bit i = unit i) of n units into dst.
func config(k, n int, u Units, dst []int8) []int8 {
	dst = dst[:n]
	for i := range n {
		if k>>i&1 == 1 {
			dst[i] = 1
		} else {
			dst[i] = u.low()
		}
	}
	return dst
}

// bruteLogZ sums exp(−E(v,h)) over all (v,h) using Energy.
func bruteLogZ(r *RBM) float64 {
	nv, nh := r.NumVisible(), r.NumHidden()
	v := make([]int8, nv)
	h := make([]int8, nh)
	var acc lse
	for a := range 1 << nv {
		config(a, nv, r.units, v)
		for b := range 1 << nh {
			config(b, nh, r.units, h)
			acc.add(-r.Energy(v, h))
		}
	}
	return acc.value()
}

func TestNewErrors(t *testing.T) {
	src := rand.NewPCG(1, 2)
	for _, c := range []struct {
		nv, nh int
		u      Units
		src    rand.Source
		want   string
	}{
		{0, 3, Binary, src, "visible"},
		{3, 0, Binary, src, "hidden"},
		{-1, 3, Spin, src, "visible"},
		{3, 3, Units(7), src, "units"},
		{3, 3, Binary, nil, "Source"},
	} {
		_, err := New(c.nv, c.nh, c.u, c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%d,%d,%v): error %v, want one mentioning %q", c.nv, c.nh, c.u, err, c.want)
		}
	}
	r, err := New(5, 4, Spin, src)
	if err != nil {
		t.Fatal(err)
	}
	if r.NumVisible() != 5 || r.NumHidden() != 4 || r.Units() != Spin {
		t.Errorf("sizes %d %d %v", r.NumVisible(), r.NumHidden(), r.Units())
	}
	// documented initialisation: weights N(0, 0.01²), zero biases
	big, _ := New(100, 100, Binary, src)
	var s2 float64
	for _, x := range big.W.RawMatrix().Data {
		s2 += x * x
	}
	if sd := math.Sqrt(s2 / 1e4); math.Abs(sd-0.01) > 0.0005 {
		t.Errorf("initial weight sd %v, want 0.01", sd)
	}
	for _, x := range append(big.VisBias, big.HidBias...) {
		if x != 0 {
			t.Fatal("initial biases not zero")
		}
	}
}

// TestFreeEnergy checks F(v) = −log Σ_h exp(−E(v,h)) by enumeration of h,
// and that the conditional probabilities are the ratios of Boltzmann weights.
func TestFreeEnergy(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		r := randomRBM(t, 5, 4, u, 0.8, 0.5, 3)
		v := make([]int8, 5)
		h := make([]int8, 4)
		for a := range 1 << 5 {
			config(a, 5, u, v)
			var acc lse
			for b := range 1 << 4 {
				acc.add(-r.Energy(v, config(b, 4, u, h)))
			}
			if f, want := r.FreeEnergy(v), -acc.value(); math.Abs(f-want) > 1e-12 {
				t.Errorf("%v: F(%v) = %v, want %v", u, v, f, want)
			}
			vf := make([]float64, 5)
			for i, x := range v {
				vf[i] = float64(x)
			}
			if f, g := r.FreeEnergy(v), r.FreeEnergyFloat(vf); math.Abs(f-g) > 1e-12 {
				t.Errorf("FreeEnergyFloat %v != FreeEnergy %v", g, f)
			}
			// P(h_0 = on | v) = Σ_{h: h0 on} e^{−E} / Σ_h e^{−E}
			var on lse
			for b := range 1 << 4 {
				if b&1 == 1 {
					on.add(-r.Energy(v, config(b, 4, u, h)))
				}
			}
			want := math.Exp(on.value() - acc.value())
			if p := r.HiddenProb(v, nil)[0]; math.Abs(p-want) > 1e-12 {
				t.Errorf("%v: P(h0|v) = %v, want %v", u, p, want)
			}
		}
		config(5, 4, u, h)
		// P(v_0|h) is a single-site ratio: compare with the two states of v_0 only
		config(0, 5, u, v)
		v[0] = 1
		e1 := -r.Energy(v, h)
		v[0] = u.low()
		e0 := -r.Energy(v, h)
		if p, want := r.VisibleProb(h, nil)[0], 1/(1+math.Exp(e0-e1)); math.Abs(p-want) > 1e-12 {
			t.Errorf("%v: P(v0|h) = %v, want %v", u, p, want)
		}
	}
}

// TestFreeEnergyGrad compares FreeEnergyGrad with central finite differences.
func TestFreeEnergyGrad(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		r := randomRBM(t, 6, 5, u, 0.7, 0.4, 4)
		v := []int8{1, u.low(), 1, 1, u.low(), 1}
		dW := mat.NewDense(6, 5, nil)
		dV := make([]float64, 6)
		dH := make([]float64, 5)
		r.FreeEnergyGrad(v, dW, dV, dH)
		const eps = 1e-6
		fd := func(p *float64) float64 {
			x := *p
			*p = x + eps
			fp := r.FreeEnergy(v)
			*p = x - eps
			fm := r.FreeEnergy(v)
			*p = x
			return (fp - fm) / (2 * eps)
		}
		raw := r.W.RawMatrix()
		for i := range 6 {
			for j := range 5 {
				if g, want := dW.At(i, j), fd(&raw.Data[i*raw.Stride+j]); math.Abs(g-want) > 1e-7 {
					t.Errorf("%v: dF/dW[%d,%d] = %v, finite difference %v", u, i, j, g, want)
				}
			}
			if g, want := dV[i], fd(&r.VisBias[i]); math.Abs(g-want) > 1e-7 {
				t.Errorf("%v: dF/db[%d] = %v, finite difference %v", u, i, g, want)
			}
		}
		for j := range 5 {
			if g, want := dH[j], fd(&r.HidBias[j]); math.Abs(g-want) > 1e-7 {
				t.Errorf("%v: dF/dc[%d] = %v, finite difference %v", u, j, g, want)
			}
		}
	}
}

// TestGibbsStationary runs a long block-Gibbs chain on a tiny RBM and checks
// the visited-state frequencies against the exact P(v) (chi-square bound).
func TestGibbsStationary(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		r := randomRBM(t, 3, 2, u, 1, 0.5, 5)
		logZ, err := r.LogZ()
		if err != nil {
			t.Fatal(err)
		}
		v := make([]int8, 3)
		h := make([]int8, 2)
		config(0, 3, u, v)
		src := rand.NewPCG(6, 7)
		const n = 200000
		counts := make([]float64, 8)
		for range n {
			r.Gibbs(v, h, 1, src)
			k := 0
			for i, x := range v {
				if x == 1 {
					k |= 1 << i
				}
			}
			counts[k]++
		}
		// each state's frequency within 5 standard errors (the chain's
		// correlation time here is O(1); allow a factor 3 in variance)
		for k := range 8 {
			p := math.Exp(-r.FreeEnergy(config(k, 3, u, make([]int8, 3))) - logZ)
			se := math.Sqrt(3 * p * (1 - p) / n)
			if f := counts[k] / n; math.Abs(f-p) > 5*se {
				t.Errorf("%v: state %d frequency %v, exact %v (se %v)", u, k, f, p, se)
			}
		}
	}
}

func TestFastSigmoid(t *testing.T) {
	worst := 0.0
	for x := -20.0; x <= 20; x += 0.0037 {
		worst = max(worst, math.Abs(float64(fastSigmoid(float32(x)))-sigmoid(x)))
	}
	if worst > 1.5e-6 {
		t.Errorf("fastSigmoid error %v", worst)
	}
}

func TestExp32(t *testing.T) {
	worst := 0.0
	for x := -86.9; x <= 0; x += 0.00137 {
		want := math.Exp(float64(float32(x)))
		worst = max(worst, math.Abs(float64(exp32(float32(x)))-want)/want)
	}
	if worst > 3e-7 {
		t.Errorf("exp32 relative error %v", worst)
	}
	if exp32(-90) != 0 || exp32(float32(math.NaN())) != 0 || exp32(0) != 1 {
		t.Errorf("exp32(−90) = %v, exp32(NaN) = %v, exp32(0) = %v", exp32(-90), exp32(float32(math.NaN())), exp32(0))
	}
}
