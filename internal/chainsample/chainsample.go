// Package chainsample draws exact, independent configurations of the
// periodic nearest-neighbour Ising chain, the exact reference the rg and
// exponent tests compare RG flows against.
package chainsample

import (
	"math"
	"math/rand/v2"
)

// Periodic draws n independent configurations of the periodic
// nearest-neighbour Ising chain of L sites at coupling K, flat and row-major:
// the bond variables τ_i = s_i s_{i+1} are independent with
// P(τ = +1) = (1 + tanh K)/2, conditioned on Π τ_i = +1 by rejection, and
// s_0 is a fair coin.
func Periodic(L, n int, K float64, r *rand.Rand) []int8 {
	p := (1 + math.Tanh(K)) / 2
	out := make([]int8, 0, n*L)
	tau := make([]int8, L)
	for len(out) < n*L {
		prod := int8(1)
		for i := range tau {
			tau[i] = -1
			if r.Float64() < p {
				tau[i] = 1
			}
			prod *= tau[i]
		}
		if prod != 1 {
			continue
		}
		s := int8(2*r.IntN(2) - 1)
		for i := 0; i < L; i++ {
			out = append(out, s)
			s *= tau[i]
		}
	}
	return out
}
