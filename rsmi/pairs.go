package rsmi

import "fmt"

// checkPairs validates n (v, e) pairs as the estimators take them: v holds n
// rows of nv ±1 values and e n rows of ne ±1 values, n ≥ 1. It returns n.
func checkPairs(v []int8, nv int, e []int8, ne int) (int, error) {
	if nv < 1 {
		return 0, fmt.Errorf("rsmi: |V| = %d is smaller than 1", nv)
	}
	if ne < 1 {
		return 0, fmt.Errorf("rsmi: |E| = %d is smaller than 1", ne)
	}
	if len(v) == 0 || len(v)%nv != 0 {
		return 0, fmt.Errorf("rsmi: %d visible values do not form rows of %d", len(v), nv)
	}
	n := len(v) / nv
	if len(e) != n*ne {
		return 0, fmt.Errorf("rsmi: %d environment values for %d pairs of |E| = %d", len(e), n, ne)
	}
	for i, x := range v {
		if x != 1 && x != -1 {
			return 0, fmt.Errorf("rsmi: visible value %d at %d is not ±1", x, i)
		}
	}
	for i, x := range e {
		if x != 1 && x != -1 {
			return 0, fmt.Errorf("rsmi: environment value %d at %d is not ±1", x, i)
		}
	}
	return n, nil
}
