package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/examples/internal/maintest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

func TestMain(m *testing.M) { maintest.Main(m, main) }

// TestConventions runs the program as a user does: -h, a positional
// argument, an unwritable -outdir, and a small run with -json, with and
// without -q (see maintest.Check), whose progress lines name every stage.
func TestConventions(t *testing.T) {
	maintest.Check(t, maintest.Conventions{
		Usage:  "ising2d learns the RSMI coarse-graining rule",
		Outdir: "-outdir",
		Small:  []string{"-L", "8", "-n", "200", "-pairs", "2000", "-steps", "30", "-finetune", "10"},
		Stages: []string{"pilot run", "sampling: sample.Collect", "rsmi.ExactV: Θ-RBM", "rsmi.ExactV: table", "rsmi.NewExactOracle",
			"filter at ‖λ‖ = 1: rsmi.Train  30/30", "unconstrained filter: rsmi.Train", "figures", "MI majority rule"},
	})
}

// TestData feeds -data files written by the library: ±1 spins in (n, L, L)
// with a geometry sidecar (SaveDataset), and the same configurations as 0/1
// bits in the flat (n, L·L) shape without a sidecar. Both must give the
// same summary bit for bit — the 0/1 file is mapped 0 → −1, 1 → +1 — and
// the ‖λ‖ = 1 filter must be Kadanoff's block spin. Files of other values or
// shapes are refused.
func TestData(t *testing.T) {
	const L, T = 16, 2.269185
	dir := t.TempDir()
	lat, _ := lattice.NewSquare(L)
	m, _ := lattice.NewNearestNeighborIsing(lat, 1)
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(m, T, src) },
		sample.Plan{Chains: 2, BurnIn: 100, Every: 5, PerChain: 400}, rand.NewPCG(3, 4))
	if err != nil {
		t.Fatal(err)
	}
	spins := filepath.Join(dir, "spins.npy")
	if err := sample.SaveDataset(spins, ds); err != nil {
		t.Fatal(err)
	}
	flat, err := lattice.NewGeometry([]int{L * L}, func() [][]int {
		c := make([][]int, L*L)
		for i := range c {
			c[i] = []int{i}
		}
		return c
	}())
	if err != nil {
		t.Fatal(err)
	}
	bits := make([]int8, len(ds.Data))
	for i, x := range ds.Data {
		bits[i] = (x + 1) / 2
	}
	bitsPath := filepath.Join(dir, "bits.npy")
	writeNPY(t, bitsPath, &sample.Dataset{N: ds.N, D: ds.D, Data: bits, Geom: flat})

	c := config{L: 0, T: T, block: 2, buffer: 1, env: 1, nh: 1, n: 1, pairs: 20000, steps: 400, seed: 1,
		outdir: dir, quiet: true}
	if testing.Short() { // CI's race run: fewer pairs for ExactV and the oracle, shorter fine-tuning
		c.pairs, c.fineTune = 6000, 30
	}
	var sums []*Summary
	for _, p := range []string{spins, bitsPath} {
		c.data = p
		s, err := run(context.Background(), c)
		if err != nil {
			t.Fatalf("-data %s: %v", filepath.Base(p), err)
		}
		sums = append(sums, s)
	}
	t.Logf("weights %v uniformity %.4f, exact MI %.4f", sums[0].Weights, sums[0].Uniformity, sums[0].ExactMI)
	if sums[0].L != L {
		t.Errorf("L = %d read from the file, want %d", sums[0].L, L)
	}
	if !reflect.DeepEqual(sums[0], sums[1]) {
		t.Errorf("±1 file and 0/1 file give different summaries:\n%+v\n%+v", sums[0], sums[1])
	}
	if sums[0].Uniformity > 0.1 {
		t.Errorf("‖λ‖=1 filter %v is not the uniform block spin (uniformity %.3f)", sums[0].Weights, sums[0].Uniformity)
	}

	// refused: a value 2, a non-square row, a 3D array
	bad := append([]int8(nil), bits...)
	bad[5*L*L+7] = 2
	for _, tc := range []struct {
		name string
		ds   *sample.Dataset
		want string
	}{
		{"two.npy", &sample.Dataset{N: ds.N, D: ds.D, Data: bad, Geom: flat}, "element [5, 7]: value 2 is neither a ±1 spin nor a 0/1 bit"},
		{"row.npy", &sample.Dataset{N: 2, D: 10, Data: make([]int8, 20), Geom: flat10(t)}, "not an L×L square lattice"},
		{"cube.npy", cube(t), "need configurations of an L×L square lattice"},
	} {
		p := filepath.Join(dir, tc.name)
		writeNPY(t, p, tc.ds)
		c.data = p
		if _, err := run(context.Background(), c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-data %s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func flat10(t *testing.T) *lattice.Geometry {
	c, err := lattice.NewChain(10)
	if err != nil {
		t.Fatal(err)
	}
	return c.Geometry()
}

func cube(t *testing.T) *sample.Dataset {
	c, err := lattice.NewCubic(4)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]int8, 64)
	for i := range data {
		data[i] = 1
	}
	return &sample.Dataset{N: 1, D: 64, Data: data, Geom: c.Geometry()}
}

func writeNPY(t *testing.T, path string, ds *sample.Dataset) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.WriteNPY(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
