package rsmi

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// bruteClass returns the Chebyshev periodic distance of every dof of g to the
// block at origin o.
func bruteDist(g *lattice.Geometry, o, block []int) []int {
	ext := g.Extents()
	out := make([]int, g.NumDOF())
	var c []int
	for i := range out {
		c = g.Coord(i, c)
		d := 0
		for a := range c {
			x := ((c[a]-o[a])%ext[a] + ext[a]) % ext[a]
			da := 0
			if x >= block[a] {
				da = min(x-block[a]+1, ext[a]-x)
			}
			d = max(d, da)
		}
		out[i] = d
	}
	return out
}

func sortedInts(x []int32) []int {
	out := make([]int, len(x))
	for i, v := range x {
		out[i] = int(v)
	}
	slices.Sort(out)
	return out
}

func TestRegionsBruteForce(t *testing.T) {
	chain, _ := lattice.NewChain(11)
	sq, _ := lattice.NewLattice(9, 10)
	cub, _ := lattice.NewCubic(6)
	cases := []struct {
		name  string
		g     *lattice.Geometry
		block []int
		opts  RegionOptions
	}{
		{"chain", chain.Geometry(), []int{2}, RegionOptions{Buffer: 1, Env: 2}},
		{"chain-nobuffer", chain.Geometry(), []int{3}, RegionOptions{Buffer: 0, Env: 4}},
		{"square", sq.Geometry(), []int{2, 3}, RegionOptions{Buffer: 1, Env: 1}},
		{"square-masked", sq.Geometry(), []int{2, 2}, RegionOptions{Buffer: 1, Env: 2,
			ExcludeV: func(i int) bool { return i%7 == 0 }, ExcludeE: func(i int) bool { return i%7 == 3 }}},
		{"cubic", cub.Geometry(), []int{2, 2, 2}, RegionOptions{Buffer: 1, Env: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRegions(tc.g, tc.block, &tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.opts.ExcludeV == nil && r.NumPositions() != tc.g.NumDOF() {
				t.Fatalf("%d positions, want one per site (%d)", r.NumPositions(), tc.g.NumDOF())
			}
			for p := 0; p < r.NumPositions(); p++ {
				dist := bruteDist(tc.g, r.Origin(p), tc.block)
				var v, h, b, e, xe []int32
				for i, d := range dist {
					switch {
					case d == 0 && tc.opts.ExcludeV != nil && tc.opts.ExcludeV(i):
						h = append(h, int32(i))
					case d == 0:
						v = append(v, int32(i))
					case d <= tc.opts.Buffer:
						b = append(b, int32(i))
					case d <= tc.opts.Buffer+tc.opts.Env:
						if tc.opts.ExcludeE != nil && tc.opts.ExcludeE(i) {
							xe = append(xe, int32(i))
						} else {
							e = append(e, int32(i))
						}
					}
				}
				for _, c := range []struct {
					name      string
					got, want []int32
				}{{"V", r.V(p), v}, {"hidden", r.Hidden(p), h}, {"B", r.B(p), b}, {"E", r.E(p), e}, {"excluded E", r.ExcludedE(p), xe}} {
					if !slices.Equal(sortedInts(c.got), sortedInts(c.want)) {
						t.Fatalf("position %d (origin %v): %s = %v, brute force %v", p, r.Origin(p), c.name, sortedInts(c.got), sortedInts(c.want))
					}
				}
				in := append(append(append([]int32(nil), v...), h...), b...)
				if !slices.Equal(sortedInts(r.Interior(p)), sortedInts(in)) {
					t.Fatalf("position %d: interior %v, want V ∪ hidden ∪ B = %v", p, sortedInts(r.Interior(p)), sortedInts(in))
				}
				// the i-th dof of V and E sits at the same offset at every position
				for _, lists := range [][2][]int32{{r.V(0), r.V(p)}, {r.E(0), r.E(p)}} {
					for i := range lists[0] {
						c0 := tc.g.Coord(int(lists[0][i]), nil)
						cp := tc.g.Coord(int(lists[1][i]), nil)
						o := r.Origin(p)
						for a := range c0 {
							L := tc.g.Extents()[a]
							if ((c0[a]+o[a])%L+L)%L != cp[a] {
								t.Fatalf("position %d: dof %d of the list at %v, want the origin-0 dof %v shifted by %v", p, i, cp, c0, o)
							}
						}
					}
				}
			}
		})
	}
}

// TestRegionsDoubledGrid checks that on the doubled grid of dimers only even
// translations are block positions.
func TestRegionsDoubledGrid(t *testing.T) {
	const L = 4 // sites per axis; links on the doubled 8×8 grid
	var coords [][]int
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			coords = append(coords, []int{2*x + 1, 2 * y}, []int{2 * x, 2*y + 1})
		}
	}
	g, err := lattice.NewGeometry([]int{2 * L, 2 * L}, coords)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRegions(g, []int{2, 2}, &RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.NumPositions() != L*L {
		t.Fatalf("%d positions, want %d", r.NumPositions(), L*L)
	}
	for p := 0; p < r.NumPositions(); p++ {
		o := r.Origin(p)
		if o[0]%2 != 0 || o[1]%2 != 0 {
			t.Fatalf("position at odd origin %v", o)
		}
	}
	r1, err := NewRegions(g, []int{2, 2}, &RegionOptions{Buffer: 1, Env: 1, Stride: []int{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if r1.NumPositions() != 2*L*L { // (1,1) shifts map the link grid onto itself
		t.Fatalf("stride 1: %d positions, want %d", r1.NumPositions(), 2*L*L)
	}
	if r.NV() != 2 { // the right link (1,0) and the up link (0,1) of the site at the origin
		t.Fatalf("|V| = %d, want 2", r.NV())
	}
}

func TestRegionsPairs(t *testing.T) {
	l, _ := lattice.NewChain(8)
	r, err := NewRegions(l.Geometry(), []int{2}, &RegionOptions{Buffer: 1, Env: 2})
	if err != nil {
		t.Fatal(err)
	}
	data := []int8{1, -1, 1, 1, -1, -1, 1, -1, -1, -1, -1, 1, 1, 1, 1, 1}
	ds, _ := sample.NewDataset(l.Geometry(), data)
	p, err := r.Pairs(ds)
	if err != nil {
		t.Fatal(err)
	}
	v, e := p.V, p.E
	if p.N != 16 || len(v) != 32 || len(e) != 64 || p.NV != 2 || p.NE != 4 || p.States != nil {
		t.Fatalf("%d pairs, len(v) = %d, len(e) = %d, |V| = %d, |E| = %d, states %v", p.N, len(v), len(e), p.NV, p.NE, p.States)
	}
	// sample 0 at origin 3: V = sites 3,4; E = sites 0,1 (left) and 6,7 (right)
	k := 3
	wantV := []int8{data[3], data[4]}
	wantE := []int8{data[0], data[1], data[6], data[7]}
	if !slices.Equal(v[2*k:2*k+2], wantV) || !slices.Equal(e[4*k:4*k+4], wantE) {
		t.Fatalf("pair 3: v = %v e = %v, want %v %v", v[2*k:2*k+2], e[4*k:4*k+4], wantV, wantE)
	}
	other, _ := lattice.NewChain(16)
	ds2, _ := sample.NewDataset(other.Geometry(), data)
	if _, err := r.Pairs(ds2); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("mismatched geometry: err = %v", err)
	}
}

func TestRegionsErrors(t *testing.T) {
	sq, _ := lattice.NewSquare(8)
	g := sq.Geometry()
	for _, tc := range []struct {
		block []int
		opts  RegionOptions
		want  string
	}{
		{[]int{9, 2}, RegionOptions{Buffer: 0, Env: 1}, "larger than the lattice"},
		{[]int{2, 2}, RegionOptions{Buffer: 3, Env: 1}, "leaves no room for the environment"},
		{[]int{2, 2}, RegionOptions{Buffer: 1, Env: 3}, "wrap onto itself"},
		{[]int{2}, RegionOptions{Buffer: 1, Env: 1}, "has 1 axes"},
		{[]int{2, 2}, RegionOptions{Buffer: -1, Env: 1}, "negative"},
		{[]int{2, 2}, RegionOptions{Buffer: 1, Env: -1}, "smaller than 1"},
		{[]int{0, 2}, RegionOptions{Buffer: 1, Env: 1}, "smaller than 1"},
		{[]int{2, 2}, RegionOptions{Buffer: 1, Env: 1, ExcludeV: func(int) bool { return true }}, "V holds no"},
	} {
		_, err := NewRegions(g, tc.block, &tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("block %v, %+v: err = %v, want %q", tc.block, tc.opts, err, tc.want)
		}
	} // issue 14.7: the accessors of a position outside [0, NumPositions())
	// return nil instead of panicking; the calls taking positions name them
	r, err := NewRegions(g, []int{2, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []int{-1, r.NumPositions()} {
		if r.E(p) != nil || r.V(p) != nil || r.B(p) != nil || r.Hidden(p) != nil || r.Interior(p) != nil || r.ExcludedE(p) != nil || r.Origin(p) != nil {
			t.Errorf("position %d: accessors return lists", p)
		}
	}
	ds, _ := sample.NewDataset(g, randomSpins(64, 1))
	if _, err := r.PairsAt(ds, []int{-1}); err == nil || !strings.Contains(err.Error(), "position -1 outside [0,64)") {
		t.Errorf("PairsAt(−1): error %v", err)
	}
	if r.Buffer() != 0 || r.Env() != 1 {
		t.Errorf("nil options: buffer %d, environment %d; want the defaults 0 and 1", r.Buffer(), r.Env())
	}
}

// TestSpreadPairs checks the pair count min(pairs, ⌈pairs/N⌉·N), that the
// positions are distinct, that the kept pairs are spread evenly over all
// (sample, position) pairs, and that every kept pair is the block at its
// position in its configuration.
func TestSpreadPairs(t *testing.T) {
	sq, _ := lattice.NewSquare(8)
	const N = 7
	ds, err := sample.NewDataset(sq.Geometry(), randomSpins(N*64, 2))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegions(ds.Geom, []int{2, 2}, &RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, pairs := range []int{1, 20, 21, 30, 1000} {
		p, pos, err := reg.SpreadPairs(ds, pairs, rand.NewPCG(3, 4))
		if err != nil {
			t.Fatal(err)
		}
		per := min(reg.NumPositions(), (pairs+N-1)/N)
		n := min(pairs, per*N)
		if len(pos) != per || p.N != n || p.Validate() != nil {
			t.Fatalf("pairs %d: %d positions, %d pairs (%v); want %d positions, %d pairs", pairs, len(pos), p.N, p.Validate(), per, n)
		}
		seen := map[int]bool{}
		for _, q := range pos {
			if seen[q] {
				t.Fatalf("pairs %d: position %d twice in %v", pairs, q, pos)
			}
			seen[q] = true
		}
		samples := map[int]bool{}
		for k := 0; k < n; k++ {
			j := k * per * N / n
			row, q := ds.Row(j/per), pos[j%per]
			samples[j/per] = true
			for i, d := range reg.V(q) {
				if p.V[k*reg.NV()+i] != row[d] {
					t.Fatalf("pairs %d: pair %d, v[%d] is not dof %d of configuration %d", pairs, k, i, d, j/per)
				}
			}
		}
		if n >= N && len(samples) != N {
			t.Errorf("pairs %d: the pairs come from %d of the %d samples", pairs, len(samples), N)
		}
	}
}

// TestPairsStates checks that Regions.Pairs carries the dataset's states and
// that a value outside them is an error naming the sample and dof.
func TestPairsStates(t *testing.T) {
	l, _ := lattice.NewChain(8)
	r, _ := NewRegions(l.Geometry(), []int{2}, &RegionOptions{Buffer: 1, Env: 2})
	data := []int8{0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2}
	ds := &sample.Dataset{N: 2, D: 8, Data: data, Geom: l.Geometry(), States: []int8{0, 1, 2}}
	p, err := r.Pairs(ds)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.States, ds.States) || p.Validate() != nil {
		t.Errorf("pairs' states %v (%v), want %v", p.States, p.Validate(), ds.States)
	}
	data[13] = 3
	if _, err := r.Pairs(ds); err == nil || !strings.Contains(err.Error(), "value 3 of sample 1 at dof 5") {
		t.Errorf("value 3: error %v", err)
	}
}
