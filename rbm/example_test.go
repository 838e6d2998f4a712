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
