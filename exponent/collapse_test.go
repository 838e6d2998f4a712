package exponent

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/sample"
)

// syntheticCurves returns curves Q_n(T) = F((T − Tc)·2^{n/ν}) with
// F(x) = tanh x + 0.3x², levels 0…3, 11 temperatures in about Tc ± w, and
// Gaussian noise of standard deviation sigma.
func syntheticCurves(tc, nu, w, sigma float64, r *rand.Rand) []Curve {
	var cs []Curve
	for n := 0; n <= 3; n++ {
		c := Curve{Level: n}
		for i := 0; i <= 10; i++ {
			T := tc - w + 0.2*w*(float64(i)+0.37*float64(n)-0.5) // grids shifted per level
			x := (T - tc) * math.Pow(2, float64(n)/nu)
			c.T = append(c.T, T)
			c.Q = append(c.Q, math.Tanh(x)+0.3*x*x+sigma*r.NormFloat64())
			c.Err = append(c.Err, sigma)
		}
		cs = append(cs, c)
	}
	return cs
}

// TestCollapseSynthetic checks that Collapse recovers the T_c and ν of data
// that obey the scaling form exactly (up to known noise), within 4
// bootstrap standard errors, with a collapse quality near 1.
func TestCollapseSynthetic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// The grid is dense enough in x = (T − Tc)·8^{1/ν} for interpolation.
	for _, c := range []struct{ tc, nu, w float64 }{{2.269, 1, 0.1}, {4.5, 0.63, 0.04}} {
		cs := syntheticCurves(c.tc, c.nu, c.w, 0.003, r)
		res, err := Collapse(cs, rand.NewPCG(3, 4), &CollapseOptions{Nu: 0.8, Tc: c.tc + c.w/5})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("true (%v, %v): Tc = %.5f ± %.5f, ν = %.4f ± %.4f, S = %.2f over %d pairs",
			c.tc, c.nu, res.Tc, res.TcErr, res.Nu, res.NuErr, res.Quality, res.Pairs)
		if math.Abs(res.Nu-c.nu) > 4*res.NuErr || !(res.NuErr > 0 && res.NuErr < 0.05) {
			t.Errorf("ν = %v ± %v, true %v", res.Nu, res.NuErr, c.nu)
		}
		if math.Abs(res.Tc-c.tc) > 4*res.TcErr || !(res.TcErr > 0 && res.TcErr < 0.01) {
			t.Errorf("Tc = %v ± %v, true %v", res.Tc, res.TcErr, c.tc)
		}
		if res.Quality > 3 {
			t.Errorf("quality S = %v for data that collapse exactly", res.Quality)
		}
		// With T_c known, ν alone.
		fixed, err := Collapse(cs, rand.NewPCG(3, 4), &CollapseOptions{Nu: 0.8, Tc: c.tc, FixTc: true})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(fixed.Nu-c.nu) > 4*fixed.NuErr || fixed.TcErr != 0 || fixed.Tc != c.tc {
			t.Errorf("fixed Tc: ν = %v ± %v, true %v", fixed.Nu, fixed.NuErr, c.nu)
		}
	}
	// Curves that do not collapse (a wrong scale factor in the data) give a
	// large S.
	bad := syntheticCurves(2.269, 1, 0.1, 0.003, r)
	for i := range bad[3].Q {
		bad[3].Q[i] += 0.2
	}
	res, err := Collapse(bad, rand.NewPCG(3, 4), &CollapseOptions{Nu: 1, Resamples: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Quality < 10 {
		t.Errorf("shifted curve collapses with S = %v", res.Quality)
	}
}

func TestCollapseErrors(t *testing.T) {
	good := syntheticCurves(1, 1, 0.1, 0.01, rand.New(rand.NewPCG(1, 1)))
	src := rand.NewPCG(1, 2)
	cases := []struct {
		cs   []Curve
		src  rand.Source
		opts *CollapseOptions
	}{
		{good[:1], src, &CollapseOptions{Nu: 1}},
		{good, src, &CollapseOptions{Nu: -1}},
		{good, nil, &CollapseOptions{Nu: 1}},
		{good, src, &CollapseOptions{Nu: 1, B: 1}},
		{[]Curve{good[0], {Level: 1, T: []float64{1, 0.5}, Q: []float64{0, 0}, Err: []float64{1, 1}}}, src, nil},
		{[]Curve{good[0], {Level: 1, T: []float64{1, 2}, Q: []float64{0, 0}, Err: []float64{1, 0}}}, src, nil},
	}
	for i, c := range cases {
		if _, err := Collapse(c.cs, c.src, c.opts); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

// TestCollapseIsing2D applies the collapse to the flow of the effective
// temperature of the 2D Ising model: systems of side L = 8·2^n at seven
// temperatures around T_c (spanning (T − T_c)/T_c ≈ ±0.3/2^n) are
// coarse-grained n = 1, 2, 3 times with the 2×2 majority rule down to 8×8,
// and the nearest-neighbour coupling is fitted on the coarse data by
// pseudo-likelihood. With T_c fixed at its exact value the collapse gives
// ν = 1 within 4 standard errors; with T_c free, ν within 4 standard errors
// and T_c within 0.015 (its residual shift, about 0.007, is a finite-size
// correction of the 8×8 coarse lattice). Under -short (CI's race run) each
// temperature has a quarter of the samples, with the same tolerances.
func TestCollapseIsing2D(t *testing.T) {
	Tc := 2 / math.Log(1+math.Sqrt2)
	perChain := 1000
	if testing.Short() {
		perChain = 250
	}
	var curves []Curve
	seed := uint64(10)
	for n := 1; n <= 3; n++ {
		L := 8 << n
		lat, _ := lattice.NewSquare(L)
		m, _ := lattice.NewNearestNeighborIsing(lat, 1)
		c := Curve{Level: n}
		for i := -3; i <= 3; i++ {
			// grids shifted by a level-dependent fraction of a step, so that
			// no ν makes the scaled grids coincide
			T := Tc * (1 + 0.1*(float64(i)+0.37*float64(n-2))/float64(int(1)<<n))
			seed++
			ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
				return sample.NewSwendsenWang(m, T, src)
			}, sample.Plan{Chains: 2, BurnIn: 100, Every: 1, PerChain: perChain}, rand.NewPCG(seed, 1))
			if err != nil {
				t.Fatal(err)
			}
			res, err := rg.Flow(context.Background(), ds, lat, rand.NewPCG(seed, 2), &rg.FlowOptions{Levels: n})
			if err != nil {
				t.Fatal(err)
			}
			last := res.Levels[n]
			k, err := rg.FitCouplings(context.Background(), last.Data, last.Lattice, []lattice.Operator{lattice.NearestNeighbor(2)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.T = append(c.T, T)
			c.Q = append(c.Q, k.K[0])
			c.Err = append(c.Err, k.StdErr[0])
		}
		curves = append(curves, c)
	}
	fixed, err := Collapse(curves, rand.NewPCG(1, 2), &CollapseOptions{Nu: 0.8, Tc: Tc, FixTc: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("T_c fixed: ν = %.4f ± %.4f, S = %.2f over %d pairs", fixed.Nu, fixed.NuErr, fixed.Quality, fixed.Pairs)
	if math.Abs(fixed.Nu-1) > 4*fixed.NuErr || !(fixed.NuErr > 0 && fixed.NuErr < 0.05) {
		t.Errorf("T_c fixed: ν = %v ± %v, exact 1", fixed.Nu, fixed.NuErr)
	}
	free, err := Collapse(curves, rand.NewPCG(1, 2), &CollapseOptions{Nu: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("T_c free: T_c = %.5f ± %.5f (exact %.5f), ν = %.4f ± %.4f, S = %.2f over %d pairs",
		free.Tc, free.TcErr, Tc, free.Nu, free.NuErr, free.Quality, free.Pairs)
	if math.Abs(free.Nu-1) > 4*free.NuErr || math.Abs(free.Tc-Tc) > 0.015 {
		t.Errorf("T_c free: T_c = %v ± %v, ν = %v ± %v", free.Tc, free.TcErr, free.Nu, free.NuErr)
	}
}
