package exponent

import (
	"bytes"
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

var (
	pottsOnce sync.Once
	pottsLat  *lattice.Lattice
	pottsData *sample.Dataset
	pottsErr  error
)

// criticalPotts returns 8000 configurations of the 2D 3-state Potts model
// on a 32×32 torus at T_c = 1/ln(1+√3), one Swendsen–Wang sweep apart (two
// chains of 4000 after 200 sweeps of burn-in), shared by the tests of this
// file.
func criticalPotts(t *testing.T) (*lattice.Lattice, *sample.Dataset) {
	pottsOnce.Do(func() {
		if pottsLat, pottsErr = lattice.NewSquare(32); pottsErr != nil {
			return
		}
		m, err := lattice.NewPotts(pottsLat, 3, 1)
		if err != nil {
			pottsErr = err
			return
		}
		pottsData, pottsErr = sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
			return sample.NewPottsSwendsenWang(m, lattice.PottsSquareTc(3, 1), src)
		}, sample.Plan{Chains: 2, BurnIn: 200, Every: 1, PerChain: 4000}, rand.NewPCG(7, 8))
	})
	if pottsErr != nil {
		t.Fatal(pottsErr)
	}
	return pottsLat, pottsData
}

// TestMCRGPotts2D checks Monte Carlo RG of the critical 3-state Potts
// model with 2×2 plurality rule on 8000 configurations of 32×32: at level 2
// (8×8 against 16×16) with four even and four odd Potts operators,
// y_t = 6/5 within 0.1 and y_h = 28/15 within 0.01.
func TestMCRGPotts2D(t *testing.T) {
	lat, ds := criticalPotts(t)
	res, err := MCRG(context.Background(), ds, lat, rand.NewPCG(3, 4), &MCRGOptions{Levels: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.EvenNames[0] != "δnn" || res.OddNames[0] != "φ" {
		t.Errorf("default operators %v, %v: want the Potts sets", res.EvenNames, res.OddNames)
	}
	nu, yh, _ := lattice.PottsExponents2D(3)
	for _, lv := range res.Levels {
		e, o := lv.Even[3], lv.Odd[3]
		t.Logf("level %d (side %d): y_t = %.4f ± %.4f, y_h = %.5f ± %.5f", lv.Level, lv.Extents[0], e.Y, e.YErr, o.Y, o.YErr)
		if lv.Level == 2 && (abs(e.Y-1/nu) > 0.1 || abs(o.Y-yh) > 0.01) {
			t.Errorf("level 2: y_t = %.4f (exact %.4f), y_h = %.5f (exact %.5f)", e.Y, 1/nu, o.Y, yh)
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestMCRGPottsQ2IsIsing checks the q-state path against the ±1 path: the
// critical Ising configurations written as 2-state Potts variables
// σ = (1 + s)/2 and coarse-grained by plurality rule draw exactly the
// majority rule's coarse spins (a tie is state 0, s = −1, iff the draw is
// below 2^63), and the Potts operators span the same sectors as the spin
// products (δnn, δnnn, δplaquette ↔ nn, nnn, plaquette; φ, φδL3 ↔ field,
// L3), so every eigenvalue agrees within rounding.
func TestMCRGPottsQ2IsIsing(t *testing.T) {
	lat, ds := criticalIsing(t)
	ds = subset(t, ds, 2000)
	ising, err := MCRG(context.Background(), ds, lat, rand.NewPCG(1, 1), &MCRGOptions{Levels: 3,
		Even: []lattice.Operator{lattice.NearestNeighbor(2), lattice.NextNearest(2), lattice.Plaquette(2)},
		Odd:  []lattice.Operator{lattice.Field(2), mustOdd(t, 2)[1]}})
	if err != nil {
		t.Fatal(err)
	}
	pds, err := sample.NewDataset(ds.Geom, make([]int8, len(ds.Data)))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range ds.Data {
		pds.Data[i] = (s + 1) / 2
	}
	pds.States = []int8{0, 1}
	even, _ := lattice.PottsEvenOperators(2, 3)
	odd, _ := lattice.PottsOddOperators(2, 4)
	potts, err := MCRG(context.Background(), pds, lat, rand.NewPCG(1, 1), &MCRGOptions{Levels: 3, Even: even,
		Odd: []lattice.Operator{odd[0], odd[3]}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ising.Levels {
		a, b := ising.Levels[i], potts.Levels[i]
		// Truncations to the first k operators span the same space only
		// for all of them.
		sameTruncation(t, "even", a.Even[2], b.Even[2], 1e-9)
		sameTruncation(t, "odd", a.Odd[1], b.Odd[1], 1e-9)
	}
}

func mustOdd(t *testing.T, n int) []lattice.Operator {
	ops, err := lattice.OddOperators(2, n)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// TestMCRGPottsStreamDeterministic checks that a q-state stream with a
// plurality and a soft softmax rule gives the same bytes whatever the
// batches and GOMAXPROCS, and that it refuses values outside the states
// and rules of other alphabets.
func TestMCRGPottsStreamDeterministic(t *testing.T) {
	lat, ds := criticalPotts(t)
	ds = subset(t, ds, 1500)
	st3 := []int8{0, 1, 2}
	soft := &rsmi.SoftmaxFilter{NH: 1, NV: 4, VStates: st3, HStates: st3, W: make([]float64, 36)}
	for a := range 3 {
		for i := range 4 {
			soft.W[(a*4+i)*3+a] = 0.9
		}
	}
	rules := []rsmi.Rule{rsmi.Plurality{Values: st3}, soft}
	opts := &MCRGOptions{Blocks: 5, Levels: 3, States: st3}
	var states [][]byte
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct {
		procs int
		sizes []int
	}{{1, []int{ds.N}}, {4, []int{1, 63, 200, 7}}} {
		runtime.GOMAXPROCS(c.procs)
		st, err := NewMCRGStream(lat, ds.N, rules, rand.NewPCG(5, 6), opts)
		if err != nil {
			t.Fatal(err)
		}
		feed(t, st, ds, 0, ds.N, c.sizes...)
		states = append(states, stateOf(t, st))
		for r := range rules {
			if _, err := st.Result(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !bytes.Equal(states[0], states[1]) {
		t.Error("the q-state stream's state depends on the batches or GOMAXPROCS")
	}
	st, _ := NewMCRGStream(lat, ds.N, rules, rand.NewPCG(5, 6), opts)
	bad := append([]int8(nil), ds.Data[:ds.D]...)
	bad[17] = 3
	if err := st.Add(context.Background(), 0, bad); err == nil {
		t.Error("a value 3 in 3-state data: no error")
	}
	for _, r := range []rsmi.Rule{rsmi.Majority{}, rsmi.Plurality{Values: []int8{0, 1, 2, 3}}} {
		if _, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{r}, rand.NewPCG(5, 6), opts); err == nil {
			t.Errorf("rule %#v on 3-state blocks: no error", r)
		}
	}
	if _, err := NewMCRGStream(lat, ds.N, rules, rand.NewPCG(5, 6), &MCRGOptions{States: []int8{1, 2, 3}}); err == nil {
		t.Error("states {1, 2, 3}: no error")
	}
}

// BenchmarkMCRGPotts measures MCRGStream.Add on 3-state Potts
// configurations (2D, L = 64, 3 levels, 8 even and 6 odd Potts operators)
// with plurality rule and a soft plurality softmax rule, in CPU time per
// configuration.
func BenchmarkMCRGPotts(b *testing.B) {
	lat, _ := lattice.NewSquare(64)
	m, _ := lattice.NewPotts(lat, 3, 1)
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
		return sample.NewPottsSwendsenWang(m, lattice.PottsSquareTc(3, 1), src)
	}, sample.Plan{Chains: 1, BurnIn: 50, Every: 1, PerChain: 200}, rand.NewPCG(1, 2))
	if err != nil {
		b.Fatal(err)
	}
	st3 := []int8{0, 1, 2}
	soft := &rsmi.SoftmaxFilter{NH: 1, NV: 4, VStates: st3, HStates: st3, W: make([]float64, 36)}
	for a := range 3 {
		for i := range 4 {
			soft.W[(a*4+i)*3+a] = 1
		}
	}
	even, _ := lattice.PottsEvenOperators(2, 8)
	odd, _ := lattice.PottsOddOperators(2, 6)
	for _, v := range []struct {
		name string
		rule rsmi.Rule
	}{{"plurality", rsmi.Plurality{Values: st3}}, {"soft", soft}} {
		b.Run(v.name, func(b *testing.B) {
			o := &MCRGOptions{Levels: 3, Even: even, Odd: odd, Blocks: 10, States: st3}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				st, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{v.rule}, rand.NewPCG(1, 2), o)
				if err != nil {
					b.Fatal(err)
				}
				if err := st.Add(context.Background(), 0, ds.Data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(ds.N), "cpu-ns/config")
		})
	}
}
