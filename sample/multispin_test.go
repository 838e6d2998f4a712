package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// Tests of Multispin against exact values: enumeration of small 2D and 3D
// tori (exactFromEnergy with lattice.Ising.Energy, so that the doubled bonds
// of extent-2 axes follow the library's convention), the row transfer matrix
// of the 8×8 torus, and exact identities (zero covariance between
// independent replicas). The helpers are those of samplers_test.go.
// Monte Carlo estimates are averages over the 64 replicas of every sweep;
// their errors come from binning the replica-averaged time series, which is
// correct whether or not the replicas are independent.

// msSeries holds, per sweep, the replica averages of e = E/N, m², |m|, and
// the lane-covariance estimators Σ_r (e_r − eRef)(e_{r+1} − eRef)/64 and
// Σ_r (|m_r| − amRef)(|m_{r+1}| − amRef)/64, whose expectations are 0 for
// independent replicas when eRef and amRef are the exact means. (The sign of
// m is left out: it tunnels too slowly at low T for binning errors.)
type msSeries struct {
	e, m2, am, cove, covm []float64
}

// msRun runs s for burn sweeps and then records the msSeries of n further
// sweeps (n/4 under -short, see shortScale).
func msRun(s *Multispin, burn, n int, eRef, amRef float64) msSeries {
	n = shortScale(n)
	for range burn {
		s.Step()
	}
	N := float64(s.geom.NumDOF())
	es := make([]float64, MultispinReplicas)
	ms := make([]float64, MultispinReplicas)
	var ser msSeries
	for range n {
		s.Step()
		s.Energies(es)
		s.Magnetizations(ms)
		var e, m2, am, ce, cm float64
		for r := range es {
			er, mr := es[r]/N, ms[r]/N
			r1 := (r + 1) % MultispinReplicas
			e += er
			m2 += mr * mr
			am += math.Abs(mr)
			ce += (er - eRef) * (es[r1]/N - eRef)
			cm += (math.Abs(mr) - amRef) * (math.Abs(ms[r1]/N) - amRef)
		}
		const R = MultispinReplicas
		ser.e = append(ser.e, e/R)
		ser.m2 = append(ser.m2, m2/R)
		ser.am = append(ser.am, am/R)
		ser.cove = append(ser.cove, ce/R)
		ser.covm = append(ser.covm, cm/R)
	}
	return ser
}

// TestMultispinEnumeration compares energy, ⟨m²⟩ and ⟨|m|⟩ per spin with
// exact enumeration on small 2D and 3D tori, and checks that neighbouring
// replicas (bits r and r+1) are uncorrelated: the exact covariances of their
// energies and of their |m| are 0. Under -short it runs a quarter of the
// sweeps (see shortScale).
func TestMultispinEnumeration(t *testing.T) {
	cases := []struct {
		ext   []int
		J, T  float64
		sweep int
	}{
		{[]int{4, 4}, 1, 1.5, 60000},
		{[]int{4, 4}, 1, isingTc2D, 60000},
		{[]int{4, 4}, 1, 3.5, 60000},
		{[]int{4, 2}, 1, 2.5, 30000},    // doubled bonds along y
		{[]int{2, 4}, 1, 3, 30000},      // doubled bonds along x
		{[]int{2, 2, 2}, 1, 4, 30000},   // every bond doubled
		{[]int{4, 2, 2}, 1, 4.5, 30000}, // x non-degenerate
		{[]int{2, 4, 2}, 0.5, 2.2, 30000},
		{[]int{2, 2, 4}, 1, 8, 30000},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%v_J=%g_T=%.4g", c.ext, c.J, c.T), func(t *testing.T) {
			m := isingModel(t, c.J, c.ext...)
			ex := exactFromEnergy(m.Lattice().N(), c.T, m.Energy)
			s, err := NewMultispin(m, c.T, rand.NewPCG(uint64(i)+1, 77))
			if err != nil {
				t.Fatal(err)
			}
			ser := msRun(s, 500, shortScale(c.sweep), ex.e, ex.am)
			checkMean(t, "E/N", ser.e, ex.e)
			checkMean(t, "<m^2>", ser.m2, ex.m2)
			checkMean(t, "<|m|>", ser.am, ex.am)
			checkMean(t, "cov(e_r, e_r+1)", ser.cove, 0)
			checkMean(t, "cov(|m_r|, |m_r+1|)", ser.covm, 0)
		})
	}
}

// msTransferEnergy returns the exact ⟨E⟩/N of the L×L periodic
// nearest-neighbour Ising model (J = 1) from the row transfer matrix
// T_ab = exp(K (h_a/2 + h_b/2 + v_ab)), Z = Tr T^L and
// ⟨E⟩ = −∂ ln Z/∂K = −L Tr(T^{L−1} T′)/Tr T^L with T′_ab = (h_a/2 + h_b/2 + v_ab) T_ab.
func msTransferEnergy(L int, T float64) float64 {
	K, S := 1/T, 1<<L
	spin := func(a, x int) int { return 2*(a>>x&1) - 1 }
	h := make([]float64, S)
	for a := range S {
		for x := range L {
			h[a] += float64(spin(a, x) * spin(a, (x+1)%L))
		}
	}
	tm := make([]float64, S*S)
	td := make([]float64, S*S)
	// rescale by exp(−K·(2L)) to keep numbers moderate; the factor cancels.
	for a := range S {
		for b := range S {
			var v float64
			for x := range L {
				v += float64(spin(a, x) * spin(b, x))
			}
			g := h[a]/2 + h[b]/2 + v
			tm[a*S+b] = math.Exp(K * (g - float64(2*L)))
			td[a*S+b] = g * tm[a*S+b]
		}
	}
	mul := func(x, y []float64) []float64 {
		z := make([]float64, S*S)
		for i := range S {
			zi := z[i*S : i*S+S]
			for k := range S {
				xik := x[i*S+k]
				for j, yv := range y[k*S : k*S+S] {
					zi[j] += xik * yv
				}
			}
		}
		return z
	}
	p := tm // T^(L−1)
	for range L - 2 {
		p = mul(p, tm)
	}
	var z, dz float64
	for i := range S {
		for k := range S {
			z += p[i*S+k] * tm[k*S+i]
			dz += p[i*S+k] * td[k*S+i]
		}
	}
	return -float64(L) * dz / z / float64(L*L)
}

// TestMultispinTransferMatrix8x8 compares the energy on the 8×8 torus at T_c
// with the exact transfer-matrix value.
func TestMultispinTransferMatrix8x8(t *testing.T) {
	const L = 8
	m := isingModel(t, 1, L, L)
	// cross-check the transfer matrix against enumeration at L = 4
	if got, want := msTransferEnergy(4, 2.0), exactIsing2D(4, 2.0).e; math.Abs(got-want) > 1e-12 {
		t.Fatalf("transfer matrix E/N = %.15f at L=4, enumeration %.15f", got, want)
	}
	exact := msTransferEnergy(L, isingTc2D)
	s, err := NewMultispin(m, isingTc2D, rand.NewPCG(8, 8))
	if err != nil {
		t.Fatal(err)
	}
	ser := msRun(s, 1000, 40000, exact, 0)
	checkMean(t, "E/N (8x8, T_c)", ser.e, exact)
	checkMean(t, "cov(e_r, e_r+1)", ser.cove, 0)
}

// TestMultispinKaufman32 compares the energy per spin of the 32×32 torus
// with Kaufman's exact finite-size values, as printed by
// /work/shared/anchors/ising_c/exact_energy.py 32 1.5 2.269185314 3.5
// (mpmath, 40 digits; listed in the anchors README). At T = 1.5 the replicas
// start cold (all +1): from a hot start some would form straight domain
// walls across the torus, which Metropolis dynamics removes only on time
// scales far beyond this test.
func TestMultispinKaufman32(t *testing.T) {
	cases := []struct {
		T, exact float64
		cold     bool
		sweeps   int
	}{
		{1.5, -1.9511166, true, 10000},
		{2.269185314, -1.4336585, false, 30000},
		{3.5, -0.6601217, false, 10000},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("T=%g", c.T), func(t *testing.T) {
			s, err := NewMultispin(isingModel(t, 1, 32, 32), c.T, rand.NewPCG(32, uint64(i)))
			if err != nil {
				t.Fatal(err)
			}
			if c.cold {
				up := make([]int8, 32*32)
				for k := range up {
					up[k] = 1
				}
				for r := range MultispinReplicas {
					s.SetReplica(r, up)
				}
			}
			ser := msRun(s, 2000, c.sweeps, c.exact, 0)
			checkMean(t, "E/N (32x32)", ser.e, c.exact)
		})
	}
}

// TestMultispinEnergyAccounting checks Energies and Magnetizations against
// lattice.Ising.Energy and the spin sum of every unpacked replica, on
// several 2D and 3D lattices and couplings, and that SetReplica/Replica
// round-trip.
func TestMultispinEnergyAccounting(t *testing.T) {
	cases := []struct {
		ext  []int
		J, T float64
	}{
		{[]int{4, 4}, 1, 2.3},
		{[]int{6, 4}, 0.7, 1.9},
		{[]int{2, 8}, 1.3, 5},
		{[]int{16, 16}, 1, 2.269},
		{[]int{4, 4, 4}, 1, 4.5},
		{[]int{2, 2, 2}, 1, 4},
		{[]int{6, 2, 4}, 0.8, 3.1},
		{[]int{8, 8, 8}, 1, 30},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%v", c.ext), func(t *testing.T) {
			m := isingModel(t, c.J, c.ext...)
			s, err := NewMultispin(m, c.T, rand.NewPCG(uint64(i), 3))
			if err != nil {
				t.Fatal(err)
			}
			es := make([]float64, MultispinReplicas)
			ms := make([]float64, MultispinReplicas)
			var x []int8
			for sweep := 0; sweep < 4; sweep++ {
				s.Energies(es)
				s.Magnetizations(ms)
				for r := range MultispinReplicas {
					x = s.Replica(r, x)
					if want := m.Energy(x); math.Abs(es[r]-want) > 1e-9*math.Max(1, math.Abs(want)) {
						t.Fatalf("sweep %d replica %d: Energies %v, lattice.Ising.Energy %v", sweep, r, es[r], want)
					}
					var mag int
					for _, v := range x {
						mag += int(v)
					}
					if ms[r] != float64(mag) {
						t.Fatalf("sweep %d replica %d: Magnetizations %v, spin sum %d", sweep, r, ms[r], mag)
					}
				}
				s.Step()
			}
			// Config is replica 0
			if !slices.Equal(s.Config(), s.Replica(0, nil)) {
				t.Error("Config differs from Replica(0)")
			}
			// SetReplica round trip: put replica 5's configuration into 9.
			x5 := s.Replica(5, nil)
			x3 := s.Replica(3, nil)
			s.SetReplica(9, x5)
			if !slices.Equal(s.Replica(9, nil), x5) || !slices.Equal(s.Replica(3, nil), x3) {
				t.Error("SetReplica did not set exactly one replica")
			}
		})
	}
}

// TestMultispinStripeCycle checks that replicas started in the column-stripe
// state s = (−1)^x of a 4×4 torus leave it. Every spin there has ΔE = 0;
// with the plain Metropolis flip probability 1 at ΔE = 0 a checkerboard sweep
// maps it to the reversed column stripes (via row stripes) and back, forever,
// and all 64 replicas would still be column stripes. With probability 15/16 a replica stays on the cycle
// for 3 sweeps with probability (15/16)^48 ≈ 0.045, so about 3 of 64 are
// expected; the test allows 16.
func TestMultispinStripeCycle(t *testing.T) {
	m := isingModel(t, 1, 4, 4)
	s, err := NewMultispin(m, 2.0, rand.NewPCG(4, 4))
	if err != nil {
		t.Fatal(err)
	}
	stripe := make([]int8, 16)
	reversed := make([]int8, 16)
	for i := range stripe {
		stripe[i] = int8(1 - 2*(i%4%2))
		reversed[i] = -stripe[i]
	}
	for r := range MultispinReplicas {
		s.SetReplica(r, stripe)
	}
	for range 3 {
		s.Step()
	}
	stuck := 0
	for r := range MultispinReplicas {
		if x := s.Replica(r, nil); slices.Equal(x, stripe) || slices.Equal(x, reversed) {
			stuck++
		}
	}
	t.Logf("%d of 64 replicas still on the stripe cycle after 3 sweeps", stuck)
	if stuck > 16 {
		t.Errorf("%d of 64 replicas still on the stripe cycle after 3 sweeps, expected about 3", stuck)
	}
}

// TestMultispinReplicasDiffer checks that the 64 replicas start from, and
// keep, pairwise different configurations (on 16×16 at T = 3.5 two
// independent configurations coincide with negligible probability), and that
// replicas are not bit shifts of a common stream.
func TestMultispinReplicasDiffer(t *testing.T) {
	m := isingModel(t, 1, 16, 16)
	s, err := NewMultispin(m, 3.5, rand.NewPCG(5, 6))
	if err != nil {
		t.Fatal(err)
	}
	for sweep := 0; sweep < 3; sweep++ {
		seen := map[string]int{}
		for r := range MultispinReplicas {
			key := string(int8Bytes(s.Replica(r, nil)))
			if q, ok := seen[key]; ok {
				t.Fatalf("after %d sweeps replicas %d and %d are identical", sweep, q, r)
			}
			seen[key] = r
		}
		for range 10 {
			s.Step()
		}
	}
}

// TestMultispinDeterministic checks that a seed fixes the chain and that
// Step does not allocate.
func TestMultispinDeterministic(t *testing.T) {
	m := isingModel(t, 1, 8, 8, 8)
	run := func(seed uint64) []int8 {
		s, err := NewMultispin(m, 4.5, rand.NewPCG(seed, 1))
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			s.Step()
		}
		return s.Replica(17, nil)
	}
	if a, b := run(1), run(1); !slices.Equal(a, b) {
		t.Error("same seed gave different chains")
	}
	if a, b := run(1), run(2); slices.Equal(a, b) {
		t.Error("different seeds gave the same chain")
	}
	s, err := NewMultispin(isingModel(t, 1, 32, 32), isingTc2D, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, s.Step); n != 0 {
		t.Errorf("Step allocates %v times", n)
	}
}

// TestNewMultispinErrors checks input validation.
func TestNewMultispinErrors(t *testing.T) {
	sq := isingModel(t, 1, 4, 4)
	src := rand.NewPCG(1, 2)
	mk := func(ext []int, terms ...lattice.Term) *lattice.Ising {
		l, err := lattice.NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		m, err := lattice.NewIsing(l, terms...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	nn2 := lattice.NearestNeighbor(2)
	cases := []struct {
		name string
		m    *lattice.Ising
		T    float64
		src  rand.Source
	}{
		{"nil model", nil, 2, src},
		{"nil source", sq, 2, nil},
		{"T=0", sq, 0, src},
		{"T<0", sq, -1, src},
		{"T=NaN", sq, math.NaN(), src},
		{"T=Inf", sq, math.Inf(1), src},
		{"chain", mk([]int{8}, lattice.Term{Op: lattice.NearestNeighbor(1), J: 1}), 2, src},
		{"4D", mk([]int{2, 2, 2, 2}, lattice.Term{Op: lattice.NearestNeighbor(4), J: 1}), 2, src},
		{"odd extent", mk([]int{5, 4}, lattice.Term{Op: nn2, J: 1}), 2, src},
		{"antiferromagnet", mk([]int{4, 4}, lattice.Term{Op: nn2, J: -1}), 2, src},
		{"J=0", mk([]int{4, 4}, lattice.Term{Op: nn2, J: 0}), 2, src},
		{"next-nearest", mk([]int{4, 4}, lattice.Term{Op: lattice.NextNearest(2), J: 1}), 2, src},
		{"field", mk([]int{4, 4}, lattice.Term{Op: lattice.Field(2), J: 1}), 2, src},
		{"two terms", mk([]int{4, 4}, lattice.Term{Op: nn2, J: 1}, lattice.Term{Op: lattice.Field(2), J: 0.1}), 2, src},
	}
	for _, c := range cases {
		if s, err := NewMultispin(c.m, c.T, c.src); err == nil || s != nil {
			t.Errorf("%s: NewMultispin returned (%v, %v), want an error", c.name, s, err)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
	// an equivalent hand-written nearest-neighbour operator is accepted
	op := lattice.Operator{Name: "bonds", Patterns: [][][]int{{{0, 1}, {0, 0}}, {{0, 0}, {1, 0}}}}
	if _, err := NewMultispin(mk([]int{4, 6}, lattice.Term{Op: op, J: 2}), 3, src); err != nil {
		t.Errorf("equivalent nearest-neighbour operator rejected: %v", err)
	}
}

// ExampleMultispin estimates the energy per spin of the 16×16 Ising model at
// T = 1.5 from 64 replicas.
func ExampleMultispin() {
	l, _ := lattice.NewSquare(16)
	m, _ := lattice.NewNearestNeighborIsing(l, 1)
	s, err := NewMultispin(m, 1.5, rand.NewPCG(1, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 500 {
		s.Step() // one sweep of all 64 replicas
	}
	es := make([]float64, s.Replicas())
	var sum float64
	for range 100 {
		s.Step()
		s.Energies(es)
		for _, e := range es {
			sum += e
		}
	}
	fmt.Printf("replicas: %d\n", s.Replicas())
	fmt.Printf("E/N ≈ %.2f (exact at L=16: −1.95)\n", sum/float64(100*s.Replicas()*l.N()))
	// Output:
	// replicas: 64
	// E/N ≈ -1.95 (exact at L=16: −1.95)
}
