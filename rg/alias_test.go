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
// be pair(4,0)), naming the operator and the extent.
func TestFitCouplingsRejectsAliasedOperator(t *testing.T) {
	lat, _ := lattice.NewSquare(16)
	far, _ := lattice.Pair(20, 0)
	ds := randomDataset(t, lat, 20, rand.New(rand.NewPCG(1, 2)))
	_, err := FitCouplings(context.Background(), ds, lat, []lattice.Operator{lattice.NearestNeighbor(2), far}, nil)
	if err == nil || !strings.Contains(err.Error(), "pair(20,0)") || !strings.Contains(err.Error(), "16") {
		t.Errorf("FitCouplings with pair(20,0) on L=16: error %v, want one naming the operator and the extent", err)
	}
}
