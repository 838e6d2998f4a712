package rsmi

import (
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// FuzzRegions builds Regions from fuzzed geometries (extents and an
// occupancy mask of the grid, so sparse geometries such as the doubled grid
// of dimers occur), block extents, buffer, environment (any int64, so that
// sums overflowing int occur: issue 14.2, Buffer = Env = 1<<62) and stride.
// NewRegions must return an error or regions whose V, B and E are disjoint,
// non-empty where required, of one size at every position, whose box fits
// the lattice and whose Pairs work. Run for a minute with
//
//	go test -run '^$' -fuzz FuzzRegions -fuzztime 60s ./rsmi
func FuzzRegions(f *testing.F) {
	// dim is the dimension minus 1: 0 a chain, 1 a square, 2 a cube
	f.Add(uint8(1), []byte{8, 8}, []byte{}, []byte{2, 2}, int64(1), int64(2), []byte{})
	f.Add(uint8(0), []byte{16}, []byte{}, []byte{3}, int64(0), int64(4), []byte{})
	f.Add(uint8(1), []byte{8, 8}, []byte{0x5a, 0xa5, 0x5a, 0xa5, 0x5a, 0xa5, 0x5a, 0xa5}, []byte{2, 2}, int64(0), int64(1), []byte{2, 2})
	f.Add(uint8(2), []byte{4, 5, 6}, []byte{}, []byte{1, 1, 1}, int64(0), int64(1), []byte{1, 1, 1})
	f.Add(uint8(1), []byte{7, 9}, []byte{0xff, 0x00, 0xff}, []byte{4, 2}, int64(-1), int64(0), []byte{0, 3})
	f.Add(uint8(1), []byte{4, 4}, []byte{}, []byte{2, 2}, int64(1)<<62, int64(1)<<62, []byte{})
	f.Fuzz(func(t *testing.T, dim uint8, ext, mask, block []byte, buffer, env int64, stride []byte) {
		d := int(dim%3) + 1
		if len(ext) < d {
			return
		}
		extents := make([]int, d)
		cells := 1
		for a := range extents {
			extents[a] = int(ext[a]%12) + 1
			cells *= extents[a]
		}
		var coords [][]int
		for k := range cells {
			if len(mask) > 0 && mask[(k/8)%len(mask)]>>(k%8)&1 == 0 {
				continue
			}
			c := make([]int, d)
			rem := k
			for a := range c {
				c[a] = rem % extents[a]
				rem /= extents[a]
			}
			coords = append(coords, c)
		}
		g, err := lattice.NewGeometry(extents, coords)
		if err != nil {
			return
		}
		opts := RegionOptions{Buffer: int(buffer), Env: int(env)}
		var blk []int
		for _, b := range block {
			blk = append(blk, int(int8(b)))
		}
		for _, s := range stride {
			opts.Stride = append(opts.Stride, int(int8(s)))
		}
		r, err := NewRegions(g, blk, &opts)
		if err != nil {
			if r != nil {
				t.Fatal("NewRegions returned regions with an error")
			}
			return
		}
		if r.NV() < 1 || r.NE() < 1 || r.NumPositions() < 1 {
			t.Fatalf("|V| = %d, |E| = %d, %d positions", r.NV(), r.NE(), r.NumPositions())
		}
		for a, b := range blk {
			if opts.Buffer < 0 || opts.Env < 0 || opts.Buffer > extents[a] || opts.Env > extents[a] || b+2*(opts.Buffer+max(opts.Env, 1)) > extents[a] {
				t.Fatalf("accepted block %v, buffer %d, environment %d on extents %v", blk, opts.Buffer, opts.Env, extents)
			}
		}
		for p := range r.NumPositions() {
			if len(r.V(p)) != r.NV() || len(r.E(p)) != r.NE() {
				t.Fatalf("position %d: |V| = %d, |E| = %d, want %d, %d", p, len(r.V(p)), len(r.E(p)), r.NV(), r.NE())
			}
			seen := make(map[int32]bool)
			for _, s := range [][]int32{r.V(p), r.B(p), r.E(p), r.Hidden(p), r.ExcludedE(p)} {
				for _, i := range s {
					if i < 0 || int(i) >= g.NumDOF() || seen[i] {
						t.Fatalf("position %d: dof %d out of range or in two regions", p, i)
					}
					seen[i] = true
				}
			}
		}
		spins := make([]int8, 2*g.NumDOF())
		for i := range spins {
			spins[i] = int8(1 - 2*(i%3%2)) // ±1: Pairs refuses other values
		}
		ds, err := sample.NewDataset(g, spins)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Pairs(ds)
		if err != nil {
			t.Fatalf("Pairs: %v", err)
		}
		if p.N != 2*r.NumPositions() || p.NV != r.NV() || p.NE != r.NE() || p.Validate() != nil {
			t.Fatalf("Pairs: %d pairs of %d, %d values: %v", p.N, p.NV, p.NE, p.Validate())
		}
	})
}
