package exponent

import (
	"math/big"
	"math/bits"
)

// int128 is a two's-complement 128-bit integer: the exact accumulator of
// MCRG moments. Operator values on ±1 spins are integers, so sums of their
// products are exact and do not depend on the order of summation: the
// moments are the same bits whatever the scheduling, and covariances are
// formed from them without cancellation.
type int128 struct {
	lo uint64
	hi int64
}

// addInt64 adds x.
func (a *int128) addInt64(x int64) {
	var c uint64
	a.lo, c = bits.Add64(a.lo, uint64(x), 0)
	a.hi += x>>63 + int64(c)
}

// add adds b.
func (a *int128) add(b int128) {
	var c uint64
	a.lo, c = bits.Add64(a.lo, b.lo, 0)
	a.hi += b.hi + int64(c)
}

// sub subtracts b.
func (a *int128) sub(b int128) {
	var c uint64
	a.lo, c = bits.Sub64(a.lo, b.lo, 0)
	a.hi -= b.hi + int64(c)
}

// big sets z to a and returns z.
func (a int128) big(z *big.Int) *big.Int {
	z.SetInt64(a.hi)
	z.Lsh(z, 64)
	var lo big.Int
	lo.SetUint64(a.lo)
	return z.Add(z, &lo)
}
