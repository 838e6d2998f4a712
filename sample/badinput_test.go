package sample

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
	"github.com/rsmi-go/rsmi/lattice"
)

// TestBadInputSweep feeds every exported constructor and options type of
// the package invalid values.
func TestBadInputSweep(t *testing.T) {
	sq, _ := lattice.NewSquare(4)
	ch, _ := lattice.NewChain(8)
	is, _ := lattice.NewNearestNeighborIsing(sq, 1)
	dm, _ := lattice.NewDimer(4, lattice.DimerOptions{})
	src := rand.NewPCG(1, 2)
	good, _ := NewDataset(sq.Geometry(), make([]int8, 2*16))
	other, _ := NewDataset(ch.Geometry(), make([]int8, 8))
	nan, inf := math.NaN(), math.Inf(1)
	var cases badinput.Calls
	for _, T := range []float64{0, -1, nan, inf} {
		cases = append(cases, badinput.Calls{
			{"NewMetropolis T=" + ftoa(T), func() (any, error) { return NewMetropolis(is, T, src) }},
			{"NewHeatBath T=" + ftoa(T), func() (any, error) { return NewHeatBath(is, T, src) }},
			{"NewMultispin T=" + ftoa(T), func() (any, error) { return NewMultispin(is, T, src) }},
			{"NewMSC T=" + ftoa(T), func() (any, error) { return NewMSC(is, T, src) }},
			{"NewWolff T=" + ftoa(T), func() (any, error) { return NewWolff(is, T, src) }},
			{"NewSwendsenWang T=" + ftoa(T), func() (any, error) { return NewSwendsenWang(is, T, src) }},
			{"NewDimerLoop T=" + ftoa(T), func() (any, error) { return NewDimerLoop(dm, T, src) }},
		}...)
	}
	plan := Plan{Chains: 2, BurnIn: 1, Every: 1, PerChain: 2}
	factory := func(s rand.Source) (Sampler, error) { return NewMetropolis(is, 2, s) }
	badPlan := func(edit func(p *Plan)) func() (any, error) {
		return func() (any, error) {
			p := plan
			edit(&p)
			return Collect(context.Background(), factory, p, src)
		}
	}
	cases = append(cases, badinput.Calls{
		{"NewDataset nil geometry", func() (any, error) { return NewDataset(nil, make([]int8, 16)) }},
		{"NewDataset empty", func() (any, error) { return NewDataset(sq.Geometry(), nil) }},
		{"NewDataset length mismatch", func() (any, error) { return NewDataset(sq.Geometry(), make([]int8, 17)) }},
		{"NewMetropolis nil model", func() (any, error) { return NewMetropolis(nil, 1, src) }},
		{"NewMetropolis nil source", func() (any, error) { return NewMetropolis(is, 1, nil) }},
		{"NewHeatBath nil model", func() (any, error) { return NewHeatBath(nil, 1, src) }},
		{"NewHeatBath nil source", func() (any, error) { return NewHeatBath(is, 1, nil) }},
		{"NewMultispin nil model", func() (any, error) { return NewMultispin(nil, 1, src) }},
		{"NewMultispin nil source", func() (any, error) { return NewMultispin(is, 1, nil) }},
		{"NewMSC nil model", func() (any, error) { return NewMSC(nil, 1, src) }},
		{"NewMSC nil source", func() (any, error) { return NewMSC(is, 1, nil) }},
		{"NewWolff nil model", func() (any, error) { return NewWolff(nil, 1, src) }},
		{"NewWolff nil source", func() (any, error) { return NewWolff(is, 1, nil) }},
		{"NewSwendsenWang nil model", func() (any, error) { return NewSwendsenWang(nil, 1, src) }},
		{"NewSwendsenWang nil source", func() (any, error) { return NewSwendsenWang(is, 1, nil) }},
		{"NewDimerLoop nil model", func() (any, error) { return NewDimerLoop(nil, 1, src) }},
		{"NewDimerLoop nil source", func() (any, error) { return NewDimerLoop(dm, 1, nil) }},
		{"ShardSource negative shard", func() (any, error) { return ShardSource(1, -1) }},
		{"Merge no parts", func() (any, error) { return Merge() }},
		{"Merge nil part", func() (any, error) { return Merge(good, nil) }},
		{"Merge geometry mismatch", func() (any, error) { return Merge(good, other) }},
		{"Merge inconsistent part", func() (any, error) {
			return Merge(good, &Dataset{N: 3, D: 16, Data: make([]int8, 16), Geom: sq.Geometry()})
		}},
		{"ReadNPY garbage", func() (any, error) { return ReadNPY(strings.NewReader("not an npy file"), nil) }},
		{"ReadNPY empty", func() (any, error) { return ReadNPY(bytes.NewReader(nil), nil) }},
		{"ReadNPY geometry mismatch", func() (any, error) {
			var b bytes.Buffer
			if err := good.WriteNPY(&b); err != nil {
				return nil, err
			}
			return ReadNPY(&b, ch.Geometry())
		}},
		{"ReadNPY truncated", func() (any, error) {
			var b bytes.Buffer
			if err := good.WriteNPY(&b); err != nil {
				return nil, err
			}
			return ReadNPY(bytes.NewReader(b.Bytes()[:b.Len()-3]), nil)
		}},
		{"ReadGeometry garbage", func() (any, error) { return ReadGeometry(strings.NewReader("{")) }},
		{"LoadDataset missing", func() (any, error) { return LoadDataset(filepath.Join(t.TempDir(), "none.npy")) }},
		{"SaveDataset nil", func() (any, error) { return nil, SaveDataset(filepath.Join(t.TempDir(), "x.npy"), nil) }},
		{"SaveDataset missing directory", func() (any, error) {
			return nil, SaveDataset(filepath.Join(t.TempDir(), "no", "x.npy"), good)
		}},
		{"Collect nil factory", func() (any, error) { return Collect(context.Background(), nil, plan, src) }},
		{"Collect nil source", func() (any, error) { return Collect(context.Background(), factory, plan, nil) }},
		{"Collect 2^40 samples (issue 14.3)", badPlan(func(p *Plan) { p.PerChain = sizetest.Big })},
		{"PilotEvery nil factory", func() (any, error) { return nil, pilotErr(PilotEvery(context.Background(), nil, src, nil)) }},
		{"PilotEvery NaN sweeps", func() (any, error) {
			return nil, pilotErr(PilotEvery(context.Background(), factory, src, &PilotOptions{Sweeps: nan}))
		}},
		{"PilotEvery 1e300 sweeps (became 1 step)", func() (any, error) {
			return nil, pilotErr(PilotEvery(context.Background(), factory, src, &PilotOptions{Sweeps: 1e300}))
		}},
		{"Dataset.Validate nil geometry", func() (any, error) { return nil, (&Dataset{N: 1, D: 4, Data: make([]int8, 4)}).Validate() }},
		{"Dataset.Validate lying N", func() (any, error) {
			return nil, (&Dataset{Geom: good.Geom, N: sizetest.Huge, D: good.D, Data: good.Data}).Validate()
		}},
		{"Dataset.Validate zero value", func() (any, error) {
			return nil, (&Dataset{Geom: good.Geom, N: 1, D: good.D, Data: make([]int8, good.D)}).Validate()
		}},
		{"Dataset.Validate value outside States", func() (any, error) {
			x := make([]int8, good.D)
			x[1] = 3
			return nil, (&Dataset{Geom: good.Geom, N: 1, D: good.D, Data: x, States: []int8{0, 1, 2}}).Validate()
		}},
		{"Dataset.Validate unsorted States", func() (any, error) {
			return nil, (&Dataset{Geom: good.Geom, N: 1, D: good.D, Data: make([]int8, good.D), States: []int8{2, 1, 0}}).Validate()
		}},
		{"PilotEvery negative warm-up", func() (any, error) {
			return nil, pilotErr(PilotEvery(context.Background(), factory, src, &PilotOptions{Warm: -1}))
		}},
		{"Collect zero chains", badPlan(func(p *Plan) { p.Chains = 0 })},
		{"Collect negative chains", badPlan(func(p *Plan) { p.Chains = -1 })},
		{"Collect negative burn-in", badPlan(func(p *Plan) { p.BurnIn = -1 })},
		{"Collect zero every", badPlan(func(p *Plan) { p.Every = 0 })},
		{"Collect zero per chain", badPlan(func(p *Plan) { p.PerChain = 0 })},
		{"Collect replicas of a plain sampler", badPlan(func(p *Plan) { p.Replicas = true })},
		{"Collect failing factory", func() (any, error) {
			return Collect(context.Background(), func(rand.Source) (Sampler, error) { return NewMetropolis(nil, 1, nil) }, plan, src)
		}},
	}...)
	badinput.Sweep(t, "sample", cases)
}

// pilotErr drops PilotEvery's interval, which is 0 with an error.
func pilotErr(_ int, err error) error { return err }

// ftoa names the invalid temperatures of the sweep.
func ftoa(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Inf"
	case x < 0:
		return "negative"
	}
	return "zero"
}
