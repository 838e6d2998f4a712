package exponent

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// The two-pass MCRG of the module before the streaming accumulator: every
// configuration's operator values at every level kept in memory, centred on
// their mean, moments summed in float64. It is the reference of
// TestMCRGMatchesTwoPass.

type refMoments struct {
	p      int
	m      []float64
	sx, sy [][]float64
	sxy    [][]float64
}

func newRefMoments(blocks, p int) *refMoments {
	mo := &refMoments{p: p, m: make([]float64, blocks)}
	for b := 0; b < blocks; b++ {
		mo.sx = append(mo.sx, make([]float64, p))
		mo.sy = append(mo.sy, make([]float64, p))
		mo.sxy = append(mo.sxy, make([]float64, p*p))
	}
	return mo
}

func (mo *refMoments) add(b int, x, y []float64) {
	mo.m[b]++
	p := mo.p
	for i := 0; i < p; i++ {
		mo.sx[b][i] += x[i]
		mo.sy[b][i] += y[i]
		for j := 0; j < p; j++ {
			mo.sxy[b][i*p+j] += x[i] * y[j]
		}
	}
}

func (mo *refMoments) cov(idx []int, skip int) *mat.Dense {
	k := len(idx)
	var m float64
	sx, sy, sxy := make([]float64, k), make([]float64, k), make([]float64, k*k)
	p := mo.p
	for b := range mo.m {
		if b == skip {
			continue
		}
		m += mo.m[b]
		for a, i := range idx {
			sx[a] += mo.sx[b][i]
			sy[a] += mo.sy[b][i]
			for c, j := range idx {
				sxy[a*k+c] += mo.sxy[b][i*p+j]
			}
		}
	}
	out := mat.NewDense(k, k, nil)
	for a := 0; a < k; a++ {
		for c := 0; c < k; c++ {
			out.Set(a, c, sxy[a*k+c]/m-(sx[a]/m)*(sy[c]/m))
		}
	}
	return out
}

// refMCRG returns, per level n ≥ 1, the even and odd truncations of the
// two-pass MCRG (serial; chunk c of 64 configurations seeded from src as
// MCRG does).
func refMCRG(t *testing.T, ds *sample.Dataset, lat *lattice.Lattice, rule rsmi.Rule, src rand.Source, levels, blocks int, even, odd []lattice.Operator) [][2][]Truncation {
	ops := append(append([]lattice.Operator(nil), even...), odd...)
	p := len(ops)
	lats := []*lattice.Lattice{lat}
	var bls []*rg.Blocking
	var evs []*lattice.Evaluator
	for n := 0; n <= levels; n++ {
		if n > 0 {
			bl, err := rg.NewBlocking(lats[n-1], 2, rule)
			if err != nil {
				t.Fatal(err)
			}
			bls = append(bls, bl)
			lats = append(lats, bl.Coarse())
		}
		ev, err := lattice.NewEvaluator(lats[n], ops...)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	N := ds.N
	vals := make([][]float64, levels+1)
	for n := range vals {
		vals[n] = make([]float64, N*p)
	}
	var pcg *rand.PCG
	cfg := make([][]int8, levels+1)
	for i := 0; i < N; i++ {
		if i%chunkRows == 0 {
			pcg = rand.NewPCG(src.Uint64(), src.Uint64())
		}
		cfg[0] = ds.Row(i)
		for n := 0; n <= levels; n++ {
			if n > 0 {
				cfg[n] = bls[n-1].Apply(cfg[n], cfg[n-1], pcg)
			}
			evs[n].Values(vals[n][i*p:(i+1)*p], cfg[n])
		}
	}
	for n := 0; n <= levels; n++ {
		mean := make([]float64, p)
		for i := 0; i < N; i++ {
			for a := 0; a < p; a++ {
				mean[a] += vals[n][i*p+a]
			}
		}
		for i := 0; i < N; i++ {
			for a := 0; a < p; a++ {
				vals[n][i*p+a] -= mean[a] / float64(N)
			}
		}
	}
	self, cross := make([]*refMoments, levels+1), make([]*refMoments, levels+1)
	for n := range self {
		self[n], cross[n] = newRefMoments(blocks, p), newRefMoments(blocks, p)
	}
	for b := 0; b < blocks; b++ {
		lo, hi := sample.BlockBounds(N, blocks, b)
		for i := lo; i < hi; i++ {
			for n := 0; n <= levels; n++ {
				x := vals[n][i*p : (i+1)*p]
				self[n].add(b, x, x)
				if n > 0 {
					cross[n].add(b, x, vals[n-1][i*p:(i+1)*p])
				}
			}
		}
	}
	var out [][2][]Truncation
	for n := 1; n <= levels; n++ {
		var lv [2][]Truncation
		for g, sec := range [][2]int{{0, len(even)}, {len(even), len(odd)}} {
			for k := 1; k <= sec[1]; k++ {
				idx := make([]int, k)
				for a := range idx {
					idx[a] = sec[0] + a
				}
				A, B := make([]*mat.Dense, blocks+1), make([]*mat.Dense, blocks+1)
				for s := -1; s < blocks; s++ {
					A[s+1], B[s+1] = self[n].cov(idx, s), cross[n].cov(idx, s)
				}
				tr, err := truncation(A, B, k, 2)
				if err != nil {
					t.Fatal(err)
				}
				lv[g] = append(lv[g], tr)
			}
		}
		out = append(out, lv)
	}
	return out
}

// relDiff returns |a − b| / max(|a|, |b|, tiny).
func relDiff(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-300)
}
