package lattice

import (
	"math"
	"math/cmplx"
	"strings"
	"testing"
)

func TestNewDimerErrors(t *testing.T) {
	cases := []struct {
		L    int
		opts DimerOptions
		want string
	}{
		{3, DimerOptions{}, "L = 3 is odd"},
		{5, DimerOptions{}, "L = 5 is odd"},
		{1, DimerOptions{}, "L = 1 is smaller than 2"},
		{0, DimerOptions{}, "L = 0 is smaller than 2"},
		{-2, DimerOptions{}, "L = -2 is smaller than 2"},
		{1 << 20, DimerOptions{}, "exceeds"},
		{4, DimerOptions{V: math.NaN()}, "V = NaN"},
		{4, DimerOptions{V: math.Inf(-1)}, "V = -Inf"},
	}
	for _, c := range cases {
		m, err := NewDimer(c.L, c.opts)
		if err == nil || m != nil {
			t.Errorf("NewDimer(%d, %+v) = %v, %v; want error", c.L, c.opts, m, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewDimer(%d, %+v) error %q does not mention %q", c.L, c.opts, err, c.want)
		}
	}
}

func TestDimerGeometry(t *testing.T) {
	for _, noise := range []bool{false, true} {
		const L = 4
		m, err := NewDimer(L, DimerOptions{NoiseSpins: noise})
		if err != nil {
			t.Fatal(err)
		}
		g := m.Geometry()
		want := 2 * L * L
		if noise {
			want = 4 * L * L
		}
		if g.NumDOF() != want || m.NumLinks() != 2*L*L || m.NumSites() != L*L {
			t.Fatalf("noise=%v: NumDOF %d NumLinks %d NumSites %d", noise, g.NumDOF(), m.NumLinks(), m.NumSites())
		}
		if e := g.Extents(); len(e) != 2 || e[0] != 2*L || e[1] != 2*L {
			t.Fatalf("extents %v", e)
		}
		var c []int
		for y := 0; y < L; y++ {
			for x := 0; x < L; x++ {
				r, u := m.LinkIndex(x, y, DimerRight), m.LinkIndex(x, y, DimerUp)
				if r != 2*(x+L*y) || u != r+1 {
					t.Fatalf("link indices of (%d,%d): %d %d", x, y, r, u)
				}
				if m.LinkIndex(x+L, y-L, DimerUp) != u {
					t.Fatalf("LinkIndex does not wrap")
				}
				c = g.Coord(r, c)
				if c[0] != 2*x+1 || c[1] != 2*y {
					t.Fatalf("right link of (%d,%d) at %v", x, y, c)
				}
				c = g.Coord(u, c)
				if c[0] != 2*x || c[1] != 2*y+1 {
					t.Fatalf("up link of (%d,%d) at %v", x, y, c)
				}
				if xx, yy, d := m.Link(u); xx != x || yy != y || d != DimerUp {
					t.Fatalf("Link(%d) = %d %d %d", u, xx, yy, d)
				}
				a, b := m.LinkSites(r)
				if a != x+L*y || b != (x+1)%L+L*y {
					t.Fatalf("LinkSites(%d) = %d %d", r, a, b)
				}
				a, b = m.LinkSites(u)
				if a != x+L*y || b != x+L*((y+1)%L) {
					t.Fatalf("LinkSites(%d) = %d %d", u, a, b)
				}
				si, fi := m.SiteSpinIndex(x, y), m.FaceSpinIndex(x, y)
				if !noise {
					if si != -1 || fi != -1 {
						t.Fatalf("noise indices without noise spins: %d %d", si, fi)
					}
					if g.At(2*x, 2*y) != -1 || g.At(2*x+1, 2*y+1) != -1 {
						t.Fatalf("dofs on sites or faces without noise spins")
					}
					continue
				}
				if si != 2*L*L+x+L*y || fi != 3*L*L+x+L*y {
					t.Fatalf("noise indices of (%d,%d): %d %d", x, y, si, fi)
				}
				if g.At(2*x, 2*y) != si || g.At(2*x+1, 2*y+1) != fi {
					t.Fatalf("noise spins of (%d,%d) not at the site and face", x, y)
				}
			}
		}
		if m.Range() != 2 || len(m.States()) != 2 {
			t.Fatalf("Range %d States %v", m.Range(), m.States())
		}
	}
}

// kasteleynDets returns det K(θ, φ) for (θ, φ) = (0,0), (0,π), (π,0), (π,π):
// K is the bipartite Kasteleyn matrix (A rows, B columns) of the L×L torus
// with weight 1 on horizontal and i on vertical links, and the phase e^{iθ}
// (e^{iφ}) on links crossing the x (y) boundary.
func kasteleynDets(L int) [4]complex128 {
	var out [4]complex128
	for k, tw := range [4][2]float64{{0, 0}, {0, math.Pi}, {math.Pi, 0}, {math.Pi, math.Pi}} {
		idx := make([]int, L*L)
		na, nb := 0, 0
		for s := range idx {
			if (s%L+s/L)%2 == 0 {
				idx[s], na = na, na+1
			} else {
				idx[s], nb = nb, nb+1
			}
		}
		K := make([][]complex128, na)
		for i := range K {
			K[i] = make([]complex128, nb)
		}
		add := func(s, t int, w complex128) {
			if (s%L+s/L)%2 == 0 {
				K[idx[s]][idx[t]] += w
			} else {
				K[idx[t]][idx[s]] += w
			}
		}
		for s := 0; s < L*L; s++ {
			x, y := s%L, s/L
			w := complex(1, 0)
			if x == L-1 {
				w *= cmplx.Exp(complex(0, tw[0]))
			}
			add(s, (x+1)%L+L*y, w)
			w = complex(0, 1)
			if y == L-1 {
				w *= cmplx.Exp(complex(0, tw[1]))
			}
			add(s, x+L*((y+1)%L), w)
		}
		out[k] = complexDet(K)
	}
	return out
}

func complexDet(a [][]complex128) complex128 {
	n := len(a)
	d := complex(1, 0)
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if cmplx.Abs(a[r][c]) > cmplx.Abs(a[p][c]) {
				p = r
			}
		}
		if a[p][c] == 0 {
			return 0
		}
		if p != c {
			a[p], a[c] = a[c], a[p]
			d = -d
		}
		d *= a[c][c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	return d
}

// kasteleynCount is the number of dimer coverings of the L×L torus by
// Kasteleyn's formula Z = ½(±D₀₀ ± D₀π ± Dπ₀ ± Dππ): on the square torus the
// determinant carrying the minus sign vanishes (checked), so Z = ½ Σ|D|.
func kasteleynCount(t *testing.T, L int) float64 {
	d := kasteleynDets(L)
	sum, zeros := 0.0, 0
	for _, v := range d {
		a := cmplx.Abs(v)
		if a < 1e-6 {
			zeros++
		}
		sum += a
	}
	if zeros != 1 {
		t.Fatalf("L=%d: Kasteleyn determinants %v, want exactly one zero", L, d)
	}
	return sum / 2
}

func TestDimerCoveringCounts(t *testing.T) {
	// Literature: 4×4 torus 272, 6×6 torus 90176, 8×8 torus 311853312
	// (Kasteleyn 1961; Fisher–Stephenson 1963).
	lit := map[int]int{2: 8, 4: 272, 6: 90176, 8: 311853312}
	for _, L := range []int{2, 4, 6, 8} {
		k := kasteleynCount(t, L)
		if math.Abs(k-float64(lit[L])) > 1e-6*k {
			t.Errorf("L=%d: Kasteleyn count %v, literature %d", L, k, lit[L])
		}
		if L > 6 {
			continue
		}
		m, err := NewDimer(L, DimerOptions{V: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		n, err := m.Coverings(func(x []int8) bool {
			if err := m.Valid(x); err != nil {
				t.Fatalf("L=%d: enumerated invalid covering: %v", L, err)
			}
			if e := m.Energy(x); e != 0.5*float64(m.Flippable(x)) {
				t.Fatalf("L=%d: Energy %v, want V·Flippable = %v", L, e, 0.5*float64(m.Flippable(x)))
			}
			if L <= 4 {
				seen[string(int8Bytes(x))] = true
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != lit[L] {
			t.Errorf("L=%d: enumerated %d coverings, want %d", L, n, lit[L])
		}
		if L <= 4 && len(seen) != n {
			t.Errorf("L=%d: %d distinct coverings out of %d enumerated", L, len(seen), n)
		}
	}
	m, _ := NewDimer(10, DimerOptions{})
	if _, err := m.Coverings(nil); err == nil {
		t.Error("Coverings on L=10 did not fail")
	}
	m, _ = NewDimer(4, DimerOptions{})
	calls := 0
	if n, _ := m.Coverings(func([]int8) bool { calls++; return calls < 5 }); n != 5 || calls != 5 {
		t.Errorf("early stop: count %d after %d calls, want 5", n, calls)
	}
}

func int8Bytes(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}

// TestDimerFieldAndWinding checks on every covering of the 4×4 and 6×6 tori
// that the electric field is divergence-free, that the flux through every
// vertical (horizontal) cut equals Winding's Wx (Wy), and that plaquette
// flips keep the covering valid, conserve the winding and are possible
// exactly on the Flippable plaquettes.
func TestDimerFieldAndWinding(t *testing.T) {
	for _, L := range []int{4, 6} {
		m, err := NewDimer(L, DimerOptions{NoiseSpins: true})
		if err != nil {
			t.Fatal(err)
		}
		var e []float64
		sectors := map[[2]int]int{}
		y := make([]int8, m.Geometry().NumDOF())
		_, err = m.Coverings(func(x []int8) bool {
			e = m.ElectricField(x, e)
			for s := 0; s < L*L; s++ {
				sx, sy := s%L, s/L
				div := e[m.LinkIndex(sx, sy, DimerRight)] - e[m.LinkIndex(sx-1, sy, DimerRight)] +
					e[m.LinkIndex(sx, sy, DimerUp)] - e[m.LinkIndex(sx, sy-1, DimerUp)]
				if math.Abs(div) > 1e-12 {
					t.Fatalf("L=%d: divergence %v at site %d", L, div, s)
				}
			}
			wx, wy := m.Winding(x)
			sectors[[2]int{wx, wy}]++
			for c := 0; c < L; c++ {
				fx, fy := 0.0, 0.0
				for k := 0; k < L; k++ {
					fx += e[m.LinkIndex(c, k, DimerRight)]
					fy += e[m.LinkIndex(k, c, DimerUp)]
				}
				if fx != float64(wx) || fy != float64(wy) {
					t.Fatalf("L=%d: flux (%v,%v) through cuts at %d, Winding (%d,%d)", L, fx, fy, c, wx, wy)
				}
			}
			if L > 4 {
				return true
			}
			nflip := 0
			for p := 0; p < L*L; p++ {
				b, tp, l, r := m.PlaquetteLinks(p)
				copy(y, x)
				switch {
				case x[b] == 1 && x[tp] == 1:
					y[b], y[tp], y[l], y[r] = -1, -1, 1, 1
				case x[l] == 1 && x[r] == 1:
					y[b], y[tp], y[l], y[r] = 1, 1, -1, -1
				default:
					continue
				}
				nflip++
				if err := m.Valid(y); err != nil {
					t.Fatalf("flipped plaquette gives invalid covering: %v", err)
				}
				if ux, uy := m.Winding(y); ux != wx || uy != wy {
					t.Fatalf("plaquette flip changed winding (%d,%d) → (%d,%d)", wx, wy, ux, uy)
				}
			}
			if nflip != m.Flippable(x) {
				t.Fatalf("%d flippable plaquettes, Flippable says %d", nflip, m.Flippable(x))
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("L=%d winding sector counts: %v", L, sectors)
		// The sectors must include winding ±L/2 (staggered states) and be
		// symmetric under W → −W.
		if sectors[[2]int{L / 2, 0}] == 0 || sectors[[2]int{0, -L / 2}] == 0 {
			t.Errorf("L=%d: staggered sectors missing: %v", L, sectors)
		}
		for w, n := range sectors {
			if sectors[[2]int{-w[0], -w[1]}] != n || sectors[[2]int{w[1], w[0]}] != n {
				t.Errorf("L=%d: sector counts not symmetric: %v", L, sectors)
			}
			if w[0] < -L/2 || w[0] > L/2 || w[1] < -L/2 || w[1] > L/2 {
				t.Errorf("L=%d: winding %v outside [−L/2, L/2]", L, w)
			}
		}
	}
}

func TestDimerConfigs(t *testing.T) {
	for _, L := range []int{2, 4, 8} {
		m, err := NewDimer(L, DimerOptions{V: -1.5, NoiseSpins: true})
		if err != nil {
			t.Fatal(err)
		}
		col, stag := m.ColumnarConfig(), m.StaggeredConfig()
		if err := m.Valid(col); err != nil {
			t.Fatal(err)
		}
		if err := m.Valid(stag); err != nil {
			t.Fatal(err)
		}
		if f := m.Flippable(col); f != L*L/2 {
			t.Errorf("L=%d columnar: %d flippable, want %d", L, f, L*L/2)
		}
		if e := m.Energy(col); e != -1.5*float64(L*L/2) {
			t.Errorf("L=%d columnar: energy %v", L, e)
		}
		if wx, wy := m.Winding(col); wx != 0 || wy != 0 {
			t.Errorf("L=%d columnar: winding (%d,%d)", L, wx, wy)
		}
		if L > 2 {
			if f := m.Flippable(stag); f != 0 {
				t.Errorf("L=%d staggered: %d flippable", L, f)
			}
		}
		if wx, wy := m.Winding(stag); wx != L/2 || wy != 0 {
			t.Errorf("L=%d staggered: winding (%d,%d), want (%d,0)", L, wx, wy, L/2)
		}
	}
}

func TestDimerValidAndDeltaE(t *testing.T) {
	m, err := NewDimer(4, DimerOptions{V: 1, NoiseSpins: true})
	if err != nil {
		t.Fatal(err)
	}
	x := m.ColumnarConfig()
	if err := m.Valid(x[:5]); err == nil {
		t.Error("short configuration accepted")
	}
	bad := append([]int8(nil), x...)
	bad[3] = 0
	if err := m.Valid(bad); err == nil || !strings.Contains(err.Error(), "dof 3") {
		t.Errorf("value 0: error %v", err)
	}
	if !math.IsInf(m.Energy(bad), 1) {
		t.Error("value 0: finite energy")
	}
	bad = append(bad[:0], x...)
	bad[m.LinkIndex(1, 0, DimerUp)] = 1 // site (1,0) and (1,1) doubly covered
	if err := m.Valid(bad); err == nil || !strings.Contains(err.Error(), "2 dimers") {
		t.Errorf("overlap: error %v", err)
	}
	if !math.IsInf(m.Energy(bad), 1) {
		t.Error("overlap: finite energy")
	}
	bad = append(bad[:0], x...)
	bad[m.LinkIndex(0, 0, DimerRight)] = -1 // monomers at (0,0) and (1,0)
	if err := m.Valid(bad); err == nil || !strings.Contains(err.Error(), "0 dimers") {
		t.Errorf("monomer: error %v", err)
	}
	for i := range m.NumLinks() {
		if d := m.DeltaE(x, i, -x[i]); !math.IsInf(d, 1) {
			t.Fatalf("DeltaE of link %d = %v, want +Inf", i, d)
		}
		if d := m.DeltaE(x, i, x[i]); d != 0 {
			t.Fatalf("DeltaE of unchanged link %d = %v", i, d)
		}
	}
	for i := m.NumLinks(); i < len(x); i++ {
		if d := m.DeltaE(x, i, -x[i]); d != 0 {
			t.Fatalf("DeltaE of noise spin %d = %v", i, d)
		}
		y := append([]int8(nil), x...)
		y[i] = -y[i]
		if m.Energy(y) != m.Energy(x) {
			t.Fatalf("noise spin %d changes the energy", i)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("DeltaE with value 0 did not panic")
			}
		}()
		m.DeltaE(x, 0, 0)
	}()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Energy of a short configuration did not panic")
			}
		}()
		m.Energy(x[:3])
	}()
}
