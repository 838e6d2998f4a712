package sample

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	exprand "golang.org/x/exp/rand"

	"github.com/rsmi-go/rsmi/internal/size/sizetest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/run"
)

// The golang.org/x/exp/rand sources satisfy math/rand/v2's Source.
var (
	_ rand.Source = (*exprand.PCGSource)(nil)
	_ rand.Source = exprand.NewSource(1)
)

// walker is a tiny fake Sampler: a random walk on ±1 configurations of a
// periodic chain that flips one site chosen by its source per Step.
type walker struct {
	r     *rand.Rand
	g     *lattice.Geometry
	x     []int8
	steps *atomic.Int64 // optional shared step counter
	onStp func(n int64) // optional hook run after each step with the shared count
}

func newWalkerFactory(t testing.TB, L int) Factory {
	lat, err := lattice.NewChain(L)
	if err != nil {
		t.Fatal(err)
	}
	return func(src rand.Source) (Sampler, error) {
		w := &walker{r: rand.New(src), g: lat.Geometry(), x: make([]int8, L)}
		for i := range w.x {
			w.x[i] = int8(1 - 2*w.r.IntN(2))
		}
		return w, nil
	}
}

func (w *walker) Step() {
	i := w.r.IntN(len(w.x))
	w.x[i] = -w.x[i]
	if w.steps != nil {
		n := w.steps.Add(1)
		if w.onStp != nil {
			w.onStp(n)
		}
	}
}
func (w *walker) Config() []int8              { return w.x }
func (w *walker) Geometry() *lattice.Geometry { return w.g }

func TestCollectDeterministicAcrossGOMAXPROCS(t *testing.T) {
	f := newWalkerFactory(t, 12)
	plan := Plan{Chains: 5, BurnIn: 7, Every: 3, PerChain: 40}
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	var ref []byte
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		ds, err := Collect(context.Background(), f, plan, rand.NewPCG(1, 2))
		if err != nil {
			t.Fatal(err)
		}
		if ds.N != 200 || ds.D != 12 || len(ds.Data) != 200*12 {
			t.Fatalf("dataset %d×%d (%d values), want 200×12", ds.N, ds.D, len(ds.Data))
		}
		b := int8Bytes(ds.Data)
		if ref == nil {
			ref = b
			continue
		}
		if !bytes.Equal(b, ref) {
			t.Errorf("GOMAXPROCS=%d gives different bytes from GOMAXPROCS=1", procs)
		}
	}
	// A different seed must give different data (the test would be vacuous
	// if the fake ignored its source).
	ds, err := Collect(context.Background(), f, plan, rand.NewPCG(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(int8Bytes(ds.Data), ref) {
		t.Error("seeds (1,2) and (1,3) give the same data")
	}
}

func int8Bytes(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}

// TestCollectChainOrder replays the documented schedule and seed derivation
// by hand and compares row by row.
func TestCollectChainOrder(t *testing.T) {
	const L = 9
	f := newWalkerFactory(t, L)
	plan := Plan{Chains: 3, BurnIn: 5, Every: 2, PerChain: 11}
	ds, err := Collect(context.Background(), f, plan, rand.NewPCG(7, 8))
	if err != nil {
		t.Fatal(err)
	}
	if !ds.Geom.Equal(mustChain(t, L).Geometry()) {
		t.Error("dataset geometry differs from the chains'")
	}
	master := rand.NewPCG(7, 8)
	var seeds []uint64
	for range 2 * plan.Chains {
		seeds = append(seeds, master.Uint64())
	}
	for c := range plan.Chains {
		s, _ := f(rand.NewPCG(seeds[2*c], seeds[2*c+1]))
		for range plan.BurnIn {
			s.Step()
		}
		for k := range plan.PerChain {
			for range plan.Every {
				s.Step()
			}
			row := ds.Row(c*plan.PerChain + k)
			if !bytes.Equal(int8Bytes(row), int8Bytes(s.Config())) {
				t.Fatalf("chain %d sample %d: got %v, want %v", c, k, row, s.Config())
			}
		}
	}
}

func mustChain(t testing.TB, L int) *lattice.Lattice {
	l, err := lattice.NewChain(L)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCollectExpRandSource: a golang.org/x/exp/rand source plugs into
// Collect as its source and gives deterministic output.
func TestCollectExpRandSource(t *testing.T) {
	f := newWalkerFactory(t, 10)
	run := func(seed uint64) []byte {
		plan := Plan{Chains: 4, BurnIn: 3, Every: 2, PerChain: 25}
		ds, err := Collect(context.Background(), f, plan, exprand.NewSource(seed))
		if err != nil {
			t.Fatal(err)
		}
		return int8Bytes(ds.Data)
	}
	a, b, c := run(1), run(1), run(2)
	if !bytes.Equal(a, b) {
		t.Error("x/exp/rand source with seed 1 gives different data on two runs")
	}
	if bytes.Equal(a, c) {
		t.Error("x/exp/rand seeds 1 and 2 give the same data")
	}
	// The concrete *PCGSource works the same way.
	pcg := &exprand.PCGSource{}
	pcg.Seed(1)
	ds, err := Collect(context.Background(), f, Plan{Chains: 4, BurnIn: 3, Every: 2, PerChain: 25}, pcg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(int8Bytes(ds.Data), a) {
		t.Error("*exprand.PCGSource seeded 1 differs from exprand.NewSource(1)")
	}
}

func TestCollectCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lat := mustChain(t, 8)
	const cancelAt = 500
	var steps, atCancel atomic.Int64
	f := func(src rand.Source) (Sampler, error) {
		w := &walker{r: rand.New(src), g: lat.Geometry(), x: make([]int8, 8), steps: &steps}
		w.onStp = func(n int64) {
			if n == cancelAt {
				cancel()
				// the count once the cancellation has taken effect: until then
				// (however long a busy machine keeps this goroutine from
				// returning) the other chains rightly go on stepping
				atCancel.Store(steps.Load())
			}
		}
		return w, nil
	}
	plan := Plan{Chains: 4, BurnIn: sizetest.Big, Every: 1, PerChain: 1}
	ds, err := Collect(ctx, f, plan, rand.NewPCG(1, 1))
	if ds != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Collect after cancel = (%v, %v), want (nil, context.Canceled)", ds, err)
	}
	// Each chain stops within one step of the cancellation: at most the
	// one it had begun when the context was cancelled.
	if n, c := steps.Load(), atCancel.Load(); c < cancelAt || n > c+int64(plan.Chains) {
		t.Errorf("%d steps taken, %d when the cancellation took effect: want ≤ %d more", n, c, plan.Chains)
	}

	// An already-cancelled context: no chain is even built.
	built := false
	_, err = Collect(ctx, func(rand.Source) (Sampler, error) { built = true; return nil, nil }, plan, rand.NewPCG(1, 1))
	if !errors.Is(err, context.Canceled) || built {
		t.Errorf("pre-cancelled: err %v, factory called %v", err, built)
	}
}

func TestCollectValidation(t *testing.T) {
	f := newWalkerFactory(t, 4)
	src := rand.NewPCG(1, 1)
	for _, c := range []struct {
		plan Plan
		src  rand.Source
		want string
	}{
		{Plan{Chains: 0, Every: 1, PerChain: 1}, src, "Chains"},
		{Plan{Chains: 1, BurnIn: -1, Every: 1, PerChain: 1}, src, "BurnIn"},
		{Plan{Chains: 1, Every: 0, PerChain: 1}, src, "Every"},
		{Plan{Chains: 1, Every: 1, PerChain: 0}, src, "PerChain"},
		{Plan{Chains: 1, Every: 1, PerChain: 1}, nil, "random source"},
		{Plan{Chains: 2, Every: sizetest.Huge, PerChain: 4}, src, "overflow"},
		{Plan{Chains: 2, Every: 1, PerChain: sizetest.Big}, src, "memory budget"},
	} {
		_, err := Collect(context.Background(), f, c.plan, c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("plan %+v: err %v, want one naming %q", c.plan, err, c.want)
		}
	}
	good := Plan{Chains: 2, Every: 1, PerChain: 1}
	if _, err := Collect(context.Background(), nil, good, src); err == nil {
		t.Error("nil factory accepted")
	}
	boom := errors.New("boom")
	n := 0
	_, err := Collect(context.Background(), func(s rand.Source) (Sampler, error) {
		if n++; n == 2 {
			return nil, boom
		}
		return f(s)
	}, good, src)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "chain 1") {
		t.Errorf("factory error: %v, want wrapped boom naming chain 1", err)
	}
	// Chains on different geometries.
	n = 0
	g5 := newWalkerFactory(t, 5)
	_, err = Collect(context.Background(), func(s rand.Source) (Sampler, error) {
		if n++; n == 2 {
			return g5(s)
		}
		return f(s)
	}, good, src)
	if err == nil || !strings.Contains(err.Error(), "geometry") {
		t.Errorf("geometry mismatch: err %v", err)
	}
	// A sampler whose configuration has the wrong length.
	_, err = Collect(context.Background(), func(s rand.Source) (Sampler, error) {
		w, _ := f(s)
		w.(*walker).x = w.(*walker).x[:3]
		return w, nil
	}, good, src)
	if err == nil || !strings.Contains(err.Error(), "3 values") {
		t.Errorf("short configuration: err %v", err)
	}
}

func TestCollectProgress(t *testing.T) {
	f := newWalkerFactory(t, 6)
	var calls [][2]int
	plan := Plan{Chains: 3, BurnIn: 10, Every: 4, PerChain: 50,
		Progress: func(p run.Progress) {
			if p.Stage != "sample.Collect" || !math.IsNaN(p.Value) {
				t.Errorf("progress %+v", p)
			}
			calls = append(calls, [2]int{p.Done, p.Total})
		}}
	if _, err := Collect(context.Background(), f, plan, rand.NewPCG(2, 2)); err != nil {
		t.Fatal(err)
	}
	total := 3 * (10 + 4*50)
	if len(calls) == 0 || calls[len(calls)-1] != [2]int{total, total} {
		t.Fatalf("progress calls %v, want last (%d, %d)", calls, total, total)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] || calls[i][1] != total {
			t.Errorf("progress not monotone or total changed: %v", calls)
		}
	}
}

func BenchmarkCollect(b *testing.B) {
	f := newWalkerFactory(b, 256)
	b.ReportAllocs()
	for b.Loop() {
		_, err := Collect(context.Background(), f, Plan{Chains: 4, BurnIn: 100, Every: 10, PerChain: 100}, rand.NewPCG(1, 2))
		if err != nil {
			b.Fatal(err)
		}
	}
}
