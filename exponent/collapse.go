package exponent

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Curve is one observable measured after Level RG steps from systems at
// several temperatures, e.g. the effective nearest-neighbour coupling
// fitted on the coarse data (the flow of the effective temperature), or a
// correlation of the coarse spins.
type Curve struct {
	// Level is the number n of RG steps: the length scale is b^n.
	Level int
	// T are the temperatures, strictly increasing; Q the observable and Err
	// its standard errors (all positive).
	T, Q, Err []float64
}

// CollapseOptions configures Collapse. nil, and every zero field, asks for
// the defaults.
type CollapseOptions struct {
	// B is the scale factor of one RG step (default 2).
	B float64
	// Tc and Nu are the starting point of the search (defaults: the middle
	// of the temperature range, and 1).
	Tc, Nu float64
	// FixTc holds T_c at Tc (a known critical temperature) and fits ν
	// alone (default false).
	FixTc bool
	// Resamples is the number of parametric bootstrap resamples for the
	// errors (default 40, at least 2).
	Resamples int
}

// CollapseResult is the outcome of Collapse.
type CollapseResult struct {
	// Tc and Nu minimize the collapse quality; TcErr and NuErr are their
	// parametric-bootstrap standard errors (TcErr is 0 with FixTc).
	Tc, TcErr, Nu, NuErr float64
	// Quality is S at the minimum: the mean of (Q − Q_interp)²/(σ² + σ_interp²)
	// over all overlapping pairs of points; about 1 for a collapse within
	// errors, much larger if the curves do not collapse.
	Quality float64
	// Pairs is the number of terms of S.
	Pairs int
}

// Collapse estimates T_c and ν from RG flows started at several
// temperatures: near the fixed point an observable after n steps depends on
// T only through x = (T − T_c)·b^{n/ν}, so the curves Q_n(T) of different
// levels fall onto one curve when plotted against x for the right T_c and
// ν. Collapse minimizes the quality measure of Houdayer and Hartmann (2004),
//
//	S = (1/N) Σ (Q_pj − Y_q(x_pj))² / (σ_pj² + σ_Yq(x_pj)²),
//
// summed over every point j of every curve p and every other curve q whose
// x-range contains x_pj, with Y_q the three-point (quadratic) interpolation of curve q, by
// Nelder–Mead. Errors come from a parametric bootstrap: the Q are redrawn
// with their Gaussian errors and the fit repeated. They do not include
// systematic errors from corrections to scaling; compare the estimate
// between subsets of levels to see those.
//
// On finite lattices use curves whose coarse lattices have the same size
// (systems of side L_0·b^n coarse-grained n times), so that b^n is the only
// length scale.
//
// src drives the bootstrap.
func Collapse(curves []Curve, src rand.Source, opts *CollapseOptions) (*CollapseResult, error) {
	o, err := opts.resolve(len(curves))
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errors.New("exponent: Collapse needs a random source")
	}
	tmin, tmax, err := checkCurves(curves)
	if err != nil {
		return nil, err
	}
	if o.Tc == 0 && !o.FixTc {
		o.Tc = (tmin + tmax) / 2
	}
	cf := &collapseFit{o: o, width: tmax - tmin}
	tc, nu, s, pairs, err := cf.fit(curves)
	if err != nil {
		return nil, err
	}
	out := &CollapseResult{Tc: tc, Nu: nu, Quality: s, Pairs: pairs}
	if out.TcErr, out.NuErr, err = cf.bootstrap(curves, rand.New(src)); err != nil {
		return nil, err
	}
	return out, nil
}

// resolve validates the options of a collapse of n curves and fills in the
// defaults.
func (opts *CollapseOptions) resolve(n int) (CollapseOptions, error) {
	var o CollapseOptions
	if opts != nil {
		o = *opts
	}
	if n < 2 {
		return o, fmt.Errorf("exponent: Collapse needs at least 2 curves, got %d", n)
	}
	if o.B == 0 {
		o.B = 2
	}
	if !(o.B > 1) || math.IsInf(o.B, 0) {
		return o, fmt.Errorf("exponent: Collapse scale factor B = %v, want finite and > 1", o.B)
	}
	if math.IsNaN(o.Tc) || math.IsInf(o.Tc, 0) {
		return o, fmt.Errorf("exponent: Collapse T_c = %v, want a finite value", o.Tc)
	}
	if o.Nu == 0 {
		o.Nu = 1
	}
	if !(o.Nu > 0) || math.IsInf(o.Nu, 0) {
		return o, fmt.Errorf("exponent: Collapse starting ν = %v, want > 0", o.Nu)
	}
	if o.Resamples == 0 {
		o.Resamples = 40
	}
	if o.Resamples < 2 {
		return o, fmt.Errorf("exponent: Collapse resamples = %d, want ≥ 2", o.Resamples)
	}
	return o, nil
}

// checkCurves validates the curves and returns the range of their
// temperatures.
func checkCurves(curves []Curve) (tmin, tmax float64, err error) {
	tmin, tmax = math.Inf(1), math.Inf(-1)
	for c, cv := range curves {
		if len(cv.T) < 2 || len(cv.Q) != len(cv.T) || len(cv.Err) != len(cv.T) {
			return 0, 0, fmt.Errorf("exponent: curve %d has %d temperatures, %d values and %d errors (want equal, ≥ 2)", c, len(cv.T), len(cv.Q), len(cv.Err))
		}
		for i := range cv.T {
			if math.IsNaN(cv.T[i]) || math.IsInf(cv.T[i], 0) {
				return 0, 0, fmt.Errorf("exponent: curve %d temperature %d is %v", c, i, cv.T[i])
			}
			if i > 0 && !(cv.T[i] > cv.T[i-1]) {
				return 0, 0, fmt.Errorf("exponent: curve %d temperatures are not strictly increasing at %d", c, i)
			}
			if !(cv.Err[i] > 0) || math.IsInf(cv.Err[i], 0) || math.IsNaN(cv.Q[i]) || math.IsInf(cv.Q[i], 0) {
				return 0, 0, fmt.Errorf("exponent: curve %d point %d: Q = %v ± %v", c, i, cv.Q[i], cv.Err[i])
			}
		}
		tmin, tmax = math.Min(tmin, cv.T[0]), math.Max(tmax, cv.T[len(cv.T)-1])
	}
	return tmin, tmax, nil
}

// collapseFit fits T_c and ν with resolved options; width is the range of
// the curves' temperatures (it sets the initial simplex in T_c).
type collapseFit struct {
	o     CollapseOptions
	width float64
}

// fit minimizes the collapse quality S over ν (and T_c unless fixed) by
// Nelder–Mead from the options' starting point.
func (cf *collapseFit) fit(cs []Curve) (tc, nu, s float64, pairs int, err error) {
	o := &cf.o
	cost := func(p []float64) float64 {
		tc, nu := o.Tc, p[0]
		if !o.FixTc {
			tc = p[1]
		}
		if !(nu > 0.05) || nu > 50 {
			return math.Inf(1)
		}
		s, n := quality(cs, tc, nu, o.B)
		if n == 0 {
			return math.Inf(1)
		}
		return s
	}
	x0 := []float64{o.Nu}
	if !o.FixTc {
		x0 = append(x0, o.Tc)
	}
	steps := []float64{0.1 * o.Nu}
	if !o.FixTc {
		steps = append(steps, 0.05*cf.width)
	}
	x := nelderMead(cost, x0, steps, 1e-9, 2000)
	nu = x[0]
	tc = o.Tc
	if !o.FixTc {
		tc = x[1]
	}
	s, pairs = quality(cs, tc, nu, o.B)
	if pairs == 0 || math.IsInf(s, 0) || math.IsNaN(s) {
		return 0, 0, 0, 0, errors.New("exponent: the curves do not overlap for any T_c, ν near the start")
	}
	return tc, nu, s, pairs, nil
}

// bootstrap returns the errors of T_c (0 if fixed) and ν by a parametric
// bootstrap: every Q redrawn with its Gaussian error and the fit repeated,
// o.Resamples times, drawing from rng.
func (cf *collapseFit) bootstrap(curves []Curve, rng *rand.Rand) (tcErr, nuErr float64, err error) {
	var stc, stc2, snu, snu2 float64
	re := make([]Curve, len(curves))
	for r := 0; r < cf.o.Resamples; r++ {
		for c, cv := range curves {
			q := make([]float64, len(cv.Q))
			for i := range q {
				q[i] = cv.Q[i] + cv.Err[i]*rng.NormFloat64()
			}
			re[c] = Curve{Level: cv.Level, T: cv.T, Q: q, Err: cv.Err}
		}
		rtc, rnu, _, _, err := cf.fit(re)
		if err != nil {
			return 0, 0, fmt.Errorf("exponent: bootstrap resample %d: %w", r, err)
		}
		stc += rtc
		stc2 += rtc * rtc
		snu += rnu
		snu2 += rnu * rnu
	}
	m := float64(cf.o.Resamples)
	nuErr = math.Sqrt(math.Max(0, (snu2-snu*snu/m)/(m-1)))
	if !cf.o.FixTc {
		tcErr = math.Sqrt(math.Max(0, (stc2-stc*stc/m)/(m-1)))
	}
	return tcErr, nuErr, nil
}

// quality returns the Houdayer–Hartmann S and its number of terms.
func quality(curves []Curve, tc, nu, b float64) (float64, int) {
	xs := make([][]float64, len(curves))
	for c, cv := range curves {
		f := math.Pow(b, float64(cv.Level)/nu)
		xs[c] = make([]float64, len(cv.T))
		for i, t := range cv.T {
			xs[c][i] = (t - tc) * f
		}
	}
	var s float64
	n := 0
	for p, cp := range curves {
		for j, x := range xs[p] {
			for q, cq := range curves {
				if q == p || cq.Level == cp.Level {
					continue
				}
				xq := xs[q]
				if x < xq[0] || x > xq[len(xq)-1] {
					continue
				}
				k := 1
				for k < len(xq)-1 && xq[k] < x {
					k++
				}
				// Quadratic (three-point Lagrange) interpolation on the
				// bracketing pair and the nearer outer neighbour; linear if
				// the curve has two points.
				i0 := k - 1
				idx := []int{i0, k}
				if len(xq) > 2 {
					switch {
					case i0 == 0:
						idx = append(idx, k+1)
					case k == len(xq)-1:
						idx = append(idx, i0-1)
					case x-xq[i0-1] < xq[k+1]-x:
						idx = append(idx, i0-1)
					default:
						idx = append(idx, k+1)
					}
				}
				var y, dy2 float64
				for _, a := range idx {
					w := 1.0
					for _, c := range idx {
						if c != a {
							w *= (x - xq[c]) / (xq[a] - xq[c])
						}
					}
					y += w * cq.Q[a]
					dy2 += w * w * cq.Err[a] * cq.Err[a]
				}
				d := cp.Q[j] - y
				s += d * d / (cp.Err[j]*cp.Err[j] + dy2)
				n++
			}
		}
	}
	if n == 0 {
		return math.Inf(1), 0
	}
	return s / float64(n), n
}

// nelderMead minimizes f from x0 with initial simplex steps along each axis
// (the standard coefficients 1, 2, ½, ½). It stops when the spread of the
// simplex values falls below tol·(1+|f_best|) and the simplex is small, or
// after maxEval evaluations, and returns the best vertex.
func nelderMead(f func([]float64) float64, x0, steps []float64, tol float64, maxEval int) []float64 {
	n := len(x0)
	type vertex struct {
		x []float64
		f float64
	}
	simplex := make([]vertex, n+1)
	for i := range simplex {
		x := append([]float64(nil), x0...)
		if i > 0 {
			x[i-1] += steps[i-1]
		}
		simplex[i] = vertex{x, f(x)}
	}
	evals := n + 1
	point := func(c []float64, toward []float64, t float64) []float64 {
		out := make([]float64, n)
		for a := range out {
			out[a] = c[a] + t*(toward[a]-c[a])
		}
		return out
	}
	for evals < maxEval {
		sort.Slice(simplex, func(i, j int) bool { return simplex[i].f < simplex[j].f })
		best, worst := simplex[0], simplex[n]
		size := 0.0
		for _, v := range simplex[1:] {
			for a := range v.x {
				size = math.Max(size, math.Abs(v.x[a]-best.x[a])/math.Max(math.Abs(steps[a]), 1e-300))
			}
		}
		if !math.IsInf(worst.f, 0) && worst.f-best.f <= tol*(1+math.Abs(best.f)) && size < 1e-6 {
			break
		}
		c := make([]float64, n) // centroid of all but the worst
		for _, v := range simplex[:n] {
			for a := range c {
				c[a] += v.x[a] / float64(n)
			}
		}
		xr := point(c, worst.x, -1)
		fr := f(xr)
		evals++
		switch {
		case fr < best.f:
			xe := point(c, worst.x, -2)
			fe := f(xe)
			evals++
			if fe < fr {
				simplex[n] = vertex{xe, fe}
			} else {
				simplex[n] = vertex{xr, fr}
			}
		case fr < simplex[n-1].f:
			simplex[n] = vertex{xr, fr}
		default:
			var xc []float64
			if fr < worst.f {
				xc = point(c, xr, 0.5)
			} else {
				xc = point(c, worst.x, 0.5)
			}
			fc := f(xc)
			evals++
			if fc < math.Min(fr, worst.f) {
				simplex[n] = vertex{xc, fc}
			} else {
				for i := 1; i <= n; i++ {
					x := point(best.x, simplex[i].x, 0.5)
					simplex[i] = vertex{x, f(x)}
					evals++
				}
			}
		}
	}
	sort.Slice(simplex, func(i, j int) bool { return simplex[i].f < simplex[j].f })
	return simplex[0].x
}
