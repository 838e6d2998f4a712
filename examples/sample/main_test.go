package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/examples/internal/maintest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// base is a small ising2d run on the 4×4 torus, where the energy is known
// exactly by enumeration.
func base(dir, out string) config {
	return config{model: "ising2d", L: 4, T: 2.5, J: 1, sampler: "metropolis", every: 2, n: 4000, chains: 2,
		replicas: 1, seed: 11, out: filepath.Join(dir, out), quiet: true}
}

func TestMain(m *testing.M) { maintest.Main(m, main) }

// TestConventions runs the program as a user does: -h, a positional
// argument, an -out in a missing directory, and a small run with -json,
// with and without -q (see maintest.Check), whose progress lines name every
// stage.
func TestConventions(t *testing.T) {
	maintest.Check(t, maintest.Conventions{
		Usage:  "sample draws Monte Carlo configurations",
		Outdir: "-out",
		Small:  []string{"-L", "8", "-n", "200"},
		Stages: []string{"pilot run", "sampling: sample.Collect  ", "/512 (100%)", "tau_int"},
	})
}

// exactEnergy4x4 is the exact energy per spin of the 4×4 nearest-neighbour
// Ising torus (J = 1) at temperature T, by enumeration of the 2^16 states.
func exactEnergy4x4(t *testing.T, T float64) float64 {
	lat, _ := lattice.NewSquare(4)
	m, err := lattice.NewNearestNeighborIsing(lat, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]int8, 16)
	var z, ze float64
	for b := 0; b < 1<<16; b++ {
		for i := range x {
			x[i] = int8(2*(b>>i&1) - 1)
		}
		e := m.Energy(x)
		w := math.Exp(-(e + 32) / T) // shifted by the ground-state energy −32
		z += w
		ze += w * e
	}
	return ze / z / 16
}

func rawBytes(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestShardsMerge runs two shards through run(), merges them with -merge and
// checks: the shards differ from each other and from the unsharded run, the
// merged file holds shard 0's rows then shard 1's, the merged energy is the
// shards' average and agrees with the exact value within 4 standard errors.
func TestShardsMerge(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var shards []*summary
	for k := 0; k < 2; k++ {
		c := base(dir, []string{"s0.npy", "s1.npy"}[k])
		c.sharded, c.shard = true, k
		s, err := run(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	plain, err := run(ctx, base(dir, "plain.npy"))
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := rawBytes(t, filepath.Join(dir, "s0.npy")), rawBytes(t, filepath.Join(dir, "s1.npy"))
	if bytes.Equal(s0, s1) || bytes.Equal(s0, rawBytes(t, filepath.Join(dir, "plain.npy"))) {
		t.Fatal("shards 0, 1 and the unsharded run are not all different")
	}
	if plain.Energy == shards[0].Energy {
		t.Error("shard 0 reproduces the unsharded run's energy")
	}

	c := base(dir, "all.npy")
	c.merge = []string{filepath.Join(dir, "s0.npy"), filepath.Join(dir, "s1.npy")}
	m, err := run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 8000 {
		t.Errorf("merged n = %d, want 8000", m.N)
	}
	if avg := (shards[0].Energy + shards[1].Energy) / 2; math.Abs(m.Energy-avg) > 1e-12 {
		t.Errorf("merged energy %v, shards' average %v", m.Energy, avg)
	}
	all, err := sample.LoadDataset(filepath.Join(dir, "all.npy"))
	if err != nil {
		t.Fatal(err)
	}
	d0, _ := sample.LoadDataset(filepath.Join(dir, "s0.npy"))
	d1, _ := sample.LoadDataset(filepath.Join(dir, "s1.npy"))
	want := append(append([]int8(nil), d0.Data...), d1.Data...)
	if all.N != 8000 || string(int8s(all.Data)) != string(int8s(want)) {
		t.Error("merged file is not shard 0's rows followed by shard 1's")
	}
	ex := exactEnergy4x4(t, 2.5)
	if d := math.Abs(m.Energy - ex); !(m.EnergyErr > 0) || d > 4*m.EnergyErr {
		t.Errorf("merged energy %.5f ± %.5f, exact %.5f", m.Energy, m.EnergyErr, ex)
	} else {
		t.Logf("merged energy %.5f ± %.5f, exact %.5f (%.1fσ)", m.Energy, m.EnergyErr, ex, d/m.EnergyErr)
	}
}

// TestMergeInputs: 0/1 files are mapped to spins, mismatched geometries and
// model flags are refused with the file named, and -shard with -merge is
// refused.
func TestMergeInputs(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c := base(dir, "s.npy")
	c.n = 200
	if _, err := run(ctx, c); err != nil {
		t.Fatal(err)
	}
	ds, err := sample.LoadDataset(c.out)
	if err != nil {
		t.Fatal(err)
	}
	bits := make([]int8, len(ds.Data))
	for i, x := range ds.Data {
		bits[i] = (x + 1) / 2
	}
	writeNPY(t, filepath.Join(dir, "bits.npy"), &sample.Dataset{N: ds.N, D: ds.D, Data: bits, Geom: ds.Geom})
	m := base(dir, "")
	m.out = ""
	m.merge = []string{c.out, filepath.Join(dir, "bits.npy")}
	s, err := run(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 400 || s.Energy != base2(t, ctx, c) {
		t.Errorf("merge of a ±1 file and its 0/1 copy: n = %d, energy %v; want 400 and the file's energy", s.N, s.Energy)
	}

	// an 8×8 file next to a 4×4 one
	big := base(dir, "big.npy")
	big.L, big.n = 8, 20
	if _, err := run(ctx, big); err != nil {
		t.Fatal(err)
	}
	m.merge = []string{c.out, big.out}
	if _, err := run(ctx, m); err == nil || !strings.Contains(err.Error(), "big.npy") {
		t.Errorf("merging 4×4 and 8×8 files: error %v, want one naming big.npy", err)
	}
	// the right files but the wrong -L
	m.merge, m.L = []string{c.out}, 8
	if _, err := run(ctx, m); err == nil || !strings.Contains(err.Error(), "-L 8") {
		t.Errorf("-merge with the wrong -L: error %v", err)
	}
	m.L, m.sharded = 4, true
	if _, err := run(ctx, m); err == nil {
		t.Error("-shard with -merge accepted")
	}
	bad := base(dir, "x.npy")
	bad.sharded, bad.shard = true, -2
	if _, err := run(ctx, bad); err == nil {
		t.Error("-shard -2 accepted")
	}
}

// base2 is the energy of the summary of c's run, read back from c.out.
func base2(t *testing.T, ctx context.Context, c config) float64 {
	m := c
	m.merge, m.out = []string{c.out}, ""
	s, err := run(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	return s.Energy
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

func int8s(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}
