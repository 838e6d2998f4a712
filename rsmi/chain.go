package rsmi

import (
	"fmt"
	"math"
)

// NewExactChain returns the exact estimator for the nearest-neighbour Ising
// chain H = −K Σ s_i s_{i+1} (K = J/T, zero field, infinite chain) with a
// block of lv spins, buffers of lb spins on both sides and environments of
// le spins beyond them: V, B, E as Regions builds them on a chain with
// Block [lv], Buffer lb, Env le.
//
// In zero field the marginal of any segment of the infinite chain is the open
// chain of that segment, P(s) = ½ Π_i (1 + t s_i s_{i+1})/2 with t = tanh K,
// and summing out the lb buffer spins between two spins leaves the bond
// (1 + t^{lb+1} s s')/2. The table enumerates all 2^{2le} environments with
// their exact probabilities, so every MI it returns is exact (no sampling).
// E is ordered left to right (le spins left of the buffer, then le right).
func NewExactChain(K float64, lv, lb, le int) (*Exact, error) {
	switch {
	case math.IsNaN(K) || math.IsInf(K, 0):
		return nil, fmt.Errorf("rsmi: coupling K = %v", K)
	case lv < 1 || lv > MaxVisible:
		return nil, fmt.Errorf("rsmi: block length %d outside [1,%d]", lv, MaxVisible)
	case lb < 0:
		return nil, fmt.Errorf("rsmi: buffer width %d is negative", lb)
	case le < 1:
		return nil, fmt.Errorf("rsmi: environment width %d is smaller than 1", le)
	case le > 13 || 2*le+lv > 26:
		return nil, fmt.Errorf("rsmi: 2·le + lv spins to enumerate (le = %d, lv = %d), at most 26", le, lv)
	}
	t := math.Tanh(K)
	tb := math.Pow(t, float64(lb+1))
	s := 1 << lv
	nenv := 1 << (2 * le)
	pve := make([]float64, nenv*s)
	w := make([]float64, nenv)
	// chain order: left env (le), V (lv), right env (le)
	n := 2*le + lv
	x := make([]int8, n)
	for e := 0; e < nenv; e++ {
		for i := 0; i < le; i++ {
			x[i] = int8(2*((e>>i)&1)) - 1
			x[le+lv+i] = int8(2*((e>>(le+i))&1)) - 1
		}
		for v := 0; v < s; v++ {
			for i := 0; i < lv; i++ {
				x[le+i] = int8(2*((v>>i)&1)) - 1
			}
			p := 0.5
			for i := 0; i+1 < n; i++ {
				c := t
				if i == le-1 || i == le+lv-1 {
					c = tb
				}
				p *= (1 + c*float64(x[i])*float64(x[i+1])) / 2
			}
			pve[e*s+v] = p
			w[e] += p
		}
	}
	return NewExact(lv, nil, pve, w)
}
