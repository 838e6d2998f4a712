package exponent

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// sameTruncation compares two truncations within rel (0: bit for bit).
func sameTruncation(t *testing.T, what string, a, b Truncation, rel float64) {
	t.Helper()
	if a.NumOps != b.NumOps || len(a.Eigenvalues) != len(b.Eigenvalues) {
		t.Fatalf("%s: shapes differ: %+v vs %+v", what, a, b)
	}
	d := max(relDiff(a.Y, b.Y), relDiff(a.YErr, b.YErr), relDiff(a.Lambda, b.Lambda), relDiff(a.LambdaErr, b.LambdaErr))
	// Eigenvalues relative to the leading one (the small ones are
	// differences of large numbers).
	for i := range a.Eigenvalues {
		d = max(d, cmplx.Abs(a.Eigenvalues[i]-b.Eigenvalues[i])/a.Lambda)
	}
	if d > rel || (rel == 0 && d != 0) {
		t.Errorf("%s: relative difference %.3g: y = %.15g ± %.15g vs %.15g ± %.15g, λ = %v vs %v",
			what, d, a.Y, a.YErr, b.Y, b.YErr, a.Eigenvalues, b.Eigenvalues)
	}
}

func sameResult(t *testing.T, a, b *MCRGResult, rel float64) {
	t.Helper()
	if len(a.Levels) != len(b.Levels) {
		t.Fatalf("%d vs %d levels", len(a.Levels), len(b.Levels))
	}
	for i := range a.Levels {
		la, lb := a.Levels[i], b.Levels[i]
		if la.Level != lb.Level || len(la.Even) != len(lb.Even) || len(la.Odd) != len(lb.Odd) {
			t.Fatalf("level %d shapes differ", la.Level)
		}
		for k := range la.Even {
			sameTruncation(t, "even", la.Even[k], lb.Even[k], rel)
		}
		for k := range la.Odd {
			sameTruncation(t, "odd", la.Odd[k], lb.Odd[k], rel)
		}
	}
}

// TestMCRGMatchesTwoPass checks MCRG (the streaming accumulator with exact
// integer moments) against the module's former two-pass implementation
// (mcrg_ref_test.go) on the same 20000 critical 32×32 configurations and
// the same random streams: every y, λ, their errors and all eigenvalues of
// every level and truncation (6 even and 5 odd operators) agree within
// 1e-10 relative.
func TestMCRGMatchesTwoPass(t *testing.T) {
	lat, ds := criticalIsing(t)
	even, _ := lattice.EvenOperators(2, 6)
	odd, _ := lattice.OddOperators(2, 5) // line5 wraps on the 4×4 lattice
	ref := refMCRG(t, ds, lat, rsmi.Majority{}, rand.NewPCG(3, 4), 3, 20, even, odd)
	res, err := MCRG(context.Background(), ds, lat, rand.NewPCG(3, 4), &MCRGOptions{Even: even, Odd: odd})
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for n, lv := range res.Levels {
		for g, trs := range [][]Truncation{lv.Even, lv.Odd} {
			for k, tr := range trs {
				sameTruncation(t, "vs two-pass", tr, ref[n][g][k], 1e-10)
				worst = max(worst, relDiff(tr.Y, ref[n][g][k].Y), relDiff(tr.YErr, ref[n][g][k].YErr))
			}
		}
	}
	t.Logf("largest relative difference of y and its error: %.2g", worst)
}

// tieUp is majority rule with ties broken towards +1 (no draws).
type tieUp struct{}

func (tieUp) Outputs() int            { return 1 }
func (tieUp) States() []int8          { return []int8{-1, 1} }
func (tieUp) Check(int, []int8) error { return nil }
func (t tieUp) Cond(v []int8, p []float64) {
	h := []int8{0}
	t.Apply(h, v, nil)
	p[0], p[1] = float64(1-h[0])/2, float64(1+h[0])/2
}
func (tieUp) Apply(dst, v []int8, src rand.Source) {
	s := 0
	for _, x := range v {
		s += int(x)
	}
	dst[0] = 1
	if s < 0 {
		dst[0] = -1
	}
}

// feed adds ds to st in batches of the given sizes (cycled).
func feed(t *testing.T, st *MCRGStream, ds *sample.Dataset, from, to int, sizes ...int) {
	t.Helper()
	for i, k := from, 0; i < to; k++ {
		j := min(to, i+sizes[k%len(sizes)])
		if err := st.Add(context.Background(), i, ds.Data[i*ds.D:j*ds.D]); err != nil {
			t.Fatal(err)
		}
		i = j
	}
}

func stateOf(t *testing.T, st *MCRGStream) []byte {
	t.Helper()
	b, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMCRGStreamDeterministic checks that the state and results of a
// two-rule stream do not depend on the batches (one configuration at a
// time, odd sizes, everything at once) nor on GOMAXPROCS (1 and 4), and
// that rule 0's result is bit for bit MCRG's with the same source.
func TestMCRGStreamDeterministic(t *testing.T) {
	lat, ds := criticalIsing(t)
	ds = subset(t, ds, 3000)
	rules := []rsmi.Rule{rsmi.Majority{}, tieUp{}}
	opts := &MCRGOptions{Blocks: 7, Levels: 3}
	var states [][]byte
	var results []*MCRGResult
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct {
		procs int
		sizes []int
	}{{1, []int{ds.N}}, {4, []int{ds.N}}, {4, []int{1, 1, 63, 200, 7}}, {1, []int{130, 1}}} {
		runtime.GOMAXPROCS(c.procs)
		st, err := NewMCRGStream(lat, ds.N, rules, rand.NewPCG(5, 6), opts)
		if err != nil {
			t.Fatal(err)
		}
		feed(t, st, ds, 0, ds.N, c.sizes...)
		states = append(states, stateOf(t, st))
		res, err := st.Result(0)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	for i := 1; i < len(states); i++ {
		if !bytes.Equal(states[0], states[i]) {
			t.Errorf("run %d: state differs from run 0", i)
		}
		sameResult(t, results[0], results[i], 0)
	}
	one, err := MCRG(context.Background(), ds, lat, rand.NewPCG(5, 6), &MCRGOptions{Blocks: 7, Levels: 3})
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, results[0], one, 0)
}

// subset returns the first n configurations of ds.
func subset(t *testing.T, ds *sample.Dataset, n int) *sample.Dataset {
	t.Helper()
	out, err := sample.NewDataset(ds.Geom, ds.Data[:n*ds.D])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMCRGStreamResume stops a stream in the middle of a chunk, saves its
// state, restores it into a new stream and continues: the state and the
// results equal those of an uninterrupted stream bit for bit. A stream
// interrupted by a cancelled context continues the same way.
func TestMCRGStreamResume(t *testing.T) {
	lat, ds := criticalIsing(t)
	ds = subset(t, ds, 2000)
	rules := []rsmi.Rule{rsmi.Majority{}, rsmi.Decimation{}}
	opts := &MCRGOptions{Blocks: 10}
	newStream := func() *MCRGStream {
		st, err := NewMCRGStream(lat, ds.N, rules, rand.NewPCG(7, 8), opts)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	whole := newStream()
	feed(t, whole, ds, 0, ds.N, 500)
	want := stateOf(t, whole)

	half := newStream()
	feed(t, half, ds, 0, 1013, 1013) // 1013 = 15·64 + 53: inside a chunk
	saved := stateOf(t, half)
	resumed := newStream()
	if err := resumed.UnmarshalBinary(saved); err != nil {
		t.Fatal(err)
	}
	if resumed.Done() != 1013 {
		t.Fatalf("resumed at %d", resumed.Done())
	}
	feed(t, resumed, ds, 1013, ds.N, 77)
	if !bytes.Equal(stateOf(t, resumed), want) {
		t.Error("resumed stream differs from the uninterrupted one")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cut := newStream()
	err := cut.Add(ctx, 0, ds.Data)
	if !errors.Is(err, context.Canceled) || cut.Done() >= ds.N {
		t.Fatalf("cancelled Add: %v at %d of %d", err, cut.Done(), ds.N)
	}
	feed(t, cut, ds, cut.Done(), ds.N, ds.N)
	if !bytes.Equal(stateOf(t, cut), want) {
		t.Error("stream continued after cancellation differs from the uninterrupted one")
	}
	for r := range rules {
		a, err := whole.Result(r)
		if err != nil {
			t.Fatal(err)
		}
		b, err := resumed.Result(r)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, a, b, 0)
	}
}

// TestMCRGStreamStateErrors feeds UnmarshalBinary corrupt states and states
// of other streams: every one is an error, none panics, and the stream is
// left unchanged.
func TestMCRGStreamStateErrors(t *testing.T) {
	lat, ds := criticalIsing(t)
	ds = subset(t, ds, 300)
	mk := func(n int, seed uint64, o *MCRGOptions) *MCRGStream {
		st, err := NewMCRGStream(lat, n, []rsmi.Rule{rsmi.Majority{}}, rand.NewPCG(seed, 1), o)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := mk(ds.N, 1, &MCRGOptions{Blocks: 5})
	feed(t, st, ds, 0, 100, 100)
	good := stateOf(t, st)
	target := mk(ds.N, 1, &MCRGOptions{Blocks: 5})
	before := stateOf(t, target)
	check := func(what string, data []byte, want string) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s: panic %v", what, r)
			}
		}()
		err := target.UnmarshalBinary(data)
		if err == nil {
			t.Fatalf("%s: accepted", what)
		}
		if want != "" && !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("%s: error %q does not mention %q", what, err, want)
		}
		if !bytes.Equal(stateOf(t, target), before) {
			t.Fatalf("%s: stream changed", what)
		}
	}
	for _, cut := range []int{0, 5, 20, len(good) / 2, len(good) - 1} {
		check("truncated", good[:cut], "")
	}
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 200; i++ {
		bad := slices.Clone(good)
		bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
		check("flipped byte", bad, "")
	}
	// Payloads with a valid checksum but wrong contents.
	payload, err := ckpt.Decode(good, streamKind, streamVersion)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		bad := slices.Clone(payload)
		switch i % 3 {
		case 0:
			bad = bad[:r.IntN(len(bad))]
		case 1:
			bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
		default:
			bad = append(bad, 0)
		}
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic %v", p)
				}
			}()
			return target.UnmarshalBinary(ckpt.Encode(streamKind, streamVersion, bad))
		}()
		if err == nil && i%3 != 1 { // a flipped moment bit is undetectable
			t.Fatalf("altered payload %d accepted", i)
		}
		if err == nil {
			target = mk(ds.N, 1, &MCRGOptions{Blocks: 5})
		}
	}
	check("other length", func() []byte { s := mk(ds.N-1, 1, &MCRGOptions{Blocks: 5}); return stateOf(t, s) }(), "configurations")
	check("other seed", func() []byte { s := mk(ds.N, 2, &MCRGOptions{Blocks: 5}); return stateOf(t, s) }(), "random seeds")
	check("other blocks", func() []byte { s := mk(ds.N, 1, &MCRGOptions{Blocks: 6}); return stateOf(t, s) }(), "jackknife blocks")
	check("other first level", func() []byte { s := mk(ds.N, 1, &MCRGOptions{Blocks: 5, FirstLevel: 2}); return stateOf(t, s) }(), "first level")
	check("not a state", []byte("hello"), "")
	if err := target.UnmarshalBinary(good); err != nil || target.Done() != 100 {
		t.Fatalf("good state: %v, at %d", err, target.Done())
	}
}

// TestMCRGStreamFirstLevel checks that skipping the level-0 operators
// (FirstLevel = 2) leaves levels ≥ 2 bit for bit unchanged.
func TestMCRGStreamFirstLevel(t *testing.T) {
	lat, ds := criticalIsing(t)
	ds = subset(t, ds, 4000)
	all, err := MCRG(context.Background(), ds, lat, rand.NewPCG(1, 2), &MCRGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	skip, err := MCRG(context.Background(), ds, lat, rand.NewPCG(1, 2), &MCRGOptions{FirstLevel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(skip.Levels) != 2 || skip.Levels[0].Level != 2 {
		t.Fatalf("levels %+v", skip.Levels)
	}
	sameResult(t, &MCRGResult{Levels: all.Levels[1:]}, skip, 0)
}

// badRule outputs 0.
type badRule struct{ tieUp }

func (badRule) Apply(dst, v []int8, src rand.Source) { dst[0] = 0 }

// TestMCRGStreamErrors checks the stream's refusals.
func TestMCRGStreamErrors(t *testing.T) {
	lat, ds := criticalIsing(t)
	ds = subset(t, ds, 200)
	ctx := context.Background()
	src := rand.NewPCG(1, 2)
	maj := []rsmi.Rule{rsmi.Majority{}}
	badinput.Sweep(t, "exponent:", badinput.Calls{
		{"NewMCRGStream nil lattice", func() (any, error) { return NewMCRGStream(nil, 100, maj, src, nil) }},
		{"NewMCRGStream no rules", func() (any, error) { return NewMCRGStream(lat, 100, nil, src, nil) }},
		{"NewMCRGStream nil rule", func() (any, error) { return NewMCRGStream(lat, 100, []rsmi.Rule{rsmi.Majority{}, nil}, src, nil) }},
		{"NewMCRGStream two outputs", func() (any, error) { return NewMCRGStream(lat, 100, []rsmi.Rule{rsmi.Majority{}, twoOut{}}, src, nil) }},
		{"NewMCRGStream nil source", func() (any, error) { return NewMCRGStream(lat, 100, maj, nil, nil) }},
		{"NewMCRGStream few configurations", func() (any, error) { return NewMCRGStream(lat, 39, maj, src, nil) }},
		{"NewMCRGStream huge", func() (any, error) { return NewMCRGStream(lat, sizetest.Big, maj, src, nil) }},
		{"NewMCRGStream first level", func() (any, error) { return NewMCRGStream(lat, 100, maj, src, &MCRGOptions{FirstLevel: 4}) }},
		{"NewMCRGStream negative first level", func() (any, error) { return NewMCRGStream(lat, 100, maj, src, &MCRGOptions{FirstLevel: -1}) }},
	})
	st, err := NewMCRGStream(lat, ds.N, maj, src, &MCRGOptions{Blocks: 4})
	if err != nil {
		t.Fatal(err)
	}
	row := ds.Data[:ds.D]
	if _, err := st.Result(0); err == nil {
		t.Error("result of an empty stream")
	}
	for _, c := range []struct {
		name  string
		first int
		rows  []int8
	}{
		{"wrong first index", 1, row},
		{"partial configuration", 0, row[:10]},
		{"not ±1", 0, append(slices.Clone(row[:ds.D-1]), 0)},
		{"beyond N", 0, ds.Data[: ds.D*ds.N+0 : ds.D*ds.N]},
	} {
		rows := c.rows
		if c.name == "beyond N" {
			rows = append(slices.Clone(ds.Data), row...)
		}
		if err := st.Add(ctx, c.first, rows); err == nil {
			t.Errorf("%s accepted", c.name)
		} else if st.Done() != 0 {
			t.Errorf("%s: stream moved to %d", c.name, st.Done())
		}
	}
	feed(t, st, ds, 0, ds.N, 50)
	if _, err := st.Result(1); err == nil {
		t.Error("rule index 1 of 1 accepted")
	}
	bad, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{badRule{}}, src, &MCRGOptions{Blocks: 4})
	if err != nil {
		t.Fatal(err)
	}
	bad.tables[0] = nil // the Apply path, which checks the outputs
	if err := bad.Add(ctx, 0, ds.Data); err == nil {
		t.Error("rule with output 0 accepted")
	}
	if _, err := bad.Result(0); err == nil {
		t.Error("result of a broken stream")
	}
}

// condMajority is majority rule as another type (every rsmi.Rule gives
// its conditional probabilities, so MCRGStream tabulates it).
type condMajority struct{ rsmi.Majority }

// softRule draws h with P(h|v) ∝ exp(λ h Σv); its Apply uses the
// tabulated path's convention, so both paths give the same bits.
type softRule struct{ lambda float64 }

func (softRule) Outputs() int            { return 1 }
func (softRule) States() []int8          { return []int8{-1, 1} }
func (softRule) Check(int, []int8) error { return nil }
func (r softRule) Cond(v []int8, p []float64) {
	s := 0
	for _, x := range v {
		s += int(x)
	}
	p[0] = 1 / (1 + math.Exp(2*r.lambda*float64(s)))
	p[1] = 1 - p[0]
}
func (r softRule) Apply(dst, v []int8, src rand.Source) {
	p := make([]float64, 2)
	r.Cond(v, p)
	dst[0] = 1
	if src.Uint64() < xrand.Threshold64(p[0]) {
		dst[0] = -1
	}
}

// nanRule gives NaN probabilities.
type nanRule struct{ softRule }

func (nanRule) Cond(v []int8, p []float64) { p[0], p[1] = math.NaN(), math.NaN() }

// TestMCRGStreamTabulatedRules checks the lookup-table path of rules that
// give P(h|v): majority with Cond reproduces rsmi.Majority (Apply, fair coin
// on ties) bit for bit, and a soft rule gives the same bits through its
// table and through Apply. A rule with invalid probabilities is refused.
func TestMCRGStreamTabulatedRules(t *testing.T) {
	lat, ds := criticalIsing(t)
	ds = subset(t, ds, 1500)
	tab, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{condMajority{}, softRule{0.5}}, rand.NewPCG(3, 3), &MCRGOptions{Blocks: 5})
	if err != nil {
		t.Fatal(err)
	}
	app, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{rsmi.Majority{}, softRule{0.5}}, rand.NewPCG(3, 3), &MCRGOptions{Blocks: 5})
	if err != nil {
		t.Fatal(err)
	}
	if tab.tables[0] == nil || tab.tables[1] == nil {
		t.Fatal("rules with Cond not tabulated")
	}
	app.tables[0], app.tables[1] = nil, nil // the Apply path (the workers are built by the first Add)
	feed(t, tab, ds, 0, ds.N, 300)
	feed(t, app, ds, 0, ds.N, ds.N)
	for r := 0; r < 2; r++ {
		x, err := tab.Result(r)
		if err != nil {
			t.Fatal(err)
		}
		y, err := app.Result(r)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, x, y, 0)
	}
	if !bytes.Equal(stateOf(t, tab), stateOf(t, app)) {
		t.Error("tabulated and applied rules give different moments")
	}
	if _, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{nanRule{}}, rand.NewPCG(3, 3), nil); err == nil {
		t.Error("rule with NaN probabilities accepted")
	}
}

// TestMCRGStreamAllocs checks that Add allocates per chunk of 64
// configurations (its random streams) and per call (goroutines), never per
// configuration, and that the stream's own memory does not grow with the
// data.
func TestMCRGStreamAllocs(t *testing.T) {
	lat, ds := criticalIsing(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, rule := range []rsmi.Rule{rsmi.Majority{}, condMajority{}} {
		st, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{rule}, rand.NewPCG(1, 1), &MCRGOptions{Blocks: 4})
		if err != nil {
			t.Fatal(err)
		}
		feed(t, st, ds, 0, 64, 64) // workers allocated
		at := 64
		allocs := func(k int) float64 {
			return testing.AllocsPerRun(3, func() {
				if err := st.Add(context.Background(), at, ds.Data[at*ds.D:(at+k)*ds.D]); err != nil {
					t.Fatal(err)
				}
				at += k
			})
		}
		one, ten := allocs(64), allocs(640)
		t.Logf("%T: %.0f allocations for 64 configurations, %.0f for 640", rule, one, ten)
		if perChunk := (ten - one) / 9; perChunk > 4 || one > 20 {
			t.Errorf("%T: %.0f allocations for one chunk, %.1f per further chunk", rule, one, perChunk)
		}
	}
}

// TestBlockOf checks the jackknife block of every configuration against
// sample.BlockBounds.
func TestBlockOf(t *testing.T) {
	for _, c := range [][2]int{{20, 2}, {21, 2}, {3000, 7}, {101, 50}, {1013, 20}} {
		n, blocks := c[0], c[1]
		for k := 0; k < blocks; k++ {
			lo, hi := sample.BlockBounds(n, blocks, k)
			for i := lo; i < hi; i++ {
				if b, l, h := blockOf(n, blocks, i); b != k || l != lo || h != hi {
					t.Fatalf("n %d, %d blocks, configuration %d: block %d [%d,%d), want %d [%d,%d)", n, blocks, i, b, l, h, k, lo, hi)
				}
			}
		}
	}
}
