package rg

import (
	"bytes"
	"context"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
)

// TestOptionsDefaults checks that nil and zero options are the defaults
// their godoc states: FitOptions{Blocks: min(20, N), Tol: 1e-10, MaxIter:
// 100} and FlowOptions{B: 2, MinSide: 2, Levels: as many as MinSide allows,
// Rule: Fixed(rsmi.Majority{})}.
func TestOptionsDefaults(t *testing.T) {
	ctx := context.Background()
	lat, _ := lattice.NewSquare(16)
	ds := randomDataset(t, lat, 30, rand.New(rand.NewPCG(1, 2)))
	ops := []lattice.Operator{lattice.NearestNeighbor(2), lattice.NextNearest(2)}
	var fits []*Couplings
	for _, o := range []*FitOptions{nil, {}, {Blocks: 20, Tol: 1e-10, MaxIter: 100}} {
		c, err := FitCouplings(ctx, ds, lat, ops, o)
		if err != nil {
			t.Fatal(err)
		}
		fits = append(fits, c)
	}
	if !reflect.DeepEqual(fits[0], fits[2]) || !reflect.DeepEqual(fits[1], fits[2]) {
		t.Errorf("FitCouplings with nil, zero and explicit default options: %+v", fits)
	}
	var flows [][]byte
	for _, o := range []*FlowOptions{nil, {}, {B: 2, MinSide: 2, Levels: 3, Rule: Fixed(rsmi.Majority{})}} {
		res, err := Flow(ctx, ds, lat, rand.NewPCG(3, 3), o)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Levels) != 4 {
			t.Fatalf("default flow on 16×16: %d levels, want 3", len(res.Levels)-1)
		}
		flows = append(flows, flowBytes(t, res))
	}
	if !bytes.Equal(flows[0], flows[2]) || !bytes.Equal(flows[1], flows[2]) {
		t.Error("Flow with nil, zero and explicit default options differ")
	}
}
