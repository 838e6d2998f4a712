package lattice

import (
	"math"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
)

// TestBadInputSweep feeds every exported constructor of the package invalid
// values.
func TestBadInputSweep(t *testing.T) {
	sq, _ := NewSquare(4)
	nan, inf := math.NaN(), math.Inf(1)
	badinput.Sweep(t, "lattice:", badinput.Calls{
		{"NewLattice no extents", func() (any, error) { return NewLattice() }},
		{"BlockSymmetries 2^40 side (overflow)", func() (any, error) { return BlockSymmetries(sizetest.Big, 2) }},
		{"BlockSymmetries 4096^3 (budget)", func() (any, error) { return BlockSymmetries(1<<12, 3) }},
		{"NewLattice zero", func() (any, error) { return NewLattice(0, 4) }},
		{"NewLattice negative", func() (any, error) { return NewLattice(4, -3) }},
		{"NewLattice one", func() (any, error) { return NewLattice(1) }},
		{"NewLattice huge", func() (any, error) { return NewLattice(1<<16, 1<<16, 4) }},
		{"NewChain zero", func() (any, error) { return NewChain(0) }},
		{"NewSquare negative", func() (any, error) { return NewSquare(-2) }},
		{"NewCubic one", func() (any, error) { return NewCubic(1) }},
		{"NewGeometry no axes", func() (any, error) { return NewGeometry(nil, [][]int{{0}}) }},
		{"NewGeometry zero extent", func() (any, error) { return NewGeometry([]int{0}, [][]int{{0}}) }},
		{"NewGeometry no dofs", func() (any, error) { return NewGeometry([]int{4}, nil) }},
		{"NewGeometry coordinate outside", func() (any, error) { return NewGeometry([]int{4}, [][]int{{4}}) }},
		{"NewGeometry negative coordinate", func() (any, error) { return NewGeometry([]int{4}, [][]int{{-1}}) }},
		{"NewGeometry length mismatch", func() (any, error) { return NewGeometry([]int{4, 4}, [][]int{{1}}) }},
		{"NewGeometry shared point", func() (any, error) { return NewGeometry([]int{4}, [][]int{{1}, {1}}) }},
		{"NewIsing nil lattice", func() (any, error) { return NewIsing(nil, Term{NearestNeighbor(2), 1}) }},
		{"NewIsing NaN coupling", func() (any, error) { return NewIsing(sq, Term{NearestNeighbor(2), nan}) }},
		{"NewIsing Inf coupling", func() (any, error) { return NewIsing(sq, Term{NearestNeighbor(2), inf}) }},
		{"NewIsing dimension mismatch", func() (any, error) { return NewIsing(sq, Term{NearestNeighbor(3), 1}) }},
		{"NewIsing empty operator", func() (any, error) { return NewIsing(sq, Term{Operator{Name: "x"}, 1}) }},
		{"NewIsing NearestNeighbor(-1)", func() (any, error) { return NewIsing(sq, Term{NearestNeighbor(-1), 1}) }},
		{"NewIsing Plaquette(1)", func() (any, error) { return NewIsing(sq, Term{Plaquette(1), 1}) }},
		{"NewIsing NextNearest(0)", func() (any, error) { return NewIsing(sq, Term{NextNearest(0), 1}) }},
		{"NewIsing Field(-2)", func() (any, error) { return NewIsing(sq, Term{Field(-2), 1}) }},
		{"NewIsing aliased pair", func() (any, error) { p, _ := Pair(3, 0); return NewIsing(sq, Term{p, 1}) }},
		{"GridGeometry no extents", func() (any, error) { return GridGeometry() }},
		{"GridGeometry zero", func() (any, error) { return GridGeometry(4, 0) }},
		{"GridGeometry overflow", func() (any, error) { return GridGeometry(sizetest.Huge, sizetest.Huge) }},
		{"NewGeometry huge box", func() (any, error) { return NewGeometry([]int{sizetest.Big, sizetest.Big}, [][]int{{0, 0}}) }},
		{"NewNearestNeighborIsing nil", func() (any, error) { return NewNearestNeighborIsing(nil, 1) }},
		{"NewNearestNeighborIsing NaN", func() (any, error) { return NewNearestNeighborIsing(sq, nan) }},
		{"NewNearestNeighborIsing -Inf", func() (any, error) { return NewNearestNeighborIsing(sq, math.Inf(-1)) }},
		{"NewDimer zero", func() (any, error) { return NewDimer(0, DimerOptions{}) }},
		{"NewDimer odd", func() (any, error) { return NewDimer(5, DimerOptions{}) }},
		{"NewDimer negative", func() (any, error) { return NewDimer(-4, DimerOptions{}) }},
		{"NewDimer NaN V", func() (any, error) { return NewDimer(4, DimerOptions{V: nan}) }},
		{"NewDimer Inf V", func() (any, error) { return NewDimer(4, DimerOptions{V: inf}) }},
		{"Symmetrized no offsets", func() (any, error) { o, err := Symmetrized("x"); return nilOp(o, err) }},
		{"Symmetrized mixed dimensions", func() (any, error) { o, err := Symmetrized("x", []int{0}, []int{1, 0}); return nilOp(o, err) }},
		{"Symmetrized repeated offset", func() (any, error) { o, err := Symmetrized("x", []int{0, 1}, []int{0, 1}); return nilOp(o, err) }},
		{"ParseOperator unknown", func() (any, error) { o, err := ParseOperator("nosuch", 2); return nilOp(o, err) }},
		{"ParseOperator zero dimension", func() (any, error) { o, err := ParseOperator("nn", 0); return nilOp(o, err) }},
		{"Pair zero", func() (any, error) { o, err := Pair(0, 0); return nilOp(o, err) }},
		{"Pair none", func() (any, error) { o, err := Pair(); return nilOp(o, err) }},
		{"EvenOperators zero dimension", func() (any, error) { return EvenOperators(0, 3) }},
		{"EvenOperators negative count", func() (any, error) { return EvenOperators(2, -1) }},
		{"OddOperators zero dimension", func() (any, error) { return OddOperators(0, 2) }},
		{"OddOperators negative count", func() (any, error) { return OddOperators(2, -1) }},
		{"NewEvaluator nil lattice", func() (any, error) { return NewEvaluator(nil, NearestNeighbor(2)) }},
		{"NewEvaluator no operators", func() (any, error) { return NewEvaluator(sq) }},
		{"NewEvaluator dimension mismatch", func() (any, error) { return NewEvaluator(sq, NearestNeighbor(1)) }},
		{"NewEvaluator NearestNeighbor(-1)", func() (any, error) { return NewEvaluator(sq, NearestNeighbor(-1)) }},
		{"NewEvaluator aliased pair", func() (any, error) { p, _ := Pair(2, 3); return NewEvaluator(sq, p) }},
	})
}

// nilOp turns a value Operator into a nil result when there is an error and
// a non-nil one otherwise (so that the sweep can check "no result").
func nilOp(o Operator, err error) (any, error) {
	if err != nil && o.Name == "" && o.Patterns == nil {
		return nil, err
	}
	return &o, err
}
