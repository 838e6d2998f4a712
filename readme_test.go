// The README's API tour, compiled and run as a test: TestReadmeTour checks
// that the README's code block is exactly the body of Example below, and
// go test runs Example and checks its output.
package readme_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

func Example() {
	ctx := context.Background()
	// 1. A model: the 2D Ising model on a 16×16 torus, H = −Σ s_i s_j.
	lat, _ := lattice.NewSquare(16)
	model, _ := lattice.NewNearestNeighborIsing(lat, 1)
	// 2. Samples at T_c from two parallel Wolff chains (reproducible for the seed).
	ds, _ := sample.Collect(ctx, func(src rand.Source) (sample.Sampler, error) {
		return sample.NewWolff(model, 2.269185, src)
	}, sample.Plan{Chains: 2, BurnIn: 100, Every: 5, PerChain: 200, Src: rand.NewPCG(1, 2)})
	// 3. (V, E) pairs: 2×2 blocks, a buffer of width 1, an environment shell of width 1.
	reg, _ := rsmi.NewRegions(ds.Geom, []int{2, 2}, &rsmi.RegionOptions{Buffer: 1, Env: 1})
	pairs, _ := reg.Pairs(ds)
	// 4. Learn the filter Λ that maximizes I(H:E), at fixed ‖λ‖ = 1.
	est, _ := rsmi.NewExactV(ctx, pairs, rand.NewPCG(3, 4), nil)
	f, _ := rsmi.NewFilter(1, reg.NV(), rand.NewPCG(5, 6))
	res, _ := rsmi.Train(ctx, est, f, &rsmi.TrainOptions{Steps: 500, Norm: 1})
	// 5. One RG step with the learned rule: 16×16 → 8×8.
	coarse, _ := rg.Coarsen(ds, lat, 2, rg.FilterRule{Filter: f}, rand.NewPCG(7, 8))
	fmt.Println("block spin:", blockSpin(f.W), "MI > 0.4 bit:", res.MI > 0.4, "coarse:", coarse.Geom.Extents())
	// Output: block spin: true MI > 0.4 bit: true coarse: [8 8]
}

// blockSpin reports whether all weights have one sign and lie within 10% of
// their mean: Kadanoff's block spin.
func blockSpin(w []float64) bool {
	var mean float64
	for _, x := range w {
		mean += x / float64(len(w))
	}
	for _, x := range w {
		if math.Abs(x-mean) > 0.1*math.Abs(mean) {
			return false
		}
	}
	return true
}

func TestReadmeTour(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	block := between(string(readme), "```go\n", "```")
	body := between(string(src), "func Example() {\n", "\t// Output:")
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	want := strings.Join(lines, "\n") + "\n"
	if block != want {
		t.Errorf("README's API tour is out of sync with Example in readme_test.go.\nREADME:\n%s\nExample:\n%s", block, want)
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}
