package sample

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

func TestMerge(t *testing.T) {
	sq, _ := lattice.NewSquare(3)
	a, _ := NewDataset(sq.Geometry(), []int8{1, 1, 1, 1, 1, 1, 1, 1, 1})
	bd := make([]int8, 18)
	for i := range bd {
		bd[i] = int8(1 - 2*(i%2))
	}
	b, err := NewDataset(sq.Geometry(), bd)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 3 || m.D != 9 || !m.Geom.Equal(sq.Geometry()) {
		t.Fatalf("merged %d×%d, want 3×9 on the 3×3 lattice", m.N, m.D)
	}
	want := append(append([]int8(nil), a.Data...), bd...)
	if !bytes.Equal(int8Bytes(m.Data), int8Bytes(want)) {
		t.Fatalf("merged data %v, want %v", m.Data, want)
	}
	m.Data[0] = -1 // a copy: the parts are untouched
	if a.Data[0] != 1 {
		t.Error("Merge aliases its parts' data")
	}
	one, err := Merge(b)
	if err != nil || one.N != 2 || &one.Data[0] == &b.Data[0] {
		t.Errorf("Merge of one part: %v, %v", one, err)
	}
}

func TestMergeRefuses(t *testing.T) {
	sq3, _ := lattice.NewSquare(3)
	sq4, _ := lattice.NewSquare(4)
	chain9, _ := lattice.NewChain(9)
	// 3×3 box, dofs listed y fastest instead of x fastest
	coords := make([][]int, 9)
	for i := range coords {
		coords[i] = []int{i / 3, i % 3}
	}
	transposed, err := lattice.NewGeometry([]int{3, 3}, coords)
	if err != nil {
		t.Fatal(err)
	}
	ok := &Dataset{N: 1, D: 9, Data: make([]int8, 9), Geom: sq3.Geometry()}
	for _, tc := range []struct {
		name  string
		parts []*Dataset
		want  string
	}{
		{"none", nil, "at least one"},
		{"nil part", []*Dataset{ok, nil}, "part 1: nil dataset"},
		{"inconsistent", []*Dataset{ok, {N: 2, D: 9, Data: make([]int8, 9), Geom: sq3.Geometry()}}, "part 1"},
		{"other size", []*Dataset{ok, ok, {N: 1, D: 16, Data: make([]int8, 16), Geom: sq4.Geometry()}}, "part 2 has a different geometry from part 0: extents [4 4] with 16 dofs"},
		{"other dimension", []*Dataset{ok, {N: 1, D: 9, Data: make([]int8, 9), Geom: chain9.Geometry()}}, "part 1 has a different geometry from part 0: extents [9] with 9 dofs"},
		{"other order", []*Dataset{ok, {N: 1, D: 9, Data: make([]int8, 9), Geom: transposed}}, "part 1 has a different geometry from part 0: the same extents"},
	} {
		_, err := Merge(tc.parts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestShardSourceDistinct checks the construction's guarantee: for one seed,
// no value is produced twice across shards (here 64 shards × 4096 draws),
// and a shard's stream depends only on (seed, shard).
func TestShardSourceDistinct(t *testing.T) {
	seen := make(map[uint64]int)
	for k := 0; k < 64; k++ {
		s, err := ShardSource(42, k)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4096; i++ {
			u := s.Uint64()
			if prev, dup := seen[u]; dup {
				t.Fatalf("shard %d draw %d repeats a value of shard %d", k, i, prev)
			}
			seen[u] = k
		}
	}
	a, _ := ShardSource(42, 5)
	b, _ := ShardSource(42, 5)
	c, _ := ShardSource(43, 5)
	for i := 0; i < 100; i++ {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatal("the same (seed, shard) gives different streams")
		}
		if x == z {
			t.Fatal("seeds 42 and 43 give the same value")
		}
	}
	// The k·2^40 + i counter: shard 1's first value is what shard 0 would
	// produce after 2^40 draws, which is why a shard stops there.
	s0 := &shardSource{seed: 42, next: 1 << 40, used: 0}
	s1, _ := ShardSource(42, 1)
	if s0.Uint64() != s1.Uint64() {
		t.Error("shard counter layout is not k·2^40 + i")
	}
	full := &shardSource{seed: 42, used: maxShardDraws}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic after 2^40 draws")
			}
		}()
		full.Uint64()
	}()
	for _, k := range []int{-1, MaxShards} {
		if _, err := ShardSource(1, k); err == nil {
			t.Errorf("shard %d accepted", k)
		}
	}
}

// TestShardsExact runs two shards of Metropolis chains on the 4×4 Ising torus
// at T = 2.5, saves and reloads them, merges them and compares the merged
// energy with exact enumeration; the shards' data must differ.
func TestShardsExact(t *testing.T) {
	const L, T = 4, 2.5
	lat, _ := lattice.NewSquare(L)
	m, _ := lattice.NewNearestNeighborIsing(lat, 1)
	dir := t.TempDir()
	var parts []*Dataset
	for k := 0; k < 2; k++ {
		src, err := ShardSource(7, k)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := Collect(context.Background(), func(src rand.Source) (Sampler, error) { return NewMetropolis(m, T, src) },
			Plan{Chains: 2, BurnIn: 100, Every: 2, PerChain: 5000}, src)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("shard%d.npy", k))
		if err := SaveDataset(path, ds); err != nil {
			t.Fatal(err)
		}
		back, err := LoadDataset(path)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, back)
	}
	if bytes.Equal(int8Bytes(parts[0].Data), int8Bytes(parts[1].Data)) {
		t.Fatal("the two shards hold the same data")
	}
	all, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	e := make([]float64, all.N)
	for i := range e {
		e[i] = m.Energy(all.Row(i)) / (L * L)
	}
	mean, stderr := BinningError(e)
	checkWithin(t, "merged energy per spin", mean, stderr, exactIsing2D(L, T).e)
}

// ExampleMerge collects two shards of a run — in practice separate processes
// started by a batch scheduler, each saving its Dataset — and merges them in
// shard order.
func ExampleMerge() {
	lat, _ := lattice.NewSquare(8)
	m, _ := lattice.NewNearestNeighborIsing(lat, 1)
	var shards []*Dataset
	for k := 0; k < 2; k++ {
		src, _ := ShardSource(2026, k) // shard k of the run with seed 2026
		ds, err := Collect(context.Background(), func(src rand.Source) (Sampler, error) { return NewWolff(m, 2.5, src) },
			Plan{Chains: 2, BurnIn: 50, Every: 5, PerChain: 100}, src)
		if err != nil {
			panic(err)
		}
		shards = append(shards, ds)
	}
	all, err := Merge(shards...)
	if err != nil {
		panic(err)
	}
	fmt.Println(all.N, "samples of", all.D, "spins")

	small, _ := lattice.NewSquare(4)
	_, err = Merge(all, &Dataset{N: 1, D: 16, Data: make([]int8, 16), Geom: small.Geometry()})
	fmt.Println(err)
	// Output:
	// 400 samples of 64 spins
	// sample: Merge part 1 has a different geometry from part 0: extents [4 4] with 16 dofs, part 0 has extents [8 8] with 64 dofs
}
