package rg

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// TestFitCouplingsRejectsAliasedOperator checks that a fit refuses an
// operator longer than half the lattice (pair(20,0) on L = 16 would silently
// be pair(4,0); pair(12,0) is pair(-4,0)), naming the operator and the
// extent, and accepts one of exactly half the extent (its own mirror image,
// not an alias).
func TestFitCouplingsRejectsAliasedOperator(t *testing.T) {
	lat, _ := lattice.NewSquare(16)
	ds := randomDataset(t, lat, 20, rand.New(rand.NewPCG(1, 2)))
	for _, d := range [][]int{{20, 0}, {12, 0}, {0, 9}} {
		far, err := lattice.Pair(d...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = FitCouplings(context.Background(), ds, lat, []lattice.Operator{lattice.NearestNeighbor(2), far}, nil)
		if err == nil || !strings.Contains(err.Error(), far.Name) || !strings.Contains(err.Error(), "16") {
			t.Errorf("FitCouplings with %s on L=16: error %v, want one naming the operator and the extent", far.Name, err)
		}
	}
	half, _ := lattice.Pair(8, 0)
	if _, err := FitCouplings(context.Background(), ds, lat, []lattice.Operator{half}, nil); err != nil {
		t.Errorf("%s on L = 16: %v", half.Name, err)
	}
}
