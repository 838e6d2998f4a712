// Package npydata loads the spin configurations the example programs accept
// with -data (and examples/sample with -merge): NumPy .npy files holding ±1
// spins or 0/1 bits, with or without the .geom.json sidecar that
// sample.SaveDataset writes.
package npydata

import (
	"bufio"
	"errors"
	"fmt"
	"os"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// Load reads path with sample.LoadDataset (geometry from the sidecar if there
// is one, otherwise inferred from the shape) and returns ±1 spins:
//
//   - values all in {−1, +1}: kept as they are;
//   - values all in {0, 1} with at least one 0: read again with
//     sample.ReadNPYWith and Map01 (0 → −1, 1 → +1);
//   - anything else: an error naming the first value that fits neither.
//
// A file of +1 only reads as ±1 spins (both conventions agree up to the
// global flip, which the physics of the examples does not see).
func Load(path string) (*sample.Dataset, error) {
	ds, err := sample.LoadDataset(path)
	if err != nil {
		return nil, err
	}
	return toSpins(path, ds)
}

// LoadSquare is Load for configurations of an L×L square lattice with sites
// in x-fastest order (the geometry of lattice.NewSquare(L)). Accepted shapes
// are (n, L, L) and, without a sidecar, (n, L·L) — a flat row of L² values
// read as an L×L lattice, x fastest; a sidecar must describe the square
// lattice. Errors say which shape or geometry was found.
func LoadSquare(path string) (*sample.Dataset, error) {
	ds, err := sample.LoadDataset(path)
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
	return toSpins(path, ds)
}

// toSpins checks the values of ds and, for 0/1 data, reads path again with
// Map01 into ds's geometry.
func toSpins(path string, ds *sample.Dataset) (*sample.Dataset, error) {
	pm, bits, zero := true, true, false
	for i, x := range ds.Data {
		pm = pm && (x == 1 || x == -1)
		bits = bits && (x == 0 || x == 1)
		zero = zero || x == 0
		if !pm && !bits {
			return nil, fmt.Errorf("%s: value %d at flat index %d (sample %d, dof %d): want ±1 spins or 0/1 bits throughout the file", path, x, i, i/ds.D, i%ds.D)
		}
	}
	if pm {
		return ds, nil
	}
	if !bits || !zero {
		return nil, errors.New(path + ": internal error classifying values") // unreachable
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mapped, err := sample.ReadNPYWith(bufio.NewReaderSize(f, 1<<16), ds.Geom, sample.ReadOptions{Map01: true})
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return mapped, nil
}

func isqrt(n int) int {
	r := 0
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}
