package rsmi

import (
	"fmt"
	"math"
	"math/bits"
)

// Checked size arithmetic for sizes a caller chooses (block widths, numbers
// of steps, layer widths): products and sums that detect overflow, and a
// memory budget that an allocation sized by them is checked against before
// it is made.
//
// INTEGRATOR: this is a stand-in for internal/size (branch reliab), with the
// same shapes: sizeMul ≙ size.Mul, sizeAdd ≙ size.Add, sizeElements ≙
// size.Elements (whose budget is also 8 GiB by default). Replace the three
// functions by the package's and delete this file.

// sizeBudget is the largest allocation in bytes made for a caller-chosen
// size.
const sizeBudget = 8 << 30

// sizeMul returns the product of dims, or an error naming them if one is
// negative or the product overflows int.
func sizeMul(dims ...int) (int, error) {
	p := uint64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative size %d in the product %v", d, dims)
		}
		hi, lo := bits.Mul64(p, uint64(d))
		if hi != 0 || lo > math.MaxInt {
			for _, z := range dims {
				if z == 0 {
					return 0, nil
				}
			}
			return 0, fmt.Errorf("the product of %v overflows int", dims)
		}
		p = lo
	}
	return int(p), nil
}

// sizeAdd returns the sum of terms, or an error naming them if one is
// negative or the sum overflows int.
func sizeAdd(terms ...int) (int, error) {
	s := 0
	for _, t := range terms {
		if t < 0 {
			return 0, fmt.Errorf("negative size %d in the sum %v", t, terms)
		}
		if s > math.MaxInt-t {
			return 0, fmt.Errorf("the sum of %v overflows int", terms)
		}
		s += t
	}
	return s, nil
}

// sizeElements returns the product of dims after checking that as many
// elements of elemBytes bytes fit in the budget; the error names what.
func sizeElements(what string, elemBytes int, dims ...int) (int, error) {
	n, err := sizeMul(dims...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if hi, lo := bits.Mul64(uint64(n), uint64(elemBytes)); hi != 0 || lo > sizeBudget {
		return 0, fmt.Errorf("%s: %d elements × %d bytes exceed the memory budget of %d GiB", what, n, elemBytes, sizeBudget>>30)
	}
	return n, nil
}
