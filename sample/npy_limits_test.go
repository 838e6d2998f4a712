package sample

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
	"github.com/rsmi-go/rsmi/lattice"
)

// streamOnly hides the Len method of a bytes.Reader, so the reader cannot
// tell how much data follows the header.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(p []byte) (int, error) { return s.r.Read(p) }

// hostileNPY is a 128-byte .npy file whose header declares one 2048×2048
// configuration of int8 (4 MiB) but which holds no data.
func hostileNPY() []byte {
	return npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 2048, 2048), }"+strings.Repeat(" ", 47), nil)
}

// hostileSidecar is the 48-byte sidecar of a 2048×2048 grid (4M dofs).
const hostileSidecar = `{"version":1,"extents":[2048,2048],"grid":true}` + "\n"

// TestReadNPYAllocatesAfterCheckingData checks issue 14.4: a small file
// declaring a large shape is refused before the geometry (about 60 bytes per
// dof) or the data array is allocated, whether the reader knows its length
// (bytes.Reader, *os.File) or is a plain stream.
func TestReadNPYAllocatesAfterCheckingData(t *testing.T) {
	file := hostileNPY()
	if len(file) > 130 {
		t.Fatalf("hostile file of %d bytes", len(file))
	}
	const limit = 1 << 20
	for _, c := range []struct {
		name string
		r    func() io.Reader
	}{
		{"bytes.Reader", func() io.Reader { return bytes.NewReader(file) }},
		{"stream", func() io.Reader { return streamOnly{bytes.NewReader(file)} }},
	} {
		var err error
		a := sizetest.Allocated(func() { _, err = ReadNPY(c.r(), nil) })
		if err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("%s: error %v, want one saying the data are truncated", c.name, err)
		}
		if a > limit {
			t.Errorf("%s: reading a %d-byte file allocated %d bytes", c.name, len(file), a)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	if a := sizetest.Allocated(func() { _, err = LoadDataset(path) }); a > limit || err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("LoadDataset of a %d-byte file: %d bytes allocated, error %v", len(file), a, err)
	}
	// The same file with a 48-byte sidecar declaring the 4M-dof grid: the
	// sidecar must not be built before the data are known to be there.
	if len(hostileSidecar) != 48 {
		t.Fatalf("sidecar of %d bytes", len(hostileSidecar))
	}
	if err := os.WriteFile(path+GeometrySuffix, []byte(hostileSidecar), 0o644); err != nil {
		t.Fatal(err)
	}
	if a := sizetest.Allocated(func() { _, err = LoadDataset(path) }); a > limit || err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("LoadDataset with a 4M-dof sidecar: %d bytes allocated, error %v", a, err)
	}
	// A complete small file with that sidecar: the dof counts disagree,
	// which is found before the sidecar's geometry is built.
	ds, _ := NewDataset(mustLattice(t, 4).Geometry(), []int8{1, -1, 1, 1})
	var buf bytes.Buffer
	if err := ds.WriteNPY(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if a := sizetest.Allocated(func() { _, err = LoadDataset(path) }); a > limit || err == nil || !strings.Contains(err.Error(), "4194304 dofs") {
		t.Errorf("LoadDataset of 4 dofs with a 4M-dof sidecar: %d bytes allocated, error %v", a, err)
	}
}

// TestReadGeometryBudget checks that a sidecar describing more than the
// memory budget is refused before it is built.
func TestReadGeometryBudget(t *testing.T) {
	defer size.SetBudget(size.SetBudget(16 << 20))
	var err error
	a := sizetest.Allocated(func() { _, err = ReadGeometry(strings.NewReader(hostileSidecar)) })
	if err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Errorf("4M-dof grid with a 16 MiB budget: error %v", err)
	}
	if a > 1<<20 {
		t.Errorf("refusing the grid allocated %d bytes", a)
	}
	// A sparse box: three dofs in a 46340×46340 box would need an 8 GB index.
	sparse := `{"version":1,"extents":[46340,46340],"coords":[[0,0],[1,1],[2,2]]}`
	if a := sizetest.Allocated(func() { _, err = ReadGeometry(strings.NewReader(sparse)) }); err == nil || a > 1<<20 {
		t.Errorf("sparse 46340² box: %d bytes allocated, error %v", a, err)
	}
	size.SetBudget(0)
	if g, err := ReadGeometry(strings.NewReader(`{"version":1,"extents":[64,64],"grid":true}`)); err != nil || g.NumDOF() != 4096 {
		t.Errorf("64×64 grid: %v", err)
	}
}

// TestReadGeometryTrailingData checks that a sidecar holds exactly one JSON
// value (issue 14.9).
func TestReadGeometryTrailingData(t *testing.T) {
	good := `{"version":1,"extents":[4],"grid":true}`
	if _, err := ReadGeometry(strings.NewReader(" " + good + "\n\n ")); err != nil {
		t.Errorf("whitespace around the JSON: %v", err)
	}
	for _, tail := range []string{"x", "{}", `{"version":1,"extents":[4],"grid":true}`, "\x00", "]"} {
		if _, err := ReadGeometry(strings.NewReader(good + "\n" + tail)); err == nil || !strings.Contains(err.Error(), "after the geometry JSON") {
			t.Errorf("trailing %q: error %v", tail, err)
		}
	}
}

// TestReadNPYMessages checks the wording of two errors of issue 14.9.
func TestReadNPYMessages(t *testing.T) {
	chain4 := mustLattice(t, 4).Geometry()
	hdr := func(fortran, shape string) string {
		return "{'descr': '|i1', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }"
	}
	for _, c := range []struct {
		name, dict string
		g          *lattice.Geometry
		want, not  string
	}{
		{"one alternative", hdr("False", "(2, 2, 2)"), chain4, "want (2, 4)", "(2, 4) or (2, 4)"},
		{"two alternatives", hdr("False", "(1, 3, 2)"), mustLattice(t, 3, 2).Geometry(), "want (1, 2, 3) or (1, 6)", ""},
		{"flat against a grid", hdr("False", "(1, 5)"), mustLattice(t, 3, 2).Geometry(), "want (1, 2, 3) or (1, 6)", ""},
		{"quoted", hdr("'yes'", "(1, 4)"), chain4, "fortran_order 'yes' is not True or False", `""`},
		{"number", hdr("1", "(1, 4)"), chain4, "fortran_order 1 is not True or False", `""`},
		{"word", hdr("Maybe", "(1, 4)"), chain4, "fortran_order Maybe is not True or False", ""},
		{"missing", "{'descr': '|i1', 'fortran_order': , 'shape': (1, 4), }", chain4, "fortran_order has no value", `""`},
	} {
		_, err := ReadNPY(bytes.NewReader(npyFile(1, c.dict, make([]byte, 8))), c.g)
		if err == nil || !strings.Contains(err.Error(), c.want) || c.not != "" && strings.Contains(err.Error(), c.not) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestReadOptionsValues checks the value modes, in particular the ±1 / 0/1
// auto-detection that used to live in examples/internal/npydata (issue 15.7).
func TestReadOptionsValues(t *testing.T) {
	chain4 := mustLattice(t, 4).Geometry()
	i1 := func(fortran string, v ...int8) []byte {
		b := make([]byte, len(v))
		for i, x := range v {
			b[i] = byte(x)
		}
		return npyFile(1, "{'descr': '|i1', 'fortran_order': "+fortran+", 'shape': (2, 4), }", b)
	}
	b1 := npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 4), }", []byte{1, 0, 0, 1})
	for _, c := range []struct {
		name string
		file []byte
		mode ValueMap
		want []int8 // nil: error
		err  string
	}{
		{"auto spins", i1("False", 1, -1, -1, 1, 1, 1, -1, 1), MapAuto, []int8{1, -1, -1, 1, 1, 1, -1, 1}, ""},
		{"auto bits", i1("False", 1, 0, 0, 1, 1, 1, 0, 1), MapAuto, []int8{1, -1, -1, 1, 1, 1, -1, 1}, ""},
		{"auto all +1", i1("False", 1, 1, 1, 1, 1, 1, 1, 1), MapAuto, []int8{1, 1, 1, 1, 1, 1, 1, 1}, ""},
		{"auto all 0", i1("False", 0, 0, 0, 0, 0, 0, 0, 0), MapAuto, []int8{-1, -1, -1, -1, -1, -1, -1, -1}, ""},
		{"auto bool", b1, MapAuto, []int8{1, -1, -1, 1}, ""},
		{"auto fortran bits", i1("True", 0, 1, 1, 1, 0, 0, 1, 0), MapAuto, []int8{-1, 1, -1, 1, 1, 1, -1, -1}, ""},
		{"auto mixed", i1("False", 1, 0, 1, 1, 1, -1, 1, 1), MapAuto, nil, "npy element [1, 1]: value -1, but element [0, 1] is 0: want ±1 spins or 0/1 bits throughout the file (MapAuto)"},
		{"auto mixed other way", i1("False", -1, 1, 1, 1, 0, 1, 1, 1), MapAuto, nil, "element [1, 0]: value 0, but element [0, 0] is -1"},
		{"auto two", i1("False", 1, -1, 2, 1, 1, 1, 1, 1), MapAuto, nil, "element [0, 2]: value 2 is neither a ±1 spin nor a 0/1 bit (MapAuto)"},
		{"spins", i1("False", 1, -1, -1, 1, 1, 1, -1, 1), RequireSpins, []int8{1, -1, -1, 1, 1, 1, -1, 1}, ""},
		{"spins reject bits", i1("False", 1, 0, 0, 1, 1, 1, 0, 1), RequireSpins, nil, "element [0, 1]: value 0 is not a ±1 spin (RequireSpins)"},
		{"Map01", i1("False", 1, 0, 0, 1, 1, 1, 0, 1), Map01, []int8{1, -1, -1, 1, 1, 1, -1, 1}, ""},
		{"keep", i1("False", 1, 0, 5, 1, 1, 1, 0, 1), KeepValues, []int8{1, 0, 5, 1, 1, 1, 0, 1}, ""},
		{"unknown mode", i1("False", 1, 1, 1, 1, 1, 1, 1, 1), ValueMap(9), nil, "unknown ReadOptions.Values 9"},
	} {
		ds, err := ReadNPYWith(bytes.NewReader(c.file), chain4, &ReadOptions{Values: c.mode})
		if c.want == nil {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !bytes.Equal(int8Bytes(ds.Data), int8Bytes(c.want)) {
			t.Errorf("%s: %v, want %v", c.name, ds.Data, c.want)
		}
	}
	if ds, err := ReadNPYWith(bytes.NewReader(i1("False", 1, 0, 5, 1, 1, 1, 0, 1)), chain4, nil); err != nil || ds.Data[2] != 5 {
		t.Errorf("nil options: %v", err)
	}
	for m, want := range map[ValueMap]string{KeepValues: "KeepValues", RequireSpins: "RequireSpins", Map01: "Map01", MapAuto: "MapAuto", 7: "ValueMap(7)"} {
		if m.String() != want {
			t.Errorf("%d.String() = %q", m, m.String())
		}
	}
	// LoadDatasetWith: the same option for files, with the file named in
	// errors.
	dir := t.TempDir()
	p := filepath.Join(dir, "bits.npy")
	os.WriteFile(p, i1("False", 1, 0, 0, 1, 1, 1, 0, 1), 0o644)
	ds, err := LoadDatasetWith(p, &ReadOptions{Values: MapAuto})
	if err != nil || !bytes.Equal(int8Bytes(ds.Data), int8Bytes([]int8{1, -1, -1, 1, 1, 1, -1, 1})) || !ds.Geom.Equal(chain4) {
		t.Errorf("LoadDatasetWith MapAuto: %v", err)
	}
	if _, err := LoadDatasetWith(p, &ReadOptions{Values: RequireSpins}); err == nil || !strings.Contains(err.Error(), "bits.npy") {
		t.Errorf("LoadDatasetWith RequireSpins: %v", err)
	}
}
