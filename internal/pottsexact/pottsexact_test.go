package pottsexact_test

import (
	"math"
	"math/cmplx"
	"testing"

	"github.com/rsmi-go/rsmi/internal/pottsexact"
	"github.com/rsmi-go/rsmi/lattice"
)

// brute returns the exact values by visiting all q^N configurations and
// evaluating the model's own Energy and Magnetization (no symmetry, no
// incremental updates).
func brute(m *lattice.Potts, T float64) pottsexact.Values {
	n, q := m.Lattice().N(), m.Q()
	x := make([]int8, n)
	var es, m2s []float64
	var n0s []float64
	e0 := math.Inf(1)
	for {
		e := m.Energy(x)
		es = append(es, e)
		a := cmplx.Abs(m.Magnetization(x))
		m2s = append(m2s, a*a)
		n0s = append(n0s, float64(m.Count0(x)))
		e0 = math.Min(e0, e)
		k := 0
		for ; k < n && int(x[k]) == q-1; k++ {
			x[k] = 0
		}
		if k == n {
			break
		}
		x[k]++
	}
	var z, se, se2, sm2, sm4, sn0 float64
	for i, e := range es {
		w := math.Exp(-(e - e0) / T)
		z += w
		se += w * e
		se2 += w * e * e
		sm2 += w * m2s[i]
		sm4 += w * m2s[i] * m2s[i]
		sn0 += w * n0s[i]
	}
	N := float64(n)
	return pottsexact.Values{
		LnZ: math.Log(z) - e0/T, E: se / z / N, C: (se2/z - se*se/(z*z)) / (N * T * T),
		M2: sm2 / z, M4: sm4 / z, N0: sn0 / z / N,
	}
}

func close(a, b pottsexact.Values) bool {
	for _, p := range [][2]float64{{a.LnZ, b.LnZ}, {a.E, b.E}, {a.C, b.C}, {a.M2, b.M2}, {a.M4, b.M4}, {a.N0, b.N0}} {
		if math.Abs(p[0]-p[1]) > 1e-10*(1+math.Abs(p[1])) {
			return false
		}
	}
	return true
}

// TestEnumerateAgainstBruteForce cross-checks the incremental, symmetry-
// reduced enumeration with a direct sum over all configurations on the
// 3×3 and 3×4 square tori, the 2×2×2 cube, a chain and a 2×3 torus, with
// and without a field.
func TestEnumerateAgainstBruteForce(t *testing.T) {
	for _, c := range []struct {
		ext  []int
		q    int
		J, h float64
		T    float64
		long bool // skipped under -short (race detector)
	}{
		{[]int{3, 3}, 3, 1, 0, 0.994973, false},
		{[]int{3, 3}, 3, 1, 0.3, 0.8, false},
		{[]int{3, 4}, 3, 1, 0, 1.2, true},
		{[]int{2, 2, 2}, 3, 1, 0, 1.8, false},
		{[]int{6}, 4, -0.5, 0.2, 0.7, false},
		{[]int{2, 3}, 2, 2, 0.5, 2.0, false},
		{[]int{3, 3}, 4, 1, 0, 0.910239, true},
	} {
		if c.long && testing.Short() {
			continue
		}
		l, err := lattice.NewLattice(c.ext...)
		if err != nil {
			t.Fatal(err)
		}
		m, err := lattice.NewPottsField(l, c.q, c.J, c.h)
		if err != nil {
			t.Fatal(err)
		}
		d, err := pottsexact.Enumerate(c.q, l.N(), l.NeighborTable())
		if err != nil {
			t.Fatal(err)
		}
		if tot, want := d.Total(), math.Pow(float64(c.q), float64(l.N())); tot != want {
			t.Errorf("%v q=%d: %v configurations, want %v", c.ext, c.q, tot, want)
		}
		got, want := d.At(c.J, c.h, c.T), brute(m, c.T)
		if !close(got, want) {
			t.Errorf("%v q=%d J=%v h=%v T=%v:\n got %+v\nwant %+v", c.ext, c.q, c.J, c.h, c.T, got, want)
		}
	}
}

// TestEnumerateIsing checks q = 2 on the 2×2 torus (8 bonds, each pair of
// neighbours joined twice) against the count by hand: 2 uniform
// configurations with B = 8, 8 with one minority site and 4 with an
// adjacent pair (B = 4), 2 checkerboards (B = 0), so
// Z = 2e^{8J/T} + 12e^{4J/T} + 2.
func TestEnumerateIsing(t *testing.T) {
	l, _ := lattice.NewSquare(2)
	d, err := pottsexact.Enumerate(2, 4, l.NeighborTable())
	if err != nil {
		t.Fatal(err)
	}
	const J, T = 1, 1.5
	z := 2*math.Exp(8*J/T) + 12*math.Exp(4*J/T) + 2
	if got := d.At(J, 0, T).LnZ; math.Abs(got-math.Log(z)) > 1e-12 {
		t.Errorf("ln Z = %v, want %v", got, math.Log(z))
	}
}

// TestEnumerateRefuses checks the size limit and the graph validation.
func TestEnumerateRefuses(t *testing.T) {
	l, _ := lattice.NewSquare(6)
	if _, err := pottsexact.Enumerate(3, l.N(), l.NeighborTable()); err == nil {
		t.Error("3^35 configurations accepted")
	}
	for _, c := range []struct {
		q, n int
		nbr  []int32
	}{{1, 2, []int32{1, 0}}, {2, 0, nil}, {2, 2, []int32{1, 0, 1}}, {2, 2, []int32{1, 2}}, {2, 2, []int32{0, 1}}} {
		if _, err := pottsexact.Enumerate(c.q, c.n, c.nbr); err == nil {
			t.Errorf("Enumerate(%d, %d, %v) accepted", c.q, c.n, c.nbr)
		}
	}
}

// transferLnZ returns ln Z of the q-state Potts model with coupling J and
// field h on the Lx×Ly torus (Lx, Ly ≥ 3) at temperature T by the
// row-to-row transfer matrix over the q^Lx row states: Z = Tr W^Ly with
// W_ab = exp((J·(bonds in row a) + J·(equal sites of a and b) + h·n_0(a))/T).
func transferLnZ(q, lx, ly int, J, h, T float64) float64 {
	ns := 1
	for range lx {
		ns *= q
	}
	rows := make([][]int, ns)
	for a := range rows {
		rows[a] = make([]int, lx)
		for x, v := 0, a; x < lx; x, v = x+1, v/q {
			rows[a][x] = v % q
		}
	}
	eq := func(u, v int) float64 {
		if u == v {
			return 1
		}
		return 0
	}
	w := make([][]float64, ns)
	for a, ra := range rows {
		w[a] = make([]float64, ns)
		var intra, n0 float64
		for x := range lx {
			intra += eq(ra[x], ra[(x+1)%lx])
			n0 += eq(ra[x], 0)
		}
		for b, rb := range rows {
			var inter float64
			for x := range lx {
				inter += eq(ra[x], rb[x])
			}
			w[a][b] = math.Exp((J*(intra+inter) + h*n0) / T)
		}
	}
	// Tr W^ly with rescaling: p = W^k as a dense product
	p := w
	lnScale := 0.0
	for range ly - 1 {
		next := make([][]float64, ns)
		big := 0.0
		for a := range ns {
			next[a] = make([]float64, ns)
			for c := range ns {
				if p[a][c] == 0 {
					continue
				}
				for b := range ns {
					next[a][b] += p[a][c] * w[c][b]
				}
			}
			for _, v := range next[a] {
				big = math.Max(big, v)
			}
		}
		for a := range next {
			for b := range next[a] {
				next[a][b] /= big
			}
		}
		lnScale += math.Log(big)
		p = next
	}
	var tr float64
	for a := range ns {
		tr += p[a][a]
	}
	return math.Log(tr) + lnScale
}

// TestEnumerate4x4TransferMatrix checks the 4×4 enumeration at q = 3 (3^16
// states) against the row-to-row transfer matrix (81 row states): ln Z with
// and without a field, the energy as −∂ln Z/∂β and the density of state 0
// as T·∂ln Z/∂h / N, by central differences, below, at and above T_c
// (under -short only at T_c with a field).
func TestEnumerate4x4TransferMatrix(t *testing.T) {
	l, _ := lattice.NewSquare(4)
	d, err := pottsexact.Enumerate(3, 16, l.NeighborTable())
	if err != nil {
		t.Fatal(err)
	}
	temps, fields := []float64{0.8, lattice.PottsSquareTc(3, 1), 1.3}, []float64{0, 0.2}
	if testing.Short() {
		temps, fields = temps[1:2], fields[1:]
	}
	for _, T := range temps {
		for _, h := range fields {
			v := d.At(1, h, T)
			if tm := transferLnZ(3, 4, 4, 1, h, T); math.Abs(v.LnZ-tm) > 1e-10*tm {
				t.Errorf("T=%v h=%v: ln Z = %.12f, transfer matrix %.12f", T, h, v.LnZ, tm)
			}
			// E = −∂lnZ/∂β at fixed J, h: vary T
			const db = 1e-4
			beta := 1 / T
			lz := func(b float64) float64 { return transferLnZ(3, 4, 4, 1, h, 1/b) }
			e := -(lz(beta+db) - lz(beta-db)) / (2 * db) / 16
			if math.Abs(v.E-e) > 1e-6 {
				t.Errorf("T=%v h=%v: e = %.9f, transfer matrix %.9f", T, h, v.E, e)
			}
			const dh = 1e-4
			n0 := T * (transferLnZ(3, 4, 4, 1, h+dh, T) - transferLnZ(3, 4, 4, 1, h-dh, T)) / (2 * dh) / 16
			if math.Abs(v.N0-n0) > 1e-6 {
				t.Errorf("T=%v h=%v: n_0 = %.9f, transfer matrix %.9f", T, h, v.N0, n0)
			}
		}
	}
}
