package ckpt

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
)

func TestRoundTripAndRefusals(t *testing.T) {
	var e Enc
	e.Int(-7)
	e.F64(math.Pi)
	e.Bool(true)
	e.String("héllo")
	e.F64s([]float64{1, math.Inf(-1)})
	e.F32s([]float32{2.5})
	e.I32s([]int32{-3, 4})
	e.I8s([]int8{-1, 1})
	path := filepath.Join(t.TempDir(), "x.ckpt")
	if err := Write(path, "test", 3, e.B); err != nil {
		t.Fatal(err)
	}
	p, err := Read(path, "test", 3)
	if err != nil {
		t.Fatal(err)
	}
	d := &Dec{B: p}
	if d.Int() != -7 || d.F64() != math.Pi || !d.Bool() || d.String() != "héllo" {
		t.Error("scalars differ")
	}
	if f := d.F64s(); len(f) != 2 || f[1] != math.Inf(-1) {
		t.Errorf("F64s %v", f)
	}
	if f := d.F32s(); len(f) != 1 || f[0] != 2.5 {
		t.Errorf("F32s %v", f)
	}
	if x := d.I32s(); len(x) != 2 || x[0] != -3 {
		t.Errorf("I32s %v", x)
	}
	if x := d.I8s(); len(x) != 2 || x[0] != -1 {
		t.Errorf("I8s %v", x)
	}
	if err := d.Err(); err != nil {
		t.Error(err)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".x.ckpt.tmp*")); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
	good, _ := os.ReadFile(path)
	for _, c := range []struct {
		name    string
		data    []byte
		kind    string
		version uint16
		want    string
		corrupt bool
	}{
		{"empty", nil, "test", 3, "bad magic", true},
		{"truncated", good[:len(good)-1], "test", 3, "truncated", true},
		{"trailing", append(bytes.Clone(good), 0), "test", 3, "trailing", true},
		{"flipped", func() []byte { b := bytes.Clone(good); b[len(b)-10] ^= 4; return b }(), "test", 3, "checksum", true},
		{"kind", good, "other", 3, `"test" state`, false},
		{"version", good, "test", 4, "version 3", false},
	} {
		_, err := Decode(c.data, c.kind, c.version)
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrCorrupt) != c.corrupt {
			t.Errorf("%s: error %v, want one mentioning %q (corrupt %v)", c.name, err, c.want, c.corrupt)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none"), "test", 3); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := Write(filepath.Join(t.TempDir(), "no", "dir", "x"), "test", 1, nil); err == nil {
		t.Error("write into a missing directory: no error")
	}
}

// FuzzDecode checks that the container and field decoders never panic and
// never allocate beyond their input, and that the header-first reader behind
// Read agrees with Decode and allocates no more than the input it had to
// read: the fuzzer's bytes followed by pad zero bytes stand for a file of
// len(b)+pad bytes, and a header that does not fit that file must be refused
// before the file is read. Run for a minute with
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 60s ./internal/ckpt
func FuzzDecode(f *testing.F) {
	const budget = 1 << 20
	prev := size.SetBudget(budget)
	f.Cleanup(func() { size.SetBudget(prev) })
	var e Enc
	e.F64s([]float64{1, 2})
	e.I8s([]int8{1, -1})
	e.String("x")
	f.Add(Encode("k", 1, e.B), uint32(0))
	f.Add(e.B, uint32(0))
	f.Add(Encode("k", 1, nil)[:22], uint32(1<<31))
	f.Fuzz(func(t *testing.T, b []byte, pad uint32) {
		p1, err1 := Decode(b, "k", 1)
		d := &Dec{B: b}
		d.F64s()
		d.I8s()
		_ = d.String()
		d.F32s()
		d.I32s()
		d.Bytes()
		d.Err()

		total := int64(len(b)) + int64(pad)
		r := io.MultiReader(bytes.NewReader(b), io.LimitReader(zeros{}, int64(pad)))
		var p2 []byte
		var err2 error
		if a := sizetest.Allocated(func() { p2, err2 = readFrom(r, total, "k", 1) }); a > uint64(len(b))+min(uint64(total), budget)+256<<10 {
			t.Fatalf("reading %d+%d bytes allocated %d bytes (error %v)", len(b), pad, a, err2)
		}
		if pad == 0 && len(b) <= budget && ((err1 == nil) != (err2 == nil) || !bytes.Equal(p1, p2)) {
			t.Fatalf("Decode (%q, %v) and readFrom (%q, %v) disagree", p1, err1, p2, err2)
		}
	})
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
