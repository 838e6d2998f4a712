package rsmi

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestExactMIGradAllocs: an Exact evaluation reuses its scratch buffers, so in
// steady state only the closures handed to the worker goroutines allocate:
// a handful per call, however many environments the table holds.
func TestExactMIGradAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	small, large := tableAllocs(t, 3000), tableAllocs(t, 30000)
	if small > 8 || large != small {
		t.Errorf("MIGrad allocates %v times per call with 3000 environments, %v with 30000; want ≤ 8 and equal", small, large)
	}
}

func tableAllocs(t *testing.T, ne int) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	const nv = 4
	pve := make([]float64, ne<<nv)
	w := make([]float64, ne)
	for e := 0; e < ne; e++ {
		var sum float64
		for s := 0; s < 1<<nv; s++ {
			pve[e<<nv+s] = rng.Float64()
			sum += pve[e<<nv+s]
		}
		for s := 0; s < 1<<nv; s++ {
			pve[e<<nv+s] /= sum
		}
		w[e] = 1 / float64(ne)
	}
	tb, err := NewExact(nv, nil, pve, w)
	if err != nil {
		t.Fatal(err)
	}
	f := &Filter{NH: 2, NV: nv, W: []float64{0.5, 0.4, 0.3, 0.2, -0.1, 0.2, 0.3, -0.4}}
	grad := make([]float64, f.NumParams())
	if _, err := tb.MIGrad(f, grad); err != nil {
		t.Fatal(err)
	}
	return testing.AllocsPerRun(20, func() { tb.MIGrad(f, grad) })
}
