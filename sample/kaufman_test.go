package sample

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Kaufman's exact partition function of the L×L periodic square-lattice Ising
// model (B. Kaufman, Phys. Rev. 76, 1232 (1949); in the form of Ferdinand and
// Fisher, Phys. Rev. 185, 832 (1969)) with J = 1 and K = 1/T:
//
//	Z = ½ (2 sinh 2K)^{L²/2} (Z1 + Z2 + Z3 + Z4),
//	Z1 = Π_{r=0}^{L−1} 2cosh(L γ_{2r+1}/2),  Z2 = Π 2sinh(L γ_{2r+1}/2),
//	Z3 = Π_{r=0}^{L−1} 2cosh(L γ_{2r}/2),    Z4 = Π 2sinh(L γ_{2r}/2),
//	cosh γ_k = cosh 2K coth 2K − cos(πk/L)  (k ≥ 1),  γ_0 = 2K + ln tanh K.
//
// γ_0 is negative above T_c, which makes Z4 change sign. The products are
// summed in log space and differentiated exactly in K by carrying
// second-order jets (value, d/dK, d²/dK²) through every operation, so
// ⟨E⟩ = −∂ ln Z/∂K and Var E = ∂² ln Z/∂K² need no finite differences.
// Checked against enumeration of the 4×4 torus in TestKaufmanEnumeration4x4.

// jet is a value with its first and second derivative in K.
type jet struct{ v, d, dd float64 }

func jconst(c float64) jet { return jet{v: c} }
func jadd(a, b jet) jet    { return jet{a.v + b.v, a.d + b.d, a.dd + b.dd} }
func jscale(a jet, c float64) jet {
	return jet{c * a.v, c * a.d, c * a.dd}
}
func jmul(a, b jet) jet {
	return jet{a.v * b.v, a.d*b.v + a.v*b.d, a.dd*b.v + 2*a.d*b.d + a.v*b.dd}
}

// japply returns f(a) given f, f′ and f″ at a.v.
func japply(a jet, f, f1, f2 float64) jet {
	return jet{f, f1 * a.d, f2*a.d*a.d + f1*a.dd}
}
func jlog(a jet) jet { return japply(a, math.Log(a.v), 1/a.v, -1/(a.v*a.v)) }
func jexp(a jet) jet {
	e := math.Exp(a.v)
	return japply(a, e, e, e)
}
func jcosh(a jet) jet { return japply(a, math.Cosh(a.v), math.Sinh(a.v), math.Cosh(a.v)) }
func jsinh(a jet) jet { return japply(a, math.Sinh(a.v), math.Cosh(a.v), math.Sinh(a.v)) }
func jtanh(a jet) jet {
	t := math.Tanh(a.v)
	return japply(a, t, 1-t*t, -2*t*(1-t*t))
}
func jacosh(a jet) jet {
	q := a.v*a.v - 1
	return japply(a, math.Acosh(a.v), 1/math.Sqrt(q), -a.v/(q*math.Sqrt(q)))
}

// jlog2cosh returns ln(2 cosh a) without overflow.
func jlog2cosh(a jet) jet {
	x := math.Abs(a.v)
	t := math.Tanh(a.v)
	return japply(a, x+math.Log1p(math.Exp(-2*x)), t, 1-t*t)
}

// jlog2sinh returns ln|2 sinh a| and the sign of sinh a.
func jlog2sinh(a jet) (jet, float64) {
	x := math.Abs(a.v)
	c := 1 / math.Tanh(a.v)
	return japply(a, x+math.Log(-math.Expm1(-2*x)), c, 1-c*c), math.Copysign(1, a.v)
}

// kaufmanLogZ returns ln Z of the L×L torus at K = 1/T as a jet in K.
func kaufmanLogZ(L int, T float64) jet {
	K := jet{v: 1 / T, d: 1}
	n := L
	twoK := jscale(K, 2)
	ch, sh := jcosh(twoK), jsinh(twoK)
	c := jmul(jmul(ch, ch), japply(sh, 1/sh.v, -1/(sh.v*sh.v), 2/(sh.v*sh.v*sh.v))) // cosh²2K / sinh 2K
	gam := make([]jet, 2*n)
	gam[0] = jadd(twoK, jlog(jtanh(K)))
	for k := 1; k < 2*n; k++ {
		gam[k] = jacosh(jadd(c, jconst(-math.Cos(math.Pi*float64(k)/float64(n)))))
	}
	var logs [4]jet
	var signs [4]float64
	for i := range signs {
		signs[i] = 1
	}
	for r := 0; r < n; r++ {
		odd := jscale(gam[2*r+1], float64(L)/2)
		even := jscale(gam[2*r], float64(L)/2)
		logs[0] = jadd(logs[0], jlog2cosh(odd))
		l, s := jlog2sinh(odd)
		logs[1], signs[1] = jadd(logs[1], l), signs[1]*s
		logs[2] = jadd(logs[2], jlog2cosh(even))
		l, s = jlog2sinh(even)
		logs[3], signs[3] = jadd(logs[3], l), signs[3]*s
	}
	amax := math.Inf(-1)
	for _, a := range logs {
		amax = math.Max(amax, a.v)
	}
	var sum jet
	for i, a := range logs {
		a.v -= amax
		sum = jadd(sum, jscale(jexp(a), signs[i]))
	}
	lnZ := jadd(jlog(sum), jconst(amax-math.Ln2))
	return jadd(lnZ, jscale(jlog(jscale(sh, 2)), float64(L*L)/2))
}

// kaufman returns the exact energy per spin and specific heat per spin of
// the L×L torus (J = 1) at temperature T.
func kaufman(L int, T float64) (e, c float64) {
	z := kaufmanLogZ(L, T)
	N := float64(L * L)
	return -z.d / N, z.dd / (N * T * T)
}

func TestKaufmanEnumeration4x4(t *testing.T) {
	for _, T := range []float64{1.0, 1.5, 2.269185, 2.5, 3.5, 10} {
		ex := exactIsing2D(4, T)
		e, c := kaufman(4, T)
		if math.Abs(e-ex.e) > 1e-10 || math.Abs(c-ex.c) > 1e-9 {
			t.Errorf("T=%v: Kaufman e=%.15f c=%.15f, enumeration e=%.15f c=%.15f", T, e, c, ex.e, ex.c)
		}
		z := kaufmanLogZ(4, T)
		if math.Abs(z.v-ex.lnZ) > 1e-12*math.Abs(ex.lnZ) {
			t.Errorf("T=%v: Kaufman ln Z = %.15f, enumeration %.15f", T, z.v, ex.lnZ)
		}
	}
}

// TestKaufmanDerivatives checks the jets against central differences of ln Z.
func TestKaufmanDerivatives(t *testing.T) {
	for _, L := range []int{6, 16, 32} {
		for _, T := range []float64{2.0, 2.269185, 2.6} {
			K := 1 / T
			h := 1e-4
			f := func(k float64) float64 { return kaufmanLogZ(L, 1/k).v }
			d1 := (f(K+h) - f(K-h)) / (2 * h)
			d2 := (f(K+h) - 2*f(K) + f(K-h)) / (h * h)
			z := kaufmanLogZ(L, T)
			if math.Abs(d1-z.d) > 1e-6*math.Abs(z.d) || math.Abs(d2-z.dd) > 1e-4*math.Abs(z.dd) {
				t.Errorf("L=%d T=%v: jet (%.10g, %.10g), differences (%.10g, %.10g)", L, T, z.d, z.dd, d1, d2)
			}
		}
	}
}

// TestKaufmanAnchor compares the energy with the independent mpmath
// implementation of the C anchors (testdata/kaufman_energy.txt, 7 decimals).
func TestKaufmanAnchor(t *testing.T) {
	f, err := os.Open("testdata/kaufman_energy.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rows := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("bad line %q", line)
		}
		L, err1 := strconv.Atoi(fs[0])
		T, err2 := strconv.ParseFloat(fs[1], 64)
		want, err3 := strconv.ParseFloat(fs[2], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("bad line %q", line)
		}
		if e, _ := kaufman(L, T); math.Abs(e-want) > 1.5e-7 {
			t.Errorf("L=%d T=%v: e = %.9f, mpmath %.7f", L, T, e, want)
		}
		rows++
	}
	if rows == 0 {
		t.Fatal("no reference rows")
	}
}
