package rg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// flowInput returns 64 correlated ±1 configurations on a 32×32 lattice
// (sums of random local fields, so that the fits are finite).
func flowInput(t testing.TB) (*sample.Dataset, *lattice.Lattice) {
	lat, err := lattice.NewSquare(32)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	n := lat.N()
	data := make([]int8, 64*n)
	for s := range 64 {
		f := make([]float64, n)
		for i := range f {
			f[i] = rng.NormFloat64()
		}
		for i := range n {
			x := f[i]
			for _, j := range lat.Neighbors(i) {
				x += 0.5 * f[j]
			}
			data[s*n+i] = 1
			if x < 0 {
				data[s*n+i] = -1
			}
		}
	}
	ds, err := sample.NewDataset(lat.Geometry(), data)
	if err != nil {
		t.Fatal(err)
	}
	return ds, lat
}

// alternating uses majority rule at even levels and a fixed stochastic
// filter rule at odd ones (exercising both rule encodings and Src).
func alternating(ctx context.Context, level int, fine *sample.Dataset, lat *lattice.Lattice) (Rule, float64, error) {
	if level%2 == 0 {
		return Majority{}, 0.25 * float64(level), nil
	}
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{0.4, 0.6, 0.5, 0.7}, Bias: []float64{0.05}}
	return FilterRule{Filter: f, Stochastic: true}, 0.5, nil
}

func runFlow(ctx context.Context, t testing.TB, ck *run.Checkpoint, progress func(int, int)) ([]FlowLevel, error) {
	ds, lat := flowInput(t)
	return Flow(ctx, ds, lat, FlowOptions{Levels: 3, Rule: alternating, Src: rand.NewPCG(1, 9),
		Operators: []lattice.Operator{lattice.NearestNeighbor(2), lattice.NextNearest(2)},
		Fit:       &FitOptions{Blocks: 4}, Checkpoint: ck, Progress: progress})
}

func flowBytes(levels []FlowLevel) []byte {
	var e ckpt.Enc
	for _, lv := range levels {
		e.Int(lv.Level)
		e.I8s(lv.Data.Data)
		e.String(fmt.Sprint(lv.Lattice.Extents()))
		if lv.Rule != nil {
			encodeRule(&e, lv.Rule)
		}
		e.F64(lv.MI)
		encodeCouplings(&e, lv.Couplings)
	}
	return e.B
}

// TestFlowCheckpointResume interrupts a flow after level 1 (cancelling its
// context), resumes it and requires every level identical, bit for bit, to
// an uninterrupted flow's.
func TestFlowCheckpointResume(t *testing.T) {
	ref, err := runFlow(context.Background(), t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = runFlow(ctx, t, &run.Checkpoint{Dir: dir}, func(level, _ int) {
		if level == 1 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted flow: error %v, want context.Canceled", err)
	}
	var first []int
	got, err := runFlow(context.Background(), t, &run.Checkpoint{Dir: dir, Resume: true}, func(level, _ int) {
		first = append(first, level)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 || first[0] != 2 {
		t.Errorf("resumed flow computed levels %v, want 2, 3", first)
	}
	if !bytes.Equal(flowBytes(got), flowBytes(ref)) {
		t.Error("resumed flow differs from the uninterrupted flow")
	}
	for _, c := range []struct {
		name string
		opts func(o *FlowOptions)
		want string
	}{
		{"seed", func(o *FlowOptions) { o.Src = rand.NewPCG(2, 9) }, "seed"},
		{"operators", func(o *FlowOptions) { o.Operators = o.Operators[:1] }, "operators"},
		{"block", func(o *FlowOptions) { o.B = 4; o.Levels = 2 }, "block side"},
		{"source", func(o *FlowOptions) { o.Src = rand.New(rand.NewPCG(1, 9)) }, "Src"},
	} {
		ds, lat := flowInput(t)
		o := FlowOptions{Levels: 3, Rule: alternating, Src: rand.NewPCG(1, 9),
			Operators: []lattice.Operator{lattice.NearestNeighbor(2), lattice.NextNearest(2)},
			Fit:       &FitOptions{Blocks: 4}, Checkpoint: &run.Checkpoint{Dir: dir, Resume: true}}
		c.opts(&o)
		if _, err := Flow(context.Background(), ds, lat, o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	path := filepath.Join(dir, "rg-flow.ckpt")
	good, _ := os.ReadFile(path)
	os.WriteFile(path, good[:len(good)-1], 0o644)
	if _, err := runFlow(context.Background(), t, &run.Checkpoint{Dir: dir, Resume: true}, nil); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated checkpoint: error %v", err)
	}
}

// FuzzFlowCheckpoint feeds arbitrary payloads to Flow's checkpoint decoder
// and rebuilds the decoded levels. Run for a minute with
//
//	go test -run '^$' -fuzz FuzzFlowCheckpoint -fuzztime 60s ./rg
func FuzzFlowCheckpoint(f *testing.F) {
	dir := f.TempDir()
	if _, err := runFlow(context.Background(), f, &run.Checkpoint{Dir: dir}, nil); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "rg-flow.ckpt"))
	p, err := ckpt.Decode(good, flowKind, flowVersion)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p)
	lat, _ := lattice.NewSquare(8)
	ds, _ := sample.NewDataset(lat.Geometry(), make([]int8, lat.N()))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeFlowState(b)
		if err != nil {
			return
		}
		st.rebuild([]FlowLevel{{Lattice: lat, Data: ds}}, st.fp.b)
	})
}
