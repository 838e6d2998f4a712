package sample

import (
	"errors"
	"fmt"
	"slices"

	"github.com/rsmi-go/rsmi/lattice"
)

// Dataset is n samples of d degrees of freedom, stored row-major in one
// contiguous []int8 (sample i is Data[i*D:(i+1)*D]), with the Geometry that
// says where each dof sits and the values a dof takes.
type Dataset struct {
	N, D int
	Data []int8
	Geom *lattice.Geometry
	// States lists the values one dof takes, sorted and distinct (the
	// model's States: {0, 1, 2} for the 3-state Potts model, {−1, 0, 1} for
	// spin-1); nil means Ising spins ±1.
	States []int8
}

// NewDataset wraps data (n·d values, d = g.NumDOF()) as a Dataset without
// copying. It returns an error if the length is not a positive multiple of d.
func NewDataset(g *lattice.Geometry, data []int8) (*Dataset, error) {
	if g == nil {
		return nil, errors.New("sample: dataset needs a geometry")
	}
	d := g.NumDOF()
	if len(data) == 0 || len(data)%d != 0 {
		return nil, fmt.Errorf("sample: %d values do not form rows of %d dofs", len(data), d)
	}
	return &Dataset{N: len(data) / d, D: d, Data: data, Geom: g}, nil
}

// Validate checks a Dataset built by hand (or changed after NewDataset):
// a geometry, D = Geom.NumDOF(), N ≥ 1 and exactly N·D values, States
// sorted and distinct with at least two values (or nil), and every value one
// of States (±1 for nil). Its error names the first offending field or
// value.
func (ds *Dataset) Validate() error {
	if err := ds.check(); err != nil {
		return err
	}
	if len(ds.States) == 1 || (ds.States != nil && !slices.IsSorted(ds.States)) || len(slices.Compact(slices.Clone(ds.States))) != len(ds.States) {
		return fmt.Errorf("sample: dataset States %v are not two or more sorted distinct values", ds.States)
	}
	if i := lattice.Outside(ds.Data, ds.States); i >= 0 {
		states := ds.States
		if states == nil {
			states = []int8{-1, 1}
		}
		return fmt.Errorf("sample: value %d of sample %d at dof %d is not one of the dataset's values %v", ds.Data[i], i/ds.D, i%ds.D, states)
	}
	return nil
}

// Row returns sample i (aliasing the dataset's storage).
func (ds *Dataset) Row(i int) []int8 {
	if i < 0 || i >= ds.N {
		panic(fmt.Sprintf("sample: row %d outside [0,%d)", i, ds.N))
	}
	return ds.Data[i*ds.D : (i+1)*ds.D : (i+1)*ds.D]
}
