package sample

import (
	"errors"
	"fmt"

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

// Row returns sample i (aliasing the dataset's storage).
func (ds *Dataset) Row(i int) []int8 {
	if i < 0 || i >= ds.N {
		panic(fmt.Sprintf("sample: row %d outside [0,%d)", i, ds.N))
	}
	return ds.Data[i*ds.D : (i+1)*ds.D : (i+1)*ds.D]
}
