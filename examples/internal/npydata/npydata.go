// Package npydata loads the spin configurations that examples/ising2d and
// examples/custommodel accept with -data: L×L square-lattice configurations
// in NumPy .npy files, holding ±1 spins or 0/1 bits (read with
// sample.LoadDatasetWith and sample.MapAuto), with or without the .geom.json
// sidecar that sample.SaveDataset writes. What is specific to these programs
// is the square lattice: a flat (n, L·L) file is read as L×L.
package npydata

import (
	"fmt"
	"os"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// LoadSquare reads configurations of an L×L square lattice with sites in
// x-fastest order (the geometry of lattice.NewSquare(L)) from path as ±1
// spins: ±1 values are kept and a file of 0/1 bits is mapped 0 → −1,
// 1 → +1 (sample.MapAuto; any other value is an error naming its position).
// Accepted shapes are (n, L, L) and, without a sidecar, (n, L·L) — a flat row
// of L² values read as an L×L lattice, x fastest; a sidecar must describe the
// square lattice. Errors say which shape or geometry was found.
func LoadSquare(path string) (*sample.Dataset, error) {
	ds, err := sample.LoadDatasetWith(path, &sample.ReadOptions{Values: sample.MapAuto})
	if err != nil {
		return nil, err
	}
	ext := ds.Geom.Extents()
	_, serr := os.Stat(path + sample.GeometrySuffix)
	sidecar := serr == nil
	if len(ext) == 1 && !sidecar {
		// (n, d): a flat row; read it as L×L when d is a perfect square.
		L := isqrt(ds.D)
		if L*L != ds.D || L < 2 {
			return nil, fmt.Errorf("%s: shape (%d, %d): %d values per configuration are not an L×L square lattice; want shape (n, L, L) or (n, L·L)", path, ds.N, ds.D, ds.D)
		}
		sq, err := lattice.NewSquare(L)
		if err != nil {
			return nil, err
		}
		if ds, err = sample.NewDataset(sq.Geometry(), ds.Data); err != nil {
			return nil, err
		}
	} else {
		if len(ext) != 2 || ext[0] != ext[1] {
			src := "its shape"
			if sidecar {
				src = "its sidecar " + path + sample.GeometrySuffix
			}
			return nil, fmt.Errorf("%s: need configurations of an L×L square lattice, shape (n, L, L) or (n, L·L), but %s gives a geometry of extents %v with %d dofs", path, src, ext, ds.Geom.NumDOF())
		}
		sq, err := lattice.NewSquare(ext[0])
		if err != nil {
			return nil, err
		}
		if !sq.Geometry().Equal(ds.Geom) {
			return nil, fmt.Errorf("%s: the geometry sidecar does not describe a %d×%d square lattice in site order (x fastest)", path, ext[0], ext[0])
		}
	}
	return ds, nil
}

func isqrt(n int) int {
	r := 0
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}
