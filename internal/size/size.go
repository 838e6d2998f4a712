// Package size is the one place for the arithmetic of sizes that a caller or
// an input file chooses: products and sums of dimensions that detect overflow,
// and a memory budget that every allocation sized by such numbers is checked
// against before it is made.
//
// # Why
//
// A dimension read from a file header or passed as an option (a shape, a
// number of samples, a block width, a layer size) must never reach make()
// unchecked: an overflowing product wraps to a small or negative number (a
// silently wrong size, then an index panic), and a huge one aborts the
// process with "fatal error: out of memory", which no caller can recover
// from. The rule of the module is that such sizes are refused with an error
// that names them, before anything is allocated.
//
// # Use
//
// Compute every size from user-chosen numbers with Mul and Add (never with *
// and + directly), then check what is about to be allocated with
// CheckElements (or both at once with Elements), and wrap the error with the
// package's prefix:
//
//	n, err := size.Elements("dataset", 1, perChain, chains, d) // int8 values
//	if err != nil {
//		return nil, fmt.Errorf("sample: %w", err)
//	}
//	data := make([]int8, n)
//
//	w, err := size.Add(buffer, env)         // Block + 2·(Buffer + Env)
//	if err == nil { w, err = size.Mul(2, w) }
//	if err == nil { w, err = size.Add(block, w) }
//
// Errors are *Error values, without a package prefix (the caller adds its
// own), naming the values involved, e.g.
//
//	4611686018427387904 + 4611686018427387904 overflows int
//	npy data: 1099511627776 elements × 1 bytes = 1.0 TiB exceeds the memory budget of 8.0 GiB (set RSMI_MAX_BYTES to raise it)
//
// and errors.Is(err, ErrTooLarge) holds for all of them.
//
// # The budget
//
// The budget bounds one allocation (one array) made on behalf of a size a
// caller or a file chose; it is not a limit on the process. It is
// DefaultBudget (8 GiB) unless the environment variable RSMI_MAX_BYTES holds
// another byte count when the budget is first used: a plain number of bytes
// or a number with one of the suffixes KiB, MiB, GiB, TiB (e.g.
// RSMI_MAX_BYTES=64GiB). An invalid value makes every check fail with an
// error that quotes it, rather than being ignored. Programs and tests may
// also call SetBudget.
//
// The budget is a fixed number rather than a share of the machine's memory so
// that the same call with the same arguments succeeds or fails the same way
// on every machine.
package size

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// DefaultBudget is the memory budget in bytes when RSMI_MAX_BYTES is unset:
// 8 GiB.
const DefaultBudget int64 = 8 << 30

// EnvBudget is the environment variable that sets the budget.
const EnvBudget = "RSMI_MAX_BYTES"

// ErrTooLarge is wrapped by every error of this package.
var ErrTooLarge = errors.New("size too large")

// Error is a size that is negative, overflows, or exceeds the budget.
type Error struct {
	msg string
}

func (e *Error) Error() string { return e.msg }

// Is reports whether target is ErrTooLarge.
func (e *Error) Is(target error) bool { return target == ErrTooLarge }

func errorf(format string, a ...any) error { return &Error{msg: fmt.Sprintf(format, a...)} }

// join formats values with op between them, e.g. "3 × 4 × 5".
func join(op string, x []int) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, " "+op+" ")
}

// Mul returns the product of dims (1 for none). It returns an error naming
// the factors if one is negative or the product overflows int.
func Mul(dims ...int) (int, error) {
	for _, d := range dims {
		if d < 0 {
			return 0, errorf("negative size %d in %s", d, join("×", dims))
		}
		if d == 0 {
			return 0, nil
		}
	}
	p := uint64(1)
	for _, d := range dims {
		hi, lo := bits.Mul64(p, uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, errorf("%s overflows int", join("×", dims))
		}
		p = lo
	}
	return int(p), nil
}

// Add returns the sum of terms (0 for none). It returns an error naming the
// terms if one is negative or the sum overflows int.
func Add(terms ...int) (int, error) {
	s := 0
	for _, t := range terms {
		if t < 0 {
			return 0, errorf("negative size %d in %s", t, join("+", terms))
		}
		if s > math.MaxInt-t {
			return 0, errorf("%s overflows int", join("+", terms))
		}
		s += t
	}
	return s, nil
}

var (
	budget atomic.Int64              // 0: the default applies
	env    atomic.Pointer[envBudget] // the default, read from the environment once
)

// envBudget is the default budget: RSMI_MAX_BYTES or DefaultBudget.
type envBudget struct {
	bytes int64
	err   error // RSMI_MAX_BYTES is set but invalid
}

func defaultBudget() *envBudget {
	if e := env.Load(); e != nil {
		return e
	}
	e := &envBudget{bytes: DefaultBudget}
	if s := os.Getenv(EnvBudget); s != "" {
		if v, err := ParseBytes(s); err == nil {
			e.bytes = v
		} else {
			e.err = errorf("%s=%q is not a byte count (want e.g. 17179869184 or 16GiB)", EnvBudget, s)
		}
	}
	env.CompareAndSwap(nil, e)
	return env.Load()
}

// Budget returns the current budget in bytes.
func Budget() int64 {
	if b := budget.Load(); b > 0 {
		return b
	}
	return defaultBudget().bytes
}

// SetBudget sets the budget to bytes and returns the budget set before (0 if
// none was: the default applied); bytes ≤ 0 restores the default
// (RSMI_MAX_BYTES or DefaultBudget), so that
//
//	defer size.SetBudget(size.SetBudget(1 << 20))
//
// lowers the budget for a test and restores it. It is safe for concurrent
// use, but it changes the budget of the whole process.
func SetBudget(bytes int64) (previous int64) {
	return budget.Swap(max(bytes, 0))
}

// CheckElements returns nil if n elements of elemBytes bytes each fit in the
// budget, and otherwise an error naming what, n, the bytes and the budget.
// A negative n or elemBytes is an error too.
func CheckElements(what string, n, elemBytes int) error {
	if n < 0 || elemBytes < 0 {
		return errorf("%s: negative size %d elements × %d bytes", what, n, elemBytes)
	}
	b := budget.Load()
	if b <= 0 {
		d := defaultBudget()
		if d.err != nil {
			return fmt.Errorf("%s: %w", what, d.err)
		}
		b = d.bytes
	}
	hi, lo := bits.Mul64(uint64(n), uint64(elemBytes))
	if hi == 0 && lo <= uint64(b) {
		return nil
	}
	total := "more than 16 EiB"
	if hi == 0 {
		total = Bytes(lo)
	}
	return errorf("%s: %d elements × %d bytes = %s exceeds the memory budget of %s (set %s to raise it)",
		what, n, elemBytes, total, Bytes(uint64(b)), EnvBudget)
}

// Elements returns the product of dims after checking it with Mul and
// CheckElements(what, product, elemBytes).
func Elements(what string, elemBytes int, dims ...int) (int, error) {
	n, err := Mul(dims...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if err := CheckElements(what, n, elemBytes); err != nil {
		return 0, err
	}
	return n, nil
}

var units = []struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}}

// Bytes formats a byte count for messages: "512 B", "1.5 GiB".
func Bytes(n uint64) string {
	for _, u := range units {
		if n >= 1<<u.shift {
			return strconv.FormatFloat(float64(n)/float64(uint64(1)<<u.shift), 'f', 1, 64) + " " + u.suffix
		}
	}
	return strconv.FormatUint(n, 10) + " B"
}

// ParseBytes parses a positive byte count: digits, optionally followed by
// one of the suffixes KiB, MiB, GiB, TiB (surrounding spaces are allowed).
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	shift := uint(0)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, shift = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.shift
			break
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 || v > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is not a positive byte count", s)
	}
	return v << shift, nil
}
