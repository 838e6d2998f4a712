package exponent

import (
	"errors"
	"fmt"
	"math"
)

// Estimate is an RG eigenvalue (or an exponent derived from one) chosen by
// the rule of EstimateY, with its statistical and systematic errors.
type Estimate struct {
	// Value is the estimate; Stat its jackknife standard error.
	Value, Stat float64
	// Sys is the systematic error, √(Drift² + FiniteSize² + Truncation²).
	Sys float64
	// Drift, FiniteSize and Truncation are the parts of Sys (see
	// EstimateY), each ≥ 0; a part that could not be measured is 0.
	Drift, FiniteSize, Truncation float64
	// Level and Ops locate the estimate: the MCRG level n* and the number
	// of operators k* of the truncation.
	Level, Ops int
}

// Total returns √(Stat² + Sys²), the error to compare with the truth.
func (e Estimate) Total() float64 { return math.Hypot(e.Stat, e.Sys) }

// scale returns the estimate of f(y) for f with f(Value) = v and |f'| = d:
// every error is multiplied by d.
func (e Estimate) scale(v, d float64) Estimate {
	e.Value = v
	e.Stat *= d
	e.Sys *= d
	e.Drift *= d
	e.FiniteSize *= d
	e.Truncation *= d
	return e
}

// Nu returns ν = 1/y_t of an estimate of y_t.
func (e Estimate) Nu() Estimate { return e.scale(1/e.Value, 1/(e.Value*e.Value)) }

// Eta returns η = d + 2 − 2y_h of an estimate of y_h in d dimensions.
func (e Estimate) Eta(d int) Estimate { return e.scale(float64(d)+2-2*e.Value, 2) }

// Sector selects the even (thermal, y_t) or the odd (magnetic, y_h)
// operators of an MCRG result.
type Sector int

const (
	// Thermal is the even sector: y_t, ν = 1/y_t.
	Thermal Sector = iota
	// Magnetic is the odd sector: y_h, η = d + 2 − 2y_h.
	Magnetic
)

func (s Sector) String() string {
	if s == Magnetic {
		return "magnetic"
	}
	return "thermal"
}

func (s Sector) truncations(lv MCRGLevel) []Truncation {
	if s == Magnetic {
		return lv.Odd
	}
	return lv.Even
}

// EstimateY chooses an estimate of the leading RG eigenvalue of sector s
// from MCRG results of one rule on a lattice of side L (res) and, if match
// is not nil, on a lattice of side L/b (the matching run), by this rule,
// fixed in advance and blind to any exact value:
//
//   - The level n* is the deepest level of res whose lattice has every
//     extent ≥ minSide, and the truncation k* is ops operators (fewer if the
//     sector has fewer). The estimate is y(n*, L, k*) with its jackknife
//     error as Stat.
//   - Drift, the distance from the fixed point, is √(d² + σ_d²) with
//     d = y(n*, L) − y(n*−1, L/b): one more RG step at the same final
//     lattice size (Swendsen's matching, which removes the finite-size part
//     of the level-to-level change), and σ_d the statistical error of d
//     (the two jackknife errors in quadrature), so that a drift that is
//     small only by chance is never counted below its noise. Without a
//     matching run d = y(n*, L) − y(n*−1, L), which mixes in finite-size
//     effects.
//   - FiniteSize is |y(n*−1, L) − y(n*−1, L/b)|: the change when the final
//     lattice shrinks by b at a fixed number of steps, an estimate of the
//     finite-size error of a lattice of the estimate's final size (0 without
//     a matching run).
//   - Truncation is the largest change |y(n*, L, k) − y(n*, L, k*)| for
//     k = k* ± 1.
//
// Sys = √(Drift² + FiniteSize² + Truncation²). The differences are taken as
// measured, statistical noise included, which makes Sys conservative when
// the statistical errors are comparable to it. EstimateY returns an error
// if res has no level n* with a level n*−1 below it (in res, and in match
// if given; MCRG's FirstLevel must be at most n*−1).
func EstimateY(res, match *MCRGResult, s Sector, ops, minSide int) (Estimate, error) {
	if res == nil || len(res.Levels) == 0 {
		return Estimate{}, errors.New("exponent: EstimateY needs an MCRG result")
	}
	if s != Thermal && s != Magnetic {
		return Estimate{}, fmt.Errorf("exponent: EstimateY sector %d, want Thermal or Magnetic", int(s))
	}
	if ops < 1 || minSide < 1 {
		return Estimate{}, fmt.Errorf("exponent: EstimateY with %d operators and minimum side %d, want both ≥ 1", ops, minSide)
	}
	at := func(r *MCRGResult, n int) (MCRGLevel, bool) {
		for _, lv := range r.Levels {
			if lv.Level == n {
				return lv, true
			}
		}
		return MCRGLevel{}, false
	}
	nStar := -1
	for _, lv := range res.Levels {
		if minExtent(lv.Extents) >= minSide {
			nStar = max(nStar, lv.Level)
		}
	}
	if nStar < 0 {
		return Estimate{}, fmt.Errorf("exponent: no MCRG level of %v has a lattice of side ≥ %d", res.Levels[0].Extents, minSide)
	}
	top, _ := at(res, nStar)
	prev, ok := at(res, nStar-1)
	if !ok {
		return Estimate{}, fmt.Errorf("exponent: the estimate at level %d needs level %d too (lower FirstLevel)", nStar, nStar-1)
	}
	tr := s.truncations(top)
	if len(tr) == 0 {
		return Estimate{}, fmt.Errorf("exponent: the MCRG result has no %s operators", s)
	}
	k := min(ops, len(tr))
	if len(s.truncations(prev)) < k {
		return Estimate{}, fmt.Errorf("exponent: level %d has %d %s operators, level %d %d: the levels disagree", nStar, len(tr), s, nStar-1, len(s.truncations(prev)))
	}
	e := Estimate{Value: tr[k-1].Y, Stat: tr[k-1].YErr, Level: nStar, Ops: k}
	y := func(lv MCRGLevel) Truncation { return s.truncations(lv)[k-1] }
	drift := func(t Truncation) float64 {
		d := e.Value - t.Y
		return math.Sqrt(d*d + e.Stat*e.Stat + t.YErr*t.YErr)
	}
	e.Drift = drift(y(prev))
	if match != nil {
		mprev, ok := at(match, nStar-1)
		if !ok || len(s.truncations(mprev)) < k {
			return Estimate{}, fmt.Errorf("exponent: the matching run has no level %d with %d %s operators", nStar-1, k, s)
		}
		e.Drift = drift(y(mprev))
		e.FiniteSize = math.Abs(y(prev).Y - y(mprev).Y)
	}
	for _, j := range []int{k - 1, k + 1} {
		if j >= 1 && j <= len(tr) {
			e.Truncation = math.Max(e.Truncation, math.Abs(tr[j-1].Y-e.Value))
		}
	}
	e.Sys = math.Sqrt(e.Drift*e.Drift + e.FiniteSize*e.FiniteSize + e.Truncation*e.Truncation)
	if math.IsNaN(e.Value + e.Stat + e.Sys) {
		return Estimate{}, fmt.Errorf("exponent: the %s estimate at level %d with %d operators is not a number (y = %v ± %v, sys %v)", s, nStar, k, e.Value, e.Stat, e.Sys)
	}
	return e, nil
}

func minExtent(ext []int) int {
	m := math.MaxInt
	for _, e := range ext {
		m = min(m, e)
	}
	return m
}
