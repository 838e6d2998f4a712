package sample_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/canceltest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// TestPilotEvery checks the pilot run's interval against its definition:
// at T → ∞ (a tiny coupling) every Wolff cluster is one spin, so one sweep
// of an 8×8 lattice is 64 clusters; at low T a cluster is nearly the whole
// lattice, so a sweep is about one cluster; a sweep sampler needs no pilot;
// a dimer loop sampler takes its own SweepSteps after the pilot's steps.
func TestPilotEvery(t *testing.T) {
	ctx := context.Background()
	sq, _ := lattice.NewSquare(8)
	m, _ := lattice.NewNearestNeighborIsing(sq, 1)
	wolff := func(T float64) sample.Factory {
		return func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(m, T, src) }
	}
	for _, c := range []struct {
		name string
		f    sample.Factory
		opts *sample.PilotOptions
		want int
	}{
		{"Wolff T = 1e9", wolff(1e9), &sample.PilotOptions{Warm: 10, Measure: 100}, 64},
		{"Wolff T = 1e9, 2.5 sweeps", wolff(1e9), &sample.PilotOptions{Sweeps: 2.5, Warm: 10, Measure: 100}, 160},
		{"Wolff T = 0.5", wolff(0.5), &sample.PilotOptions{Warm: 100, Measure: 100}, 1},
		{"Metropolis", func(src rand.Source) (sample.Sampler, error) { return sample.NewMetropolis(m, 2, src) }, nil, 1},
		{"Metropolis 2.6 sweeps", func(src rand.Source) (sample.Sampler, error) { return sample.NewMetropolis(m, 2, src) },
			&sample.PilotOptions{Sweeps: 2.6}, 3},
	} {
		if got, err := sample.PilotEvery(ctx, c.f, rand.NewPCG(1, 2), c.opts); err != nil || got != c.want {
			t.Errorf("%s: PilotEvery = %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	dm, _ := lattice.NewDimer(8, lattice.DimerOptions{V: -1})
	loop := func(src rand.Source) (sample.Sampler, error) { return sample.NewDimerLoop(dm, 0.8, src) }
	ref, _ := sample.NewDimerLoop(dm, 0.8, rand.NewPCG(3, 4))
	for range 30 {
		ref.Step()
	}
	if got, err := sample.PilotEvery(ctx, loop, rand.NewPCG(3, 4), &sample.PilotOptions{Warm: 10, Measure: 20}); err != nil || got != ref.SweepSteps() {
		t.Errorf("DimerLoop: PilotEvery = %d, %v; want SweepSteps after 30 loops = %d", got, err, ref.SweepSteps())
	}
	// Cancellation stops the pilot at its next check.
	cctx := canceltest.After(2)
	if _, err := sample.PilotEvery(cctx, wolff(2.3), rand.NewPCG(1, 2), &sample.PilotOptions{Warm: 1 << 20}); !errors.Is(err, context.Canceled) || cctx.Calls() != 2 {
		t.Errorf("cancelled pilot: %v after %d checks", err, cctx.Calls())
	}
}

// TestPilotOptionsDefaults checks that nil and zero options are the
// documented defaults: 1 sweep, 200 + 200 pilot steps.
func TestPilotOptionsDefaults(t *testing.T) {
	sq, _ := lattice.NewSquare(8)
	m, _ := lattice.NewNearestNeighborIsing(sq, 1)
	f := func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(m, 2.3, src) }
	var got []int
	for _, o := range []*sample.PilotOptions{nil, {}, {Sweeps: 1, Warm: 200, Measure: 200}} {
		n, err := sample.PilotEvery(context.Background(), f, rand.NewPCG(5, 6), o)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if got[0] != got[2] || got[1] != got[2] {
		t.Errorf("nil, zero and explicit default options give %v", got)
	}
}

// shuffled is a Potts model whose States lists its values unsorted.
type shuffled struct{ *Potts }

func (shuffled) States() []int8 { return []int8{2, 0, 1} }

// TestCollectStates checks that Collect records the values of a q-state
// model's dofs (sorted) in Dataset.States, nil for ±1 spins, and refuses
// chains that disagree; Merge keeps them and refuses a mismatch.
func TestCollectStates(t *testing.T) {
	ctx := context.Background()
	l, _ := lattice.NewSquare(4)
	plan := sample.Plan{Chains: 2, BurnIn: 5, Every: 1, PerChain: 3}
	p3 := &Potts{Lat: l, Q: 3, J: 1}
	potts, err := sample.Collect(ctx, func(src rand.Source) (sample.Sampler, error) {
		return sample.NewHeatBath(shuffled{p3}, 1, src)
	}, plan, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(potts.States, []int8{0, 1, 2}) {
		t.Errorf("Potts dataset States %v, want [0 1 2]", potts.States)
	}
	lp, _ := lattice.NewPotts(l, 3, 1)
	wolff, err := sample.Collect(ctx, func(src rand.Source) (sample.Sampler, error) { return sample.NewPottsWolff(lp, 1, src) },
		plan, rand.NewPCG(1, 1))
	if err != nil || !slices.Equal(wolff.States, []int8{0, 1, 2}) {
		t.Errorf("PottsWolff dataset: %v, States %v, want [0 1 2]", err, wolff.States)
	}
	is, _ := lattice.NewNearestNeighborIsing(l, 1)
	for name, f := range map[string]sample.Factory{
		"Metropolis": func(src rand.Source) (sample.Sampler, error) { return sample.NewMetropolis(is, 2, src) },
		"Wolff":      func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(is, 2, src) },
	} {
		ds, err := sample.Collect(ctx, f, plan, rand.NewPCG(1, 1))
		if err != nil || ds.States != nil {
			t.Errorf("%s: %v, States %v, want nil (±1)", name, err, ds.States)
		}
		if _, err := sample.Merge(ds, potts); err == nil || !strings.Contains(err.Error(), "values") {
			t.Errorf("%s: merging ±1 and Potts data: %v", name, err)
		}
	}
	n := 0
	_, err = sample.Collect(ctx, func(src rand.Source) (sample.Sampler, error) {
		n++
		return sample.NewHeatBath(&Potts{Lat: l, Q: 2 + n, J: 1}, 1, src)
	}, plan, rand.NewPCG(1, 1))
	if err == nil || !strings.Contains(err.Error(), "chain 1") {
		t.Errorf("chains of 3 and 4 states: %v", err)
	}
	both, err := sample.Merge(potts, potts)
	if err != nil || !slices.Equal(both.States, potts.States) {
		t.Errorf("merged Potts data: %v, States %v", err, both.States)
	}
}
