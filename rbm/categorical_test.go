package rbm

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomCat returns a categorical RBM with N(0, sw²) weights and N(0, sb²)
// biases.
func randomCat(t testing.TB, nv, nh int, states []int8, sw, sb float64, seed uint64) *Categorical {
	t.Helper()
	src := rand.NewPCG(seed, 77)
	c, err := NewCategorical(nv, nh, states, src)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(src)
	raw := c.W.RawMatrix()
	for k := range raw.Data {
		raw.Data[k] = sw * rng.NormFloat64()
	}
	for k := range c.VisBias {
		c.VisBias[k] = sb * rng.NormFloat64()
	}
	for j := range c.HidBias {
		c.HidBias[j] = sb * rng.NormFloat64()
	}
	return c
}

// catConfig writes block state s (digit k = state index of unit k, base q)
// of n units into dst as values of states.
func catConfig(s, n int, states []int8, dst []int8) []int8 {
	dst = dst[:n]
	q := len(states)
	for i := range n {
		dst[i] = states[s%q]
		s /= q
	}
	return dst
}

func ipow(b, n int) int {
	p := 1
	for range n {
		p *= b
	}
	return p
}

// bruteCatLogZ sums exp(−E(v,h)) over all (v,h) using Energy.
func bruteCatLogZ(c *Categorical) float64 {
	nv, nh, q := c.NumVisible(), c.NumHidden(), c.NumStates()
	v := make([]int8, nv)
	h := make([]int8, nh)
	var acc lse
	for s := range ipow(q, nv) {
		catConfig(s, nv, c.states, v)
		for b := range 1 << nh {
			config(b, nh, Binary, h)
			acc.add(-c.Energy(v, h))
		}
	}
	return acc.value()
}

// TestCategoricalLogZExact compares LogZ, by enumeration of either layer,
// with brute force over all (v,h), for several alphabets and sizes, on
// both the multiplicative path and the logarithmic one (large weights).
func TestCategoricalLogZExact(t *testing.T) {
	for _, c := range []struct {
		nv, nh int
		states []int8
		sw     float64
	}{
		{3, 4, States(3), 0.9}, {4, 3, []int8{-1, 0, 1}, 0.9}, {2, 5, States(5), 1.2},
		{5, 2, States(2), 0.8}, {1, 6, States(7), 1}, {6, 1, States(3), 1},
		{3, 4, States(3), 30}, {4, 5, []int8{-3, 2, 9}, 25},
	} {
		m := randomCat(t, c.nv, c.nh, c.states, c.sw, 0.6, uint64(10*c.nv+c.nh))
		want := bruteCatLogZ(m)
		got, err := m.LogZ()
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []float64{got, m.enumLogZ(true), m.enumLogZ(false)} {
			if math.Abs(g-want) > 1e-10*math.Max(1, math.Abs(want)) {
				t.Errorf("%d×%d q=%d sw=%v: log Z %v (LogZ %v), brute force %v", c.nv, c.nh, len(c.states), c.sw, g, got, want)
			}
		}
	}
}

// TestCategoricalLogZChunks covers the chunked parallel enumeration: 3^11
// visible states against 2^15 hidden states of the same model.
func TestCategoricalLogZChunks(t *testing.T) {
	for _, sw := range []float64{0.3, 6} {
		m := randomCat(t, 11, 15, States(3), sw, 0.4, 5)
		a, b := m.enumLogZ(true), m.enumLogZ(false)
		if math.Abs(a-b) > 1e-10*math.Max(1, math.Abs(a)) {
			t.Errorf("sw %v: log Z by visible states %v, by hidden states %v", sw, a, b)
		}
	}
	big := randomCat(t, 16, 25, States(3), 0.1, 0.1, 1) // 3^16 > 2^24 < 2^25
	if _, err := big.LogZ(); err == nil || !strings.Contains(err.Error(), "AIS") {
		t.Errorf("LogZ beyond the limit: error %v", err)
	}
}

// binaryAsCat maps a binary RBM to the categorical RBM with states {0,1}
// (Binary) or {−1,+1} (Spin, with the hidden ±1 units rewritten as 0/1):
// for Binary the energies agree, for Spin the free energies agree up to
// the constant Σ_j c_j (F_cat = F_spin − Σ_j c_j), so P(v) agrees.
func binaryAsCat(t *testing.T, r *RBM) (*Categorical, float64) {
	nv, nh := r.NumVisible(), r.NumHidden()
	x := []float64{float64(r.units.low()), 1}
	w := make([]float64, 2*nv*nh)
	vis := make([]float64, 2*nv)
	hid := append([]float64(nil), r.HidBias...)
	shift := 0.0
	for i := range nv {
		rowSum := 0.0
		for j := range nh {
			rowSum += r.W.At(i, j)
		}
		for a, xa := range x {
			for j := range nh {
				w[(2*i+a)*nh+j] = xa * r.W.At(i, j)
				if r.units == Spin {
					w[(2*i+a)*nh+j] *= 2
				}
			}
			vis[2*i+a] = xa * r.VisBias[i]
			if r.units == Spin {
				vis[2*i+a] = xa * (r.VisBias[i] - rowSum)
			}
		}
	}
	if r.units == Spin {
		for j := range hid {
			shift += hid[j]
			hid[j] *= 2
		}
	}
	states := []int8{r.units.low(), 1}
	c, err := NewCategoricalFrom(nv, nh, states, w, vis, hid)
	if err != nil {
		t.Fatal(err)
	}
	return c, shift
}

// TestCategoricalBinaryCase checks the q = 2 case against the binary RBM:
// equal energies (Binary), equal free energies up to the stated constant,
// equal log Z shifts, conditionals and log-likelihoods.
func TestCategoricalBinaryCase(t *testing.T) {
	for _, u := range []Units{Binary, Spin} {
		r := randomRBM(t, 6, 5, u, 0.8, 0.5, 9)
		c, shift := binaryAsCat(t, r)
		v := make([]int8, 6)
		h := make([]int8, 5)
		for s := range 1 << 6 {
			config(s, 6, u, v)
			if d := r.FreeEnergy(v) - c.FreeEnergy(v); math.Abs(d-shift) > 1e-12 {
				t.Errorf("%v: F_binary − F_categorical = %v, want %v", u, d, shift)
			}
			if u == Binary {
				for b := range 1 << 5 {
					config(b, 5, u, h)
					if e1, e2 := r.Energy(v, h), c.Energy(v, h); math.Abs(e1-e2) > 1e-12 {
						t.Fatalf("E(%v,%v): binary %v, categorical %v", v, h, e1, e2)
					}
				}
				pb, pc := r.HiddenProb(v, nil), c.HiddenProb(v, nil)
				for j := range pb {
					if math.Abs(pb[j]-pc[j]) > 1e-12 {
						t.Errorf("P(h_%d|v): binary %v, categorical %v", j, pb[j], pc[j])
					}
				}
			}
		}
		lr, _ := r.LogZ()
		lc, _ := c.LogZ()
		if math.Abs(lr-lc+shift) > 1e-10 { // Z_binary = Z_categorical·e^{−shift}
			t.Errorf("%v: log Z binary %v, categorical %v, shift %v", u, lr, lc, shift)
		}
		data := markovRows(50, 6, 0.3, u == Spin, rand.NewPCG(2, 3))
		a, _ := r.LogLikelihood(data)
		b, err := c.LogLikelihood(data)
		if err != nil || math.Abs(a-b) > 1e-10 {
			t.Errorf("%v: log-likelihood binary %v, categorical %v (%v)", u, a, b, err)
		}
		if u == Binary {
			config(21, 5, u, h)
			pb, pc := r.VisibleProb(h, nil), c.VisibleProb(h, nil)
			for i := range pb {
				if math.Abs(pb[i]-pc[2*i+1]) > 1e-12 || math.Abs(pc[2*i]+pc[2*i+1]-1) > 1e-12 {
					t.Errorf("P(v_%d|h): binary %v, categorical %v", i, pb[i], pc[2*i:2*i+2])
				}
			}
		}
	}
}

// TestCategoricalConditionals checks F(v) against the sum over h, the
// conditionals against ratios of Boltzmann weights, and FreeEnergyGrad
// against finite differences.
func TestCategoricalConditionals(t *testing.T) {
	states := []int8{-1, 0, 1}
	c := randomCat(t, 4, 3, states, 0.9, 0.5, 3)
	v := make([]int8, 4)
	h := make([]int8, 3)
	for s := range 81 {
		catConfig(s, 4, states, v)
		var acc, on lse
		for b := range 8 {
			e := -c.Energy(v, config(b, 3, Binary, h))
			acc.add(e)
			if b&1 == 1 {
				on.add(e)
			}
		}
		if f := c.FreeEnergy(v); math.Abs(f+acc.value()) > 1e-12 {
			t.Errorf("F(%v) = %v, want %v", v, f, -acc.value())
		}
		if p, want := c.HiddenProb(v, nil)[0], math.Exp(on.value()-acc.value()); math.Abs(p-want) > 1e-12 {
			t.Errorf("P(h0|%v) = %v, want %v", v, p, want)
		}
	}
	config(5, 3, Binary, h)
	catConfig(17, 4, states, v)
	p := c.VisibleProb(h, nil)
	var z lse
	e := make([]float64, 3)
	for a, x := range states {
		v[2] = x
		e[a] = -c.Energy(v, h)
		z.add(e[a])
	}
	for a := range states {
		if want := math.Exp(e[a] - z.value()); math.Abs(p[2*3+a]-want) > 1e-12 {
			t.Errorf("P(v_2 = %d | h) = %v, want %v", states[a], p[2*3+a], want)
		}
	}
	dW := mat.NewDense(12, 3, nil)
	dV := make([]float64, 12)
	dH := make([]float64, 3)
	c.FreeEnergyGrad(v, dW, dV, dH)
	const eps = 1e-6
	fd := func(x *float64) float64 {
		x0 := *x
		*x = x0 + eps
		fp := c.FreeEnergy(v)
		*x = x0 - eps
		fm := c.FreeEnergy(v)
		*x = x0
		return (fp - fm) / (2 * eps)
	}
	raw := c.W.RawMatrix()
	for k := range 12 {
		for j := range 3 {
			if g, want := dW.At(k, j), fd(&raw.Data[k*raw.Stride+j]); math.Abs(g-want) > 1e-7 {
				t.Errorf("dF/dW[%d,%d] = %v, finite difference %v", k, j, g, want)
			}
		}
		if g, want := dV[k], fd(&c.VisBias[k]); math.Abs(g-want) > 1e-7 {
			t.Errorf("dF/db[%d] = %v, finite difference %v", k, g, want)
		}
	}
	for j := range 3 {
		if g, want := dH[j], fd(&c.HidBias[j]); math.Abs(g-want) > 1e-7 {
			t.Errorf("dF/dc[%d] = %v, finite difference %v", j, g, want)
		}
	}
}

// TestCategoricalGibbs runs a long block-Gibbs chain on a small model and
// checks the visited-state frequencies against the exact P(v).
func TestCategoricalGibbs(t *testing.T) {
	states := States(3)
	c := randomCat(t, 3, 2, states, 1, 0.5, 5)
	logZ, _ := c.LogZ()
	v := []int8{0, 0, 0}
	h := make([]int8, 2)
	src := rand.NewPCG(6, 7)
	const n = 200000
	counts := make([]float64, 27)
	b, _ := c.Block([]int{0, 1, 2})
	for range n {
		c.Gibbs(v, h, 1, src)
		counts[b.Index(v)]++
	}
	for s := range 27 {
		p := math.Exp(-c.FreeEnergy(catConfig(s, 3, states, make([]int8, 3))) - logZ)
		se := math.Sqrt(3 * p * (1 - p) / n)
		if f := counts[s] / n; math.Abs(f-p) > 5*se {
			t.Errorf("state %d frequency %v, exact %v (se %v)", s, f, p, se)
		}
	}
}

// TestCategoricalBlock checks the block evaluator against FreeEnergy of
// the assembled configurations and the exact conditional.
func TestCategoricalBlock(t *testing.T) {
	states := []int8{-1, 0, 1}
	c := randomCat(t, 6, 5, states, 0.7, 0.4, 8)
	units := []int{4, 1, 2}
	b, err := c.Block(units)
	if err != nil {
		t.Fatal(err)
	}
	if b.States() != 27 {
		t.Fatalf("%d block states", b.States())
	}
	v := []int8{1, -1, 0, 0, 1, -1}
	buf := make([]float64, 0, 27+5)
	f := b.FreeEnergies(v, buf)
	if &f[0] != &buf[:1][0] {
		t.Error("FreeEnergies did not reuse a large enough buffer")
	}
	w := append([]int8(nil), v...)
	var z lse
	for s := range 27 {
		bs := catConfig(s, 3, states, make([]int8, 3))
		for k, i := range units {
			w[i] = bs[k]
		}
		if b.Index(w) != s {
			t.Fatalf("Index(%v) = %d, want %d", w, b.Index(w), s)
		}
		if want := c.FreeEnergy(w); math.Abs(f[s]-want) > 1e-12 {
			t.Errorf("F(block state %d) = %v, want %v", s, f[s], want)
		}
		z.add(-c.FreeEnergy(w))
	}
	p := b.Cond(v, nil)
	sum := 0.0
	for s := range 27 {
		bs := catConfig(s, 3, states, make([]int8, 3))
		for k, i := range units {
			w[i] = bs[k]
		}
		if want := math.Exp(-c.FreeEnergy(w) - z.value()); math.Abs(p[s]-want) > 1e-12 {
			t.Errorf("P(block %d | rest) = %v, want %v", s, p[s], want)
		}
		sum += p[s]
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("conditional sums to %v", sum)
	}
	if allocs := testing.AllocsPerRun(10, func() { b.FreeEnergies(v, buf) }); allocs != 0 {
		t.Errorf("FreeEnergies allocates %v times with a large enough buffer", allocs)
	}
	for _, u := range [][]int{nil, {0, 0}, {6}, {-1}} {
		if _, err := c.Block(u); err == nil {
			t.Errorf("Block(%v): no error", u)
		}
	}
}

// TestCategoricalAIS checks AIS against the exact log Z of a 12-unit
// 3-state model with 14 hidden units (3^12 visible states, the hidden ones
// enumerated): within 0.05 nats and 4 reported standard errors (plus 0.01
// for the AIS bias).
func TestCategoricalAIS(t *testing.T) {
	c := randomCat(t, 12, 14, States(3), 0.4, 0.4, 31)
	exact, err := c.LogZ()
	if err != nil {
		t.Fatal(err)
	}
	steps := 5000
	if testing.Short() {
		steps = 2000
	}
	got, se, err := c.AIS(context.Background(), &AISOptions{Runs: 100, Steps: steps, Src: rand.NewPCG(4, 5)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exact log Z %.4f, AIS %.4f ± %.4f", exact, got, se)
	if d := math.Abs(got - exact); d > 0.05 || d > 4*se+0.01 {
		t.Errorf("AIS log Z %v ± %v, exact %v", got, se, exact)
	}
	if se <= 0 || se > 0.05 {
		t.Errorf("implausible standard error %v", se)
	}
}
