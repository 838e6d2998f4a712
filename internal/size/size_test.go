package size

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/size/sizetest"
)

func TestMulAdd(t *testing.T) {
	big := sizetest.Huge
	for _, c := range []struct {
		name string
		f    func() (int, error)
		want int
		err  string // "" for success
	}{
		{"empty product", func() (int, error) { return Mul() }, 1, ""},
		{"product", func() (int, error) { return Mul(3, 4, 5) }, 60, ""},
		{"max", func() (int, error) { return Mul(math.MaxInt, 1) }, math.MaxInt, ""},
		{"overflow", func() (int, error) { return Mul(sizetest.Big, sizetest.Big) }, 0, fmt.Sprintf("%d × %d overflows int", sizetest.Big, sizetest.Big)},
		{"overflow to exactly 2^63", func() (int, error) { return Mul(sizetest.Huge, 2) }, 0, "overflows"},
		{"wraps to a small number", func() (int, error) { return Mul(1<<(bits.UintSize/2)+1, 1<<(bits.UintSize/2)) }, 0, "overflows"},
		{"zero after overflow", func() (int, error) { return Mul(sizetest.Big, sizetest.Big, 0) }, 0, ""},
		{"negative", func() (int, error) { return Mul(2, -3) }, 0, "negative size -3 in 2 × -3"},
		{"empty sum", func() (int, error) { return Add() }, 0, ""},
		{"sum", func() (int, error) { return Add(1, 2, 3) }, 6, ""},
		{"sum overflow", func() (int, error) { return Add(big, big) }, 0, "4611686018427387904 + 4611686018427387904 overflows int"},
		{"sum negative", func() (int, error) { return Add(1, -1) }, 0, "negative size -1 in 1 + -1"},
	} {
		got, err := c.f()
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: (%d, %v), want %d", c.name, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrTooLarge)):
			t.Errorf("%s: (%d, %v), want an ErrTooLarge error containing %q", c.name, got, err, c.err)
		}
	}
}

func TestBudget(t *testing.T) {
	defer SetBudget(SetBudget(1000))
	if Budget() != 1000 {
		t.Fatalf("Budget() = %d after SetBudget(1000)", Budget())
	}
	if err := CheckElements("x", 125, 8); err != nil {
		t.Errorf("1000 bytes in a budget of 1000: %v", err)
	}
	err := CheckElements("npy data", 126, 8)
	if err == nil || !errors.Is(err, ErrTooLarge) ||
		!strings.Contains(err.Error(), "npy data: 126 elements × 8 bytes = 1008 B exceeds the memory budget of 1000 B (set RSMI_MAX_BYTES") {
		t.Errorf("over budget: %v", err)
	}
	if err := CheckElements("x", math.MaxInt, math.MaxInt); err == nil || !strings.Contains(err.Error(), "more than 16 EiB") {
		t.Errorf("product overflowing uint64: %v", err)
	}
	if err := CheckElements("x", -1, 1); err == nil {
		t.Error("negative count accepted")
	}
	if n, err := Elements("grid", 4, 10, 25); n != 250 || err != nil {
		t.Errorf("Elements(10·25 × 4 B) = (%d, %v)", n, err)
	}
	if _, err := Elements("grid", 4, 10, 26); err == nil || !strings.Contains(err.Error(), "grid: 260 elements") {
		t.Errorf("Elements over budget: %v", err)
	}
	if _, err := Elements("grid", 1, sizetest.Big, sizetest.Big); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("grid: %d × %d overflows", sizetest.Big, sizetest.Big)) {
		t.Errorf("Elements overflow: %v", err)
	}
	if prev := SetBudget(0); prev != 1000 {
		t.Errorf("SetBudget returned %d, want the 1000 set before", prev)
	}
	if Budget() != defaultBudget().bytes {
		t.Errorf("SetBudget(0): budget %d, want the default %d", Budget(), defaultBudget().bytes)
	}
}

func TestParseBytes(t *testing.T) {
	for s, want := range map[string]int64{"17": 17, "2KiB": 2048, " 16 GiB ": 16 << 30, "1TiB": 1 << 40, "3MiB": 3 << 20} {
		if got, err := ParseBytes(s); got != want || err != nil {
			t.Errorf("ParseBytes(%q) = (%d, %v), want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "-5", "lots", "1.5GiB", "9999999999TiB", "8GB"} {
		if _, err := ParseBytes(s); err == nil {
			t.Errorf("ParseBytes(%q) accepted", s)
		}
	}
	for n, want := range map[uint64]string{512: "512 B", 1536: "1.5 KiB", 8 << 30: "8.0 GiB", 3 << 40: "3.0 TiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestEnvBudget checks RSMI_MAX_BYTES, including that an invalid value makes
// checks fail loudly instead of being ignored.
func TestEnvBudget(t *testing.T) {
	defer SetBudget(SetBudget(0))
	for _, c := range []struct {
		env  string
		want int64
		err  string
	}{
		{"", DefaultBudget, ""},
		{"1KiB", 1024, ""},
		{"lots", DefaultBudget, `RSMI_MAX_BYTES="lots" is not a byte count`},
	} {
		t.Setenv(EnvBudget, c.env)
		env.Store(nil)
		if got := Budget(); got != c.want {
			t.Errorf("%s=%q: budget %d, want %d", EnvBudget, c.env, got, c.want)
		}
		err := CheckElements("x", 1, 1)
		if (c.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s=%q: CheckElements error %v, want %q", EnvBudget, c.env, err, c.err)
		}
	}
	t.Setenv(EnvBudget, "")
	env.Store(nil)
}

func BenchmarkElements(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Elements("x", 1, 1000, 64, 64); err != nil {
			b.Fatal(err)
		}
	}
}
