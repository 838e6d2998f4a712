package rsmi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// pairsOf wraps values as Pairs without validating them.
func pairsOf(v []int8, nv int, e []int8, ne int) *Pairs {
	return &Pairs{V: v, E: e, N: len(v) / nv, NV: nv, NE: ne}
}

// randomPairs returns n pairs of random ±1 data in which e depends on v.
func randomPairs(n, nv, ne int, src rand.Source) *Pairs {
	v, e := randomValues(n, nv, ne, src)
	return pairsOf(v, nv, e, ne)
}

// randomValues is randomPairs' values.
func randomValues(n, nv, ne int, src rand.Source) (v, e []int8) {
	rng := rand.New(src)
	v = make([]int8, n*nv)
	e = make([]int8, n*ne)
	for k := 0; k < n; k++ {
		for i := 0; i < nv; i++ {
			v[k*nv+i] = int8(2*rng.IntN(2) - 1)
		}
		for i := 0; i < ne; i++ {
			s := v[k*nv+i%nv]
			if rng.Float64() < 0.3 {
				s = -s
			}
			e[k*ne+i] = s
		}
	}
	return v, e
}

// TestInfoNCEGradient checks the hand-written reverse mode against central
// finite differences of the bound on one fixed batch with fixed noise, for
// every filter parameter (weights and biases) and every critic parameter.
func TestInfoNCEGradient(t *testing.T) {
	const nv, ne, K = 4, 5, 6
	pr := randomPairs(40, nv, ne, rand.NewPCG(1, 2))
	est, err := NewInfoNCE(pr, rand.NewPCG(3, 4), &InfoNCEOptions{Batch: K, Embed: 3, CriticHidden: []int{5, 4}, HoldOut: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := NewFilter(2, nv, rand.NewPCG(5, 6))
	f.Bias = []float64{0.3, -0.2}
	if err := est.check(f, nil); err != nil {
		t.Fatal(err)
	}
	fixBatch(est, rand.New(rand.NewPCG(7, 8)), 3)
	const tau = 0.6
	fgrad := make([]float64, f.NumParams())
	for i := range est.cgrad {
		est.cgrad[i] = 0
	}
	est.bound(f, tau, fgrad, true)
	cgrad := append([]float64(nil), est.cgrad...)
	eval := func() float64 { return est.bound(f, tau, nil, false) }
	const h = 1e-6
	fd := func(p *float64) float64 {
		old := *p
		*p = old + h
		up := eval()
		*p = old - h
		dn := eval()
		*p = old
		return (up - dn) / (2 * h)
	}
	var worst float64
	for i := range fgrad {
		d := fd(paramPtr(f, i))
		worst = max(worst, math.Abs(d-fgrad[i]))
		if math.Abs(d-fgrad[i]) > 1e-6+1e-5*math.Abs(d) {
			t.Errorf("filter parameter %d: analytic %.10g, finite difference %.10g", i, fgrad[i], d)
		}
	}
	for i := range cgrad {
		d := fd(&est.crit[i])
		worst = max(worst, math.Abs(d-cgrad[i]))
		if math.Abs(d-cgrad[i]) > 1e-6+1e-5*math.Abs(d) {
			t.Errorf("critic parameter %d: analytic %.10g, finite difference %.10g", i, cgrad[i], d)
		}
	}
	t.Logf("%d filter and %d critic parameters, largest deviation %.2g", len(fgrad), len(cgrad), worst)
}

// fixBatch sets up est for a gradient check: the critic's parameters moved
// away from zero (so that ReLU kinks are not hit), the batch of pairs
// 0, stride, 2·stride, … and fixed noise.
func fixBatch(est *InfoNCE, rng *rand.Rand, stride int) {
	for i := range est.crit {
		est.crit[i] += 0.3 * rng.NormFloat64()
	}
	for b := range est.idx {
		est.idx[b] = int32(stride * b)
	}
	for i := range est.unif {
		est.unif[i] = uniform01(rng)
	}
}

func TestInfoNCEErrors(t *testing.T) {
	pr := randomPairs(100, 3, 4, rand.NewPCG(1, 1))
	src := rand.NewPCG(1, 2)
	for _, tc := range []struct {
		o    InfoNCEOptions
		want string
	}{
		{InfoNCEOptions{Batch: 1}, "batch"},
		{InfoNCEOptions{Batch: -4}, "batch"},
		{InfoNCEOptions{Embed: -1}, "embedding"},
		{InfoNCEOptions{CriticHidden: []int{8, 0}}, "width"},
		{InfoNCEOptions{TempStart: math.NaN()}, "temperature"},
		{InfoNCEOptions{TempEnd: -1}, "temperature"},
		{InfoNCEOptions{Batch: 16, HoldOut: 0.05}, "held-out"},
	} {
		if _, err := NewInfoNCE(pr, src, &tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want one mentioning %q", tc.o, err, tc.want)
		}
	}
	est, err := NewInfoNCE(pr, src, &InfoNCEOptions{Batch: 8, HoldOut: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := NewFilter(2, 3, src)
	if _, err := est.MI(f); err != nil {
		t.Fatal(err)
	}
	g, _ := NewFilter(1, 3, src)
	if _, err := est.MI(g); err == nil || !strings.Contains(err.Error(), "nh") {
		t.Errorf("filter with another nh: err = %v", err)
	}
	// a critic that diverges makes the bound NaN: Train stops and names the step
	wild, err := NewInfoNCE(pr, src, &InfoNCEOptions{Batch: 8, HoldOut: 0.2, LearningRate: 1e300})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Train(context.Background(), wild, f, &TrainOptions{Steps: 10})
	if err == nil || !strings.Contains(err.Error(), "step 2") {
		t.Errorf("diverging bound: err = %v, want an error naming step 2", err)
	}
}

// TestInfoNCEChain1D compares InfoNCE with the exact MI of the Ising chain
// (L_V = 2, L_B = 1, L_E = 2) for fixed filters, and checks that training
// filter and critic jointly learns decimation of one spin.
func TestInfoNCEChain1D(t *testing.T) {
	t.Parallel() // several seconds of work: overlap it with the other long tests
	const K = 1.0
	tb, err := NewExactChain(K, 2, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	pr := chainPairs(K, 2, 1, 2, 40000, rand.NewPCG(11, 12))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		w    []float64
	}{
		{"decimation", []float64{20, 0}},
		{"uniform", []float64{0.7, 0.7}},
	} {
		est, err := NewInfoNCE(pr, rand.NewPCG(13, 14), &InfoNCEOptions{Batch: 128, AnnealSteps: 500})
		if err != nil {
			t.Fatal(err)
		}
		f := &Filter{NH: 1, NV: 2, W: tc.w}
		if err := est.TrainCritic(ctx, f, 1000); err != nil {
			t.Fatal(err)
		}
		got, err := est.MI(f)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := tb.MI(f)
		t.Logf("%s: InfoNCE %.4f bit (EMA of training %.4f), exact %.4f", tc.name, got, est.Estimate(), want)
		if got > want+0.02 || got < want-0.02 {
			t.Errorf("%s: InfoNCE %.4f bit, exact %.4f", tc.name, got, want)
		}
	}
	est, err := NewInfoNCE(pr, rand.NewPCG(15, 16), &InfoNCEOptions{Batch: 128, AnnealSteps: 1000})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := NewFilter(1, 2, rand.NewPCG(17, 18))
	if _, err := Train(ctx, est, f, &TrainOptions{Steps: 1500, LearningRate: 0.02}); err != nil {
		t.Fatal(err)
	}
	nce, _ := est.MI(f)
	t.Logf("InfoNCE of the learned filter %.4f bit", nce)
	checkDecimation(t, "InfoNCE", f, tb)
}

// TestInfoNCEDeterministic: the same seed gives the same filter and MI.
func TestInfoNCEDeterministic(t *testing.T) {
	pr := randomPairs(2000, 4, 6, rand.NewPCG(1, 1))
	run := func() ([]float64, float64) {
		est, err := NewInfoNCE(pr, rand.NewPCG(2, 3), &InfoNCEOptions{Batch: 32})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := NewFilter(2, 4, rand.NewPCG(4, 5))
		res, err := Train(context.Background(), est, f, &TrainOptions{Steps: 50})
		if err != nil {
			t.Fatal(err)
		}
		return f.W, res.MI
	}
	w1, m1 := run()
	w2, m2 := run()
	if m1 != m2 {
		t.Errorf("MI %v then %v", m1, m2)
	}
	for i := range w1 {
		if w1[i] != w2[i] {
			t.Fatalf("weights differ: %v vs %v", w1, w2)
		}
	}
}

// dimerAnalysis projects each unit's weights on the staggered link patterns
// E_x (right links, sign (−1)^(x+y)) and E_y (up links) of the block at
// position 0 of a doubled-grid region: it returns the share of each unit's
// squared weights in their span, the share on noise spins (sites and faces),
// and the smallest angle between two units' projections on that plane (as
// lines, 0–90°).
func dimerAnalysis(r *Regions, f *Filter) (efield, noise []float64, angle float64) {
	g := r.Geometry()
	o := r.Origin(0)
	ext := g.Extents()
	ex, ey := make([]float64, f.NV), make([]float64, f.NV)
	isNoise := make([]bool, f.NV)
	var c []int
	for i, d := range r.V(0) {
		c = g.Coord(int(d), c)
		X := ((c[0]-o[0])%ext[0] + ext[0]) % ext[0]
		Y := ((c[1]-o[1])%ext[1] + ext[1]) % ext[1]
		sign := 1.0
		if (X/2+Y/2)%2 != 0 {
			sign = -1
		}
		switch {
		case X%2 == 1 && Y%2 == 0:
			ex[i] = sign
		case X%2 == 0 && Y%2 == 1:
			ey[i] = sign
		default:
			isNoise[i] = true
		}
	}
	nx, ny := math.Sqrt(dot(ex, ex)), math.Sqrt(dot(ey, ey))
	proj := make([][2]float64, f.NH)
	for j := 0; j < f.NH; j++ {
		w := f.W[j*f.NV : (j+1)*f.NV]
		px, py := dot(w, ex)/nx, dot(w, ey)/ny
		var nz float64
		for i, x := range w {
			if isNoise[i] {
				nz += x * x
			}
		}
		n2 := dot(w, w)
		efield = append(efield, (px*px+py*py)/n2)
		noise = append(noise, nz/n2)
		proj[j] = [2]float64{px, py}
	}
	angle = 90
	for j := 0; j < f.NH; j++ {
		for k := j + 1; k < f.NH; k++ {
			p, q := proj[j], proj[k]
			cos := math.Abs(p[0]*q[0]+p[1]*q[1]) / math.Hypot(p[0], p[1]) / math.Hypot(q[0], q[1])
			angle = math.Min(angle, math.Acos(math.Min(1, cos))*180/math.Pi)
		}
	}
	return efield, noise, angle
}

func dot(a, b []float64) float64 {
	var s float64
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// dimerPairs samples non-interacting dimers with noise spins on the L×L
// torus and cuts (V,E) pairs for a 4×4-site block (8×8 on the doubled grid),
// buffer 4 and environment 4, with block positions every pstride sites.
func dimerPairs(t testing.TB, L, n, pstride int, seed uint64) (*Regions, *Pairs) {
	t.Helper()
	m, err := lattice.NewDimer(L, lattice.DimerOptions{NoiseSpins: true})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := sample.NewDimerLoop(m, 1, rand.NewPCG(seed, 0))
	for i := 0; i < 20*L*L; i++ {
		p.Step()
	}
	every := p.SweepSteps()
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
		return sample.NewDimerLoop(m, 1, src)
	}, sample.Plan{Chains: 2, BurnIn: 50 * every, Every: every, PerChain: n / 2}, rand.NewPCG(seed, 1))
	if err != nil {
		t.Fatal(err)
	}
	// Stride 2: translations by whole sites (with noise spins every grid
	// point is a dof and the geometry's own period would be 1)
	r, err := NewRegions(m.Geometry(), []int{8, 8}, &RegionOptions{Buffer: 4, Env: 4, Stride: []int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	var pos []int
	for k := 0; k < r.NumPositions(); k++ {
		if o := r.Origin(k); (o[0]/2)%pstride == 0 && (o[1]/2)%pstride == 0 {
			pos = append(pos, k)
		}
	}
	pr, err := r.PairsAt(ds, pos)
	if err != nil {
		t.Fatal(err)
	}
	return r, pr
}

// TestInfoNCEDimerFast is the quick version of the dimer validation: L = 16,
// 1200 samples, 700 steps, nh = 2. Its bar is weaker than the long test's
// but fails for a filter that ignores the field (a random filter puts about
// 2/64 of its weight in the E-field plane): each unit at least 60% in the
// plane and under 10% on noise spins. The angle between the units is only
// logged: at this size single short runs often collapse both units onto one
// direction (4 of 5 seeds below 45° in the prototype, the one with the
// largest MI at 84°); TestLongDimer keeps the best of several seeds by MI.
func TestInfoNCEDimerFast(t *testing.T) {
	skipShort(t)
	t.Parallel() // several seconds of work: overlap it with the other long tests
	r, pr := dimerPairs(t, 16, 1200, 2, 7)
	est, err := NewInfoNCE(pr, rand.NewPCG(1, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := NewFilter(2, r.NV(), rand.NewPCG(3, 4))
	if _, err := Train(context.Background(), est, f, &TrainOptions{Steps: 700}); err != nil {
		t.Fatal(err)
	}
	mi, _ := est.MI(f)
	ef, nz, ang := dimerAnalysis(r, f)
	t.Logf("MI %.4f bit; E-field fractions %.3f, noise %.4f, angle %.1f°", mi, ef, nz, ang)
	for j := range ef {
		if ef[j] < 0.6 || nz[j] > 0.1 {
			t.Errorf("unit %d: E-field fraction %.3f (want ≥ 0.6), noise %.4f (want < 0.1)", j, ef[j], nz[j])
		}
	}
}

// TestLongDimer is the full dimer validation (Fig. 4): L = 32, 1000 samples,
// nh = 2; three seeds of 3000 steps each with the relaxed-Bernoulli
// temperature annealed to 0.3 (not 0.05: the dimer filters saturate, so
// relaxed and hard units nearly coincide, and the smoother gradient found the
// field more reliably in the prototype scans), the best by held-out MI kept.
// Single runs vary (E-field fractions 0.7–0.9, some with both units on one
// direction, as the brief's prototype reported). Each
// unit must put ≥ 80% of its squared weight in the span of E_x and E_y,
// < 5% on noise, and the units must be ≥ 45° apart. It takes a few minutes
// and runs only with
//
//	RSMI_LONG=1 go test ./rsmi/ -run LongDimer -v
func TestLongDimer(t *testing.T) {
	if os.Getenv("RSMI_LONG") == "" {
		t.Skip("set RSMI_LONG=1 to run the long dimer validation")
	}
	r, pr := dimerPairs(t, 32, 1000, 4, 11)
	res, err := TrainBest(context.Background(), 3, func(_ context.Context, k int) (Estimator, *Filter, error) {
		seed := uint64(k + 1)
		est, err := NewInfoNCE(pr, rand.NewPCG(seed, 2), &InfoNCEOptions{TempEnd: 0.3})
		if err != nil {
			return nil, nil, err
		}
		f, err := NewFilter(2, r.NV(), rand.NewPCG(seed, 4))
		return est, f, err
	}, &BestOptions{Train: &TrainOptions{Steps: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	for k, run := range res.Runs {
		t.Logf("seed %d: MI %.4f bit", k+1, run.MI)
	}
	best := res.Filter
	ef, nz, ang := dimerAnalysis(r, best)
	for j := range ef {
		if ef[j] < 0.8 || nz[j] > 0.05 {
			t.Errorf("unit %d: E-field fraction %.3f (want ≥ 0.8), noise %.4f (want < 0.05)", j, ef[j], nz[j])
		}
	}
	if ang < 45 {
		t.Errorf("units %.1f° apart in the E-field plane, want ≥ 45°", ang)
	}
}

// BenchmarkInfoNCEStep times one training step (MIGrad: batch, forward,
// backward, critic Adam) at the dimer example's sizes: |V| = 64, |E| = 320,
// K = 256, critic [32, 32] → 8, nh = 2.
func BenchmarkInfoNCEStep(b *testing.B) {
	const nv, ne = 64, 320
	pr := randomPairs(4000, nv, ne, rand.NewPCG(1, 2))
	est, err := NewInfoNCE(pr, rand.NewPCG(3, 4), nil)
	if err != nil {
		b.Fatal(err)
	}
	f, _ := NewFilter(2, nv, rand.NewPCG(5, 6))
	grad := make([]float64, f.NumParams())
	if _, err := est.MIGrad(f, grad); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := est.MIGrad(f, grad); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(est.Batch())*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// ExampleInfoNCE estimates I(H:E) of decimation on the Ising chain with a
// trained critic and compares it with the exact value.
func ExampleInfoNCE() {
	pr := chainPairs(1, 2, 1, 2, 20000, rand.NewPCG(1, 2))
	est, err := NewInfoNCE(pr, rand.NewPCG(3, 4), &InfoNCEOptions{Batch: 128, AnnealSteps: 300})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := &Filter{NH: 1, NV: 2, W: []float64{20, 0}} // decimation of the first spin
	if err := est.TrainCritic(context.Background(), f, 600); err != nil {
		fmt.Println(err)
		return
	}
	mi, _ := est.MI(f)
	tb, _ := NewExactChain(1, 2, 1, 2)
	exact, _ := tb.MI(f)
	fmt.Printf("exact %.2f bit, InfoNCE within 0.03 bit: %v, below log2(128) = 7 bits: %v\n", exact, math.Abs(mi-exact) < 0.03, mi < 7)
	// Output: exact 0.36 bit, InfoNCE within 0.03 bit: true, below log2(128) = 7 bits: true
}

// TestNCEGemm checks the serial product against gonum's Dgemm.
func TestNCEGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const m, n, k = 7, 5, 9
	a := make([]float64, m*k)
	b := make([]float64, k*n)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	for _, tc := range []struct {
		tA, tB   blas.Transpose
		lda, ldb int
	}{{blas.NoTrans, blas.NoTrans, k, n}, {blas.NoTrans, blas.Trans, k, k}, {blas.Trans, blas.NoTrans, m, n}} {
		for _, beta := range []float64{0, 1, 0.5} {
			c1 := make([]float64, m*n)
			c2 := make([]float64, m*n)
			for i := range c1 {
				c1[i] = float64(i)
				c2[i] = float64(i)
			}
			nceGemm(tc.tA, tc.tB, m, n, k, 0.7, a, tc.lda, b, tc.ldb, beta, c1, n)
			nceGemmBLAS(tc.tA, tc.tB, m, n, k, 0.7, a, tc.lda, b, tc.ldb, beta, c2, n)
			for i := range c1 {
				if math.Abs(c1[i]-c2[i]) > 1e-12 {
					t.Fatalf("%v %v β=%v: entry %d is %v, Dgemm gives %v", tc.tA, tc.tB, beta, i, c1[i], c2[i])
				}
			}
		}
	}
}

// nceGemmBLAS is gonum's Dgemm, the reference for TestNCEGemm.
func nceGemmBLAS(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	blas64.Implementation().Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
