package lattice

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
)

// pottsLattices are the geometries the Potts tests run on: chain, square,
// cubic, a rectangle and tori with an extent of 2 (double bonds).
func pottsLattices(t *testing.T) map[string]*Lattice {
	t.Helper()
	out := map[string]*Lattice{}
	for name, ext := range map[string][]int{
		"chain 7": {7}, "chain 2": {2}, "square 4": {4, 4}, "rect 3x5": {3, 5},
		"rect 2x3": {2, 3}, "cubic 3": {3, 3, 3}, "cubic 2": {2, 2, 2},
	} {
		l, err := NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = l
	}
	return out
}

func randomPotts(r *rand.Rand, n, q int) []int8 {
	x := make([]int8, n)
	for i := range x {
		x[i] = int8(r.IntN(q))
	}
	return x
}

// TestPottsDeltaE checks DeltaE against Energy differences for every site and
// state, with and without a field, and Energy against a direct bond sum.
func TestPottsDeltaE(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for name, l := range pottsLattices(t) {
		for _, c := range []struct {
			q    int
			J, h float64
		}{{3, 1, 0}, {4, -0.7, 0.3}, {2, 1.3, -0.5}} {
			m, err := NewPottsField(l, c.q, c.J, c.h)
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				x := randomPotts(r, l.N(), c.q)
				// direct: the bond to the +a neighbour of every site (N·d
				// bonds; across an extent of 2 the two bonds between a
				// pair come from its two ends)
				eq, n0 := 0, 0
				for i, s := range x {
					nb := l.Neighbors(i)
					for a := range l.Dim() {
						eq += int(b2i(x[nb[2*a]] == s))
					}
					n0 += int(b2i(s == 0))
				}
				if got := m.EqualBonds(x); got != eq {
					t.Fatalf("%s: EqualBonds = %d, direct %d", name, got, eq)
				}
				want := -c.J*float64(eq) - c.h*float64(n0)
				if e := m.Energy(x); math.Abs(e-want) > 1e-12 {
					t.Fatalf("%s q=%d: Energy = %v, want %v", name, c.q, e, want)
				}
				for i := range x {
					for v := range int8(c.q) {
						y := append([]int8(nil), x...)
						y[i] = v
						want := m.Energy(y) - m.Energy(x)
						if d := m.DeltaE(x, i, v); math.Abs(d-want) > 1e-12 {
							t.Fatalf("%s q=%d: DeltaE(%d, %d) = %v, want %v", name, c.q, i, v, d, want)
						}
					}
				}
			}
		}
	}
}

// TestPottsIsingMapping checks that q = 2 is the Ising model with coupling
// J/2 and field h/2 (s = 1 − 2σ): equal DeltaE everywhere, energies equal up
// to one constant, and the order parameter equal to the Ising magnetization.
func TestPottsIsingMapping(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const J, h = 1.7, 0.4
	for name, l := range pottsLattices(t) {
		p, err := NewPottsField(l, 2, J, h)
		if err != nil {
			t.Fatal(err)
		}
		is, err := NewIsing(l, Term{Op: NearestNeighbor(l.Dim()), J: J / 2}, Term{Op: Field(l.Dim()), J: h / 2})
		if err != nil {
			t.Fatal(err)
		}
		shift := math.NaN()
		for range 20 {
			x := randomPotts(r, l.N(), 2)
			s := make([]int8, len(x))
			var mag float64
			for i, v := range x {
				s[i] = 1 - 2*v
				mag += float64(s[i])
			}
			d := p.Energy(x) - is.Energy(s)
			if math.IsNaN(shift) {
				shift = d
			}
			if math.Abs(d-shift) > 1e-12 {
				t.Fatalf("%s: E_Potts − E_Ising = %v, earlier %v", name, d, shift)
			}
			for i := range x {
				if dp, di := p.DeltaE(x, i, 1-x[i]), is.DeltaE(s, i, -s[i]); math.Abs(dp-di) > 1e-12 {
					t.Fatalf("%s: DeltaE Potts %v, Ising %v", name, dp, di)
				}
			}
			if m := p.Magnetization(x); math.Abs(real(m)-mag/float64(len(x))) > 1e-12 || math.Abs(imag(m)) > 1e-12 {
				t.Fatalf("%s: Potts m = %v, Ising m = %v", name, m, mag/float64(len(x)))
			}
		}
		// the constant: −J·(bonds)/2 − h·N/2
		bonds := float64(l.N() * l.Dim())
		if want := -J*bonds/2 - h*float64(l.N())/2; math.Abs(shift-want) > 1e-12 {
			t.Errorf("%s: E_Potts − E_Ising = %v, want %v", name, shift, want)
		}
	}
}

// TestPottsMagnetization checks the order parameter on ordered and
// equally occupied configurations.
func TestPottsMagnetization(t *testing.T) {
	l, _ := NewSquare(6)
	for q := 2; q <= 6; q++ {
		m, err := NewPotts(l, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]int8, l.N())
		for k := range int8(q) {
			for i := range x {
				x[i] = k
			}
			want := cmplx.Rect(1, 2*math.Pi*float64(k)/float64(q))
			if got := m.Magnetization(x); cmplx.Abs(got-want) > 1e-12 {
				t.Errorf("q=%d all %d: m = %v, want %v", q, k, got, want)
			}
		}
		if 36%q == 0 {
			for i := range x {
				x[i] = int8(i % q)
			}
			if got := m.Magnetization(x); cmplx.Abs(got) > 1e-12 {
				t.Errorf("q=%d equal occupation: m = %v, want 0", q, got)
			}
		}
		if got := m.States(); len(got) != q || got[0] != 0 || got[q-1] != int8(q-1) {
			t.Errorf("q=%d: States = %v", q, got)
		}
	}
}

// TestPottsCriticalPoints checks T_c = J/ln(1+√q) and the exponent table.
func TestPottsCriticalPoints(t *testing.T) {
	for _, c := range []struct {
		q  int
		tc float64
	}{{2, 2 * 0.5 / math.Log(1+math.Sqrt2)}, {3, 0.994972861071817}, {4, 1 / math.Log(3)}} {
		if got := PottsSquareTc(c.q, 1); math.Abs(got-c.tc) > 1e-12 {
			t.Errorf("q=%d: T_c = %v, want %v", c.q, got, c.tc)
		}
		if got := PottsSquareTc(c.q, 2.5); math.Abs(got-2.5*c.tc) > 1e-12 {
			t.Errorf("q=%d J=2.5: T_c = %v, want %v", c.q, got, 2.5*c.tc)
		}
	}
	if nu, yh, ok := PottsExponents2D(3); !ok || nu != 5.0/6 || math.Abs(yh-1.8666666666666667) > 1e-15 {
		t.Errorf("q=3 exponents ν = %v, y_h = %v, %v", nu, yh, ok)
	}
	if _, _, ok := PottsExponents2D(5); ok {
		t.Error("q=5 has exponents")
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if !math.IsNaN(PottsSquareTc(3, bad)) {
			t.Errorf("PottsSquareTc(3, %v) is not NaN", bad)
		}
	}
	if !math.IsNaN(PottsSquareTc(0, 1)) {
		t.Error("PottsSquareTc(0, 1) is not NaN")
	}
}

// TestPottsBadInput feeds NewPotts and NewPottsField invalid values.
func TestPottsBadInput(t *testing.T) {
	sq, _ := NewSquare(4)
	nan, inf := math.NaN(), math.Inf(1)
	badinput.Sweep(t, "lattice:", badinput.Calls{
		{"NewPotts nil lattice", func() (any, error) { return NewPotts(nil, 3, 1) }},
		{"NewPotts q=1", func() (any, error) { return NewPotts(sq, 1, 1) }},
		{"NewPotts q=0", func() (any, error) { return NewPotts(sq, 0, 1) }},
		{"NewPotts q=128", func() (any, error) { return NewPotts(sq, MaxPottsStates+1, 1) }},
		{"NewPotts NaN J", func() (any, error) { return NewPotts(sq, 3, nan) }},
		{"NewPotts Inf J", func() (any, error) { return NewPotts(sq, 3, -inf) }},
		{"NewPottsField NaN h", func() (any, error) { return NewPottsField(sq, 3, 1, nan) }},
		{"NewPottsField Inf h", func() (any, error) { return NewPottsField(sq, 3, 1, inf) }},
	})
	if _, err := NewPotts(sq, MaxPottsStates, 1); err != nil {
		t.Errorf("q = MaxPottsStates: %v", err)
	}
}

// TestPottsPanics checks the package-prefixed panics of programming errors.
func TestPottsPanics(t *testing.T) {
	sq, _ := NewSquare(3)
	m, _ := NewPotts(sq, 3, 1)
	for name, f := range map[string]func(){
		"short config": func() { m.Energy(make([]int8, 8)) },
		"bad state":    func() { m.DeltaE(make([]int8, 9), 0, 3) },
		"negative":     func() { m.DeltaE(make([]int8, 9), 0, -1) },
		"bad site":     func() { m.Magnetization([]int8{0, 1, 2, 3, 0, 0, 0, 0, 0}) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || len(s) < 9 || s[:8] != "lattice:" {
					t.Errorf("%s: recovered %v, want a lattice: panic", name, r)
				}
			}()
			f()
		}()
	}
}
