package sample

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
	"github.com/rsmi-go/rsmi/lattice"
)

// npyFile builds a .npy byte string from a header dict and raw data.
func npyFile(major byte, dict string, data []byte) []byte {
	b := []byte("\x93NUMPY")
	b = append(b, major, 0)
	h := dict + "\n"
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	b = append(b, h...)
	return append(b, data...)
}

func mustLattice(t testing.TB, ext ...int) *lattice.Lattice {
	t.Helper()
	l, err := lattice.NewLattice(ext...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// oddGeometry is a 3-dof geometry that is not a full grid.
func oddGeometry(t testing.TB) *lattice.Geometry {
	t.Helper()
	g, err := lattice.NewGeometry([]int{4, 4}, [][]int{{1, 0}, {0, 1}, {3, 2}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func spinData(n, d int, seed int) []int8 {
	x := make([]int8, n*d)
	s := uint32(seed)
	for i := range x {
		s = s*1664525 + 1013904223
		x[i] = int8(1 - 2*int(s>>31))
	}
	return x
}

func TestNPYRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name  string
		g     *lattice.Geometry
		shape string
	}{
		{"chain", mustLattice(t, 5).Geometry(), "(3, 5)"},
		{"rect", mustLattice(t, 4, 3).Geometry(), "(3, 3, 4)"},
		{"cubic", mustLattice(t, 2, 3, 4).Geometry(), "(3, 4, 3, 2)"},
		{"odd", oddGeometry(t), "(3, 3)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := c.g.NumDOF()
			ds, err := NewDataset(c.g, spinData(3, d, 7))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := ds.WriteNPY(&buf); err != nil {
				t.Fatal(err)
			}
			raw := buf.Bytes()
			hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
			if (10+hlen)%64 != 0 || raw[10+hlen-1] != '\n' {
				t.Errorf("header of %d bytes is not 64-aligned and newline-terminated", 10+hlen)
			}
			if !strings.Contains(string(raw[10:10+hlen]), "'shape': "+c.shape) {
				t.Errorf("header %q, want shape %s", raw[10:10+hlen], c.shape)
			}
			if len(raw) != 10+hlen+3*d {
				t.Errorf("file of %d bytes, want %d", len(raw), 10+hlen+3*d)
			}

			// npyio, an independent reader, agrees on dtype, shape and data.
			rr, err := npyio.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if rr.Header.Descr.Type != "'|i1'" || rr.Header.Descr.Fortran || shapeStr(rr.Header.Descr.Shape) != c.shape {
				t.Errorf("npyio header %v", rr.Header)
			}
			var got []int8
			if err := rr.Read(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(int8Bytes(got), int8Bytes(ds.Data)) {
				t.Error("npyio reads different data")
			}

			back, err := ReadNPY(bytes.NewReader(raw), c.g)
			if err != nil {
				t.Fatal(err)
			}
			if back.N != 3 || back.D != d || !bytes.Equal(int8Bytes(back.Data), int8Bytes(ds.Data)) || back.Geom != c.g {
				t.Errorf("round trip: %d×%d, want 3×%d", back.N, back.D, d)
			}
			if c.name == "odd" {
				return
			}
			inf, err := ReadNPY(bytes.NewReader(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !inf.Geom.Equal(c.g) || !bytes.Equal(int8Bytes(inf.Data), int8Bytes(ds.Data)) {
				t.Error("inferred geometry or data differ")
			}
			// (n, d) is accepted for a grid too.
			flat := npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (3, "+strconv.Itoa(d)+"), }", int8Bytes(ds.Data))
			if _, err := ReadNPY(bytes.NewReader(flat), c.g); err != nil {
				t.Errorf("(n, d) for a grid: %v", err)
			}
		})
	}
}

// TestNPYFromNpyioWriter reads files written by npyio: a float64 matrix and
// a [2][3]int16 array.
func TestNPYFromNpyioWriter(t *testing.T) {
	g := mustLattice(t, 3).Geometry()
	var buf bytes.Buffer
	m := mat.NewDense(2, 3, []float64{1, -1, 1, -1, -1, 1})
	if err := npyio.Write(&buf, m); err != nil {
		t.Fatal(err)
	}
	ds, err := ReadNPY(&buf, g)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int8{1, -1, 1, -1, -1, 1}; !bytes.Equal(int8Bytes(ds.Data), int8Bytes(want)) {
		t.Errorf("float64 matrix: %v, want %v", ds.Data, want)
	}
	buf.Reset()
	if err := npyio.Write(&buf, [2][3]int16{{0, 1, 1}, {1, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	ds, err = ReadNPYWith(&buf, g, &ReadOptions{Values: Map01})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int8{-1, 1, 1, 1, -1, -1}; !bytes.Equal(int8Bytes(ds.Data), int8Bytes(want)) {
		t.Errorf("int16 0/1 with Map01: %v, want %v", ds.Data, want)
	}
}

func TestReadNPYDtypesAndLayouts(t *testing.T) {
	chain3 := mustLattice(t, 3).Geometry()
	rect := mustLattice(t, 3, 2).Geometry() // Lx=3, Ly=2: NumPy shape (n, 2, 3)
	be16 := func(v ...int16) []byte {
		var b []byte
		for _, x := range v {
			b = binary.BigEndian.AppendUint16(b, uint16(x))
		}
		return b
	}
	le64 := func(v ...float64) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	be32f := func(v ...float32) []byte {
		var b []byte
		for _, x := range v {
			b = binary.BigEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	le64i := func(v ...int64) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, uint64(x))
		}
		return b
	}
	for _, c := range []struct {
		name string
		file []byte
		g    *lattice.Geometry
		opt  ReadOptions
		want []int8
	}{
		{"int8", npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }", []byte{1, 0xff, 1, 0xff, 0xff, 1}), chain3, ReadOptions{}, []int8{1, -1, 1, -1, -1, 1}},
		{"big-endian int16", npyFile(1, "{'descr': '>i2', 'fortran_order': False, 'shape': (2, 3), }", be16(1, -1, -1, 1, 1, 1)), chain3, ReadOptions{}, []int8{1, -1, -1, 1, 1, 1}},
		{"float64", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", le64(-1, 1, 1, -1, 1, -1)), chain3, ReadOptions{}, []int8{-1, 1, 1, -1, 1, -1}},
		{"big-endian float32", npyFile(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 3), }", be32f(1, -1, 1)), chain3, ReadOptions{}, []int8{1, -1, 1}},
		{"int64 extremes of int8", npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 3), }", le64i(-128, 127, 0)), chain3, ReadOptions{}, []int8{-128, 127, 0}},
		{"uint8", npyFile(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 3), }", []byte{0, 1, 127}), chain3, ReadOptions{}, []int8{0, 1, 127}},
		{"bool as is", npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 3), }", []byte{1, 0, 1}), chain3, ReadOptions{}, []int8{1, 0, 1}},
		{"bool Map01", npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 3), }", []byte{1, 0, 1}), chain3, ReadOptions{Values: Map01}, []int8{1, -1, 1}},
		// Fortran order: element (i, j) at offset i + n·j.
		{"fortran 2-D", npyFile(1, "{'descr': '|i1', 'fortran_order': True, 'shape': (2, 3), }", []byte{1, 2, 3, 4, 5, 6}), chain3, ReadOptions{}, []int8{1, 3, 5, 2, 4, 6}},
		// Fortran 3-D shape (2, 2, 3): element (s, y, x) at offset s + 2y + 4x.
		{"fortran 3-D", npyFile(1, "{'descr': '|i1', 'fortran_order': True, 'shape': (2, 2, 3), }", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}), rect, ReadOptions{}, []int8{0, 4, 8, 2, 6, 10, 1, 5, 9, 3, 7, 11}},
		// Headers NumPy also accepts.
		{"keys reordered, double quotes, no trailing comma", npyFile(1, `{"shape": (1, 3), "fortran_order": False, "descr": "<i1"}`, []byte{1, 1, 0xff}), chain3, ReadOptions{}, []int8{1, 1, -1}},
		{"version 2", npyFile(2, "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 3), }", []byte{1, 1, 1}), chain3, ReadOptions{}, []int8{1, 1, 1}},
		{"version 3, Python 2 longs", npyFile(3, "{'descr': '|i1', 'fortran_order': False, 'shape': (1L, 3L), }", []byte{1, 0xff, 1}), chain3, ReadOptions{}, []int8{1, -1, 1}},
		{"grid shape", npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 2, 3), }", []byte{1, 2, 3, 4, 5, 6}), rect, ReadOptions{}, []int8{1, 2, 3, 4, 5, 6}},
	} {
		ds, err := ReadNPYWith(bytes.NewReader(c.file), c.g, &c.opt)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !bytes.Equal(int8Bytes(ds.Data), int8Bytes(c.want)) {
			t.Errorf("%s: got %v, want %v", c.name, ds.Data, c.want)
		}
	}
}

func TestReadNPYErrors(t *testing.T) {
	chain3 := mustLattice(t, 3).Geometry()
	rect := mustLattice(t, 3, 2).Geometry()
	hdr := func(descr, shape string) string {
		return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	}
	f64 := func(v ...float64) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	good := npyFile(1, hdr("|i1", "(1, 3)"), []byte{1, 1, 1})
	for _, c := range []struct {
		name string
		file []byte
		g    *lattice.Geometry
		opt  ReadOptions
		want string
	}{
		{"empty", nil, chain3, ReadOptions{}, "magic"},
		{"bad magic", append([]byte("\x93NUMPZ"), good[6:]...), chain3, ReadOptions{}, "magic"},
		{"version", append(append([]byte{}, good[:6]...), append([]byte{9, 0}, good[8:]...)...), chain3, ReadOptions{}, "version 9.0"},
		{"header truncated", good[:20], chain3, ReadOptions{}, "header truncated"},
		{"huge v2 header", append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0x7f), chain3, ReadOptions{}, "header length"},
		{"no brace", npyFile(1, "'descr': '|i1'", nil), chain3, ReadOptions{}, "expected '{'"},
		{"unclosed dict", npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 3)", nil), chain3, ReadOptions{}, "expected"},
		{"missing key", npyFile(1, "{'descr': '|i1', 'shape': (1, 3)}", nil), chain3, ReadOptions{}, "missing key \"fortran_order\""},
		{"extra key", npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 3), 'x': 1}", nil), chain3, ReadOptions{}, "unexpected key \"x\""},
		{"duplicate key", npyFile(1, "{'descr': '|i1', 'descr': '|i1', 'fortran_order': False, 'shape': (1, 3)}", nil), chain3, ReadOptions{}, "duplicate"},
		{"fortran value", npyFile(1, "{'descr': '|i1', 'fortran_order': Maybe, 'shape': (1, 3)}", nil), chain3, ReadOptions{}, "fortran_order"},
		{"shape not a tuple", npyFile(1, hdr("|i1", "(3)"), nil), chain3, ReadOptions{}, "not a tuple"},
		{"shape garbage", npyFile(1, hdr("|i1", "(1, x)"), nil), chain3, ReadOptions{}, "dimension"},
		{"trailing text", npyFile(1, hdr("|i1", "(1, 3)")+" junk", nil), chain3, ReadOptions{}, "after the dict"},
		{"complex dtype", npyFile(1, hdr("<c16", "(1, 3)"), nil), chain3, ReadOptions{}, "unsupported dtype \"<c16\""},
		{"string dtype", npyFile(1, hdr("|S4", "(1, 3)"), nil), chain3, ReadOptions{}, "unsupported dtype"},
		{"float16", npyFile(1, hdr("<f2", "(1, 3)"), nil), chain3, ReadOptions{}, "unsupported dtype"},
		{"structured", npyFile(1, "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1, 3)}", nil), chain3, ReadOptions{}, "structured"},
		{"1-D shape", npyFile(1, hdr("|i1", "(3,)"), []byte{1, 1, 1}), chain3, ReadOptions{}, "want (n, d)"},
		{"no samples", npyFile(1, hdr("|i1", "(0, 3)"), nil), chain3, ReadOptions{}, "no samples"},
		{"dof mismatch", npyFile(1, hdr("|i1", "(1, 4)"), []byte{1, 1, 1, 1}), chain3, ReadOptions{}, "does not match the geometry's 3 dofs"},
		{"grid transposed", npyFile(1, hdr("|i1", "(1, 3, 2)"), make([]byte, 6)), rect, ReadOptions{}, "want (1, 2, 3)"},
		{"grid shape for non-grid", npyFile(1, hdr("|i1", "(1, 1, 3)"), make([]byte, 3)), oddGeometry(t), ReadOptions{}, "not a full grid"},
		{"cannot infer", npyFile(1, hdr("|i1", "(1, 1, 3)"), make([]byte, 3)), nil, ReadOptions{}, "no geometry given"},
		{"truncated data", npyFile(1, hdr("|i1", "(2, 3)"), []byte{1, 1, 1, 1}), chain3, ReadOptions{}, "truncated: 4 of 6"},
		{"NaN", npyFile(1, hdr("<f8", "(1, 3)"), f64(1, math.NaN(), 1)), chain3, ReadOptions{}, "element [0, 1]: value is NaN"},
		{"non-integral", npyFile(1, hdr("<f8", "(1, 3)"), f64(1, 1, 0.5)), chain3, ReadOptions{}, "element [0, 2]: value 0.5 is not an integer"},
		{"float out of range", npyFile(1, hdr("<f8", "(1, 3)"), f64(1e10, 1, 1)), chain3, ReadOptions{}, "int8 range"},
		{"infinite", npyFile(1, hdr("<f8", "(1, 3)"), f64(1, 1, math.Inf(-1))), chain3, ReadOptions{}, "int8 range"},
		{"int16 out of range", npyFile(1, hdr("<i2", "(1, 3)"), []byte{1, 0, 0, 1, 1, 0}), chain3, ReadOptions{}, "element [0, 1]: value 256"},
		{"uint8 out of range", npyFile(1, hdr("|u1", "(1, 3)"), []byte{1, 200, 1}), chain3, ReadOptions{}, "value 200"},
		{"bad bool", npyFile(1, hdr("|b1", "(1, 3)"), []byte{1, 2, 1}), chain3, ReadOptions{}, "bool byte 2"},
		{"Map01 rejects -1", npyFile(1, hdr("|i1", "(1, 3)"), []byte{1, 0xff, 1}), chain3, ReadOptions{Values: Map01}, "value -1 is not 0 or 1"},
	} {
		ds, err := ReadNPYWith(bytes.NewReader(c.file), c.g, &c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: (%v, %v), want an error containing %q", c.name, ds, err, c.want)
		}
	}
}

func TestGeometryJSON(t *testing.T) {
	sq := mustLattice(t, 4, 3).Geometry()
	var buf bytes.Buffer
	if err := WriteGeometry(&buf, sq); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(buf.String()); got != `{"version":1,"extents":[4,3],"grid":true}` {
		t.Errorf("grid JSON %s", got)
	}
	g, err := ReadGeometry(&buf)
	if err != nil || !g.Equal(sq) {
		t.Fatalf("grid round trip: %v", err)
	}
	odd := oddGeometry(t)
	buf.Reset()
	if err := WriteGeometry(&buf, odd); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(buf.String()); got != `{"version":1,"extents":[4,4],"coords":[[1,0],[0,1],[3,2]]}` {
		t.Errorf("coords JSON %s", got)
	}
	g, err = ReadGeometry(&buf)
	if err != nil || !g.Equal(odd) {
		t.Fatalf("coords round trip: %v", err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"version":2,"extents":[4],"grid":true}`, "version 2"},
		{`{"version":1,"extents":[4]}`, "exactly one"},
		{`{"version":1,"extents":[2],"grid":true,"coords":[[0]]}`, "exactly one"},
		{`{"version":1,"extents":[4],"grid":true,"colour":1}`, "unknown field"},
		{`{"version":1,"extents":[4],"coords":[[5]]}`, "outside"},
		{`{"version":1,"extents":[0],"grid":true}`, "not positive"},
		{`{"version":1,"extents":[100000,100000],"grid":true}`, "memory budget"},
		{`{"version":1,"extents":[4294967296,4294967296],"grid":true}`, "overflows int"},
		{`{"version":1,`, "decoding"},
	} {
		if _, err := ReadGeometry(strings.NewReader(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.in, err, c.want)
		}
	}
}

func TestSaveLoadDataset(t *testing.T) {
	dir := t.TempDir()
	// A non-grid geometry needs its sidecar.
	odd := oddGeometry(t)
	ds, _ := NewDataset(odd, spinData(5, 3, 1))
	p := filepath.Join(dir, "odd.npy")
	if err := SaveDataset(p, ds); err != nil {
		t.Fatal(err)
	}
	back, err := LoadDataset(p)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Geom.Equal(odd) || !bytes.Equal(int8Bytes(back.Data), int8Bytes(ds.Data)) {
		t.Error("odd geometry: round trip differs")
	}
	// A square lattice without sidecar: geometry inferred from (n, L, L).
	sq := mustLattice(t, 4, 4)
	ds, _ = NewDataset(sq.Geometry(), spinData(2, 16, 2))
	p = filepath.Join(dir, "sq.npy")
	if err := SaveDataset(p, ds); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p + GeometrySuffix); err != nil {
		t.Fatal(err)
	}
	back, err = LoadDataset(p)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Geom.Equal(sq.Geometry()) || !bytes.Equal(int8Bytes(back.Data), int8Bytes(ds.Data)) {
		t.Error("square without sidecar: round trip differs")
	}
	// Overwriting works and leaves no temporary files.
	if err := SaveDataset(p, ds); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := "odd.npy odd.npy.geom.json sq.npy sq.npy.geom.json"; strings.Join(names, " ") != want {
		t.Errorf("directory holds %v, want %s", names, want)
	}
	// Errors name the file.
	if _, err := LoadDataset(filepath.Join(dir, "missing.npy")); err == nil {
		t.Error("missing file loaded")
	}
	bad := filepath.Join(dir, "bad.npy")
	os.WriteFile(bad, []byte("not numpy"), 0o644)
	if _, err := LoadDataset(bad); err == nil || !strings.Contains(err.Error(), "bad.npy") {
		t.Errorf("bad file: %v", err)
	}
	// The .npy header is read first: the sidecar is reported for a good
	// .npy file.
	var good bytes.Buffer
	if err := ds.WriteNPY(&good); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bad, good.Bytes(), 0o644)
	os.WriteFile(bad+GeometrySuffix, []byte("{"), 0o644)
	if _, err := LoadDataset(bad); err == nil || !strings.Contains(err.Error(), "geom.json") {
		t.Errorf("bad sidecar: %v", err)
	}
	// A dataset inconsistent with its geometry is refused.
	if err := SaveDataset(filepath.Join(dir, "x.npy"), &Dataset{N: 1, D: 2, Data: []int8{1, 1}, Geom: odd}); err == nil {
		t.Error("inconsistent dataset saved")
	}
}

// FuzzReadNPY checks that no input makes ReadNPY panic, that whatever it
// accepts survives a WriteNPY/ReadNPY round trip, and that no input makes it
// allocate more than a constant plus a multiple of the input's size (issue
// 14.4: a 130-byte file declaring (1, 2048, 2048) used to build a 250 MB
// geometry) — whether the reader can tell its length or is a plain stream.
// Seeds are in testdata/fuzz/FuzzReadNPY; run with
//
//	go test -run '^$' -fuzz FuzzReadNPY -fuzztime 60s ./sample/
func FuzzReadNPY(f *testing.F) {
	f.Add(npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2, 2), }", []byte{1, 0xff, 1, 1, 0xff, 0xff, 1, 1}))
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (1, 2), }", make([]byte, 16)))
	f.Add(npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 4), }", []byte{1, 0, 0, 1, 1, 1, 1, 1}))
	f.Add(hostileNPY())
	chain4 := mustLattice(f, 4).Geometry()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, g := range []*lattice.Geometry{nil, chain4} {
			for _, mode := range []ValueMap{KeepValues, Map01, MapAuto} {
				for _, stream := range []bool{false, true} {
					var r io.Reader = bytes.NewReader(data)
					if stream {
						r = streamOnly{r}
					}
					var ds *Dataset
					var err error
					a := sizetest.Allocated(func() { ds, err = ReadNPYWith(r, g, &ReadOptions{Values: mode}) })
					if limit := 1<<20 + 512*uint64(len(data)); a > limit {
						t.Fatalf("a %d-byte input allocated %d bytes (limit %d; error %v)", len(data), a, limit, err)
					}
					if err != nil {
						continue
					}
					checkNPYRoundTrip(t, ds)
				}
			}
		}
	})
}

// checkNPYRoundTrip checks that ds survives WriteNPY and ReadNPY.
func checkNPYRoundTrip(t *testing.T, ds *Dataset) {
	var buf bytes.Buffer
	if err := ds.WriteNPY(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadNPY(&buf, ds.Geom)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(int8Bytes(back.Data), int8Bytes(ds.Data)) {
		t.Fatal("round trip differs")
	}
}

// FuzzReadGeometry checks that no sidecar makes ReadGeometry panic, that an
// accepted geometry survives WriteGeometry/ReadGeometry, and that reading
// allocates no more than the memory budget (lowered to 16 MiB here) and a
// multiple of the input: the 48-byte sidecar of a 2048×2048 grid, or a few
// dofs in a huge box, must be refused before they are built.
//
//	go test -run '^$' -fuzz FuzzReadGeometry -fuzztime 60s ./sample/
func FuzzReadGeometry(f *testing.F) {
	const budget = 16 << 20
	prev := size.SetBudget(budget)
	f.Cleanup(func() { size.SetBudget(prev) })
	f.Add([]byte(`{"version":1,"extents":[4,3],"grid":true}`))
	f.Add([]byte(`{"version":1,"extents":[4,4],"coords":[[1,0],[0,1],[3,2]],"kinds":[0,1,0]}`))
	f.Add([]byte(hostileSidecar))
	f.Add([]byte(`{"version":1,"extents":[46340,46340],"coords":[[0,0]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var g *lattice.Geometry
		var err error
		a := sizetest.Allocated(func() { g, err = ReadGeometry(bytes.NewReader(data)) })
		if limit := 2*budget + 1<<20 + 256*uint64(len(data)); a > limit {
			t.Fatalf("a %d-byte sidecar allocated %d bytes (limit %d; error %v)", len(data), a, limit, err)
		}
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteGeometry(&buf, g); err != nil {
			t.Fatal(err)
		}
		back, err := ReadGeometry(&buf)
		if err != nil || !back.Equal(g) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func BenchmarkWriteNPY(b *testing.B) {
	ds, _ := NewDataset(mustLattice(b, 32, 32).Geometry(), spinData(1000, 1024, 3))
	var buf bytes.Buffer
	b.SetBytes(int64(len(ds.Data)))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		ds.WriteNPY(&buf)
	}
}

func BenchmarkReadNPY(b *testing.B) {
	g := mustLattice(b, 32, 32).Geometry()
	ds, _ := NewDataset(g, spinData(1000, 1024, 3))
	var buf bytes.Buffer
	ds.WriteNPY(&buf)
	raw := buf.Bytes()
	b.SetBytes(int64(len(ds.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadNPY(bytes.NewReader(raw), g); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadNumPyFixtures reads files written by NumPy 1.24.2
// (testdata/numpy/make.py): a = arange(24).reshape(2, 3, 4) % 3 − 1 in
// several dtypes and layouts, and checks that WriteNPY produces exactly the
// bytes NumPy writes for the same int8 array.
func TestReadNumPyFixtures(t *testing.T) {
	want := make([]int8, 24)
	for i := range want {
		want[i] = int8(i%3 - 1)
	}
	rect := mustLattice(t, 4, 3).Geometry()
	for _, c := range []struct {
		file string
		opt  ReadOptions
		want func(v int8) int8
	}{
		{"c_int8.npy", ReadOptions{}, nil},
		{"c_int64.npy", ReadOptions{}, nil},
		{"f_int8.npy", ReadOptions{}, nil},
		{"be_int16.npy", ReadOptions{}, nil},
		{"f4.npy", ReadOptions{}, nil},
		{"flat_f8.npy", ReadOptions{}, nil},
		{"bool.npy", ReadOptions{}, func(v int8) int8 { return int8(max(v, 0)) }},
		{"bool.npy", ReadOptions{Values: Map01}, func(v int8) int8 { return int8(2*max(v, 0) - 1) }},
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", "numpy", c.file))
		if err != nil {
			t.Fatal(err)
		}
		var g *lattice.Geometry // inferred from the shape (2, 3, 4)
		if c.file == "flat_f8.npy" {
			g = rect // shape (2, 12)
		}
		ds, err := ReadNPYWith(bytes.NewReader(raw), g, &c.opt)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		w := want
		if c.want != nil {
			w = make([]int8, len(want))
			for i, v := range want {
				w[i] = c.want(v)
			}
		}
		if ds.N != 2 || !ds.Geom.Equal(rect) || !bytes.Equal(int8Bytes(ds.Data), int8Bytes(w)) {
			t.Errorf("%s (%+v): %d samples on %v: %v, want 2 on [4 3]: %v", c.file, c.opt, ds.N, ds.Geom.Extents(), ds.Data, w)
		}
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "numpy", "c_int8.npy"))
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := NewDataset(rect, want)
	var buf bytes.Buffer
	if err := ds.WriteNPY(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), golden) {
		t.Errorf("WriteNPY bytes differ from NumPy's:\n got %q\nwant %q", buf.Bytes(), golden)
	}
}
