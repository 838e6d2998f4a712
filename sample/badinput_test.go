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

	"github.com/rsmi-go/rsmi/lattice"
)

// badCall is one invalid call of an exported constructor or long call (see
// internal/badinput for what it must do).
type badCall struct {
	name string
	call func() (any, error)
}

func sweepBad(t *testing.T, prefix string, cases []badCall) {
	t.Helper()
	calls := make([]badinput.Call, len(cases))
	for i, c := range cases {
		calls[i] = badinput.Call{Name: c.name, Call: c.call}
	}
	badinput.Sweep(t, prefix, calls)
}

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
	var cases []badCall
	for _, T := range []float64{0, -1, nan, inf} {
		cases = append(cases,
			badCall{"NewMetropolis T=" + ftoa(T), func() (any, error) { return NewMetropolis(is, T, src) }},
			badCall{"NewHeatBath T=" + ftoa(T), func() (any, error) { return NewHeatBath(is, T, src) }},
			badCall{"NewMultispin T=" + ftoa(T), func() (any, error) { return NewMultispin(is, T, src) }},
			badCall{"NewMSC T=" + ftoa(T), func() (any, error) { return NewMSC(is, T, src) }},
			badCall{"NewWolff T=" + ftoa(T), func() (any, error) { return NewWolff(is, T, src) }},
			badCall{"NewSwendsenWang T=" + ftoa(T), func() (any, error) { return NewSwendsenWang(is, T, src) }},
			badCall{"NewDimerLoop T=" + ftoa(T), func() (any, error) { return NewDimerLoop(dm, T, src) }},
		)
	}
	plan := Plan{Chains: 2, BurnIn: 1, Every: 1, PerChain: 2, Src: src}
	factory := func(s rand.Source) (Sampler, error) { return NewMetropolis(is, 2, s) }
	badPlan := func(name string, edit func(p *Plan)) badCall {
		return badCall{"Collect " + name, func() (any, error) {
			p := plan
			edit(&p)
			return Collect(context.Background(), factory, p)
		}}
	}
	cases = append(cases,
		badCall{"NewDataset nil geometry", func() (any, error) { return NewDataset(nil, make([]int8, 16)) }},
		badCall{"NewDataset empty", func() (any, error) { return NewDataset(sq.Geometry(), nil) }},
		badCall{"NewDataset length mismatch", func() (any, error) { return NewDataset(sq.Geometry(), make([]int8, 17)) }},
		badCall{"NewMetropolis nil model", func() (any, error) { return NewMetropolis(nil, 1, src) }},
		badCall{"NewMetropolis nil source", func() (any, error) { return NewMetropolis(is, 1, nil) }},
		badCall{"NewHeatBath nil model", func() (any, error) { return NewHeatBath(nil, 1, src) }},
		badCall{"NewHeatBath nil source", func() (any, error) { return NewHeatBath(is, 1, nil) }},
		badCall{"NewMultispin nil model", func() (any, error) { return NewMultispin(nil, 1, src) }},
		badCall{"NewMultispin nil source", func() (any, error) { return NewMultispin(is, 1, nil) }},
		badCall{"NewMSC nil model", func() (any, error) { return NewMSC(nil, 1, src) }},
		badCall{"NewMSC nil source", func() (any, error) { return NewMSC(is, 1, nil) }},
		badCall{"NewWolff nil model", func() (any, error) { return NewWolff(nil, 1, src) }},
		badCall{"NewWolff nil source", func() (any, error) { return NewWolff(is, 1, nil) }},
		badCall{"NewSwendsenWang nil model", func() (any, error) { return NewSwendsenWang(nil, 1, src) }},
		badCall{"NewSwendsenWang nil source", func() (any, error) { return NewSwendsenWang(is, 1, nil) }},
		badCall{"NewDimerLoop nil model", func() (any, error) { return NewDimerLoop(nil, 1, src) }},
		badCall{"NewDimerLoop nil source", func() (any, error) { return NewDimerLoop(dm, 1, nil) }},
		badCall{"ShardSource negative shard", func() (any, error) { return ShardSource(1, -1) }},
		badCall{"Merge no parts", func() (any, error) { return Merge() }},
		badCall{"Merge nil part", func() (any, error) { return Merge(good, nil) }},
		badCall{"Merge geometry mismatch", func() (any, error) { return Merge(good, other) }},
		badCall{"Merge inconsistent part", func() (any, error) {
			return Merge(good, &Dataset{N: 3, D: 16, Data: make([]int8, 16), Geom: sq.Geometry()})
		}},
		badCall{"ReadNPY garbage", func() (any, error) { return ReadNPY(strings.NewReader("not an npy file"), nil) }},
		badCall{"ReadNPY empty", func() (any, error) { return ReadNPY(bytes.NewReader(nil), nil) }},
		badCall{"ReadNPY geometry mismatch", func() (any, error) {
			var b bytes.Buffer
			if err := good.WriteNPY(&b); err != nil {
				return nil, err
			}
			return ReadNPY(&b, ch.Geometry())
		}},
		badCall{"ReadNPY truncated", func() (any, error) {
			var b bytes.Buffer
			if err := good.WriteNPY(&b); err != nil {
				return nil, err
			}
			return ReadNPY(bytes.NewReader(b.Bytes()[:b.Len()-3]), nil)
		}},
		badCall{"ReadGeometry garbage", func() (any, error) { return ReadGeometry(strings.NewReader("{")) }},
		badCall{"LoadDataset missing", func() (any, error) { return LoadDataset(filepath.Join(t.TempDir(), "none.npy")) }},
		badCall{"SaveDataset nil", func() (any, error) { return nil, SaveDataset(filepath.Join(t.TempDir(), "x.npy"), nil) }},
		badCall{"SaveDataset missing directory", func() (any, error) {
			return nil, SaveDataset(filepath.Join(t.TempDir(), "no", "x.npy"), good)
		}},
		badCall{"Collect nil factory", func() (any, error) { return Collect(context.Background(), nil, plan) }},
		badPlan("zero chains", func(p *Plan) { p.Chains = 0 }),
		badPlan("negative chains", func(p *Plan) { p.Chains = -1 }),
		badPlan("negative burn-in", func(p *Plan) { p.BurnIn = -1 }),
		badPlan("zero every", func(p *Plan) { p.Every = 0 }),
		badPlan("zero per chain", func(p *Plan) { p.PerChain = 0 }),
		badPlan("nil source", func(p *Plan) { p.Src = nil }),
		badPlan("replicas of a plain sampler", func(p *Plan) { p.Replicas = true }),
		badCall{"Collect failing factory", func() (any, error) {
			return Collect(context.Background(), func(rand.Source) (Sampler, error) { return NewMetropolis(nil, 1, nil) }, plan)
		}},
	)
	sweepBad(t, "sample", cases)
}

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
