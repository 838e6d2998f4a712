package rbm_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/rbm"
)

// Fit a binary RBM to rows of 8 bits drawn from a Markov chain (each bit
// copies the previous one with probability 0.9), then compare its exact
// log-likelihood with the entropy bound of the data source.
func Example() {
	const nv, n = 8, 4000
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]int8, 0, n*nv)
	for range n {
		b := int8(rng.IntN(2))
		for i := range nv {
			if i > 0 && rng.Float64() < 0.1 {
				b = 1 - b
			}
			data = append(data, b)
		}
	}
	r, err := rbm.New(nv, 8, rbm.Binary, rand.NewPCG(3, 4))
	if err != nil {
		panic(err)
	}
	before, _ := r.LogLikelihood(data)
	_, err = rbm.Train(context.Background(), r, data, &rbm.TrainOptions{
		Epochs: 60, BatchSize: 50, LearningRate: 0.1, Momentum: 0.5, Decay: 0.05,
		K: 3, Src: rand.NewPCG(5, 6),
	})
	if err != nil {
		panic(err)
	}
	after, err := r.LogLikelihood(data) // exact: Z by enumeration
	if err != nil {
		panic(err)
	}
	h := -0.1*math.Log(0.1) - 0.9*math.Log(0.9)
	bound := -(math.Ln2 + (nv-1)*h)
	fmt.Printf("gain over the initial model > 2 nats/row: %v\n", after-before > 2)
	fmt.Printf("within 0.1 nats/row of the entropy bound %.3f: %v\n", bound, bound-after < 0.1)
	// Output:
	// gain over the initial model > 2 nats/row: true
	// within 0.1 nats/row of the entropy bound -2.969: true
}

// Fit a categorical RBM to samples of a 3-state Potts ring of 5 sites,
// P(s) ∝ exp(Σ_i δ(s_i, s_{i+1})), compare its exact log-likelihood with
// that of the true distribution, and evaluate the exact conditional of the
// block of sites 0 and 1 given the others (9 block states).
func ExampleCategorical() {
	const n, q, rows = 5, 3, 5000
	// the exact distribution by enumeration of the 3^5 states
	states := rbm.States(q)
	p := make([]float64, 243)
	cfg := func(s int) []int8 {
		v := make([]int8, n)
		for i := range v {
			v[i], s = int8(s%q), s/q
		}
		return v
	}
	z := 0.0
	for s := range p {
		v := cfg(s)
		e := 0
		for i := range n {
			if v[i] == v[(i+1)%n] {
				e++
			}
		}
		p[s] = math.Exp(float64(e))
		z += p[s]
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var data []int8
	llTrue := 0.0
	for range rows {
		u, s := rng.Float64()*z, 0
		for u -= p[s]; u > 0 && s < len(p)-1; u -= p[s] {
			s++
		}
		data = append(data, cfg(s)...)
		llTrue += math.Log(p[s]/z) / rows
	}
	c, err := rbm.NewCategorical(n, 16, states, rand.NewPCG(3, 4))
	if err != nil {
		panic(err)
	}
	_, err = rbm.TrainCategorical(context.Background(), c, data, &rbm.TrainOptions{
		Epochs: 100, BatchSize: 50, LearningRate: 0.1, Decay: 0.05, Momentum: 0.5, K: 5, Shuffle: true,
		Src: rand.NewPCG(5, 6),
	})
	if err != nil {
		panic(err)
	}
	ll, err := c.LogLikelihood(data) // exact: log Z by enumeration
	if err != nil {
		panic(err)
	}
	fmt.Printf("within 0.05 nats/row of the true distribution's %.2f: %v\n", llTrue, math.Abs(llTrue-ll) < 0.05)
	b, err := c.Block([]int{0, 1})
	if err != nil {
		panic(err)
	}
	v := []int8{0, 0, 2, 2, 2} // sites 0 and 1 are ignored
	cond := b.Cond(v, nil)     // block state s0 + 3·s1
	rest := 0.0                // the states (·, ·, 2, 2, 2) are 234…242
	for s := 234; s < 243; s++ {
		rest += p[s]
	}
	exact := p[242] / rest
	fmt.Printf("P(s0 = s1 = 2 | s2 = s3 = s4 = 2) = %.2f; the model's within 0.03: %v\n", exact, math.Abs(cond[2+2*q]-exact) < 0.03)
	// Output:
	// within 0.05 nats/row of the true distribution's -4.82: true
	// P(s0 = s1 = 2 | s2 = s3 = s4 = 2) = 0.52; the model's within 0.03: true
}
